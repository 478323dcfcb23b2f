/*
 * The bridge's side of one quorum ceremony session (DESIGN §5,
 * docs/ceremonies.md): the appliance's opening request read from the
 * exchange folder (its ceremony key pinned from it), a fresh session key
 * pair held only in this process's locked memory (Ed25519 to sign
 * envelopes, X25519 that shares are sealed to), the short authentication
 * string, and envelopes sent and awaited with every binding check.
 */
#ifndef CONCLAVE_BSESSION_H
#define CONCLAVE_BSESSION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bridge/opts.h"
#include "client/http.h"
#include "crypto/reader.h"
#include "crypto/words.h"
#include "media/exchange.h"
#include "protocol/envelope.h"
#include "protocol/sealed.h"

#define BSESSION_SAS_MAX	WORDS_TEXT_MAX(WORDS_SAS_DEFAULT)
/* The bridge's own nonce for ceremonies without a server nonce (unseal). */
#define BSESSION_NONCE_BYTES	16
/* Longest error text a result envelope carries. */
#define BSESSION_ERROR_MAX	200

struct bsession {
	uint8_t id[ENVELOPE_CEREMONY_ID_BYTES];
	char id_hex[ENVELOPE_CEREMONY_ID_HEX + 1];
	const struct bridge_opts *o;	/* the command's: exchange folder, QR */
	char *root;			/* the exchange folder */
	struct exch_dir *x;		/* its ceremony folder, open only during a read or write */
	uint8_t appliance_pk[ENVELOPE_PK_BYTES];
	unsigned char *sk;		/* Ed25519 signing key, secmem */
	uint8_t pk[ENVELOPE_PK_BYTES];
	uint8_t *box_sk;		/* X25519 sealing key, secmem */
	uint8_t box_pk[SEALBOX_PK_LEN];
	uint64_t last_seq;
};

/*
 * Open the ceremony under o->exchange (ceremony: its id in hex, or NULL to
 * find the one folder waiting with an envelope of type want at seq 1),
 * take that request (every check of courier_receive; its signer becomes
 * the pinned appliance key) into *req, and make the session keys. With a
 * camera (bqr_scanning) the request is scanned instead (bqr_receive, the
 * stall rule from the start; NULL ceremony: it names its own) and copied
 * onto the exchange folder (CK_ERR_NOT_FOUND when the folder shows it
 * answered already, or the scan is the appliance's later envelope of a
 * ceremony there: a session a stopped bridge left under way, which
 * bsession_orphan then finds, or finished, which bsession_finished finds;
 * b->id_hex names it); a stall or a camera gone goes on from the folder
 * when it shows the ceremony under way (said; CK_ERR_NOT_FOUND when the
 * named one is finished), else offers the folder on a terminal. Such a
 * session is said before anything else, the scan's failure not at all;
 * any other failure of the scan is said. o (its cmd names the command in
 * messages) must outlive b: every later send and wait crosses as it says.
 */
int bsession_open(struct bsession *b, const struct bridge_opts *o,
    const char *ceremony, enum envelope_type want, struct envelope *req)
    CK_WUR __attribute__((nonnull(1, 2, 5)));

/*
 * A session that was under way when this bridge stopped
 * (courier_find_under_way; ceremony: its id in hex, or NULL to find it):
 * the session key died with the old process, so nothing sealed to it can
 * be opened and the session cannot be resumed. Opens the folder (b->id,
 * b->x), takes the request into *req as bsession_open does, and gives the
 * old session's offer payload (*offer: the bridge's
 * envelope of seq 2, signature checked, or NULL if it never got that far)
 * so the caller can cancel that attempt, and only that one, on the
 * server. CK_ERR_NOT_FOUND when no session was under way.
 */
int bsession_orphan(struct bsession *b, const char *exchange,
    const char *ceremony, enum envelope_type want, struct envelope *req,
    json_t **offer) CK_WUR __attribute__((nonnull(1, 2, 5, 6)));

/*
 * How an orphaned session's attempt on the server is found and cancelled
 * (generate-root, rekey): *client is made for o's first address, then
 * detect(ctx) finds the endpoint and reads the server's attempt into
 * *started and nonce (both in ctx); cancel(ctx) cancels it.
 */
struct bsession_attempt {
	const struct bridge_opts *o;
	struct http_client **client;
	int (*detect)(void *ctx);
	const int *started;
	const char *nonce;
	int (*cancel)(void *ctx);
	void *ctx;
};

/*
 * An orphaned session (bsession_orphan) of ceremony cmd: when its offer
 * named a nonce, the server's attempt in progress is looked up (a) and,
 * when it is that session's, cancelled (what: "attempt", "rekey"). Tells
 * the operator what became of it (if_finished, when not NULL: what a
 * finished one leaves behind) and to abandon the ceremony on the
 * appliance. An offer that said the server's endpoint is disabled
 * (bsession_unavailable) ended the ceremony: the appliance closes it as
 * failed on reading it, so the operator is told it is closed and a new
 * one must be begun, and nothing is looked up. Returns the exit status
 * (1: the ceremony cannot go on).
 */
