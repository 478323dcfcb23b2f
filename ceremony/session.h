/*
 * The appliance's side of one ceremony between steps: its state folder.
 *
 * The guided UI runs a whole ceremony in one process; the command-line
 * steps (`conclave init begin`, `... accept`, ...) are separate processes,
 * so what the ceremony knows lives in a state folder that must be on RAM
 * (tmpfs: /run on the appliance image):
 *   ceremony.json     phase, ceremony id, sequence, the bridge's key, and
 *                     the ceremony kind's own fields (no secrets)
 *   ceremony.key      the ceremony's Ed25519 secret key (mode 0600); it
 *                     signs envelopes and the transcript and is wiped and
 *                     removed when the ceremony closes
 *   transcript.jsonl  the transcript (+ .minisig and .pub once closed)
 *   roster.json       who takes part
 * Shares, OTPs, tokens and passphrases never go here.
 */
#ifndef CONCLAVE_SESSION_H
#define CONCLAVE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ceremony/transcript.h"
#include "crypto/reader.h"
#include "crypto/words.h"
#include "media/exchange.h"
#include "protocol/envelope.h"

#define SESSION_FORMAT		"conclave-state/1"
#define SESSION_STATE_FILE	"ceremony.json"
#define SESSION_KEY_FILE	"ceremony.key"
#define SESSION_TRANSCRIPT	"transcript.jsonl"
#define SESSION_ROSTER		"roster.json"
#define SESSION_STATE_MAX	(1u << 20)

struct session {
	int dirfd;
	char *dir;
	uint8_t id[ENVELOPE_CEREMONY_ID_BYTES];
	char id_hex[ENVELOPE_CEREMONY_ID_HEX + 1];
	unsigned char *sk;		/* secmem, ENVELOPE_SK_BYTES */
	uint8_t pk[ENVELOPE_PK_BYTES];
	json_t *state;			/* ceremony.json as an object */
	json_t *ext;			/* state["data"]: the kind's own fields */
	struct transcript *t;
	struct exch_dir *x;		/* its exchange folder; NULL: closed */
	uint64_t last_seq;
	int has_peer;
	uint8_t peer_pk[ENVELOPE_PK_BYTES];	/* the bridge's signing key */
	int created_dir;		/* session_create made dir (discard removes it) */
	/* The last refusal recorded (a hash of what, error, actor and
	 * reason) and the records then: the same refusal again with nothing
	 * in between is one event, recorded once; another reason (another
	 * holder's stick, other words) is another event. */
	uint8_t last_refusal[16];
	uint64_t last_refusal_at;
	int hold;			/* session_hold depth */
	int review;			/* session_review: completion waits */
};

/*
 * The state folder must be on a RAM file system (tmpfs or ramfs, by
 * statfs): it holds the ceremony key. session_create and session_load
 * refuse any other with CK_ERR_NOT_RAM, before they create or read
 * anything, unless a rehearsal allowed the disk here (conclave(1):
 * CONCLAVE_STATE_ON_DISK=1, read by main only).
 */
#define SESSION_DISK_ENV	"CONCLAVE_STATE_ON_DISK"
void session_allow_disk(int yes);
/* That check alone (the guided UI runs it before the room starts). */
int session_check_ram(const char *dir) CK_WUR __attribute__((nonnull));

/*
 * Start a ceremony of kind ("init", "unseal", ...) in dir (created; it
 * must not exist or be empty: CK_ERR_EXISTS): a fresh ceremony id and key,
 * the exchange folder under exchange_root, the transcript's opening record
 * (details: the ceremony's own fields, or NULL; prev: the previous
 * ceremony's head hash for this cluster, or NULL).
 * Atomic as seen from outside: dir and exchange_root are checked before
 * anything is written (exchange_root must be an existing folder:
 * CK_ERR_NOT_FOUND), and a failure on the way removes what was made. The
 * caller's begin step, refused after this, undoes it with session_discard.
 */
int session_create(const char *dir, const char *exchange_root,
    const char *kind, const char *actor, json_t *details,
    const uint8_t prev[TRANSCRIPT_HASH_BYTES], struct session **out)
    CK_WUR __attribute__((nonnull(1, 2, 3, 4, 7)));

