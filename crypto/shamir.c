/*
 * Vault/OpenBao Shamir (vault-openbao-api.md section 5). Limits: at most
 * SHAMIR_MAX_PARTS shares and SHAMIR_MAX_SECRET secret bytes; combine takes
 * any number of equal-length parts with distinct non-zero x.
 */
#include "crypto/shamir.h"

#include <string.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"

/*
 * Bit-serial multiply modulo x^8+x^4+x^3+x+1, most significant bit of b
 * first, with masks instead of branches (the form of OpenBao's mult()).
 */
uint8_t
shamir_gf_mul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;
	int i;

	for (i = 7; i >= 0; i--)
		r = (uint8_t)((-(uint8_t)((b >> i) & 1) & a) ^
		    (-(uint8_t)(r >> 7) & 0x1b) ^ (uint8_t)(r + r));
	return r;
}

/* a^254 = a^-1 (and 0 for 0) by the same 11-multiplication chain as OpenBao. */
static uint8_t
gf_inv(uint8_t a)
{
	uint8_t b, c;

	b = shamir_gf_mul(a, a);	/* a^2 */
	c = shamir_gf_mul(a, b);	/* a^3 */
	b = shamir_gf_mul(c, c);	/* a^6 */
	b = shamir_gf_mul(b, b);	/* a^12 */
	c = shamir_gf_mul(b, c);	/* a^15 */
	b = shamir_gf_mul(b, b);	/* a^24 */
	b = shamir_gf_mul(b, b);	/* a^48 */
	b = shamir_gf_mul(b, c);	/* a^63 */
	b = shamir_gf_mul(b, b);	/* a^126 */
	b = shamir_gf_mul(a, b);	/* a^127 */
	return shamir_gf_mul(b, b);	/* a^254 */
}

uint8_t
shamir_gf_div(uint8_t a, uint8_t b)
{
	return shamir_gf_mul(a, gf_inv(b));
}

/* Horner's rule for P(x) = c[0] + c[1] x + ... + c[deg] x^deg. */
static uint8_t
poly_eval(uint8_t c0, const uint8_t *c, unsigned deg, uint8_t x)
{
	uint8_t y = 0;
	unsigned k;

	for (k = deg; k >= 1; k--)
		y = shamir_gf_mul(y, x) ^ c[k - 1];
	return shamir_gf_mul(y, x) ^ c0;
}

int
shamir_split_coeffs(const uint8_t *secret, size_t len, unsigned t,
    unsigned n, const uint8_t *xs, const uint8_t *coeffs, uint8_t *out)
{
	unsigned i, k;
	size_t j;

	if (secret == NULL || xs == NULL || coeffs == NULL || out == NULL ||
	    len < 1 || len > SHAMIR_MAX_SECRET || t < 2 || t > n ||
	    n > SHAMIR_MAX_PARTS)
		return CK_ERR_INVALID_ARG;
	for (i = 0; i < n; i++) {
		if (xs[i] == 0)
			return CK_ERR_INVALID_ARG;
		for (k = 0; k < i; k++)
			if (xs[k] == xs[i])
				return CK_ERR_INVALID_ARG;
	}
	for (i = 0; i < n; i++) {
		uint8_t *share = out + (size_t)i * (len + SHAMIR_OVERHEAD);

		for (j = 0; j < len; j++)
			share[j] = poly_eval(secret[j], coeffs + j * (t - 1),
			    t - 1, xs[i]);
		share[len] = xs[i];
	}
	return CK_OK;
}

