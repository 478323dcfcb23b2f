/*
 * The ceremony transcript (DESIGN §8, format in docs/transcript.md): an
 * append-only JSON Lines journal, one record per event, each record naming
 * the BLAKE2b-256 hash of the previous record's exact bytes. Every record
 * is fsync'd before the append returns, so a power cut loses at most the
 * record being written; transcript_resume() picks the journal up again.
 * transcript_close() appends a close record and signs the file with the
 * ceremony key in minisign's format (FILE.minisig, key in FILE.pub).
 *
 * NO SECRETS EVER GO IN. A transcript is copied to archive sticks, printed
 * and shown to witnesses. Callers pass commitments (keyed hashes), key
 * fingerprints, accessors, nonces and envelope hashes, never a share, OTP,
 * token, PIN, passphrase or secret key, in any field.
 */
#ifndef CONCLAVE_TRANSCRIPT_H
#define CONCLAVE_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/reader.h"
#include "protocol/minisig.h"

#define TRANSCRIPT_HASH_BYTES	32	/* BLAKE2b-256 */
#define TRANSCRIPT_HEX_LEN	(2 * TRANSCRIPT_HASH_BYTES)
#define TRANSCRIPT_FORMAT	"conclave-transcript/1"
/* Limits, enforced when writing and when reading. */
#define TRANSCRIPT_MAX_LINE	65536	/* bytes in one record, '\n' excluded */
#define TRANSCRIPT_MAX_BYTES	(16u << 20)	/* whole file */
#define TRANSCRIPT_MAX_RECORDS	100000
#define TRANSCRIPT_MAX_TYPE	48	/* [a-z0-9-] */
#define TRANSCRIPT_MAX_ACTOR	256	/* printable UTF-8 */
#define TRANSCRIPT_MAX_HASHES	64	/* envelope hashes per direction */
#define TRANSCRIPT_MAX_DEPTH	8	/* nesting inside details */
#define TRANSCRIPT_MAX_STRING	4096	/* bytes in one string (or key) of details */
#define TRANSCRIPT_MAX_PATH	128	/* a field's name as transcript_check_details gives it */

struct transcript;

/* One event. in/out: BLAKE2b-256 hashes of envelopes read and written. */
struct transcript_event {
	const char *type;	/* [a-z0-9-]+; not open, resume or close */
	const char *actor;	/* who acted: a roster name, "operator", ... */
	json_t *details;	/* an object, or NULL for {}; borrowed */
	const uint8_t (*in)[TRANSCRIPT_HASH_BYTES];
	size_t n_in;
	const uint8_t (*out)[TRANSCRIPT_HASH_BYTES];
	size_t n_out;
};

/*
 * Create path (it must not exist: CK_ERR_EXISTS) and write the opening
 * record. details: the ceremony's own fields (ceremony id, kind, cluster,
 * ...) or NULL; the keys "format", "pubkey" and "previous_transcript" are
 * the transcript's own (CK_ERR_INVALID_ARG). prev_transcript: the head hash
 * of the previous ceremony's transcript for the same cluster, or NULL; it
 * becomes the opening record's prev, else that is all zeros. sk: the
 * ceremony's Ed25519 secret key (libsodium layout, in secmem memory),
 * borrowed until transcript_free(). The file and its directory are fsync'd.
 */
int transcript_open(struct transcript **t, const char *path,
    const char *actor, json_t *details,
    const uint8_t prev_transcript[TRANSCRIPT_HASH_BYTES],
    const unsigned char sk[MINISIG_SK_BYTES])
    CK_WUR __attribute__((nonnull(1, 2, 3, 6)));

/*
 * Reopen an unclosed transcript after a restart: re-verifies every record
 * (any error is returned and nothing is changed), cuts off a torn last
 * line (one without its '\n'), and appends a "resume" record naming sk's
 * public key, which signs from then on (the old key died with the process).
 * CK_ERR_CLOSED if the transcript already has its close record (if the
 * power went between the close record and the signature, the transcript
 * stays unsigned: verify says CK_ERR_NOT_FOUND). CK_ERR_BUSY if another
 * handle has it open: a journal has one writer (flock), in transcript_open
 * too.
 */
int transcript_resume(struct transcript **t, const char *path,
    const char *actor, const unsigned char sk[MINISIG_SK_BYTES])
    CK_WUR __attribute__((nonnull));

