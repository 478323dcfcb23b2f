/*
 * Sealed boxes on libsodium. Limits: plaintext at most SEALBOX_MAX_PLAIN
 * bytes, so an opened box never asks for more secure memory than that.
 */
#include "crypto/sealbox.h"

#include "crypto/errors.h"
#include "crypto/secmem.h"

int
sealbox_keypair(uint8_t pk[SEALBOX_PK_LEN], uint8_t **skp)
{
	uint8_t *sk = NULL;
	int r = CK_ERR_INTERNAL;

	if (skp != NULL)
		*skp = NULL;
	if (pk == NULL || skp == NULL)
		return CK_ERR_INVALID_ARG;
	if ((sk = secmem_alloc(SEALBOX_SK_LEN)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if (crypto_box_keypair(pk, sk) != 0) {
		r = CK_ERR_CRYPTO;
		goto out;
	}
	*skp = sk;
	sk = NULL;
	r = CK_OK;
 out:
	secmem_free(sk);
	return r;
}

int
sealbox_seal(const uint8_t *msg, size_t len, const uint8_t pk[SEALBOX_PK_LEN],
    uint8_t *out, size_t outmax, size_t *outlen)
{
	if (outlen != NULL)
		*outlen = 0;
	if ((msg == NULL && len > 0) || pk == NULL || out == NULL ||
	    outlen == NULL || len > SEALBOX_MAX_PLAIN ||
	    outmax < len + SEALBOX_OVERHEAD)
		return CK_ERR_INVALID_ARG;
	if (crypto_box_seal(out, msg, len, pk) != 0)
		return CK_ERR_CRYPTO;
	*outlen = len + SEALBOX_OVERHEAD;
	return CK_OK;
}

int
sealbox_open(const uint8_t *ct, size_t ctlen, const uint8_t pk[SEALBOX_PK_LEN],
    const uint8_t *sk, uint8_t **ptp, size_t *ptlen)
{
	uint8_t *pt = NULL;
	size_t len;
	int r = CK_ERR_INTERNAL;

	if (ptp != NULL)
		*ptp = NULL;
	if (ptlen != NULL)
		*ptlen = 0;
	if (ct == NULL || pk == NULL || sk == NULL || ptp == NULL ||
	    ptlen == NULL)
		return CK_ERR_INVALID_ARG;
	if (ctlen < SEALBOX_OVERHEAD)
		return CK_ERR_TRUNCATED;
	len = ctlen - SEALBOX_OVERHEAD;
	if (len > SEALBOX_MAX_PLAIN)
		return CK_ERR_TOO_LARGE;
	if ((pt = secmem_alloc(len + 1)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if (crypto_box_seal_open(pt, ct, ctlen, pk, sk) != 0) {
		r = CK_ERR_DECRYPT;
		goto out;
	}
	pt[len] = '\0';
	*ptp = pt;
	*ptlen = len;
	pt = NULL;
	r = CK_OK;
 out:
	secmem_free(pt);
	return r;
}
