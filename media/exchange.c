/*
 * Exchange directory I/O (see exchange.h for the layout and guarantees).
 *
 * Limits: envelope names at most EXCH_NAME_MAX characters (pattern in
 * exchange.h); reads at most the caller's max (EXCH_READ_MAX_DEFAULT
 * suggested); at most EXCH_LIST_MAX directory entries per listed folder.
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

int
exch_open_file(struct exch_dir *d, const char *name, size_t max, int *fdp)
{
	int r;

	*fdp = -1;
	if ((r = exch_name_parse(name, NULL, NULL)) != CK_OK)
		return r;
	return file_open_read(d->fd, name, max, fdp);
}

int
exch_read_tmp(struct exch_dir *d, const char *name, size_t max, uint8_t **out,
    size_t *outlen)
{
	int r;

	*out = NULL;
	*outlen = 0;
	if ((r = exch_name_parse(name, NULL, NULL)) != CK_OK)
		return r;
	return file_read_tmp(d->fd, name, max, out, outlen);
}

int
exch_adopt_tmp(struct exch_dir *d, const char *name)
{
	int r;

	if ((r = exch_name_parse(name, NULL, NULL)) != CK_OK)
		return r;
	return file_adopt_tmp(d->fd, name);
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

/*
 * Call each(ctx, dirfd, entry) for every entry of the directory dfd but
 * "." and "..", at most EXCH_LIST_MAX of them (CK_ERR_TOO_LARGE beyond:
 * a stick is untrusted and may hold millions of names).
 */
static int
walk_dir(int dfd, int (*each)(void *, int, const struct dirent *), void *ctx)
{
	struct dirent *e;
	DIR *dir;
	size_t seen = 0;
	int fd, r = CK_OK;

	/* A descriptor of our own: closedir closes it, dfd keeps its offset. */
	fd = file_ops()->openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return file_errno(errno);
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return CK_ERR_ALLOC;
	}
	for (;;) {
		errno = 0;
		if ((e = readdir(dir)) == NULL) {
			if (errno != 0)
				r = file_errno(errno);
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (++seen > EXCH_LIST_MAX)
			r = CK_ERR_TOO_LARGE;
		else
			r = each(ctx, dirfd(dir), e);
		if (r != CK_OK)
			break;
	}
	closedir(dir);
	return r;
}

/*
 * v with room for one more element of size sz (n used, *cap allocated),
 * or NULL when out of memory (v is then still valid and owned by the caller).
 */
static void *
grow(void *v, size_t n, size_t *cap, size_t sz)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *nv;

	if (n < *cap)
		return v;
	if ((nv = reallocarray(v, ncap, sz)) == NULL)
		return NULL;
	*cap = ncap;
	return nv;
}

struct list_ctx {
	struct exch_list l;
	size_t cap;
};

/* Add one directory entry to the list, or count it as refused. */
static int
list_add(void *vctx, int dirfd, const struct dirent *e)
{
	struct list_ctx *c = vctx;
	struct exch_entry *v, *ent;

	if (is_tmp_name(e->d_name))
		return CK_OK;
	if (exch_name_parse(e->d_name, NULL, NULL) != CK_OK ||
	    !is_regular_entry(dirfd, e)) {
		c->l.refused++;
		return CK_OK;
	}
	if ((v = grow(c->l.v, c->l.n, &c->cap, sizeof(*v))) == NULL)
		return CK_ERR_ALLOC;
	c->l.v = v;
	ent = &c->l.v[c->l.n++];
	if (exch_name_parse(e->d_name, &ent->seq, ent->type) != CK_OK)
		abort();	/* checked above */
	memcpy(ent->name, e->d_name, strlen(e->d_name) + 1);
	return CK_OK;
}

int
exch_list(struct exch_dir *d, struct exch_list *out)
{
	struct list_ctx c = { { NULL, 0, 0 }, 0 };
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = walk_dir(d->fd, list_add, &c)) != CK_OK) {
		free(c.l.v);
		return r;
	}
	if (c.l.n > 0)
		qsort(c.l.v, c.l.n, sizeof(*c.l.v), entry_cmp);
	*out = c.l;
	return CK_OK;
}

