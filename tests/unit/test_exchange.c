/*
 * media/exchange: atomic writes under injected faults and simulated
 * crashes at every system call, and each refusal with its own error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/errors.h"
#include "media/exchange.h"
#include "media/file.h"

static const uint8_t ID[EXCH_ID_LEN] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};
#define ID_HEX "00112233445566778899aabbccddeeff"

struct fx {
	char root[32];
	char dir[80];
	struct exch_dir *d;
};

/* ---- fault-injecting file ops ---- */

enum fault_mode { FAULT_ERRNO, FAULT_CRASH };
static int f_calls, f_at, f_errno, f_hit, f_short;
static enum fault_mode f_mode;

static int
fault(void)
{
	if (++f_calls != f_at)
		return 0;
	f_hit = 1;
	if (f_mode == FAULT_CRASH)
		_exit(0);	/* the process dies right before this call */
	errno = f_errno;
	return 1;
}

static int
f_openat(int dfd, const char *n, int fl, mode_t m)
{
	return fault() ? -1 : openat(dfd, n, fl, m);
}

static int
f_mkdirat(int dfd, const char *n, mode_t m)
{
	return fault() ? -1 : mkdirat(dfd, n, m);
}

static ssize_t
f_read(int fd, void *b, size_t n)
{
	return fault() ? -1 : read(fd, b, n);
}

static ssize_t
f_write(int fd, const void *b, size_t n)
{
	if (fault())
		return -1;
	/* Short writes: the writer must loop. */
	return write(fd, b, f_short && n > 3 ? 3 : n);
}

static int
f_fsync(int fd)
{
	return fault() ? -1 : fsync(fd);
}

static int
f_close(int fd)
{
	/* close() releases the descriptor even when it reports an error. */
	int bad = fault();

	close(fd);
	return bad ? -1 : 0;
}

static int
f_renameat2(int a, const char *an, int b, const char *bn, unsigned int fl)
{
	return fault() ? -1 : renameat2(a, an, b, bn, fl);
}

static int
f_unlinkat(int dfd, const char *n, int fl)
{
	return fault() ? -1 : unlinkat(dfd, n, fl);
}

static int
f_fstat(int fd, struct stat *st)
{
	return fault() ? -1 : fstat(fd, st);
}

static int
f_fstatat(int dfd, const char *n, struct stat *st, int fl)
{
	return fault() ? -1 : fstatat(dfd, n, st, fl);
}

static const struct file_ops fault_ops = {
	f_openat, f_mkdirat, f_read, f_write, f_fsync, f_close, f_renameat2,
	f_unlinkat, f_fstat, f_fstatat,
};

static void
fault_arm(enum fault_mode mode, int at, int err)
{
	f_calls = 0;
	f_at = at;
	f_errno = err;
	f_hit = 0;
	f_mode = mode;
	file_set_ops(&fault_ops);
}

