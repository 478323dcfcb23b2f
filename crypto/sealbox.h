/*
 * X25519 sealed boxes (libsodium crypto_box_seal): anonymous encryption to
 * the bridge session's public key, used to carry each share across the
 * airgap so only that bridge process can open it. The session secret key
 * and every opened plaintext live in secmem memory.
 */
#ifndef CONCLAVE_SEALBOX_H
#define CONCLAVE_SEALBOX_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "crypto/reader.h"

#define SEALBOX_PK_LEN		crypto_box_PUBLICKEYBYTES	/* 32 */
#define SEALBOX_SK_LEN		crypto_box_SECRETKEYBYTES	/* 32 */
#define SEALBOX_OVERHEAD	crypto_box_SEALBYTES		/* 48 */
#define SEALBOX_MAX_PLAIN	65536	/* far above any share or token */

/*
 * A fresh key pair: the public key into pk, the secret key into a new
 * secmem block *skp of SEALBOX_SK_LEN bytes (free with secmem_free()).
 */
int sealbox_keypair(uint8_t pk[SEALBOX_PK_LEN], uint8_t **skp) CK_WUR;

/*
 * Seal len (0..SEALBOX_MAX_PLAIN) bytes to pk. out receives
 * len + SEALBOX_OVERHEAD bytes (outmax at least that); *outlen says how many.
 */
int sealbox_seal(const uint8_t *msg, size_t len,
    const uint8_t pk[SEALBOX_PK_LEN], uint8_t *out, size_t outmax,
    size_t *outlen) CK_WUR;

/*
 * Open a sealed box addressed to the key pair (pk, sk). *ptp receives a new
 * secmem block of *ptlen = ctlen - SEALBOX_OVERHEAD bytes plus a NUL
 * (so text secrets can be used as strings); free with secmem_free().
 * CK_ERR_TRUNCATED below SEALBOX_OVERHEAD bytes, CK_ERR_TOO_LARGE above
 * SEALBOX_MAX_PLAIN of plaintext, CK_ERR_DECRYPT for a box that was
 * altered or sealed to another key.
 */
int sealbox_open(const uint8_t *ct, size_t ctlen,
    const uint8_t pk[SEALBOX_PK_LEN], const uint8_t *sk, uint8_t **ptp,
    size_t *ptlen) CK_WUR;

#endif
