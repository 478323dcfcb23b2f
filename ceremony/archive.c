/*
 * The archive step (archive.h): verify, copy atomically, verify the copy.
 */
#include "ceremony/archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ceremony/record.h"
#include "ceremony/session.h"
#include "crypto/errors.h"
#include "media/file.h"
#include "protocol/minisig.h"

#define ARCHIVE_MODE		0644	/* signed, not secret */
#define ARCHIVE_DIR_MODE	0755
#define ARCHIVE_FILES_MAX	32	/* transcript, .minisig, .pub, witnesses */
#define ARCHIVE_ASC_MAX		(64u << 10)	/* one OpenPGP signature */
#define ARCHIVE_FPR_MIN		16
#define ARCHIVE_FPR_MAX		64

static const char sig_suffix[] = ".minisig";
static const char pub_suffix[] = ".pub";

/* transcript.jsonl.FINGERPRINT.asc, as the summary screen names them. */
_Static_assert(sizeof(SESSION_TRANSCRIPT) + ARCHIVE_FPR_MAX + 4 <= FILE_NAME_MAX,
    "a witness signature's name fits struct names");

static int
is_witness_sig(const char *n)
{
	size_t plen = strlen(SESSION_TRANSCRIPT) + 1, len = strlen(n), i;

	if (len < plen + ARCHIVE_FPR_MIN + 4 || len > plen + ARCHIVE_FPR_MAX + 4 ||
	    strncmp(n, SESSION_TRANSCRIPT ".", plen) != 0 ||
	    strcmp(n + len - 4, ".asc") != 0)
		return 0;
	for (i = plen; i < len - 4; i++)
		if (strchr("0123456789ABCDEFabcdef", n[i]) == NULL)
			return 0;
	return 1;
}

/* The files to archive, in order: transcript, .minisig, .pub, witnesses'. */
struct names {
	char v[ARCHIVE_FILES_MAX][FILE_NAME_MAX + 1];
	size_t n;
};

static int
list_names(int dirfd, struct names *out)
{
	struct dirent *e;
	DIR *d;
	int fd, r = CK_OK;

	out->n = 0;
	snprintf(out->v[out->n++], FILE_NAME_MAX + 1, "%s", SESSION_TRANSCRIPT);
	snprintf(out->v[out->n++], FILE_NAME_MAX + 1, "%s%s", SESSION_TRANSCRIPT,
	    sig_suffix);
	snprintf(out->v[out->n++], FILE_NAME_MAX + 1, "%s%s", SESSION_TRANSCRIPT,
	    pub_suffix);
	if ((fd = dup(dirfd)) < 0)
		return file_errno(errno);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return file_errno(errno);
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		if (!is_witness_sig(e->d_name))
			continue;
		if (out->n == ARCHIVE_FILES_MAX) {
			r = CK_ERR_TOO_LARGE;
			break;
		}
		/* is_witness_sig bounds the length (the assertion above);
		 * snprintf here fails -Wformat-truncation in the -O1
		 * sanitizer builds (check-oom, check-sanitize). */
		memcpy(out->v[out->n++], e->d_name, strlen(e->d_name) + 1);
	}
	closedir(d);
	return r;
}

/* What archive_list keeps of a verified record. */
static int
entry_of(const struct record *rec, struct archive_entry *e)
{
	size_t i, n;

	snprintf(e->id, sizeof(e->id), "%s", rec->ceremony_id);
	snprintf(e->kind, sizeof(e->kind), "%s", rec->kind_name);
	snprintf(e->closed, sizeof(e->closed), "%s", rec->closed);
	memcpy(e->head, rec->rep.head, sizeof(e->head));
	e->has_previous = 0;
	for (i = 0; i < rec->n; i++) {
		if (strcmp(rec->item[i].label, RECORD_PREVIOUS_HEAD) != 0)
			continue;
		if (sodium_hex2bin(e->previous, sizeof(e->previous),
		    rec->item[i].value, strlen(rec->item[i].value), NULL, &n,
		    NULL) != 0 || n != sizeof(e->previous))
			return CK_ERR_FORMAT;
		e->has_previous = 1;
	}
	return CK_OK;
}

