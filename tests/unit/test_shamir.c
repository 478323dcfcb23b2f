/*
 * Known answers from /work/shared/reference/vault-openbao-api.md section 5
 * (5.1 field constants, 5.4 examples 1 and 2), plus split/combine round
 * trips and every malformed-input path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "crypto/shamir.h"

/* Section 5.4 example 2: 3-of-5 over 00 01 .. 1f, as listed. */
static const char *const ex2_hex[5] = {
	"8532640ce6ffe5d9e6fcbea783092d542ebc219fd3e43e3e21e35a564fe072cb5c",
	"731efd85efc86760bad32bfb8cfad0518d27f52f7e2b92df173dc4f230af1ec201",
	"6b9d9b521c9ba93b4cc1ff876a8ec347d71b3ab97599cde292eeba68b093d626e3",
	"809b7edd77475ea66d28de27ea85d8ad7955bae948ea81189b7ff85bfe119f3b80",
	"194427a2691ce06cce77491eb0015cec2fb46fbe612f05b90b16642f96f2d1152f",
};
static const char ex2_share2_b64[] =
    "cx79he/IZ2C60yv7jPrQUY0n9S9+K5LfFz3E8jCvHsIB";

static uint8_t ex2[5][SHAMIR_KEY_SHARE_LEN];

static int
setup(void **state)
{
	size_t i;

	(void)state;
	if (secmem_init() != CK_OK)
		return -1;
	for (i = 0; i < 5; i++)
		if (shamir_share_from_hex(ex2_hex[i], strlen(ex2_hex[i]),
		    ex2[i]) != CK_OK)
			return -1;
	return 0;
}

/* Textbook xtime multiply, as an independent oracle for the field. */
static uint8_t
slow_mul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;

	while (b != 0) {
		if (b & 1)
			r ^= a;
		a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
		b >>= 1;
	}
	return r;
}

static void
field_known_answers(void **state)
{
	unsigned a, b;

	(void)state;
	assert_int_equal(shamir_gf_mul(3, 7), 9);
	assert_int_equal(shamir_gf_div(6, 3), 2);
	assert_int_equal(shamir_gf_div(3, 3), 1);
	assert_int_equal(shamir_gf_mul(0x57, 0x83), 0xc1);	/* FIPS-197 */
	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b++)
			assert_int_equal(shamir_gf_mul(a, b), slow_mul(a, b));
		if (a != 0)
			assert_int_equal(shamir_gf_mul(a, shamir_gf_div(1, a)), 1);
	}
	assert_int_equal(shamir_gf_div(0, 5), 0);
}

static void
part_of(struct shamir_part *p, const uint8_t *share, size_t len)
{
	p->p = share;
	p->len = len;
}

static void
example1_one_byte(void **state)
{
	static const uint8_t secret = 0x2a, coeff = 0x07;
	static const uint8_t xs[3] = { 1, 2, 3 };
	static const uint8_t want[3][2] = { { 0x2d, 1 }, { 0x24, 2 }, { 0x23, 3 } };
	uint8_t out[3][2], *s;
	struct shamir_part p[2];
	size_t len, i, j;

	(void)state;
	assert_int_equal(shamir_split_coeffs(&secret, 1, 2, 3, xs, &coeff,
	    &out[0][0]), CK_OK);
	assert_memory_equal(out, want, sizeof(want));
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			if (i == j)
				continue;
			part_of(&p[0], want[i], 2);
			part_of(&p[1], want[j], 2);
			assert_int_equal(shamir_combine(p, 2, &s, &len), CK_OK);
			assert_int_equal(len, 1);
			assert_int_equal(s[0], 0x2a);
			secmem_free(s);
		}
}

/*
 * Example 2's coefficients: c_jk = SHA256("vault-ceremony-test" || j)[k-1]
 * with j as a single byte 0..31. The listed shares use this encoding.
 */
