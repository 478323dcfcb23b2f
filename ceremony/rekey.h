/*
 * The rekey ceremony, appliance side (DESIGN §4.3, docs/ceremonies.md):
 *   rekey_begin         rekey-request out (seq 1): the new roster's keys,
 *                       n, t, target (barrier or recovery), verification on
 *   (quorum_accept_offer, quorum_add_share, quorum_submit: the OLD shares)
 *   rekey_result        the new encrypted shares in, each checked against
 *                       its new holder's key (init_check_shares)
 *   (init_handout: each new holder's share to their stick, decrypt proof)
 *   rekey_verify_start  every handout proven: t NEW shares are taken next
 *   (quorum_add_share with the new shares)
 *   rekey_verify_submit rekey-verify-submission out
 *   rekey_finish        the server's verification completion in; closed
 * The old key stays valid on the server until the new shares are verified.
 * Phases: requested, confirmed, submitted, accepted, confirmed (verifying),
 * verify-submitted, closed; "failed" when the bridge reports a failure.
 */
#ifndef CONCLAVE_REKEY_H
#define CONCLAVE_REKEY_H

#include <stddef.h>
#include <stdint.h>

#include "ceremony/quorum.h"
#include "ceremony/roster.h"
#include "ceremony/session.h"
#include "crypto/reader.h"
#include "protocol/kinds.h"


/*
 * Start a rekey: roster holds the NEW holders in share order; t the new
 * threshold (kinds_check_quorum's rule); recovery: rekey the recovery
 * shares of an auto-unseal server instead of the unseal shares.
 * handout (quorum_read_handout, or NULL): who holds the OLD shares.
 * Refused: nothing is left behind (session_discard).
 */
int rekey_begin(const char *state_dir, const char *exchange_root,
    const struct roster *roster, unsigned t, int recovery,
    const uint8_t *prev, const json_t *handout, struct session **out) CK_WUR
    __attribute__((nonnull(1, 2, 3, 8)));

/*
 * Take the rekey-result: the offer's nonce (CK_ERR_WRONG_NONCE), n new
 * shares each encrypted to its holder (CK_ERR_SHARE_COUNT,
 * CK_ERR_WRONG_RECIPIENT), a verification nonce. Then the handouts
 * (init_handout) can run. A failure the bridge reports is recorded and
 * closes the ceremony (quorum_failed).
 */
int rekey_result(struct session *s, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));

/* Every new holder proven (CK_ERR_INCOMPLETE): take t new shares next. */
int rekey_verify_start(struct session *s, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));

/* Is the ceremony taking new shares for the verification? */
int rekey_verifying(const struct session *s) __attribute__((nonnull));

/* The sealed new shares in one rekey-verify-submission. */
int rekey_verify_submit(struct session *s, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));

/* The verification's completion (submission-result); closed and signed. */
int rekey_finish(struct session *s, uint8_t head[TRANSCRIPT_HASH_BYTES],
    char *why, size_t whylen) CK_WUR __attribute__((nonnull));

/*
 * Give up at any step before the new shares are verified: a
 * closing-request makes the bridge cancel the rekey on the server (the
 * old shares stay the only ones); the transcript is closed as abandoned
 * with reason (session_abandon). After the verification's submit with no
 * answer (a bridge stopped) the record says the server may have switched
 * to the new shares: "after_submit", "old_shares_in_force": unknown.
 */
int rekey_abandon(struct session *s, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES]) CK_WUR __attribute__((nonnull));

/*
 * The opt-in all-shares check (issue 4): every NEW holder decrypts their
 * share here in turn and the appliance checks that all n lie on one
 * polynomial of degree t-1 (any t of them give the same secret). This
 * puts the new key in the appliance's memory for a moment: the caller
 * says so on screen before rekey_check_open, which records that the check
 * started. After the handouts, before verification (phase "accepted").
 *   rekey_check_open   records the start; holds n shares in secmem
 *   rekey_check_add    holder k's share, decrypted and checked for form
 *                      (CK_ERR_DUPLICATE_SHARE for a repeated x-tag)
 *   rekey_check_close  all n there (CK_ERR_INCOMPLETE), consistent
 *                      (CK_ERR_SHAMIR), recorded either way
 *   rekey_check_free   wipes everything; NULL-safe
 */
struct rekey_check;
int rekey_check_open(struct session *s, struct rekey_check **out) CK_WUR
    __attribute__((nonnull));
int rekey_check_add(struct rekey_check *c, struct pgp_home *h, unsigned k,
    const char *keyfile, const char *passphrase) CK_WUR
    __attribute__((nonnull(1, 2, 5)));
int rekey_check_close(struct rekey_check *c, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));
void rekey_check_free(struct rekey_check *c);

#endif
