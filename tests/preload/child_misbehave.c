/*
 * LD_PRELOAD for tests/regress/sandbox.sh: makes the appliance's parser
 * child misbehave on its first request, as a child taken over by a hostile
 * image or envelope would. CONCLAVE_TEST_CHILD says how:
 *   syscall  attempt a system call outside the allow-list (socket AF_INET)
 *   crash    a segmentation fault
 *   hang     spin for ever
 *   garbage  answer with bytes out of protocol
 *   lie      answer an envelope request "OK" with bytes whose signature
 *            the monitor's own check refuses
 *   deepjson answer an envelope request with the request's own (valid)
 *            envelope and a payload nested deeper than the monitor takes
 *   report   behave, and say on stderr of each request its type and
 *            the files that came with it ("child: request 130, a file";
 *            "no file", "2 files")
 * With CONCLAVE_TEST_REQUEST=N the child misbehaves on its first request
 * of type N (appliance/wire.h; a file-carrying one counts as its type),
 * answering the ones before honestly.
 * Once: the first child creates CONCLAVE_TEST_ONCE (a file) and
 * misbehaves; a child started when it exists behaves, so the test sees the
 * monitor continue with a fresh child. The monitor itself is left alone.
 * The child reads each request's first byte with recvmsg (a file may come
 * with it): that is where it is caught.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "preload.h"

static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static const char *how;
static int request = -1;	/* the type to misbehave on; -1: any */

