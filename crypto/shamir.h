/*
 * Shamir secret sharing, byte-compatible with Vault and OpenBao
 * (sdk/helper/shamir): GF(2^8) with the AES polynomial 0x11B, one random
 * polynomial per secret byte, every share laid out as y[0..L-1] followed by
 * its x-coordinate as the last byte (so an unseal-key share is 33 bytes).
 * Shares split here combine on the server and the other way round.
 *
 * Field arithmetic is constant-time (bit-serial multiply, inverse as
 * a^254), and every buffer that holds a secret or a share is secmem memory.
 */
#ifndef CONCLAVE_SHAMIR_H
#define CONCLAVE_SHAMIR_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/reader.h"

#define SHAMIR_MAX_PARTS	255	/* distinct non-zero x in GF(2^8) */
#define SHAMIR_MAX_SECRET	256	/* bytes; unseal/recovery keys are 32 */
#define SHAMIR_OVERHEAD		1	/* the trailing x byte */
#define SHAMIR_KEY_LEN		32	/* Vault/OpenBao unseal or recovery key */
#define SHAMIR_KEY_SHARE_LEN	(SHAMIR_KEY_LEN + SHAMIR_OVERHEAD)
#define SHAMIR_KEY_SHARE_HEX	(2 * SHAMIR_KEY_SHARE_LEN)	/* 66 */

/* One share as given to combine: len bytes, the last one being x. */
struct shamir_part {
	const uint8_t *p;
	size_t len;
};

/* GF(2^8) product and quotient; shamir_gf_div(a, 0) is 0 (never needed). */
uint8_t shamir_gf_mul(uint8_t a, uint8_t b);
uint8_t shamir_gf_div(uint8_t a, uint8_t b);

/*
 * Split len bytes (1..SHAMIR_MAX_SECRET) into n shares of which any t
 * recombine, 2 <= t <= n <= 255. Coefficients come from the CSPRNG and
 * x-coordinates are the first n of a Fisher-Yates shuffle of 1..255 (as
 * OpenBao does), so they are distinct, non-zero and unordered. On success
 * *sharesp is one secmem block of n * (len + 1) bytes, share i at
 * *sharesp + i * (len + 1); free it with secmem_free().
 */
int shamir_split(const uint8_t *secret, size_t len, unsigned t, unsigned n,
    uint8_t **sharesp) CK_WUR;

/*
 * The evaluation behind shamir_split with the randomness supplied, so
 * known-answer tests exercise the same code: xs holds n distinct non-zero
 * x-coordinates, coeffs holds len * (t - 1) bytes with c_jk (the
 * coefficient of z^k in the polynomial of secret byte j, k = 1..t-1) at
 * coeffs[j * (t - 1) + k - 1]. Shares go to out (n * (len + 1) bytes,
 * laid out as above). Production code calls shamir_split().
 */
int shamir_split_coeffs(const uint8_t *secret, size_t len, unsigned t,
    unsigned n, const uint8_t *xs, const uint8_t *coeffs, uint8_t *out) CK_WUR;

/*
 * Lagrange interpolation at 0 over nparts shares; *secretp gets a secmem
 * block of (part length - 1) bytes, *secretlen its length. Like Vault's
 * Combine it needs no threshold: given fewer than t shares it returns a
 * wrong secret, which only the server (or shamir_check_consistent) can
 * tell. Errors: CK_ERR_SHAMIR for fewer than 2 parts, CK_ERR_BAD_SHARE for
 * unequal lengths, parts under 2 bytes or x = 0, CK_ERR_DUPLICATE_SHARE for
 * a repeated x.
 */
int shamir_combine(const struct shamir_part *parts, size_t nparts,
    uint8_t **secretp, size_t *secretlen) CK_WUR;

/*
 * Whether all n shares lie on one set of polynomials of degree t - 1, i.e.
 * come from one split with threshold t: the first t shares are
 * interpolated at every other share's x and must give its y exactly. This
 * is the rekey "all-shares check". CK_ERR_SHAMIR when a share is off the
 * polynomial, CK_ERR_INVALID_ARG unless 2 <= t <= n, and combine's errors
 * for malformed parts. With n == t every set is consistent.
 */
int shamir_check_consistent(const struct shamir_part *parts, size_t n,
    unsigned t) CK_WUR;

/*
 * The text form of an unseal/recovery key share, as `sys/init` returns it
 * in `keys` and as a holder's PGP decryption yields it: exactly 66
 * lowercase hex digits. Decodes into out (33 bytes; secmem). CK_ERR_BAD_SHARE
 * for another length or an x-tag of 0, CK_ERR_ENCODING for anything but
 * [0-9a-f]. Callers check that x-tags (out[32]) are distinct.
 */
int shamir_share_from_hex(const char *hex, size_t hexlen,
    uint8_t out[SHAMIR_KEY_SHARE_LEN]) CK_WUR;

#endif
