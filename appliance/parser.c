#include "appliance/parser.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "appliance/sandbox.h"
#include "appliance/wire.h"

/* An envelope: the bytes as read, and the payload as compact JSON. */
static int
answer_envelope(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct envelope env;
	char *json = NULL;
	int e;

	if ((e = envelope_parse(p, len, &env)) != CK_OK)
		return e;
	json = json_dumps(env.payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
	envelope_free(&env);
	if (json == NULL)
		return CK_ERR_ALLOC;
	if (strlen(json) > WIRE_JSON_MAX) {
		free(json);
		return CK_ERR_TOO_LARGE;
	}
	wire_put_envelope(b, p, len, json, strlen(json));
	free(json);
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

/* The report goes back whatever the verdict: it says where it failed. */
static int
answer_transcript(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct transcript_report rep;
	struct minisig_pubkey key;
	const struct minisig_pubkey *expect;
	const uint8_t *buf, *sig;
	size_t buflen, siglen;
	int e;

	if ((e = wire_get_transcript_req(p, len, &buf, &buflen, &sig, &siglen,
	    &key, &expect)) != CK_OK)
		return e;
	e = transcript_verify_buf(buf, buflen, sig, siglen, expect, &rep);
	wire_put_transcript(b, e, &rep);
	return wire_send(fd, WIRE_TRANSCRIPT_OK, b);
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
answer_subkeys(int fd, const uint8_t *p, size_t len, struct wire_buf *b)
{
	struct pgppkt_subkeys sk;
	int e;

	if ((e = pgppkt_subkeys(p, len, &sk)) != CK_OK)
		return e;
	wire_put_subkeys(b, &sk);
	return wire_send(fd, WIRE_PGP_SUBKEYS_OK, b);
}

/*
 * One request, one answer. A parse error goes back as WIRE_ERROR; a
 * request the child does not serve ends it (PARSER_EXIT_PROTOCOL).
 */
static int
serve(int fd, struct qr_scanner *sc, uint8_t type, const uint8_t *p, size_t len)
{
	struct wire_buf b = { 0 }, eb = { 0 };
	int e;

	switch (type) {
	case WIRE_ENVELOPE:	e = answer_envelope(fd, p, len, &b); break;
	case WIRE_QR_SCAN:	e = answer_scan(fd, sc, p, len, &b); break;
	case WIRE_PNG:		e = answer_png(fd, p, len, &b); break;
	case WIRE_TRANSCRIPT:	e = answer_transcript(fd, p, len, &b); break;
	case WIRE_PGP_RECIPIENTS: e = answer_recipients(fd, p, len, &b); break;
	case WIRE_PGP_SUBKEYS:	e = answer_subkeys(fd, p, len, &b); break;
	case WIRE_AUDIT:	e = answer_audit(fd, p, len, &b); break;
	default:		return PARSER_EXIT_PROTOCOL;
	}
	wire_buf_free(&b);
	if (e == CK_OK)
		return PARSER_EXIT_OK;
	wire_put_error(&eb, e);
	e = wire_send(fd, WIRE_ERROR, &eb);
	wire_buf_free(&eb);
	return e == CK_OK ? PARSER_EXIT_OK : PARSER_EXIT_PROTOCOL;
}

int
parser_main(void)
{
	struct qr_scanner *sc = NULL;
	uint8_t type, *p;
	size_t len;
	int e, rc;

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
		e = wire_recv(PARSER_FD, -1, &type, &p, &len);
		if (e == CK_ERR_TRUNCATED)	/* the monitor closed */
			return PARSER_EXIT_OK;
		if (e != CK_OK)
			return PARSER_EXIT_PROTOCOL;
		rc = serve(PARSER_FD, sc, type, p, len);
		free(p);
		if (rc != PARSER_EXIT_OK)
			return rc;
	}
}
