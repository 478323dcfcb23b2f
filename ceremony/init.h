/*
 * The appliance's side of the init ceremony (DESIGN §4.1), as steps that
 * the command line and the UI both call:
 *   init_begin    roster in; the init-request envelope out (seq 1)
 *   init_accept   the bridge's init-result in: count and recipients checked
 *   init_handout  one holder: encrypted share to their stick, decrypt proof
 *   init_close    the bridge's closing-result (root token revoked) in; the
 *                 transcript closed and signed
 * Every step records itself in the transcript; a refused envelope is
 * recorded as refused and changes nothing else.
 */
#ifndef CONCLAVE_INIT_H
#define CONCLAVE_INIT_H

#include <stddef.h>
#include <stdint.h>

#include "ceremony/roster.h"
#include "ceremony/session.h"
#include "crypto/pgp.h"
#include "crypto/reader.h"
#include "protocol/kinds.h"

/* Keyed commitments to decrypted shares: BLAKE2b-256 keyed with
 * BLAKE2b-256(INIT_COMMIT_LABEL || ceremony id). */
#define INIT_COMMIT_LABEL	"conclave-share-commitment-v1"
#define INIT_COMMIT_BYTES	32

/*
 * The keyed commitment to a share's text: BLAKE2b-256 keyed with
 * BLAKE2b-256(INIT_COMMIT_LABEL || id), id the init ceremony's. Recorded
 * at each handout; the quorum ceremonies check shares against it.
 */
void init_commitment(const uint8_t id[ENVELOPE_CEREMONY_ID_BYTES],
    const char *text, size_t len, uint8_t out[INIT_COMMIT_BYTES])
    __attribute__((nonnull));

/* Unseal shares (Shamir seal) or recovery shares (auto-unseal). */
enum init_shares {
	INIT_UNSEAL,
	INIT_RECOVERY,
};

/*
 * Start an init ceremony in state_dir: the roster (holders in share order
 * and an operator, whose key protects the initial root token) is saved,
 * and the init-request envelope goes to the exchange folder. prev: the
 * head hash of the cluster's previous transcript, or NULL.
 */
int init_begin(const char *state_dir, const char *exchange_root,
    const struct roster *roster, unsigned t, enum init_shares shares,
    const uint8_t *prev, struct session **out) CK_WUR
    __attribute__((nonnull(1, 2, 3, 7)));

/*
 * Take the init-result: the server's response must hold exactly n
 * encrypted shares, share i encrypted to holder i's encryption key and
 * nothing else (CK_ERR_SHARE_COUNT, CK_ERR_WRONG_RECIPIENT), and the root
 * token to the operator's key. Binding and format errors as
 * session_receive / CK_ERR_FORMAT. On any refusal the transcript records
 * it and nothing else changes.
 */
int init_accept(struct session *s, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));

/*
 * The server's encrypted shares (keys: base64 OpenPGP messages) against
 * the roster: exactly n (CK_ERR_SHARE_COUNT), share k encrypted to holder
 * k's encryption key and nobody else (CK_ERR_WRONG_RECIPIENT). *shares_out
 * lists them for the transcript (holder, key id, ciphertext hash). what
 * names the shares in why ("unseal", "recovery"); keys may be NULL.
 */
int init_check_shares(const struct roster *ro, const json_t *keys,
    unsigned n, const char *what, json_t **shares_out, char *why,
    size_t whylen) CK_WUR __attribute__((nonnull(1, 4, 5, 6)));

/*
 * Hand holder k (1-based) their share: write the encrypted share to
 * stick_dir as a binary OpenPGP file that stock `gpg --decrypt` opens
 * (its name in *file_out, malloc'd), then the decrypt proof: the holder's
 * key decrypts it here (keyfile: their passphrase-protected secret key
 * from their stick; NULL: a smartcard known to h), the plaintext must be
 * 66 lowercase hex digits whose x-tag differs from every share already
 * proven (CK_ERR_BAD_SHARE, CK_ERR_DUPLICATE_SHARE), and a keyed
 * commitment (never the share) is recorded. The plaintext is wiped.
 */
int init_handout(struct session *s, struct pgp_home *h, unsigned k,
    const char *stick_dir, const char *keyfile, const char *passphrase,
    char **file_out) CK_WUR __attribute__((nonnull(1, 2, 4, 6, 7)));

/* 1 when holder k (1-based) has had their handout with its proof. */
int init_handed_out(const struct session *s, unsigned k)
    __attribute__((nonnull));

/*
 * Before a holder types a passphrase or PIN: is what their stick brings
 * holder k's key? keyfile (the secret key file on the stick) must have
 * holder k's primary fingerprint: another member's key is
 * CK_ERR_WRONG_HOLDER and why names whose it is, a key of no one on the
 * roster CK_ERR_WRONG_KEY. Without a key file the card must hold holder
 * k's encryption key and have PIN tries left (CK_ERR_WRONG_KEY,
 * CK_ERR_PIN_BLOCKED). A refusal is recorded; nothing else is written.
 */
