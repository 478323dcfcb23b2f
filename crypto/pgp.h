/*
 * OpenPGP through gpgme, in a throwaway GNUPGHOME (DESIGN §9).
 *
 * Every key the appliance sees lives in a pgp_home: a fresh directory made
 * with mkdtemp under a base directory (tmpfs on the appliance, $TMPDIR in
 * tests), mode 0700, whose gpg-agent allows loopback pinentry so that PINs
 * and passphrases come from conclave's own UI, from secmem memory, through
 * gpgme's passphrase callback and never through argv, env or a file.
 * pgp_home_close() deletes secret keys, kills the agent and removes the
 * directory. A process killed before that leaves its home (and agent)
 * behind: each home names its owner (pid, pid namespace, start time), and
 * pgp_home_open() first removes the homes under basedir whose owner is
 * gone, stopping their agents.
 *
 * Holder keys are validated the way OpenBao and Vault >= 1.13 will use them
 * (ProtonMail go-crypto; vault-openbao-api.md §7): the primary must have a
 * signing algorithm, and an encryption key must exist under go-crypto's
 * rule (newest valid encrypt-capable subkey, else an encrypt-capable
 * primary). The chosen key id is reported so that the appliance can check,
 * before anyone decrypts, that share i's PKESK names holder i's subkey
 * (crypto/pgppkt.h parses that without any secret key).
 *
 * Smartcards: pgp_decrypt() and pgp_sign_detached() use whatever secret
 * key gpg-agent can reach, so a card decrypts through the same path once
 * pgp_card_learn() has made the agent record stubs for its keys (the
 * holder's public key must be in the home), and the PIN arrives through
 * the same loopback callback as a passphrase. Tested with a virtual
 * OpenPGP card through scdaemon and pcscd (tests/card, docs/smartcards.md),
 * never with a real card.
 */
#ifndef CONCLAVE_PGP_H
#define CONCLAVE_PGP_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/pgppkt.h"
#include "crypto/reader.h"	/* CK_WUR */
#include "crypto/secmem.h"

#define PGP_FPR_LEN	40	/* v4 fingerprint, lowercase hex */
#define PGP_KEYID_LEN	16	/* key id, lowercase hex */
#define PGP_KEYFILE_MAX	(256 * 1024)	/* a public or secret key file */
#define PGP_MSG_MAX	PGPPKT_MSG_MAX	/* an encrypted share or token */
#define PGP_PLAINTEXT_MAX	4096	/* a decrypted share or token */
#define PGP_EXPORT_MAX	PGPPKT_KEY_MAX	/* one exported public key */
#define PGP_SIG_MAX	(16 * 1024)	/* one detached signature */
#define PGP_IMPORT_MAX	8	/* keys accepted from one file */
#define PGP_UID_MAX	256	/* bytes of a user id we keep */
#define PGP_ALGO_MAX	24	/* "rsa3072", "ed25519", "cv25519" ... */

/* The first GnuPG that decrypts go-crypto's ECDH messages (§7, #25965). */
#define PGP_GNUPG_ECDH_MIN	"2.2.21"

struct pgp_home;

/* Lowercase hex fingerprints, NUL-terminated. */
struct pgp_fprs {
	size_t n;
	char fpr[PGP_IMPORT_MAX][PGP_FPR_LEN + 1];
};

/* Warnings: the key is accepted, but people should be told. */
#define PGP_WARN_ECDH	0x01	/* ECDH: holders must decrypt with GnuPG >= 2.2.21 */
#define PGP_WARN_ECDH_LOCAL	0x02	/* ... and this machine's GnuPG is older */
#define PGP_WARN_DSA_ELGAMAL	0x04	/* DSA/ElGamal: old Vault failed (#1710) */
#define PGP_WARN_WEAK_RSA	0x08	/* an RSA key shorter than 2048 bits */
#define PGP_WARN_UID_UNPRINTABLE	0x10	/* user id not shown: not printable */

struct pgp_keyinfo {
	char fpr[PGP_FPR_LEN + 1];	/* primary */
	char enc_keyid[PGP_KEYID_LEN + 1];	/* key the server will encrypt to */
	char enc_fpr[PGP_FPR_LEN + 1];
	char primary_algo[PGP_ALGO_MAX];
	char enc_algo[PGP_ALGO_MAX];
	char uid[PGP_UID_MAX];	/* first valid user id, printable or "" */
	int64_t enc_created;	/* creation time of the encryption key */
	int64_t enc_bound;	/* its newest binding signature; 0: primary */
	unsigned warnings;	/* PGP_WARN_* */
};

