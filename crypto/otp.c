/*
 * OTP generation and encoded_token decoding. Limits: OTP and token
 * 1..OTP_MAX_LEN bytes; encoded_token exactly CODEC_B64RAW_LEN(otp length)
 * characters. Secret-dependent steps (base62 mapping, alphabet and
 * printable checks, XOR) do not branch on the secret.
 */
#include "crypto/otp.h"

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"

#define OTP_REJECT	248	/* 4 * 62: bytes at or above it would bias b % 62 */

/* All-ones when lo <= v <= hi, else 0, without a branch. */
static unsigned
in_range(unsigned v, unsigned lo, unsigned hi)
{
	return 0u - (unsigned)((v - lo) <= (hi - lo));
}

/* OTP_ALPHABET[v] for v < 62, as arithmetic rather than a table index. */
static char
base62_char(unsigned v)
{
	unsigned c = v + 'A';

	c += in_range(v, 26, 51) & ('a' - 'A' - 26);
	c += in_range(v, 52, 61) & (unsigned)('0' - 'A' - 52);
	return (char)c;
}

/* 0 when every byte is base62, non-zero otherwise. */
static unsigned
not_base62(const char *s, size_t len)
{
	unsigned bad = 0, c, ok;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (uint8_t)s[i];
		ok = in_range(c, 'A', 'Z') | in_range(c, 'a', 'z') |
		    in_range(c, '0', '9');
		bad |= ~ok & 1u;
	}
	return bad;
}

/* 0 when every byte is in 0x21..0x7e, non-zero otherwise. */
static unsigned
not_graphic(const uint8_t *s, size_t len)
{
	unsigned bad = 0;
	size_t i;

	for (i = 0; i < len; i++)
		bad |= ~in_range(s[i], 0x21, 0x7e) & 1u;
	return bad;
}

int
otp_generate(size_t len, char **otpp)
{
	uint8_t rnd[OTP_MAX_LEN];
	char *otp = NULL;
	size_t have = 0, i;
	int r = CK_ERR_INTERNAL;

	if (otpp != NULL)
		*otpp = NULL;
	if (otpp == NULL || len < 1 || len > OTP_MAX_LEN)
		return CK_ERR_INVALID_ARG;
	if ((otp = secmem_alloc(len + 1)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	while (have < len) {
		randombytes_buf(rnd, sizeof(rnd));
		for (i = 0; i < sizeof(rnd) && have < len; i++)
			if (rnd[i] < OTP_REJECT)
				otp[have++] = base62_char(rnd[i] % 62);
	}
	otp[len] = '\0';
	*otpp = otp;
	otp = NULL;
	r = CK_OK;
 out:
	sodium_memzero(rnd, sizeof(rnd));
	secmem_free(otp);
	return r;
}

int
otp_encode_token(const char *token, size_t token_len, const char *otp,
    size_t otp_len, char *out, size_t outmax)
{
	uint8_t x[OTP_MAX_LEN];
	size_t i;
	int r = CK_ERR_INTERNAL;

	if (token == NULL || otp == NULL || out == NULL || otp_len < 1 ||
	    otp_len > OTP_MAX_LEN || token_len != otp_len)
		return CK_ERR_INVALID_ARG;
	if (not_base62(otp, otp_len) != 0)
		return CK_ERR_ENCODING;
	if (not_graphic((const uint8_t *)token, token_len) != 0)
		return CK_ERR_NOT_PRINTABLE;
	for (i = 0; i < otp_len; i++)
		x[i] = (uint8_t)token[i] ^ (uint8_t)otp[i];
	r = codec_b64_encode(CODEC_B64_RAW, x, otp_len, out, outmax);
	sodium_memzero(x, sizeof(x));
	return r;
}

int
otp_decode_token(const char *encoded, size_t enc_len, const char *otp,
    size_t otp_len, char **tokenp)
{
	uint8_t *tok = NULL;
	size_t i;
	int r = CK_ERR_INTERNAL;

	if (tokenp != NULL)
		*tokenp = NULL;
	if (encoded == NULL || otp == NULL || tokenp == NULL || otp_len < 1 ||
	    otp_len > OTP_MAX_LEN)
		return CK_ERR_INVALID_ARG;
	if (not_base62(otp, otp_len) != 0)
		return CK_ERR_ENCODING;
	if ((tok = secmem_alloc(otp_len + 1)) == NULL)
		return CK_ERR_ALLOC;
	if ((r = codec_b64_decode_exact(CODEC_B64_RAW, encoded, enc_len, tok,
	    otp_len)) != CK_OK)
		goto out;
	for (i = 0; i < otp_len; i++)
		tok[i] ^= (uint8_t)otp[i];
	if (not_graphic(tok, otp_len) != 0) {
		r = CK_ERR_NOT_PRINTABLE;
		goto out;
	}
	tok[otp_len] = '\0';
	*tokenp = (char *)tok;
	tok = NULL;
	r = CK_OK;
 out:
	secmem_free(tok);
	return r;
}
