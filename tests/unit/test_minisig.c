#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "protocol/minisig.h"

/*
 * Known answer: key and signatures made by stock minisign 0.11 (Debian
 * package), `minisign -G -W`, then `minisign -S -W -t '...'` (prehashed)
 * and `minisign -S -l` (legacy) over kat_msg.
 */
static const char kat_msg[] = "conclave known-answer message\n";
static const char kat_pub[] =
    "untrusted comment: minisign public key E6B500B3F25D2BD9\n"
    "RWTZK13yswC15pig5L3ZmvCwQU1XkcVa0vGG7y7XTsUj0ocF0qaZskOq\n";
static const char kat_sig[] =
    "untrusted comment: signature from minisign secret key\n"
    "RUTZK13yswC15oHHlUA/MoAj5/xt+dkUJv9mZSE/yV0G7vMdm58l7v1hFViTDtAtSxtq+UAVtlrM3IxexGsKaCMHrS8TJ1CEVAc=\n"
    "trusted comment: conclave KAT\ttab separated\n"
    "aC146ROxZ1SZxG36GOj6QoEDj7p64Fke9fFRBcM0xSs9CF9fYYYVcT2IcrdMGlvirt10DSclKzUn8yJcFs6JDA==\n";
static const char kat_legacy[] =
    "untrusted comment: signature from minisign secret key\n"
    "RWTZK13yswC15kriWBMgXpblEJlaNxowci1vafYOcFHYXPYpPwz6j7e/71ClCH6XKydF9HQbfN7YZ4oCQ5naMdBmdl6xTSOuFAA=\n"
    "trusted comment: legacy\n"
    "hiXYNk2JeLtX+JbNk+aqs4qRcU0KSpGeEbHDjgPtcbmX5+dCvAU1bF6bKksMb0wCxb0szMpm1LTEuNKOa3ceCg==\n";

static int
setup(void **state)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], *sk;

	if (secmem_init() != CK_OK ||
	    (sk = secmem_alloc(MINISIG_SK_BYTES)) == NULL)
		return -1;
	crypto_sign_keypair(pk, sk);
	*state = sk;
	return 0;
}

static int
teardown(void **state)
{
	secmem_free(*state);
	return 0;
}

static void
stock_signature_verifies(void **state)
{
	struct minisig_pubkey pk;
	char *tc = NULL, id[17];

	(void)state;
	assert_int_equal(minisig_pubkey_parse(kat_pub, strlen(kat_pub), &pk), CK_OK);
	minisig_keyid_hex(&pk, id);
	assert_string_equal(id, "E6B500B3F25D2BD9");
	assert_int_equal(minisig_verify(kat_msg, strlen(kat_msg), kat_sig,
	    strlen(kat_sig), &pk, &tc), CK_OK);
	assert_string_equal(tc, "conclave KAT\ttab separated");
	free(tc);
	/* One byte of the message, or of the trusted comment, changed. */
	assert_int_equal(minisig_verify("Conclave known-answer message\n",
	    strlen(kat_msg), kat_sig, strlen(kat_sig), &pk, NULL),
	    CK_ERR_BAD_SIGNATURE);
	{
		char *s = strdup(kat_sig);

		*strstr(s, "tab separated") = 'T';
		assert_int_equal(minisig_verify(kat_msg, strlen(kat_msg), s,
		    strlen(s), &pk, &tc), CK_ERR_BAD_SIGNATURE);
		assert_null(tc);
		free(s);
	}
	assert_int_equal(minisig_verify(kat_msg, strlen(kat_msg), kat_legacy,
	    strlen(kat_legacy), &pk, NULL), CK_ERR_UNSUPPORTED);
}

static void
sign_then_verify_and_wrong_key(void **state)
{
	const unsigned char *sk = *state;
	unsigned char sk2[MINISIG_SK_BYTES], pk2raw[MINISIG_PK_BYTES];
	struct minisig_pubkey pk, pk2, other;
	char *sig = NULL, *tc = NULL;
	size_t siglen;

	minisig_pubkey_from_sk(&pk, sk);
	assert_int_equal(minisig_sign("abc", 3, sk, "hello\tworld", &sig, &siglen),
	    CK_OK);
	assert_int_equal(strlen(sig), siglen);
	assert_int_equal(minisig_verify("abc", 3, sig, siglen, &pk, &tc), CK_OK);
	assert_string_equal(tc, "hello\tworld");
	free(tc);
	assert_int_equal(minisig_verify("abd", 3, sig, siglen, &pk, NULL),
	    CK_ERR_BAD_SIGNATURE);
	/* Another key: the key id no longer matches. */
	crypto_sign_keypair(pk2raw, sk2);
	minisig_pubkey_from_sk(&pk2, sk2);
	assert_int_equal(minisig_verify("abc", 3, sig, siglen, &pk2, NULL),
	    CK_ERR_WRONG_KEY);
	/* Same key id, other key bytes: the signature itself fails. */
	other = pk2;
	memcpy(other.key_id, pk.key_id, sizeof(other.key_id));
	assert_int_equal(minisig_verify("abc", 3, sig, siglen, &other, NULL),
	    CK_ERR_BAD_SIGNATURE);
	sodium_memzero(sk2, sizeof(sk2));
	free(sig);
}