int init_stick_check(struct session *s, struct pgp_home *h, unsigned k,
    const char *keyfile, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull(1, 2, 5)));

/*
 * Holder k's (1-based) encrypted share as the server returned it and the
 * ceremony accepted it: a binary OpenPGP message (*msg malloc'd).
 */
int init_encrypted_share(const struct session *s, unsigned k, uint8_t **msg,
    size_t *len) CK_WUR __attribute__((nonnull));

/*
 * Decrypt one holder's encrypted share (keyfile: their secret key file;
 * NULL: a smartcard whose public key h holds and whose card gpg-agent has
 * learnt, as init_handout prepares it) and check its form: 66 lowercase hex
 * digits, a valid share (CK_ERR_BAD_SHARE). plain receives the text in
 * secmem (left empty on failure), *x_tag the share's x coordinate.
 * Every ceremony that takes shares from holders uses it.
 */
int init_open_share(struct pgp_home *h, const char *keyfile,
    const char *passphrase, const uint8_t *msg, size_t len,
    struct secbuf *plain, uint8_t *x_tag) CK_WUR
    __attribute__((nonnull(1, 3, 4, 6, 7)));

/*
 * 1 when a restarted bridge's new key waits to be re-pinned
 * (session_repin) at the next seq: why then says so, with the words the
 * room compares; init_close refuses (CK_ERR_STATE, nothing recorded)
 * until it is re-pinned. 0 otherwise (why untouched or emptied).
 */
int init_repin_waiting(struct session *s, char *why, size_t whylen)
    __attribute__((nonnull));

/*
 * Take the closing-result (the initial root token revoked, and a lookup
 * with it refused) and close the transcript, signed. Every holder must
 * have had their handout with its proof (CK_ERR_INCOMPLETE).
 */
int init_close(struct session *s, uint8_t head[TRANSCRIPT_HASH_BYTES],
    char *why, size_t whylen) CK_WUR __attribute__((nonnull));

/*
 * A closing-result's proof (payload p): CK_OK when it proves
 * the token issued (may be NULL) revoked; else the error, why says why.
 */
int init_check_revocation(const json_t *p, const char *issued, char *why,
    size_t whylen) CK_WUR __attribute__((nonnull(1, 3)));
/*
 * The closing-result every root-token ceremony ends with (init,
 * generate-root): the token revoked and a lookup with it refused
 * (CK_ERR_FORMAT otherwise), recorded with its accessor, and the
 * transcript closed and signed (or held for the review). why says what is
 * missing. issued: the accessor of the token this ceremony issued, as its
 * signed result named it (generate-root, OTP mode), or NULL where the
 * appliance was never told (init and PGP mode: the token is encrypted to
 * the operator): a closing result revoking another accessor is
 * CK_ERR_WRONG_TOKEN. A refused closing result is on the record once and
 * nothing else changes.
 * A closing result saying the bridge could NOT revoke the token, and why,
 * is recorded (root-token-not-revoked) and the ceremony closed as failed,
 * the reason saying it must be revoked on the server: CK_ERR_SERVER, why
 * the reason; no later step of the ceremony could revoke it. undelivered
 * ({"accessor", "error"}: the bridge could not hand the token over, or
 * NULL): handover-failed goes on the record first, and the ceremony
 * closes as failed either way, saying what became of the token. The
 * ceremony's state says which: root_token_revoked.
 */
int init_take_revocation(struct session *s, const char *issued,
    const json_t *undelivered, uint8_t head[TRANSCRIPT_HASH_BYTES], char *why,
    size_t whylen) CK_WUR __attribute__((nonnull(1, 4, 5)));

/*
 * May name answer at s's witnesses' review? The ceremony's witnesses are
 * its roster's and those begin --review declared
 * (SESSION_REVIEW_WITNESSES); one that names none (begun in the guided UI
 * without a roster of witnesses, where each witness types their name)
 * takes any name. CK_ERR_NOT_A_WITNESS otherwise, why naming name and the
 * witnesses. name must be printable (checked before).
 */
int init_check_witness(struct session *s, const char *name, char *why,
    size_t whylen) CK_WUR __attribute__((nonnull));
/*
 * A witness not there to answer at the review: a deviation the appliance
 * records (nobody answers for them), {"text": this, "witness": name}.
 */
#define INIT_WITNESS_ABSENT	"a witness of this ceremony was not there for the review"

/* The roster saved with the ceremony (caller frees with roster_free). */
int init_load_roster(struct session *s, struct roster **out) CK_WUR
    __attribute__((nonnull));

/*
 * Give up, in any phase before the close: the transcript records whether
 * the server was initialised already (true once an init result was
 * accepted; before that "unknown": a bridge may have initialised it and
 * stopped before writing its answer) and how many handouts were proven,
 * a closing-request tells the bridge, and the transcript is closed as
 * abandoned with reason (session_abandon). An initialised server stays
 * initialised: the record says so.
 */
int init_abandon(struct session *s, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES]) CK_WUR __attribute__((nonnull));

#endif