/*
 * dir/SESSION_TRANSCRIPT verified against dir/...pub, as `conclave verify`;
 * e (may be NULL) filled from it.
 */
static int
verify_in(const char *dir, struct archive_report *rep, const char *where,
    struct archive_entry *e)
{
	struct minisig_pubkey pk;
	struct transcript_report trep;
	struct record *rec = NULL;
	char *path = NULL, *pub = NULL;
	int r;

	if (asprintf(&path, "%s/%s", dir, SESSION_TRANSCRIPT) < 0 ||
	    asprintf(&pub, "%s/%s%s", dir, SESSION_TRANSCRIPT, pub_suffix) < 0) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = transcript_load_pubkey(pub, &pk)) != CK_OK) {
		snprintf(rep->why, sizeof(rep->why), "%s: %s%s: %s", where,
		    SESSION_TRANSCRIPT, pub_suffix, ck_strerror(r));
		goto out;
	}
	memset(&trep, 0, sizeof(trep));
	if ((r = record_read(path, &pk, &rec, &trep)) != CK_OK) {
		snprintf(rep->why, sizeof(rep->why), "%s: %s: %s", where,
		    SESSION_TRANSCRIPT, trep.reason[0] != '\0' ? trep.reason :
		    ck_strerror(r));
		goto out;
	}
	if ((r = rec->audit_err) != CK_OK) {
		snprintf(rep->why, sizeof(rep->why), "%s: the ceremony is not "
		    "complete: %s", where, rec->audit.problem[0] != '\0' ?
		    rec->audit.problem : ck_strerror(r));
		goto out;
	}
	if (e != NULL && (r = entry_of(rec, e)) != CK_OK) {
		snprintf(rep->why, sizeof(rep->why), "%s: the previous "
		    "ceremony's head is not a hash", where);
		goto out;
	}
	snprintf(rep->id, sizeof(rep->id), "%s", rec->ceremony_id);
	rep->records = trep.records;
	memcpy(rep->head, trep.head, sizeof(rep->head));
	rep->key = pk;
out:
	record_free(rec);
	free(path);
	free(pub);
	return r;
}

static int
is_id_hex(const char *s)
{
	size_t i;

	for (i = 0; i < ARCHIVE_ID_HEX; i++)
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return 0;
	return s[i] == '\0';
}

/* One file from the state folder to the archive folder. */
static int
copy_one(int from, int to, const char *name, struct archive_report *rep)
{
	uint8_t *buf = NULL, *old = NULL;
	size_t len = 0, oldlen = 0;
	int r;

	if ((r = file_read(from, name, TRANSCRIPT_MAX_BYTES, &buf, &len)) != CK_OK) {
		snprintf(rep->why, sizeof(rep->why), "the state folder: %s: %s",
		    name, ck_strerror(r));
		goto out;
	}
	/* Archived before: the same bytes are kept, others left alone. */
	r = file_read(to, name, len + 1, &old, &oldlen);
	if (r == CK_OK || r == CK_ERR_TOO_LARGE) {
		if (r == CK_OK && oldlen == len && memcmp(old, buf, len) == 0)
			goto out;
		r = CK_ERR_EXISTS;
		snprintf(rep->why, sizeof(rep->why), "the archive: %s is there "
		    "already with other bytes", name);
		goto out;
	}
	if (r != CK_ERR_NOT_FOUND) {
		snprintf(rep->why, sizeof(rep->why), "the archive: %s: %s", name,
		    ck_strerror(r));
		goto out;
	}
	if ((r = file_write_atomic(to, name, buf, len, ARCHIVE_MODE, 0)) != CK_OK)
		snprintf(rep->why, sizeof(rep->why), "the archive: writing %s: %s",
		    name, ck_strerror(r));
out:
	free(buf);
	free(old);
	return r;
}

