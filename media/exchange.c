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

#define TMP_PREFIX	"."
#define TMP_SUFFIX	".tmp"
#define TMP_NAME_MAX	(sizeof(TMP_PREFIX) - 1 + EXCH_NAME_MAX + \
			    sizeof(TMP_SUFFIX) - 1)
#define ENVELOPE_MODE	0644
#define FOLDER_MODE	0755

struct exch_dir {
	int fd;
};

static int
sys_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	return openat(dirfd, name, flags, mode);
}

static int
sys_fstatat(int dirfd, const char *name, struct stat *st, int flags)
{
	return fstatat(dirfd, name, st, flags);
}

static const struct exch_fileops sys_ops = {
	.openat = sys_openat,
	.mkdirat = mkdirat,
	.read = read,
	.write = write,
	.fsync = fsync,
	.close = close,
	.renameat2 = renameat2,
	.unlinkat = unlinkat,
	.fstat = fstat,
	.fstatat = sys_fstatat,
};
static const struct exch_fileops *ops = &sys_ops;

void
exch_set_fileops(const struct exch_fileops *o)
{
	ops = o != NULL ? o : &sys_ops;
}

int
exch_errno(int errnum)
{
	switch (errnum) {
	case ELOOP:
		return CK_ERR_SYMLINK;
	case ENOENT:
		return CK_ERR_NOT_FOUND;
	case EEXIST:
	case ENOTEMPTY:
		return CK_ERR_EXISTS;
	case ENOTDIR:
	case EISDIR:
		return CK_ERR_NOT_REGULAR;
	case EROFS:
		return CK_ERR_READ_ONLY;
	case ENOSPC:
	case EDQUOT:
		return CK_ERR_NO_SPACE;
	case ENOMEM:
		return CK_ERR_ALLOC;
	/* What a pulled or dying stick looks like from a file system. */
	case EIO:
	case ENODEV:
	case ENXIO:
	case ESHUTDOWN:
		return CK_ERR_MEDIA_GONE;
	default:
		return CK_ERR_IO;
	}
}

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

/* ".<name>.tmp" for a valid envelope name. */
static void
tmp_name(const char *name, char out[TMP_NAME_MAX + 1])
{
	int n;

	n = snprintf(out, TMP_NAME_MAX + 1, TMP_PREFIX "%s" TMP_SUFFIX, name);
	if (n < 0 || (size_t)n > TMP_NAME_MAX)
		abort();	/* name was validated: cannot happen */
}

/* Our own temp files are skipped silently by exch_list. */
static int
is_tmp_name(const char *s)
{
	char inner[EXCH_NAME_MAX + 1];
	size_t len = strnlen(s, TMP_NAME_MAX + 1);
	size_t ilen;

	if (len > TMP_NAME_MAX || len <= sizeof(TMP_PREFIX) - 1 +
	    sizeof(TMP_SUFFIX) - 1 || s[0] != TMP_PREFIX[0] ||
	    strcmp(s + len - (sizeof(TMP_SUFFIX) - 1), TMP_SUFFIX) != 0)
		return 0;
	ilen = len - (sizeof(TMP_PREFIX) - 1) - (sizeof(TMP_SUFFIX) - 1);
	memcpy(inner, s + sizeof(TMP_PREFIX) - 1, ilen);
	inner[ilen] = '\0';
	return exch_name_parse(inner, NULL, NULL) == CK_OK;
}

