/*
 * Atomic writes and bounded, refusing reads (see file.h).
 *
 * Limits: final name components of at most FILE_NAME_MAX bytes; reads at
 * most the caller's max. Every path is resolved relative to a directory
 * descriptor and every final component is opened O_NOFOLLOW, so a
 * directory swapped for a symlink after it was opened cannot redirect us.
 */
#include "media/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/errors.h"
#include "crypto/reader.h"

#define TMP_NAME_MAX	(sizeof(FILE_TMP_PREFIX) - 1 + FILE_NAME_MAX + \
			    sizeof(FILE_TMP_SUFFIX) - 1)

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

static const struct file_ops sys_ops = {
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
static const struct file_ops *ops = &sys_ops;

void
file_set_ops(const struct file_ops *o)
{
	ops = o != NULL ? o : &sys_ops;
}

const struct file_ops *
file_ops(void)
{
	return ops;
}

int
file_errno(int errnum)
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
file_parent(const char *path, char **out)
{
	char *slash;

	if ((*out = malloc(strlen(path) + 2)) == NULL)
		return CK_ERR_ALLOC;
	strcpy(*out, path);
	slash = strrchr(*out, '/');
	if (slash == NULL)
		strcpy(*out, ".");
	else if (slash == *out)
		slash[1] = '\0';
	else
		*slash = '\0';
	return CK_OK;
}

static int
name_ok(const char *name)
{
	size_t len = strnlen(name, FILE_NAME_MAX + 1);

	return len > 0 && len <= FILE_NAME_MAX && strchr(name, '/') == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int
open_dir_nofollow(int atfd, const char *name, int *fdp)
{
	struct stat st;
	int fd;

	fd = ops->openat(atfd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0 && errno == ENOTDIR) {
		/* O_DIRECTORY|O_NOFOLLOW says ENOTDIR for a symlink too. */
		if (ops->fstatat(atfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			return CK_ERR_SYMLINK;
		return CK_ERR_NOT_REGULAR;
	}
	if (fd < 0)
		return file_errno(errno);
	*fdp = fd;
	return CK_OK;
}

/* The parent of a path given relative to atfd, for fsync after mkdir. */
static int
sync_parent(int atfd, const char *name)
{
	char parent[4096];
	const char *slash = strrchr(name, '/');
	int fd, r;

	if (slash == NULL)
		strcpy(parent, ".");
	else if (slash == name)
		strcpy(parent, "/");
	else if ((size_t)(slash - name) >= sizeof(parent))
		return CK_ERR_TOO_LARGE;
	else {
		memcpy(parent, name, (size_t)(slash - name));
		parent[slash - name] = '\0';
	}
	fd = ops->openat(atfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return file_errno(errno);
	r = ops->fsync(fd) == 0 ? CK_OK : file_errno(errno);
	ops->close(fd);
	return r;
}

int
file_open_dir(int atfd, const char *name, int flags, mode_t mode, int *fdp)
{
	int r;

	*fdp = -1;
	r = open_dir_nofollow(atfd, name, fdp);
	if (r != CK_ERR_NOT_FOUND || !(flags & FILE_CREATE))
		return r;
	if (ops->mkdirat(atfd, name, mode) != 0 && errno != EEXIST)
		return file_errno(errno);
	if ((r = sync_parent(atfd, name)) != CK_OK)
		return r;
	return open_dir_nofollow(atfd, name, fdp);
}

static void
tmp_name(const char *name, char out[TMP_NAME_MAX + 1])
{
	int n;

	n = snprintf(out, TMP_NAME_MAX + 1, FILE_TMP_PREFIX "%s" FILE_TMP_SUFFIX,
	    name);
	if (n < 0 || (size_t)n > TMP_NAME_MAX)
		abort();	/* name was checked by name_ok: cannot happen */
}

int
file_is_tmp_name(const char *s)
{
	size_t len = strnlen(s, TMP_NAME_MAX + 1);

	return len <= TMP_NAME_MAX &&
	    len > sizeof(FILE_TMP_PREFIX) - 1 + sizeof(FILE_TMP_SUFFIX) - 1 &&
	    strncmp(s, FILE_TMP_PREFIX, sizeof(FILE_TMP_PREFIX) - 1) == 0 &&
	    strcmp(s + len - (sizeof(FILE_TMP_SUFFIX) - 1), FILE_TMP_SUFFIX) == 0;
}

/*
 * Create the temp file. A leftover of the same name is from a crashed
 * earlier attempt (one writer per directory): remove it and try once more.
 * O_NOFOLLOW|O_EXCL means a planted symlink is never followed.
 */
static int
create_tmp(int dirfd, const char *tmp, mode_t mode, int *fdp)
{
	const int fl = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd;

	fd = ops->openat(dirfd, tmp, fl, mode);
	if (fd < 0 && errno == EEXIST) {
		if (ops->unlinkat(dirfd, tmp, 0) != 0)
			return file_errno(errno);
		fd = ops->openat(dirfd, tmp, fl, mode);
	}
	if (fd < 0)
		return file_errno(errno);
	*fdp = fd;
	return CK_OK;
}

int
file_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = ops->write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return file_errno(errno);
		if (n == 0)
			return CK_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return CK_OK;
}

#ifdef CONCLAVE_CRASH_POINTS
void
file_crash_point(void)
{
	static unsigned long n, at;
	static int read_env;
	const char *e;

	if (!read_env) {
		read_env = 1;
		if ((e = getenv("CONCLAVE_CRASH_AT")) != NULL)
			at = strtoul(e, NULL, 10);
	}
	if (at != 0 && ++n == at)
		_exit(CRASH_POINT_EXIT);
}
#endif

int
file_write_atomic(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode, int flags)
{
	char tmp[TMP_NAME_MAX + 1];
	struct stat st;
	int fd = -1, made = 0, r = CK_ERR_INTERNAL;
	int c;

	if (!name_ok(name))
		return CK_ERR_BAD_NAME;
	tmp_name(name, tmp);
	/* Fail early rather than after writing; RENAME_NOREPLACE decides. */
	if (!(flags & FILE_REPLACE)) {
		if (ops->fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return CK_ERR_EXISTS;
		if (errno != ENOENT)
			return file_errno(errno);
	}
	if ((r = create_tmp(dirfd, tmp, mode, &fd)) != CK_OK)
		goto out;
	made = 1;
	if ((r = file_write_all(fd, buf, len)) != CK_OK)
		goto out;
	if (ops->fsync(fd) != 0) {
		r = file_errno(errno);
		goto out;
	}
	c = ops->close(fd);
	fd = -1;
	if (c != 0) {
		r = file_errno(errno);
		goto out;
	}
	file_crash_point();
	if (ops->renameat2(dirfd, tmp, dirfd, name,
	    (flags & FILE_REPLACE) ? 0 : RENAME_NOREPLACE) != 0) {
		r = file_errno(errno);
		goto out;
	}
	made = 0;
	/*
	 * The new file is complete under its name now; a failing directory
	 * fsync only means its entry may not have reached the medium.
	 */
	if (ops->fsync(dirfd) != 0) {
		r = file_errno(errno);
		goto out;
	}
	r = CK_OK;
out:
	if (fd >= 0)
		ops->close(fd);
	if (made)
		ops->unlinkat(dirfd, tmp, 0);
	return r;
}

int
file_read_tmp(int dirfd, const char *name, size_t max, uint8_t **out,
    size_t *outlen)
{
	char tmp[TMP_NAME_MAX + 1];

	*out = NULL;
	*outlen = 0;
	if (!name_ok(name))
		return CK_ERR_BAD_NAME;
	tmp_name(name, tmp);
	return file_read(dirfd, tmp, max, out, outlen);
}

int
file_adopt_tmp(int dirfd, const char *name)
{
	char tmp[TMP_NAME_MAX + 1];

	if (!name_ok(name))
		return CK_ERR_BAD_NAME;
	tmp_name(name, tmp);
	if (ops->renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) != 0)
		return file_errno(errno);
	return ops->fsync(dirfd) == 0 ? CK_OK : file_errno(errno);
}

/* Open for reading and check that it is a regular file within max. */
static int
open_regular(int dirfd, const char *name, size_t max, int *fdp,
    size_t *sizep)
{
	struct stat st;
	int fd, r;

	fd = ops->openat(dirfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0) {
		/* A socket (or a device without a driver) cannot be opened. */
		if (errno == ENXIO || errno == ENODEV)
			return CK_ERR_NOT_REGULAR;
		return file_errno(errno);
	}
	if (ops->fstat(fd, &st) != 0)
		r = file_errno(errno);
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

/*
 * Read exactly the size fstat gave, into buf of size + 2 bytes: one byte
 * more so that growth is noticed, and room for a terminating NUL.
 */
static int
read_into(int fd, uint8_t *buf, size_t size, size_t *gotp)
{
	size_t got = 0;
	ssize_t n;

	while (got < size + 1) {
		n = ops->read(fd, buf + got, size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return file_errno(errno);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > size)
		return CK_ERR_IO;	/* changed while we read it */
	buf[got] = '\0';
	*gotp = got;
	return CK_OK;
}

int
file_read(int dirfd, const char *name, size_t max, uint8_t **out,
    size_t *outlen)
{
	uint8_t *buf = NULL;
	size_t size = 0, got = 0;
	int fd = -1, r = CK_ERR_INTERNAL;

	*out = NULL;
	*outlen = 0;
	if ((r = open_regular(dirfd, name, max, &fd, &size)) != CK_OK)
		return r;
	if ((buf = malloc(size + 2)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = read_into(fd, buf, size, &got)) != CK_OK)
		goto out;
	*out = buf;
	*outlen = got;
	buf = NULL;
	r = CK_OK;
out:
	free(buf);
	ops->close(fd);
	return r;
}

int
file_read_proc(const char *path, size_t max, uint8_t **out, size_t *outlen)
{
	int fd, r;

	*out = NULL;
	*outlen = 0;
	if ((fd = ops->openat(AT_FDCWD, path, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC, 0)) < 0)
		return file_errno(errno);
	r = rd_fd(fd, max, out, outlen);
	ops->close(fd);
	return r;
}

int
file_open_read(int dirfd, const char *name, size_t max, int *fdp)
{
	size_t size;

	*fdp = -1;
	return open_regular(dirfd, name, max, fdp, &size);
}

int
file_read_secret(int dirfd, const char *name, size_t max, struct secbuf *out)
{
	struct secbuf b = { 0 };
	size_t size = 0, got = 0;
	int fd = -1, r = CK_ERR_INTERNAL;

	if ((r = open_regular(dirfd, name, max, &fd, &size)) != CK_OK)
		return r;
	if ((r = secbuf_reserve(&b, size + 2)) != CK_OK)
		goto out;
	if ((r = read_into(fd, b.p, size, &got)) != CK_OK)
		goto out;
	b.len = got;
	*out = b;
	b = (struct secbuf){ 0 };
	r = CK_OK;
out:
	secbuf_free(&b);
	ops->close(fd);
	return r;
}

/* The directory part of path opened with file_open_dir (symlinks refused
 * as there), *dirfd AT_FDCWD when there is none; *last is the rest. */
static int
open_path_dir(const char *path, int *dirfd, const char **last)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int r;

	*dirfd = AT_FDCWD;
	*last = path;
	if (slash == NULL)
		return CK_OK;
	if ((dir = strndup(path, (size_t)(slash - path))) == NULL)
		return CK_ERR_ALLOC;
	r = file_open_dir(AT_FDCWD, dir[0] != '\0' ? dir : "/", 0, 0, dirfd);
	free(dir);
	*last = slash + 1;
	return r;
}

int
file_read_path(const char *path, size_t max, uint8_t **out, size_t *outlen)
{
	const char *last;
	int fd, r;

	*out = NULL;
	*outlen = 0;
	if ((r = open_path_dir(path, &fd, &last)) != CK_OK)
		return r;
	r = file_read(fd, last, max, out, outlen);
	if (fd != AT_FDCWD)
		close(fd);
	return r;
}

int
file_open_read_path(const char *path, size_t max, int *fdp)
{
	const char *last;
	int fd, r;

	*fdp = -1;
	if ((r = open_path_dir(path, &fd, &last)) != CK_OK)
		return r;
	r = file_open_read(fd, last, max, fdp);
	if (fd != AT_FDCWD)
		close(fd);
	return r;
}
