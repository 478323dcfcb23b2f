/*
 * minisign's public-key and signature formats (https://jedisct1.github.io/
 * minisign/), so that stock `minisign -V` verifies what conclave signs and
 * conclave verifies what stock minisign signs.
 *
 * Public key (.pub file, two lines):
 *   untrusted comment: <text>
 *   base64("Ed" || key id[8] || Ed25519 public key[32])
 * Signature (.minisig file, four lines):
 *   untrusted comment: <text>
 *   base64("ED" || key id[8] || Ed25519 sig over BLAKE2b-512(file)[64])
 *   trusted comment: <text>
 *   base64(Ed25519 sig over (the 64-byte signature || trusted comment))
 *
 * Only the prehashed "ED" algorithm is produced and accepted (minisign's
 * default since 0.11); legacy "Ed" signatures get CK_ERR_UNSUPPORTED.
 * Nothing here is secret except the signing key, which the caller owns
 * (secmem memory) and which is only borrowed.
 */
#ifndef CONCLAVE_MINISIG_H
#define CONCLAVE_MINISIG_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/reader.h"

#define MINISIG_KEYID_BYTES	8
#define MINISIG_PK_BYTES	32	/* crypto_sign_PUBLICKEYBYTES */
#define MINISIG_SK_BYTES	64	/* crypto_sign_SECRETKEYBYTES */
#define MINISIG_SIG_BYTES	64
/* Comment limits: minisign's COMMENTMAXBYTES and TRUSTEDCOMMENTMAXBYTES. */
#define MINISIG_MAX_COMMENT	1024
#define MINISIG_MAX_TRUSTED	8192
/* Largest .minisig / .pub file accepted: both comment lines plus slack. */
#define MINISIG_MAX_SIGFILE	(MINISIG_MAX_COMMENT + MINISIG_MAX_TRUSTED + 512)
#define MINISIG_MAX_PUBFILE	(MINISIG_MAX_COMMENT + 256)
/* base64 of the 42-byte public key blob, without the NUL. */
#define MINISIG_PK_B64_LEN	56

struct minisig_pubkey {
	uint8_t key_id[MINISIG_KEYID_BYTES];
	uint8_t pk[MINISIG_PK_BYTES];
};

/*
 * The minisign public key for a libsodium Ed25519 secret key. The key id is
 * not random as in stock minisign but the first 8 bytes of BLAKE2b-256 of
 * the public key, so the same key always has the same id (a resumed
 * ceremony needs no extra state to recompute it).
 */
void minisig_pubkey_from_sk(struct minisig_pubkey *pk,
    const unsigned char sk[MINISIG_SK_BYTES]) __attribute__((nonnull));
/* The same from a bare Ed25519 public key (an envelope's signer). */
void minisig_pubkey_from_pk(struct minisig_pubkey *pk,
    const uint8_t ed25519_pk[MINISIG_PK_BYTES]);
/*
 * The key id as words (PGP word list), what both screens show so that
 * people can compare the appliance's ceremony key with the paper record
 * and with what the bridge saw. outmax >= WORDS_TEXT_MAX(MINISIG_KEYID_BYTES).
 */
int minisig_keyid_words(const struct minisig_pubkey *pk, char *out,
    size_t outmax) CK_WUR;


/* Key id as minisign prints it: 64-bit little-endian, upper-case hex. */
void minisig_keyid_hex(const struct minisig_pubkey *pk, char out[17])
    __attribute__((nonnull));

/* The base64 line (MINISIG_PK_B64_LEN chars + NUL), as `minisign -P` takes. */
void minisig_pubkey_b64(const struct minisig_pubkey *pk,
    char out[MINISIG_PK_B64_LEN + 1]) __attribute__((nonnull));

/* Decode a base64 public-key line (no comment, no newline). */
int minisig_pubkey_decode(const char *b64, size_t len,
    struct minisig_pubkey *pk) CK_WUR __attribute__((nonnull));

/*
 * Parse a .pub file: one "untrusted comment: " line (printable) and one
 * base64 line, each ending in '\n'. CK_ERR_TOO_LARGE, CK_ERR_FORMAT,
 * CK_ERR_NOT_PRINTABLE, CK_ERR_ENCODING, CK_ERR_UNSUPPORTED (not "Ed").
 */
int minisig_pubkey_parse(const void *buf, size_t len,
    struct minisig_pubkey *pk) CK_WUR __attribute__((nonnull));

/* The .pub file text for pk; *out is malloc'd and NUL-terminated. */
int minisig_pubkey_format(const struct minisig_pubkey *pk, char **out,
    size_t *outlen) CK_WUR __attribute__((nonnull));

/*
 * Sign msg (prehashed) with sk; trusted is the trusted comment (printable,
 * tabs allowed, at most MINISIG_MAX_TRUSTED bytes, no newline). *out gets
 * the whole .minisig file text, malloc'd and NUL-terminated.
 */
int minisig_sign(const void *msg, size_t msglen,
    const unsigned char sk[MINISIG_SK_BYTES], const char *trusted,
    char **out, size_t *outlen) CK_WUR __attribute__((nonnull));

/*
 * Verify a .minisig file sig against msg and pk. The key id in the
 * signature must be pk's (CK_ERR_WRONG_KEY); then both signatures must
 * verify (CK_ERR_BAD_SIGNATURE). Layout errors: CK_ERR_TOO_LARGE,
 * CK_ERR_FORMAT, CK_ERR_ENCODING, CK_ERR_NOT_PRINTABLE, CK_ERR_UNSUPPORTED.
 * On success, when trusted is not NULL, *trusted is a malloc'd copy of the
 * (now authenticated, printable) trusted comment.
 */
int minisig_verify(const void *msg, size_t msglen, const void *sig,
    size_t siglen, const struct minisig_pubkey *pk, char **trusted)
    CK_WUR __attribute__((nonnull(1, 3, 5)));

#endif