__attribute__((constructor)) static void
arm(void)
{
	const char *once = getenv("CONCLAVE_TEST_ONCE");
	int fd;

	real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	real_recvmsg = (ssize_t (*)(int, struct msghdr *, int))dlsym(RTLD_NEXT,
	    "recvmsg");
	if (!is_parser_child() || once == NULL)
		return;
	if ((fd = open(once, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
		return;		/* a later child: behave */
	close(fd);
	how = getenv("CONCLAVE_TEST_CHILD");
	if (getenv("CONCLAVE_TEST_REQUEST") != NULL)
		request = atoi(getenv("CONCLAVE_TEST_REQUEST"));
}

/* Swallow the request whose header starts in buf (n bytes of it read). */
static void
drain(int fd, const uint8_t *h, size_t n)
{
	uint8_t hdr[5], junk[4096];
	size_t len, got;
	ssize_t r;

	memcpy(hdr, h, n);
	for (got = n; got < 5; got += (size_t)r)
		if ((r = real_read(fd, hdr + got, 5 - got)) <= 0)
			return;
	len = (size_t)hdr[1] << 24 | (size_t)hdr[2] << 16 | (size_t)hdr[3] << 8 | hdr[4];
	while (len > 0 && (r = real_read(fd, junk, len < sizeof(junk) ? len : sizeof(junk))) > 0)
		len -= (size_t)r;
}

/* Until the monitor kills this child or closes the socket (read is on
 * the allow-list; pause is not). */
static void
wait_for_the_end(int fd)
{
	uint8_t b;

	while (real_read(fd, &b, 1) > 0)
		;
	_exit(0);
}

/* An answer of type 3 (WIRE_ENVELOPE_OK) with blob bin and a payload of
 * depth nodes: "[[[...{}...]]]". */
static void
send_deep(int fd, const uint8_t *bin, size_t n, int depth)
{
	uint8_t hdr[5], u[4], arr[5] = { 'a', 0, 0, 0, 1 }, obj[5] = { 'o' };
	size_t len = 4 + n + (size_t)depth * 5;
	int i;

	hdr[0] = 3;
	hdr[1] = (uint8_t)(len >> 24);
	hdr[2] = (uint8_t)(len >> 16);
	hdr[3] = (uint8_t)(len >> 8);
	hdr[4] = (uint8_t)len;
	u[0] = (uint8_t)(n >> 24);
	u[1] = (uint8_t)(n >> 16);
	u[2] = (uint8_t)(n >> 8);
	u[3] = (uint8_t)n;
	(void)send(fd, hdr, 5, MSG_NOSIGNAL);
	(void)send(fd, u, 4, MSG_NOSIGNAL);
	(void)send(fd, bin, n, MSG_NOSIGNAL);
	for (i = 0; i < depth - 1; i++)
		(void)send(fd, arr, 5, MSG_NOSIGNAL);
	(void)send(fd, obj, 5, MSG_NOSIGNAL);
}

/* The rest of a request whose first byte is h[0] and whose file (if
 * any) came in m: its payload, else the file's bytes. */
static size_t
request_input(int fd, const uint8_t *h, struct msghdr *m, uint8_t *buf,
    size_t cap)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(m);
	uint8_t hdr[5];
	size_t len, got;
	ssize_t r;
	int file;

	hdr[0] = h[0];
	for (got = 1; got < 5; got += (size_t)r)
		if ((r = real_read(fd, hdr + got, 5 - got)) <= 0)
			return 0;
	len = (size_t)hdr[1] << 24 | (size_t)hdr[2] << 16 | (size_t)hdr[3] << 8 | hdr[4];
	if ((h[0] & 0x80) != 0 && cm != NULL && cm->cmsg_type == SCM_RIGHTS) {
		memcpy(&file, CMSG_DATA(cm), sizeof(file));
		fd = file;
		len = cap;
	}
	for (got = 0; got < len && got < cap; got += (size_t)r)
		if ((r = real_read(fd, buf + got, (len < cap ? len : cap) - got)) <= 0)
			break;
	return got;
}

ssize_t
recvmsg(int fd, struct msghdr *m, int flags)
{
	static const uint8_t garbage[] = { 0x03, 0xff, 0xff, 0xff, 0xff, 'x' };
	/* WIRE_ENVELOPE_OK: a 4-byte "envelope" and the tree of "{}" */
	static const uint8_t lie[] = { 0x03, 0, 0, 0, 13, 0, 0, 0, 4, 'C', 'K',
	    'E', 'V', 'o', 0, 0, 0, 0 };
	static uint8_t env[300 * 1024];
	const char *h = how;
	uint8_t *first = m->msg_iov[0].iov_base;
	ssize_t n;

	n = real_recvmsg(fd, m, flags);
	if (h != NULL && fd == 3 && n > 0 && strcmp(h, "report") == 0) {
		char line[64];
		struct cmsghdr *cm = CMSG_FIRSTHDR(m);
		size_t k = cm != NULL ?
		    (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int) : 0;
		int l = snprintf(line, sizeof(line), "child: request %u, %s\n",
		    first[0], k == 0 ? "no file" : k == 1 ? "a file" : "2 files");

		/* write(2) alone: stdio would probe the descriptor */
		(void)!write(2, line, (size_t)l);
		return n;
	}
	if (h == NULL || fd != 3 || n <= 0 ||
	    (request >= 0 && (first[0] & 0x7f) != request))
		return n;
	how = NULL;
	if (strcmp(h, "lie") == 0 || strcmp(h, "deepjson") == 0) {
		/* Only an envelope request (WIRE_ENVELOPE, type 2) gets these. */
		if ((first[0] & 0x7f) != 2) {
			how = h;
			return n;
		}
		if (strcmp(h, "lie") == 0) {
			drain(fd, first, (size_t)n);
			(void)send(fd, lie, sizeof(lie), MSG_NOSIGNAL);
		} else {
			send_deep(fd, env, request_input(fd, first, m, env,
			    sizeof(env)), 40);
		}
		wait_for_the_end(fd);
	}
	if (strcmp(h, "syscall") == 0)
		(void)socket(AF_INET, SOCK_STREAM, 0);
	else if (strcmp(h, "crash") == 0)
		*(volatile int *)(uintptr_t)8 = 1;
	else if (strcmp(h, "hang") == 0)
		for (;;)
			;
	drain(fd, first, (size_t)n);
	if (strcmp(h, "garbage") == 0)
		(void)send(fd, garbage, sizeof(garbage), MSG_NOSIGNAL);
	wait_for_the_end(fd);
	return 0;
}
