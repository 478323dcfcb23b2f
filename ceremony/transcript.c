/*
 * The transcript journal: writing, resuming and verifying (format in
 * transcript.h and docs/transcript.md).
 *
 * Parser limits: the file is at most TRANSCRIPT_MAX_BYTES and
 * TRANSCRIPT_MAX_RECORDS records; each record one line of at most
 * TRANSCRIPT_MAX_LINE bytes, read with rd_json (strict: no duplicate keys,
 * no NUL) and accepted only in canonical form: the top-level keys in the
 * fixed order seq, time, type, actor, details, [in], [out], prev, and the
 * line byte-identical to jansson's compact dump of what was parsed. Every
 * string, object key included, is printable UTF-8 (rd_printable_utf8);
 * a string in details is at most TRANSCRIPT_MAX_STRING bytes; details nests at most TRANSCRIPT_MAX_DEPTH deep and holds no reals, so
 * the dump is stable. The same check runs on every record before it is
 * written, so the writer cannot produce a record the verifier refuses.
 */
#include "ceremony/transcript.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "crypto/words.h"
#include "media/file.h"

#define TIME_LEN	20	/* 2026-11-23T10:53:03Z */

struct transcript {
	int fd;
	int dirfd;	/* the transcript's directory */
	char *name;	/* its name there */
	uint64_t records;
	off_t size;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	const unsigned char *sk;	/* borrowed, secmem */
	struct minisig_pubkey key;
	int closed;	/* the close record is written */
	int sigdone;	/* PATH.minisig and PATH.pub are written */
	int broken;	/* a write failed: resume to continue */
};

/* One record as parsed; root owns every string pointed to. */
struct rec {
	json_t *root;
	uint64_t seq;
	const char *type;
	json_t *details;
	uint8_t prev[TRANSCRIPT_HASH_BYTES];
};

/* What a scan of the records found so far. */
struct scan {
	uint64_t records;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	struct minisig_pubkey key;
	int closed;
	uint64_t resumes;
	size_t good_len;	/* bytes up to the end of the last good line */
	char outcome[16];
	char outcome_reason[TRANSCRIPT_REASON_MAX + 1];
};

static const char *const top_keys[] = {
	"seq", "time", "type", "actor", "details", "in", "out", "prev",
};
static const uint8_t zero_hash[TRANSCRIPT_HASH_BYTES];

static void
hash_line(const uint8_t *line, size_t len, uint8_t h[TRANSCRIPT_HASH_BYTES])
{
	/* The record's exact bytes as written: the line and its '\n'. */
	crypto_generichash(h, TRANSCRIPT_HASH_BYTES, line, len + 1, NULL, 0);
}

static void
to_hex(const uint8_t h[TRANSCRIPT_HASH_BYTES], char out[TRANSCRIPT_HEX_LEN + 1])
{
	sodium_bin2hex(out, TRANSCRIPT_HEX_LEN + 1, h, TRANSCRIPT_HASH_BYTES);
}

/* Exactly 64 lower-case hex digits (one spelling per hash). */
static int
from_hex(json_t *s, uint8_t h[TRANSCRIPT_HASH_BYTES])
{
	const char *p;
	size_t i;

	if (!json_is_string(s) || json_string_length(s) != TRANSCRIPT_HEX_LEN)
		return CK_ERR_FORMAT;
	p = json_string_value(s);
	for (i = 0; i < TRANSCRIPT_HEX_LEN; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return CK_ERR_FORMAT;
	return codec_hex_decode_exact(p, TRANSCRIPT_HEX_LEN, h,
	    TRANSCRIPT_HASH_BYTES);
}

static int
check_time(json_t *v)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	const char *s;
	size_t i;

	if (!json_is_string(v) || json_string_length(v) != TIME_LEN)
		return CK_ERR_FORMAT;
	s = json_string_value(v);
	for (i = 0; i < TIME_LEN; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return CK_ERR_FORMAT;
	return CK_OK;
}

static int
check_type(json_t *v)
{
	const char *s;
	size_t i, n;

	if (!json_is_string(v))
		return CK_ERR_FORMAT;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > TRANSCRIPT_MAX_TYPE)
		return CK_ERR_FORMAT;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-'))
			return CK_ERR_FORMAT;
	return CK_OK;
}

static int
check_text(json_t *v, size_t max)
{
	size_t n;

	if (!json_is_string(v))
		return CK_ERR_FORMAT;
	n = json_string_length(v);
	if (n == 0 || n > max)
		return CK_ERR_FORMAT;
	return rd_printable_utf8(json_string_value(v), n, 0);
}

/* Append ".key" or "[i]" to the path of the value being checked. */
static void
path_push(char *path, size_t pathlen, const char *key, size_t i)
{
	size_t used = strlen(path);

	if (used >= pathlen)
		return;
	if (key != NULL)
		snprintf(path + used, pathlen - used, "%s%s", used ? "." : "", key);
	else
		snprintf(path + used, pathlen - used, "[%zu]", i);
}

/*
 * details: printable strings and keys of at most TRANSCRIPT_MAX_STRING
 * bytes, integers, no reals, bounded depth. On failure path names the
 * value that failed ("server.version", "nodes[2].error").
 */
