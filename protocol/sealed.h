/*
 * A share sealed to the bridge session (DESIGN §5, docs/ceremonies.md):
 * the one format both programs use to carry a decrypted share across the
 * airgap. The appliance seals, the bridge opens, right before the one
 * request that submits the share.
 *
 * Plaintext inside the X25519 sealed box (crypto/sealbox.h), big-endian:
 *   "CKSS" | u8 version=1 | ceremony id[16] | u64 seq |
 *   u8 nonce_len | nonce[nonce_len] | u8 share_len | share[share_len]
 * seq is the sequence number of the envelope that carries the box, nonce
 * the session offer's nonce (the server's operation nonce, or for unseal,
 * which has none, the bridge's own); share is the text the server takes
 * (66 hex digits for a Vault/OpenBao share). In an envelope the box is
 * standard padded base64.
 */
#ifndef CONCLAVE_SEALED_H
#define CONCLAVE_SEALED_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/reader.h"
#include "crypto/sealbox.h"
#include "protocol/envelope.h"

#define SEALED_MAGIC		"CKSS"
#define SEALED_MAGIC_BYTES	4
#define SEALED_VERSION		1
#define SEALED_NONCE_MAX	64	/* a go-uuid is 36 */
#define SEALED_SHARE_MAX	68	/* hex of a 33-byte share, or its base64 */
#define SEALED_PLAIN_MAX	(SEALED_MAGIC_BYTES + 1 + \
    ENVELOPE_CEREMONY_ID_BYTES + 8 + 1 + SEALED_NONCE_MAX + 1 + SEALED_SHARE_MAX)
#define SEALED_BOX_MAX		(SEALED_PLAIN_MAX + SEALBOX_OVERHEAD)
/* Base64 text of the largest box, plus NUL. */
#define SEALED_B64_MAX		(4 * ((SEALED_BOX_MAX + 2) / 3) + 1)

/*
 * Seal share[0..len) (hex or base64 characters, 1..SEALED_SHARE_MAX) to
 * box_pk, bound to the ceremony id, the carrying envelope's seq and the
 * offer's nonce (printable ASCII, 1..SEALED_NONCE_MAX). *b64 receives the
 * box as padded base64 (malloc'd; it is ciphertext). The plaintext is
 * assembled in secmem and wiped. CK_ERR_BAD_SHARE, CK_ERR_INVALID_ARG.
 */
int sealed_seal(const uint8_t box_pk[SEALBOX_PK_LEN],
    const uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], uint64_t seq,
    const char *nonce, const char *share, size_t len, char **b64) CK_WUR
    __attribute__((nonnull));

/*
 * Open one box with the session's key pair and check its binding, in this
 * order: base64 and size (CK_ERR_FORMAT, CK_ERR_TOO_LARGE), the box
 * (CK_ERR_DECRYPT: altered, or sealed to another session), magic and
 * version (CK_ERR_BAD_MAGIC, CK_ERR_BAD_VERSION), ceremony id
 * (CK_ERR_WRONG_CEREMONY), seq (CK_ERR_REPLAY when it names an earlier
 * envelope, CK_ERR_OUT_OF_ORDER a later one), nonce (CK_ERR_WRONG_NONCE),
 * layout (CK_ERR_TRUNCATED, CK_ERR_TRAILING), the share's characters
 * (CK_ERR_BAD_SHARE). On success *share is a NUL-terminated secmem block
 * of *len characters (secmem_free it as soon as it is submitted).
 */
int sealed_open(const uint8_t box_pk[SEALBOX_PK_LEN], const uint8_t *box_sk,
    const uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], uint64_t seq,
    const char *nonce, const char *b64, char **share, size_t *len) CK_WUR
    __attribute__((nonnull));

#endif
