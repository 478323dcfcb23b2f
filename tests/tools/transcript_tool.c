/*
 * Test-only plumbing for the shell tests (never installed): writes sample
 * transcripts with a fresh ceremony key, and exposes minisig_sign/verify on
 * arbitrary files so tests/regress/minisign_interop.sh can check conclave's
 * minisign code against the stock minisign program both ways.
 *
 *   transcript_tool write FILE [EVENTS]   closed, signed sample transcript
 *   transcript_tool resumed FILE          one left unclosed, then resumed
 *                                         with a second key and closed
 *   transcript_tool sign FILE             FILE.minisig and FILE.pub
 *   transcript_tool replay IN OUT         IN's records (an edited copy of a
 *                                         real one) rewritten with a fresh
 *                                         key: a forger's re-signed file
 *   transcript_tool verify FILE SIG PUB   prints CK_OK or the CK_ERR_* name
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ceremony/transcript.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "crypto/secmem.h"
#include "protocol/minisig.h"

static int
slurp(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 20, n;

	*buf = NULL;
	if (f == NULL)
		return CK_ERR_NOT_FOUND;
	*buf = malloc(cap);
	n = fread(*buf, 1, cap, f);
	fclose(f);
	*len = n;
	return n < cap ? CK_OK : CK_ERR_TOO_LARGE;
}

static int
spill(const char *path, const char *suffix, const char *buf, size_t len)
{
	char name[4096];
	FILE *f;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	if ((f = fopen(name, "wb")) == NULL)
		return CK_ERR_IO;
	fwrite(buf, 1, len, f);
	return fclose(f) == 0 ? CK_OK : CK_ERR_IO;
}

static int
write_sample(const char *path, unsigned long events, const unsigned char *sk)
{
	struct transcript *t = NULL;
	uint8_t h[2][TRANSCRIPT_HASH_BYTES], head[TRANSCRIPT_HASH_BYTES];
	char hex[TRANSCRIPT_HEX_LEN + 1];
	json_t *d;
	unsigned long i;
	int e;

	d = json_pack("{ss}", "ceremony", "sample");
	e = transcript_open(&t, path, "operator", d, NULL, sk);
	json_decref(d);
	for (i = 0; e == CK_OK && i < events; i++) {
		struct transcript_event ev = {
			.type = "sample-step", .actor = "Zoë (holder 1)",
			.in = h, .n_in = 1, .out = h + 1, .n_out = i % 2,
		};

		randombytes_buf(h, sizeof(h));
		ev.details = json_pack("{sisss[ii]}", "step", (int)i,
		    "note", "commitment, never a share", "xs", 1, 2);
		e = transcript_append(t, &ev);
		json_decref(ev.details);
	}
	if (e == CK_OK)
		e = transcript_close(t, "operator", head);
	transcript_free(t);
	if (e == CK_OK) {
		sodium_bin2hex(hex, sizeof(hex), head, sizeof(head));
		printf("%s\n", hex);
	}
	return e;
}

/* A crash after one event; a new process with a new key resumes. */
static int
write_resumed(const char *path, const unsigned char *sk)
{
	unsigned char pk2[crypto_sign_PUBLICKEYBYTES], *sk2;
	struct transcript_event ev = { .type = "sample-step", .actor = "op" };
	struct transcript *t = NULL;
	int e;

	if ((sk2 = secmem_alloc(crypto_sign_SECRETKEYBYTES)) == NULL)
		return CK_ERR_ALLOC;
	crypto_sign_keypair(pk2, sk2);
	if ((e = transcript_open(&t, path, "operator", NULL, NULL, sk)) ==
	    CK_OK)
		e = transcript_append(t, &ev);
	transcript_free(t);
	t = NULL;
	if (e == CK_OK &&
	    (e = transcript_resume(&t, path, "operator", sk2)) == CK_OK &&
	    (e = transcript_append(t, &ev)) == CK_OK)
		e = transcript_close(t, "operator", NULL);
	transcript_free(t);
	secmem_free(sk2);
	return e;
}

static int
hashes(json_t *a, uint8_t (*h)[TRANSCRIPT_HASH_BYTES], size_t *n)
{
	json_t *x;
	size_t i;

	*n = 0;
	json_array_foreach(a, i, x) {
		if (i == TRANSCRIPT_MAX_HASHES || sodium_hex2bin(h[i],
		    TRANSCRIPT_HASH_BYTES, json_string_value(x), 2 * TRANSCRIPT_HASH_BYTES,
		    NULL, NULL, NULL) != 0)
			return CK_ERR_FORMAT;
		*n = i + 1;
	}
	return CK_OK;
}

/*
 * What a forger with the file but not the ceremony key can do: rewrite
 * every record (open to close) with a chain and signature of their own.
 */