static int
check_value(json_t *v, int depth, char *path, size_t pathlen)
{
	size_t i, mark = strlen(path);
	const char *k;
	json_t *x;
	int e;

	if (depth > TRANSCRIPT_MAX_DEPTH)
		return CK_ERR_FORMAT;
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (json_string_length(v) > TRANSCRIPT_MAX_STRING)
			return CK_ERR_TOO_LARGE;
		return rd_printable_utf8(json_string_value(v),
		    json_string_length(v), 0);
	case JSON_REAL:
		return CK_ERR_FORMAT;
	case JSON_ARRAY:
		json_array_foreach(v, i, x) {
			path_push(path, pathlen, NULL, i);
			if ((e = check_value(x, depth + 1, path, pathlen)) != CK_OK)
				return e;
			path[mark] = '\0';
		}
		return CK_OK;
	case JSON_OBJECT:
		json_object_foreach(v, k, x) {
			if (strlen(k) > TRANSCRIPT_MAX_STRING)
				return CK_ERR_TOO_LARGE;
			if ((e = rd_printable_utf8(k, strlen(k), 0)) != CK_OK)
				return e;
			path_push(path, pathlen, k, 0);
			if ((e = check_value(x, depth + 1, path, pathlen)) != CK_OK)
				return e;
			path[mark] = '\0';
		}
		return CK_OK;
	default:
		return CK_OK;
	}
}

int
transcript_check_details(const json_t *details, char *field, size_t fieldlen)
{
	char path[TRANSCRIPT_MAX_PATH] = "";
	int e;

	if (fieldlen > 0)
		field[0] = '\0';
	if (!json_is_object(details))
		return CK_ERR_FORMAT;
	if ((e = check_value((json_t *)details, 0, path, sizeof(path))) != CK_OK &&
	    fieldlen > 0)
		snprintf(field, fieldlen, "%s", path);
	return e;
}

static int
check_hashes(json_t *v)
{
	uint8_t h[TRANSCRIPT_HASH_BYTES];
	json_t *x;
	size_t i;
	int e;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > TRANSCRIPT_MAX_HASHES)
		return CK_ERR_FORMAT;
	json_array_foreach(v, i, x)
		if ((e = from_hex(x, h)) != CK_OK)
			return e;
	return CK_OK;
}

/* The top-level keys, in their fixed order, optional ones skipped. */
static int
check_fields(json_t *root, struct rec *rc)
{
	size_t want = 0, nkeys = sizeof(top_keys) / sizeof(top_keys[0]);
	json_int_t seq;
	const char *k;
	json_t *v;
	int e;

	json_object_foreach(root, k, v) {
		while (want < nkeys && strcmp(k, top_keys[want]) != 0 &&
		    (strcmp(top_keys[want], "in") == 0 ||
		    strcmp(top_keys[want], "out") == 0))
			want++;
		if (want == nkeys || strcmp(k, top_keys[want]) != 0)
			return CK_ERR_FORMAT;
		switch (want++) {
		case 0:
			if (!json_is_integer(v) || (seq = json_integer_value(v)) < 0)
				return CK_ERR_FORMAT;
			rc->seq = (uint64_t)seq;
			e = CK_OK;
			break;
		case 1: e = check_time(v); break;
		case 2: e = check_type(v); rc->type = json_string_value(v); break;
		case 3: e = check_text(v, TRANSCRIPT_MAX_ACTOR); break;
		case 4:
			e = transcript_check_details(v, NULL, 0);
			rc->details = v;
			break;
		case 5: case 6: e = check_hashes(v); break;
		default: e = from_hex(v, rc->prev); break;
		}
		if (e != CK_OK)
			return e;
	}
	return want == nkeys ? CK_OK : CK_ERR_FORMAT;
}

/*
 * Parse one line into rc (rc->root owned by the caller on success): strict
 * JSON, the fields above, and canonical bytes.
 */
static int
parse_line(const uint8_t *line, size_t len, struct rec *rc)
{
	json_t *root = NULL;
	char *dump = NULL;
	int e;

	memset(rc, 0, sizeof(*rc));
	if ((e = rd_json(line, len, TRANSCRIPT_MAX_LINE, &root)) != CK_OK)
		goto out;
	if (!json_is_object(root)) {
		e = CK_ERR_FORMAT;
		goto out;
	}
	if ((e = check_fields(root, rc)) != CK_OK)
		goto out;
	/* One encoding per record: the hash chain then covers its meaning. */
	dump = json_dumps(root, JSON_COMPACT);
	if (dump == NULL || strlen(dump) != len || memcmp(dump, line, len) != 0) {
		e = dump == NULL ? CK_ERR_ALLOC : CK_ERR_FORMAT;
		goto out;
	}
	rc->root = root;
	root = NULL;
	e = CK_OK;
out:
	free(dump);
	json_decref(root);
	return e;
}

