/*
 * The parser child's side of the wire on arbitrary requests: the first
 * byte picks the request type, the rest is its payload (the input inline,
 * as a file's bytes would be appended). The child serves it as it would
 * under its sandbox, and its answer goes back through the framing to the
 * monitor's reader for that answer. Besides memory safety in every parser
 * behind the child: an honest child's answer is always one the monitor
 * accepts (else a hostile input could get a good child killed, or a
 * reader refuse what the parsers make), and a refusal names a known
 * error.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "appliance/wire.c"
#include "appliance/parser.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* parser_main is not run here: no sandbox to install. */
int
sandbox_parser(void)
{
	return CK_ERR_UNSUPPORTED;
}

struct answer {
	int fd;
	uint8_t req;
};

/* The monitor's side: read the one answer and check it. */
static void *
monitor_reads(void *arg)
{
	struct answer *a = arg;
	struct qr_image *img = NULL;
	struct qr_symbols syms;
	struct envelope env;
	struct transcript_report rep;
	struct audit_report audit;
	struct pgppkt_recipients rc;
	struct pgppkt_subkeys sk;
	struct pgppkt_fprs fp;
	struct minisig_pubkey pub;
	struct record *rec;
	json_t *h;
	uint8_t type, *p;
	size_t n;
	int e, result, err, verified;

	if (wire_recv(a->fd, 10000, &type, &p, &n) != CK_OK)
		return NULL;	/* no answer: a request the child does not serve */
	if (type == WIRE_ERROR) {
		if (wire_get_error(p, n, &err) != CK_OK)
			abort();
		free(p);
		return NULL;
	}
	if (type != a->req + 1)
		abort();
	switch (type) {
	case WIRE_ENVELOPE_OK:
		e = wire_get_envelope(p, n, &env);
		envelope_free(&env);
		break;
	case WIRE_QR_SCAN_OK:
		e = wire_get_symbols(p, n, &syms);
		qr_symbols_clear(&syms);
		break;
	case WIRE_PNG_OK:
		e = wire_get_image(p, n, &img);
		qr_image_free(img);
		break;
	case WIRE_TRANSCRIPT_OK:
		e = wire_get_transcript(p, n, &result, &rep);
		break;
	case WIRE_AUDIT_OK:
		e = wire_get_audit(p, n, &result, &audit);
		break;
	case WIRE_PGP_RECIPIENTS_OK:
		e = wire_get_recipients(p, n, &rc);
		break;
	case WIRE_PGP_SUBKEYS_OK:
		e = wire_get_subkeys(p, n, &sk);
		break;
	case WIRE_MINISIG_PUB_OK:
		e = wire_get_pubkey(p, n, &pub);
		break;
	case WIRE_PGP_KEYFILE_OK:
		e = wire_get_fprs(p, n, &fp);
		break;
	case WIRE_RECORD_OK:
		e = wire_get_record(p, n, &result, &rep, &rec);
		record_free(rec);
		break;
	case WIRE_HANDOUT_OK:
		e = wire_get_handout(p, n, &result, &verified, &rep, &h);
		json_decref(h);
		break;
	default:
		e = CK_ERR_BAD_TYPE;
		break;
	}
	if (e != CK_OK)
		abort();
	free(p);
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qr_scanner *sc;
	struct answer a;
	pthread_t t;
	int sv[2];

	if (size < 1 || size - 1 > wire_max(data[0] & ~WIRE_FD))
		return 0;
	if (sc == NULL) {
		json_object_seed(1);
		if (qr_scanner_new(&sc) != CK_OK)
			abort();
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	a.fd = sv[1];
	a.req = data[0] & ~WIRE_FD;
	if (pthread_create(&t, NULL, monitor_reads, &a) != 0)
		abort();
	(void)serve(sv[0], sc, a.req, data + 1, size - 1);
	close(sv[0]);
	pthread_join(t, NULL);
	close(sv[1]);
	return 0;
}