static void
example2_shares_from_coefficients(void **state)
{
	static const uint8_t xs[5] = { 0x5c, 0x01, 0xe3, 0x80, 0x2f };
	uint8_t secret[32], coeffs[32 * 2], h[crypto_hash_sha256_BYTES];
	uint8_t msg[20], out[5][SHAMIR_KEY_SHARE_LEN];
	char hex[SHAMIR_KEY_SHARE_HEX + 1], b64[64];
	size_t j;

	(void)state;
	memcpy(msg, "vault-ceremony-test", 19);
	for (j = 0; j < 32; j++) {
		secret[j] = (uint8_t)j;
		msg[19] = (uint8_t)j;
		crypto_hash_sha256(h, msg, sizeof(msg));
		coeffs[j * 2] = h[0];
		coeffs[j * 2 + 1] = h[1];
	}
	assert_int_equal(shamir_split_coeffs(secret, 32, 3, 5, xs, coeffs,
	    &out[0][0]), CK_OK);
	for (j = 0; j < 5; j++) {
		assert_int_equal(codec_hex_encode(out[j], sizeof(out[j]), hex,
		    sizeof(hex)), CK_OK);
		assert_string_equal(hex, ex2_hex[j]);
	}
	assert_int_equal(codec_b64_encode(CODEC_B64_PADDED, out[1],
	    sizeof(out[1]), b64, sizeof(b64)), CK_OK);
	assert_string_equal(b64, ex2_share2_b64);
}

static void
combine_set(const unsigned *idx, size_t k, uint8_t **s, size_t *len)
{
	struct shamir_part p[5];
	size_t i;

	for (i = 0; i < k; i++)
		part_of(&p[i], ex2[idx[i]], SHAMIR_KEY_SHARE_LEN);
	assert_int_equal(shamir_combine(p, k, s, len), CK_OK);
	assert_int_equal(*len, 32);
}

static void
example2_every_quorum_recombines(void **state)
{
	uint8_t secret[32], *s;
	unsigned mask, i, idx[5];
	size_t k, len, tried = 0;

	(void)state;
	for (i = 0; i < 32; i++)
		secret[i] = (uint8_t)i;
	for (mask = 0; mask < 32; mask++) {
		for (k = 0, i = 0; i < 5; i++)
			if (mask & (1u << i))
				idx[k++] = i;
		if (k < 3)
			continue;
		combine_set(idx, k, &s, &len);
		assert_memory_equal(s, secret, 32);
		secmem_free(s);
		tried++;
	}
	assert_int_equal(tried, 10 + 5 + 1);
	/* Below the threshold: shares 1 and 2 give garbage (de26546e...). */
	idx[0] = 0;
	idx[1] = 1;
	combine_set(idx, 2, &s, &len);
	assert_memory_not_equal(s, secret, 32);
	assert_memory_equal(s, "\xde\x26\x54\x6e", 4);
	secmem_free(s);
}

static void
example2_base64_share_decodes_to_share2(void **state)
{
	uint8_t buf[SHAMIR_KEY_SHARE_LEN];

	(void)state;
	assert_int_equal(codec_b64_decode_exact(CODEC_B64_PADDED, ex2_share2_b64,
	    strlen(ex2_share2_b64), buf, sizeof(buf)), CK_OK);
	assert_memory_equal(buf, ex2[1], sizeof(buf));
}

static void
split_round_trips(void **state)
{
	static const unsigned tn[][2] = { { 2, 2 }, { 2, 3 }, { 3, 5 },
	    { 5, 11 }, { 255, 255 } };
	uint8_t secret[SHAMIR_KEY_LEN], *shares, *s, seen[256];
	struct shamir_part p[SHAMIR_MAX_PARTS];
	size_t i, c, len;
	unsigned t, n;

	(void)state;
	for (c = 0; c < sizeof(tn) / sizeof(tn[0]); c++) {
		t = tn[c][0];
		n = tn[c][1];
		randombytes_buf(secret, sizeof(secret));
		assert_int_equal(shamir_split(secret, sizeof(secret), t, n,
		    &shares), CK_OK);
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < n; i++) {
			part_of(&p[i], shares + i * SHAMIR_KEY_SHARE_LEN,
			    SHAMIR_KEY_SHARE_LEN);
			assert_int_not_equal(p[i].p[SHAMIR_KEY_LEN], 0);
			assert_int_equal(seen[p[i].p[SHAMIR_KEY_LEN]]++, 0);
		}
		/* The last t shares recombine; t - 1 of them do not. */
		assert_int_equal(shamir_combine(p + n - t, t, &s, &len), CK_OK);
		assert_memory_equal(s, secret, sizeof(secret));
		secmem_free(s);
		if (t > 2) {
			assert_int_equal(shamir_combine(p, t - 1, &s, &len), CK_OK);
			assert_memory_not_equal(s, secret, sizeof(secret));
			secmem_free(s);
		}
		assert_int_equal(shamir_check_consistent(p, n, t), CK_OK);
		secmem_free(shares);
	}
}