/*
 * Create a throwaway GNUPGHOME under basedir and a gpgme context bound to
 * it, after clearing the homes killed processes left there (only real
 * directories of this uid named as these, whose owner file names a
 * process of this pid namespace that is gone, its pid free or reused). CK_ERR_IO if the directory cannot be
 * made, CK_ERR_PGP if gpgme or the gpg engine is unusable.
 */
int pgp_home_open(const char *basedir, struct pgp_home **out) CK_WUR
    __attribute__((nonnull));
/* Delete secret keys, kill the agent, remove the directory. NULL-safe. */
void pgp_home_close(struct pgp_home *h);
const char *pgp_home_dir(const struct pgp_home *h) __attribute__((nonnull));

/* What pgp_card_learn() read from the OpenPGP card in the reader. */
#define PGP_CARD_SERIAL_MAX	32
#define PGP_CARD_STATUS_MAX	(16 * 1024)	/* gpg's card status text */
struct pgp_card {
	char serial[PGP_CARD_SERIAL_MAX + 1];	/* as gpg prints it */
	char enc_fpr[PGP_FPR_LEN + 1];	/* its decryption key; "" if none */
	int pin_tries;	/* user PIN tries left before it blocks; -1 unknown */
};

/*
 * Let gpg-agent (via scdaemon) learn the OpenPGP card in the reader, as
 * `gpg --card-status` does: afterwards the card's keys decrypt and sign.
 * card gets its serial number, the fingerprint of its decryption key and
 * the user PIN's tries left (nothing secret). CK_ERR_NOT_FOUND when there
 * is no card (or no reader).
 */
int pgp_card_learn(struct pgp_home *h, struct pgp_card *card) CK_WUR
    __attribute__((nonnull));
/* 1 if card's decryption key has the key id enc_keyid (lowercase hex). */
int pgp_card_holds(const struct pgp_card *card, const char *enc_keyid)
    __attribute__((nonnull));

/*
 * Import public keys (armored or binary). out gets the primary
 * fingerprints. Refuses data that carries a secret key (CK_ERR_FORMAT;
 * the key, public part included, is deleted again), no key or a key gpg
 * would not import (CK_ERR_FORMAT) and more
 * than PGP_IMPORT_MAX keys (CK_ERR_TOO_LARGE).
 */
int pgp_import(struct pgp_home *h, const void *buf, size_t len,
    struct pgp_fprs *out) CK_WUR __attribute__((nonnull));
/* The same from a regular file of at most PGP_KEYFILE_MAX bytes. */
int pgp_import_file(struct pgp_home *h, const char *path,
    struct pgp_fprs *out) CK_WUR __attribute__((nonnull));

/*
 * Validate a key as a share holder's (fpr: primary, 40 hex digits).
 * CK_ERR_KEY_REVOKED / CK_ERR_KEY_EXPIRED for the key itself;
 * CK_ERR_KEY_CANNOT_SIGN if the primary's algorithm cannot sign (go-crypto
 * refuses such a key); CK_ERR_KEY_NO_ENCRYPT if no key can encrypt, or
 * CK_ERR_KEY_REVOKED / CK_ERR_KEY_EXPIRED when encryption subkeys exist but
 * all are revoked or expired. CK_ERR_NOT_FOUND for an unknown fingerprint.
 *
 * Like go-crypto, subkeys are ranked by the creation time of their newest
 * binding signature (read from the exported key with crypto/pgppkt), not
 * by their own creation time as gpg does: after an older subkey's expiry
 * was extended, OpenBao encrypts to it while gpg would pick the newer one.
 *
 * Ties (bindings made in the same second) go to the earlier subkey in
 * packet order, as in go-crypto.
 *
 * No curve is refused: OpenBao 2.6.2 accepted pgp_keys on Curve25519,
 * NIST P-256/384/521, brainpoolP256/384/512r1 and secp256k1 (measured by
 * tests/integration/key_matrix.sh; docs/compatibility.md), and RSA-1024,
 * which therefore only gets PGP_WARN_WEAK_RSA.
 */
int pgp_key_validate(struct pgp_home *h, const char *fpr,
    struct pgp_keyinfo *out) CK_WUR __attribute__((nonnull));
/*
 * For a witness or anyone who signs: the key must be valid and have a
 * valid signing-capable (sub)key, else CK_ERR_KEY_CANNOT_SIGN.
 */
int pgp_key_can_sign(struct pgp_home *h, const char *fpr) CK_WUR
    __attribute__((nonnull));
/*
 * One sentence for a PGP_WARN_* bit, written to out and returned; NULL for
 * an unknown bit. enc_algo is the key's pgp_keyinfo.enc_algo: the ECDH
 * warning names its curve ("NIST P-384", "brainpoolP512r1", "Curve25519").
 */
