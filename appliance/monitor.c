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
#include "appliance/sandbox.h"
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
 * One request and its answer. CK_OK with the answer's payload (*ans,
 * malloc'd), the child's own parse error (it keeps running), or a
 * CK_ERR_CHILD_* after the child was ended.
 */
static int
call(uint8_t req, const struct wire_buf *b, uint8_t **ans, size_t *anslen)
{
	uint8_t type, *p = NULL;
	size_t len;
	int e, err;

	*ans = NULL;
	*anslen = 0;
	if (b->err != CK_OK)
		return b->err;
	if (b->len > wire_max(req))
		return CK_ERR_TOO_LARGE;	/* what the parser itself says */
	if (mon.pid == 0 && (e = spawn()) != CK_OK)
		return e;
	if ((e = wire_send(mon.fd, req, b)) != CK_OK)
		return lost_child(e);
	if ((e = wire_recv(mon.fd, MONITOR_TIMEOUT_MS, &type, &p, &len)) != CK_OK)
		return lost_child(e);
	if (type == WIRE_ERROR) {
		e = wire_get_error(p, len, &err);
		free(p);
		return e == CK_OK ? err : out_of_protocol(e);
	}
	if (type != req + 1) {
		free(p);
		return out_of_protocol(CK_ERR_BAD_TYPE);
	}
	*ans = p;
	*anslen = len;
	return CK_OK;
}

/* call() with a request built in b, which is freed. */
static int
ask(uint8_t req, struct wire_buf *b, uint8_t **ans, size_t *anslen)
{
	int e = call(req, b, ans, anslen);

	wire_buf_free(b);
	return e;
}

/* An answer that did not parse ends the child. */
static int
answered(int e)
{
	return e == CK_OK ? CK_OK : out_of_protocol(e);
}

static int
iso_envelope(const uint8_t *bin, size_t len, struct envelope *env)
{
	struct wire_buf b = { 0 };
	uint8_t *a;
	size_t alen;
	int e;

	memset(env, 0, sizeof(*env));
	if (bin == NULL)
		return CK_ERR_INVALID_ARG;
	wire_put_bytes(&b, bin, len);
	if ((e = ask(WIRE_ENVELOPE, &b, &a, &alen)) != CK_OK)
		return e;
	e = answered(wire_get_envelope(a, alen, env));
	free(a);
	return e;
}

static int
iso_scan(enum qr_reader rd, int flags, const struct qr_image *img,
    struct qr_symbols *out)
{
	struct wire_buf b = { 0 };
	uint8_t *a;
	size_t alen;
	int e;

	memset(out, 0, sizeof(*out));
	wire_put_scan_req(&b, rd, flags, img);
	if ((e = ask(WIRE_QR_SCAN, &b, &a, &alen)) != CK_OK)
		return e;
	e = answered(wire_get_symbols(a, alen, out));
	free(a);
	return e;
}

static int
iso_png(const uint8_t *buf, size_t len, struct qr_image **out)
{
	struct wire_buf b = { 0 };
	uint8_t *a;
	size_t alen;
	int e;

	*out = NULL;
	wire_put_bytes(&b, buf, len);
	if ((e = ask(WIRE_PNG, &b, &a, &alen)) != CK_OK)
		return e;
	e = answered(wire_get_image(a, alen, out));
	free(a);
	return e;
}

static int
iso_transcript(const void *buf, size_t len, const void *sig, size_t siglen,
    const struct minisig_pubkey *expect, struct transcript_report *rep)
{
	struct wire_buf b = { 0 };
	uint8_t *a;
	size_t alen;
	int e, result;

	memset(rep, 0, sizeof(*rep));
	wire_put_transcript_req(&b, buf, len, sig, siglen, expect);
	if ((e = ask(WIRE_TRANSCRIPT, &b, &a, &alen)) != CK_OK)
		return e;
	e = answered(wire_get_transcript(a, alen, &result, rep));
	free(a);
	return e == CK_OK ? result : e;
}

static int
iso_audit(const void *buf, size_t len, struct audit_report *rep)
{
	struct wire_buf b = { 0 };
	uint8_t *a;
	size_t alen;
	int e, result;

	memset(rep, 0, sizeof(*rep));
	wire_put_bytes(&b, buf, len);
	if ((e = ask(WIRE_AUDIT, &b, &a, &alen)) != CK_OK)
		return e;
	e = answered(wire_get_audit(a, alen, &result, rep));
	free(a);
	return e == CK_OK ? result : e;
}

static int
iso_recipients(const void *msg, size_t len, struct pgppkt_recipients *out)
{
	struct wire_buf b = { 0 };
	uint8_t *a;
	size_t alen;
	int e;

	memset(out, 0, sizeof(*out));
	wire_put_bytes(&b, msg, len);
	if ((e = ask(WIRE_PGP_RECIPIENTS, &b, &a, &alen)) != CK_OK)
		return e;
	e = answered(wire_get_recipients(a, alen, out));
	free(a);
	return e;
}

static int
iso_subkeys(const void *key, size_t len, struct pgppkt_subkeys *out)
{
	struct wire_buf b = { 0 };
	uint8_t *a;
	size_t alen;
	int e;

	memset(out, 0, sizeof(*out));
	wire_put_bytes(&b, key, len);
	if ((e = ask(WIRE_PGP_SUBKEYS, &b, &a, &alen)) != CK_OK)
		return e;
	e = answered(wire_get_subkeys(a, alen, out));
	free(a);
	return e;
}

int
monitor_start(void)
{
	static const struct qr_isolation qr = { iso_scan, iso_png };
	static const struct pgppkt_isolation pgp = { iso_recipients, iso_subkeys };
	int e;

	if ((e = spawn()) != CK_OK)
		return e;
	envelope_set_isolation(iso_envelope);
	qr_set_isolation(&qr);
	transcript_set_isolation(iso_transcript);
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