int bsession_orphan_cancel(const struct bsession *b, const char *cmd,
    const char *what, const char *if_finished, const json_t *offer,
    const struct bsession_attempt *a) __attribute__((nonnull(1, 2, 3, 6)));

/*
 * The seq of the folder's last envelope (0: none; b opened by
 * bsession_open or bsession_orphan).
 */
int bsession_last(struct bsession *b, uint64_t *seq) CK_WUR
    __attribute__((nonnull));

/*
 * The envelope of type at seq as it is on the folder (a stopped bridge's,
 * for the one started again): binding and signature checked against the
 * key that signed it, which no one has pinned here.
 */
int bsession_read(struct bsession *b, uint64_t seq, enum envelope_type type,
    struct envelope *env) CK_WUR __attribute__((nonnull));

/*
 * An envelope a stopped bridge wrote in full but did not put in place (a
 * kill between its write and its rename: media/file.h file_adopt_tmp):
 * when the temp of the folder's next seq is a whole envelope, signed, of
 * this ceremony, that seq and a bridge's type, it is renamed into place
 * and name receives its file name. Its signature is the stopped
 * session's: the appliance takes it when that key is the one pinned.
 * CK_ERR_NOT_FOUND when there is none.
 */
int bsession_adopt(struct bsession *b, char name[ENVELOPE_FILE_NAME_MAX])
    CK_WUR __attribute__((nonnull));

/*
 * A bridge started again after the one that held the pinned session key
 * stopped (bsession_orphan; docs/envelope.md, "Re-pin"): makes a new
 * session key and writes a bridge-repin envelope at the next seq, signed
 * by it and bound to the ceremony (its id) and the old session's last seq
 * (payload {"kind", "after_seq"}). sas receives its words (words_sas over
 * the ceremony key, the new signing key and the ceremony id): the room
 * compares them with the appliance's screen, and the appliance pins the
 * key only then; until it does, it refuses what this key signs.
 */
int bsession_repin(struct bsession *b, const char *kind,
    char sas[BSESSION_SAS_MAX]) CK_WUR __attribute__((nonnull));

/*
 * For a bridge started again: the envelopes of the bridge's own that a
 * stopped bridge wrote after the appliance's last one (all before that,
 * the appliance took), carried again, in order, when the command crosses
 * by QR code (bqr_send_again; nothing to do without --png-dir or
 * --qr-show). The appliance takes envelopes in sequence only, and those
 * codes died with the stopped bridge's screen, or were never drawn (it
 * stopped between the write and its codes); on the stick they are in the
 * folder already.
 */
void bsession_carry_again(struct bsession *b) __attribute__((nonnull));

/*
 * After bsession_open's CK_ERR_NOT_FOUND (or on a folder read at resume):
 * is b's ceremony, as the scan or the folder named it, one whose session
 * a stopped bridge finished, its last envelope the bridge's last answer
 * (courier_session_over)? Then, said (finished on the server side; by
 * QR code only the appliance's copy is missing), the bridge's envelopes
 * the appliance may not have are carried again (bsession_carry_again),
 * and 1: nothing else is left for the command. 0 otherwise, nothing said.
 */
int bsession_finished(struct bsession *b) CK_WUR __attribute__((nonnull));

/*
 * The ceremony key that signed the request (what: "Init request", ...),
 * as the appliance's screen shows it: its key id and its words
 * (minisig_keyid_words), on stdout, for the room to compare.
 */
void bsession_show_signer(const struct bsession *b, const char *what)
    __attribute__((nonnull));

/*
 * The room confirms those words before the bridge acts on the request
 * (init: before anything reaches the server). given (--key-words) is
 * compared once; without it they are typed on the terminal as a witness
 * reads them from the appliance, and asked again after a mismatch
 * (BSESSION_WORDS_TRIES times in all). Compared as words_match does: case
 * and spacing do not matter, the words do; a mismatch is said on stderr
 * naming the word that differs. CK_OK, CK_ERR_SAS_MISMATCH, or CK_ERR_IO
 * (no terminal, or the input ended).
 */
#define BSESSION_WORDS_TRIES	3
int bsession_confirm_signer(const struct bsession *b, const char *cmd,
    const char *given) CK_WUR __attribute__((nonnull(1, 2)));

/*
 * The session offer: payload (released here; NULL, a json_pack that
 * failed, is CK_ERR_ALLOC) written as the next envelope, then the 5 words
 * both screens show (appliance key, box key, ceremony id) into sas. A
 * failure is said (opts_fail) and returned.
 */
int bsession_offer(struct bsession *b, json_t *payload,
    char sas[BSESSION_SAS_MAX]) CK_WUR __attribute__((nonnull(1, 3)));

/*
 * The offer a bridge sends instead when the server keeps kind's
 * unauthenticated endpoint closed: the endpoint, the server setting that
 * opens it, and the alternative (the appliance says them to the room).
 */
int bsession_unavailable(struct bsession *b, const char *kind,
    const char *endpoint, const char *setting, const char *alternative)
    CK_WUR __attribute__((nonnull));

