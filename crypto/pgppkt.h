/*
 * OpenPGP packets read without any key (RFC 9580 §4-5), for the two
 * questions gpgme cannot answer before a decryption:
 *   - which key ids an encrypted share or token names in its PKESK packets
 *     (the appliance checks share i against holder i's encryption subkey
 *     BEFORE anyone decrypts), and
 *   - when each subkey of a public key was last bound (the creation time of
 *     its newest binding signature), which is how OpenBao's go-crypto ranks
 *     encryption subkeys (vault-openbao-api.md §7);
 * and, without a GnuPG home, which key a holder's secret key file brings.
 * Signatures are not verified here: gpg verified the key on import, and a
 * forged binding can only make a prediction wrong, which the PKESK check
 * then catches.
 */
#ifndef CONCLAVE_PGPPKT_H
#define CONCLAVE_PGPPKT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/reader.h"

#define PGPPKT_KEYID_LEN	16	/* key id, lowercase hex */
#define PGPPKT_MSG_MAX	(64 * 1024)	/* an encrypted share or token */
#define PGPPKT_KEY_MAX	(256 * 1024)	/* one exported public key */
#define PGPPKT_RECIPIENTS_MAX	16	/* PKESK packets in one message */
#define PGPPKT_SUBKEYS_MAX	32	/* subkeys of one key */
#define PGPPKT_PACKETS_MAX	4096	/* packets in one message or key */
#define PGPPKT_PARTIAL_MAX	4096	/* partial-length chunks per packet */
#define PGPPKT_FPR_BYTES	20	/* v4 fingerprint */
#define PGPPKT_KEYS_MAX	8	/* primary keys in one secret key file */
#define PGPPKT_ARMOR_MAX	(PGPPKT_KEY_MAX / 3 * 4 + 4096)	/* armored key file */

/* Key ids named by an encrypted message's PKESK packets, in order. */
struct pgppkt_recipients {
	size_t n;
	char keyid[PGPPKT_RECIPIENTS_MAX][PGPPKT_KEYID_LEN + 1];
	uint8_t algo[PGPPKT_RECIPIENTS_MAX];	/* OpenPGP public-key algorithm */
};

/* The subkeys of one transferable public key, in packet order. */
struct pgppkt_subkeys {
	size_t n;
	struct {
		uint32_t created;	/* the subkey packet's creation time */
		uint32_t bound;	/* newest binding signature (0x18); 0: none */
		uint8_t algo;
	} k[PGPPKT_SUBKEYS_MAX];
};

/*
 * PKESK recipients of a binary OpenPGP message: ESK packets (PKESK v3
 * only) followed by exactly one integrity-protected data packet (SEIPD or
 * AEAD), and nothing after. Old and new packet headers, partial lengths on
 * the data packet. CK_ERR_UNSUPPORTED for SKESK, unprotected data (SED) or
 * PKESK v6; CK_ERR_FORMAT for anything else out of place.
 */
int pgppkt_recipients(const void *msg, size_t len,
    struct pgppkt_recipients *out) CK_WUR __attribute__((nonnull));

/*
 * Subkeys of a binary transferable public key (one key: a second primary
 * key packet is CK_ERR_TRAILING), with the creation time of each one's
 * newest binding signature.
 */
int pgppkt_subkeys(const void *key, size_t len, struct pgppkt_subkeys *out)
    CK_WUR __attribute__((nonnull));

/*
 * A public key file as holders export it (gpg --export, with or without
 * --armor) as the binary key: binary input (first octet with bit 7 set)
 * is copied; armored text (RFC 9580 §6.2) must be one "PUBLIC KEY BLOCK":
 * BEGIN line, armor headers, an empty line, base64 lines, an optional
 * CRC-24 line (checked when present: CK_ERR_CRYPTO on a mismatch), END
 * line; text outside the block is ignored, as gpg does. outmax >=
 * PGPPKT_KEY_MAX. CK_ERR_FORMAT for anything else, CK_ERR_TOO_LARGE past
 * PGPPKT_ARMOR_MAX bytes of input or outmax bytes of key.
 */
int pgppkt_dearmor_key(const void *in, size_t len, uint8_t *out,
    size_t outmax, size_t *outlen) CK_WUR __attribute__((nonnull));

/*
 * The v4 fingerprint of a binary key's primary key (its first packet, a
 * public-key packet): SHA-1 of 0x99, the body's two-octet length and the
 * body (RFC 9580 §5.5.4). The rest of the key is not read. v6 keys:
 * CK_ERR_UNSUPPORTED (the roster holds v4 fingerprints); v3 or unknown:
 * CK_ERR_BAD_VERSION; CK_ERR_FORMAT when the first packet is not a key.
 */
int pgppkt_fingerprint(const void *key, size_t len,
    uint8_t fpr[PGPPKT_FPR_BYTES]) CK_WUR __attribute__((nonnull));

/* The v4 fingerprints of the primary keys in a secret key file. */
struct pgppkt_fprs {
	size_t n;
	uint8_t fpr[PGPPKT_KEYS_MAX][PGPPKT_FPR_BYTES];
};

/*
 * The keys a holder's secret key file brings (gpg --export-secret-keys,
 * binary, or armored as one "PRIVATE KEY BLOCK" read as pgppkt_dearmor_key
 * reads a public one), without importing it: every secret-key packet
 * (tag 5) starts a key, and its fingerprint is the v4 fingerprint of the
 * public part the packet begins with (RFC 9580 §5.5.3), which is the
 * public key's. The protected part (S2K, key material) is not read,
 * passphrase or none. Each key once, in file order. CK_ERR_FORMAT when the
 * file does not start with a secret key or holds a public-key packet;
 * CK_ERR_UNSUPPORTED for a v6 key or a primary whose algorithm cannot sign
 * (RSA, DSA, ECDSA, EdDSA, Ed25519 and Ed448 can);
 * CK_ERR_BAD_VERSION for v3 or unknown versions; CK_ERR_TOO_LARGE past
 * PGPPKT_KEYS_MAX keys or PGPPKT_ARMOR_MAX bytes. The armor's decoded
 * copies are wiped before they are freed.
 */
int pgppkt_secret_fprs(const void *file, size_t len, struct pgppkt_fprs *out)
    CK_WUR __attribute__((nonnull));

/*
 * pgppkt_secret_fprs on an open key file of size bytes: the parser child
 * reads and parses it when one is installed (stick bytes are untrusted),
 * else it is read here into secure memory (an unprotected secret key is a
 * secret). The caller closes fd.
 */
int pgppkt_keyfile_fprs(int fd, size_t size, struct pgppkt_fprs *out)
    CK_WUR __attribute__((nonnull));

/*
 * Where pgppkt_recipients, pgppkt_subkeys and pgppkt_keyfile_fprs run.
 * NULL members (the default) parse in this process; the appliance's
 * monitor installs its parser child's client (appliance/monitor.h), which
 * answers exactly as they do (keyfile: the child reads the file it is
 * handed).
 */
struct pgppkt_isolation {
	int (*recipients)(const void *msg, size_t len,
	    struct pgppkt_recipients *out);
	int (*subkeys)(const void *key, size_t len, struct pgppkt_subkeys *out);
	int (*keyfile)(int fd, struct pgppkt_fprs *out);
};
void pgppkt_set_isolation(const struct pgppkt_isolation *iso);

#endif