static void fail_at(struct transcript_report *rep, uint64_t line,
    const struct rec *rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
fail_at(struct transcript_report *rep, uint64_t line, const struct rec *rc,
    const char *fmt, ...)
{
	va_list ap;

	rep->bad_line = line;
	if (rc != NULL && rc->root != NULL) {
		rep->bad_seq = rc->seq;
		rep->has_bad_seq = 1;
	}
	va_start(ap, fmt);
	vsnprintf(rep->reason, sizeof(rep->reason), fmt, ap);
	va_end(ap);
}

static int
get_pubkey(json_t *details, struct minisig_pubkey *key)
{
	json_t *v = json_object_get(details, "pubkey");

	if (!json_is_string(v))
		return CK_ERR_FORMAT;
	return minisig_pubkey_decode(json_string_value(v), json_string_length(v),
	    key);
}

static int
role_fail(const char **why, const char *msg, int e)
{
	*why = msg;
	return e;
}

/* The rules for the special records; sets want_prev for the first one. */
static int
check_role(const struct rec *rc, struct scan *st, uint8_t *want_prev,
    const char **why)
{
	json_t *d = rc->details, *v;
	uint8_t h[TRANSCRIPT_HASH_BYTES];

	if (st->closed)
		return role_fail(why, "record after the close record",
		    CK_ERR_BAD_TYPE);
	if ((st->records == 0) != (strcmp(rc->type, "open") == 0))
		return role_fail(why, "the first record, and only it, is "
		    "\"open\"", CK_ERR_BAD_TYPE);
	if (st->records == 0) {
		v = json_object_get(d, "format");
		if (!json_is_string(v) ||
		    strcmp(json_string_value(v), TRANSCRIPT_FORMAT) != 0)
			return role_fail(why, "unknown transcript format",
			    CK_ERR_BAD_VERSION);
		if (get_pubkey(d, &st->key) != CK_OK)
			return role_fail(why, "bad public key in the opening "
			    "record", CK_ERR_FORMAT);
		v = json_object_get(d, "previous_transcript");
		if (v != NULL && from_hex(v, want_prev) != CK_OK)
			return role_fail(why, "bad previous_transcript",
			    CK_ERR_FORMAT);
		return CK_OK;
	}
	if (strcmp(rc->type, "resume") == 0) {
		if (get_pubkey(d, &st->key) != CK_OK)
			return role_fail(why, "bad public key in a resume "
			    "record", CK_ERR_FORMAT);
		st->resumes++;
	}
	if (strcmp(rc->type, "close") == 0) {
		v = json_object_get(d, "records");
		if (!json_is_integer(v) ||
		    (uint64_t)json_integer_value(v) != rc->seq ||
		    from_hex(json_object_get(d, "head"), h) != CK_OK ||
		    memcmp(h, rc->prev, sizeof(h)) != 0)
			return role_fail(why, "close record does not match the "
			    "records", CK_ERR_FORMAT);
		if ((v = json_object_get(d, "outcome")) != NULL) {
			const char *o = json_string_value(v);
			const char *why_s = json_string_value(json_object_get(d,
			    "reason"));

			if (o == NULL || why_s == NULL ||
			    (strcmp(o, TRANSCRIPT_ABANDONED) != 0 &&
			    strcmp(o, TRANSCRIPT_FAILED) != 0) ||
			    strlen(why_s) == 0 || strlen(why_s) > TRANSCRIPT_REASON_MAX)
				return role_fail(why, "close record names no "
				    "known outcome", CK_ERR_FORMAT);
			snprintf(st->outcome, sizeof(st->outcome), "%s", o);
			snprintf(st->outcome_reason, sizeof(st->outcome_reason),
			    "%s", why_s);
		}
		st->closed = 1;
	}
	return CK_OK;
}

/* Check one complete line as record number st->records. */
static int
scan_line(const uint8_t *line, size_t len, struct scan *st,
    struct transcript_report *rep)
{
	uint8_t want_prev[TRANSCRIPT_HASH_BYTES];
	uint64_t lineno = st->records + 1;
	const char *why;
	struct rec rc;
	int e;

	if ((e = parse_line(line, len, &rc)) != CK_OK) {
		fail_at(rep, lineno, NULL, "not a well-formed record (%s)",
		    ck_errname(e));
		return e;
	}
	if (rc.seq != st->records) {
		fail_at(rep, lineno, &rc, "seq %" PRIu64 " where %" PRIu64
		    " was due", rc.seq, st->records);
		e = CK_ERR_OUT_OF_ORDER;
		goto out;
	}
	memcpy(want_prev, st->records == 0 ? zero_hash : st->head,
	    sizeof(want_prev));
	if ((e = check_role(&rc, st, want_prev, &why)) != CK_OK) {
		fail_at(rep, lineno, &rc, "%s", why);
		goto out;
	}
	if (sodium_memcmp(rc.prev, want_prev, sizeof(want_prev)) != 0) {
		fail_at(rep, lineno, &rc, "prev is not the hash of %s",
		    st->records == 0 ? "the previous transcript (or zero)" :
		    "the record before");
		e = CK_ERR_CHAIN;
		goto out;
	}
	hash_line(line, len, st->head);
	st->records++;
	e = CK_OK;
out:
	json_decref(rc.root);
	return e;
}

/*
 * Walk every complete line. A last line without its '\n' is an error
 * unless allow_torn (resume), which stops before it. st->good_len is the
 * length of the part that checked out.
 */
static int
scan_records(const uint8_t *buf, size_t len, int allow_torn, struct scan *st,
    struct transcript_report *rep)
{
	const uint8_t *line;
	size_t linelen;
	struct rd r;
	int e;

	memset(st, 0, sizeof(*st));
	if (len > TRANSCRIPT_MAX_BYTES) {
		fail_at(rep, 1, NULL, "file larger than %u bytes",
		    TRANSCRIPT_MAX_BYTES);
		return CK_ERR_TOO_LARGE;
	}
	rd_init(&r, buf, len);
	while (rd_left(&r) > 0) {
		if (st->records >= TRANSCRIPT_MAX_RECORDS) {
			fail_at(rep, st->records + 1, NULL, "too many records");
			return CK_ERR_TOO_LARGE;
		}
		e = rd_line(&r, TRANSCRIPT_MAX_LINE, &line, &linelen);
		if (e == CK_ERR_TRUNCATED && allow_torn)
			break;
		if (e != CK_OK) {
			fail_at(rep, st->records + 1, NULL, e == CK_ERR_TRUNCATED ?
			    "last line has no newline (torn write)" :
			    "line longer than the limit");
			return e;
		}
		if ((e = scan_line(line, linelen, st, rep)) != CK_OK)
			return e;
		st->good_len = len - rd_left(&r);
	}
	if (st->records == 0) {
		fail_at(rep, 1, NULL, "no complete record");
		return CK_ERR_TRUNCATED;
	}
	return CK_OK;
}

/* The trusted comment of a transcript's signature names what it covers. */
static char *
trusted_comment(uint64_t records, const uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	char hex[TRANSCRIPT_HEX_LEN + 1], *s;

	to_hex(head, hex);
	if (asprintf(&s, "conclave transcript\trecords:%" PRIu64 "\thead:%s",
	    records, hex) < 0)
		return NULL;
	return s;
}

static void
fill_report(struct transcript_report *rep, const struct scan *st)
{
	rep->records = st->records;
	rep->closed = st->closed;
	memcpy(rep->outcome, st->outcome, sizeof(rep->outcome));
	memcpy(rep->outcome_reason, st->outcome_reason,
	    sizeof(rep->outcome_reason));
	memcpy(rep->head, st->head, sizeof(rep->head));
	rep->key = st->key;
	rep->has_key = st->records > 0;
	rep->resumes = st->resumes;
}

/* Where the parsing runs (transcript_set_isolation). */
static struct transcript_isolation isolated;

void
transcript_set_isolation(const struct transcript_isolation *iso)
{
	memset(&isolated, 0, sizeof(isolated));
	if (iso != NULL)
		isolated = *iso;
}

int
transcript_verify_buf(const void *buf, size_t len, const void *sig,
    size_t siglen, const struct minisig_pubkey *expect,
    struct transcript_report *rep)
{
	char *tc = NULL, *want = NULL, id[17];
	struct scan st;
	int e;

	memset(rep, 0, sizeof(*rep));
	e = scan_records(buf, len, 0, &st, rep);
	fill_report(rep, &st);
	if (e != CK_OK)
		goto out;
	rep->chain_ok = 1;
	if (!st.closed) {
		fail_at(rep, st.records + 1, NULL, "no close record");
		e = CK_ERR_TRUNCATED;
		goto out;
	}
	if (expect != NULL && (memcmp(expect->key_id, st.key.key_id,
	    MINISIG_KEYID_BYTES) != 0 ||
	    memcmp(expect->pk, st.key.pk, MINISIG_PK_BYTES) != 0)) {
		minisig_keyid_hex(&st.key, id);
		fail_at(rep, 0, NULL, "signing key in the transcript is %s, "
		    "not the expected one", id);
		e = CK_ERR_WRONG_KEY;
		goto out;
	}
	if (sig == NULL) {
		fail_at(rep, 0, NULL, "no signature file");
		e = CK_ERR_NOT_FOUND;
		goto out;
	}
	if ((e = minisig_verify(buf, len, sig, siglen, &st.key, &tc)) != CK_OK) {
		/* The chain held, so only the close record is in question. */
		if (e == CK_ERR_BAD_SIGNATURE)
			fail_at(rep, 0, NULL, "signature does not verify: the "
			    "close record (line %" PRIu64 ") or the .minisig "
			    "was changed", st.records);
		else
			fail_at(rep, 0, NULL, "signature: %s", ck_strerror(e));
		goto out;
	}
	if ((want = trusted_comment(st.records, st.head)) == NULL) {
		e = CK_ERR_ALLOC;
		goto out;
	}
	if (strcmp(tc, want) != 0) {
		fail_at(rep, 0, NULL, "signed comment does not name this head");
		e = CK_ERR_FORMAT;
		goto out;
	}
	e = CK_OK;
out:
	free(tc);
	free(want);
	return e;
}

/*
 * Open path's directory (no symlink as its last component) and give the
 * final name, which media/file.h wants on its own.
 */
static int
open_parent(const char *path, int *dirfd, char **name)
{
	char *d = strdup(path), *b = strdup(path);
	int e = CK_ERR_ALLOC;

	*dirfd = -1;
	*name = NULL;
	if (d == NULL || b == NULL)
		goto out;
	if ((e = file_open_dir(AT_FDCWD, dirname(d), 0, 0, dirfd)) != CK_OK)
		goto out;
	if ((*name = strdup(basename(b))) == NULL) {
		close(*dirfd);
		*dirfd = -1;
		e = CK_ERR_ALLOC;
		goto out;
	}
	e = CK_OK;
out:
	free(d);
	free(b);
	return e;
}

/* dirfd/name + suffix, e.g. the .minisig beside a transcript. */
static int
read_beside(int dirfd, const char *name, const char *suffix, size_t max,
    uint8_t **buf, size_t *len)
{
	char *n;
	int e;

	*buf = NULL;
	*len = 0;
	if (asprintf(&n, "%s%s", name, suffix) < 0)
		return CK_ERR_ALLOC;
	e = file_read(dirfd, n, max, buf, len);
	free(n);
	return e;
}

/* path and PATH.minisig opened with media/file.h file_open_read. */
static int
open_files(const char *path, int *fd, int *sigfd,
    struct transcript_report *rep)
{
	char *name = NULL, *signame = NULL;
	int dirfd = -1, e;

	*fd = -1;
	*sigfd = -1;
	memset(rep, 0, sizeof(*rep));
	if ((e = open_parent(path, &dirfd, &name)) != CK_OK ||
	    (e = file_open_read(dirfd, name, TRANSCRIPT_MAX_BYTES, fd)) != CK_OK) {
		fail_at(rep, 0, NULL, "cannot read the transcript: %s",
		    ck_strerror(e));
		goto out;
	}
	if (asprintf(&signame, "%s.minisig", name) < 0) {
		signame = NULL;
		e = CK_ERR_ALLOC;
		goto out;
	}
	e = file_open_read(dirfd, signame, MINISIG_MAX_SIGFILE, sigfd);
	if (e == CK_ERR_NOT_FOUND)
		e = CK_OK;
	else if (e != CK_OK)
		fail_at(rep, 0, NULL, "cannot read its .minisig: %s",
		    ck_strerror(e));
out:
	if (e != CK_OK && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	if (dirfd >= 0)
		close(dirfd);
	free(name);
	free(signame);
	return e;
}

int
transcript_files_open(const char *path, int read_here,
    struct transcript_files *f, struct transcript_report *rep)
{
	int e;

	memset(f, 0, sizeof(*f));
	if ((e = open_files(path, &f->fd, &f->sigfd, rep)) != CK_OK ||
	    !read_here)
		return e;
	if ((e = rd_fd(f->fd, TRANSCRIPT_MAX_BYTES, &f->buf, &f->len))
	    == CK_OK && f->sigfd >= 0)
		e = rd_fd(f->sigfd, MINISIG_MAX_SIGFILE, &f->sig, &f->siglen);
	if (e != CK_OK) {
		fail_at(rep, 0, NULL, "cannot read the transcript: %s",
		    ck_strerror(e));
		transcript_files_close(f);
	}
	return e;
}

void
transcript_files_close(struct transcript_files *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->sigfd >= 0)
		close(f->sigfd);
	free(f->buf);
	free(f->sig);
	memset(f, 0, sizeof(*f));
	f->fd = f->sigfd = -1;
}

int
transcript_verify(const char *path, const struct minisig_pubkey *expect,
    struct transcript_report *rep)
{
	struct transcript_files f;
	int e;

	if ((e = transcript_files_open(path, isolated.verify == NULL, &f,
	    rep)) != CK_OK)
		return e;
	e = isolated.verify != NULL ?
	    isolated.verify(f.fd, f.sigfd, expect, rep) :
	    transcript_verify_buf(f.buf, f.len, f.sig, f.siglen, expect, rep);
	transcript_files_close(&f);
	return e;
}

int
transcript_load_pubkey(const char *path, struct minisig_pubkey *pk)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char *name = NULL;
	int dirfd = -1, fd = -1, e;

	if ((e = open_parent(path, &dirfd, &name)) != CK_OK ||
	    (e = file_open_read(dirfd, name, MINISIG_MAX_PUBFILE, &fd)) != CK_OK)
		goto out;
	if (isolated.pubkey != NULL)
		e = isolated.pubkey(fd, pk);
	else if ((e = rd_fd(fd, MINISIG_MAX_PUBFILE, &buf, &len)) == CK_OK)
		e = minisig_pubkey_parse(buf, len, pk);
out:
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	free(name);
	free(buf);
	return e;
}

