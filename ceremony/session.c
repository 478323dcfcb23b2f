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
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
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

/*
 * dir, or the folder it will be created in, is on tmpfs or ramfs (or the
 * disk is allowed). Checked before anything is created or read.
 */
static int
check_ram(const char *dir)
{
	struct statfs st;
	char *parent, *slash;
	int r;

	if (disk_ok)
		return CK_OK;
	if (statfs(dir, &st) != 0) {
		if (errno != ENOENT)
			return file_errno(errno);
		if ((parent = strdup(dir)) == NULL)
			return CK_ERR_ALLOC;
		slash = strrchr(parent, '/');
		if (slash == NULL)
			strcpy(parent, ".");
		else if (slash == parent)
			slash[1] = '\0';
		else
			*slash = '\0';
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

static int
hex_field(json_t *o, const char *key, const uint8_t *bin, size_t len)
{
	char hex[2 * 64 + 1];

	if (codec_hex_encode(bin, len, hex, sizeof(hex)) != CK_OK)
		return CK_ERR_INTERNAL;
	return json_object_set_new(o, key, json_string(hex)) == 0 ?
	    CK_OK : CK_ERR_ALLOC;
}

int
session_save(struct session *s)
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
	if (json_object_set_new(s->state, "phase", json_string(phase)) != 0)
		return CK_ERR_ALLOC;
	return CK_OK;
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
	int r = CK_ERR_ALLOC, exists = 0;

	*out = NULL;
	if ((r = check_ram(dir)) != CK_OK)
		return r;
	r = CK_ERR_ALLOC;	/* check_ram left CK_OK */
	if ((s = session_alloc()) == NULL || (s->dir = strdup(dir)) == NULL)
		goto out;
	if ((r = check_fresh_dir(dir, &exists)) != CK_OK ||
	    (r = check_exchange_root(exchange_root)) != CK_OK)
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
	if ((r = file_write_atomic(s->dirfd, SESSION_KEY_FILE, s->sk,
	    ENVELOPE_SK_BYTES, STATE_MODE, 0)) != CK_OK)
		goto out;
	if ((r = exch_open(exchange_root, s->id, EXCH_CREATE, &s->x)) != CK_OK)
		goto out;
	if ((r = open_transcript(s, actor, kind, details, prev)) != CK_OK ||
	    (r = session_save(s)) != CK_OK)
		goto out;
	*out = s;
	s = NULL;
	r = CK_OK;
out:
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

int
session_load(const char *dir, const char *kind, const char *exchange_root,
    struct session **out)
{
	struct session *s = NULL;
	uint8_t *buf = NULL;
	char *tpath = NULL;
	size_t len = 0;
	const char *root;
	int r = CK_ERR_ALLOC;

	*out = NULL;
	if ((r = check_ram(dir)) != CK_OK)
		return r;
	r = CK_ERR_ALLOC;	/* check_ram left CK_OK */
	if ((s = session_alloc()) == NULL || (s->dir = strdup(dir)) == NULL)
		goto out;
	if ((r = file_open_dir(AT_FDCWD, dir, 0, DIR_MODE, &s->dirfd)) != CK_OK)
		goto out;
	if ((r = file_read(s->dirfd, SESSION_STATE_FILE, SESSION_STATE_MAX,
	    &buf, &len)) != CK_OK || (r = parse_state(s, buf, len, kind)) != CK_OK)
		goto out;
	if ((r = load_key(s)) != CK_OK)
		goto out;
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
	if ((r = exch_open(root, s->id, 0, &s->x)) != CK_OK)
		goto out;
	if ((tpath = session_path(s, SESSION_TRANSCRIPT)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = transcript_continue(&s->t, tpath, "appliance", s->sk)) != CK_OK)
		goto out;
	*out = s;
	s = NULL;
	r = CK_OK;
out:
	free(tpath);
	free(buf);
	session_free(s);
	return r;
}

static int
append(struct session *s, const char *event, const char *actor,
    json_t *details, const uint8_t *in, const uint8_t *outh)
{
	struct transcript_event ev = {
		.type = event, .actor = actor, .details = details,
		.in = (const uint8_t (*)[TRANSCRIPT_HASH_BYTES])in,
		.n_in = in != NULL,
		.out = (const uint8_t (*)[TRANSCRIPT_HASH_BYTES])outh,
		.n_out = outh != NULL,
	};

	return transcript_append(s->t, &ev);
}

int
session_record(struct session *s, const char *event, const char *actor,
    json_t *details)
{
	return append(s, event, actor, details, NULL, NULL);
}

int
session_send(struct session *s, enum envelope_type type, const json_t *payload,
    const char *event, const char *actor, json_t *details)
{
	uint8_t hash[ENVELOPE_HASH_BYTES];
	int r;

	if ((r = courier_send(s->x, type, s->id, s->last_seq + 1, payload, s->sk,
	    hash)) != CK_OK)
		return r;
	s->last_seq++;
	if ((r = append(s, event, actor, details, NULL, hash)) != CK_OK)
		return r;
	return session_save(s);
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
	if ((r = courier_receive(s->x, s->id, s->has_peer ? s->peer_pk : NULL,
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
	r = session_save(s);
out:
	json_decref(d);
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
	char key[sizeof(s->last_refusal)];
	uint64_t n = 0;
	int r;

	transcript_head(s->t, NULL, &n);
	snprintf(key, sizeof(key), "%s/%s/%s", what, ck_errname(err), actor);
	if (n == s->last_refusal_at && strcmp(key, s->last_refusal) == 0)
		return CK_OK;
	if ((d = json_pack("{s:s, s:s, s:s}", "what", what, "error",
	    ck_errname(err), "reason", why != NULL && why[0] != '\0' ? why :
	    ck_strerror(err))) == NULL)
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
	return session_close_as(s, actor, NULL, NULL, head);
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

	if ((r = exch_list(s->x, &l)) != CK_OK)
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
	if ((r = session_set_phase(s, "abandoned")) != CK_OK)
		goto out;
	r = told ? session_send(s, ENVELOPE_CLOSING_REQUEST, p, event,
	    KIND_ACTOR_APPLIANCE, d) : session_record(s, event,
	    KIND_ACTOR_APPLIANCE, d);
	if (r != CK_OK)
		goto out;
	r = session_close_as(s, KIND_ACTOR_APPLIANCE, TRANSCRIPT_ABANDONED, reason,
	    head);
out:
	json_decref(p);
	json_decref(d);
	return r;
}

int
session_close_as(struct session *s, const char *actor, const char *outcome,
    const char *reason, uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	int r;

	if ((r = transcript_close_as(s->t, actor, outcome, reason, head)) != CK_OK)
		return r;
	if ((r = destroy_key_file(s)) != CK_OK)
		return r;
	secmem_wipe(s->sk, ENVELOPE_SK_BYTES);
	if ((r = session_set_phase(s, "closed")) != CK_OK)
		return r;
	return session_save(s);
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