/* ---- fixture helpers ---- */

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	/*
	 * tmpfs where there is one: the faults come from the file-ops table,
	 * not the medium, and a busy disk's fsyncs would make this slow. The
	 * real-medium path is test_stick's, on a loop-mounted filesystem.
	 */
	snprintf(fx->root, sizeof(fx->root), "%s/test_exchange.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	assert_non_null(mkdtemp(fx->root));
	snprintf(fx->dir, sizeof(fx->dir), "%s/%s", fx->root, ID_HEX);
	assert_int_equal(exch_open(fx->root, ID, EXCH_CREATE, &fx->d), CK_OK);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	file_set_ops(NULL);
	exch_close(fx->d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->root);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
put(const struct fx *fx, const char *name, const char *content)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", fx->dir, name);
	assert_non_null(f = fopen(p, "w"));
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* The file's content as a string ("" if absent, to tell apart from ""). */
static const char *
slurp(const struct fx *fx, const char *name, char *buf, size_t max)
{
	char p[256];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", fx->dir, name);
	if ((fd = open(p, O_RDONLY)) < 0)
		return NULL;
	n = read(fd, buf, max - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* Entries in the folder whose name starts with '.' (temp files). */
static int
count_hidden(const struct fx *fx)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	assert_non_null(d = opendir(fx->dir));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
dirfd_of(const struct fx *fx)
{
	static int fd = -1;

	if (fd >= 0)
		close(fd);
	fd = open(fx->dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	return fd;
}

/* ---- tests ---- */

static void
write_read_roundtrip_and_immutability(void **state)
{
	struct fx *fx = *state;
	const char *name = "000001-session-offer.env";
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	mode_t mask;
	char p[256];

	assert_int_equal(exch_write(fx->d, name, "hello", 5, 0), CK_OK);
	assert_int_equal(exch_read(fx->d, name, 100, &buf, &len), CK_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	free(buf);
	snprintf(p, sizeof(p), "%s/%s", fx->dir, name);
	assert_int_equal(stat(p, &st), 0);
	mask = umask(0);
	umask(mask);
	assert_int_equal(st.st_mode & 07777, 0644 & ~mask);

	assert_int_equal(exch_write(fx->d, name, "other", 5, 0), CK_ERR_EXISTS);
	assert_int_equal(exch_read(fx->d, name, 100, &buf, &len), CK_OK);
	assert_memory_equal(buf, "hello", 5);
	free(buf);
	assert_int_equal(exch_write(fx->d, name, "newer!", 6, EXCH_REPLACE),
	    CK_OK);
	assert_int_equal(exch_read(fx->d, name, 100, &buf, &len), CK_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "newer!", 6);
	free(buf);

	/* An empty envelope is a file like any other. */
	assert_int_equal(exch_write(fx->d, "000002-x.env", "", 0, 0), CK_OK);
	assert_int_equal(exch_read(fx->d, "000002-x.env", 10, &buf, &len), CK_OK);
	assert_int_equal(len, 0);
	free(buf);
	assert_int_equal(exch_read(fx->d, "000003-x.env", 10, &buf, &len),
	    CK_ERR_NOT_FOUND);
	assert_null(buf);
	assert_int_equal(count_hidden(fx), 0);
}

/*
 * Fail the N-th system call of one write, for every N until the write
 * gets through untouched. After each: the old content or the complete new
 * one, never anything else, and no temp file left.
 */
static void
run_faults(struct fx *fx, const char *old, int flags, int err, int expect,
    int shortw)
{
	const char *name = "000007-init-result.env";
	const char *new = "the complete new envelope";
	char buf[128];
	const char *got;
	int at, r, steps = 0;

	for (at = 1;; at++) {
		snprintf(buf, sizeof(buf), "%s/%s", fx->dir, name);
		unlink(buf);
		if (old != NULL)
			put(fx, name, old);
		f_short = shortw;
		fault_arm(FAULT_ERRNO, at, err);
		r = exch_write(fx->d, name, new, strlen(new), flags);
		file_set_ops(NULL);
		got = slurp(fx, name, buf, sizeof(buf));
		assert_int_equal(count_hidden(fx), 0);
		if (!f_hit) {
			assert_int_equal(r, CK_OK);
			assert_string_equal(got, new);
			break;
		}
		steps++;
		assert_int_equal(r, expect);
		if (got == NULL)
			assert_null(old);
		else if (strcmp(got, new) != 0)
			assert_string_equal(got, old);
	}
	f_short = 0;
	/* stat?, open, write(s), fsync, close, rename, fsync dir */
	assert_true(steps >= (shortw ? 12 : 6));
}

static void
fault_at_every_step_new_file(void **state)
{
	run_faults(*state, NULL, 0, EIO, CK_ERR_MEDIA_GONE, 0);
}

static void
fault_at_every_step_replacing(void **state)
{
	run_faults(*state, "old content", EXCH_REPLACE, EIO,
	    CK_ERR_MEDIA_GONE, 0);
}

static void
fault_at_every_step_short_writes(void **state)
{
	run_faults(*state, "old content", EXCH_REPLACE, ENOSPC,
	    CK_ERR_NO_SPACE, 1);
}

static void
read_only_medium_is_named(void **state)
{
	struct fx *fx = *state;

	fault_arm(FAULT_ERRNO, 2, EROFS);	/* fstatat, then open */
	assert_int_equal(exch_write(fx->d, "000001-a.env", "x", 1, 0),
	    CK_ERR_READ_ONLY);
	assert_int_equal(f_hit, 1);
}

/*
 * Kill the writer right before each of its system calls (a pulled stick
 * or power cut): the target is absent or complete, a leftover temp file is
 * ignored by listing and cleared by the next write.
 */
static void
crash_at_every_step(void **state)
{
	struct fx *fx = *state;
	const char *name = "000003-share-submission.env";
	const char *new = "complete content";
	struct exch_list l;
	char buf[64];
	const char *got;
	int at, st, steps = 0;
	pid_t pid;

	for (at = 1;; at++) {
		if ((pid = fork()) == 0) {
			fault_arm(FAULT_CRASH, at, 0);
			_exit(exch_write(fx->d, name, new, strlen(new), 0) ==
			    CK_OK ? 42 : 43);
		}
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		got = slurp(fx, name, buf, sizeof(buf));
		if (WEXITSTATUS(st) == 42) {
			assert_string_equal(got, new);
			break;
		}
		assert_int_equal(WEXITSTATUS(st), 0);	/* died at the fault */
		steps++;
		if (got != NULL)
			assert_string_equal(got, new);
		assert_int_equal(exch_list(fx->d, &l), CK_OK);
		assert_int_equal(l.refused, 0);
		assert_int_equal(l.n, got != NULL);
		exch_list_free(&l);
		if (got == NULL) {
			/* Recovery: the next write succeeds and cleans up. */
			assert_int_equal(exch_write(fx->d, name, new,
			    strlen(new), 0), CK_OK);
			assert_int_equal(count_hidden(fx), 0);
		}
		assert_int_equal(unlinkat(dirfd_of(fx), name, 0), 0);
	}
	assert_true(steps >= 6);
}

static void
read_faults_give_specific_errors(void **state)
{
	struct fx *fx = *state;
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 9;
	int at;

	put(fx, "000001-a.env", "payload");
	for (at = 1; at <= 3; at++) {	/* open, fstat, read */
		fault_arm(FAULT_ERRNO, at, EIO);
		assert_int_equal(exch_read(fx->d, "000001-a.env", 100, &buf,
		    &len), CK_ERR_MEDIA_GONE);
		assert_int_equal(f_hit, 1);
		assert_null(buf);
		assert_int_equal(len, 0);
	}
}

static void
symlinks_are_refused(void **state)
{
	struct fx *fx = *state;
	uint8_t *buf = NULL;
	size_t len = 0;
	char p[256], q[256];

	put(fx, "000001-a.env", "real");
	snprintf(p, sizeof(p), "%s/000002-a.env", fx->dir);
	assert_int_equal(symlink("000001-a.env", p), 0);
	snprintf(p, sizeof(p), "%s/000003-a.env", fx->dir);
	assert_int_equal(symlink("/dev/null", p), 0);
	assert_int_equal(exch_read(fx->d, "000002-a.env", 100, &buf, &len),
	    CK_ERR_SYMLINK);
	assert_int_equal(exch_read(fx->d, "000003-a.env", 100, &buf, &len),
	    CK_ERR_SYMLINK);
	assert_null(buf);

	/* A symlinked ceremony folder is refused, not followed. */
	snprintf(p, sizeof(p), "%s/real", fx->root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(q, sizeof(q), "%s/ffeeddccbbaa99887766554433221100", fx->root);
	assert_int_equal(symlink("real", q), 0);
	{
		static const uint8_t id2[EXCH_ID_LEN] = {
			0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
			0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00,
		};
		struct exch_dir *d2 = (struct exch_dir *)1;

		assert_int_equal(exch_open(fx->root, id2, 0, &d2),
		    CK_ERR_SYMLINK);
		assert_null(d2);
		assert_int_equal(exch_open(fx->root, id2, EXCH_CREATE, &d2),
		    CK_ERR_SYMLINK);
		assert_null(d2);
	}
}

static void
ceremony_folder_open_errors(void **state)
{
	struct fx *fx = *state;
	static const uint8_t id3[EXCH_ID_LEN] = { 3 };
	struct exch_dir *d = NULL;
	char p[256];
	int fd;

	assert_int_equal(exch_open(fx->root, id3, 0, &d), CK_ERR_NOT_FOUND);
	snprintf(p, sizeof(p), "%s/03000000000000000000000000000000", fx->root);
	assert_true((fd = open(p, O_CREAT | O_WRONLY, 0644)) >= 0);
	close(fd);
	assert_int_equal(exch_open(fx->root, id3, EXCH_CREATE, &d),
	    CK_ERR_NOT_REGULAR);
	assert_null(d);
	unlink(p);
	/* A failed mkdir or root fsync is reported, not ignored. */
	fault_arm(FAULT_ERRNO, 3, ENOSPC);	/* root, folder, mkdir */
	assert_int_equal(exch_open(fx->root, id3, EXCH_CREATE, &d),
	    CK_ERR_NO_SPACE);
	fault_arm(FAULT_ERRNO, 4, EIO);		/* ..., fsync root */
	assert_int_equal(exch_open(fx->root, id3, EXCH_CREATE, &d),
	    CK_ERR_MEDIA_GONE);
	file_set_ops(NULL);
	assert_int_equal(exch_open(fx->root, id3, EXCH_CREATE, &d), CK_OK);
	assert_int_equal(access(p, F_OK), 0);
	exch_close(d);
}

static void
non_regular_files_are_refused(void **state)
{
	struct fx *fx = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t *buf = NULL;
	size_t len = 0;
	char p[256];
	int s;

	snprintf(p, sizeof(p), "%s/000001-fifo.env", fx->dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	/* Would block forever without O_NONBLOCK: no writer exists. */
	assert_int_equal(exch_read(fx->d, "000001-fifo.env", 100, &buf, &len),
	    CK_ERR_NOT_REGULAR);

	snprintf(p, sizeof(p), "%s/000002-dir.env", fx->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(exch_read(fx->d, "000002-dir.env", 100, &buf, &len),
	    CK_ERR_NOT_REGULAR);
	assert_int_equal(exch_write(fx->d, "000002-dir.env", "x", 1,
	    EXCH_REPLACE), CK_ERR_NOT_REGULAR);
	assert_int_equal(count_hidden(fx), 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/000003-sock.env",
	    fx->dir);
	assert_true((s = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(exch_read(fx->d, "000003-sock.env", 100, &buf, &len),
	    CK_ERR_NOT_REGULAR);
	close(s);

	snprintf(p, sizeof(p), "%s/000004-dev.env", fx->dir);
	if (mknod(p, S_IFCHR | 0644, makedev(1, 3)) == 0)	/* /dev/null */
		assert_int_equal(exch_read(fx->d, "000004-dev.env", 100, &buf,
		    &len), CK_ERR_NOT_REGULAR);
	else
		print_message("not root: device node case not exercised "
		    "(/dev/null via a symlink is covered above)\n");
	assert_null(buf);
}

static void
oversize_is_refused_at_the_boundary(void **state)
{
	struct fx *fx = *state;
	uint8_t *buf = NULL;
	size_t len = 0;

	put(fx, "000001-big.env", "0123456789");
	assert_int_equal(exch_read(fx->d, "000001-big.env", 9, &buf, &len),
	    CK_ERR_TOO_LARGE);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_int_equal(exch_read(fx->d, "000001-big.env", 10, &buf, &len),
	    CK_OK);
	assert_int_equal(len, 10);
	free(buf);
}

static void
foreign_names_are_refused(void **state)
{
	static const char *bad[] = {
		"", "1-a.env", "00001-a.env", "0000001-a.env", "000001-.env",
		"000001-A.env", "000001-a.ENV", "000001-a.env.tmp",
		".000001-a.env.tmp", "000001_a.env", "000001-a1.env",
		"000001-a/b.env", "../000001-a.env", "000001-a.env/",
		"00000a-a.env", "000001-a.en", "000001-a", " 000001-a.env",
		"000001-abcdefghijklmnopqrstuvwxyzabcdefg.env",
	};
	struct fx *fx = *state;
	uint8_t *buf = NULL;
	size_t i, len = 0;

	put(fx, "README.txt", "foreign");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(exch_name_parse(bad[i], NULL, NULL),
		    CK_ERR_BAD_NAME);
		assert_int_equal(exch_read(fx->d, bad[i], 100, &buf, &len),
		    CK_ERR_BAD_NAME);
		assert_int_equal(exch_write(fx->d, bad[i], "x", 1, 0),
		    CK_ERR_BAD_NAME);
	}
	assert_int_equal(exch_read(fx->d, "README.txt", 100, &buf, &len),
	    CK_ERR_BAD_NAME);
	assert_int_equal(count_hidden(fx), 0);
}

static void
name_parse_extracts_seq_and_type(void **state)
{
	char type[EXCH_TYPE_MAX + 1];
	uint32_t seq = 0;

	(void)state;
	assert_int_equal(exch_name_parse("000010-share-submission.env", &seq,
	    type), CK_OK);
	assert_int_equal(seq, 10);
	assert_string_equal(type, "share-submission");
	assert_int_equal(exch_name_parse("999999-abcdefghijklmnopqrstuvwxyzabcdef.env",
	    &seq, type), CK_OK);
	assert_int_equal(seq, EXCH_SEQ_MAX);
	assert_int_equal(strlen(type), EXCH_TYPE_MAX);
	assert_int_equal(exch_name_parse("000000-x.env", &seq, type), CK_OK);
	assert_int_equal(seq, 0);
}

static void
listing_is_in_sequence_order(void **state)
{
	static const char *names[] = {
		"000100-a.env", "000010-x.env", "000009-x.env",
		"000002-b.env", "000002-a.env", "000001-z.env",
	};
	static const char *want[] = {
		"000001-z.env", "000002-a.env", "000002-b.env",
		"000009-x.env", "000010-x.env", "000100-a.env",
	};
	struct fx *fx = *state;
	struct exch_list l;
	char p[256];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(exch_write(fx->d, names[i], "e", 1, 0), CK_OK);
	put(fx, ".000011-x.env.tmp", "torn");		/* crash leftover */
	put(fx, "README.txt", "foreign");		/* refused */
	put(fx, "._000012-x.env", "macOS debris");	/* refused */
	snprintf(p, sizeof(p), "%s/000013-link.env", fx->dir);
	assert_int_equal(symlink("000001-z.env", p), 0);	/* refused */
	snprintf(p, sizeof(p), "%s/000014-dir.env", fx->dir);
	assert_int_equal(mkdir(p, 0755), 0);		/* refused */

	assert_int_equal(exch_list(fx->d, &l), CK_OK);
	assert_int_equal(l.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < l.n; i++)
		assert_string_equal(l.v[i].name, want[i]);
	assert_int_equal(l.v[4].seq, 10);
	assert_string_equal(l.v[4].type, "x");
	assert_int_equal(l.refused, 4);
	exch_list_free(&l);
	assert_null(l.v);

	/* The leftover does not block a later write of that name. */
	assert_int_equal(exch_write(fx->d, "000011-x.env", "e", 1, 0), CK_OK);
	assert_int_equal(count_hidden(fx), 1);	/* only ._000012-x.env */
}

static void
listing_is_bounded(void **state)
{
	struct fx *fx = *state;
	struct exch_list l;
	char name[32];
	int i;

	for (i = 0; i < EXCH_LIST_MAX; i++) {
		snprintf(name, sizeof(name), "junk%d", i);
		put(fx, name, "");
	}
	assert_int_equal(exch_list(fx->d, &l), CK_OK);
	assert_int_equal(l.refused, EXCH_LIST_MAX);
	exch_list_free(&l);
	put(fx, "one-too-many", "");
	assert_int_equal(exch_list(fx->d, &l), CK_ERR_TOO_LARGE);
	assert_null(l.v);
}

static void
ceremonies_are_discovered(void **state)
{
	static const char *ignored[] = {
		"00112233445566778899AABBCCDDEEFF",	/* uppercase */
		"0011223344556677889900112233445",	/* 31 digits */
		"001122334455667788990011223344556",	/* 33 digits */
		"System Volume Information", ".Trashes",
	};
	struct fx *fx = *state;
	struct exch_ceremonies c;
	char p[256];
	size_t i;
	int fd;

	snprintf(p, sizeof(p), "%s/ffffffffffffffffffffffffffffff01", fx->root);
	assert_int_equal(mkdir(p, 0755), 0);
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", fx->root, ignored[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof(p), "%s/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", fx->root);
	assert_true((fd = open(p, O_CREAT | O_WRONLY, 0644)) >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", fx->root);
	assert_int_equal(symlink(ID_HEX, p), 0);

	assert_int_equal(exch_list_ceremonies(fx->root, &c), CK_OK);
	assert_int_equal(c.n, 2);
	assert_memory_equal(c.ids[0], ID, EXCH_ID_LEN);
	assert_int_equal(c.ids[1][0], 0xff);
	assert_int_equal(c.ids[1][15], 0x01);
	exch_ceremonies_free(&c);
	assert_null(c.ids);
}

static void
listing_faults_are_reported(void **state)
{
	struct fx *fx = *state;
	struct exch_ceremonies c;
	struct exch_list l;

	fault_arm(FAULT_ERRNO, 1, EIO);
	assert_int_equal(exch_list(fx->d, &l), CK_ERR_MEDIA_GONE);
	assert_null(l.v);
	fault_arm(FAULT_ERRNO, 1, EIO);		/* the root */
	assert_int_equal(exch_list_ceremonies(fx->root, &c), CK_ERR_MEDIA_GONE);
	fault_arm(FAULT_ERRNO, 2, EIO);		/* the walk */
	assert_int_equal(exch_list_ceremonies(fx->root, &c), CK_ERR_MEDIA_GONE);
	assert_null(c.ids);
}

/* file_parent: the folder a state folder or mount point is made in. */
static void
file_parent_names_the_folder(void **state)
{
	static const char *const cases[][2] = {
		{ "/run/conclave/stick", "/run/conclave" }, { "/stick", "/" },
		{ "stick", "." }, { "a/b", "a" },
	};
	size_t i;
	char *p;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(file_parent(cases[i][0], &p), CK_OK);
		assert_string_equal(p, cases[i][1]);
		free(p);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(write_read_roundtrip_and_immutability),
		T(fault_at_every_step_new_file),
		T(fault_at_every_step_replacing),
		T(fault_at_every_step_short_writes),
		T(read_only_medium_is_named),
		T(crash_at_every_step),
		T(read_faults_give_specific_errors),
		T(symlinks_are_refused),
		T(ceremony_folder_open_errors),
		T(non_regular_files_are_refused),
		T(oversize_is_refused_at_the_boundary),
		T(foreign_names_are_refused),
		cmocka_unit_test(name_parse_extracts_seq_and_type),
		cmocka_unit_test(file_parent_names_the_folder),
		T(listing_is_in_sequence_order),
		T(listing_is_bounded),
		T(ceremonies_are_discovered),
		T(listing_faults_are_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