static void
now_rfc3339(char out[TIME_LEN + 1])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
hash_array(json_t *root, const char *key,
    const uint8_t (*h)[TRANSCRIPT_HASH_BYTES], size_t n)
{
	char hex[TRANSCRIPT_HEX_LEN + 1];
	json_t *a;
	size_t i;

	if (n == 0)
		return CK_OK;
	if (h == NULL || n > TRANSCRIPT_MAX_HASHES)
		return CK_ERR_INVALID_ARG;
	if ((a = json_array()) == NULL || json_object_set_new(root, key, a) != 0)
		return CK_ERR_ALLOC;
	for (i = 0; i < n; i++) {
		to_hex(h[i], hex);
		if (json_array_append_new(a, json_string(hex)) != 0)
			return CK_ERR_ALLOC;
	}
	return CK_OK;
}

/* The record's line, '\n' included, checked as the verifier will. */
static int
build_line(const struct transcript *t, const struct transcript_event *ev,
    char **line, size_t *len)
{
	char ts[TIME_LEN + 1], prev[TRANSCRIPT_HEX_LEN + 1], *s = NULL, *grown;
	json_t *root = NULL, *details;
	struct rec rc = { 0 };
	size_t n;
	int e = CK_ERR_ALLOC;

	*line = NULL;
	now_rfc3339(ts);
	to_hex(t->head, prev);
	details = ev->details != NULL ? json_incref(ev->details) : json_object();
	if ((root = json_object()) == NULL || details == NULL ||
	    json_object_set_new(root, "seq", json_integer(
	    (json_int_t)t->records)) != 0 ||
	    json_object_set_new(root, "time", json_string(ts)) != 0 ||
	    json_object_set_new(root, "type", json_string(ev->type)) != 0 ||
	    json_object_set_new(root, "actor", json_string(ev->actor)) != 0 ||
	    json_object_set(root, "details", details) != 0)
		goto out;
	if ((e = hash_array(root, "in", ev->in, ev->n_in)) != CK_OK ||
	    (e = hash_array(root, "out", ev->out, ev->n_out)) != CK_OK)
		goto out;
	e = CK_ERR_ALLOC;
	if (json_object_set_new(root, "prev", json_string(prev)) != 0 ||
	    (s = json_dumps(root, JSON_COMPACT)) == NULL)
		goto out;
	n = strlen(s);
	if (parse_line((const uint8_t *)s, n, &rc) != CK_OK) {
		e = CK_ERR_INVALID_ARG;
		goto out;
	}
	/* json_dumps gives exactly n + 1 bytes: the newline needs one more. */
	if ((grown = realloc(s, n + 2)) == NULL)
		goto out;
	s = grown;
	s[n] = '\n';
	s[n + 1] = '\0';
	*line = s;
	*len = n + 1;
	s = NULL;
	e = CK_OK;
out:
	json_decref(rc.root);
	json_decref(details);
	json_decref(root);
	free(s);
	return e;
}

