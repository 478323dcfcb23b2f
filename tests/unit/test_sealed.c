/*
 * protocol/sealed: a share sealed to the bridge session opens only with
 * that session's key, in that ceremony, for that envelope seq and nonce.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "protocol/sealed.h"

static const char share[] =
    "731efd85efc86760bad32bfb8cfad0518d27f52f7e2b92df173dc4f230af1ec201";
#define SHARE_LEN (sizeof(share) - 1)
#define NONCE "2dbd10f1-8528-6246-09e7-82b25b8aba63"

static uint8_t pk[SEALBOX_PK_LEN], *sk, id[ENVELOPE_CEREMONY_ID_BYTES];

static int
setup(void **state)
{
	(void)state;
	if (secmem_init() != CK_OK || sealbox_keypair(pk, &sk) != CK_OK)
		return -1;
	envelope_ceremony_id_new(id);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	secmem_free(sk);
	return 0;
}

static int
try_open(const char *b64, const uint8_t *cid, uint64_t seq, const char *nonce)
{
	char *out = NULL;
	size_t len = 0;
	int r;

	r = sealed_open(pk, sk, cid, seq, nonce, b64, &out, &len);
	if (r == CK_OK) {
		assert_int_equal(len, SHARE_LEN);
		assert_string_equal(out, share);
	} else {
		assert_null(out);
	}
	secmem_free(out);
	return r;
}

static void
round_trip_and_binding(void **state)
{
	uint8_t other[ENVELOPE_CEREMONY_ID_BYTES];
	char *b64 = NULL;

	(void)state;
	assert_int_equal(sealed_seal(pk, id, 3, NONCE, share, SHARE_LEN, &b64),
	    CK_OK);
	assert_true(strlen(b64) < SEALED_B64_MAX);
	assert_null(strstr(b64, share));
	assert_int_equal(try_open(b64, id, 3, NONCE), CK_OK);
	memcpy(other, id, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(try_open(b64, other, 3, NONCE), CK_ERR_WRONG_CEREMONY);
	assert_int_equal(try_open(b64, id, 5, NONCE), CK_ERR_REPLAY);
	assert_int_equal(try_open(b64, id, 2, NONCE), CK_ERR_OUT_OF_ORDER);
	assert_int_equal(try_open(b64, id, 3, "another-nonce"), CK_ERR_WRONG_NONCE);
	free(b64);
}

static void
other_session_or_altered_box(void **state)
{
	uint8_t pk2[SEALBOX_PK_LEN], *sk2 = NULL;
	char *b64 = NULL;

	(void)state;
	assert_int_equal(sealbox_keypair(pk2, &sk2), CK_OK);
	assert_int_equal(sealed_seal(pk2, id, 3, NONCE, share, SHARE_LEN, &b64),
	    CK_OK);
	assert_int_equal(try_open(b64, id, 3, NONCE), CK_ERR_DECRYPT);
	b64[10] = b64[10] == 'A' ? 'B' : 'A';
	assert_int_equal(try_open(b64, id, 3, NONCE), CK_ERR_DECRYPT);
	assert_int_equal(try_open("not base64!", id, 3, NONCE), CK_ERR_FORMAT);
	free(b64);
	secmem_free(sk2);
}

static void
bad_inputs_refused(void **state)
{
	char *b64 = (char *)1, big[SEALED_B64_MAX + 1];

	(void)state;
	assert_int_equal(sealed_seal(pk, id, 3, NONCE, "73 1e", 5, &b64),
	    CK_ERR_BAD_SHARE);
	assert_null(b64);
	assert_int_equal(sealed_seal(pk, id, 3, NONCE, share, 0, &b64),
	    CK_ERR_BAD_SHARE);
	assert_int_equal(sealed_seal(pk, id, 0, NONCE, share, SHARE_LEN, &b64),
	    CK_ERR_INVALID_ARG);
	assert_int_equal(sealed_seal(pk, id, 3, "", share, SHARE_LEN, &b64),
	    CK_ERR_INVALID_ARG);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(try_open(big, id, 3, NONCE), CK_ERR_TOO_LARGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_and_binding),
		cmocka_unit_test(other_session_or_altered_box),
		cmocka_unit_test(bad_inputs_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
