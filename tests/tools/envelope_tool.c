/*
 * Test-only: what a hostile or broken bridge could put on the stick.
 *   envelope_tool payload FILE            print a parsed envelope's payload
 *   envelope_tool forge TYPE CEREMONY SEQ [KEY] < PAYLOAD.json > FILE
 *                                         sign with a fresh (foreign) key, or
 *                                         with KEY (64 raw bytes, libsodium's
 *                                         seed || pk: the appliance's
 *                                         ceremony.key, or one from keypair)
 *   envelope_tool keypair KEY             write a fresh KEY
 * Never part of either program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "crypto/reader.h"
#include "protocol/envelope.h"

static int
slurp(FILE *f, uint8_t **buf, size_t *len)
{
	size_t cap = 1 << 20;

	if ((*buf = malloc(cap)) == NULL)
		return -1;
	*len = fread(*buf, 1, cap, f);
	return *len == cap ? -1 : 0;
}

static int
show_payload(const char *path)
{
	struct envelope env;
	uint8_t *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "rb");
	int r;

	if (f == NULL || slurp(f, &buf, &len) != 0)
		return 2;
	fclose(f);
	if ((r = envelope_parse(buf, len, &env)) != CK_OK) {
		fprintf(stderr, "%s\n", ck_errname(r));
		return 1;
	}
	json_dumpf(env.payload, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	envelope_free(&env);
	free(buf);
	return 0;
}

static int
read_key(const char *path, uint8_t sk[64])
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(sk, 1, 64, f);
	fclose(f);
	return n == 64 ? 0 : -1;
}

static int
keypair(const char *path)
{
	uint8_t pk[32], sk[64];
	FILE *f = fopen(path, "wb");
	int r;

	if (f == NULL)
		return 2;
	crypto_sign_keypair(pk, sk);
	r = fwrite(sk, 1, sizeof(sk), f) == sizeof(sk);
	return fclose(f) == 0 && r ? 0 : 2;
}

static int
forge(const char *type, const char *id_hex, const char *seq_s,
    const char *keyfile)
{
	uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], pk[32], sk[64], *out = NULL;
	unsigned long long seq;
	enum envelope_type t;
	uint8_t *payload = NULL;
	size_t plen = 0, outlen = 0;
	int r;

	if (envelope_type_from_name(type, strlen(type), &t) != CK_OK ||
	    envelope_ceremony_id_parse(id_hex, strlen(id_hex), id) != CK_OK ||
	    rd_parse_uint(seq_s, 1, ENVELOPE_SEQ_MAX, &seq) != CK_OK ||
	    slurp(stdin, &payload, &plen) != 0)
		return 2;
	while (plen > 0 && payload[plen - 1] == '\n')
		plen--;
	if (keyfile == NULL)
		crypto_sign_keypair(pk, sk);
	else if (read_key(keyfile, sk) != 0)
		return 2;
	if ((r = envelope_build(t, id, seq, 0, (const char *)payload, plen, sk,
	    &out, &outlen)) != CK_OK) {
		fprintf(stderr, "%s\n", ck_errname(r));
		return 1;
	}
	fwrite(out, 1, outlen, stdout);
	free(out);
	free(payload);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 2;
	if (argc == 3 && strcmp(argv[1], "payload") == 0)
		return show_payload(argv[2]);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "forge") == 0)
		return forge(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	if (argc == 3 && strcmp(argv[1], "keypair") == 0)
		return keypair(argv[2]);
	fprintf(stderr, "usage: envelope_tool payload FILE | forge TYPE ID SEQ "
	    "[KEY] | keypair KEY\n");
	return 2;
}