/* Write one record durably; on failure cut the file back and stop. */
static int
append_record(struct transcript *t, const struct transcript_event *ev)
{
	char *line = NULL;
	size_t len;
	int e;

	if (t->broken)
		return CK_ERR_STATE;
	if (t->closed)
		return CK_ERR_CLOSED;
	if (t->records >= TRANSCRIPT_MAX_RECORDS)
		return CK_ERR_TOO_LARGE;
	if ((e = build_line(t, ev, &line, &len)) != CK_OK)
		return e;
	file_crash_point();
	if ((e = file_write_all(t->fd, line, len)) == CK_OK && fsync(t->fd) != 0)
		e = file_errno(errno);
	if (e != CK_OK) {
		/*
		 * Best effort: transcript_resume also cuts a torn line. The
		 * state of the file is unknown now, so stop appending.
		 */
		if (ftruncate(t->fd, t->size) == 0)
			(void)fsync(t->fd);
		t->broken = 1;
		goto out;
	}
	hash_line((const uint8_t *)line, len - 1, t->head);
	t->records++;
	t->size += (off_t)len;
	if (strcmp(ev->type, "close") == 0)
		t->closed = 1;
	e = CK_OK;
out:
	free(line);
	return e;
}

static int
is_reserved(const char *type)
{
	return strcmp(type, "open") == 0 || strcmp(type, "resume") == 0 ||
	    strcmp(type, "close") == 0;
}

