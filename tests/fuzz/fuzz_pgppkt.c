/*
 * crypto/pgppkt on arbitrary bytes: the PKESK walk over an encrypted share
 * or token from the server, the subkey/binding walk over a public key
 * from a stick, a key file as the bridge reads it for the printed
 * script (armor, then the v4 fingerprint), and a holder's secret key file
 * as the stick check reads it. Byte 0 picks the parser. Besides memory safety: what is
 * accepted stays within the stated limits and every key id is 16
 * lowercase hex digits; a failed parse leaves its output empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/errors.h"
#include "crypto/pgppkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
recipients(const uint8_t *p, size_t n)
{
	struct pgppkt_recipients rc;
	size_t i, j;

	if (pgppkt_recipients(p, n, &rc) != CK_OK) {
		if (rc.n != 0)
			abort();
		return;
	}
	if (rc.n == 0 || rc.n > PGPPKT_RECIPIENTS_MAX)
		abort();
	for (i = 0; i < rc.n; i++) {
		if (strlen(rc.keyid[i]) != PGPPKT_KEYID_LEN)
			abort();
		for (j = 0; j < PGPPKT_KEYID_LEN; j++)
			if (strchr("0123456789abcdef", rc.keyid[i][j]) == NULL)
				abort();
	}
}

static void
subkeys(const uint8_t *p, size_t n)
{
	struct pgppkt_subkeys sk;

	if (pgppkt_subkeys(p, n, &sk) != CK_OK) {
		if (sk.n != 0)
			abort();
		return;
	}
	if (sk.n > PGPPKT_SUBKEYS_MAX)
		abort();
}

/* A key file: what dearmors fits its buffer, and a refusal leaves nothing. */
static void
keyfile(const uint8_t *p, size_t n)
{
	static uint8_t key[PGPPKT_KEY_MAX];
	uint8_t fpr[PGPPKT_FPR_BYTES], zero[PGPPKT_FPR_BYTES] = { 0 };
	size_t klen = 1;

	if (pgppkt_dearmor_key(p, n, key, sizeof(key), &klen) != CK_OK) {
		if (klen != 0)
			abort();
		return;
	}
	if (klen > sizeof(key))
		abort();
	if (pgppkt_fingerprint(key, klen, fpr) != CK_OK &&
	    memcmp(fpr, zero, sizeof(fpr)) != 0)
		abort();
}

/* A secret key file: at most PGPPKT_KEYS_MAX keys, each once; a refusal
 * leaves nothing. */
static void
secret_keyfile(const uint8_t *p, size_t n)
{
	struct pgppkt_fprs f;
	size_t i, j;

	if (pgppkt_secret_fprs(p, n, &f) != CK_OK) {
		if (f.n != 0)
			abort();
		return;
	}
	if (f.n == 0 || f.n > PGPPKT_KEYS_MAX)
		abort();
	for (i = 0; i < f.n; i++)
		for (j = 0; j < i; j++)
			if (memcmp(f.fpr[i], f.fpr[j], PGPPKT_FPR_BYTES) == 0)
				abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		recipients(data + 1, size - 1);
		break;
	case 1:
		subkeys(data + 1, size - 1);
		break;
	case 2:
		keyfile(data + 1, size - 1);
		break;
	default:
		secret_keyfile(data + 1, size - 1);
		break;
	}
	return 0;
}
