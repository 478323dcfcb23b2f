/*
 * Envelopes through the exchange folder, with the binding rules of
 * docs/envelope.md applied on every receipt. Both programs use it: the
 * appliance and the bridge each keep the highest sequence number seen in
 * the ceremony (last_seq) and the other side's signing key once known.
 */
#ifndef CONCLAVE_COURIER_H
#define CONCLAVE_COURIER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/reader.h"
#include "media/exchange.h"
#include "protocol/envelope.h"

/*
 * Sign payload as an envelope of type with sequence seq: its bytes (*bin,
 * free()) and its file name, for a caller that writes it later (the
 * appliance's journal of a step, replayed after a crash).
 */
int courier_seal(enum envelope_type type,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES], uint64_t seq,
    const json_t *payload, const uint8_t sk[ENVELOPE_SK_BYTES],
    char name[ENVELOPE_FILE_NAME_MAX], uint8_t **bin, size_t *binlen) CK_WUR
    __attribute__((nonnull));

/*
 * Sign payload as an envelope of type with sequence seq and write it to
 * the ceremony folder as NNNNNN-<type>.env. hash (may be NULL) receives the
 * BLAKE2b-256 of the bytes written, for the transcript. The payload is
 * serialised compactly with its keys in insertion order.
 */
int courier_send(struct exch_dir *d, enum envelope_type type,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES], uint64_t seq,
    const json_t *payload, const uint8_t sk[ENVELOPE_SK_BYTES],
    uint8_t hash[ENVELOPE_HASH_BYTES]) CK_WUR __attribute__((nonnull(1, 3, 5, 6)));

/*
 * Take the next envelope: the file whose name carries seq last_seq + 1.
 * Checks, in order: a file is there (CK_ERR_NOT_FOUND, or
 * CK_ERR_OUT_OF_ORDER when only later ones are; CK_ERR_SYMLINK or
 * CK_ERR_NOT_REGULAR when a symlink, FIFO, directory, device or socket
 * stands under the expected name), it parses and its
 * signature holds (envelope_parse's errors), the binding (ceremony id:
 * CK_ERR_WRONG_CEREMONY; signer: CK_ERR_WRONG_KEY unless signer_pk is NULL
 * for a first contact, when the caller must record env->signer_pk; seq:
 * CK_ERR_REPLAY / CK_ERR_OUT_OF_ORDER), that the file name matches the
 * signed seq and type (CK_ERR_BAD_NAME), that the type is want
 * (CK_ERR_BAD_TYPE). Nothing is changed on any failure.
 */
int courier_receive(struct exch_dir *d,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES],
    const uint8_t *signer_pk, uint64_t last_seq, enum envelope_type want,
    struct envelope *env) CK_WUR __attribute__((nonnull(1, 2, 6)));

/*
 * The same checks for an envelope's bytes that came another way (QR
 * codes): it parses and its signature holds, then the binding as
 * courier_receive checks it (ceremony_id NULL: a first contact that
 * names its ceremony too), then the type. There is no file name to check.
 * When it parses but a check fails, *env still holds it (free it), so
 * the caller can say what it was (another ceremony's, an envelope
 * already taken); on a parse error *env is empty.
 */
int courier_accept(const uint8_t *msg, size_t len,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES],
    const uint8_t *signer_pk, uint64_t last_seq, enum envelope_type want,
    struct envelope *env) CK_WUR __attribute__((nonnull(1, 7)));

/*
 * The ceremony id of the one folder under root that holds an envelope of
 * type want with seq 1 and nothing else yet answered (for the bridge,
 * which learns the ceremony from the stick). CK_ERR_NOT_FOUND when there
 * is none, CK_ERR_EXISTS when there are several (name one explicitly).
 */
int courier_find_ceremony(const char *root, enum envelope_type want,
    uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES]) CK_WUR
    __attribute__((nonnull));

/*
 * Is last (a folder's last envelope) one after which no bridge waits: the
 * appliance's closing-request, or the bridge's last answer (the
 * submission's result for unseal, migrate and rekey, the DR token's
 * result, the closing result)?
 */
int courier_session_over(const struct exch_entry *last) __attribute__((nonnull));

/*
 * The ceremony id of the one folder under root whose session was under
 * way: its seq 1 is of type want, an answer followed, and the session is
 * not over (courier_session_over). For a
 * bridge started again after it stopped mid-session: its session key died
 * with it, so it can only cancel that session's attempt on the server.
 * CK_ERR_NOT_FOUND when there is none, CK_ERR_EXISTS when several.
 */
int courier_find_under_way(const char *root, enum envelope_type want,
    uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES]) CK_WUR
    __attribute__((nonnull));

#endif