int
transcript_append(struct transcript *t, const struct transcript_event *ev)
{
	if (t->closed)
		return CK_ERR_CLOSED;
	if (ev->type == NULL || ev->actor == NULL || is_reserved(ev->type) ||
	    (ev->details != NULL && !json_is_object(ev->details)))
		return CK_ERR_INVALID_ARG;
	return append_record(t, ev);
}

static int
transcript_new(struct transcript **tp, const char *path,
    const unsigned char *sk)
{
	struct transcript *t = calloc(1, sizeof(*t));
	int e;

	*tp = NULL;
	if (t == NULL)
		return CK_ERR_ALLOC;
	t->fd = -1;
	if ((e = open_parent(path, &t->dirfd, &t->name)) != CK_OK) {
		free(t);
		return e;
	}
	t->sk = sk;
	minisig_pubkey_from_sk(&t->key, sk);
	*tp = t;
	return CK_OK;
}

/* details for open and resume: the key first, then the caller's fields. */
static int
key_details(const struct transcript *t, int opening,
    const uint8_t *prev_transcript, json_t *extra, json_t **out)
{
	char b64[MINISIG_PK_B64_LEN + 1], hex[TRANSCRIPT_HEX_LEN + 1];
	json_t *d;

	*out = NULL;
	if (extra != NULL && (!json_is_object(extra) ||
	    json_object_get(extra, "format") != NULL ||
	    json_object_get(extra, "pubkey") != NULL ||
	    json_object_get(extra, "previous_transcript") != NULL))
		return CK_ERR_INVALID_ARG;
	minisig_pubkey_b64(&t->key, b64);
	if ((d = json_object()) == NULL)
		return CK_ERR_ALLOC;
	if ((opening && json_object_set_new(d, "format",
	    json_string(TRANSCRIPT_FORMAT)) != 0) ||
	    json_object_set_new(d, "pubkey", json_string(b64)) != 0)
		goto fail;
	if (prev_transcript != NULL) {
		to_hex(prev_transcript, hex);
		if (json_object_set_new(d, "previous_transcript",
		    json_string(hex)) != 0)
			goto fail;
	}
	if (extra != NULL && json_object_update(d, extra) != 0)
		goto fail;
	*out = d;
	return CK_OK;
fail:
	json_decref(d);
	return CK_ERR_ALLOC;
}

/*
 * One writer per journal: a second one (another process, or a second
 * handle in this one) would fork the chain. The lock dies with the fd.
 */
static int
lock_journal(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return CK_OK;
	return errno == EWOULDBLOCK ? CK_ERR_BUSY : file_errno(errno);
}

/* /proc/locks: a few lines per lock held on the system */
#define LOCKS_MAX	(1024 * 1024)
#define LOCKS_LINE_MAX	256