static int
open_folder(int rootfd, const char *hex, int *fdp)
{
	struct stat st;
	int fd;

	fd = ops->openat(rootfd, hex,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0 && errno == ENOTDIR) {
		/* O_DIRECTORY|O_NOFOLLOW says ENOTDIR for a symlink too. */
		if (ops->fstatat(rootfd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			return CK_ERR_SYMLINK;
		return CK_ERR_NOT_REGULAR;
	}
	if (fd < 0)
		return exch_errno(errno);
	*fdp = fd;
	return CK_OK;
}

/* Create the folder and make its directory entry durable. */
static int
make_folder(int rootfd, const char *hex)
{
	if (ops->mkdirat(rootfd, hex, FOLDER_MODE) != 0 && errno != EEXIST)
		return exch_errno(errno);
	if (ops->fsync(rootfd) != 0)
		return exch_errno(errno);
	return CK_OK;
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
	rootfd = ops->openat(AT_FDCWD, root,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (rootfd < 0) {
		r = exch_errno(errno);
		goto out;
	}
	r = open_folder(rootfd, hex, &fd);
	if (r == CK_ERR_NOT_FOUND && (flags & EXCH_CREATE)) {
		if ((r = make_folder(rootfd, hex)) != CK_OK)
			goto out;
		r = open_folder(rootfd, hex, &fd);
	}
	if (r != CK_OK)
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
		ops->close(fd);
	if (rootfd >= 0)
		ops->close(rootfd);
	return r;
}

void
exch_close(struct exch_dir *d)
{
	if (d == NULL)
		return;
	ops->close(d->fd);
	free(d);
}

/*
 * Create the temp file. A leftover of the same name is from a crashed
 * earlier attempt (one writer per folder): remove it and try once more.
 * O_NOFOLLOW|O_EXCL means a planted symlink is never followed.
 */
static int
create_tmp(struct exch_dir *d, const char *tmp, int *fdp)
{
	const int fl = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd;

	fd = ops->openat(d->fd, tmp, fl, ENVELOPE_MODE);
	if (fd < 0 && errno == EEXIST) {
		if (ops->unlinkat(d->fd, tmp, 0) != 0)
			return exch_errno(errno);
		fd = ops->openat(d->fd, tmp, fl, ENVELOPE_MODE);
	}
	if (fd < 0)
		return exch_errno(errno);
	*fdp = fd;
	return CK_OK;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = ops->write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return exch_errno(errno);
		if (n == 0)
			return CK_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return CK_OK;
}

int
exch_write(struct exch_dir *d, const char *name, const void *buf,
    size_t len, int flags)
{
	char tmp[TMP_NAME_MAX + 1];
	struct stat st;
	int fd = -1, made = 0, r = CK_ERR_INTERNAL;
	int c;

	if ((r = exch_name_parse(name, NULL, NULL)) != CK_OK)
		return r;
	tmp_name(name, tmp);
	/* Fail early rather than after writing; RENAME_NOREPLACE decides. */
	if (!(flags & EXCH_REPLACE)) {
		if (ops->fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return CK_ERR_EXISTS;
		if (errno != ENOENT)
			return exch_errno(errno);
	}
	if ((r = create_tmp(d, tmp, &fd)) != CK_OK)
		goto out;
	made = 1;
	if ((r = write_all(fd, buf, len)) != CK_OK)
		goto out;
	if (ops->fsync(fd) != 0) {
		r = exch_errno(errno);
		goto out;
	}
	c = ops->close(fd);
	fd = -1;
	if (c != 0) {
		r = exch_errno(errno);
		goto out;
	}
	if (ops->renameat2(d->fd, tmp, d->fd, name,
	    (flags & EXCH_REPLACE) ? 0 : RENAME_NOREPLACE) != 0) {
		r = exch_errno(errno);
		goto out;
	}
	made = 0;
	/*
	 * The new file is complete under its name now; a failing folder
	 * fsync only means its entry may not have reached the medium.
	 */
	if (ops->fsync(d->fd) != 0) {
		r = exch_errno(errno);
		goto out;
	}
	r = CK_OK;
out:
	if (fd >= 0)
		ops->close(fd);
	if (made)
		ops->unlinkat(d->fd, tmp, 0);
	return r;
}

/* Open for reading and check that it is a regular file within max. */
static int
open_regular(struct exch_dir *d, const char *name, size_t max, int *fdp,
    size_t *sizep)
{
	struct stat st;
	int fd, r;

	fd = ops->openat(d->fd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0) {
		/* A socket (or a device without a driver) cannot be opened. */
		if (errno == ENXIO || errno == ENODEV)
			return CK_ERR_NOT_REGULAR;
		return exch_errno(errno);
	}
	if (ops->fstat(fd, &st) != 0)
		r = exch_errno(errno);
	else if (!S_ISREG(st.st_mode))
		r = CK_ERR_NOT_REGULAR;
	else if ((uintmax_t)st.st_size > max)
		r = CK_ERR_TOO_LARGE;
	else {
		*fdp = fd;
		*sizep = (size_t)st.st_size;
		return CK_OK;
	}
	ops->close(fd);
	return r;
}

int
exch_read(struct exch_dir *d, const char *name, size_t max, uint8_t **out,
    size_t *outlen)
{
	uint8_t *buf = NULL;
	size_t size = 0, got = 0;
	ssize_t n;
	int fd = -1, r = CK_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	if ((r = exch_name_parse(name, NULL, NULL)) != CK_OK)
		return r;
	if ((r = open_regular(d, name, max, &fd, &size)) != CK_OK)
		return r;
	/* One byte more than the size, so that growth is noticed. */
	if ((buf = malloc(size + 1)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	while (got < size + 1) {
		n = ops->read(fd, buf + got, size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = exch_errno(errno);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > size) {
		r = CK_ERR_IO;	/* changed while we read it */
		goto out;
	}
	*out = buf;
	*outlen = got;
	buf = NULL;
	r = CK_OK;
out:
	free(buf);
	ops->close(fd);
	return r;
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
		return exch_errno(errno);
	if ((dir = fdopendir(fd)) == NULL) {
		r = exch_errno(errno);
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
		r = exch_errno(errno);
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