/*
 * Who holds the writer's lock on the journal at path (CK_ERR_BUSY's
 * process): its pid, from the kernel's list of locks (/proc/locks, the
 * journal's device and inode). CK_ERR_NOT_FOUND when no process holds it
 * or the list cannot be read (another system, no /proc); path itself is
 * not followed if it is a symlink.
 */
int transcript_lock_holder(const char *path, long *pid) CK_WUR
    __attribute__((nonnull));

/*
 * Sign a transcript whose close record is written but whose signature
 * files are not (the power went in between), with the key that announced
 * itself last (sk must be it: CK_ERR_STATE otherwise, and for a
 * transcript without its close record). CK_OK also when it is signed.
 */
int transcript_finish(const char *path, const unsigned char sk[MINISIG_SK_BYTES])
    CK_WUR __attribute__((nonnull));

/*
 * Reopen an unclosed transcript to go on with the same key, as the
 * command-line steps of one ceremony do (one process per step): the same
 * checks as transcript_resume, but a resume record is added only when
 * something happened (a torn line cut off, or sk is not the key the
 * transcript last announced), so a clean step-to-step hand-over leaves no
 * trace of its own.
 */
int transcript_continue(struct transcript **t, const char *path,
    const char *actor, const unsigned char sk[MINISIG_SK_BYTES])
    CK_WUR __attribute__((nonnull));

/*
 * Would details pass the record check (printable strings and keys of at
 * most TRANSCRIPT_MAX_STRING bytes, integers, no reals, nesting at most
 * TRANSCRIPT_MAX_DEPTH)? Callers run it on untrusted values before they
 * change any state, so a value that cannot be recorded is refused, not
 * half-accepted. On failure field (if fieldlen > 0) names the value, e.g.
 * "server.version"; CK_ERR_TOO_LARGE for a long string, CK_ERR_FORMAT or
 * rd_printable_utf8's error otherwise.
 */
int transcript_check_details(const json_t *details, char *field,
    size_t fieldlen) CK_WUR;

/*
 * Append one record and fsync it. CK_ERR_CLOSED after transcript_close();
 * CK_ERR_INVALID_ARG for a reserved or malformed type, an actor or string
 * that is not printable, too deep or too long a record; CK_ERR_STATE after
 * an earlier write failed (resume the file to continue).
 */
int transcript_append(struct transcript *t, const struct transcript_event *ev)
    CK_WUR __attribute__((nonnull));

/*
 * Append the close record, re-verify the file as written, sign it into
 * PATH.minisig and write the public key to PATH.pub (both atomically).
 * head, when not NULL, receives the transcript's head hash (the hash of the
 * close record line), which the next ceremony passes as prev_transcript.
 */
int transcript_close(struct transcript *t, const char *actor,
    uint8_t head[TRANSCRIPT_HASH_BYTES]) CK_WUR __attribute__((nonnull(1, 2)));

/*
 * The same, for a ceremony that did not complete: the close record names
 * the outcome (TRANSCRIPT_ABANDONED or TRANSCRIPT_FAILED) and why (1..
 * TRANSCRIPT_REASON_MAX bytes of printable UTF-8). Such a transcript is
 * closed, signed and chained like any other; verify reports the outcome.
 */
#define TRANSCRIPT_ABANDONED	"abandoned"
#define TRANSCRIPT_FAILED	"failed"
#define TRANSCRIPT_REASON_MAX	512
int transcript_close_as(struct transcript *t, const char *actor,
    const char *outcome, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES]) CK_WUR __attribute__((nonnull(1, 2)));

/*
 * The head hash as people read it aloud, write it on paper and initial it:
 * its first TRANSCRIPT_HEAD_WORDS bytes (128 bits) as PGP words. Every
 * screen that shows a head uses this, so the words always match.
 */
#define TRANSCRIPT_HEAD_WORDS	16
int transcript_head_words(const uint8_t head[TRANSCRIPT_HASH_BYTES],
    char *out, size_t outmax) CK_WUR __attribute__((nonnull));

/* Head hash so far and the number of records written. */
void transcript_head(const struct transcript *t,
    uint8_t head[TRANSCRIPT_HASH_BYTES], uint64_t *records)
    __attribute__((nonnull(1)));

/* Close the file descriptor and free; NULL-safe. Does not close the record. */
void transcript_free(struct transcript *t);

