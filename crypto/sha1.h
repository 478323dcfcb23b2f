/*
 * SHA-1 (FIPS 180-4), for one job only: the OpenPGP v4 fingerprint
 * (RFC 9580 §5.5.4), which is defined as SHA-1 and which the bridge must
 * compute without gpgme (crypto/pgppkt.h). Not for anything that needs
 * collision resistance of its own; libsodium has no SHA-1.
 */
#ifndef CONCLAVE_SHA1_H
#define CONCLAVE_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_BYTES	20

struct sha1 {
	uint32_t h[5];
	uint64_t bytes;
	uint8_t buf[64];
	size_t used;
};

void sha1_init(struct sha1 *c);
void sha1_update(struct sha1 *c, const void *data, size_t len);
void sha1_final(struct sha1 *c, uint8_t out[SHA1_BYTES]);

#endif