int
shamir_split(const uint8_t *secret, size_t len, unsigned t, unsigned n,
    uint8_t **sharesp)
{
	uint8_t perm[SHAMIR_MAX_PARTS], *coeffs = NULL, *shares = NULL, tmp;
	unsigned i, j;
	int r = CK_ERR_INTERNAL;

	if (sharesp != NULL)
		*sharesp = NULL;
	if (secret == NULL || sharesp == NULL || len < 1 ||
	    len > SHAMIR_MAX_SECRET || t < 2 || t > n || n > SHAMIR_MAX_PARTS)
		return CK_ERR_INVALID_ARG;
	/* Fisher-Yates over 1..255; the first n entries are the x values. */
	for (i = 0; i < SHAMIR_MAX_PARTS; i++)
		perm[i] = (uint8_t)(i + 1);
	for (i = SHAMIR_MAX_PARTS - 1; i > 0; i--) {
		j = randombytes_uniform(i + 1);
		tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
	if ((coeffs = secmem_alloc(len * (t - 1))) == NULL ||
	    (shares = secmem_alloc((size_t)n * (len + SHAMIR_OVERHEAD))) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	randombytes_buf(coeffs, len * (t - 1));
	if ((r = shamir_split_coeffs(secret, len, t, n, perm, coeffs,
	    shares)) != CK_OK)
		goto out;
	*sharesp = shares;
	shares = NULL;
	r = CK_OK;
 out:
	secmem_free(coeffs);
	secmem_free(shares);
	return r;
}

/* The checks of Vault's Combine, plus x != 0 (no split produces it). */
static int
check_parts(const struct shamir_part *parts, size_t nparts)
{
	size_t i, k;

	if (parts == NULL || nparts < 2)
		return CK_ERR_SHAMIR;
	for (i = 0; i < nparts; i++) {
		if (parts[i].p == NULL || parts[i].len < 2 ||
		    parts[i].len != parts[0].len ||
		    parts[i].p[parts[i].len - 1] == 0)
			return CK_ERR_BAD_SHARE;
		for (k = 0; k < i; k++)
			if (parts[k].p[parts[k].len - 1] ==
			    parts[i].p[parts[i].len - 1])
				return CK_ERR_DUPLICATE_SHARE;
	}
	return CK_OK;
}

/*
 * Lagrange interpolation of the first k parts at x0, every byte at once:
 * out = sum_i y_i * prod_{j != i} (x0 - x_j) / (x_i - x_j). out has
 * parts[0].len - 1 bytes.
 */
static void
interpolate(const struct shamir_part *parts, size_t k, uint8_t x0,
    uint8_t *out)
{
	size_t i, j, b, ylen = parts[0].len - SHAMIR_OVERHEAD;
	uint8_t xi, xj, basis;

	memset(out, 0, ylen);
	for (i = 0; i < k; i++) {
		xi = parts[i].p[ylen];
		basis = 1;
		for (j = 0; j < k; j++) {
			if (j == i)
				continue;
			xj = parts[j].p[ylen];
			basis = shamir_gf_mul(basis,
			    shamir_gf_div(x0 ^ xj, xi ^ xj));
		}
		for (b = 0; b < ylen; b++)
			out[b] ^= shamir_gf_mul(basis, parts[i].p[b]);
	}
}

int
shamir_combine(const struct shamir_part *parts, size_t nparts,
    uint8_t **secretp, size_t *secretlen)
{
	uint8_t *secret = NULL;
	int r = CK_ERR_INTERNAL;

	if (secretp != NULL)
		*secretp = NULL;
	if (secretlen != NULL)
		*secretlen = 0;
	if (secretp == NULL || secretlen == NULL)
		return CK_ERR_INVALID_ARG;
	if ((r = check_parts(parts, nparts)) != CK_OK)
		goto out;
	if ((secret = secmem_alloc(parts[0].len - SHAMIR_OVERHEAD)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	interpolate(parts, nparts, 0, secret);
	*secretlen = parts[0].len - SHAMIR_OVERHEAD;
	*secretp = secret;
	secret = NULL;
	r = CK_OK;
 out:
	secmem_free(secret);
	return r;
}

int
shamir_check_consistent(const struct shamir_part *parts, size_t n, unsigned t)
{
	uint8_t *y = NULL;
	size_t i, ylen;
	int r = CK_ERR_INTERNAL;

	if (t < 2 || t > n)
		return CK_ERR_INVALID_ARG;
	if ((r = check_parts(parts, n)) != CK_OK)
		return r;
	ylen = parts[0].len - SHAMIR_OVERHEAD;
	if ((y = secmem_alloc(ylen)) == NULL)
		return CK_ERR_ALLOC;
	r = CK_OK;
	for (i = t; i < n; i++) {
		interpolate(parts, t, parts[i].p[ylen], y);
		if (sodium_memcmp(y, parts[i].p, ylen) != 0)
			r = CK_ERR_SHAMIR;
	}
	secmem_free(y);
	return r;
}

int
shamir_share_from_hex(const char *hex, size_t hexlen,
    uint8_t out[SHAMIR_KEY_SHARE_LEN])
{
	unsigned upper = 0;
	size_t i;
	int r;

	if (hex == NULL || out == NULL)
		return CK_ERR_INVALID_ARG;
	if (hexlen != SHAMIR_KEY_SHARE_HEX)
		return CK_ERR_BAD_SHARE;
	/* Servers write lowercase; counted without branching on the digits. */
	for (i = 0; i < hexlen; i++)
		upper |= (unsigned)((uint8_t)hex[i] - 'A') < 26u;
	if (upper != 0)
		return CK_ERR_ENCODING;
	if ((r = codec_hex_decode_exact(hex, hexlen, out,
	    SHAMIR_KEY_SHARE_LEN)) != CK_OK)
		return r;
	if (out[SHAMIR_KEY_SHARE_LEN - 1] == 0) {
		secmem_wipe(out, SHAMIR_KEY_SHARE_LEN);
		return CK_ERR_BAD_SHARE;
	}
	return CK_OK;
}
