/*
 * The generate-root ceremony (break-glass), appliance side (DESIGN §4.4,
 * docs/ceremonies.md):
 *   generate_root_begin   generate-root-request out (seq 1): OTP mode, or PGP
 *                   mode with the recipient's public key from the roster
 *   (quorum_accept_offer, quorum_add_share, quorum_submit)
 *   generate_root_result  the bridge's generate-root-result in: nonce, endpoint,
 *                   the new token's accessor (OTP) or the fingerprint it is
 *                   encrypted to (PGP), never the token
 *   generate_root_close   the token revoked and a lookup refused; closed, signed
 * Phases: requested, confirmed, submitted, issued, closed.
 */
#ifndef CONCLAVE_GENERATE_ROOT_H
#define CONCLAVE_GENERATE_ROOT_H

#include <stddef.h>
#include <stdint.h>

#include "ceremony/quorum.h"
#include "ceremony/roster.h"
#include "ceremony/session.h"
#include "crypto/reader.h"
#include "protocol/kinds.h"

/*
 * Start a generate-root (kind KIND_GENERATE_ROOT) or dr-token (KIND_DR_TOKEN)
 * ceremony. A DR operation token has no accessor and is not revoked here,
 * so a dr-token result closes the ceremony. recipient: NULL for OTP mode (the bridge
 * makes the OTP and hands the token to the operator); else a roster whose
 * operator is the person the token is encrypted to (PGP mode). handout:
 * who holds which share (quorum_read_handout), or NULL. Refused: nothing
 * is left behind (session_discard).
 */
int generate_root_begin(const char *kind, const char *state_dir,
    const char *exchange_root, const struct roster *recipient,
    const uint8_t *prev, const json_t *handout, struct session **out) CK_WUR
    __attribute__((nonnull(1, 2, 3, 7)));

/*
 * Give up: the bridge is told to cancel the attempt on the server (a
 * closing-request), and the transcript is closed as abandoned with
 * reason. After the shares were submitted (a bridge stopped and started
 * again cannot carry its session on, so no result or closing result will
 * come) the record says so: "after_submit", and once issued the token's
 * accessor, whose revocation is then not on record.
 */
int generate_root_abandon(struct session *s, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES]) CK_WUR __attribute__((nonnull));

/*
 * Take the generate-root-result: complete, the offer's nonce
 * (CK_ERR_WRONG_NONCE), in PGP mode the recipient's fingerprint
 * (CK_ERR_WRONG_RECIPIENT), in OTP mode the token's accessor. A result
 * that reports the attempt failed (a share refused, the server restarted
 * or cancelled it) is recorded and the ceremony closed: CK_ERR_SERVER with
 * the bridge's reason in why. A dr-token result (no accessor: a DR
 * operation token is not looked up) closes the ceremony: *closed is set
 * and head receives the head hash.
 */
int generate_root_result(struct session *s, int *closed,
    uint8_t head[TRANSCRIPT_HASH_BYTES], char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));

/*
 * The closing-result (init_take_revocation: in OTP mode its accessor must
 * be the issued token's, CK_ERR_WRONG_TOKEN otherwise); the ceremony
 * closes. After a result that says the token was not handed over
 * ("handed_over": false, with the bridge's handover_error) the closing
 * result says what the bridge did with it: revoked it (proved as above)
 * or NOT (its error): either goes on the record, issued.revoked says
 * which, and the ceremony is closed as failed: CK_ERR_SERVER, why the
 * reason. generate_root_result does this at once when the closing result
 * is on the stick with the result.
 */
int generate_root_close(struct session *s, uint8_t head[TRANSCRIPT_HASH_BYTES],
    char *why, size_t whylen) CK_WUR __attribute__((nonnull));

#endif
