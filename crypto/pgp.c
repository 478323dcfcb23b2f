/*
 * gpgme wrapper: throwaway homes, key import/validation/export,
 * decryption into secmem, detached signatures.
 *
 * Limits (see pgp.h): key files PGP_KEYFILE_MAX, messages PGP_MSG_MAX,
 * plaintext PGP_PLAINTEXT_MAX, PGP_IMPORT_MAX keys per file; packet
 * limits are crypto/pgppkt's.
 *
 * Threat assumptions: key files and messages come from sticks and the
 * server, so they are bounded here before gpg sees them (and the packet
 * walks in crypto/pgppkt trust nothing). gpg itself is trusted code
 * on the appliance. Plaintext reaches us through a gpgme callback data
 * object that appends straight into secmem; gpgme copies it through a
 * stack buffer on the way (not under our control).
 */
#include "crypto/pgp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gpgme.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/reader.h"

#define PGP_HOME_PREFIX		"conclave-gpg."
#define PGP_HOME_TEMPLATE	"/" PGP_HOME_PREFIX "XXXXXX"
/* In every home: "PID PIDNS START\n", the process that made it, its pid
 * namespace and its start time (clock ticks after boot; 0: unknown), so
 * that a later process can tell a home left behind by a killed one
 * (clear_stale_homes) from one in use, also once the pid is reused. */
#define PGP_HOME_OWNER		"conclave-owner"
#define PGP_HOME_OWNER_MAX	64
#define PGP_GPGME_MIN	"1.18.0"

struct pgp_home {
	char dir[PATH_MAX];
	char base[PATH_MAX];
	gpgme_ctx_t ctx;
};

/* Passphrase handed to gpg-agent's loopback pinentry, once. */
struct pass_hook {
	const char *pass;
	int calls;
	int rejected;
};

/* A gpgme output data object that appends into secmem. */
struct sec_sink {
	struct secbuf *buf;
	size_t max;
};

static int
map_gpg_err(gpgme_error_t err, int dflt)
{
	switch (gpgme_err_code(err)) {
	case GPG_ERR_NO_ERROR:
		return CK_OK;
	case GPG_ERR_BAD_PASSPHRASE:
	case GPG_ERR_BAD_PIN:
	case GPG_ERR_CANCELED:
	case GPG_ERR_NO_PIN:
	case GPG_ERR_NO_PASSPHRASE:
		return CK_ERR_BAD_PASSPHRASE;
	case GPG_ERR_NO_SECKEY:
		return CK_ERR_WRONG_KEY;
	case GPG_ERR_PIN_BLOCKED:
		return CK_ERR_PIN_BLOCKED;
	/* A card pulled out in the middle of PSO:DECIPHER: "Card error". */
	case GPG_ERR_CARD:
	case GPG_ERR_CARD_REMOVED:
	case GPG_ERR_CARD_NOT_PRESENT:
	case GPG_ERR_CARD_RESET:
	case GPG_ERR_ENODEV:
		return CK_ERR_CARD_REMOVED;
	case GPG_ERR_ENOMEM:
		return CK_ERR_ALLOC;
	case GPG_ERR_EOF:
		return CK_ERR_NOT_FOUND;
	case GPG_ERR_NO_DATA:
	case GPG_ERR_INV_PACKET:
	case GPG_ERR_BAD_DATA:
		return CK_ERR_FORMAT;
	default:
		return dflt;
	}
}

int
pgp_fpr_normalize(const char *in, char out[PGP_FPR_LEN + 1])
{
	size_t i;

	for (i = 0; i < PGP_FPR_LEN; i++) {
		char c = in[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return CK_ERR_ENCODING;
		out[i] = c;
	}
	if (in[PGP_FPR_LEN] != '\0')
		return CK_ERR_ENCODING;
	out[PGP_FPR_LEN] = '\0';
	return CK_OK;
}

int
pgp_fpr_grouped(const char *fpr, char *out, size_t outlen)
{
	char norm[PGP_FPR_LEN + 1];
	size_t i, o = 0;
	int e;

	if (outlen < PGP_FPR_GROUPED_LEN + 1)
		return CK_ERR_INVALID_ARG;
	if ((e = pgp_fpr_normalize(fpr, norm)) != CK_OK)
		return e;
	for (i = 0; i < PGP_FPR_LEN; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = (char)(norm[i] >= 'a' ? norm[i] - 'a' + 'A' : norm[i]);
	}
	out[o] = '\0';
	return CK_OK;
}

/* ---- files ---- */

/* Open a regular file of at most max bytes (its size in *size). No
 * symlinks. */
static int
open_bounded(const char *path, size_t max, int *fd, size_t *size)
{
	struct stat st;
	int r;

	*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0)
		return errno == ELOOP ? CK_ERR_SYMLINK :
		    errno == ENOENT ? CK_ERR_NOT_FOUND : CK_ERR_IO;
	if (fstat(*fd, &st) != 0)
		r = CK_ERR_IO;
	else if (!S_ISREG(st.st_mode))
		r = CK_ERR_NOT_REGULAR;
	else if ((uint64_t)st.st_size > max)
		r = CK_ERR_TOO_LARGE;
	else {
		*size = (size_t)st.st_size;
		return CK_OK;
	}
	close(*fd);
	*fd = -1;
	return r;
}

/*
 * Read a regular file of at most max bytes into secmem (key files may be
 * secret keys; public ones are small enough not to matter). No symlinks.
 */
static int
read_bounded(const char *path, size_t max, struct secbuf *out)
{
	size_t size;
	int fd, r;

	if ((r = open_bounded(path, max, &fd, &size)) != CK_OK)
		return r;
	r = secbuf_read_fd(out, fd, size);
	close(fd);
	return r;
}

/* ---- homes ---- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/*
 * Run one GnuPG tool for what gpgme has no call for: a fixed argv, no
 * shell, stdin and stderr on /dev/null. Its stdout goes to out (at most
 * outmax - 1 bytes kept, NUL-terminated; the rest read and dropped) when
 * out is not NULL, else to /dev/null. Returns its exit status, or -1.
 */
