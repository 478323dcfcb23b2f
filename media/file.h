/*
 * File I/O on media that may be hostile or may vanish: the one place that
 * writes files atomically and reads them with limits. The exchange folder,
 * the transcript's signature files and the appliance's ceremony state all
 * go through here.
 *
 * Writes are atomic: the bytes go to ".<name>.tmp" in the same directory
 * (O_CREAT|O_EXCL|O_NOFOLLOW), are fsync'd, renamed over the final name and
 * the directory is fsync'd, so a crash or a pulled stick leaves the old
 * file or the complete new one, never a torn one. One writer per directory
 * is assumed: a leftover temp file of the same name is from a crashed
 * earlier attempt and is removed.
 *
 * Reads refuse symlinks (CK_ERR_SYMLINK), anything but a regular file
 * (CK_ERR_NOT_REGULAR; opened O_NONBLOCK so a FIFO cannot hang us) and
 * files above the caller's limit (CK_ERR_TOO_LARGE). A medium that fails
 * or vanishes gives CK_ERR_MEDIA_GONE, a read-only one CK_ERR_READ_ONLY, a
 * full one CK_ERR_NO_SPACE.
 */
#ifndef CONCLAVE_FILE_H
#define CONCLAVE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "crypto/reader.h"
#include "crypto/secmem.h"

/* Longest final name component handled (temp names add 5 bytes). */
#define FILE_NAME_MAX		200
#define FILE_TMP_PREFIX		"."
#define FILE_TMP_SUFFIX		".tmp"

/* file_write_atomic flags */
#define FILE_REPLACE		0x1	/* allow replacing an existing file */
/* file_open_dir flags */
#define FILE_CREATE		0x1	/* create the directory if missing */

/* The CK_ERR_* for an errno from a file operation on a medium. */
int file_errno(int errnum);

/* The folder holding path ("." for a bare name, "/" for "/x"), malloc'd
 * into *out (free it). */
int file_parent(const char *path, char **out) CK_WUR __attribute__((nonnull));

/*
 * Open directory name relative to atfd (AT_FDCWD for a path), refusing a
 * symlink in the last component (CK_ERR_SYMLINK) and anything but a
 * directory (CK_ERR_NOT_REGULAR). FILE_CREATE makes it with mode and
 * fsyncs its parent first. *fdp is an O_DIRECTORY descriptor.
 */
int file_open_dir(int atfd, const char *name, int flags, mode_t mode,
    int *fdp) CK_WUR __attribute__((nonnull));

/* Write buf[0..len) as dirfd/name atomically (see above). */
int file_write_atomic(int dirfd, const char *name, const void *buf,
    size_t len, mode_t mode, int flags) CK_WUR __attribute__((nonnull));

/*
 * All of buf to fd (retrying short writes and EINTR), for a file kept open
 * and appended to, such as the transcript; the caller fsyncs.
 */
int file_write_all(int fd, const void *buf, size_t len) CK_WUR;

/*
 * Read dirfd/name, at most max bytes, into a malloc'd buffer (*out, with
 * one NUL byte after *outlen for text callers; free()). Outputs are
 * NULL/0 on failure. A file that grows while being read is CK_ERR_IO.
 */
int file_read(int dirfd, const char *name, size_t max, uint8_t **out,
    size_t *outlen) CK_WUR __attribute__((nonnull));

/*
 * file_read() on a path: the directory part opened with file_open_dir
 * (symlinks refused as there), the last component read.
 */
int file_read_path(const char *path, size_t max, uint8_t **out,
    size_t *outlen) CK_WUR __attribute__((nonnull));

/*
 * A kernel file (/proc/locks, /proc/PID/cmdline: its size reads as 0),
 * read to its end, at most max bytes (CK_ERR_TOO_LARGE past them), as
 * file_read's *out. Symlinks are not followed.
 */
int file_read_proc(const char *path, size_t max, uint8_t **out,
    size_t *outlen) CK_WUR __attribute__((nonnull));

/*
 * Open dirfd/name for reading by someone else, with the checks of
 * file_read (O_NOFOLLOW|O_NONBLOCK, a regular file, at most max bytes by
 * fstat): the appliance hands the descriptor to its parser child, which
 * reads it with rd_fd (crypto/reader.h). *fdp is O_CLOEXEC; close it.
 */
int file_open_read(int dirfd, const char *name, size_t max, int *fdp) CK_WUR
    __attribute__((nonnull));

/* file_open_read() on a path, its directory opened as file_read_path's. */
int file_open_read_path(const char *path, size_t max, int *fdp) CK_WUR
    __attribute__((nonnull));

/* The same into secret memory (a key file, a state file with a secret). */
int file_read_secret(int dirfd, const char *name, size_t max,
    struct secbuf *out) CK_WUR __attribute__((nonnull));

/*
 * A temp file file_write_atomic left for name when its process stopped
 * between the temp's fsync and its rename (a kill -9 there): read it as
 * file_read does (CK_ERR_NOT_FOUND when there is none), and, once the
 * caller has checked it is whole, file_adopt_tmp renames it into place
 * (never over an existing name: CK_ERR_EXISTS) and syncs the directory.
 * A temp cut short by an earlier stop fails the caller's check and stays
 * (the next write of that name removes it).
 */
int file_read_tmp(int dirfd, const char *name, size_t max, uint8_t **out,
    size_t *outlen) CK_WUR __attribute__((nonnull));
int file_adopt_tmp(int dirfd, const char *name) CK_WUR
    __attribute__((nonnull));

/* Is s one of our temp names (".<name>.tmp")? Listings skip them. */
int file_is_tmp_name(const char *s);

/*
 * Crash points, for the resume test only (make check-resume builds with
 * -DCONCLAVE_CRASH_POINTS; the programs never have them): every write
 * that makes something durable (an atomic file write before its rename,
 * a transcript record before it is written) and every answer to a server
 * request that changes something (client/http.c: before the bridge records
 * it) is a point, counted from 1 in
 * each process; with CONCLAVE_CRASH_AT=N in the environment the process
 * ends at point N with _exit(CRASH_POINT_EXIT), as a kill -9 or a power
 * cut would leave it.
 */
#define CRASH_POINT_EXIT	86
#ifdef CONCLAVE_CRASH_POINTS
void file_crash_point(void);
#else
static inline void file_crash_point(void) { }
#endif

/*
 * Fault injection seam (house style rule 22: "inject a failure at every
 * I/O call, for media/ through a file-ops shim"). Every system call this
 * module makes goes through this table. Programs never call
 * file_set_ops; tests install a table whose entries fail on demand. NULL
 * restores the real system calls.
 */
struct file_ops {
	int (*openat)(int dirfd, const char *name, int flags, mode_t mode);
	int (*mkdirat)(int dirfd, const char *name, mode_t mode);
	ssize_t (*read)(int fd, void *buf, size_t n);
	ssize_t (*write)(int fd, const void *buf, size_t n);
	int (*fsync)(int fd);
	int (*close)(int fd);
	int (*renameat2)(int olddirfd, const char *oldname, int newdirfd,
	    const char *newname, unsigned int flags);
	int (*unlinkat)(int dirfd, const char *name, int flags);
	int (*fstat)(int fd, struct stat *st);
	int (*fstatat)(int dirfd, const char *name, struct stat *st,
	    int flags);
};
void file_set_ops(const struct file_ops *ops);
/* The table in force, for modules that make their own calls (listing). */
const struct file_ops *file_ops(void);

#endif
