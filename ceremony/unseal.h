/*
 * The unseal ceremony, appliance side (DESIGN §4.2, docs/ceremonies.md),
 * and the seal migration that is the same ceremony (docs/migration.md):
 *   unseal_begin   the unseal-request envelope out (seq 1)
 *   (quorum_accept_offer, quorum_add_share: ceremony/quorum.h)
 *   (quorum_submit: the t sealed shares out in one share-submission)
 *   unseal_result  the bridge's per-node results in; when every node is
 *                  unsealed the transcript is closed and signed
 *   unseal_retry   nodes still sealed (unreachable, died mid-unseal):
 *                  ask the same live bridge session to try them again
 *                  with the shares it already holds
 *   unseal_abandon give up on the nodes still sealed: the bridge wipes
 *                  the shares; the transcript is closed and says so
 * Phases: requested, confirmed, submitted, partial, closed.
 */
#ifndef CONCLAVE_UNSEAL_H
#define CONCLAVE_UNSEAL_H

#include <stddef.h>
#include <stdint.h>

#include "ceremony/quorum.h"
#include "ceremony/session.h"
#include "crypto/reader.h"
#include "protocol/kinds.h"

/*
 * Start an unseal ceremony (kind KIND_UNSEAL) or a seal migration
 * (KIND_MIGRATE: the same steps; the bridge submits every share with
 * "migrate": true, its offer names the seal before and after, and each
 * node's result its seal type after) in state_dir: a fresh ceremony key,
 * the transcript (prev: the cluster's previous head hash, or NULL;
 * handout: who holds which share, quorum_read_handout, or NULL) and the
 * unseal-request envelope for conclave-bridge unseal or migrate. Refused:
 * nothing is left behind (session_discard).
 */
int unseal_begin(const char *kind, const char *state_dir,
    const char *exchange_root, const uint8_t *prev, const json_t *handout,
    struct session **out) CK_WUR __attribute__((nonnull(1, 2, 3, 6)));

/*
 * Take a submission-result: {"nodes": [{"address", "result", "error"?}],
 * "done": bool}. Every node's result is recorded. done (every node
 * unsealed or already unsealed): the transcript is closed and *closed
 * set; otherwise the phase becomes "partial" and *pending counts the
 * nodes still sealed. head (when closed) receives the head hash.
 */
int unseal_result(struct session *s, int *closed, unsigned *pending,
    uint8_t head[TRANSCRIPT_HASH_BYTES], char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));

/* Phase "partial": a retry request to the same bridge session. */
int unseal_retry(struct session *s) CK_WUR __attribute__((nonnull));

/*
 * Give up, in any phase before the close: a closing-request (the bridge
 * wipes the shares and stops) and the transcript closed as abandoned with
 * reason; in phase "partial" it records the nodes left sealed, in phase
 * "submitted" (no result will come from a bridge that stopped)
 * "after_submit": the nodes may have taken the submission.
 */
int unseal_abandon(struct session *s, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES]) CK_WUR __attribute__((nonnull));

#endif
