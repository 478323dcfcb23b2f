/*
 * The appliance's steps that every quorum ceremony (unseal, rekey,
 * generate-root, dr-token) shares (DESIGN §4.2-4.5, §5): take the
 * bridge's session offer once a witness has confirmed the short
 * authentication string, then one holder at a time decrypt, check and
 * seal a share to the bridge session (protocol/sealed.h), and finally
 * put the sealed shares into one submission.
 *
 * The state lives in the session's ext (ceremony.json, no secrets):
 *   "offer":  {"box_pk", "nonce", "threshold"} once the SAS is confirmed
 *   "sealed": [{"holder", "x_tag", "sealed"}]: boxes only
 * Phases: the ceremony's own before the offer, "confirmed" after it.
 */
#ifndef CONCLAVE_QUORUM_H
#define CONCLAVE_QUORUM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ceremony/session.h"
#include "crypto/pgp.h"
#include "crypto/reader.h"
#include "crypto/words.h"
#include "protocol/kinds.h"

#define QUORUM_SAS_WORDS	WORDS_SAS_DEFAULT
#define QUORUM_SAS_MAX		WORDS_TEXT_MAX(QUORUM_SAS_WORDS)
#define QUORUM_PHASE_CONFIRMED	"confirmed"
#define QUORUM_FIELD_MAX	512	/* a result's text fields, bytes */
#define QUORUM_SEAL_MAX		32	/* a seal type a migrate offer names */

/*
 * Take the bridge's session-offer (binding checked by session_receive;
 * "kind" must be the session's, "box_pk" 64 hex digits, "nonce" 1..64
 * printable ASCII, "threshold" 1..255: CK_ERR_FORMAT otherwise) and put
 * the short authentication string over (ceremony key, box_pk, ceremony
 * id) into sas. confirm NULL: nothing is recorded or changed (the caller
 * shows sas and asks the witness); CK_ERR_INCOMPLETE. confirm not the
 * words of sas (words_match: case and spacing do not matter, the words
 * do): CK_ERR_SAS_MISMATCH, why naming the first word that differs,
 * recorded as refused, and the offer is not accepted. Equal: the offer is
 * accepted and recorded with the confirmed words, the bridge's keys are
 * pinned, the phase becomes "confirmed". An offer with "unavailable":
 * {"endpoint", "setting"} (the server's endpoint is disabled; the bridge
 * has stopped) is taken once, recorded with the setting that opens it,
 * and the ceremony closed as failed: CK_ERR_DISABLED_ENDPOINT. *offer (may be NULL) receives a
 * new reference to the offer's payload. want_phase: the phase the
 * ceremony must be in (CK_ERR_STATE).
 */
int quorum_accept_offer(struct session *s, const char *want_phase,
    const char *confirm, const char *witness, char sas[QUORUM_SAS_MAX],
    json_t **offer, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull(1, 2, 5, 7)));

/*
 * One holder's share: msg (their encrypted share file, as handed out at
 * init) is decrypted with keyfile (or a card when NULL) and passphrase,
 * checked for form (init_open_share), refused if this holder
 * (CK_ERR_SAME_HOLDER) or this x-tag (CK_ERR_DUPLICATE_SHARE) already
 * gave one or the threshold is met (CK_ERR_SHARE_COUNT), checked against
 * the handout when one is loaded (quorum_take_handout: the share must be
 * the one handed to this holder; another holder's is CK_ERR_WRONG_HOLDER
 * naming whose it is, one of another ceremony CK_ERR_WRONG_CEREMONY), sealed to the
 * offer's box_pk bound to the ceremony id, the next envelope's seq and the
 * offer's nonce, and wiped. Only the box is kept; the transcript records
 * holder and x-tag. Phase must be "confirmed" (CK_ERR_STATE:
 * nothing is sealed before the witness confirms the SAS).
 */
int quorum_add_share(struct session *s, struct pgp_home *h,
    const char *holder, const char *keyfile, const char *passphrase,
    const uint8_t *msg, size_t len, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull(1, 2, 3, 5, 6, 8)));

/*
 * Who holds which share: from the transcript of the cluster's latest init
 * or rekey (open or closed; every record must verify, else its error), the
 * holders with their share number, fingerprint, encryption key id and, for
 * those who were handed a share, its x-tag and keyed commitment:
 *   {"ceremony_id", "kind", "state": "open"|"closed",
 *    "holders": [{"name", "share", "fingerprint", "encryption_key",
 *                 "x_tag", "commitment"}],
 *    "via": {"ceremony_id", "kind"}}
 * An init abandoned or a rekey that did not complete: CK_ERR_STATE. From
 * the transcript of a quorum ceremony chained since (unseal,
 * generate-root, dr-token, migrate; any outcome: the shares are still
 * those of that init or rekey), the handout it took and recorded, carried
 * forward: ceremony_id, kind and state still name the init or rekey, and
 * "via" the ceremony it was carried from (absent when read from the init
 * or rekey itself). A quorum ceremony that took none: CK_ERR_NOT_FOUND;
 * one whose record predates the commitments on it: CK_ERR_UNSUPPORTED.
 * Any other kind: CK_ERR_BAD_TYPE. Nothing is written: a begin step reads
 * it before anything exists.
 */
