#include "appliance/parser.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/sandbox.h"
#include "appliance/wire.h"
#include "crypto/reader.h"

/* An envelope: the bytes as read, and the payload as a JSON tree. */
static int
answer_envelope(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct envelope env;
	int e;

	if ((e = envelope_parse(p, len, &env)) != CK_OK)
		return e;
	wire_put_envelope(b, p, len, env.payload);
	envelope_free(&env);
	return wire_send(fd, WIRE_ENVELOPE_OK, b);
}

static int
answer_scan(int fd, struct qr_scanner *sc, const uint8_t *p, size_t len,
    struct wire_buf *b)
{
	struct qr_image *img = NULL;
	struct qr_symbols syms;
	enum qr_reader rd;
	int flags, e;

	if ((e = wire_get_scan_req(p, len, &rd, &flags, &img)) != CK_OK)
		return e;
	qr_scanner_set_reader(sc, rd, flags);
	e = qr_scan(sc, img, &syms);
	qr_image_free(img);
	if (e != CK_OK)
		return e;
	wire_put_symbols(b, &syms);
	qr_symbols_clear(&syms);
	return wire_send(fd, WIRE_QR_SCAN_OK, b);
}

static int
answer_png(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct qr_image *img = NULL;
	int e;

	if ((e = qr_png_decode(p, len, &img)) != CK_OK)
		return e;
	wire_put_image(b, img);
	qr_image_free(img);
	return wire_send(fd, WIRE_PNG_OK, b);
}

/* A transcript request's parts (wire_get_transcript_req). */
struct transcript_req {
	const uint8_t *buf, *sig;
	size_t buflen, siglen;
	struct minisig_pubkey key;
	const struct minisig_pubkey *expect;
};

static int
get_req(const uint8_t *p, size_t len, struct transcript_req *q)
{
	return wire_get_transcript_req(p, len, &q->buf, &q->buflen, &q->sig,
	    &q->siglen, &q->key, &q->expect);
}

/* The report goes back whatever the verdict: it says where it failed. */
static int
answer_transcript(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct transcript_report rep;
	struct transcript_req q;
	int e;

	if ((e = get_req(p, len, &q)) != CK_OK)
		return e;
	e = transcript_verify_buf(q.buf, q.buflen, q.sig, q.siglen, q.expect,
	    &rep);
	wire_put_transcript(b, e, &rep);
	return wire_send(fd, WIRE_TRANSCRIPT_OK, b);
}

/* The record goes back with the verdict, or the verdict alone. */
static int
answer_record(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct transcript_report rep;
	struct transcript_req q;
	struct record *rec = NULL;
	int e;

	if ((e = get_req(p, len, &q)) != CK_OK)
		return e;
	e = record_build(q.buf, q.buflen, q.sig, q.siglen, q.expect, &rec, &rep);
	wire_put_record(b, e, &rep, rec);
	record_free(rec);
	return wire_send(fd, WIRE_RECORD_OK, b);
}

static int
answer_handout(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct transcript_report rep;
	struct transcript_req q;
	json_t *h = NULL;
	int e, verified;

	if ((e = get_req(p, len, &q)) != CK_OK)
		return e;
	e = quorum_handout_build(q.buf, q.buflen, q.sig, q.siglen, &h,
	    &verified, &rep);
	wire_put_handout(b, e, verified, &rep, h);
	json_decref(h);
	return wire_send(fd, WIRE_HANDOUT_OK, b);
}

static int
answer_audit(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct audit_report rep;
	int e = audit_transcript(p, len, &rep);

	wire_put_audit(b, e, &rep);
	return wire_send(fd, WIRE_AUDIT_OK, b);
}

static int
answer_recipients(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct pgppkt_recipients rc;
	int e;

	if ((e = pgppkt_recipients(p, len, &rc)) != CK_OK)
		return e;
	wire_put_recipients(b, &rc);
	return wire_send(fd, WIRE_PGP_RECIPIENTS_OK, b);
}

static int
answer_pubkey(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct minisig_pubkey k;
	int e;

	if ((e = minisig_pubkey_parse(p, len, &k)) != CK_OK)
		return e;
	wire_put_pubkey(b, &k);
	return wire_send(fd, WIRE_MINISIG_PUB_OK, b);
}

static int
answer_subkeys(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct pgppkt_subkeys sk;
	int e;

	if ((e = pgppkt_subkeys(p, len, &sk)) != CK_OK)
		return e;
	wire_put_subkeys(b, &sk);
	return wire_send(fd, WIRE_PGP_SUBKEYS_OK, b);
}

/* A holder's secret key file: the fingerprints of its keys. */
static int
answer_keyfile(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct pgppkt_fprs f;
	int e;

	if ((e = pgppkt_secret_fprs(p, len, &f)) != CK_OK)
		return e;
	wire_put_fprs(b, &f);
	return wire_send(fd, WIRE_PGP_KEYFILE_OK, b);
}