/*
 * Why a begin was refused with err, for people, or NULL when err says it
 * all: a state folder not empty (CK_ERR_EXISTS), or an exchange_root that
 * is not there (CK_ERR_NOT_FOUND: the exchange stick not in or mounted).
 */
const char *session_begin_why(const char *exchange_root, int err);

/*
 * Pick up the ceremony in dir: its state, key and transcript (whose chain
 * is re-verified). kind must match (CK_ERR_BAD_TYPE); a closed ceremony is
 * CK_ERR_CLOSED. exchange_root overrides the saved one when the stick is
 * mounted elsewhere (NULL: the saved one). The exchange stick need not be
 * in (a handout has the holder's stick in its place): a step that sends or
 * receives opens the folder then (session_exchange).
 */
int session_load(const char *dir, const char *kind, const char *exchange_root,
    struct session **out) CK_WUR __attribute__((nonnull(1, 2, 4)));

/*
 * What ceremony dir holds, without taking it up (no key, no transcript):
 * its kind and phase from ceremony.json (kind and phase get at most
 * SESSION_PEEK_MAX - 1 bytes). CK_ERR_NOT_FOUND when there is none. For a begin
 * refused with CK_ERR_EXISTS, to offer resume or abandon instead.
 */
#define SESSION_PEEK_MAX	32
int session_peek(const char *dir, char kind[SESSION_PEEK_MAX],
    char phase[SESSION_PEEK_MAX]) CK_WUR __attribute__((nonnull));

/*
 * Make the step's changes durable (after changing s->ext or the phase):
 * ceremony.json with the step's journal (the envelope to send, the
 * records to append, the close), then the journal carried out, then
 * ceremony.json without it. A crash at any point leaves the old state or
 * a journal that session_load carries out: nothing lost, nothing twice.
 * session_send, session_accept, session_record, session_reject and
 * session_close commit the same way.
 */
int session_save(struct session *s) CK_WUR __attribute__((nonnull));

/*
 * Between session_hold and session_release, commits wait: the operations
 * in between (an accept and a close, say) become durable as one. r: how
 * they went; only CK_OK commits (r is returned).
 */
void session_hold(struct session *s) __attribute__((nonnull));
int session_release(struct session *s, int r) CK_WUR __attribute__((nonnull));

/* The phase; session_set_phase changes it in memory, for the next commit. */
const char *session_phase(const struct session *s) __attribute__((nonnull));
/*
 * Set the phase in memory only: the step's session_send, session_accept
 * or session_save writes it together with the rest of the step, so a
 * step that fails half-way leaves the saved phase as it was.
 */
int session_set_phase(struct session *s, const char *phase) CK_WUR
    __attribute__((nonnull));

/*
 * A begin's last step: details (may be NULL) kept in the state, the phase
 * "requested", and the request sent by the appliance as session_send.
 */
int session_request(struct session *s, enum envelope_type type,
    const json_t *payload, const char *event, json_t *details) CK_WUR
    __attribute__((nonnull(1, 3, 4)));

/*
 * Sign payload as the next envelope, write it to the exchange folder,
 * record it in the transcript as event (with details, may be NULL) and
 * save the state.
 */
int session_send(struct session *s, enum envelope_type type,
    const json_t *payload, const char *event, const char *actor,
    json_t *details) CK_WUR __attribute__((nonnull(1, 3, 4, 5)));

/*
 * Take the next envelope of type want from the exchange folder with every
 * binding check (courier_receive); the bridge's key is learnt from its
 * first envelope (the answer at seq 2) and required of every later one:
 * CK_ERR_STATE for a state past seq 1 with no key pinned, CK_ERR_WRONG_KEY
 * for a first envelope signed with the appliance's own ceremony key
 * (docs/envelope.md §5). Nothing is recorded:
 * the caller checks the contents and then calls session_accept, or
 * session_reject to put a refusal on the record.
 */
int session_receive(struct session *s, enum envelope_type want,
    struct envelope *env) CK_WUR __attribute__((nonnull));
/*
 * Is an envelope at the next sequence number on the exchange folder (not
 * read, nor checked)? For a step that waits, or goes on at once when the
 * bridge has written its next envelope already.
 */
int session_envelope_waiting(struct session *s) __attribute__((nonnull));

/*
 * Record env as accepted (event, details) and advance the sequence. The
 * record is checked in full first; then it is written, and the bridge's
 * key (pinned by its first envelope), the sequence and the phase are
 * saved together. On any failure nothing is saved.
 */