static int
run_tool_out(const char *path, char *const argv[], char *out, size_t outmax)
{
	char sink[512];
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int st, devnull, fd[2] = { -1, -1 };

	if (path == NULL || (out != NULL && (outmax == 0 || pipe(fd) != 0)))
		return -1;
	if ((pid = fork()) < 0) {
		if (out != NULL) {
			close(fd[0]);
			close(fd[1]);
		}
		return -1;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(out != NULL ? fd[1] : devnull, 1);
			dup2(devnull, 2);
		}
		execv(path, argv);
		_exit(127);
	}
	if (out != NULL) {
		close(fd[1]);
		for (;;) {
			n = len + 1 < outmax ?
			    read(fd[0], out + len, outmax - 1 - len) :
			    read(fd[0], sink, sizeof(sink));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (len + 1 < outmax)
				len += (size_t)n;
		}
		out[len] = '\0';
		close(fd[0]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
run_tool(const char *path, char *const argv[])
{
	return run_tool_out(path, argv, NULL, 0);
}

/*
 * gpgme cannot stop an agent. One gpg-connect-agent does what
 * `gpgconf --kill all` does with four processes (gpgconf and three
 * gpg-connect-agent runs, one of them for a dirmngr that --disable-dirmngr
 * and offline mode never start): stop the agent's scdaemon if a card
 * started one, then the agent. --no-autostart: a home whose agent never
 * ran starts none here. No SCD command unless scdaemon runs, since any
 * SCD command would start one.
 */
static void
kill_agent(char *dir)
{
	char path[PATH_MAX];
	const char *bindir = gpgme_get_dirinfo("bindir");
	char *argv[] = { "gpg-connect-agent", "--homedir", dir, "-s",
	    "--no-autostart", "GETINFO scd_running", "/if ${! $?}",
	    "scd killscd", "/end", "KILLAGENT", NULL };

	if (bindir == NULL || (size_t)snprintf(path, sizeof(path),
	    "%s/gpg-connect-agent", bindir) >= sizeof(path))
		return;
	(void)run_tool(path, argv);
}

static int
write_conf(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	size_t len = strlen(text);
	int fd, r = CK_ERR_IO;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return CK_ERR_TOO_LARGE;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return CK_ERR_IO;
	if (write(fd, text, len) == (ssize_t)len && fsync(fd) == 0)
		r = CK_OK;
	if (close(fd) != 0)
		r = CK_ERR_IO;
	return r;
}

/* Our pid namespace's inode (0 without /proc): pids compare within it. */
static unsigned long long
pid_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ?
	    (unsigned long long)st.st_ino : 0;
}

/*
 * When process pid started (field 22 of /proc/PID/stat, after the command
 * name in parentheses, which may hold anything): CK_OK, or the process
 * or its /proc entry is not there.
 */
static int
proc_start(long pid, unsigned long long *start)
{
	char path[40], *p, *save = NULL, *f;
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, i, r = CK_ERR_NOT_FOUND;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return CK_ERR_NOT_FOUND;
	if (rd_fd(fd, 4096, &buf, &len) == CK_OK &&
	    (p = strrchr((char *)buf, ')')) != NULL) {
		for (i = 3, f = strtok_r(p + 1, " \n", &save); f != NULL &&
		    i < 22; i++)
			f = strtok_r(NULL, " \n", &save);
		if (f != NULL && rd_parse_uint(f, 0, ULLONG_MAX, start) == CK_OK)
			r = CK_OK;
	}
	free(buf);
	close(fd);
	return r;
}

/* The agent stopped, the files removed (the home's keys with them). */
static void
remove_home(char *dir)
{
	kill_agent(dir);
	(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Is basedir/name a home a dead process left (kill -9, a power cut
 * inside a running system)? Only a real directory of ours (no symlink,
 * our uid) named as pgp_home_open names them, whose owner file (a
 * regular file of ours) names a process of our pid namespace that no
 * longer exists (its pid free, or taken by a process started later). Anything else is left alone: a home in use, another
 * user's, one without an owner (it cannot be told).
 */
static int
stale_home(int basefd, const char *name)
{
	const size_t plen = strlen(PGP_HOME_PREFIX);
	unsigned long long pid, ns, start, now;
	char *f[3], *save = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	int dfd, fd, stale = 0;

	if (strncmp(name, PGP_HOME_PREFIX, plen) != 0 ||
	    strlen(name) != plen + 6 ||
	    fstatat(basefd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return 0;
	if ((dfd = openat(basefd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return 0;
	fd = openat(dfd, PGP_HOME_OWNER, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() &&
	    rd_fd(fd, PGP_HOME_OWNER_MAX, &buf, &len) == CK_OK &&
	    len > 0 && buf[len - 1] == '\n') {
		buf[len - 1] = '\0';
		f[0] = strtok_r((char *)buf, " ", &save);
		f[1] = strtok_r(NULL, " ", &save);
		f[2] = strtok_r(NULL, " ", &save);
		/* gone, or its pid now another process's (started later) */
		stale = f[2] != NULL && strtok_r(NULL, " ", &save) == NULL &&
		    rd_parse_uint(f[0], 1, INT_MAX, &pid) == CK_OK &&
		    rd_parse_uint(f[1], 0, ULLONG_MAX, &ns) == CK_OK &&
		    rd_parse_uint(f[2], 0, ULLONG_MAX, &start) == CK_OK &&
		    ns == pid_ns() && (pid_t)pid != getpid() &&
		    ((kill((pid_t)pid, 0) != 0 && errno == ESRCH) ||
		    (start != 0 && proc_start((long)pid, &now) == CK_OK &&
		    now != start));
	}
	free(buf);
	close(fd);
	return stale;
}

/*
 * The homes under basedir that killed processes left (their agents still
 * running, perhaps an imported key still in them): stopped and removed
 * before a new one is made.
 */
static void
clear_stale_homes(const char *basedir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int fd;

	if ((fd = open(basedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (stale_home(fd, e->d_name) &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", basedir,
		    e->d_name) < sizeof(path))
			remove_home(path);
	closedir(d);
}

int
pgp_home_open(const char *basedir, struct pgp_home **out)
{
	/*
	 * Loopback pinentry: the UI asks, gpg-agent never pops a pinentry.
	 * No passphrase caching, so a passphrase lives in the agent only for
	 * the operation that needs it. An imported secret key is re-protected
	 * by the agent at its first use; with its calibrated S2K count that
	 * cost seconds per share on a loaded machine, for a copy that lives
	 * only in this temporary home and only for this step: the smallest
	 * count the agent allows (the holder's own key file keeps its own).
	 */
	static const char agent_conf[] =
	    "allow-loopback-pinentry\n"
	    "default-cache-ttl 0\n"
	    "max-cache-ttl 0\n"
	    "s2k-count 65536\n";
	struct pgp_home *h = NULL;
	char owner[PGP_HOME_OWNER_MAX];
	unsigned long long start;
	int r = CK_ERR_INTERNAL;

	*out = NULL;
	if (gpgme_check_version(PGP_GPGME_MIN) == NULL)
		return CK_ERR_PGP;
	if (gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0)
		return CK_ERR_PGP;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return CK_ERR_ALLOC;
	if ((size_t)snprintf(h->base, sizeof(h->base), "%s", basedir) >=
	    sizeof(h->base) ||
	    (size_t)snprintf(h->dir, sizeof(h->dir), "%s" PGP_HOME_TEMPLATE,
	    basedir) >= sizeof(h->dir)) {
		r = CK_ERR_TOO_LARGE;
		goto out;
	}
	clear_stale_homes(basedir);
	if (mkdtemp(h->dir) == NULL) {
		h->dir[0] = '\0';
		r = CK_ERR_IO;
		goto out;
	}
	/* mkdtemp makes 0700 already; say so for auditors and odd umasks. */
	if (chmod(h->dir, 0700) != 0) {
		r = CK_ERR_IO;
		goto out;
	}
	if (proc_start((long)getpid(), &start) != CK_OK)
		start = 0;
	snprintf(owner, sizeof(owner), "%ld %llu %llu\n", (long)getpid(),
	    pid_ns(), start);
	if ((r = write_conf(h->dir, PGP_HOME_OWNER, owner)) != CK_OK ||
	    (r = write_conf(h->dir, "gpg-agent.conf", agent_conf)) != CK_OK)
		goto out;
	r = CK_ERR_PGP;
	if (gpgme_new(&h->ctx) != 0) {
		h->ctx = NULL;
		goto out;
	}
	if (gpgme_ctx_set_engine_info(h->ctx, GPGME_PROTOCOL_OpenPGP, NULL,
	    h->dir) != 0 ||
	    gpgme_set_protocol(h->ctx, GPGME_PROTOCOL_OpenPGP) != 0 ||
	    gpgme_set_pinentry_mode(h->ctx, GPGME_PINENTRY_MODE_LOOPBACK) != 0)
		goto out;
	gpgme_set_offline(h->ctx, 1);
	*out = h;
	h = NULL;
	r = CK_OK;
 out:
	pgp_home_close(h);
	return r;
}

const char *
pgp_home_dir(const struct pgp_home *h)
{
	return h->dir;
}

/* Delete every secret key the home knows before its files go away. */
static void
delete_secret_keys(struct pgp_home *h)
{
	gpgme_key_t key;
	char fprs[PGP_IMPORT_MAX * 4][PGP_FPR_LEN + 1];
	size_t n = 0, i;

	if (gpgme_op_keylist_start(h->ctx, NULL, 1) != 0)
		return;
	while (gpgme_op_keylist_next(h->ctx, &key) == 0) {
		if (n < sizeof(fprs) / sizeof(fprs[0]) && key->fpr != NULL &&
		    pgp_fpr_normalize(key->fpr, fprs[n]) == CK_OK)
			n++;
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(h->ctx);
	for (i = 0; i < n; i++)
		pgp_delete_key(h, fprs[i]);
}

void
pgp_home_close(struct pgp_home *h)
{
	if (h == NULL)
		return;
	if (h->ctx != NULL) {
		delete_secret_keys(h);
		gpgme_release(h->ctx);
	}
	if (h->dir[0] != '\0')
		remove_home(h->dir);
	free(h);
}

/*
 * One field of a `--with-colons` line: field k (0 = the record type) of the
 * line that starts with "TYPE:", copied into out (outmax bytes), or "".
 */
static void
colon_field(const char *text, const char *type, int k, char *out,
    size_t outmax)
{
	size_t tl = strlen(type), n;
	const char *line, *p;
	int i;

	out[0] = '\0';
	for (line = text; line != NULL && *line != '\0';
	    line = (p = strchr(line, '\n')) != NULL ? p + 1 : NULL) {
		if (strncmp(line, type, tl) != 0 || line[tl] != ':')
			continue;
		p = line;
		for (i = 0; i < k; i++) {
			p += strcspn(p, ":\n");
			if (*p != ':')
				return;
			p++;
		}
		n = strcspn(p, ":\n");
		if (n < outmax) {
			memcpy(out, p, n);
			out[n] = '\0';
		}
		return;
	}
}

int
pgp_card_learn(struct pgp_home *h, struct pgp_card *card)
{
	char *argv[] = { "gpg", "--homedir", h->dir, "--batch", "--no-tty",
	    "--with-colons", "--card-status", NULL };
	char *text, num[8], fpr[PGP_FPR_LEN + 2];
	char *end;
	long tries;
	int r = CK_ERR_ALLOC;

	memset(card, 0, sizeof(*card));
	card->pin_tries = -1;
	if ((text = malloc(PGP_CARD_STATUS_MAX)) == NULL)
		return CK_ERR_ALLOC;
	/* gpg-agent records stubs for the card's keys as a side effect. */
	r = CK_ERR_NOT_FOUND;
	if (run_tool_out(gpgme_get_dirinfo("gpg-name"), argv, text,
	    PGP_CARD_STATUS_MAX) != 0)
		goto out;
	colon_field(text, "serial", 1, card->serial, sizeof(card->serial));
	/* fpr:SIGNATURE:DECRYPTION:AUTHENTICATION: */
	colon_field(text, "fpr", 2, fpr, sizeof(fpr));
	if (fpr[0] != '\0' && pgp_fpr_normalize(fpr, card->enc_fpr) != CK_OK)
		card->enc_fpr[0] = '\0';
	/* pinretry:USER:RESET-CODE:ADMIN: */
	colon_field(text, "pinretry", 1, num, sizeof(num));
	errno = 0;
	tries = strtol(num, &end, 10);
	if (num[0] != '\0' && *end == '\0' && errno == 0 && tries >= 0 &&
	    tries < 256)
		card->pin_tries = (int)tries;
	r = CK_OK;
 out:
	free(text);
	return r;
}

int
pgp_card_holds(const struct pgp_card *card, const char *enc_keyid)
{
	/* A v4 key id is the low 64 bits of the fingerprint. */
	return card->enc_fpr[0] != '\0' && strcmp(card->enc_fpr +
	    PGP_FPR_LEN - PGP_KEYID_LEN, enc_keyid) == 0;
}

/* ---- import ---- */

static int
get_key(struct pgp_home *h, const char *fpr, int secret, gpgme_key_t *key)
{
	char norm[PGP_FPR_LEN + 1];
	gpgme_error_t err;
	int e;

	*key = NULL;
	if ((e = pgp_fpr_normalize(fpr, norm)) != CK_OK)
		return e;
	err = gpgme_get_key(h->ctx, norm, key, secret);
	if (err != 0) {
		*key = NULL;
		return map_gpg_err(err, CK_ERR_PGP);
	}
	return CK_OK;
}

static int
import_data(struct pgp_home *h, const void *buf, size_t len, int want_secret,
    struct pgp_fprs *out)
{
	gpgme_data_t d = NULL;
	gpgme_import_result_t res;
	gpgme_import_status_t st;
	struct pgp_fprs got;
	size_t i;
	int r = CK_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&got, 0, sizeof(got));
	if (len > PGP_KEYFILE_MAX)
		return CK_ERR_TOO_LARGE;
	if (gpgme_data_new_from_mem(&d, buf, len, 0) != 0)
		return CK_ERR_ALLOC;
	if ((r = map_gpg_err(gpgme_op_import(h->ctx, d), CK_ERR_PGP)) != CK_OK)
		goto out;
	r = CK_ERR_FORMAT;
	if ((res = gpgme_op_import_result(h->ctx)) == NULL)
		goto out;
	for (st = res->imports; st != NULL; st = st->next) {
		if (st->fpr == NULL || st->result != 0)
			continue;
		for (i = 0; i < got.n; i++)
			if (strcasecmp(got.fpr[i], st->fpr) == 0)
				break;
		if (i < got.n)
			continue;
		if (got.n == PGP_IMPORT_MAX) {
			r = CK_ERR_TOO_LARGE;
			goto out;
		}
		if (pgp_fpr_normalize(st->fpr, got.fpr[got.n]) != CK_OK)
			goto out;
		got.n++;
	}
	/* A secret key where a public one was expected must not linger. */
	if (!want_secret && res->secret_read > 0) {
		for (i = 0; i < got.n; i++)
			pgp_delete_key(h, got.fpr[i]);
		goto out;
	}
	if (got.n == 0 || res->not_imported > 0 ||
	    (want_secret && res->secret_read == 0))
		goto out;
	*out = got;
	r = CK_OK;
 out:
	gpgme_data_release(d);
	return r;
}

int
pgp_import(struct pgp_home *h, const void *buf, size_t len,
    struct pgp_fprs *out)
{
	return import_data(h, buf, len, 0, out);
}

static int
import_file(struct pgp_home *h, const char *path, int secret,
    struct pgp_fprs *out)
{
	struct secbuf b = { 0 };
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = read_bounded(path, PGP_KEYFILE_MAX, &b)) != CK_OK)
		return r;
	r = import_data(h, b.p, b.len, secret, out);
	secbuf_free(&b);
	return r;
}

int
pgp_import_file(struct pgp_home *h, const char *path, struct pgp_fprs *out)
{
	return import_file(h, path, 0, out);
}

int
pgp_import_secret_file(struct pgp_home *h, const char *path,
    struct pgp_fprs *out)
{
	return import_file(h, path, 1, out);
}

int
pgp_delete_key(struct pgp_home *h, const char *fpr)
{
	gpgme_key_t key;
	int r;

	if ((r = get_key(h, fpr, 0, &key)) != CK_OK)
		return r;
	r = map_gpg_err(gpgme_op_delete_ext(h->ctx, key,
	    GPGME_DELETE_ALLOW_SECRET | GPGME_DELETE_FORCE), CK_ERR_PGP);
	gpgme_key_unref(key);
	return r;
}

/* ---- validation ---- */

static int
algo_can_sign(gpgme_pubkey_algo_t a)
{
	return a == GPGME_PK_RSA || a == GPGME_PK_RSA_S || a == GPGME_PK_DSA ||
	    a == GPGME_PK_ECDSA || a == GPGME_PK_EDDSA;
}

static int
algo_can_encrypt(gpgme_pubkey_algo_t a)
{
	return a == GPGME_PK_RSA || a == GPGME_PK_RSA_E ||
	    a == GPGME_PK_ELG_E || a == GPGME_PK_ELG || a == GPGME_PK_ECDH ||
	    a == GPGME_PK_ECC;
}

static int
subkey_valid(gpgme_subkey_t sk)
{
	return !sk->revoked && !sk->expired && !sk->invalid && !sk->disabled;
}

static int
enc_usable(gpgme_subkey_t sk)
{
	return sk->can_encrypt && algo_can_encrypt(sk->pubkey_algo) &&
	    subkey_valid(sk);
}

/*
 * go-crypto's Entity.EncryptionKey: the usable encryption subkey with the
 * newest binding signature, else the primary if it may encrypt. A tie goes
 * to the EARLIER subkey in packet order: go-crypto replaces its candidate
 * only when a binding is strictly newer (CreationTime.After). Two subkeys
 * added within one second tie; OpenBao 2.6.2 encrypted to the first
 * (tests/integration/key_matrix.sh, key "twinsub"). bind: the key's subkeys in packet
 * order, which is gpgme's order too (both list the one keyblock); a
 * mismatch is CK_ERR_PGP rather than a guess.
 */
static int
choose_enc(gpgme_key_t key, const struct pgppkt_subkeys *bind,
    gpgme_subkey_t *out, uint32_t *bound)
{
	gpgme_subkey_t sk, best = NULL;
	uint32_t best_bound = 0;
	size_t i = 0;

	*out = NULL;
	*bound = 0;
	for (sk = key->subkeys->next; sk != NULL; sk = sk->next, i++) {
		if (i >= bind->n || sk->timestamp < 0 ||
		    (uint32_t)sk->timestamp != bind->k[i].created)
			return CK_ERR_PGP;
		if (enc_usable(sk) &&
		    (best == NULL || bind->k[i].bound > best_bound)) {
			best = sk;
			best_bound = bind->k[i].bound;
		}
	}
	if (i != bind->n)
		return CK_ERR_PGP;
	if (best == NULL && enc_usable(key->subkeys))
		best = key->subkeys;
	*out = best;
	*bound = best != key->subkeys ? best_bound : 0;
	return CK_OK;
}

/* The binding times of fpr's subkeys, from its export. */
static int
subkey_bindings(struct pgp_home *h, const char *fpr,
    struct pgppkt_subkeys *bind)
{
	uint8_t *bin = NULL;
	size_t len;
	int r;

	if ((r = pgp_export(h, fpr, &bin, &len)) != CK_OK)
		return r;
	r = pgppkt_subkeys(bin, len, bind);
	free(bin);
	return r;
}

/* Why no key can encrypt: say "revoked" or "expired" when that is why. */
static int
no_enc_reason(gpgme_key_t key)
{
	gpgme_subkey_t sk;
	int revoked = 0, expired = 0;

	for (sk = key->subkeys; sk != NULL; sk = sk->next) {
		if (!sk->can_encrypt || !algo_can_encrypt(sk->pubkey_algo))
			continue;
		if (sk->revoked)
			revoked = 1;
		else if (sk->expired)
			expired = 1;
	}
	return revoked ? CK_ERR_KEY_REVOKED :
	    expired ? CK_ERR_KEY_EXPIRED : CK_ERR_KEY_NO_ENCRYPT;
}

/*
 * "2.2.40" -> 0x020228 (major, minor, micro; each below 256); anything
 * after the third number is ignored. 0 when unparsable, i.e. "oldest".
 */
static unsigned long
version_num(const char *s)
{
	unsigned long v = 0, part;
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		errno = 0;
		part = strtoul(s, &end, 10);
		if (end == s || errno != 0 || part > 255)
			return 0;
		v = v << 8 | part;
		if (*end != '.')
			return v << 8 * (2 - i);
		s = end + 1;
	}
	return v;
}

static int
local_gnupg_old(struct pgp_home *h)
{
	gpgme_engine_info_t e = gpgme_ctx_get_engine_info(h->ctx);

	for (; e != NULL; e = e->next)
		if (e->protocol == GPGME_PROTOCOL_OpenPGP)
			return e->version == NULL || version_num(e->version) <
			    version_num(PGP_GNUPG_ECDH_MIN);
	return 1;
}

static void
algo_name(gpgme_subkey_t sk, char out[PGP_ALGO_MAX])
{
	char *s = gpgme_pubkey_algo_string(sk);

	snprintf(out, PGP_ALGO_MAX, "%s", s != NULL ? s : "unknown");
	gpgme_free(s);
}

static unsigned
key_warnings(struct pgp_home *h, gpgme_subkey_t primary, gpgme_subkey_t enc)
{
	unsigned w = 0;

	if (enc->pubkey_algo == GPGME_PK_ECDH || enc->pubkey_algo == GPGME_PK_ECC) {
		w |= PGP_WARN_ECDH;
		if (local_gnupg_old(h))
			w |= PGP_WARN_ECDH_LOCAL;
	}
	if (primary->pubkey_algo == GPGME_PK_DSA ||
	    enc->pubkey_algo == GPGME_PK_ELG_E || enc->pubkey_algo == GPGME_PK_ELG)
		w |= PGP_WARN_DSA_ELGAMAL;
	if (((primary->pubkey_algo == GPGME_PK_RSA ||
	    primary->pubkey_algo == GPGME_PK_RSA_S) && primary->length < 2048) ||
	    ((enc->pubkey_algo == GPGME_PK_RSA ||
	    enc->pubkey_algo == GPGME_PK_RSA_E) && enc->length < 2048))
		w |= PGP_WARN_WEAK_RSA;
	return w;
}

/* The first valid user id, if it is printable; else "" and a warning. */
static unsigned
first_uid(gpgme_key_t key, char out[PGP_UID_MAX])
{
	gpgme_user_id_t u;
	size_t len;

	out[0] = '\0';
	for (u = key->uids; u != NULL; u = u->next) {
		if (u->revoked || u->invalid || u->uid == NULL)
			continue;
		len = strlen(u->uid);
		if (len >= PGP_UID_MAX ||
		    rd_printable_utf8(u->uid, len, 0) != CK_OK)
			return PGP_WARN_UID_UNPRINTABLE;
		memcpy(out, u->uid, len + 1);
		return 0;
	}
	return 0;
}

static int
fill_keyinfo(struct pgp_home *h, gpgme_key_t key, gpgme_subkey_t enc,
    struct pgp_keyinfo *ki)
{
	int e;

	if (key->fpr == NULL || enc->fpr == NULL || enc->keyid == NULL ||
	    strlen(enc->keyid) != PGP_KEYID_LEN)
		return CK_ERR_PGP;
	if ((e = pgp_fpr_normalize(key->fpr, ki->fpr)) != CK_OK ||
	    (e = pgp_fpr_normalize(enc->fpr, ki->enc_fpr)) != CK_OK)
		return CK_ERR_UNSUPPORTED;	/* not a v4 key */
	/* The key id of a v4 key is the low 64 bits of its fingerprint. */
	memcpy(ki->enc_keyid, ki->enc_fpr + PGP_FPR_LEN - PGP_KEYID_LEN,
	    PGP_KEYID_LEN + 1);
	algo_name(key->subkeys, ki->primary_algo);
	algo_name(enc, ki->enc_algo);
	ki->enc_created = enc->timestamp;
	ki->warnings = key_warnings(h, key->subkeys, enc) |
	    first_uid(key, ki->uid);
	return CK_OK;
}

int
pgp_key_validate(struct pgp_home *h, const char *fpr, struct pgp_keyinfo *out)
{
	struct pgppkt_subkeys bind;
	struct pgp_keyinfo ki;
	uint32_t bound;
	gpgme_key_t key = NULL;
	gpgme_subkey_t enc;
	int r = CK_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&ki, 0, sizeof(ki));
	if ((r = get_key(h, fpr, 0, &key)) != CK_OK)
		goto out;
	r = CK_ERR_PGP;
	if (key->subkeys == NULL || key->invalid)
		goto out;
	if (key->revoked || key->subkeys->revoked) {
		r = CK_ERR_KEY_REVOKED;
		goto out;
	}
	if (key->expired || key->subkeys->expired) {
		r = CK_ERR_KEY_EXPIRED;
		goto out;
	}
	if (!algo_can_sign(key->subkeys->pubkey_algo)) {
		r = CK_ERR_KEY_CANNOT_SIGN;
		goto out;
	}
	if ((r = subkey_bindings(h, fpr, &bind)) != CK_OK ||
	    (r = choose_enc(key, &bind, &enc, &bound)) != CK_OK)
		goto out;
	if (enc == NULL) {
		r = no_enc_reason(key);
		goto out;
	}
	if ((r = fill_keyinfo(h, key, enc, &ki)) != CK_OK)
		goto out;
	ki.enc_bound = bound;
	*out = ki;
	r = CK_OK;
 out:
	gpgme_key_unref(key);
	return r;
}

int
pgp_key_can_sign(struct pgp_home *h, const char *fpr)
{
	gpgme_key_t key = NULL;
	gpgme_subkey_t sk;
	int r;

	if ((r = get_key(h, fpr, 0, &key)) != CK_OK)
		return r;
	r = CK_ERR_KEY_CANNOT_SIGN;
	if (key->subkeys == NULL || key->invalid)
		r = CK_ERR_PGP;
	else if (key->revoked || key->subkeys->revoked)
		r = CK_ERR_KEY_REVOKED;
	else if (key->expired || key->subkeys->expired)
		r = CK_ERR_KEY_EXPIRED;
	else
		for (sk = key->subkeys; sk != NULL; sk = sk->next)
			if (sk->can_sign && algo_can_sign(sk->pubkey_algo) &&
			    subkey_valid(sk))
				r = CK_OK;
	gpgme_key_unref(key);
	return r;
}

/*
 * gpgme names an ECC key by its curve ("nistp256", "cv25519" ...); people
 * know some of them by another name. The rest are shown as gpg names them.
 */
static const char *
curve_name(const char *algo)
{
	static const char *const names[][2] = {
		{ "cv25519", "Curve25519" },
		{ "nistp256", "NIST P-256" },
		{ "nistp384", "NIST P-384" },
		{ "nistp521", "NIST P-521" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(algo, names[i][0]) == 0)
			return names[i][1];
	return algo;
}

const char *
pgp_warning_text(unsigned bit, const char *enc_algo,
    char out[PGP_WARNING_MAX])
{
	const char *fixed;

	switch (bit) {
	case PGP_WARN_ECDH:
		snprintf(out, PGP_WARNING_MAX, "ECDH (%s) encryption key: the "
		    "holder must decrypt with GnuPG " PGP_GNUPG_ECDH_MIN
		    " or newer", curve_name(enc_algo));
		return out;
	case PGP_WARN_ECDH_LOCAL:
		fixed = "this machine's GnuPG is older than "
		    PGP_GNUPG_ECDH_MIN " and cannot decrypt ECDH shares";
		break;
	case PGP_WARN_DSA_ELGAMAL:
		fixed = "DSA/ElGamal key: dated algorithms that old Vault "
		    "versions could not use";
		break;
	case PGP_WARN_WEAK_RSA:
		fixed = "RSA key shorter than 2048 bits";
		break;
	case PGP_WARN_UID_UNPRINTABLE:
		fixed = "the key's user id contains unprintable characters "
		    "and is not shown";
		break;
	default:
		return NULL;
	}
	snprintf(out, PGP_WARNING_MAX, "%s", fixed);
	return out;
}

/* ---- export ---- */

int
pgp_export(struct pgp_home *h, const char *fpr, uint8_t **out, size_t *outlen)
{
	char norm[PGP_FPR_LEN + 1];
	gpgme_data_t d = NULL;
	char *mem = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	*outlen = 0;
	if ((r = pgp_fpr_normalize(fpr, norm)) != CK_OK)
		return r;
	if (gpgme_data_new(&d) != 0)
		return CK_ERR_ALLOC;
	gpgme_set_armor(h->ctx, 0);
	/* Mode 0: the whole key, as `gpg --export FPR` writes it. */
	r = map_gpg_err(gpgme_op_export(h->ctx, norm, 0, d), CK_ERR_PGP);
	mem = gpgme_data_release_and_get_mem(d, &len);
	if (r != CK_OK)
		goto out;
	if (mem == NULL || len == 0) {
		r = CK_ERR_NOT_FOUND;
		goto out;
	}
	if (len > PGP_EXPORT_MAX) {
		r = CK_ERR_TOO_LARGE;
		goto out;
	}
	if ((*out = malloc(len)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	memcpy(*out, mem, len);
	*outlen = len;
	r = CK_OK;
 out:
	gpgme_free(mem);
	return r;
}

int
pgp_export_base64(struct pgp_home *h, const char *fpr, char **out)
{
	uint8_t *bin = NULL;
	size_t len, b64len;
	char *b64 = NULL;
	int r;

	*out = NULL;
	if ((r = pgp_export(h, fpr, &bin, &len)) != CK_OK)
		return r;
	b64len = CODEC_B64_LEN(len) + 1;
	if ((b64 = malloc(b64len)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = codec_b64_encode(CODEC_B64_PADDED, bin, len, b64, b64len)) !=
	    CK_OK)
		goto out;
	*out = b64;
	b64 = NULL;
	r = CK_OK;
 out:
	free(bin);
	free(b64);
	return r;
}

/* ---- decryption and signatures ---- */

/*
 * Loopback pinentry: write the passphrase (or PIN) to gpg-agent's fd from
 * secmem. Only one try per operation: after a wrong one, cancel, so the
 * UI can tell the holder instead of gpg asking three times.
 */
static gpgme_error_t
pass_cb(void *hook, const char *uid_hint, const char *info, int prev_was_bad,
    int fd)
{
	struct pass_hook *p = hook;

	(void)uid_hint;
	(void)info;
	if (prev_was_bad || p->calls > 0) {
		p->rejected = 1;
		return gpgme_error(GPG_ERR_CANCELED);
	}
	p->calls++;
	if (gpgme_io_writen(fd, p->pass, strlen(p->pass)) != 0 ||
	    gpgme_io_writen(fd, "\n", 1) != 0)
		return gpgme_error_from_syserror();
	return 0;
}

static ssize_t
sink_write(void *handle, const void *buf, size_t size)
{
	struct sec_sink *s = handle;

	if (size > s->max - s->buf->len) {
		errno = EFBIG;
		return -1;
	}
	if (secbuf_append(s->buf, buf, size) != CK_OK) {
		errno = ENOMEM;
		return -1;
	}
	return (ssize_t)size;
}

static int
check_passphrase(const char *passphrase)
{
	/* The loopback protocol ends a passphrase at a newline. */
	return strchr(passphrase, '\n') != NULL ||
	    strchr(passphrase, '\r') != NULL ? CK_ERR_INVALID_ARG : CK_OK;
}

static int
decrypt_result_ok(gpgme_ctx_t ctx)
{
	gpgme_decrypt_result_t res = gpgme_op_decrypt_result(ctx);

	if (res == NULL || res->unsupported_algorithm != NULL ||
	    res->wrong_key_usage || res->legacy_cipher_nomdc)
		return CK_ERR_DECRYPT;
	return CK_OK;
}

int
pgp_decrypt(struct pgp_home *h, const void *msg, size_t len,
    const char *passphrase, struct secbuf *out)
{
	struct gpgme_data_cbs cbs = { .write = sink_write };
	struct sec_sink sink = { out, PGP_PLAINTEXT_MAX };
	struct pass_hook hook = { passphrase, 0, 0 };
	gpgme_data_t c = NULL, p = NULL;
	gpgme_error_t err;
	int r = CK_ERR_INTERNAL;

	if (out->p != NULL || out->len != 0)
		return CK_ERR_INVALID_ARG;
	if (len > PGP_MSG_MAX)
		return CK_ERR_TOO_LARGE;
	if ((r = check_passphrase(passphrase)) != CK_OK)
		return r;
	/* One allocation up front: no reallocation copies of plaintext. */
	if ((r = secbuf_reserve(out, PGP_PLAINTEXT_MAX)) != CK_OK)
		return r;
	r = CK_ERR_ALLOC;
	if (gpgme_data_new_from_mem(&c, msg, len, 0) != 0 ||
	    gpgme_data_new_from_cbs(&p, &cbs, &sink) != 0)
		goto out;
	gpgme_set_passphrase_cb(h->ctx, pass_cb, &hook);
	err = gpgme_op_decrypt(h->ctx, c, p);
	gpgme_set_passphrase_cb(h->ctx, NULL, NULL);
	if (hook.rejected)
		r = CK_ERR_BAD_PASSPHRASE;
	else if (out->len == sink.max && err != 0)
		r = CK_ERR_TOO_LARGE;
	else if (err != 0)
		r = map_gpg_err(err, CK_ERR_DECRYPT);
	else
		r = decrypt_result_ok(h->ctx);
 out:
	gpgme_data_release(c);
	gpgme_data_release(p);
	/* gpgme read the plaintext from gpg through stack buffers. */
	secmem_wipe_stack();
	if (r != CK_OK)
		secbuf_free(out);
	return r;
}

_Static_assert(PGPPKT_KEYS_MAX <= PGP_IMPORT_MAX, "a key file's keys fit");

int
pgp_keyfile_fprs(const char *keyfile, struct pgp_fprs *out)
{
	struct pgppkt_fprs f;
	size_t size, i;
	int fd, r;

	memset(out, 0, sizeof(*out));
	if ((r = open_bounded(keyfile, PGP_KEYFILE_MAX, &fd, &size)) != CK_OK)
		return r;
	r = pgppkt_keyfile_fprs(fd, size, &f);
	close(fd);
	for (i = 0; r == CK_OK && i < f.n; i++)
		r = codec_hex_encode(f.fpr[i], PGPPKT_FPR_BYTES, out->fpr[i],
		    sizeof(out->fpr[i]));
	if (r != CK_OK)
		memset(out, 0, sizeof(*out));
	else
		out->n = f.n;
	return r;
}

int
pgp_decrypt_keyfile(struct pgp_home *h, const char *keyfile,
    const char *passphrase, const void *msg, size_t len, struct secbuf *out)
{
	struct pgp_home *sh = NULL;
	struct pgp_fprs f;
	int r;

	if (out->p != NULL || out->len != 0)
		return CK_ERR_INVALID_ARG;
	/* A home of its own: the secret key never meets the roster's keys. */
	if ((r = pgp_home_open(h->base, &sh)) != CK_OK)
		return r;
	if ((r = pgp_import_secret_file(sh, keyfile, &f)) == CK_OK)
		r = pgp_decrypt(sh, msg, len, passphrase, out);
	pgp_home_close(sh);	/* deletes the secret key, kills the agent */
	return r;
}

int
pgp_sign_detached(struct pgp_home *h, const char *fpr, const char *passphrase,
    const void *data, size_t len, int armor, uint8_t **sig, size_t *siglen)
{
	struct pass_hook hook = { passphrase, 0, 0 };
	gpgme_data_t d = NULL, s = NULL;
	gpgme_key_t key = NULL;
	gpgme_sign_result_t res;
	gpgme_error_t err;
	char *mem = NULL;
	size_t mlen = 0;
	int r;

	*sig = NULL;
	*siglen = 0;
	if ((r = check_passphrase(passphrase)) != CK_OK)
		return r;
	if ((r = get_key(h, fpr, 1, &key)) != CK_OK)
		return r;
	r = CK_ERR_ALLOC;
	if (gpgme_data_new_from_mem(&d, data, len, 0) != 0 ||
	    gpgme_data_new(&s) != 0)
		goto out;
	gpgme_signers_clear(h->ctx);
	if ((r = map_gpg_err(gpgme_signers_add(h->ctx, key), CK_ERR_PGP)) != 0)
		goto out;
	gpgme_set_armor(h->ctx, armor != 0);
	gpgme_set_passphrase_cb(h->ctx, pass_cb, &hook);
	err = gpgme_op_sign(h->ctx, d, s, GPGME_SIG_MODE_DETACH);
	gpgme_set_passphrase_cb(h->ctx, NULL, NULL);
	gpgme_set_armor(h->ctx, 0);
	gpgme_signers_clear(h->ctx);
	if (hook.rejected) {
		r = CK_ERR_BAD_PASSPHRASE;
		goto out;
	}
	if ((r = map_gpg_err(err, CK_ERR_PGP)) != CK_OK)
		goto out;
	res = gpgme_op_sign_result(h->ctx);
	r = CK_ERR_PGP;
	if (res == NULL || res->invalid_signers != NULL ||
	    res->signatures == NULL || res->signatures->next != NULL)
		goto out;
	mem = gpgme_data_release_and_get_mem(s, &mlen);
	s = NULL;
	if (mem == NULL || mlen == 0 || mlen > PGP_SIG_MAX)
		goto out;
	r = CK_ERR_ALLOC;
	if ((*sig = malloc(mlen)) == NULL)
		goto out;
	memcpy(*sig, mem, mlen);
	*siglen = mlen;
	r = CK_OK;
 out:
	gpgme_free(mem);
	gpgme_data_release(d);
	gpgme_data_release(s);
	gpgme_key_unref(key);
	return r;
}

/* The one signature must be good, current, and by fpr's key. */
static int
check_signature(struct pgp_home *h, const char *norm, gpgme_signature_t sg)
{
	const unsigned bad = GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED |
	    GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED;
	gpgme_key_t key = NULL;
	int r;

	if (sg == NULL || sg->next != NULL)
		return CK_ERR_BAD_SIGNATURE;
	if (gpgme_err_code(sg->status) == GPG_ERR_NO_PUBKEY)
		return CK_ERR_WRONG_KEY;
	if (sg->status != 0 || (sg->summary & bad) != 0 || sg->fpr == NULL)
		return CK_ERR_BAD_SIGNATURE;
	/* sg->fpr may name a signing subkey: compare its primary. */
	if (gpgme_get_key(h->ctx, sg->fpr, &key, 0) != 0)
		return CK_ERR_WRONG_KEY;
	r = key->fpr != NULL && strcasecmp(key->fpr, norm) == 0 ?
	    CK_OK : CK_ERR_WRONG_KEY;
	gpgme_key_unref(key);
	return r;
}

int
pgp_verify_detached(struct pgp_home *h, const char *fpr, const void *data,
    size_t len, const void *sig, size_t siglen)
{
	char norm[PGP_FPR_LEN + 1];
	gpgme_data_t d = NULL, s = NULL;
	gpgme_verify_result_t res;
	int r;

	if ((r = pgp_fpr_normalize(fpr, norm)) != CK_OK)
		return r;
	if (siglen > PGP_SIG_MAX)
		return CK_ERR_TOO_LARGE;
	r = CK_ERR_ALLOC;
	if (gpgme_data_new_from_mem(&s, sig, siglen, 0) != 0 ||
	    gpgme_data_new_from_mem(&d, data, len, 0) != 0)
		goto out;
	r = CK_ERR_BAD_SIGNATURE;
	if (gpgme_op_verify(h->ctx, s, d, NULL) != 0 ||
	    (res = gpgme_op_verify_result(h->ctx)) == NULL)
		goto out;
	r = check_signature(h, norm, res->signatures);
 out:
	gpgme_data_release(d);
	gpgme_data_release(s);
	return r;
}