int
transcript_lock_holder(const char *path, long *pid)
{
	char line[LOCKS_LINE_MAX + 1], kind[16];
	const uint8_t *l;
	uint8_t *buf = NULL;
	size_t len = 0, llen;
	unsigned long long ino;
	unsigned maj, min;
	struct stat st;
	struct rd rd;
	long p;
	int r = CK_ERR_NOT_FOUND;

	*pid = 0;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    file_read_proc("/proc/locks", LOCKS_MAX, &buf, &len) != CK_OK)
		return CK_ERR_NOT_FOUND;
	/* "ID: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE START END"; a
	 * waiter's line has "->" after the ID and is not the holder */
	rd_init(&rd, buf, len);
	while (rd_left(&rd) > 0 && rd_line(&rd, LOCKS_LINE_MAX, &l, &llen) ==
	    CK_OK) {
		memcpy(line, l, llen);
		line[llen] = '\0';
		if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%llu", kind, &p,
		    &maj, &min, &ino) == 5 && strcmp(kind, "FLOCK") == 0 &&
		    maj == major(st.st_dev) && min == minor(st.st_dev) &&
		    ino == (unsigned long long)st.st_ino && p > 0) {
			*pid = p;
			r = CK_OK;
			break;
		}
	}
	free(buf);
	return r;
}

int
transcript_open(struct transcript **tp, const char *path, const char *actor,
    json_t *details, const uint8_t prev_transcript[TRANSCRIPT_HASH_BYTES],
    const unsigned char sk[MINISIG_SK_BYTES])
{
	struct transcript_event ev = { .type = "open", .actor = actor };
	struct transcript *t = NULL;
	int created = 0, e;

	*tp = NULL;
	if ((e = transcript_new(&t, path, sk)) != CK_OK)
		goto out;
	if ((e = key_details(t, 1, prev_transcript, details, &ev.details)) !=
	    CK_OK)
		goto out;
	if (prev_transcript != NULL)
		memcpy(t->head, prev_transcript, TRANSCRIPT_HASH_BYTES);
	t->fd = openat(t->dirfd, t->name, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0644);
	if (t->fd < 0) {
		e = file_errno(errno);
		goto out;
	}
	created = 1;
	if ((e = lock_journal(t->fd)) != CK_OK)
		goto out;
	if ((e = append_record(t, &ev)) != CK_OK)
		goto out;
	/* The new name must survive a power cut as well as the record. */
	if (fsync(t->dirfd) != 0) {
		e = file_errno(errno);
		goto out;
	}
	*tp = t;
	t = NULL;
	e = CK_OK;
out:
	if (t != NULL && created)
		(void)unlinkat(t->dirfd, t->name, 0);
	json_decref(ev.details);
	transcript_free(t);
	return e;
}

/*
 * Reopen for appending. A resume record is written when a torn line was
 * cut, when the key changed (after a crash), or always when forced (the
 * caller says the process was restarted); otherwise nothing is added.
 */
