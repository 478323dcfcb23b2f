/*
 * Hex and base64 through libsodium's constant-time codecs. Input limits are
 * the caller's: a decoder never writes more than outmax bytes and measures
 * the decoded length from the input length and its padding (both public)
 * before decoding, so an oversized input is CK_ERR_TOO_LARGE, not a partial
 * write.
 */
#include "crypto/codec.h"

#include <sodium.h>

#include "crypto/errors.h"

static int
sodium_variant(enum codec_b64 form)
{
	return form == CODEC_B64_PADDED ? sodium_base64_VARIANT_ORIGINAL :
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
}

int
codec_hex_encode(const uint8_t *bin, size_t len, char *out, size_t outmax)
{
	if (bin == NULL || out == NULL || len > (SIZE_MAX - 1) / 2 ||
	    outmax < CODEC_HEX_LEN(len) + 1)
		return CK_ERR_INVALID_ARG;
	sodium_bin2hex(out, outmax, bin, len);
	return CK_OK;
}

int
codec_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	size_t n = 0;
	int r = CK_ERR_INTERNAL;

	if (outlen != NULL)
		*outlen = 0;
	if (hex == NULL || out == NULL || outlen == NULL)
		return CK_ERR_INVALID_ARG;
	if (hexlen % 2 != 0) {
		r = CK_ERR_ENCODING;
		goto out;
	}
	if (hexlen / 2 > outmax) {
		r = CK_ERR_TOO_LARGE;
		goto out;
	}
	/* No ignore set, no end pointer: every character must be a digit. */
	if (sodium_hex2bin(out, outmax, hex, hexlen, NULL, &n, NULL) != 0 ||
	    n != hexlen / 2) {
		r = CK_ERR_ENCODING;
		goto out;
	}
	*outlen = n;
	r = CK_OK;
 out:
	if (r != CK_OK)
		sodium_memzero(out, outmax);
	return r;
}

int
codec_hex_decode_exact(const char *hex, size_t hexlen, uint8_t *out,
    size_t outlen)
{
	size_t n;

	if (hex == NULL || out == NULL)
		return CK_ERR_INVALID_ARG;
	if (outlen > SIZE_MAX / 2 || hexlen != CODEC_HEX_LEN(outlen)) {
		sodium_memzero(out, outlen);
		return CK_ERR_FORMAT;
	}
	return codec_hex_decode(hex, hexlen, out, outlen, &n);
}

int
codec_b64_encode(enum codec_b64 form, const uint8_t *bin, size_t len,
    char *out, size_t outmax)
{
	if (bin == NULL || out == NULL || len > SIZE_MAX / 2 ||
	    outmax < sodium_base64_ENCODED_LEN(len, sodium_variant(form)))
		return CK_ERR_INVALID_ARG;
	sodium_bin2base64(out, outmax, bin, len, sodium_variant(form));
	return CK_OK;
}

/*
 * Bytes a well-formed input of this length decodes to, or 0 with
 * CK_ERR_ENCODING when no valid input has that length.
 */
static int
b64_decoded_len(enum codec_b64 form, const char *b64, size_t b64len,
    size_t *n)
{
	size_t pad = 0;

	*n = 0;
	if (form == CODEC_B64_PADDED) {
		if (b64len % 4 != 0)
			return CK_ERR_ENCODING;
		while (pad < 2 && pad < b64len && b64[b64len - 1 - pad] == '=')
			pad++;
		*n = b64len / 4 * 3 - pad;
	} else {
		/* Padding given to the raw form is a bad character, not a length. */
		if (b64len % 4 == 1 || (b64len > 0 && b64[b64len - 1] == '='))
			return CK_ERR_ENCODING;
		*n = b64len / 4 * 3 + (b64len % 4 == 0 ? 0 : b64len % 4 - 1);
	}
	return CK_OK;
}

int
codec_b64_decode(enum codec_b64 form, const char *b64, size_t b64len,
    uint8_t *out, size_t outmax, size_t *outlen)
{
	size_t i, want, n = 0;
	unsigned hi = 0;
	int r = CK_ERR_INTERNAL;

	if (outlen != NULL)
		*outlen = 0;
	if (b64 == NULL || out == NULL || outlen == NULL)
		return CK_ERR_INVALID_ARG;
	if ((r = b64_decoded_len(form, b64, b64len, &want)) != CK_OK)
		goto out;
	/*
	 * libsodium 1.0.18 decodes a byte with the high bit set as if it were
	 * a base64 digit, so one text could decode two ways; refuse them,
	 * without branching on each character.
	 */
	for (i = 0; i < b64len; i++)
		hi |= (unsigned char)b64[i];
	if ((hi & 0x80) != 0) {
		r = CK_ERR_ENCODING;
		goto out;
	}
	if (want > outmax) {
		r = CK_ERR_TOO_LARGE;
		goto out;
	}
	/*
	 * No ignore set and no end pointer: libsodium then insists on the
	 * whole input, on the form's padding and on zero trailing bits.
	 */
	if (sodium_base642bin(out, outmax, b64, b64len, NULL, &n, NULL,
	    sodium_variant(form)) != 0 || n != want) {
		r = CK_ERR_ENCODING;
		goto out;
	}
	*outlen = n;
	r = CK_OK;
 out:
	if (r != CK_OK)
		sodium_memzero(out, outmax);
	return r;
}

int
codec_b64_decode_exact(enum codec_b64 form, const char *b64, size_t b64len,
    uint8_t *out, size_t outlen)
{
	size_t want, n;

	if (b64 == NULL || out == NULL)
		return CK_ERR_INVALID_ARG;
	/* A length no input of this form can have is left to the decoder. */
	if (b64_decoded_len(form, b64, b64len, &want) == CK_OK &&
	    want != outlen) {
		sodium_memzero(out, outlen);
		return CK_ERR_FORMAT;
	}
	return codec_b64_decode(form, b64, b64len, out, outlen, &n);
}
