#include "appliance/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appliance/parser.h"
#include "crypto/sandbox.h"
#include "appliance/wire.h"

static struct {
	pid_t pid;		/* the running child, or 0 */
	int fd;			/* our end of its socket */
	char event[200];	/* what last happened to a child */
} mon = { 0, -1, "" };

/* The child's side of fork: its socket on PARSER_FD, nothing else open
 * but stderr, then a fresh image. */
static void
exec_child(int sock)
{
	char *argv[] = { "conclave", PARSER_ARG, NULL };
	int null;

	if (sock == PARSER_FD) {
		if (fcntl(sock, F_SETFD, 0) != 0)
			_exit(PARSER_EXIT_INIT);
	} else if (dup2(sock, PARSER_FD) != PARSER_FD) {
		_exit(PARSER_EXIT_INIT);
	}
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
		_exit(PARSER_EXIT_INIT);
	if (close_range(PARSER_FD + 1, ~0U, 0) != 0)
		_exit(PARSER_EXIT_INIT);
	execv("/proc/self/exe", argv);
	_exit(PARSER_EXIT_INIT);
}

/* What a wait status says about the child, into mon.event. */
static int
describe(int st)
{
	int sig;

	if (WIFSIGNALED(st)) {
		sig = WTERMSIG(st);
		snprintf(mon.event, sizeof(mon.event),
		    "the parser child was killed by signal %d (%s)", sig,
		    sig == SIGSYS ? "SIGSYS: a system call outside its sandbox" :
		    strsignal(sig));
		return CK_ERR_CHILD_DIED;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == PARSER_EXIT_SANDBOX) {
		snprintf(mon.event, sizeof(mon.event),
		    "the parser child could not enter its sandbox");
		return CK_ERR_CHILD_SANDBOX;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == SANDBOX_TRAP_EXIT)
		snprintf(mon.event, sizeof(mon.event), "the parser child was "
		    "stopped by its sandbox (trap mode: its system call is on stderr)");
	else
		snprintf(mon.event, sizeof(mon.event),
		    "the parser child exited with status %d",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return CK_ERR_CHILD_DIED;
}

/* Kill (a no-op if it is gone already) and reap the child; forget it. */
static int reap(int killed);

/* The child said something it may not (err: what was wrong): end it. */
static int
out_of_protocol(int err)
{
	snprintf(mon.event, sizeof(mon.event), "the parser child answered out "
	    "of protocol (%s) and was killed", ck_errname(err));
	reap(1);
	return CK_ERR_CHILD_PROTOCOL;
}

static int
reap(int killed)
{
	int st = 0, e = CK_ERR_CHILD_DIED;

	if (mon.fd >= 0)
		close(mon.fd);
	mon.fd = -1;
	if (mon.pid > 0) {
		/* Always: a child that closed its socket but lives on must not
		 * hang us in waitpid. One that is exiting keeps its status. */
		(void)kill(mon.pid, SIGKILL);
		while (waitpid(mon.pid, &st, 0) < 0 && errno == EINTR)
			;
		if (!killed)
			e = describe(st);
	}
	mon.pid = 0;
	return e;
}

/* The socket failed (err from wire_send or wire_recv): end the child
 * and say why. */
static int
lost_child(int err)
{
	if (err == CK_ERR_CHILD_TIMEOUT) {
		snprintf(mon.event, sizeof(mon.event), "the parser child did "
		    "not answer within %d s and was killed", MONITOR_TIMEOUT_MS / 1000);
		reap(1);
		return err;
	}
	if (err == CK_ERR_TRUNCATED || err == CK_ERR_IO)
		return reap(0);		/* it died: say how */
	return out_of_protocol(err);
}

static int
spawn(void)
{
	const struct timeval tv = { MONITOR_TIMEOUT_MS / 1000, 0 };
	uint8_t type, *p = NULL;
	size_t len;
	int sv[2], e;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return CK_ERR_IO;
	/* A child that stops reading cannot block a send for ever. */
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    (mon.pid = fork()) < 0) {
		mon.pid = 0;
		close(sv[0]);
		close(sv[1]);
		return CK_ERR_IO;
	}
	if (mon.pid == 0) {
		close(sv[0]);
		exec_child(sv[1]);
	}
	close(sv[1]);
	mon.fd = sv[0];
	if ((e = wire_recv(mon.fd, MONITOR_TIMEOUT_MS, &type, &p, &len)) != CK_OK)
		return lost_child(e);
	free(p);
	if (type != WIRE_READY)
		return out_of_protocol(CK_ERR_BAD_TYPE);
	return CK_OK;
}

/*
 * One request and its answer: req with b's payload (freed here) and, when
 * n > 0, those open files as its input (WIRE_FD). The answer of type
 * req + 1 goes to get, which fills out; an answer get refuses ends the
 * child. CK_OK, the child's own parse error (it keeps running), or a
 * CK_ERR_CHILD_* after the child was ended.
 */
