/*
 * Exchange directory I/O (see exchange.h for the layout and guarantees).
 *
 * Limits: envelope names at most EXCH_NAME_MAX characters (pattern in
 * exchange.h); reads at most the caller's max (EXCH_READ_MAX_DEFAULT
 * suggested); at most EXCH_LIST_MAX directory entries per ceremony folder.
 *
 * Every path is resolved relative to the ceremony folder's descriptor, so
 * a folder swapped for a symlink after exch_open cannot redirect us, and
 * every final component is opened O_NOFOLLOW.
 */
#include "media/exchange.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "media/file.h"

#define ENVELOPE_MODE	0644
#define FOLDER_MODE	0755

struct exch_dir {
	int fd;
};

int
exch_name_parse(const char *name, uint32_t *seq, char *type)
{
	size_t i, len, tlen;
	uint32_t v = 0;

	len = strnlen(name, EXCH_NAME_MAX + 1);
	if (len > EXCH_NAME_MAX || len < EXCH_SEQ_DIGITS + 1 + 1 + 4)
		return CK_ERR_BAD_NAME;
	for (i = 0; i < EXCH_SEQ_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return CK_ERR_BAD_NAME;
		v = v * 10 + (uint32_t)(name[i] - '0');
	}
	if (name[i++] != '-')
		return CK_ERR_BAD_NAME;
	tlen = len - i - (sizeof(EXCH_SUFFIX) - 1);
	if (strcmp(name + i + tlen, EXCH_SUFFIX) != 0)
		return CK_ERR_BAD_NAME;
	for (; i < EXCH_SEQ_DIGITS + 1 + tlen; i++)
		if ((name[i] < 'a' || name[i] > 'z') && name[i] != '-')
			return CK_ERR_BAD_NAME;
	if (seq != NULL)
		*seq = v;
	if (type != NULL) {
		memcpy(type, name + EXCH_SEQ_DIGITS + 1, tlen);
		type[tlen] = '\0';
	}
	return CK_OK;
}

/* Our own temp files (of envelope names) are skipped silently by exch_list. */
static int
is_tmp_name(const char *s)
{
	char inner[EXCH_NAME_MAX + 1];
	size_t len = strnlen(s, EXCH_NAME_MAX + 8), ilen;
	const size_t pre = sizeof(FILE_TMP_PREFIX) - 1;
	const size_t suf = sizeof(FILE_TMP_SUFFIX) - 1;

	if (!file_is_tmp_name(s) || len - pre - suf > EXCH_NAME_MAX)
		return 0;
	ilen = len - pre - suf;
	memcpy(inner, s + pre, ilen);
	inner[ilen] = '\0';
	return exch_name_parse(inner, NULL, NULL) == CK_OK;
}

int
exch_open(const char *root, const uint8_t id[EXCH_ID_LEN], int flags,
    struct exch_dir **out)
{
	char hex[EXCH_ID_HEX_LEN + 1];
	struct exch_dir *d = NULL;
	int rootfd = -1, fd = -1, r = CK_ERR_INTERNAL;

	*out = NULL;
	if ((r = codec_hex_encode(id, EXCH_ID_LEN, hex, sizeof(hex))) != CK_OK)
		goto out;
	rootfd = file_ops()->openat(AT_FDCWD, root,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (rootfd < 0) {
		r = file_errno(errno);
		goto out;
	}
	if ((r = file_open_dir(rootfd, hex,
	    (flags & EXCH_CREATE) ? FILE_CREATE : 0, FOLDER_MODE, &fd)) != CK_OK)
		goto out;
	if ((d = malloc(sizeof(*d))) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	d->fd = fd;
	fd = -1;
	*out = d;
	r = CK_OK;
out:
	if (fd >= 0)
		file_ops()->close(fd);
	if (rootfd >= 0)
		file_ops()->close(rootfd);
	return r;
}

void
exch_close(struct exch_dir *d)
{
	if (d == NULL)
		return;
	file_ops()->close(d->fd);
	free(d);
}

int
exch_write(struct exch_dir *d, const char *name, const void *buf,
    size_t len, int flags)
{
	int r;

	if ((r = exch_name_parse(name, NULL, NULL)) != CK_OK)
		return r;
	return file_write_atomic(d->fd, name, buf, len, ENVELOPE_MODE,
	    (flags & EXCH_REPLACE) ? FILE_REPLACE : 0);
}

int
exch_read(struct exch_dir *d, const char *name, size_t max, uint8_t **out,
    size_t *outlen)
{
	int r;

	*out = NULL;
	*outlen = 0;
	if ((r = exch_name_parse(name, NULL, NULL)) != CK_OK)
		return r;
	return file_read(d->fd, name, max, out, outlen);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct exch_entry *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
is_regular_entry(int dirfd, const struct dirent *e)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_REG;
	return fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

/* Add one directory entry to l, or count it as refused. */
static int
list_add(struct exch_list *l, size_t *cap, int dirfd, const struct dirent *e)
{
	struct exch_entry *v, *ent;

	if (is_tmp_name(e->d_name))
		return CK_OK;
	if (exch_name_parse(e->d_name, NULL, NULL) != CK_OK ||
	    !is_regular_entry(dirfd, e)) {
		l->refused++;
		return CK_OK;
	}
	if (l->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((v = reallocarray(l->v, *cap, sizeof(*v))) == NULL)
			return CK_ERR_ALLOC;
		l->v = v;
	}
	ent = &l->v[l->n++];
	if (exch_name_parse(e->d_name, &ent->seq, ent->type) != CK_OK)
		abort();	/* checked above */
	memcpy(ent->name, e->d_name, strlen(e->d_name) + 1);
	return CK_OK;
}

int
exch_list(struct exch_dir *d, struct exch_list *out)
{
	struct exch_list l = { NULL, 0, 0 };
	struct dirent *e;
	DIR *dir = NULL;
	size_t cap = 0, seen = 0;
	int fd, r = CK_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));
	/* A descriptor of our own: closedir closes it, and rewinds nothing. */
	fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return file_errno(errno);
	if ((dir = fdopendir(fd)) == NULL) {
		r = file_errno(errno);
		close(fd);
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((e = readdir(dir)) == NULL)
			break;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (++seen > EXCH_LIST_MAX) {
			r = CK_ERR_TOO_LARGE;
			goto out;
		}
		if ((r = list_add(&l, &cap, dirfd(dir), e)) != CK_OK)
			goto out;
	}
	if (errno != 0) {
		r = file_errno(errno);
		goto out;
	}
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), entry_cmp);
	*out = l;
	l.v = NULL;
	r = CK_OK;
out:
	free(l.v);
	if (dir != NULL)
		closedir(dir);
	return r;
}

void
exch_list_free(struct exch_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	memset(l, 0, sizeof(*l));
}
