#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"

/* RFC 4648 section 10 test vectors; the raw form is the padded one without '='. */
static const struct {
	const char *bin, *padded, *raw;
} rfc4648[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};
#define NVEC (sizeof(rfc4648) / sizeof(rfc4648[0]))

static int
setup(void **state)
{
	(void)state;
	return secmem_init() == CK_OK ? 0 : -1;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void
hex_round_trip_and_case(void **state)
{
	char txt[13];
	uint8_t out[6];
	size_t n = 99;

	(void)state;
	assert_int_equal(codec_hex_encode((const uint8_t *)"foobar", 6, txt,
	    sizeof(txt)), CK_OK);
	assert_string_equal(txt, "666f6f626172");	/* RFC 4648 base16, lowercase */
	assert_int_equal(codec_hex_encode((const uint8_t *)"foobar", 6, txt,
	    sizeof(txt) - 1), CK_ERR_INVALID_ARG);
	assert_int_equal(codec_hex_decode("666F6F626172", 12, out, sizeof(out),
	    &n), CK_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(codec_hex_decode("", 0, out, sizeof(out), &n), CK_OK);
	assert_int_equal(n, 0);
}

static void
hex_rejects_bad_input_and_wipes(void **state)
{
	static const char *bad[] = {
		"666", "66g6", "66 6", "6-66", "0x66", "66\n", "é6",
	};
	uint8_t out[8];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 0xaa, sizeof(out));
		n = 99;
		assert_int_equal(codec_hex_decode(bad[i], strlen(bad[i]), out,
		    sizeof(out), &n), CK_ERR_ENCODING);
		assert_int_equal(n, 0);
		assert_true(all_zero(out, sizeof(out)));
	}
	/* An interior NUL is a bad character, not the end of the input. */
	assert_int_equal(codec_hex_decode("66\0" "0", 4, out, sizeof(out), &n),
	    CK_ERR_ENCODING);
	assert_int_equal(codec_hex_decode("666f6f", 6, out, 2, &n),
	    CK_ERR_TOO_LARGE);
	assert_int_equal(codec_hex_decode("666f6f", 6, out, 3, &n), CK_OK);
}

static void
hex_exact_length(void **state)
{
	uint8_t out[3];

	(void)state;
	assert_int_equal(codec_hex_decode_exact("666f6f", 6, out, 3), CK_OK);
	assert_memory_equal(out, "foo", 3);
	assert_int_equal(codec_hex_decode_exact("666f", 4, out, 3),
	    CK_ERR_FORMAT);
	assert_int_equal(codec_hex_decode_exact("666f6f62", 8, out, 3),
	    CK_ERR_FORMAT);
	assert_int_equal(codec_hex_decode_exact("666f6g", 6, out, 3),
	    CK_ERR_ENCODING);
}

static void
b64_rfc4648_both_forms(void **state)
{
	char txt[16];
	uint8_t out[8];
	size_t i, n, len;

	(void)state;
	for (i = 0; i < NVEC; i++) {
		len = strlen(rfc4648[i].bin);
		assert_int_equal(codec_b64_encode(CODEC_B64_PADDED,
		    (const uint8_t *)rfc4648[i].bin, len, txt, sizeof(txt)), CK_OK);
		assert_string_equal(txt, rfc4648[i].padded);
		assert_int_equal(strlen(txt), CODEC_B64_LEN(len));
		assert_int_equal(codec_b64_encode(CODEC_B64_RAW,
		    (const uint8_t *)rfc4648[i].bin, len, txt, sizeof(txt)), CK_OK);
		assert_string_equal(txt, rfc4648[i].raw);
		assert_int_equal(strlen(txt), CODEC_B64RAW_LEN(len));

		assert_int_equal(codec_b64_decode(CODEC_B64_PADDED,
		    rfc4648[i].padded, strlen(rfc4648[i].padded), out,
		    sizeof(out), &n), CK_OK);
		assert_int_equal(n, len);
		assert_memory_equal(out, rfc4648[i].bin, len);
		assert_int_equal(codec_b64_decode(CODEC_B64_RAW, rfc4648[i].raw,
		    strlen(rfc4648[i].raw), out, sizeof(out), &n), CK_OK);
		assert_int_equal(n, len);
		assert_memory_equal(out, rfc4648[i].bin, len);
	}
	/* The encoder needs room for the NUL and refuses one byte less. */
	assert_int_equal(codec_b64_encode(CODEC_B64_RAW, (const uint8_t *)"f",
	    1, txt, 3), CK_OK);
	assert_int_equal(codec_b64_encode(CODEC_B64_RAW, (const uint8_t *)"f",
	    1, txt, 2), CK_ERR_INVALID_ARG);
	assert_int_equal(codec_b64_encode(CODEC_B64_PADDED, (const uint8_t *)"f",
	    1, txt, 4), CK_ERR_INVALID_ARG);
}