int
archive_write(const char *state_dir, const char *root,
    struct archive_report *rep)
{
	struct names names;
	int from = -1, rootfd = -1, top = -1, to = -1, r;
	size_t i;

	memset(rep, 0, sizeof(*rep));
	if ((r = verify_in(state_dir, rep, "the state folder", NULL)) != CK_OK)
		goto out;
	if (!is_id_hex(rep->id)) {
		r = CK_ERR_FORMAT;
		snprintf(rep->why, sizeof(rep->why), "the transcript names no "
		    "ceremony id");
		goto out;
	}
	if ((r = file_open_dir(AT_FDCWD, state_dir, 0, 0, &from)) != CK_OK ||
	    (r = list_names(from, &names)) != CK_OK) {
		snprintf(rep->why, sizeof(rep->why), "the state folder: %s",
		    ck_strerror(r));
		goto out;
	}
	if ((r = file_open_dir(AT_FDCWD, root, 0, 0, &rootfd)) != CK_OK) {
		snprintf(rep->why, sizeof(rep->why), "the archive: %s: %s", root,
		    ck_strerror(r));
		goto out;
	}
	if ((r = file_open_dir(rootfd, ARCHIVE_FOLDER, FILE_CREATE,
	    ARCHIVE_DIR_MODE, &top)) != CK_OK ||
	    (r = file_open_dir(top, rep->id, FILE_CREATE, ARCHIVE_DIR_MODE,
	    &to)) != CK_OK) {
		snprintf(rep->why, sizeof(rep->why), "the archive: %s/%.8s...: %s",
		    ARCHIVE_FOLDER, rep->id, ck_strerror(r));
		goto out;
	}
	for (i = 0; i < names.n; i++) {
		if ((r = copy_one(from, to, names.v[i], rep)) != CK_OK)
			goto out;
		rep->files++;
	}
out:
	if (to >= 0)
		close(to);
	if (top >= 0)
		close(top);
	if (rootfd >= 0)
		close(rootfd);
	if (from >= 0)
		close(from);
	return r;
}

int
archive_check(const char *root, struct archive_report *rep)
{
	struct archive_report copy;
	char *dir = NULL;
	int r;

	memset(&copy, 0, sizeof(copy));
	if (asprintf(&dir, "%s/%s/%s", root, ARCHIVE_FOLDER, rep->id) < 0)
		return CK_ERR_ALLOC;
	if ((r = verify_in(dir, &copy, "the archive", NULL)) != CK_OK) {
		memcpy(rep->why, copy.why, sizeof(rep->why));
		goto out;
	}
	if (sodium_memcmp(&copy.key, &rep->key, sizeof(copy.key)) != 0) {
		r = CK_ERR_WRONG_KEY;
		snprintf(rep->why, sizeof(rep->why), "the archive: signed by "
		    "another key than the state's");
	} else if (sodium_memcmp(copy.head, rep->head, sizeof(copy.head)) != 0 ||
	    strcmp(copy.id, rep->id) != 0) {
		r = CK_ERR_CHAIN;
		snprintf(rep->why, sizeof(rep->why), "the archive: another "
		    "transcript than the one written");
	}
out:
	free(dir);
	return r;
}

/*
 * The ceremony in folder name of dir into e: verified, or not usable with
 * its error and why. The folder must be named by the ceremony's id: the
 * next ceremony takes it by that name (CK_ERR_BAD_NAME otherwise). Only
 * running out of memory fails.
 */
