/*
 * minisign parsing on arbitrary bytes: byte 0 picks a public-key file or a
 * signature file (checked against a fixed key and message). Besides memory
 * safety: an accepted public key re-encodes to exactly its base64 line, and
 * no signature verifies for a key that never signed anything.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/errors.h"
#include "protocol/minisig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct minisig_pubkey fixed = {
		.key_id = { 1, 2, 3, 4, 5, 6, 7, 8 },
		.pk = { 0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a, 0x92,
		    0xb7, 0x0a, 0xa7, 0x4d, 0x1b, 0x7e, 0xbc, 0x9c, 0x98, 0x2c,
		    0xcf, 0x2e, 0xc4, 0x96, 0x8c, 0xc0, 0xcd, 0x55, 0xf1, 0x2a,
		    0xf4, 0x66, 0x0c },
	};
	struct minisig_pubkey pk;
	char b64[MINISIG_PK_B64_LEN + 1], *tc = NULL;
	const char *line;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (minisig_pubkey_parse(data + 1, size - 1, &pk) != CK_OK)
			return 0;
		minisig_pubkey_b64(&pk, b64);
		line = memchr(data + 1, '\n', size - 1);
		if (line == NULL || memcmp(line + 1, b64, MINISIG_PK_B64_LEN) != 0)
			abort();
		return 0;
	}
	if (minisig_verify("msg", 3, data + 1, size - 1, &fixed, &tc) == CK_OK)
		abort();
	free(tc);
	return 0;
}