static void
split_x_coordinates_vary(void **state)
{
	static const uint8_t secret[1] = { 0x42 };
	uint8_t *a, *b;
	int differ = 0, i;

	(void)state;
	/* Shuffled x values: 10 splits all picking the same x would be 1 in 2^70. */
	assert_int_equal(shamir_split(secret, 1, 2, 2, &a), CK_OK);
	for (i = 0; i < 10; i++) {
		assert_int_equal(shamir_split(secret, 1, 2, 2, &b), CK_OK);
		differ |= a[1] != b[1];
		secmem_free(b);
	}
	secmem_free(a);
	assert_true(differ);
}

static void
split_rejects_bad_parameters(void **state)
{
	uint8_t secret[SHAMIR_MAX_SECRET + 1] = { 0 }, *s = (uint8_t *)1;
	uint8_t xs[3] = { 1, 2, 2 }, coeffs[4] = { 0 }, out[3 * 2];

	(void)state;
	assert_int_equal(shamir_split(secret, 32, 1, 3, &s), CK_ERR_INVALID_ARG);
	assert_null(s);
	assert_int_equal(shamir_split(secret, 32, 4, 3, &s), CK_ERR_INVALID_ARG);
	assert_int_equal(shamir_split(secret, 32, 2, 256, &s), CK_ERR_INVALID_ARG);
	assert_int_equal(shamir_split(secret, 0, 2, 3, &s), CK_ERR_INVALID_ARG);
	assert_int_equal(shamir_split(secret, sizeof(secret), 2, 3, &s),
	    CK_ERR_INVALID_ARG);
	assert_int_equal(shamir_split_coeffs(secret, 1, 2, 3, xs, coeffs, out),
	    CK_ERR_INVALID_ARG);
	xs[2] = 0;
	assert_int_equal(shamir_split_coeffs(secret, 1, 2, 3, xs, coeffs, out),
	    CK_ERR_INVALID_ARG);
	xs[2] = 3;
	assert_int_equal(shamir_split_coeffs(secret, 1, 2, 3, xs, coeffs, out),
	    CK_OK);
}

static void
combine_rejects_malformed_parts(void **state)
{
	static const uint8_t a[] = { 0x2d, 1 }, b[] = { 0x24, 2 };
	static const uint8_t longer[] = { 0x24, 0x00, 2 }, one[] = { 3 };
	static const uint8_t zero_x[] = { 0x2a, 0 }, dup[] = { 0x99, 1 };
	struct shamir_part p[2];
	uint8_t *s = (uint8_t *)1;
	size_t len = 7;

	(void)state;
	part_of(&p[0], a, 2);
	assert_int_equal(shamir_combine(p, 1, &s, &len), CK_ERR_SHAMIR);
	assert_null(s);
	assert_int_equal(len, 0);
	assert_int_equal(shamir_combine(p, 0, &s, &len), CK_ERR_SHAMIR);
	part_of(&p[1], longer, 3);
	assert_int_equal(shamir_combine(p, 2, &s, &len), CK_ERR_BAD_SHARE);
	part_of(&p[0], one, 1);
	part_of(&p[1], one, 1);
	assert_int_equal(shamir_combine(p, 2, &s, &len), CK_ERR_BAD_SHARE);
	part_of(&p[0], a, 2);
	part_of(&p[1], zero_x, 2);
	assert_int_equal(shamir_combine(p, 2, &s, &len), CK_ERR_BAD_SHARE);
	part_of(&p[1], dup, 2);
	assert_int_equal(shamir_combine(p, 2, &s, &len), CK_ERR_DUPLICATE_SHARE);
	part_of(&p[1], b, 2);
	assert_int_equal(shamir_combine(p, 2, &s, &len), CK_OK);
	assert_int_equal(s[0], 0x2a);
	secmem_free(s);
}

