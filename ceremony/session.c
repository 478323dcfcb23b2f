/*
 * The appliance's ceremony state folder (see session.h).
 *
 * Limits: ceremony.json at most SESSION_STATE_MAX bytes, parsed strictly;
 * ceremony.key exactly ENVELOPE_SK_BYTES.
 *
 * Order of writes in a step: the envelope, then its transcript record,
 * then ceremony.json. A crash between them leaves an envelope on the stick
 * that the state does not count yet; the step is then refused with
 * CK_ERR_EXISTS rather than sending a second, different envelope.
 */
#include "ceremony/session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "crypto/words.h"
#include "media/courier.h"
#include "media/file.h"
#include "protocol/kinds.h"

#define STATE_MODE	0600
#define DIR_MODE	0700

static struct session *
session_alloc(void)
{
	struct session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->dirfd = -1;
	if ((s->sk = secmem_alloc(ENVELOPE_SK_BYTES)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

int
session_exchange(struct session *s, struct exch_dir **x)
{
	const char *root;
	int r;

	if (s->x == NULL) {
		root = json_string_value(json_object_get(s->state, "exchange"));
		if (root == NULL)
			return CK_ERR_FORMAT;
		if ((r = exch_open(root, s->id, 0, &s->x)) != CK_OK)
			return r;
	}
	if (x != NULL)
		*x = s->x;
	return CK_OK;
}

void
session_exchange_close(struct session *s)
{
	exch_close(s->x);
	s->x = NULL;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	transcript_free(s->t);
	exch_close(s->x);
	json_decref(s->state);
	secmem_free(s->sk);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->dir);
	free(s);
}

char *
session_path(const struct session *s, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", s->dir, name) < 0)
		return NULL;
	return p;
}

/* A rehearsal's permission to keep the state folder on disk. */
static int disk_ok;

void
session_allow_disk(int yes)
{
	disk_ok = yes != 0;
}

/* The command line's begin --review (session_review_all). */
static int review_all;
static const char *const *review_names;
static size_t review_nnames;

void
session_review_all(int on, const char *const *witnesses, size_t n)
{
	review_all = on != 0;
	review_names = witnesses;
	review_nnames = witnesses != NULL ? n : 0;
}

/* The witnesses begin --review declared, into the state and the record. */
static int
review_mark(struct session *s, json_t *details)
{
	json_t *names = json_array();
	size_t i;
	int r = CK_ERR_ALLOC;

	s->review = 1;
	if (names == NULL || json_object_set_new(s->state, SESSION_REVIEW_MARK,
	    json_true()) != 0)
		goto out;
	for (i = 0; i < review_nnames; i++)
		if (json_array_append_new(names, json_string(review_names[i])) != 0)
			goto out;
	if (review_nnames > 0 &&
	    (json_object_set(s->state, SESSION_REVIEW_WITNESSES, names) != 0 ||
	    json_object_set(details, SESSION_REVIEW_WITNESSES, names) != 0))
		goto out;
	r = CK_OK;
out:
	json_decref(names);
	return r;
}

/*
 * dir, or the folder it will be created in, is on tmpfs or ramfs (or the
 * disk is allowed). Checked before anything is created or read.
 */
int
session_check_ram(const char *dir)
{
	struct statfs st;
	char *parent;
	int r;

	if (disk_ok)
		return CK_OK;
	if (statfs(dir, &st) != 0) {
		if (errno != ENOENT)
			return file_errno(errno);
		if ((r = file_parent(dir, &parent)) != CK_OK)
			return r;
		r = statfs(parent, &st);
		free(parent);
		if (r != 0)
			return file_errno(errno);
	}
	if (st.f_type == TMPFS_MAGIC || st.f_type == RAMFS_MAGIC)
		return CK_OK;
	return CK_ERR_NOT_RAM;
}

/* Is dir an empty directory (*exists 1) or absent (*exists 0)? Nothing is written. */
static int
check_fresh_dir(const char *dir, int *exists)
{
	struct dirent *de;
	DIR *d;
	int fd, r, dup_fd;

	*exists = 0;
	if ((r = file_open_dir(AT_FDCWD, dir, 0, DIR_MODE, &fd)) == CK_ERR_NOT_FOUND)
		return CK_OK;
	if (r != CK_OK)
		return r;
	*exists = 1;
	if ((dup_fd = dup(fd)) < 0 || (d = fdopendir(dup_fd)) == NULL) {
		if (dup_fd >= 0)
			close(dup_fd);
		close(fd);
		return CK_ERR_IO;
	}
	r = CK_OK;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			r = CK_ERR_EXISTS;
	closedir(d);
	close(fd);
	return r;
}

static int destroy_key_file(struct session *s);

/*
 * A begin that a crash cut short before its request was committed (no
 * ceremony.json yet, or one with nothing sent and no journal): nothing of
 * it reached anyone, so its files are removed (the key wiped first) and
 * its exchange folder too, and the folder can take a new begin. Anything
 * else in dir, or a ceremony that got further, is CK_ERR_EXISTS.
 */
static int
reclaim_unbegun(const char *dir)
{
	static const char *const ours[] = {
		SESSION_STATE_FILE, SESSION_TRANSCRIPT, SESSION_ROSTER,
	};
	struct session *s = calloc(1, sizeof(*s));
	uint8_t *buf = NULL, id[ENVELOPE_CEREMONY_ID_BYTES];
	const char *root = NULL, *idhex;
	json_t *st = NULL;
	struct dirent *de;
	size_t len = 0, i;
	DIR *d = NULL;
	int r, fd = -1;

	if (s == NULL)
		return CK_ERR_ALLOC;
	s->dirfd = -1;
	if ((r = file_open_dir(AT_FDCWD, dir, 0, 0, &s->dirfd)) != CK_OK)
		goto out;
	r = file_read(s->dirfd, SESSION_STATE_FILE, SESSION_STATE_MAX, &buf, &len);
	if (r == CK_OK) {
		if ((r = rd_json(buf, len, SESSION_STATE_MAX, &st)) != CK_OK)
			goto out;
		if (json_integer_value(json_object_get(st, "last_seq")) != 0 ||
		    json_object_get(st, "pending") != NULL) {
			r = CK_ERR_EXISTS;
			goto out;
		}
		root = json_string_value(json_object_get(st, "exchange"));
		idhex = json_string_value(json_object_get(st, "ceremony_id"));
		if (root != NULL && idhex != NULL &&
		    envelope_ceremony_id_parse(idhex, strlen(idhex), id) == CK_OK)
			(void)exch_remove(root, id);
	} else if (r != CK_ERR_NOT_FOUND) {
		goto out;
	}
	(void)destroy_key_file(s);
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		(void)unlinkat(s->dirfd, ours[i], 0);
	/* Whatever is left must be our own temp files. */
	if ((fd = dup(s->dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		r = CK_ERR_IO;
		goto out;
	}
	r = CK_OK;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!file_is_tmp_name(de->d_name) ||
		    unlinkat(s->dirfd, de->d_name, 0) != 0)
			r = CK_ERR_EXISTS;
	}
	closedir(d);
	(void)fsync(s->dirfd);
out:
	json_decref(st);
	free(buf);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s);
	return r;
}

/* The exchange root must be there already: a begin never makes a stick up. */
static int
check_exchange_root(const char *root)
{
	int fd, r;

	if ((r = file_open_dir(AT_FDCWD, root, 0, 0, &fd)) != CK_OK)
		return r;
	close(fd);
	return CK_OK;
}

const char *
session_begin_why(const char *exchange_root, int err)
{
	struct stat st;

	if (err == CK_ERR_EXISTS)
		return "the state folder is not empty: begin in an empty folder";
	if (err == CK_ERR_NOT_FOUND && exchange_root != NULL &&
	    (stat(exchange_root, &st) != 0 || !S_ISDIR(st.st_mode)))
		return "the exchange folder is not there: is the exchange stick in "
		    "and mounted, and the folder named right?";
	return NULL;
}

static int
hex_field(json_t *o, const char *key, const uint8_t *bin, size_t len)
{
	char hex[2 * 64 + 1];

	if (codec_hex_encode(bin, len, hex, sizeof(hex)) != CK_OK)
		return CK_ERR_INTERNAL;
	return json_object_set_new(o, key, json_string(hex)) == 0 ?
	    CK_OK : CK_ERR_ALLOC;
}

/* Write ceremony.json as it is in memory (one atomic file write). */
static int
save_state(struct session *s)
{
	char *text = NULL;
	int r;

	if (json_object_set_new(s->state, "last_seq",
	    json_integer((json_int_t)s->last_seq)) != 0)
		return CK_ERR_ALLOC;
	if (s->has_peer && (r = hex_field(s->state, "bridge_pk", s->peer_pk,
	    sizeof(s->peer_pk))) != CK_OK)
		return r;
	if ((text = json_dumps(s->state, JSON_INDENT(1) | JSON_PRESERVE_ORDER)) == NULL)
		return CK_ERR_ALLOC;
	r = file_write_atomic(s->dirfd, SESSION_STATE_FILE, text, strlen(text),
	    STATE_MODE, FILE_REPLACE);
	free(text);
	return r;
}

/* An envelope's bytes in the journal: base64 (it is signed, not secret). */
static char *
to_b64(const uint8_t *bin, size_t len)
{
	size_t max = 4 * ((len + 2) / 3) + 1;
	char *out = malloc(max);

	if (out != NULL && codec_b64_encode(CODEC_B64_PADDED, bin, len, out,
	    max) != CK_OK) {
		free(out);
		out = NULL;
	}
	return out;
}

static int
from_b64(const char *b64, uint8_t **bin, size_t *len)
{
	size_t max = strlen(b64) / 4 * 3 + 3;

	if ((*bin = malloc(max)) == NULL)
		return CK_ERR_ALLOC;
	if (codec_b64_decode(CODEC_B64_PADDED, b64, strlen(b64), *bin, max,
	    len) != CK_OK) {
		free(*bin);
		*bin = NULL;
		return CK_ERR_FORMAT;
	}
	return CK_OK;
}

/* The step's journal in the state, created on first use. */
static json_t *
journal(struct session *s)
{
	json_t *j = json_object_get(s->state, "pending");
	uint64_t n = 0;

	if (j != NULL)
		return j;
	transcript_head(s->t, NULL, &n);
	j = json_pack("{s:I, s:[]}", "base", (json_int_t)n, "records");
	if (j == NULL || json_object_set_new(s->state, "pending", j) != 0)
		return NULL;
	return j;
}

/* The journal's envelope: written, or already there with the same bytes. */
static int
flush_envelope(struct session *s, const json_t *env)
{
	const char *name = json_string_value(json_object_get(env, "name"));
	const char *b64 = json_string_value(json_object_get(env, "bytes"));
	uint8_t *bin = NULL, *old = NULL;
	size_t binlen = 0, oldlen = 0;
	int r;

	if (name == NULL || b64 == NULL || from_b64(b64, &bin, &binlen) != CK_OK)
		return CK_ERR_FORMAT;
	if ((r = session_exchange(s, NULL)) == CK_OK)
		r = exch_write(s->x, name, bin, binlen, 0);
	if (r == CK_ERR_EXISTS &&
	    exch_read(s->x, name, binlen + 1, &old, &oldlen) == CK_OK &&
	    oldlen == binlen && memcmp(old, bin, binlen) == 0)
		r = CK_OK;
	free(bin);
	free(old);
	return r;
}

/* One journal record as the transcript event it stands for. */
static int
flush_record(struct session *s, const json_t *rec)
{
	const char *ih = json_string_value(json_object_get(rec, "in"));
	const char *oh = json_string_value(json_object_get(rec, "out"));
	uint8_t in[TRANSCRIPT_HASH_BYTES], outh[TRANSCRIPT_HASH_BYTES];
	struct transcript_event ev = {
		.type = json_string_value(json_object_get(rec, "type")),
		.actor = json_string_value(json_object_get(rec, "actor")),
		.details = json_object_get(rec, "details"),
	};

	if (ih != NULL) {
		if (codec_hex_decode_exact(ih, strlen(ih), in, sizeof(in)) != CK_OK)
			return CK_ERR_FORMAT;
		ev.in = (const uint8_t (*)[TRANSCRIPT_HASH_BYTES])in;
		ev.n_in = 1;
	}
	if (oh != NULL) {
		if (codec_hex_decode_exact(oh, strlen(oh), outh, sizeof(outh)) !=
		    CK_OK)
			return CK_ERR_FORMAT;
		ev.out = (const uint8_t (*)[TRANSCRIPT_HASH_BYTES])outh;
		ev.n_out = 1;
	}
	return transcript_append(s->t, &ev);
}

/* The journal's close: the transcript closed and signed, the key gone. */
static int
flush_close(struct session *s, const json_t *c)
{
	int r;

	if (s->t != NULL) {
		r = transcript_close_as(s->t, KIND_ACTOR_APPLIANCE,
		    json_string_value(json_object_get(c, "outcome")),
		    json_string_value(json_object_get(c, "reason")), NULL);
		if (r != CK_OK && r != CK_ERR_CLOSED)
			return r;
	}
	if ((r = destroy_key_file(s)) != CK_OK && r != CK_ERR_NOT_FOUND)
		return r;
	secmem_wipe(s->sk, ENVELOPE_SK_BYTES);
	return json_object_set_new(s->state, "phase", json_string("closed")) == 0 ?
	    CK_OK : CK_ERR_ALLOC;
}

/*
 * Carry out the journal: the envelope, the records the transcript does
 * not have yet (n: the records it had when the journal was picked up), the
 * close. Each part is idempotent, so a replay after a
 * crash does exactly what is missing: nothing lost, nothing twice.
 */
static int
flush(struct session *s, const json_t *j, uint64_t n)
{
	const json_t *rec;
	uint64_t base;
	size_t i;
	int r;

	if (json_object_get(j, "envelope") != NULL &&
	    (r = flush_envelope(s, json_object_get(j, "envelope"))) != CK_OK)
		return r;
	if (s->t != NULL) {
		base = (uint64_t)json_integer_value(json_object_get(j, "base"));
		json_array_foreach(json_object_get(j, "records"), i, rec) {
			if (base + i < n)
				continue;	/* written before the crash */
			if ((r = flush_record(s, rec)) != CK_OK)
				return r;
		}
	}
	if (json_object_get(j, "close") != NULL)
		return flush_close(s, json_object_get(j, "close"));
	return CK_OK;
}

/*
 * A step's changes become durable together: ceremony.json is written with
 * the step's journal (its envelope, records and close) first, then the
 * journal is carried out, then ceremony.json is written without it. A
 * crash anywhere leaves either the old state or a journal that
 * session_load carries out. Held (session_hold): nothing is written yet.
 */
static int
commit(struct session *s)
{
	json_t *j = json_object_get(s->state, "pending");
	uint64_t n = 0;
	int r;

	if (s->hold > 0)
		return CK_OK;
	if (j == NULL)
		return save_state(s);
	transcript_head(s->t, NULL, &n);
	if ((r = save_state(s)) != CK_OK || (r = flush(s, j, n)) != CK_OK)
		return r;
	json_object_del(s->state, "pending");
	return save_state(s);
}

int
session_save(struct session *s)
{
	return commit(s);
}

void
session_hold(struct session *s)
{
	s->hold++;
}

int
session_release(struct session *s, int r)
{
	if (s->hold > 0)
		s->hold--;
	return r == CK_OK ? commit(s) : r;
}

const char *
session_phase(const struct session *s)
{
	const char *p = json_string_value(json_object_get(s->state, "phase"));

	return p != NULL ? p : "";
}

/* In memory only: the step's send, accept or save persists it with the rest. */
int
session_set_phase(struct session *s, const char *phase)
{
	/* Written with the step's next commit (send, accept, record, save). */
	return json_object_set_new(s->state, "phase", json_string(phase)) == 0 ?
	    CK_OK : CK_ERR_ALLOC;
}

static int
open_transcript(struct session *s, const char *actor, const char *kind,
    json_t *details, const uint8_t prev[TRANSCRIPT_HASH_BYTES])
{
	json_t *d = details != NULL ? json_deep_copy(details) : json_object();
	char *path = session_path(s, SESSION_TRANSCRIPT);
	int r = CK_ERR_ALLOC;

	if (d == NULL || path == NULL ||
	    json_object_set_new(d, "ceremony_id", json_string(s->id_hex)) != 0 ||
	    json_object_set_new(d, "kind", json_string(kind)) != 0)
		goto out;
	r = transcript_open(&s->t, path, actor, d, prev, s->sk);
out:
	json_decref(d);
	free(path);
	return r;
}

int
session_create(const char *dir, const char *exchange_root, const char *kind,
    const char *actor, json_t *details,
    const uint8_t prev[TRANSCRIPT_HASH_BYTES], struct session **out)
{
	struct session *s = NULL;
	json_t *d = NULL;
	int r = CK_ERR_ALLOC, exists = 0;

	*out = NULL;
	if ((r = session_check_ram(dir)) != CK_OK)
		return r;
	r = CK_ERR_ALLOC;	/* session_check_ram left CK_OK */
	if ((s = session_alloc()) == NULL || (s->dir = strdup(dir)) == NULL)
		goto out;
	if ((r = check_exchange_root(exchange_root)) != CK_OK)
		goto out;
	if ((r = check_fresh_dir(dir, &exists)) == CK_ERR_EXISTS)
		r = reclaim_unbegun(dir);
	if (r != CK_OK)
		goto out;
	/* From here on a failure is undone (session_discard). */
	if ((r = file_open_dir(AT_FDCWD, dir, FILE_CREATE, DIR_MODE,
	    &s->dirfd)) != CK_OK)
		goto out;
	s->created_dir = !exists;
	envelope_ceremony_id_new(s->id);
	envelope_ceremony_id_hex(s->id, s->id_hex);
	if (crypto_sign_keypair(s->pk, s->sk) != 0) {
		r = CK_ERR_CRYPTO;
		goto out;
	}
	s->state = json_pack("{s:s, s:s, s:s, s:s, s:I, s:n, s:s, s:{}}",
	    "format", SESSION_FORMAT, "kind", kind, "ceremony_id", s->id_hex,
	    "phase", "open", "last_seq", (json_int_t)0, "bridge_pk",
	    "exchange", exchange_root, "data");
	if (s->state == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	s->ext = json_object_get(s->state, "data");
	if ((d = details != NULL ? json_deep_copy(details) : json_object()) ==
	    NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if (review_all && (r = review_mark(s, d)) != CK_OK)
		goto out;
	if ((r = file_write_atomic(s->dirfd, SESSION_KEY_FILE, s->sk,
	    ENVELOPE_SK_BYTES, STATE_MODE, 0)) != CK_OK)
		goto out;
	if ((r = exch_open(exchange_root, s->id, EXCH_CREATE, &s->x)) != CK_OK)
		goto out;
	if ((r = open_transcript(s, actor, kind, d, prev)) != CK_OK ||
	    (r = session_save(s)) != CK_OK)
		goto out;
	*out = s;
	s = NULL;
	r = CK_OK;
out:
	json_decref(d);
	if (s != NULL && s->dirfd >= 0)
		session_discard(s);
	else
		session_free(s);
	return r;
}

/* ceremony.json, strictly: the fields session.c itself relies on. */
static int
parse_state(struct session *s, const uint8_t *buf, size_t len,
    const char *kind)
{
	const char *fmt, *k, *id, *phase, *peer;
	json_int_t seq;
	json_t *data;
	int r;

	if ((r = rd_json(buf, len, SESSION_STATE_MAX, &s->state)) != CK_OK)
		return r;
	if (json_unpack(s->state, "{s:s, s:s, s:s, s:s, s:I, s:o}",
	    "format", &fmt, "kind", &k, "ceremony_id", &id, "phase", &phase,
	    "last_seq", &seq, "data", &data) != 0 ||
	    strcmp(fmt, SESSION_FORMAT) != 0 || !json_is_object(data) ||
	    seq < 0 || seq > ENVELOPE_SEQ_MAX)
		return CK_ERR_FORMAT;
	if (strcmp(k, kind) != 0)
		return CK_ERR_BAD_TYPE;
	if (strcmp(phase, "closed") == 0)
		return CK_ERR_CLOSED;
	if ((r = envelope_ceremony_id_parse(id, strlen(id), s->id)) != CK_OK)
		return r;
	memcpy(s->id_hex, id, sizeof(s->id_hex));
	s->last_seq = (uint64_t)seq;
	s->ext = data;
	peer = json_string_value(json_object_get(s->state, "bridge_pk"));
	if (peer != NULL) {
		if (codec_hex_decode_exact(peer, strlen(peer), s->peer_pk,
		    sizeof(s->peer_pk)) != CK_OK)
			return CK_ERR_FORMAT;
		s->has_peer = 1;
	}
	return CK_OK;
}

int
session_peek(const char *dir, char kind[SESSION_PEEK_MAX],
    char phase[SESSION_PEEK_MAX])
{
	const char *k, *p;
	uint8_t *buf = NULL;
	json_t *st = NULL;
	size_t len = 0;
	int fd, r;

	kind[0] = phase[0] = '\0';
	if ((r = file_open_dir(AT_FDCWD, dir, 0, 0, &fd)) != CK_OK)
		return r;
	r = file_read(fd, SESSION_STATE_FILE, SESSION_STATE_MAX, &buf, &len);
	close(fd);
	if (r != CK_OK)
		return r;
	if ((r = rd_json(buf, len, SESSION_STATE_MAX, &st)) == CK_OK) {
		k = json_string_value(json_object_get(st, "kind"));
		p = json_string_value(json_object_get(st, "phase"));
		if (k == NULL || p == NULL || strlen(k) >= SESSION_PEEK_MAX ||
		    strlen(p) >= SESSION_PEEK_MAX ||
		    rd_printable_utf8(k, strlen(k), 0) != CK_OK ||
		    rd_printable_utf8(p, strlen(p), 0) != CK_OK) {
			r = CK_ERR_FORMAT;
		} else {
			memcpy(kind, k, strlen(k) + 1);
			memcpy(phase, p, strlen(p) + 1);
		}
	}
	json_decref(st);
	free(buf);
	return r;
}

static int
load_key(struct session *s)
{
	struct secbuf kb = { 0 };
	uint8_t pk[ENVELOPE_PK_BYTES];
	int r;

	if ((r = file_read_secret(s->dirfd, SESSION_KEY_FILE, ENVELOPE_SK_BYTES,
	    &kb)) != CK_OK)
		return r;
	if (kb.len != ENVELOPE_SK_BYTES) {
		r = CK_ERR_FORMAT;
		goto out;
	}
	memcpy(s->sk, kb.p, ENVELOPE_SK_BYTES);
	/* libsodium's layout is seed || pk: check the halves agree. */
	crypto_sign_ed25519_sk_to_pk(s->pk, s->sk);
	if (crypto_sign_seed_keypair(pk, kb.p, s->sk) != 0 ||
	    sodium_memcmp(pk, s->pk, sizeof(pk)) != 0) {
		r = CK_ERR_FORMAT;
		goto out;
	}
	r = CK_OK;
out:
	secbuf_free(&kb);
	return r;
}

/* Complete records (lines) in the transcript file. */
static uint64_t
count_records(struct session *s)
{
	uint8_t *buf = NULL;
	size_t len = 0, i;
	uint64_t n = 0;

	if (file_read(s->dirfd, SESSION_TRANSCRIPT, TRANSCRIPT_MAX_BYTES, &buf,
	    &len) != CK_OK)
		return 0;
	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	free(buf);
	return n;
}

/*
 * A close that crashed after the transcript was closed and signed: the
 * key file goes, the state says closed. CK_ERR_CLOSED once done.
 */
static int
finish_close(struct session *s)
{
	int r;

	if ((r = flush_close(s, json_object_get(json_object_get(s->state,
	    "pending"), "close"))) != CK_OK)
		return r;
	json_object_del(s->state, "pending");
	return (r = save_state(s)) == CK_OK ? CK_ERR_CLOSED : r;
}

int
session_load(const char *dir, const char *kind, const char *exchange_root,
    struct session **out)
{
	struct session *s = NULL;
	uint8_t *buf = NULL;
	char *tpath = NULL;
	size_t len = 0;
	uint64_t written;
	const char *root;
	json_t *j;
	int r = CK_ERR_ALLOC;

	*out = NULL;
	if ((r = session_check_ram(dir)) != CK_OK)
		return r;
	r = CK_ERR_ALLOC;	/* session_check_ram left CK_OK */
	if ((s = session_alloc()) == NULL || (s->dir = strdup(dir)) == NULL)
		goto out;
	if ((r = file_open_dir(AT_FDCWD, dir, 0, DIR_MODE, &s->dirfd)) != CK_OK)
		goto out;
	if ((r = file_read(s->dirfd, SESSION_STATE_FILE, SESSION_STATE_MAX,
	    &buf, &len)) != CK_OK || (r = parse_state(s, buf, len, kind)) != CK_OK)
		goto out;
	/* Begun with --review: every step holds the close for the review. */
	s->review = json_is_true(json_object_get(s->state, SESSION_REVIEW_MARK));
	j = json_object_get(s->state, "pending");
	if ((r = load_key(s)) != CK_OK) {
		/* The key goes only after the close is signed: finish it. */
		if (r == CK_ERR_NOT_FOUND && j != NULL &&
		    json_object_get(j, "close") != NULL)
			r = finish_close(s);
		goto out;
	}
	if (exchange_root != NULL) {
		if (json_object_set_new(s->state, "exchange",
		    json_string(exchange_root)) != 0) {
			r = CK_ERR_ALLOC;
			goto out;
		}
	}
	root = json_string_value(json_object_get(s->state, "exchange"));
	if (root == NULL) {
		r = CK_ERR_FORMAT;
		goto out;
	}
	/* Not in (a holder's stick in its place for a handout or a share):
	 * the steps that send or receive open it then (session_exchange). */
	if ((r = exch_open(root, s->id, 0, &s->x)) != CK_OK &&
	    r != CK_ERR_NOT_FOUND)
		goto out;
	if ((tpath = session_path(s, SESSION_TRANSCRIPT)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	/* The records the transcript holds before a resume record, if any. */
	written = count_records(s);
	if ((r = transcript_continue(&s->t, tpath, "appliance", s->sk)) != CK_OK) {
		/* Closed, perhaps not yet signed: sign, then finish. */
		if (r == CK_ERR_CLOSED && j != NULL &&
		    json_object_get(j, "close") != NULL &&
		    (r = transcript_finish(tpath, s->sk)) == CK_OK)
			r = finish_close(s);
		goto out;
	}
	/* A step that crashed after its journal was written: carry it out. */
	if (j != NULL) {
		if ((r = flush(s, j, written)) != CK_OK)
			goto out;
		json_object_del(s->state, "pending");
		if ((r = save_state(s)) != CK_OK)
			goto out;
		if (strcmp(session_phase(s), "closed") == 0) {
			r = CK_ERR_CLOSED;
			goto out;
		}
	}
	*out = s;
	s = NULL;
	r = CK_OK;
out:
	free(tpath);
	free(buf);
	session_free(s);
	return r;
}

/* One record into the step's journal (hashes of envelopes in/out optional). */
static int
append(struct session *s, const char *event, const char *actor,
    json_t *details, const uint8_t *in, const uint8_t *outh)
{
	json_t *j = journal(s), *rec;
	int r = CK_OK;

	if (j == NULL)
		return CK_ERR_ALLOC;
	rec = details != NULL ?
	    json_pack("{s:s, s:s, s:O}", "type", event, "actor", actor,
	    "details", details) :
	    json_pack("{s:s, s:s, s:{}}", "type", event, "actor", actor,
	    "details");
	if (rec == NULL)
		return CK_ERR_ALLOC;
	if (in != NULL)
		r = hex_field(rec, "in", in, TRANSCRIPT_HASH_BYTES);
	if (r == CK_OK && outh != NULL)
		r = hex_field(rec, "out", outh, TRANSCRIPT_HASH_BYTES);
	if (r == CK_OK && json_array_append(json_object_get(j, "records"),
	    rec) != 0)
		r = CK_ERR_ALLOC;
	json_decref(rec);
	return r;
}

int
session_record(struct session *s, const char *event, const char *actor,
    json_t *details)
{
	int r = append(s, event, actor, details, NULL, NULL);

	return r == CK_OK ? commit(s) : r;
}

int
session_send(struct session *s, enum envelope_type type, const json_t *payload,
    const char *event, const char *actor, json_t *details)
{
	char name[ENVELOPE_FILE_NAME_MAX], *b64;
	uint8_t hash[ENVELOPE_HASH_BYTES], *bin = NULL;
	size_t binlen = 0;
	json_t *j;
	int r;

	if ((j = journal(s)) == NULL)
		return CK_ERR_ALLOC;
	if (json_object_get(j, "envelope") != NULL)
		return CK_ERR_STATE;	/* one envelope per step */
	if ((r = courier_seal(type, s->id, s->last_seq + 1, payload, s->sk, name,
	    &bin, &binlen)) != CK_OK)
		return r;
	envelope_hash(bin, binlen, hash);
	b64 = to_b64(bin, binlen);
	free(bin);
	if (b64 == NULL)
		return CK_ERR_ALLOC;
	r = json_object_set_new(j, "envelope", json_pack("{s:s, s:s}", "name",
	    name, "bytes", b64)) == 0 ? CK_OK : CK_ERR_ALLOC;
	free(b64);
	if (r != CK_OK)
		return r;
	s->last_seq++;
	if ((r = append(s, event, actor, details, NULL, hash)) != CK_OK)
		return r;
	return commit(s);
}

int
session_request(struct session *s, enum envelope_type type,
    const json_t *payload, const char *event, json_t *details)
{
	int r;

	if (details != NULL && json_object_update(s->ext, details) != 0)
		return CK_ERR_ALLOC;
	if ((r = session_set_phase(s, "requested")) != CK_OK)
		return r;
	return session_send(s, type, payload, event, KIND_ACTOR_APPLIANCE,
	    details);
}

int
session_receive(struct session *s, enum envelope_type want,
    struct envelope *env)
{
	int r;

	/*
	 * Only the answer to the appliance's opening envelope (seq 2) may
	 * introduce the bridge's key; every later one is checked against the
	 * key pinned then. A state past seq 1 without a pinned key is not one
	 * this code writes: refuse rather than take whatever key signs.
	 */
	if (!s->has_peer && s->last_seq > 1)
		return CK_ERR_STATE;
	if ((r = session_exchange(s, NULL)) != CK_OK ||
	    (r = courier_receive(s->x, s->id, s->has_peer ? s->peer_pk : NULL,
	    s->last_seq, want, env)) != CK_OK)
		return r;
	/* The appliance's own key never speaks for the bridge (envelope.md §5). */
	if (!s->has_peer && sodium_memcmp(env->signer_pk, s->pk,
	    sizeof(s->pk)) == 0) {
		envelope_free(env);
		return CK_ERR_WRONG_KEY;
	}
	return CK_OK;
}

int
session_check_recordable(const json_t *v, const char *name, char *why,
    size_t whylen)
{
	char field[TRANSCRIPT_MAX_PATH];
	json_t *wrap;
	int r;

	if ((wrap = json_pack("{s:O}", name, (json_t *)v)) == NULL)
		return CK_ERR_ALLOC;
	r = transcript_check_details(wrap, field, sizeof(field));
	json_decref(wrap);
	if (r == CK_ERR_TOO_LARGE)
		session_why(why, whylen, "%s is longer than %d bytes", field,
		    TRANSCRIPT_MAX_STRING);
	else if (r != CK_OK)
		session_why(why, whylen, "%s is not printable text (control "
		    "characters or invalid UTF-8)", field);
	return r;
}

int
session_accept(struct session *s, const struct envelope *env,
    const char *event, const char *actor, json_t *details)
{
	json_t *d = details != NULL ? json_deep_copy(details) : json_object();
	int r = CK_ERR_ALLOC;

	if (d == NULL)
		goto out;
	/* The first bridge envelope binds the ceremony to the bridge's key. */
	if (!s->has_peer && (r = hex_field(d, "bridge_pk", env->signer_pk,
	    sizeof(env->signer_pk))) != CK_OK)
		goto out;
	/*
	 * The record is the commit point: it is checked in full before it is
	 * written, and only then do the pinned key, last_seq and the phase the
	 * caller set move, saved in one ceremony.json write.
	 */
	if ((r = transcript_check_details(d, NULL, 0)) != CK_OK ||
	    (r = append(s, event, actor, d, env->hash, NULL)) != CK_OK)
		goto out;
	if (!s->has_peer) {
		memcpy(s->peer_pk, env->signer_pk, sizeof(s->peer_pk));
		s->has_peer = 1;
	}
	s->last_seq = env->seq;
	r = commit(s);
out:
	json_decref(d);
	return r;
}

/* The re-pin's own content: this ceremony's kind, and the seq it follows. */
static int
check_repin(const struct session *s, const struct envelope *env, char *why,
    size_t whylen)
{
	const char *kind = json_string_value(json_object_get(s->state, "kind"));
	const char *k = json_string_value(json_object_get(env->payload, "kind"));
	const json_t *after = json_object_get(env->payload, "after_seq");

	if (sodium_memcmp(env->signer_pk, s->pk, sizeof(s->pk)) == 0) {
		session_why(why, whylen, "signed with this appliance's own "
		    "ceremony key");
		return CK_ERR_WRONG_KEY;
	}
	if (sodium_memcmp(env->signer_pk, s->peer_pk, sizeof(s->peer_pk)) == 0) {
		session_why(why, whylen, "it offers the key pinned already");
		return CK_ERR_FORMAT;
	}
	if (k == NULL || kind == NULL || strcmp(k, kind) != 0) {
		session_why(why, whylen, "its kind is not this ceremony's (%s)",
		    kind != NULL ? kind : "");
		return CK_ERR_FORMAT;
	}
	if (!json_is_integer(after) ||
	    (uint64_t)json_integer_value(after) != env->seq - 1 ||
	    json_object_size(env->payload) != 2) {
		session_why(why, whylen, "after_seq must be %llu, and nothing "
		    "but kind and after_seq", (unsigned long long)(env->seq - 1));
		return CK_ERR_FORMAT;
	}
	return CK_OK;
}

int
session_sas_confirm(const struct session *s,
    const uint8_t peer_pk[WORDS_SAS_PK_LEN], const char *confirm,
    const char *consequence, char sas[SESSION_SAS_MAX], char *why,
    size_t whylen)
{
	size_t differs = 0;
	int r;

	if ((r = words_sas(s->pk, peer_pk, s->id, WORDS_SAS_DEFAULT, sas,
	    SESSION_SAS_MAX)) != CK_OK)
		return r;
	if (confirm == NULL) {
		session_why(why, whylen, "a witness compares the words on both "
		    "screens");
		return CK_ERR_INCOMPLETE;
	}
	if (words_match(confirm, sas, &differs) != CK_OK) {
		/* "this screen's" was wrong in the guided UI, which shows no
		 * words of its own there (the witness reads the bridge's). */
		session_why(why, whylen, "word %zu of %d typed differs from the "
		    "appliance's: %s", differs, WORDS_SAS_DEFAULT, consequence);
		return CK_ERR_SAS_MISMATCH;
	}
	return CK_OK;
}

int
session_repin(struct session *s, const char *confirm, const char *witness,
    char sas[SESSION_SAS_MAX], char *why, size_t whylen)
{
	struct envelope env = { 0 }, next = { 0 };
	char pkhex[2 * ENVELOPE_PK_BYTES + 1];
	json_t *d = NULL;
	json_int_t superseded = 0;
	int r;

	sas[0] = '\0';
	why[0] = '\0';
	/* A re-pin replaces a key: before one was pinned there is none. */
	if (!s->has_peer)
		return CK_ERR_STATE;
	/* Signed by the key it offers: nothing to compare it with yet. */
	if ((r = session_exchange(s, NULL)) != CK_OK ||
	    (r = courier_receive(s->x, s->id, NULL, s->last_seq,
	    ENVELOPE_BRIDGE_REPIN, &env)) != CK_OK ||
	    (r = check_repin(s, &env, why, whylen)) != CK_OK)
		goto refused;
	/*
	 * A bridge started again more than once before the room compared:
	 * each re-pin after the first follows the one before, and only the
	 * last one's bridge is still running to show its words. The earlier
	 * ones were never trusted; they are passed over (counted on the
	 * record), and the last one is the one compared.
	 */
	while (courier_receive(s->x, s->id, NULL, env.seq, ENVELOPE_BRIDGE_REPIN,
	    &next) == CK_OK && check_repin(s, &next, why, whylen) == CK_OK) {
		envelope_free(&env);
		env = next;
		memset(&next, 0, sizeof(next));
		superseded++;
	}
	envelope_free(&next);
	why[0] = '\0';
	r = session_sas_confirm(s, env.signer_pk, confirm, "the new key may "
	    "not be your bridge's; it is not pinned", sas, why, whylen);
	if (r == CK_ERR_SAS_MISMATCH)
		goto refused;
	if (r != CK_OK)
		goto out;
	if (codec_hex_encode(env.signer_pk, sizeof(env.signer_pk), pkhex,
	    sizeof(pkhex)) != CK_OK) {
		r = CK_ERR_INTERNAL;
		goto out;
	}
	/* One record: the deviation, with the envelope's hash; the new key,
	 * the sequence and the record are saved together. */
	if ((d = json_pack("{s:s, s:s, s:s, s:b, s:s, s:I}", "text",
	    SESSION_REPIN_TEXT, "bridge_pk", pkhex, "sas", sas, "sas_confirmed",
	    1, "witness", witness != NULL ? witness : "", "superseded",
	    superseded)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = transcript_check_details(d, NULL, 0)) != CK_OK ||
	    (r = append(s, "deviation", witness != NULL && witness[0] != '\0' ?
	    witness : KIND_ACTOR_APPLIANCE, d, env.hash, NULL)) != CK_OK)
		goto out;
	memcpy(s->peer_pk, env.signer_pk, sizeof(s->peer_pk));
	s->last_seq = env.seq;
	r = commit(s);
	goto out;
refused:
	/* Peeking (confirm NULL) records nothing, and no re-pin there (none,
	 * or an envelope of another type next) is no refusal. */
	if (confirm != NULL && r != CK_ERR_NOT_FOUND && r != CK_ERR_BAD_TYPE)
		session_reject_why(s, "bridge-repin", r, why, witness != NULL &&
		    witness[0] != '\0' ? witness : KIND_ACTOR_APPLIANCE);
out:
	json_decref(d);
	envelope_free(&env);
	return r;
}

int
session_reject(struct session *s, const char *what, int err, const char *actor)
{
	return session_reject_why(s, what, err, NULL, actor);
}

int
session_reject_why(struct session *s, const char *what, int err,
    const char *why, const char *actor)
{
	json_t *d;
	const char *reason = why != NULL && why[0] != '\0' ? why :
	    ck_strerror(err);
	const char *part[4] = { what, ck_errname(err), actor, reason };
	uint8_t key[sizeof(s->last_refusal)];
	crypto_generichash_state h;
	uint64_t n = 0;
	size_t i;
	int r;

	/* Each part with its NUL, so no two splits of one text collide. */
	crypto_generichash_init(&h, NULL, 0, sizeof(key));
	for (i = 0; i < 4; i++)
		crypto_generichash_update(&h, (const uint8_t *)part[i],
		    strlen(part[i]) + 1);
	crypto_generichash_final(&h, key, sizeof(key));
	transcript_head(s->t, NULL, &n);
	if (n == s->last_refusal_at &&
	    memcmp(key, s->last_refusal, sizeof(key)) == 0)
		return CK_OK;
	if ((d = json_pack("{s:s, s:s, s:s}", "what", what, "error",
	    ck_errname(err), "reason", reason)) == NULL)
		return CK_ERR_ALLOC;
	r = session_record(s, "refused", actor, d);
	json_decref(d);
	if (r == CK_OK) {
		memcpy(s->last_refusal, key, sizeof(key));
		transcript_head(s->t, NULL, &s->last_refusal_at);
	}
	return r;
}

/* Overwrite the key file in place (on tmpfs that is the only copy), then drop it. */
static int
destroy_key_file(struct session *s)
{
	uint8_t zero[ENVELOPE_SK_BYTES] = { 0 };
	int fd, r = CK_OK;

	fd = openat(s->dirfd, SESSION_KEY_FILE, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return file_errno(errno);
	if (write(fd, zero, sizeof(zero)) != (ssize_t)sizeof(zero) || fsync(fd) != 0)
		r = file_errno(errno);
	close(fd);
	if (r == CK_OK && unlinkat(s->dirfd, SESSION_KEY_FILE, 0) != 0)
		r = file_errno(errno);
	return r;
}

void
session_discard(struct session *s)
{
	static const char *const files[] = {
		SESSION_STATE_FILE, SESSION_TRANSCRIPT, SESSION_ROSTER,
	};
	const char *root;
	size_t i;

	if (s == NULL)
		return;
	if (s->dirfd >= 0) {
		(void)destroy_key_file(s);
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			(void)unlinkat(s->dirfd, files[i], 0);
		(void)fsync(s->dirfd);
	}
	root = json_string_value(json_object_get(s->state, "exchange"));
	if (s->x != NULL && root != NULL)
		(void)exch_remove(root, s->id);
	if (s->created_dir)
		(void)rmdir(s->dir);
	session_free(s);
}

int
session_close(struct session *s, const char *actor,
    uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	int r;

	if (!s->review)
		return session_close_as(s, actor, NULL, NULL, head);
	/* Complete, held open for the witnesses: the mark goes with the
	 * step's records, so a restart finds the ceremony in review. */
	if (json_object_set_new(s->state, "review", json_true()) != 0)
		return CK_ERR_ALLOC;
	if ((r = commit(s)) == CK_OK && head != NULL)
		transcript_head(s->t, head, NULL);
	return r;
}

void
session_review(struct session *s, int on)
{
	s->review = on != 0;
}

int
session_in_review(const struct session *s)
{
	return json_is_true(json_object_get(s->state, "review"));
}

int
session_review_close(struct session *s, uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	if (!session_in_review(s))
		return CK_ERR_STATE;
	s->review = 0;
	json_object_del(s->state, "review");
	return session_close_as(s, KIND_ACTOR_APPLIANCE, NULL, NULL, head);
}

int
session_envelope_waiting(struct session *s)
{
	struct exch_list l;
	size_t i;
	int found = 0;

	if (session_exchange(s, NULL) != CK_OK || exch_list(s->x, &l) != CK_OK)
		return 0;
	for (i = 0; i < l.n; i++)
		if (l.v[i].seq == s->last_seq + 1)
			found = 1;
	exch_list_free(&l);
	return found;
}

/* The bridge's envelope waiting at the next seq, if any: read and recorded. */
static int
take_pending(struct session *s)
{
	struct exch_list l;
	struct envelope env = { 0 };
	enum envelope_type type;
	size_t i;
	int r;

	if ((r = session_exchange(s, NULL)) != CK_OK ||
	    (r = exch_list(s->x, &l)) != CK_OK)
		return r;
	for (i = 0; i < l.n && l.v[i].seq != s->last_seq + 1; i++)
		;
	if (i == l.n || envelope_type_from_name(l.v[i].type,
	    strlen(l.v[i].type), &type) != CK_OK) {
		exch_list_free(&l);
		return CK_OK;
	}
	exch_list_free(&l);
	if ((r = session_receive(s, type, &env)) != CK_OK) {
		session_reject(s, envelope_type_name(type), r, KIND_ACTOR_APPLIANCE);
		return r;
	}
	r = session_accept(s, &env, "received-on-abandon", KIND_ACTOR_BRIDGE, NULL);
	envelope_free(&env);
	return r;
}

int
session_abandon(struct session *s, const json_t *payload, const char *event,
    json_t *details, const char *reason, uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	json_t *p = NULL, *d = NULL;
	int r, told;

	if (strcmp(session_phase(s), "closed") == 0)
		return CK_ERR_CLOSED;
	/* Its irreversible steps are done (shares out, token revoked, nodes
	 * unsealed): "abandoned" would misstate it. What went wrong goes on
	 * the record through the review, as a witness's deviation. */
	if (session_in_review(s)) {
		session_reject_why(s, "abandon", CK_ERR_IN_REVIEW, "the "
		    "ceremony is at the witnesses' review, after its irreversible "
		    "steps: not abandoned", KIND_ACTOR_APPLIANCE);
		return CK_ERR_IN_REVIEW;
	}
	if (reason[0] == '\0' || strlen(reason) > TRANSCRIPT_REASON_MAX ||
	    rd_printable_utf8(reason, strlen(reason), 0) != CK_OK)
		return CK_ERR_INVALID_ARG;
	p = payload != NULL ? json_deep_copy(payload) :
	    json_pack("{s:O, s:b}", "kind", json_object_get(s->state, "kind"),
	    "abandon", 1);
	d = details != NULL ? json_deep_copy(details) : json_object();
	if (p == NULL || d == NULL ||
	    json_object_set_new(p, "reason", json_string(reason)) != 0 ||
	    json_object_set_new(d, "reason", json_string(reason)) != 0 ||
	    json_object_set_new(d, "phase", json_string(session_phase(s))) != 0) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	/* A bridge envelope that cannot be read (forged, foreign) is on the
	 * record as refused; the abandon goes on without telling the bridge. */
	told = take_pending(s) == CK_OK;
	session_hold(s);
	if ((r = session_set_phase(s, "abandoned")) == CK_OK)
		r = told ? session_send(s, ENVELOPE_CLOSING_REQUEST, p, event,
		    KIND_ACTOR_APPLIANCE, d) : session_record(s, event,
		    KIND_ACTOR_APPLIANCE, d);
	if (r == CK_OK)
		r = session_close_as(s, KIND_ACTOR_APPLIANCE, TRANSCRIPT_ABANDONED,
		    reason, NULL);
	if ((r = session_release(s, r)) == CK_OK && head != NULL)
		transcript_head(s->t, head, NULL);
out:
	json_decref(p);
	json_decref(d);
	return r;
}

int
session_close_as(struct session *s, const char *actor, const char *outcome,
    const char *reason, uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	json_t *j = journal(s), *c;
	int r;

	(void)actor;	/* the appliance closes its own transcripts */
	if (j == NULL || (c = json_object()) == NULL)
		return CK_ERR_ALLOC;
	if (json_object_set_new(j, "close", c) != 0 ||
	    (outcome != NULL && (json_object_set_new(c, "outcome",
	    json_string(outcome)) != 0 || json_object_set_new(c, "reason",
	    json_string(reason)) != 0)))
		return CK_ERR_ALLOC;
	if ((r = commit(s)) != CK_OK)
		return r;
	if (head != NULL)
		transcript_head(s->t, head, NULL);
	return CK_OK;
}

int
session_write_file(struct session *s, const char *name, const void *buf,
    size_t len)
{
	return file_write_atomic(s->dirfd, name, buf, len, STATE_MODE,
	    FILE_REPLACE);
}

int
session_read_file(struct session *s, const char *name, size_t max,
    uint8_t **out, size_t *outlen)
{
	return file_read(s->dirfd, name, max, out, outlen);
}

void
session_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}