static int
ask(uint8_t req, struct wire_buf *b, const int *files, size_t n,
    int (*get)(const uint8_t *p, size_t len, void *out), void *out)
{
	uint8_t type, *p = NULL;
	size_t len;
	int e, err;

	if ((e = b->err) != CK_OK)
		goto done;
	if (b->len > wire_max(req)) {
		e = CK_ERR_TOO_LARGE;	/* what the parser itself says */
		goto done;
	}
	if (mon.pid == 0 && (e = spawn()) != CK_OK)
		goto done;
	e = n > 0 ? wire_send_fd(mon.fd, req, b, files, n) :
	    wire_send(mon.fd, req, b);
	if (e != CK_OK ||
	    (e = wire_recv(mon.fd, MONITOR_TIMEOUT_MS, &type, &p, &len)) != CK_OK) {
		e = lost_child(e);
		goto done;
	}
	if (type == WIRE_ERROR)
		e = (e = wire_get_error(p, len, &err)) == CK_OK ? err :
		    out_of_protocol(e);
	else if (type != req + 1)
		e = out_of_protocol(CK_ERR_BAD_TYPE);
	else if ((e = get(p, len, out)) != CK_OK)
		e = out_of_protocol(e);
done:
	free(p);
	wire_buf_free(b);
	return e;
}

/* The answers' readers in ask's shape. */
static int
get_envelope(const uint8_t *p, size_t len, void *out)
{
	return wire_get_envelope(p, len, out);
}

static int
get_symbols(const uint8_t *p, size_t len, void *out)
{
	return wire_get_symbols(p, len, out);
}

static int
get_image(const uint8_t *p, size_t len, void *out)
{
	return wire_get_image(p, len, out);
}

static int
get_recipients(const uint8_t *p, size_t len, void *out)
{
	return wire_get_recipients(p, len, out);
}

static int
get_subkeys(const uint8_t *p, size_t len, void *out)
{
	return wire_get_subkeys(p, len, out);
}

static int
get_pubkey(const uint8_t *p, size_t len, void *out)
{
	return wire_get_pubkey(p, len, out);
}

/*
 * An answer that carries a verdict (the call's result) beside what was
 * found: a report, and for a record or a handout what was built and
 * whether the records verified.
 */
struct verdict {
	int result, verified;
	void *rep;
	void *out;
};

static int
get_transcript(const uint8_t *p, size_t len, void *out)
{
	struct verdict *v = out;

	return wire_get_transcript(p, len, &v->result, v->rep);
}

static int
get_audit(const uint8_t *p, size_t len, void *out)
{
	struct verdict *v = out;

	return wire_get_audit(p, len, &v->result, v->rep);
}

/* The input inline (file < 0) or as the file. */
static void
put_input(struct wire_buf *b, const void *p, size_t len, int file)
{
	if (file < 0)
		wire_put_bytes(b, p, len);
}

static int
iso_envelope(const uint8_t *bin, size_t len, int file, struct envelope *env)
{
	struct wire_buf b = { 0 };

	memset(env, 0, sizeof(*env));
	if (bin == NULL && file < 0)
		return CK_ERR_INVALID_ARG;
	put_input(&b, bin, len, file);
	return ask(WIRE_ENVELOPE, &b, &file, file >= 0, get_envelope, env);
}

static int
iso_scan(enum qr_reader rd, int flags, const struct qr_image *img,
    struct qr_symbols *out)
{
	struct wire_buf b = { 0 };

	memset(out, 0, sizeof(*out));
	wire_put_scan_req(&b, rd, flags, img);
	return ask(WIRE_QR_SCAN, &b, NULL, 0, get_symbols, out);
}

static int
iso_png(const uint8_t *buf, size_t len, int file, struct qr_image **out)
{
	struct wire_buf b = { 0 };

	*out = NULL;
	put_input(&b, buf, len, file);
	return ask(WIRE_PNG, &b, &file, file >= 0, get_image, out);
}

/* A request on a transcript's files: its signature file first, if any. */
static int
ask_transcript(uint8_t req, int fd, int sigfd,
    const struct minisig_pubkey *expect,
    int (*get)(const uint8_t *p, size_t len, void *out), struct verdict *v)
{
	struct wire_buf b = { 0 };
	const int files[] = { sigfd, fd };
	int e;

	memset(v->rep, 0, sizeof(struct transcript_report));
	wire_put_transcript_req(&b, sigfd >= 0, expect);
	e = ask(req, &b, sigfd >= 0 ? files : files + 1, sigfd >= 0 ? 2 : 1, get,
	    v);
	return e == CK_OK ? v->result : e;
}