static int
read_one(const char *dir, const char *name, struct archive_entry *e)
{
	struct archive_report rep;
	char *one = NULL, where[sizeof(ARCHIVE_FOLDER) + 40];
	int r;

	memset(e, 0, sizeof(*e));
	memset(&rep, 0, sizeof(rep));
	if (asprintf(&one, "%s/%s", dir, name) < 0)
		return CK_ERR_ALLOC;
	snprintf(where, sizeof(where), "%s/%.32s", ARCHIVE_FOLDER, name);
	if ((r = verify_in(one, &rep, where, e)) == CK_OK &&
	    strcmp(e->id, name) != 0) {
		r = CK_ERR_BAD_NAME;
		snprintf(rep.why, sizeof(rep.why), "%s: it holds ceremony %.32s",
		    where, e->id);
	}
	free(one);
	if (r == CK_ERR_ALLOC)
		return r;
	if (r != CK_OK) {
		/* Nothing of a transcript that does not verify is kept. */
		memset(e, 0, sizeof(*e));
		e->err = r;
		memcpy(e->why, rep.why, sizeof(e->why));
	}
	snprintf(e->id, sizeof(e->id), "%s", name);
	return CK_OK;
}

/*
 * The order listed: those that do not verify first (a tampered one may be
 * the latest), by folder; then latest closed first (ISO 8601 times, UTC),
 * ties by id.
 */
static int
by_listing(const void *va, const void *vb)
{
	const struct archive_entry *a = va, *b = vb;
	int c;

	if ((a->err != CK_OK) != (b->err != CK_OK))
		return a->err != CK_OK ? -1 : 1;
	if (a->err == CK_OK && (c = strcmp(b->closed, a->closed)) != 0)
		return c;
	return strcmp(a->id, b->id);
}

int
archive_list(const char *root, struct archive_list *l)
{
	struct archive_entry *all = NULL, *grown;
	struct dirent *de;
	char *dir = NULL;
	DIR *d = NULL;
	size_t n = 0, cap = 0, i, j, verified = 0;
	int r = CK_OK;

	memset(l, 0, sizeof(*l));
	if (asprintf(&dir, "%s/%s", root, ARCHIVE_FOLDER) < 0)
		return CK_ERR_ALLOC;
	if ((d = opendir(dir)) == NULL) {
		r = errno == ENOENT || errno == ENOTDIR ? CK_ERR_NOT_FOUND :
		    file_errno(errno);
		snprintf(l->why, sizeof(l->why), "no %s/ folder on it",
		    ARCHIVE_FOLDER);
		goto out;
	}
	/* Every folder is read, not only ARCHIVE_LIST_MAX of them: a head is
	 * one no other names, and the latest are known once all are. */
	while ((de = readdir(d)) != NULL) {
		if (!is_id_hex(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : ARCHIVE_LIST_MAX;
			if ((grown = reallocarray(all, cap, sizeof(*all))) == NULL) {
				r = CK_ERR_ALLOC;
				goto out;
			}
			all = grown;
		}
		if ((r = read_one(dir, de->d_name, &all[n])) != CK_OK)
			goto out;
		verified += all[n++].err == CK_OK;
	}
	if (n == 0) {
		r = CK_ERR_NOT_FOUND;
		snprintf(l->why, sizeof(l->why), "no ceremony in %s/",
		    ARCHIVE_FOLDER);
		goto out;
	}
	qsort(all, n, sizeof(all[0]), by_listing);
	for (i = 0; i < n; i++) {
		all[i].is_head = all[i].err == CK_OK;
		for (j = 0; j < n && all[i].is_head; j++)
			if (all[j].err == CK_OK && all[j].has_previous &&
			    memcmp(all[j].previous, all[i].head,
			    sizeof(all[i].head)) == 0)
				all[i].is_head = 0;
		if (all[i].err == CK_OK && !all[i].is_head)
			continue;
		l->heads += (size_t)all[i].is_head;
		l->bad += (size_t)(all[i].err != CK_OK);
		if (l->n == ARCHIVE_LIST_MAX)
			l->unlisted++;
		else
			l->e[l->n++] = all[i];
	}
	/* A cycle cannot be signed (each head hashes its previous): kept
	 * as a refusal rather than an assumption. */
	if (verified > 0 && l->heads == 0) {
		r = CK_ERR_CHAIN;
		snprintf(l->why, sizeof(l->why), "no transcript in %s/ ends "
		    "the chain", ARCHIVE_FOLDER);
	}
out:
	if (d != NULL)
		closedir(d);
	free(all);
	free(dir);
	return r;
}