int quorum_read_handout(const char *transcript, json_t **handout, char *why,
    size_t whylen) CK_WUR __attribute__((nonnull));

/*
 * quorum_read_handout's work on the bytes of a transcript and its
 * signature file (sig NULL: none): *verified 1 once the records verified
 * (a later error is about what they say). The appliance's parser child
 * runs it on the file it is handed.
 */
int quorum_handout_build(const void *buf, size_t len, const void *sig,
    size_t siglen, json_t **handout, int *verified,
    struct transcript_report *rep) CK_WUR __attribute__((nonnull(1, 5, 6, 7)));

/*
 * Is h a handout of the shape above (those members only, of those types,
 * a holder once and at most 2 * KIND_MAX_SHARES of them, x_tag 0-255 with
 * its commitment, text printable)? CK_OK
 * or CK_ERR_FORMAT: how the monitor checks one its parser child sent.
 */
int quorum_handout_check(const json_t *h) CK_WUR;

/*
 * Where quorum_read_handout builds. NULL (the default) builds in this
 * process; the appliance's monitor installs its parser child's client
 * (appliance/monitor.h), which answers as quorum_handout_build does on
 * the files transcript_files_open opened (sigfd -1: no signature file).
 */
typedef int (*quorum_handout_fn)(int fd, int sigfd, json_t **handout,
    int *verified, struct transcript_report *rep);
void quorum_set_isolation(quorum_handout_fn fn);

/*
 * Take a handout (quorum_read_handout, or a rekey's own) into a session
 * and on the record (all of it, "via" included, so the next ceremony of
 * the chain can carry it forward): from then on quorum_add_share accepts a share only
 * from the holder it was handed to (quorum_check_share_file before the
 * decryption, the holder's own commitment after it).
 */
int quorum_take_handout(struct session *s, const json_t *handout) CK_WUR
    __attribute__((nonnull));

/* Build a handout's holder list: a holder's keys, then their handout. */
int quorum_handout_add(json_t *holders, const char *name, json_int_t share,
    const char *fpr, const char *enc_keyid) CK_WUR
    __attribute__((nonnull(1, 2)));
int quorum_handout_proof(json_t *holders, const char *name, json_int_t share,
    json_int_t x_tag, const char *commitment) CK_WUR
    __attribute__((nonnull(1, 5)));

/*
 * Before anyone types a PIN: is msg (the share file on holder's stick)
 * encrypted to that holder's key, as the loaded handout knows it? Another
 * holder's share is CK_ERR_WRONG_HOLDER and why names whose it is; a share
 * for no holder of that ceremony CK_ERR_WRONG_RECIPIENT; a holder who was
 * handed no share CK_ERR_WRONG_HOLDER. CK_OK when no handout is loaded.
 * A refusal is recorded (quorum_add_share runs the same check).
 */
int quorum_check_share_file(struct session *s, const char *holder,
    const uint8_t *msg, size_t len, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));

/*
 * Before anyone types a passphrase: is the secret key file on holder's
 * stick that holder's key, as the loaded handout knows it? Another
 * holder's key is CK_ERR_WRONG_HOLDER and why names whose it is; a key of
 * no holder CK_ERR_WRONG_KEY. CK_OK when no handout is loaded or it names
 * no key for holder (quorum_check_share_file decides then). A refusal is
 * recorded.
 */
int quorum_check_key_file(struct session *s, const char *holder,
    const char *keyfile, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));

/* Shares sealed so far, and the offer's threshold (0 before the offer). */
size_t quorum_sealed_count(const struct session *s) __attribute__((nonnull));
unsigned quorum_threshold(const struct session *s) __attribute__((nonnull));

/*
 * The share-submission payload {"kind", "nonce", "shares": [...]}: at
 * least the threshold (CK_ERR_TOO_FEW_SHARES). The boxes move from ext
 * into *payload (they are sent once).
 */
int quorum_submission(struct session *s, json_t **payload, char *why,
    size_t whylen) CK_WUR __attribute__((nonnull));

/*
 * Send the sealed shares in one share-submission (quorum_submission's
 * checks; too few is recorded as refused); phase "submitted".
 */
int quorum_submit(struct session *s, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));

/* The same as an envelope of type, recorded as event, into phase. */
int quorum_submit_as(struct session *s, enum envelope_type type,
    const char *phase, const char *event, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));

/* Is p[key] a string of 1..QUORUM_FIELD_MAX bytes of printable UTF-8? */
int quorum_field_ok(const json_t *p, const char *key) __attribute__((nonnull));

/*
 * A result in which the bridge reports the operation failed ({"error"}):
 * recorded as event with the bridge's reason (in why), phase "failed",
 * and the transcript closed. Returns CK_ERR_SERVER once recorded (the
 * ceremony's outcome), another error if the recording failed.
 */
int quorum_failed(struct session *s, struct envelope *env, const char *event,
    char *why, size_t whylen) CK_WUR __attribute__((nonnull));

#endif