static int
iso_transcript(int fd, int sigfd, const struct minisig_pubkey *expect,
    struct transcript_report *rep)
{
	struct verdict v = { CK_OK, 0, rep, NULL };

	return ask_transcript(WIRE_TRANSCRIPT, fd, sigfd, expect,
	    get_transcript, &v);
}

static int
get_record(const uint8_t *p, size_t len, void *out)
{
	struct verdict *v = out;

	return wire_get_record(p, len, &v->result, v->rep, v->out);
}

static int
get_handout(const uint8_t *p, size_t len, void *out)
{
	struct verdict *v = out;

	return wire_get_handout(p, len, &v->result, &v->verified, v->rep,
	    v->out);
}

static int
iso_record(int fd, int sigfd, const struct minisig_pubkey *expect,
    struct record **out, struct transcript_report *rep)
{
	struct verdict v = { CK_OK, 0, rep, out };

	*out = NULL;
	return ask_transcript(WIRE_RECORD, fd, sigfd, expect, get_record, &v);
}

static int
iso_handout(int fd, int sigfd, json_t **handout, int *verified,
    struct transcript_report *rep)
{
	struct verdict v = { CK_OK, 0, rep, handout };
	int e;

	*handout = NULL;
	e = ask_transcript(WIRE_HANDOUT, fd, sigfd, NULL, get_handout, &v);
	*verified = v.verified;
	return e;
}

static int
iso_pubkey(int file, struct minisig_pubkey *pk)
{
	struct wire_buf b = { 0 };

	memset(pk, 0, sizeof(*pk));
	return ask(WIRE_MINISIG_PUB, &b, &file, 1, get_pubkey, pk);
}

static int
iso_audit(const void *buf, size_t len, struct audit_report *rep)
{
	struct wire_buf b = { 0 };
	struct verdict v = { CK_OK, 0, rep, NULL };
	int e;

	memset(rep, 0, sizeof(*rep));
	wire_put_bytes(&b, buf, len);
	e = ask(WIRE_AUDIT, &b, NULL, 0, get_audit, &v);
	return e == CK_OK ? v.result : e;
}

static int
iso_recipients(const void *msg, size_t len, struct pgppkt_recipients *out)
{
	struct wire_buf b = { 0 };

	memset(out, 0, sizeof(*out));
	wire_put_bytes(&b, msg, len);
	return ask(WIRE_PGP_RECIPIENTS, &b, NULL, 0, get_recipients, out);
}

static int
iso_subkeys(const void *key, size_t len, struct pgppkt_subkeys *out)
{
	struct wire_buf b = { 0 };

	memset(out, 0, sizeof(*out));
	wire_put_bytes(&b, key, len);
	return ask(WIRE_PGP_SUBKEYS, &b, NULL, 0, get_subkeys, out);
}

static int
get_fprs(const uint8_t *p, size_t len, void *out)
{
	return wire_get_fprs(p, len, out);
}

/*
 * The child reads the key file itself (its bytes never enter this
 * process) and is ended after its answer: a secret key without a
 * passphrase is a secret, and the child holds none beyond one request
 * (the next one starts a fresh child).
 */
static int
iso_keyfile(int file, struct pgppkt_fprs *out)
{
	struct wire_buf b = { 0 };
	int e;

	memset(out, 0, sizeof(*out));
	e = ask(WIRE_PGP_KEYFILE, &b, &file, 1, get_fprs, out);
	reap(1);
	return e;
}

int
monitor_start(void)
{
	static const struct qr_isolation qr = { iso_scan, iso_png };
	static const struct pgppkt_isolation pgp = { iso_recipients, iso_subkeys,
	    iso_keyfile };
	static const struct transcript_isolation tr = { iso_transcript, iso_pubkey };
	int e;

	if ((e = spawn()) != CK_OK)
		return e;
	envelope_set_isolation(iso_envelope);
	qr_set_isolation(&qr);
	transcript_set_isolation(&tr);
	record_set_isolation(iso_record);
	quorum_set_isolation(iso_handout);
	audit_set_isolation(iso_audit);
	pgppkt_set_isolation(&pgp);
	return CK_OK;
}

void
monitor_stop(void)
{
	envelope_set_isolation(NULL);
	qr_set_isolation(NULL);
	transcript_set_isolation(NULL);
	record_set_isolation(NULL);
	quorum_set_isolation(NULL);
	audit_set_isolation(NULL);
	pgppkt_set_isolation(NULL);
	if (mon.fd >= 0)
		close(mon.fd);
	mon.fd = -1;
	if (mon.pid > 0)
		while (waitpid(mon.pid, NULL, 0) < 0 && errno == EINTR)
			;
	mon.pid = 0;
}

pid_t
monitor_child(void)
{
	return mon.pid;
}

const char *
monitor_event(void)
{
	return mon.event[0] != '\0' ? mon.event : NULL;
}
