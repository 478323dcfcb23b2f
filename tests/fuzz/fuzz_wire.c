/*
 * appliance/wire on arbitrary bytes: what a parser child taken over by a
 * hostile input could send its monitor. The bytes go through a socket
 * into wire_recv, message after message, and every payload that arrives
 * goes to the reader for its type (the monitor's readers of answers, and
 * the child's reader of a transcript request). Besides memory safety: a
 * failed read leaves its output empty, and what is accepted stays within
 * the stated limits (an envelope's payload: an object, no deeper than
 * WIRE_JSON_DEPTH). The same bytes then go through the child's receive
 * (wire_recv_req), where no file comes: a request flagged WIRE_FD must
 * be refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "appliance/wire.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* How deep a JSON value nests (a scalar: 1). */
static int
depth(const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	int d = 0, c;

	if (json_is_object(j))
		json_object_foreach((json_t *)j, k, v)
			if ((c = depth(v)) > d)
				d = c;
	if (json_is_array(j))
		json_array_foreach(j, i, v)
			if ((c = depth(v)) > d)
				d = c;
	return d + 1;
}

static void
payload(uint8_t type, const uint8_t *p, size_t n)
{
	struct qr_image *img = NULL;
	struct qr_symbols syms;
	struct envelope env;
	struct transcript_report rep;
	struct audit_report audit;
	struct pgppkt_recipients rc;
	struct pgppkt_subkeys sk;
	struct pgppkt_fprs fp;
	struct minisig_pubkey key, pub;
	struct record *rec;
	json_t *h;
	const struct minisig_pubkey *expect;
	const uint8_t *buf, *sig;
	size_t buflen, siglen;
	enum qr_reader rd;
	int err, result, flags, verified;

	switch (type) {
	case WIRE_ERROR:
		if (wire_get_error(p, n, &err) == CK_OK && err >= CK_OK)
			abort();
		break;
	case WIRE_ENVELOPE_OK:
		if (wire_get_envelope(p, n, &env) != CK_OK) {
			if (env.payload != NULL)
				abort();
		} else if (!json_is_object(env.payload) ||
		    depth(env.payload) > WIRE_JSON_DEPTH) {
			abort();
		}
		envelope_free(&env);
		break;
	case WIRE_RECORD_OK:
		if (wire_get_record(p, n, &result, &rep, &rec) == CK_OK) {
			if ((rec != NULL) != (result == CK_OK) ||
			    (rec != NULL && rec->n > n / 10))
				abort();
		} else if (rec != NULL || rep.records != 0) {
			abort();
		}
		record_free(rec);
		break;
	case WIRE_HANDOUT_OK:
		if (wire_get_handout(p, n, &result, &verified, &rep, &h) == CK_OK) {
			if ((h != NULL) != (result == CK_OK) ||
			    (h != NULL && quorum_handout_check(h) != CK_OK))
				abort();
		} else if (h != NULL) {
			abort();
		}
		json_decref(h);
		break;
	case WIRE_MINISIG_PUB_OK:
		memset(&pub, 0xa5, sizeof(pub));
		if (wire_get_pubkey(p, n, &pub) != CK_OK &&
		    (pub.key_id[0] != 0 || pub.pk[0] != 0))
			abort();
		break;
	case WIRE_QR_SCAN_OK:
		if (wire_get_symbols(p, n, &syms) != CK_OK && syms.n != 0)
			abort();
		if (syms.n > QR_MAX_SYMBOLS)
			abort();
		qr_symbols_clear(&syms);
		break;
	case WIRE_QR_SCAN:
		if (wire_get_scan_req(p, n, &rd, &flags, &img) == CK_OK &&
		    rd > QR_READ_ZXING_ZBAR)
			abort();
		qr_image_free(img);
		break;
	case WIRE_PNG_OK:
		if (wire_get_image(p, n, &img) == CK_OK && (img->w <= 0 ||
		    img->h <= 0 || img->w > QR_MAX_IMAGE_SIDE ||
		    img->h > QR_MAX_IMAGE_SIDE))
			abort();
		qr_image_free(img);
		break;
	case WIRE_TRANSCRIPT:
		(void)wire_get_transcript_req(p, n, &buf, &buflen, &sig, &siglen,
		    &key, &expect);
		break;
	case WIRE_TRANSCRIPT_OK:
		if (wire_get_transcript(p, n, &result, &rep) != CK_OK) {
			if (rep.records != 0 || rep.reason[0] != '\0')
				abort();
		} else if (strnlen(rep.reason, sizeof(rep.reason)) == sizeof(rep.reason)) {
			abort();
		}
		break;
	case WIRE_AUDIT_OK:
		if (wire_get_audit(p, n, &result, &audit) != CK_OK &&
		    (audit.kind[0] != '\0' || audit.problem[0] != '\0'))
			abort();
		if (strnlen(audit.problem, sizeof(audit.problem)) == sizeof(audit.problem))
			abort();
		break;
	case WIRE_PGP_RECIPIENTS_OK:
		if (wire_get_recipients(p, n, &rc) != CK_OK && rc.n != 0)
			abort();
		if (rc.n > PGPPKT_RECIPIENTS_MAX)
			abort();
		break;
	case WIRE_PGP_SUBKEYS_OK:
		if (wire_get_subkeys(p, n, &sk) != CK_OK && sk.n != 0)
			abort();
		if (sk.n > PGPPKT_SUBKEYS_MAX)
			abort();
		break;
	case WIRE_PGP_KEYFILE_OK:
		if (wire_get_fprs(p, n, &fp) != CK_OK && fp.n != 0)
			abort();
		if (fp.n > PGPPKT_KEYS_MAX)
			abort();
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t type, *p;
	size_t n;
	int sv[2], files[WIRE_MAX_FILES];
	size_t nfiles;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	if (size > 0 && send(sv[1], data, size, 0) != (ssize_t)size)
		abort();
	close(sv[1]);
	while (wire_recv(sv[0], 1000, &type, &p, &n) == CK_OK) {
		if (n > wire_max(type) || (type & WIRE_FD) != 0)
			abort();
		payload(type, p, n);
		free(p);
	}
	close(sv[0]);
	/* The child's side: no descriptor ever comes on this socket. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	if (size > 0 && send(sv[1], data, size, 0) != (ssize_t)size)
		abort();
	close(sv[1]);
	while (wire_recv_req(sv[0], &type, &p, &n, files, &nfiles) == CK_OK) {
		if (nfiles != 0 || (type & WIRE_FD) != 0 || n > wire_max(type))
			abort();
		free(p);
	}
	if (nfiles != 0)
		abort();
	close(sv[0]);
	return 0;
}