static int
replay(const char *in, const char *out, const unsigned char *sk)
{
	uint8_t hin[TRANSCRIPT_MAX_HASHES][TRANSCRIPT_HASH_BYTES];
	uint8_t hout[TRANSCRIPT_MAX_HASHES][TRANSCRIPT_HASH_BYTES];
	struct transcript *t = NULL;
	char *buf = NULL, *line, *save = NULL;
	json_t *rec;
	size_t len;
	int e;

	if ((e = slurp(in, &buf, &len)) != CK_OK)
		goto done;
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); e == CK_OK && line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		const char *type, *actor;
		json_t *d;
		struct transcript_event ev = { 0 };

		if ((rec = json_loads(line, 0, NULL)) == NULL)
			return CK_ERR_FORMAT;
		type = json_string_value(json_object_get(rec, "type"));
		actor = json_string_value(json_object_get(rec, "actor"));
		d = json_object_get(rec, "details");
		if (type == NULL || actor == NULL) {
			e = CK_ERR_FORMAT;
		} else if (strcmp(type, "open") == 0) {
			json_object_del(d, "format");
			json_object_del(d, "pubkey");
			json_object_del(d, "previous_transcript");
			e = transcript_open(&t, out, actor, d, NULL, sk);
		} else if (t == NULL) {
			e = CK_ERR_FORMAT;
		} else if (strcmp(type, "close") == 0) {
			e = transcript_close(t, actor, NULL);
		} else if ((e = hashes(json_object_get(rec, "in"), hin,
		    &ev.n_in)) == CK_OK && (e = hashes(json_object_get(rec, "out"),
		    hout, &ev.n_out)) == CK_OK) {
			ev.type = type;
			ev.actor = actor;
			ev.details = d;
			ev.in = (const uint8_t (*)[TRANSCRIPT_HASH_BYTES])hin;
			ev.out = (const uint8_t (*)[TRANSCRIPT_HASH_BYTES])hout;
			e = transcript_append(t, &ev);
		}
		json_decref(rec);
	}
done:
	transcript_free(t);
	free(buf);
	return e;
}

static int
sign_file(const char *path, const unsigned char *sk)
{
	struct minisig_pubkey pk;
	char *msg = NULL, *sig = NULL, *pub = NULL;
	size_t len, siglen, publen;
	int e;

	minisig_pubkey_from_sk(&pk, sk);
	if ((e = slurp(path, &msg, &len)) == CK_OK &&
	    (e = minisig_sign(msg, len, sk, "signed by transcript_tool", &sig,
	    &siglen)) == CK_OK &&
	    (e = minisig_pubkey_format(&pk, &pub, &publen)) == CK_OK &&
	    (e = spill(path, ".minisig", sig, siglen)) == CK_OK)
		e = spill(path, ".pub", pub, publen);
	free(msg);
	free(sig);
	free(pub);
	return e;
}

static int
verify_file(const char *path, const char *sigpath, const char *pubpath)
{
	struct minisig_pubkey pk;
	char *msg = NULL, *sig = NULL, *pub = NULL, *tc = NULL;
	size_t len, siglen, publen;
	int e;

	if ((e = slurp(path, &msg, &len)) == CK_OK &&
	    (e = slurp(sigpath, &sig, &siglen)) == CK_OK &&
	    (e = slurp(pubpath, &pub, &publen)) == CK_OK &&
	    (e = minisig_pubkey_parse(pub, publen, &pk)) == CK_OK &&
	    (e = minisig_verify(msg, len, sig, siglen, &pk, &tc)) == CK_OK)
		printf("trusted comment: %s\n", tc);
	free(msg);
	free(sig);
	free(pub);
	free(tc);
	return e;
}

int
main(int argc, char **argv)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], *sk;
	unsigned long long n = 3;
	int e = CK_ERR_INVALID_ARG;

	if (secmem_init() != CK_OK ||
	    (sk = secmem_alloc(crypto_sign_SECRETKEYBYTES)) == NULL)
		return 1;
	crypto_sign_keypair(pk, sk);
	if (argc >= 3 && argc <= 4 && strcmp(argv[1], "write") == 0 &&
	    (argc == 3 || rd_parse_uint(argv[3], 0, 1000, &n) == CK_OK))
		e = write_sample(argv[2], (unsigned long)n, sk);
	else if (argc == 3 && strcmp(argv[1], "resumed") == 0)
		e = write_resumed(argv[2], sk);
	else if (argc == 4 && strcmp(argv[1], "replay") == 0)
		e = replay(argv[2], argv[3], sk);
	else if (argc == 3 && strcmp(argv[1], "sign") == 0)
		e = sign_file(argv[2], sk);
	else if (argc == 5 && strcmp(argv[1], "verify") == 0)
		e = verify_file(argv[2], argv[3], argv[4]);
	else
		fprintf(stderr, "usage: transcript_tool write FILE [N] | "
		    "resumed FILE | replay IN OUT | sign FILE | verify FILE SIG PUB\n");
	secmem_free(sk);
	printf("%s\n", ck_errname(e));
	return e == CK_OK ? 0 : 1;
}