int session_accept(struct session *s, const struct envelope *env,
    const char *event, const char *actor, json_t *details) CK_WUR
    __attribute__((nonnull(1, 2, 3, 4)));

/*
 * A restarted bridge's new key (docs/envelope.md, "Re-pin"): the key the
 * ceremony pinned died with the bridge's process, and the bridge started
 * again offers a new one in a bridge-repin envelope at the next seq,
 * signed by that new key (payload {"kind", "after_seq": seq - 1}).
 * Nothing is taken on its word: sas receives the words both screens show
 * (words_sas over the ceremony key, the new signing key and the ceremony
 * id), and only the room's comparison pins it. confirm NULL: the words
 * alone, nothing recorded (CK_ERR_INCOMPLETE; any other error: no re-pin
 * waits or it is unusable). Otherwise confirm must match them as
 * words_match compares (CK_ERR_SAS_MISMATCH: why names the word); a match
 * pins the new key, recorded once as a deviation (SESSION_REPIN_TEXT,
 * the new key, the words, the witness) saved with the key and the seq.
 * Re-pins that follow one another (a bridge started again more than once
 * before the room compared) are one offer: the last one's words are the
 * ones compared and pinned, the earlier ones passed over ("superseded":
 * how many, on the record). A
 * refusal (binding, signature, content, words) is on the record once and
 * changes nothing else. CK_ERR_NOT_FOUND (nothing next) and
 * CK_ERR_BAD_TYPE (another type next) say no re-pin waits, unrecorded.
 * CK_ERR_STATE before any key was pinned.
 */
#define SESSION_SAS_MAX		WORDS_TEXT_MAX(WORDS_SAS_DEFAULT)
#define SESSION_REPIN_TEXT	"bridge restarted, key re-pinned"
int session_repin(struct session *s, const char *confirm, const char *witness,
    char sas[SESSION_SAS_MAX], char *why, size_t whylen) CK_WUR
    __attribute__((nonnull(1, 4, 5)));

/*
 * Record that something was refused (an envelope, a decrypt proof), with
 * the error, so the transcript shows what was tried; state and sequence do
 * not change. The same refusal again with no record in between (a screen
 * polling the same bad envelope) is the same event and is not recorded
 * twice. Best effort on a path that is failing already: not CK_WUR.
 */
int session_reject(struct session *s, const char *what, int err,
    const char *actor) __attribute__((nonnull));
/* The same, with why (what exactly was wrong, e.g. the field) as the reason. */
int session_reject_why(struct session *s, const char *what, int err,
    const char *why, const char *actor) __attribute__((nonnull(1, 2, 5)));

/*
 * Can the untrusted value v, recorded under name, go on the transcript?
 * Run before anything is saved; on failure why names the field and the
 * limit ("server.version is not printable text ...") and the error is
 * transcript_check_details's.
 */
int session_check_recordable(const json_t *v, const char *name, char *why,
    size_t whylen) CK_WUR __attribute__((nonnull));

/* Append one event to the transcript (in/out envelope hashes optional). */
int session_record(struct session *s, const char *event, const char *actor,
    json_t *details) CK_WUR __attribute__((nonnull(1, 2, 3)));

/*
 * Close the transcript (signed), wipe and remove the ceremony key, mark
 * the state closed. head receives the head hash (may be NULL).
 */
int session_close(struct session *s, const char *actor,
    uint8_t head[TRANSCRIPT_HASH_BYTES]) CK_WUR __attribute__((nonnull(1, 2)));

/*
 * The witnesses' review comes after a ceremony's irreversible steps
 * (a revocation included) and before its transcript closes, so that their
 * answers are on it. With session_review(s, 1) (the guided UI), the step
 * that completes the ceremony does not close it: session_close then marks
 * it "in review" (committed with the step's records) and says CK_OK;
 * session_review_close closes it once the witnesses have answered.
 * Abandons and failures (session_close_as with an outcome) close at once.
 */
void session_review(struct session *s, int on) __attribute__((nonnull));
int session_in_review(const struct session *s) __attribute__((nonnull));
int session_review_close(struct session *s, uint8_t head[TRANSCRIPT_HASH_BYTES])
    CK_WUR __attribute__((nonnull(1)));