/* Unlink one of our entries (an envelope or a temp file). */
static int
remove_ours(void *vctx, int dirfd, const struct dirent *e)
{
	int *foreign = vctx;

	if ((!is_tmp_name(e->d_name) &&
	    exch_name_parse(e->d_name, NULL, NULL) != CK_OK) ||
	    !is_regular_entry(dirfd, e)) {
		(*foreign)++;
		return CK_OK;
	}
	return file_ops()->unlinkat(dirfd, e->d_name, 0) == 0 ? CK_OK :
	    file_errno(errno);
}

int
exch_remove(const char *root, const uint8_t id[EXCH_ID_LEN])
{
	char hex[EXCH_ID_HEX_LEN + 1];
	struct exch_dir *d = NULL;
	int rootfd = -1, foreign = 0, r;

	if ((r = codec_hex_encode(id, EXCH_ID_LEN, hex, sizeof(hex))) != CK_OK ||
	    (r = exch_open(root, id, 0, &d)) != CK_OK)
		return r;
	if ((r = walk_dir(d->fd, remove_ours, &foreign)) != CK_OK)
		goto out;
	if (foreign > 0) {
		r = CK_ERR_EXISTS;
		goto out;
	}
	if ((rootfd = file_ops()->openat(AT_FDCWD, root,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)) < 0) {
		r = file_errno(errno);
		goto out;
	}
	if (file_ops()->unlinkat(rootfd, hex, AT_REMOVEDIR) != 0 ||
	    file_ops()->fsync(rootfd) != 0) {
		r = file_errno(errno);
		goto out;
	}
	r = CK_OK;
out:
	if (rootfd >= 0)
		file_ops()->close(rootfd);
	exch_close(d);
	return r;
}

struct ceremonies_ctx {
	struct exch_ceremonies c;
	size_t cap;
};

/* A folder named by 32 lowercase hex digits; anything else is not ours. */
static int
ceremony_add(void *vctx, int dirfd, const struct dirent *e)
{
	struct ceremonies_ctx *c = vctx;
	uint8_t (*v)[EXCH_ID_LEN];
	struct stat st;
	size_t i;

	for (i = 0; i < EXCH_ID_HEX_LEN; i++)
		if (!((e->d_name[i] >= '0' && e->d_name[i] <= '9') ||
		    (e->d_name[i] >= 'a' && e->d_name[i] <= 'f')))
			return CK_OK;
	if (e->d_name[i] != '\0' ||
	    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode))
		return CK_OK;
	if ((v = grow(c->c.ids, c->c.n, &c->cap, sizeof(*v))) == NULL)
		return CK_ERR_ALLOC;
	c->c.ids = v;
	return codec_hex_decode_exact(e->d_name, EXCH_ID_HEX_LEN,
	    c->c.ids[c->c.n++], EXCH_ID_LEN);
}

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, EXCH_ID_LEN);
}

int
exch_list_ceremonies(const char *root, struct exch_ceremonies *out)
{
	struct ceremonies_ctx c = { { NULL, 0 }, 0 };
	int rootfd, r;

	memset(out, 0, sizeof(*out));
	rootfd = file_ops()->openat(AT_FDCWD, root,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (rootfd < 0)
		return file_errno(errno);
	r = walk_dir(rootfd, ceremony_add, &c);
	file_ops()->close(rootfd);
	if (r != CK_OK) {
		free(c.c.ids);
		return r;
	}
	if (c.c.n > 0)
		qsort(c.c.ids, c.c.n, sizeof(*c.c.ids), id_cmp);
	*out = c.c;
	return CK_OK;
}

void
exch_ceremonies_free(struct exch_ceremonies *c)
{
	if (c == NULL)
		return;
	free(c->ids);
	memset(c, 0, sizeof(*c));
}

void
exch_list_free(struct exch_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	memset(l, 0, sizeof(*l));
}