#define PGP_WARNING_MAX	128
const char *pgp_warning_text(unsigned bit, const char *enc_algo,
    char out[PGP_WARNING_MAX]) __attribute__((nonnull));

/*
 * The binary transferable public key, as `gpg --export FPR` writes it
 * (user ids, self-signatures, subkeys and bindings): *out is malloc'd.
 */
int pgp_export(struct pgp_home *h, const char *fpr, uint8_t **out,
    size_t *outlen) CK_WUR __attribute__((nonnull));
/* Standard padded base64 of pgp_export(): an entry of `pgp_keys`. */
int pgp_export_base64(struct pgp_home *h, const char *fpr, char **out)
    CK_WUR __attribute__((nonnull));

/*
 * Import a secret key (armored or binary, normally passphrase-protected)
 * from a file of at most PGP_KEYFILE_MAX bytes. The file's bytes are held
 * in secmem only. out gets its primary fingerprint(s).
 */
int pgp_import_secret_file(struct pgp_home *h, const char *path,
    struct pgp_fprs *out) CK_WUR __attribute__((nonnull));
/*
 * Delete the secret (and public) key fpr from the home. Not CK_WUR: it is
 * also a best-effort cleanup step, and pgp_home_close() removes the rest.
 */
int pgp_delete_key(struct pgp_home *h, const char *fpr)
    __attribute__((nonnull));

/*
 * Decrypt a binary or armored message with whatever secret key the home
 * holds (imported, or a card's stub). passphrase: NUL-terminated, in
 * secmem; it is handed to gpg-agent through the loopback pinentry only.
 * out receives the plaintext in secmem (at most PGP_PLAINTEXT_MAX bytes);
 * on failure it is left empty. CK_ERR_BAD_PASSPHRASE for a wrong
 * passphrase or PIN, CK_ERR_WRONG_KEY when no secret key fits,
 * CK_ERR_DECRYPT for a damaged or unprotected message; with a card,
 * CK_ERR_PIN_BLOCKED when its PIN has no tries left and
 * CK_ERR_CARD_REMOVED when it was pulled out or stopped answering.
 */
int pgp_decrypt(struct pgp_home *h, const void *msg, size_t len,
    const char *passphrase, struct secbuf *out) CK_WUR
    __attribute__((nonnull));
/*
 * Which key a holder's stick brings, before anyone types its passphrase:
 * the primary fingerprint(s) of the secret key file (a regular file of at
 * most PGP_KEYFILE_MAX bytes, no symlink), read from its packets by
 * crypto/pgppkt.h pgppkt_keyfile_fprs (in the parser child when one is
 * installed) without a GnuPG home or a gpg run; nothing secret is read.
 */
int pgp_keyfile_fprs(const char *keyfile, struct pgp_fprs *out) CK_WUR
    __attribute__((nonnull));
/*
 * A holder's stick: import the secret key file into a second throwaway
 * home under h's base directory, decrypt, delete the key, close the home.
 */
int pgp_decrypt_keyfile(struct pgp_home *h, const char *keyfile,
    const char *passphrase, const void *msg, size_t len, struct secbuf *out)
    CK_WUR __attribute__((nonnull));

/*
 * Detached signature over data by fpr's secret key (imported or on a
 * card); armored when armor != 0. *sig is malloc'd.
 */
int pgp_sign_detached(struct pgp_home *h, const char *fpr,
    const char *passphrase, const void *data, size_t len, int armor,
    uint8_t **sig, size_t *siglen) CK_WUR __attribute__((nonnull));
/*
 * CK_OK only if sig (armored or binary) is exactly one good signature
 * over data by fpr (primary, or one of its subkeys) from a key that is not
 * revoked or expired. CK_ERR_WRONG_KEY if made by another key,
 * CK_ERR_BAD_SIGNATURE otherwise.
 */
int pgp_verify_detached(struct pgp_home *h, const char *fpr,
    const void *data, size_t len, const void *sig, size_t siglen) CK_WUR
    __attribute__((nonnull));

/*
 * Fingerprint for people: ten groups of four uppercase hex digits,
 * "ABCD 1234 ...". out must hold PGP_FPR_GROUPED_LEN + 1 bytes.
 */
#define PGP_FPR_GROUPED_LEN	(PGP_FPR_LEN + PGP_FPR_LEN / 4 - 1)
int pgp_fpr_grouped(const char *fpr, char *out, size_t outlen) CK_WUR
    __attribute__((nonnull));
/* 40 hex digits (either case) -> lowercase, else CK_ERR_ENCODING. */
int pgp_fpr_normalize(const char *in, char out[PGP_FPR_LEN + 1]) CK_WUR
    __attribute__((nonnull));

#endif