static void
consistency_check_catches_foreign_and_altered_shares(void **state)
{
	struct shamir_part p[5];
	uint8_t altered[SHAMIR_KEY_SHARE_LEN], *other;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++)
		part_of(&p[i], ex2[i], SHAMIR_KEY_SHARE_LEN);
	assert_int_equal(shamir_check_consistent(p, 5, 3), CK_OK);
	/* Degree 2, so claiming threshold 2 must fail. */
	assert_int_equal(shamir_check_consistent(p, 5, 2), CK_ERR_SHAMIR);
	assert_int_equal(shamir_check_consistent(p, 5, 6), CK_ERR_INVALID_ARG);
	assert_int_equal(shamir_check_consistent(p, 5, 1), CK_ERR_INVALID_ARG);
	/* One flipped bit in the last byte of y, in the last share checked. */
	memcpy(altered, ex2[4], sizeof(altered));
	altered[SHAMIR_KEY_LEN - 1] ^= 1;
	part_of(&p[4], altered, sizeof(altered));
	assert_int_equal(shamir_check_consistent(p, 5, 3), CK_ERR_SHAMIR);
	/* A share of another secret that happens to use x = 0x2f. */
	assert_int_equal(shamir_split(ex2[0], SHAMIR_KEY_LEN, 3, 255, &other),
	    CK_OK);
	for (i = 0; i < 255; i++)
		if (other[i * SHAMIR_KEY_SHARE_LEN + SHAMIR_KEY_LEN] == 0x2f)
			part_of(&p[4], other + i * SHAMIR_KEY_SHARE_LEN,
			    SHAMIR_KEY_SHARE_LEN);
	assert_int_equal(shamir_check_consistent(p, 5, 3), CK_ERR_SHAMIR);
	secmem_free(other);
	part_of(&p[4], ex2[0], SHAMIR_KEY_SHARE_LEN);
	assert_int_equal(shamir_check_consistent(p, 5, 3),
	    CK_ERR_DUPLICATE_SHARE);
	/* n == t: any t points define a polynomial of degree t - 1. */
	assert_int_equal(shamir_check_consistent(p, 3, 3), CK_OK);
}

static void
share_text_form(void **state)
{
	char buf[SHAMIR_KEY_SHARE_HEX + 2];
	uint8_t out[SHAMIR_KEY_SHARE_LEN];
	size_t i;

	(void)state;
	memcpy(buf, ex2_hex[1], SHAMIR_KEY_SHARE_HEX);
	assert_int_equal(shamir_share_from_hex(buf, SHAMIR_KEY_SHARE_HEX, out),
	    CK_OK);
	assert_int_equal(out[SHAMIR_KEY_LEN], 0x01);
	assert_int_equal(shamir_share_from_hex(buf, SHAMIR_KEY_SHARE_HEX - 1,
	    out), CK_ERR_BAD_SHARE);
	assert_int_equal(shamir_share_from_hex(buf, SHAMIR_KEY_SHARE_HEX - 2,
	    out), CK_ERR_BAD_SHARE);
	buf[SHAMIR_KEY_SHARE_HEX] = '0';
	assert_int_equal(shamir_share_from_hex(buf, SHAMIR_KEY_SHARE_HEX + 1,
	    out), CK_ERR_BAD_SHARE);
	buf[SHAMIR_KEY_SHARE_HEX] = '\n';
	assert_int_equal(shamir_share_from_hex(buf, SHAMIR_KEY_SHARE_HEX + 1,
	    out), CK_ERR_BAD_SHARE);
	/* Uppercase, a non-hex letter and a space, each at every position. */
	for (i = 0; i < SHAMIR_KEY_SHARE_HEX; i++) {
		memcpy(buf, ex2_hex[0], SHAMIR_KEY_SHARE_HEX);
		buf[i] = 'A';
		assert_int_equal(shamir_share_from_hex(buf, SHAMIR_KEY_SHARE_HEX,
		    out), CK_ERR_ENCODING);
		buf[i] = 'g';
		assert_int_equal(shamir_share_from_hex(buf, SHAMIR_KEY_SHARE_HEX,
		    out), CK_ERR_ENCODING);
		buf[i] = ' ';
		assert_int_equal(shamir_share_from_hex(buf, SHAMIR_KEY_SHARE_HEX,
		    out), CK_ERR_ENCODING);
	}
	/* x-tag 0 is no share. */
	memcpy(buf, ex2_hex[0], SHAMIR_KEY_SHARE_HEX);
	buf[SHAMIR_KEY_SHARE_HEX - 2] = buf[SHAMIR_KEY_SHARE_HEX - 1] = '0';
	assert_int_equal(shamir_share_from_hex(buf, SHAMIR_KEY_SHARE_HEX, out),
	    CK_ERR_BAD_SHARE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(field_known_answers),
		cmocka_unit_test(example1_one_byte),
		cmocka_unit_test(example2_shares_from_coefficients),
		cmocka_unit_test(example2_every_quorum_recombines),
		cmocka_unit_test(example2_base64_share_decodes_to_share2),
		cmocka_unit_test(split_round_trips),
		cmocka_unit_test(split_x_coordinates_vary),
		cmocka_unit_test(split_rejects_bad_parameters),
		cmocka_unit_test(combine_rejects_malformed_parts),
		cmocka_unit_test(consistency_check_catches_foreign_and_altered_shares),
		cmocka_unit_test(share_text_form),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
