/*
 * Fingerprints without gpgme: SHA-1 known answers (FIPS 180 examples),
 * armor decoding, and crypto/pgppkt's v4 fingerprint of every fixture key
 * against stock gpg's (tk_fpr, the oracle).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "crypto/pgppkt.h"
#include "crypto/sha1.h"
#include "tests/unit/helper_keys.h"

static void
hex_of(const uint8_t *b, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, b, n);
}

static void
sha1_known_answers(void **state)
{
	static const struct { const char *in; const char *hex; } v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	uint8_t out[SHA1_BYTES];
	char hex[41], a[1001];
	struct sha1 c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha1_init(&c);
		sha1_update(&c, v[i].in, strlen(v[i].in));
		sha1_final(&c, out);
		hex_of(out, sizeof(out), hex);
		assert_string_equal(hex, v[i].hex);
	}
	/* A million 'a', fed in uneven pieces across block boundaries. */
	memset(a, 'a', sizeof(a));
	sha1_init(&c);
	for (i = 0; i < 1000; i++)
		sha1_update(&c, a, i % 2 ? 999 : 1001);
	sha1_final(&c, out);
	hex_of(out, sizeof(out), hex);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void
fingerprints_match_gpg(void **state)
{
	static const char *names[] = { "holder1", "holder2", "holder3",
	    "holder4", "holder5", "holder6", "holder7", "operator",
	    "multisub", "expiredsub", "dsaelg" };
	uint8_t *key = malloc(PGPPKT_KEY_MAX), *again = malloc(PGPPKT_KEY_MAX);
	uint8_t fpr[PGPPKT_FPR_BYTES];
	unsigned char *file;
	char hex[41], want[41];
	size_t i, len, klen, alen;

	(void)state;
	assert_non_null(key);
	assert_non_null(again);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		file = tk_slurp(tk_key(names[i], 0), &len);
		assert_int_equal(pgppkt_dearmor_key(file, len, key,
		    PGPPKT_KEY_MAX, &klen), CK_OK);
		assert_int_equal(pgppkt_fingerprint(key, klen, fpr), CK_OK);
		hex_of(fpr, sizeof(fpr), hex);
		tk_fpr(names[i], want);
		assert_string_equal(hex, want);
		/* Binary input comes through unchanged. */
		assert_int_equal(pgppkt_dearmor_key(key, klen, again,
		    PGPPKT_KEY_MAX, &alen), CK_OK);
		assert_int_equal(alen, klen);
		assert_memory_equal(again, key, klen);
		free(file);
	}
	free(key);
	free(again);
}

/* Replace the first occurrence of from by to (same length) in a copy. */
static char *
edited(const char *text, size_t len, const char *from, const char *to)
{
	char *c = malloc(len + 1), *p;

	assert_non_null(c);
	memcpy(c, text, len);
	c[len] = '\0';
	p = strstr(c, from);
	assert_non_null(p);
	memcpy(p, to, strlen(to));
	return c;
}

static void
bad_armor_refused(void **state)
{
	uint8_t *key = malloc(PGPPKT_KEY_MAX), fpr[PGPPKT_FPR_BYTES];
	unsigned char *file, *sec;
	char *c, *crc;
	size_t len, slen, klen;

	(void)state;
	assert_non_null(key);
	file = tk_slurp(tk_key("holder1", 0), &len);
	/* A changed body byte: the CRC-24 line catches it. */
	crc = strstr((char *)file, "\n=");
	assert_non_null(crc);
	c = edited((char *)file, len, "\n\n", "\n\n");
	c[crc - (char *)file - 10] = c[crc - (char *)file - 10] == 'A' ? 'B' : 'A';
	assert_int_equal(pgppkt_dearmor_key(c, len, key, PGPPKT_KEY_MAX, &klen),
	    CK_ERR_CRYPTO);
	assert_int_equal(klen, 0);
	free(c);
	/* No END line. */
	c = edited((char *)file, len, "-----END", "-----XXX");
	assert_int_equal(pgppkt_dearmor_key(c, len, key, PGPPKT_KEY_MAX, &klen),
	    CK_ERR_FORMAT);
	free(c);
	/* Not base64. */
	c = edited((char *)file, len, "\n\n", "\n\n!");
	assert_int_equal(pgppkt_dearmor_key(c, len, key, PGPPKT_KEY_MAX, &klen),
	    CK_ERR_FORMAT);
	free(c);
	/* A secret key block is not a public key. */
	sec = tk_slurp(tk_key("holder1", 1), &slen);
	assert_int_equal(pgppkt_dearmor_key(sec, slen, key, PGPPKT_KEY_MAX,
	    &klen), CK_ERR_FORMAT);
	/* Too small an output buffer. */
	assert_int_equal(pgppkt_dearmor_key(file, len, key, 16, &klen),
	    CK_ERR_TOO_LARGE);
	/* Plain text. */
	assert_int_equal(pgppkt_dearmor_key("hello\n", 6, key, PGPPKT_KEY_MAX,
	    &klen), CK_ERR_FORMAT);
	/* A fingerprint needs a public-key packet first, version 4. */
	assert_int_equal(pgppkt_dearmor_key(file, len, key, PGPPKT_KEY_MAX,
	    &klen), CK_OK);
	assert_true((key[0] & 0x40) == 0 && (key[0] & 3) == 1);
	key[3] = 5;	/* old-format header, 2-octet length: body[0] */
	assert_int_equal(pgppkt_fingerprint(key, klen, fpr), CK_ERR_BAD_VERSION);
	key[3] = 6;
	assert_int_equal(pgppkt_fingerprint(key, klen, fpr), CK_ERR_UNSUPPORTED);
	key[0] = 0x80 | (13 << 2) | 1;	/* a user id packet first */
	assert_int_equal(pgppkt_fingerprint(key, klen, fpr), CK_ERR_FORMAT);
	assert_int_equal(pgppkt_fingerprint(key, 2, fpr), CK_ERR_TRUNCATED);
	free(sec);
	free(file);
	free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha1_known_answers),
		cmocka_unit_test(fingerprints_match_gpg),
		cmocka_unit_test(bad_armor_refused),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
