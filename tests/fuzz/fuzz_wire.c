/*
 * appliance/wire on arbitrary bytes: what a parser child taken over by a
 * hostile input could send its monitor. The bytes go through a socket
 * into wire_recv, message after message, and every payload that arrives
 * goes to the reader for its type (the monitor's readers of answers, and
 * the child's reader of a transcript request). Besides memory safety: a
 * failed read leaves its output empty, and what is accepted stays within
 * the stated limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "appliance/wire.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	struct minisig_pubkey key;
	const struct minisig_pubkey *expect;
	const uint8_t *buf, *sig;
	size_t buflen, siglen;
	enum qr_reader rd;
	int err, result, flags;

	switch (type) {
	case WIRE_ERROR:
		if (wire_get_error(p, n, &err) == CK_OK && err >= CK_OK)
			abort();
		break;
	case WIRE_ENVELOPE_OK:
		if (wire_get_envelope(p, n, &env) != CK_OK) {
			if (env.payload != NULL)
				abort();
		} else if (!json_is_object(env.payload)) {
			abort();
		}
		envelope_free(&env);
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
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t type, *p;
	size_t n;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	if (size > 0 && send(sv[1], data, size, 0) != (ssize_t)size)
		abort();
	close(sv[1]);
	while (wire_recv(sv[0], 1000, &type, &p, &n) == CK_OK) {
		if (n > wire_max(type))
			abort();
		payload(type, p, n);
		free(p);
	}
	close(sv[0]);
	return 0;
}