static void
b64_padding_is_strict_per_form(void **state)
{
	uint8_t out[8];
	size_t n;

	(void)state;
	/* Padded decoder: missing or short padding is an error. */
	assert_int_equal(codec_b64_decode(CODEC_B64_PADDED, "Zg", 2, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
	assert_int_equal(codec_b64_decode(CODEC_B64_PADDED, "Zg=", 3, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
	assert_int_equal(codec_b64_decode(CODEC_B64_PADDED, "Zm8==", 5, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
	assert_int_equal(codec_b64_decode(CODEC_B64_PADDED, "Z===", 4, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
	assert_int_equal(codec_b64_decode(CODEC_B64_PADDED, "Zg==Zg==", 8, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
	/* Raw decoder: any '=' is an error. */
	assert_int_equal(codec_b64_decode(CODEC_B64_RAW, "Zg==", 4, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
	assert_int_equal(codec_b64_decode(CODEC_B64_RAW, "Zm8=", 4, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
	/* A single leftover character cannot encode a byte. */
	assert_int_equal(codec_b64_decode(CODEC_B64_RAW, "Zm9vY", 5, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
	/* Bytes with the high bit set are no digits (libsodium 1.0.18 took them). */
	assert_int_equal(codec_b64_decode(CODEC_B64_PADDED, "Zm9\xf6", 4, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
	assert_int_equal(codec_b64_decode(CODEC_B64_RAW, "\xdam9v", 4, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
	/* Non-zero trailing bits: not the canonical encoding of any bytes. */
	assert_int_equal(codec_b64_decode(CODEC_B64_PADDED, "Zh==", 4, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
	assert_int_equal(codec_b64_decode(CODEC_B64_RAW, "Zm9", 3, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
}

static void
b64_rejects_bad_characters_and_wipes(void **state)
{
	static const char *bad[] = {
		"Zm9-", "Zm9_", "Zm 9v", "Zm9v\n", "Zm9v.", "Zm\xc3\xa9v",
	};
	uint8_t out[8];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 0xaa, sizeof(out));
		n = 99;
		assert_int_equal(codec_b64_decode(CODEC_B64_RAW, bad[i],
		    strlen(bad[i]), out, sizeof(out), &n), CK_ERR_ENCODING);
		assert_int_equal(n, 0);
		assert_true(all_zero(out, sizeof(out)));
	}
	assert_int_equal(codec_b64_decode(CODEC_B64_RAW, "Zm\0v", 4, out,
	    sizeof(out), &n), CK_ERR_ENCODING);
}

static void
b64_every_truncation_of_padded_fails(void **state)
{
	static const char full[] = "Zm9vYmE=";
	uint8_t out[8];
	size_t len, n;

	(void)state;
	for (len = 1; len < sizeof(full) - 1; len++)
		if (len % 4 != 0)
			assert_int_equal(codec_b64_decode(CODEC_B64_PADDED, full,
			    len, out, sizeof(out), &n), CK_ERR_ENCODING);
	assert_int_equal(codec_b64_decode(CODEC_B64_PADDED, full, 4, out,
	    sizeof(out), &n), CK_OK);
	assert_int_equal(n, 3);
}

static void
b64_bounds_and_exact_length(void **state)
{
	uint8_t out[6];
	size_t n;

	(void)state;
	assert_int_equal(codec_b64_decode(CODEC_B64_RAW, "Zm9vYmE", 7, out, 4,
	    &n), CK_ERR_TOO_LARGE);
	assert_int_equal(codec_b64_decode(CODEC_B64_RAW, "Zm9vYmE", 7, out, 5,
	    &n), CK_OK);
	assert_int_equal(codec_b64_decode_exact(CODEC_B64_PADDED, "Zm9vYmFy", 8,
	    out, 6), CK_OK);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(codec_b64_decode_exact(CODEC_B64_PADDED, "Zm9vYmE=", 8,
	    out, 6), CK_ERR_FORMAT);
	assert_int_equal(codec_b64_decode_exact(CODEC_B64_RAW, "Zm9vYmE", 7,
	    out, 6), CK_ERR_FORMAT);
	assert_int_equal(codec_b64_decode_exact(CODEC_B64_RAW, "Zm9vYm!y", 8,
	    out, 6), CK_ERR_ENCODING);
	/* Padding in the raw form is a bad character even where the length fits. */
	assert_int_equal(codec_b64_decode_exact(CODEC_B64_RAW, "Zm9vYmE=", 8,
	    out, 5), CK_ERR_ENCODING);
}

static void
decoders_write_into_secure_memory(void **state)
{
	uint8_t *sec;
	size_t n;

	(void)state;
	assert_non_null(sec = secmem_alloc(6));
	assert_int_equal(codec_b64_decode(CODEC_B64_RAW, "Zm9vYmFy", 8, sec, 6,
	    &n), CK_OK);
	assert_memory_equal(sec, "foobar", 6);
	assert_int_equal(codec_hex_decode_exact("666f6f626172", 12, sec, 6),
	    CK_OK);
	assert_memory_equal(sec, "foobar", 6);
	secmem_free(sec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hex_round_trip_and_case),
		cmocka_unit_test(hex_rejects_bad_input_and_wipes),
		cmocka_unit_test(hex_exact_length),
		cmocka_unit_test(b64_rfc4648_both_forms),
		cmocka_unit_test(b64_padding_is_strict_per_form),
		cmocka_unit_test(b64_rejects_bad_characters_and_wipes),
		cmocka_unit_test(b64_every_truncation_of_padded_fails),
		cmocka_unit_test(b64_bounds_and_exact_length),
		cmocka_unit_test(decoders_write_into_secure_memory),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