/* An existing transcript opened for appending, locked, and its bytes read. */
static int
open_existing(const char *path, const unsigned char *sk, struct transcript **tp,
    uint8_t **buf, size_t *len)
{
	struct transcript *t = NULL;
	int e;

	*tp = NULL;
	*buf = NULL;
	if ((e = transcript_new(&t, path, sk)) != CK_OK)
		goto out;
	if ((t->fd = openat(t->dirfd, t->name, O_RDWR | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		e = file_errno(errno);
		goto out;
	}
	if ((e = lock_journal(t->fd)) != CK_OK ||
	    (e = file_read(t->dirfd, t->name, TRANSCRIPT_MAX_BYTES, buf,
	    len)) != CK_OK)
		goto out;
	*tp = t;
	t = NULL;
out:
	transcript_free(t);
	return e;
}

static int
reopen(struct transcript **tp, const char *path, const char *actor,
    const unsigned char sk[MINISIG_SK_BYTES], int force_resume)
{
	struct transcript_event ev = { .type = "resume", .actor = actor };
	struct transcript_report rep;
	struct transcript *t = NULL;
	uint8_t *buf = NULL;
	struct scan st;
	size_t len;
	int e = CK_ERR_ALLOC;

	*tp = NULL;
	if ((e = open_existing(path, sk, &t, &buf, &len)) != CK_OK)
		goto out;
	memset(&rep, 0, sizeof(rep));
	if ((e = scan_records(buf, len, 1, &st, &rep)) != CK_OK)
		goto out;
	if (st.closed) {
		e = CK_ERR_CLOSED;
		goto out;
	}
	/* Only the record being written when the power went can be torn. */
	if (st.good_len < len && (ftruncate(t->fd, (off_t)st.good_len) != 0 ||
	    fsync(t->fd) != 0)) {
		e = CK_ERR_IO;
		goto out;
	}
	t->records = st.records;
	t->size = (off_t)st.good_len;
	memcpy(t->head, st.head, sizeof(t->head));
	if (force_resume || st.good_len < len ||
	    sodium_memcmp(st.key.pk, t->key.pk, MINISIG_PK_BYTES) != 0) {
		if ((e = key_details(t, 0, NULL, NULL, &ev.details)) != CK_OK ||
		    (e = append_record(t, &ev)) != CK_OK)
			goto out;
	}
	*tp = t;
	t = NULL;
	e = CK_OK;
out:
	json_decref(ev.details);
	free(buf);
	transcript_free(t);
	return e;
}

/* Write dirfd/name + suffix atomically, replacing an older one. */
static int
write_beside(const struct transcript *t, const char *suffix, const char *buf,
    size_t len)
{
	char *n;
	int e;

	if (asprintf(&n, "%s%s", t->name, suffix) < 0)
		return CK_ERR_ALLOC;
	e = file_write_atomic(t->dirfd, n, buf, len, 0644, FILE_REPLACE);
	free(n);
	return e;
}

static int sign_files(struct transcript *t);

int
transcript_finish(const char *path, const unsigned char sk[MINISIG_SK_BYTES])
{
	struct transcript_report rep;
	struct transcript *t = NULL;
	uint8_t *buf = NULL, *sig = NULL;
	size_t len, siglen = 0;
	struct scan st;
	int e;

	if ((e = open_existing(path, sk, &t, &buf, &len)) != CK_OK)
		goto out;
	memset(&rep, 0, sizeof(rep));
	if ((e = scan_records(buf, len, 0, &st, &rep)) != CK_OK)
		goto out;
	if (!st.closed || sodium_memcmp(st.key.pk, t->key.pk,
	    MINISIG_PK_BYTES) != 0) {
		e = CK_ERR_STATE;
		goto out;
	}
	e = read_beside(t->dirfd, t->name, ".minisig", MINISIG_MAX_SIGFILE, &sig,
	    &siglen);
	if (e != CK_ERR_NOT_FOUND)
		goto out;	/* signed already (CK_OK), or unreadable */
	t->records = st.records;
	t->size = (off_t)len;
	memcpy(t->head, st.head, sizeof(t->head));
	t->closed = 1;
	e = sign_files(t);
out:
	free(sig);
	free(buf);
	transcript_free(t);
	return e;
}

int
transcript_resume(struct transcript **tp, const char *path, const char *actor,
    const unsigned char sk[MINISIG_SK_BYTES])
{
	return reopen(tp, path, actor, sk, 1);
}

int
transcript_continue(struct transcript **tp, const char *path,
    const char *actor, const unsigned char sk[MINISIG_SK_BYTES])
{
	return reopen(tp, path, actor, sk, 0);
}

/* Sign the file as it is on disk, after checking it as a verifier will. */
static int
sign_files(struct transcript *t)
{
	struct transcript_report rep;
	char *tc = NULL, *sig = NULL, *pub = NULL;
	size_t len, siglen, publen;
	uint8_t *buf = NULL;
	struct scan st;
	int e;

	if ((e = file_read(t->dirfd, t->name, TRANSCRIPT_MAX_BYTES, &buf,
	    &len)) != CK_OK)
		goto out;
	memset(&rep, 0, sizeof(rep));
	if ((e = scan_records(buf, len, 0, &st, &rep)) != CK_OK)
		goto out;
	if (!st.closed || st.records != t->records ||
	    memcmp(st.head, t->head, sizeof(st.head)) != 0 ||
	    memcmp(&st.key, &t->key, sizeof(st.key)) != 0) {
		e = CK_ERR_STATE;
		goto out;
	}
	if ((tc = trusted_comment(st.records, st.head)) == NULL) {
		e = CK_ERR_ALLOC;
		goto out;
	}
	if ((e = minisig_sign(buf, len, t->sk, tc, &sig, &siglen)) != CK_OK ||
	    (e = minisig_pubkey_format(&t->key, &pub, &publen)) != CK_OK ||
	    (e = write_beside(t, ".pub", pub, publen)) != CK_OK)
		goto out;
	e = write_beside(t, ".minisig", sig, siglen);
out:
	free(buf);
	free(tc);
	free(sig);
	free(pub);
	return e;
}

int
transcript_close(struct transcript *t, const char *actor,
    uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	return transcript_close_as(t, actor, NULL, NULL, head);
}

int
transcript_close_as(struct transcript *t, const char *actor,
    const char *outcome, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	struct transcript_event ev = { .type = "close", .actor = actor };
	char hex[TRANSCRIPT_HEX_LEN + 1];
	int e = CK_ERR_ALLOC;

	if (t->sigdone)
		return CK_ERR_CLOSED;
	if (outcome != NULL && (reason == NULL || reason[0] == '\0' ||
	    strlen(reason) > TRANSCRIPT_REASON_MAX ||
	    (strcmp(outcome, TRANSCRIPT_ABANDONED) != 0 &&
	    strcmp(outcome, TRANSCRIPT_FAILED) != 0)))
		return CK_ERR_INVALID_ARG;
	/* A second call after a failed signing only retries the signing. */
	if (!t->closed) {
		to_hex(t->head, hex);
		if ((ev.details = json_pack("{sIss}", "records",
		    (json_int_t)t->records, "head", hex)) == NULL)
			goto out;
		if (outcome != NULL &&
		    (json_object_set_new(ev.details, "outcome",
		    json_string(outcome)) != 0 ||
		    json_object_set_new(ev.details, "reason",
		    json_string(reason)) != 0))
			goto out;
		if ((e = append_record(t, &ev)) != CK_OK)
			goto out;
	}
	if ((e = sign_files(t)) != CK_OK)
		goto out;
	t->sigdone = 1;
	if (head != NULL)
		memcpy(head, t->head, TRANSCRIPT_HASH_BYTES);
	e = CK_OK;
out:
	json_decref(ev.details);
	return e;
}

int
transcript_head_words(const uint8_t head[TRANSCRIPT_HASH_BYTES], char *out,
    size_t outmax)
{
	return words_encode(head, TRANSCRIPT_HEAD_WORDS, out, outmax);
}

void
transcript_head(const struct transcript *t, uint8_t head[TRANSCRIPT_HASH_BYTES],
    uint64_t *records)
{
	if (head != NULL)
		memcpy(head, t->head, TRANSCRIPT_HASH_BYTES);
	if (records != NULL)
		*records = t->records;
}

void
transcript_free(struct transcript *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->name);
	free(t);
}