/* A parse error goes back as WIRE_ERROR. */
static int
refuse(int fd, int err)
{
	struct wire_buf b = { 0 };
	int e;

	wire_put_error(&b, err);
	e = wire_send(fd, WIRE_ERROR, &b);
	wire_buf_free(&b);
	return e == CK_OK ? PARSER_EXIT_OK : PARSER_EXIT_PROTOCOL;
}

/*
 * One request, one answer. A parse error goes back as WIRE_ERROR; a
 * request the child does not serve ends it (PARSER_EXIT_PROTOCOL).
 */
static int
serve(int fd, struct qr_scanner *sc, uint8_t type, const uint8_t *p, size_t len)
{
	struct wire_buf b = { 0 };
	int e;

	switch (type) {
	case WIRE_ENVELOPE:	e = answer_envelope(fd, p, len, &b); break;
	case WIRE_QR_SCAN:	e = answer_scan(fd, sc, p, len, &b); break;
	case WIRE_PNG:		e = answer_png(fd, p, len, &b); break;
	case WIRE_TRANSCRIPT:	e = answer_transcript(fd, p, len, &b); break;
	case WIRE_PGP_RECIPIENTS: e = answer_recipients(fd, p, len, &b); break;
	case WIRE_PGP_SUBKEYS:	e = answer_subkeys(fd, p, len, &b); break;
	case WIRE_AUDIT:	e = answer_audit(fd, p, len, &b); break;
	case WIRE_MINISIG_PUB:	e = answer_pubkey(fd, p, len, &b); break;
	case WIRE_RECORD:	e = answer_record(fd, p, len, &b); break;
	case WIRE_HANDOUT:	e = answer_handout(fd, p, len, &b); break;
	case WIRE_PGP_KEYFILE:	e = answer_keyfile(fd, p, len, &b); break;
	default:		return PARSER_EXIT_PROTOCOL;
	}
	wire_buf_free(&b);
	return e == CK_OK ? PARSER_EXIT_OK : refuse(fd, e);
}

/* Append n bytes of in to *p, after a u32 length when blob. */
static int
append(uint8_t **p, size_t *len, const uint8_t *in, size_t n, int blob)
{
	uint8_t *np;
	size_t head = blob ? 4 : 0;

	if ((np = realloc(*p, *len + head + n + 1)) == NULL)
		return CK_ERR_ALLOC;
	if (blob) {
		np[*len] = (uint8_t)(n >> 24);
		np[*len + 1] = (uint8_t)(n >> 16);
		np[*len + 2] = (uint8_t)(n >> 8);
		np[*len + 3] = (uint8_t)n;
	}
	memcpy(np + *len + head, in, n);
	*p = np;
	*len += head + n;
	return CK_OK;
}

/*
 * A request's input handed over as files (WIRE_FD): read them here, the
 * only reading of them, and append them to the payload where inline
 * input would have been: a first of two (a transcript's signature) as a
 * blob, the last unprefixed. A file that cannot be read is the request's
 * error, answered as any parse error. The files are closed either way.
 */
static int
take_input(const int *files, size_t n, uint8_t type, uint8_t **p,
    size_t *len)
{
	uint8_t *in = NULL;
	size_t inlen = 0, i;
	int e = CK_OK;

	for (i = 0; i < n; i++) {
		if (e == CK_OK && (e = rd_fd(files[i], i + 1 < n ?
		    wire_lead_max(type) : wire_input_max(type), &in,
		    &inlen)) == CK_OK)
			e = append(p, len, in, inlen, i + 1 < n);
		free(in);
		in = NULL;
		close(files[i]);
	}
	return e;
}

int
parser_main(void)
{
	struct qr_scanner *sc = NULL;
	uint8_t type, *p;
	size_t len;
	int files[WIRE_MAX_FILES], e, rc;
	size_t nfiles;

	/* Everything that opens a file or reads the clock for a seed, before
	 * the filter: libsodium, jansson's hash seed, zbar's scanner. */
	if (fcntl(PARSER_FD, F_GETFD) < 0 || sodium_init() < 0)
		return PARSER_EXIT_INIT;
	json_object_seed(0);
	if (qr_scanner_new(&sc) != CK_OK)
		return PARSER_EXIT_INIT;
	if (sandbox_parser() != CK_OK)
		return PARSER_EXIT_SANDBOX;
	if (wire_send(PARSER_FD, WIRE_READY, NULL) != CK_OK)
		return PARSER_EXIT_PROTOCOL;
	for (;;) {
		e = wire_recv_req(PARSER_FD, &type, &p, &len, files, &nfiles);
		if (e == CK_ERR_TRUNCATED)	/* the monitor closed */
			return PARSER_EXIT_OK;
		if (e != CK_OK)
			return PARSER_EXIT_PROTOCOL;
		if (nfiles > 0 &&
		    (e = take_input(files, nfiles, type, &p, &len)) != CK_OK)
			rc = refuse(PARSER_FD, e);
		else
			rc = serve(PARSER_FD, sc, type & ~WIRE_FD, p, len);
		free(p);
		if (rc != PARSER_EXIT_OK)
			return rc;
	}
}