/* A fresh random nonce as hex (2 * BSESSION_NONCE_BYTES + NUL). */
void bsession_nonce(char out[2 * BSESSION_NONCE_BYTES + 1])
    __attribute__((nonnull));

/* The box public key as 64 hex digits plus NUL. */
void bsession_box_pk_hex(const struct bsession *b,
    char out[2 * SEALBOX_PK_LEN + 1]) __attribute__((nonnull));

/*
 * Sign and write payload as the next envelope, onto the exchange folder
 * and, when the command was asked to, as QR codes (bqr_send: a code that
 * cannot be shown is said and leaves the folder's copy to the stick).
 */
int bsession_send(struct bsession *b, enum envelope_type type,
    const json_t *payload) CK_WUR __attribute__((nonnull));
/* bsession_send of a payload just built, released here: NULL (a
 * json_pack that failed) is CK_ERR_ALLOC. */
int bsession_send_new(struct bsession *b, enum envelope_type type,
    json_t *payload) CK_WUR __attribute__((nonnull(1)));

/*
 * Wait up to timeout_s seconds for the next envelope from the appliance,
 * of type want or (when want2 is not 0) want2. CK_ERR_NOT_FOUND on
 * timeout; any binding error of courier_receive as it is. With a camera
 * it is scanned instead (bqr_receive: timeout_s until its first fragment,
 * then the stall rule) and copied onto the exchange folder; a stall or a
 * camera gone (CK_ERR_QR_STALLED, CK_ERR_MEDIA_GONE) offers the folder on
 * a terminal, where the wait goes on as without a camera.
 */
int bsession_wait(struct bsession *b, enum envelope_type want,
    enum envelope_type want2, unsigned timeout_s, struct envelope *env)
    CK_WUR __attribute__((nonnull));

/*
 * A share-submission's payload, before any box is opened: kind, the
 * offer's nonce (CK_ERR_WRONG_NONCE), retry or not as expected, at least
 * threshold boxes (CK_ERR_TOO_FEW_SHARES), each {"sealed", "x_tag"} with
 * distinct x-tags (CK_ERR_DUPLICATE_SHARE). A retry carries no boxes.
 */
int bsession_check_submission(const json_t *p, const char *kind,
    const char *nonce, unsigned threshold, int retry, char *why,
    size_t whylen) CK_WUR __attribute__((nonnull));

/*
 * Open one sealed share, entry {"sealed", "x_tag"} of a submission carried
 * by the envelope of sequence seq, bound to nonce (sealed_open's checks
 * and errors; an opened share whose last byte is not x_tag is
 * CK_ERR_BAD_SHARE). secmem_free *share right after its one request.
 */
int bsession_open_share(const struct bsession *b, uint64_t seq,
    const char *nonce, const json_t *entry, char **share, size_t *len)
    CK_WUR __attribute__((nonnull));

/*
 * "CK_ERR_NAME: detail" for a result envelope: cut to BSESSION_ERROR_MAX
 * characters, anything outside printable ASCII replaced by '?'. NULL only
 * when out of memory.
 */
json_t *bsession_error_text(int err, const char *detail);

/*
 * The closing step of a ceremony that made a root token (init,
 * generate-root; cmd names it in messages): the operator gives the token
 * back (typed hidden, or one line at a time on token_fd when >= 0), it is
 * revoked with c (revoke_root_token; accessor: the ceremony's token's,
 * when known; init_time: at init, the server's clock when it answered
 * sys/init, else -1) and the proof goes to the appliance as the closing-result.
 * A line that is not the ceremony's root token is said precisely and the
 * token asked again, at most BSESSION_TOKEN_TRIES times (a server that
 * answers sealed does not count: the line may be right, and the server
 * must be unsealed first). When the input
 * ends or the tries run out, the bridge never leaves the token live if
 * it can help it: held (the token itself, when this process holds it) is
 * revoked here and the closing-result says so ("revoked_by": "bridge"
 * and the reason); without it, the closing-result says the token is NOT
 * revoked and why, for the appliance to record. Returns the exit status
 * (0: revoked and proved, the closing-result written).
 */
#define BSESSION_TOKEN_TRIES	5
int bsession_close_root(struct bsession *b, const char *cmd,
    struct http_client *c, int token_fd, const char *held,
    const char *accessor, long long init_time)
    __attribute__((nonnull(1, 2, 3)));

/*
 * The same closing-result when the token was not given back, or could not
 * be handed over at all (what says which, err and why why): held (the
 * token, when this process holds it) is revoked with c (accessor: the
 * ceremony's) and the closing-result says so ("revoked_by": "bridge",
 * the reason); else, or when that revocation fails, it says the token is
 * NOT revoked and why. Returns the exit status (0: revoked by the bridge,
 * the closing-result written).
 */
int bsession_revoke_held(struct bsession *b, const char *cmd,
    struct http_client *c, const char *held, const char *accessor,
    const char *what, int err, const char *why)
    __attribute__((nonnull(1, 2, 3, 6, 8)));

/* Wipe the keys, close the folder. NULL-safe fields. */
void bsession_free(struct bsession *b) __attribute__((nonnull));

#endif