/*
 * The command line's `begin --review`: a ceremony session_create makes
 * after session_review_all(1, ...) carries SESSION_REVIEW_MARK in
 * ceremony.json from its first commit, and session_load turns
 * session_review on for it, so every later step, in whichever process,
 * holds its completion for the witnesses' review (`conclave review`).
 * witnesses (n names, borrowed until session_create; NULL: none): the
 * witnesses declared at begin, who alone (with the roster's witnesses)
 * answer at the review; in ceremony.json and in the opening record as
 * SESSION_REVIEW_WITNESSES. Without it the command-line steps close at
 * the completing step; the guided UI always reviews.
 */
#define SESSION_REVIEW_MARK	"witness_review"
#define SESSION_REVIEW_WITNESSES	"review_witnesses"
void session_review_all(int on, const char *const *witnesses, size_t n);

/* The same for a ceremony that did not complete (transcript_close_as). */
int session_close_as(struct session *s, const char *actor,
    const char *outcome, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES]) CK_WUR __attribute__((nonnull(1, 2)));

/*
 * Give the ceremony up, in any phase before it closed: an envelope the
 * bridge has put on the stick and this side has not read yet is taken
 * first (binding checked, recorded), so the sequence stays one; then a
 * closing-request goes out (payload: the kind's own, or NULL for
 * {"kind", "abandon": true, "reason"}), recorded as event with details,
 * telling a waiting bridge to cancel its server attempt; the phase becomes
 * "abandoned" and the transcript is closed as abandoned with reason.
 * A ceremony in review (session_in_review: its irreversible steps done) is
 * not abandoned: CK_ERR_IN_REVIEW, on the record once, nothing else
 * changes; its review closes it, a witness's deviation saying what went
 * wrong.
 */
int session_abandon(struct session *s, const json_t *payload,
    const char *event, json_t *details, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES]) CK_WUR __attribute__((nonnull(1, 3, 5)));

/* Write/read a file in the state folder (roster.json and the like). */
int session_write_file(struct session *s, const char *name, const void *buf,
    size_t len) CK_WUR __attribute__((nonnull));
int session_read_file(struct session *s, const char *name, size_t max,
    uint8_t **out, size_t *outlen) CK_WUR __attribute__((nonnull));

/* Path of a file in the state folder (malloc'd). */
char *session_path(const struct session *s, const char *name)
    __attribute__((nonnull));

/*
 * The words both screens show for the bridge key peer_pk (words_sas over
 * the ceremony key, peer_pk and the ceremony id) into sas, and a witness's
 * typed words (confirm) compared with them as words_match does:
 * CK_ERR_INCOMPLETE when none were typed yet (why: compare them), or
 * CK_ERR_SAS_MISMATCH with why naming the word that differs and then
 * consequence (what is not done with that key).
 */
int session_sas_confirm(const struct session *s,
    const uint8_t peer_pk[WORDS_SAS_PK_LEN], const char *confirm,
    const char *consequence, char sas[SESSION_SAS_MAX], char *why,
    size_t whylen) CK_WUR __attribute__((nonnull(1, 2, 4, 5, 6)));

/*
 * Put a reason for a refusal into the caller's why buffer (the ceremony
 * steps' common "why, whylen" out-parameter).
 */
void session_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), nonnull(1, 3)));

/*
 * The ceremony's exchange folder, opened again if session_exchange_close
 * let it go (*x may be NULL: only open it). A stick the appliance mounts
 * (ui --exchange auto) is unmounted between crossings, and an open folder
 * would keep it busy: the UI closes the folder before unmounting, and the
 * next step that sends or receives opens it on the stick put back.
 * CK_ERR_NOT_FOUND while the stick (or this ceremony's folder on it) is
 * not there.
 */
int session_exchange(struct session *s, struct exch_dir **x) CK_WUR
    __attribute__((nonnull(1)));
void session_exchange_close(struct session *s) __attribute__((nonnull));

void session_free(struct session *s);	/* NULL-safe; wipes the key */

/*
 * Undo session_create for a begin refused before its request went out:
 * the key is wiped, the state files and the exchange folder removed (dir
 * too when session_create made it), and s freed. NULL-safe; best effort
 * on a path that is failing already.
 */
void session_discard(struct session *s);

#endif