static void
every_truncation_and_bad_layout_is_rejected(void **state)
{
	struct minisig_pubkey pk;
	char buf[sizeof(kat_sig) + 8];
	size_t len, n = strlen(kat_sig);
	int e;

	(void)state;
	assert_int_equal(minisig_pubkey_parse(kat_pub, strlen(kat_pub), &pk), CK_OK);
	for (len = 0; len < n; len++) {
		e = minisig_verify(kat_msg, strlen(kat_msg), kat_sig, len, &pk, NULL);
		assert_true(e == CK_ERR_FORMAT || e == CK_ERR_ENCODING);
	}
	memcpy(buf, kat_sig, n);
	memcpy(buf + n, "x\n", 2);
	assert_int_equal(minisig_verify(kat_msg, strlen(kat_msg), buf, n + 2, &pk,
	    NULL), CK_ERR_TRAILING);
	/* An escape sequence in the trusted comment. */
	memcpy(buf, kat_sig, n);
	*strstr(buf, "tab separated") = '\x1b';
	assert_int_equal(minisig_verify(kat_msg, strlen(kat_msg), buf, n, &pk,
	    NULL), CK_ERR_NOT_PRINTABLE);
	memcpy(buf, kat_sig, n);
	buf[0] = 'U';
	assert_int_equal(minisig_verify(kat_msg, strlen(kat_msg), buf, n, &pk,
	    NULL), CK_ERR_FORMAT);
	/* A base64 character outside the alphabet. */
	memcpy(buf, kat_sig, n);
	*strchr(strchr(buf, '\n') + 1, 'K') = '*';
	assert_int_equal(minisig_verify(kat_msg, strlen(kat_msg), buf, n, &pk,
	    NULL), CK_ERR_ENCODING);
	{
		char *big = malloc(MINISIG_MAX_SIGFILE + 1);

		memset(big, 'A', MINISIG_MAX_SIGFILE + 1);
		assert_int_equal(minisig_verify(kat_msg, 1, big,
		    MINISIG_MAX_SIGFILE + 1, &pk, NULL), CK_ERR_TOO_LARGE);
		free(big);
	}
}

static void
pubkey_round_trip_and_bad_keys(void **state)
{
	const unsigned char *sk = *state;
	struct minisig_pubkey pk, back;
	char *text = NULL, b64[MINISIG_PK_B64_LEN + 1];
	size_t len, i;

	minisig_pubkey_from_sk(&pk, sk);
	assert_int_equal(minisig_pubkey_format(&pk, &text, &len), CK_OK);
	assert_int_equal(minisig_pubkey_parse(text, len, &back), CK_OK);
	assert_memory_equal(&pk, &back, sizeof(pk));
	minisig_pubkey_b64(&pk, b64);
	assert_int_equal(strlen(b64), MINISIG_PK_B64_LEN);
	assert_non_null(strstr(text, b64));
	assert_int_equal(minisig_pubkey_decode(b64, strlen(b64), &back), CK_OK);
	assert_memory_equal(&pk, &back, sizeof(pk));
	for (i = 0; i < len; i++)
		assert_int_not_equal(minisig_pubkey_parse(text, i, &back), CK_OK);
	assert_int_equal(minisig_pubkey_decode(b64, strlen(b64) - 4, &back),
	    CK_ERR_FORMAT);
	/* "RW" is base64 of "E"; make it "EE" instead of "Ed". */
	b64[2] = 'F';
	assert_int_equal(minisig_pubkey_decode(b64, strlen(b64), &back),
	    CK_ERR_UNSUPPORTED);
	free(text);
}

static void
trusted_comment_must_be_printable(void **state)
{
	const unsigned char *sk = *state;
	char *sig = NULL, *big;
	size_t len;

	assert_int_equal(minisig_sign("a", 1, sk, "two\nlines", &sig, &len),
	    CK_ERR_NOT_PRINTABLE);
	assert_null(sig);
	big = malloc(MINISIG_MAX_TRUSTED + 2);
	memset(big, 'c', MINISIG_MAX_TRUSTED + 1);
	big[MINISIG_MAX_TRUSTED + 1] = '\0';
	assert_int_equal(minisig_sign("a", 1, sk, big, &sig, &len),
	    CK_ERR_TOO_LARGE);
	big[MINISIG_MAX_TRUSTED] = '\0';
	assert_int_equal(minisig_sign("a", 1, sk, big, &sig, &len), CK_OK);
	free(sig);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stock_signature_verifies),
		cmocka_unit_test(sign_then_verify_and_wrong_key),
		cmocka_unit_test(every_truncation_and_bad_layout_is_rejected),
		cmocka_unit_test(pubkey_round_trip_and_bad_keys),
		cmocka_unit_test(trusted_comment_must_be_printable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