/* What transcript_verify found. */
struct transcript_report {
	uint64_t records;	/* complete records read */
	int closed;		/* ends with a close record */
	int chain_ok;		/* every record read verifies (closed or not) */
	/* The close record's outcome ("" completed, else abandoned/failed) and why. */
	char outcome[16];
	char outcome_reason[TRANSCRIPT_REASON_MAX + 1];
	uint8_t head[TRANSCRIPT_HASH_BYTES];	/* hash of the last good line */
	struct minisig_pubkey key;	/* the key that signs (last announced) */
	int has_key;
	/* resume records: each brought a new key, which the paper record
	 * must name too, since only people can vouch for it */
	uint64_t resumes;
	/* On failure: the first bad record (1-based line) and its seq if
	 * known, with a short reason; bad_line 0 means the signature files. */
	uint64_t bad_line;
	uint64_t bad_seq;
	int has_bad_seq;
	char reason[128];
};

/*
 * Check a transcript in memory: every line parses as a canonical record,
 * seq goes up by one from 0, each prev is the previous line's hash (the
 * first one's is zero or the opening record's previous_transcript), open,
 * resume and close records are where they belong, and the file ends with
 * a close record; then sig (PATH.minisig's bytes) must be a minisign
 * signature of the whole file by the last announced key. When expect is
 * not NULL, that key must also be expect (CK_ERR_WRONG_KEY); when it is
 * NULL, the transcript's own key is used and the caller must show its key
 * id so people can compare it with the paper record.
 * Errors: CK_ERR_FORMAT/CK_ERR_JSON/CK_ERR_NOT_PRINTABLE/CK_ERR_TOO_LARGE
 * (a malformed record), CK_ERR_OUT_OF_ORDER (seq), CK_ERR_CHAIN (prev),
 * CK_ERR_BAD_TYPE (a record where it may not be), CK_ERR_BAD_VERSION,
 * CK_ERR_TRUNCATED (torn last line, no close record), CK_ERR_WRONG_KEY,
 * CK_ERR_BAD_SIGNATURE. rep is filled in either way.
 */
int transcript_verify_buf(const void *buf, size_t len, const void *sig,
    size_t siglen, const struct minisig_pubkey *expect,
    struct transcript_report *rep) CK_WUR __attribute__((nonnull(1, 6)));

/*
 * Where transcript_verify and transcript_load_pubkey parse. NULL members
 * (the default) parse in this process; the appliance's monitor installs
 * its parser child's client (appliance/monitor.h), which answers exactly
 * as they do on the files the caller opened (transcript_files_open: the
 * transcript and its signature file, sigfd -1 without one; the .pub).
 */
struct transcript_isolation {
	int (*verify)(int fd, int sigfd, const struct minisig_pubkey *expect,
	    struct transcript_report *rep);
	int (*pubkey)(int fd, struct minisig_pubkey *pk);
};
void transcript_set_isolation(const struct transcript_isolation *iso);

/*
 * transcript_verify_buf() on path and PATH.minisig, read with size limits
 * (symlinks and non-regular files refused). A missing signature file is
 * CK_ERR_NOT_FOUND, after the records themselves have been checked.
 */
int transcript_verify(const char *path, const struct minisig_pubkey *expect,
    struct transcript_report *rep) CK_WUR __attribute__((nonnull(1, 3)));

/*
 * A transcript's files as its readers take them: fd the transcript and
 * sigfd PATH.minisig (-1 when there is none: the verification then says
 * so), each opened with media/file.h file_open_read (no symlink, a
 * regular file within its limit); buf and sig their bytes when read here
 * (sig NULL without a signature file).
 */
struct transcript_files {
	int fd, sigfd;
	uint8_t *buf, *sig;
	size_t len, siglen;
};

/*
 * Open path's files into *f and, with read_here, read them (with rd_fd)
 * for a parser in this process; without it only the descriptors are
 * open, for a parser child (appliance/wire.h hands it the files). On
 * failure nothing is open and rep->reason says what could not be read;
 * else transcript_files_close(f).
 */
int transcript_files_open(const char *path, int read_here,
    struct transcript_files *f, struct transcript_report *rep) CK_WUR
    __attribute__((nonnull));
void transcript_files_close(struct transcript_files *f);

/*
 * Read a minisign .pub file (at most MINISIG_MAX_PUBFILE bytes, symlinks
 * and non-regular files refused) for transcript_verify's expect.
 */
int transcript_load_pubkey(const char *path, struct minisig_pubkey *pk)
    CK_WUR __attribute__((nonnull));

#endif
