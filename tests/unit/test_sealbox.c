#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "crypto/sealbox.h"
#include "crypto/secmem.h"

static const char share[] =
    "731efd85efc86760bad32bfb8cfad0518d27f52f7e2b92df173dc4f230af1ec201";
#define SHARE_LEN (sizeof(share) - 1)

static uint8_t pk[SEALBOX_PK_LEN], *sk;

static int
setup(void **state)
{
	(void)state;
	if (secmem_init() != CK_OK || sealbox_keypair(pk, &sk) != CK_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	secmem_free(sk);
	return 0;
}

static void
keypair_is_a_pair(void **state)
{
	uint8_t derived[SEALBOX_PK_LEN], pk2[SEALBOX_PK_LEN], *sk2;

	(void)state;
	assert_int_equal(crypto_scalarmult_base(derived, sk), 0);
	assert_memory_equal(derived, pk, sizeof(pk));
	assert_int_equal(sealbox_keypair(pk2, &sk2), CK_OK);
	assert_memory_not_equal(pk2, pk, sizeof(pk));
	secmem_free(sk2);
}

static void
seal_then_open(void **state)
{
	uint8_t ct[SHARE_LEN + SEALBOX_OVERHEAD], ct2[sizeof(ct)], *pt;
	size_t ctlen, ptlen;

	(void)state;
	assert_int_equal(sealbox_seal((const uint8_t *)share, SHARE_LEN, pk, ct,
	    sizeof(ct), &ctlen), CK_OK);
	assert_int_equal(ctlen, sizeof(ct));
	assert_int_equal(sealbox_open(ct, ctlen, pk, sk, &pt, &ptlen), CK_OK);
	assert_int_equal(ptlen, SHARE_LEN);
	assert_string_equal((char *)pt, share);
	secmem_free(pt);
	/* A fresh ephemeral key every time. */
	assert_int_equal(sealbox_seal((const uint8_t *)share, SHARE_LEN, pk, ct2,
	    sizeof(ct2), &ctlen), CK_OK);
	assert_memory_not_equal(ct, ct2, sizeof(ct));
	/* The empty message is a valid box too. */
	assert_int_equal(sealbox_seal(NULL, 0, pk, ct, SEALBOX_OVERHEAD, &ctlen),
	    CK_OK);
	assert_int_equal(sealbox_open(ct, ctlen, pk, sk, &pt, &ptlen), CK_OK);
	assert_int_equal(ptlen, 0);
	secmem_free(pt);
}

static void
altered_or_misaddressed_boxes_fail(void **state)
{
	uint8_t ct[SHARE_LEN + SEALBOX_OVERHEAD], pk2[SEALBOX_PK_LEN], *sk2;
	uint8_t *pt = (uint8_t *)1;
	size_t ctlen, ptlen = 9, i;

	(void)state;
	assert_int_equal(sealbox_seal((const uint8_t *)share, SHARE_LEN, pk, ct,
	    sizeof(ct), &ctlen), CK_OK);
	for (i = 0; i < ctlen; i++) {
		ct[i] ^= 0x01;
		assert_int_equal(sealbox_open(ct, ctlen, pk, sk, &pt, &ptlen),
		    CK_ERR_DECRYPT);
		assert_null(pt);
		assert_int_equal(ptlen, 0);
		ct[i] ^= 0x01;
	}
	for (i = 0; i < ctlen; i++)
		assert_int_equal(sealbox_open(ct, i, pk, sk, &pt, &ptlen),
		    i < SEALBOX_OVERHEAD ? CK_ERR_TRUNCATED : CK_ERR_DECRYPT);
	assert_int_equal(sealbox_keypair(pk2, &sk2), CK_OK);
	assert_int_equal(sealbox_open(ct, ctlen, pk2, sk2, &pt, &ptlen),
	    CK_ERR_DECRYPT);
	assert_int_equal(sealbox_open(ct, ctlen, pk2, sk, &pt, &ptlen),
	    CK_ERR_DECRYPT);
	secmem_free(sk2);
	assert_int_equal(sealbox_open(ct, ctlen, pk, sk, &pt, &ptlen), CK_OK);
	secmem_free(pt);
}

static void
size_limits(void **state)
{
	static uint8_t big[SEALBOX_MAX_PLAIN + 1 + SEALBOX_OVERHEAD];
	uint8_t *pt;
	size_t ctlen, ptlen;

	(void)state;
	assert_int_equal(sealbox_seal(big, SEALBOX_MAX_PLAIN + 1, pk, big,
	    sizeof(big), &ctlen), CK_ERR_INVALID_ARG);
	assert_int_equal(sealbox_open(big, sizeof(big), pk, sk, &pt, &ptlen),
	    CK_ERR_TOO_LARGE);
	assert_int_equal(sealbox_seal((const uint8_t *)share, SHARE_LEN, pk, big,
	    SHARE_LEN + SEALBOX_OVERHEAD - 1, &ctlen), CK_ERR_INVALID_ARG);
	assert_int_equal(ctlen, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keypair_is_a_pair),
		cmocka_unit_test(seal_then_open),
		cmocka_unit_test(altered_or_misaddressed_boxes_fail),
		cmocka_unit_test(size_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
