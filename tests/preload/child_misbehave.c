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
 * Once: the first child creates CONCLAVE_TEST_ONCE (a file) and
 * misbehaves; a child started when it exists behaves, so the test sees the
 * monitor continue with a fresh child. The monitor itself is left alone.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "preload.h"

static ssize_t (*real_read)(int, void *, size_t);
static const char *how;

__attribute__((constructor)) static void
arm(void)
{
	const char *once = getenv("CONCLAVE_TEST_ONCE");
	int fd;

	real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	if (!is_parser_child() || once == NULL)
		return;
	if ((fd = open(once, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
		return;		/* a later child: behave */
	close(fd);
	how = getenv("CONCLAVE_TEST_CHILD");
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

ssize_t
read(int fd, void *buf, size_t count)
{
	static const uint8_t garbage[] = { 0x03, 0xff, 0xff, 0xff, 0xff, 'x' };
	/* WIRE_ENVELOPE_OK: a 4-byte "envelope" and "{}" */
	static const uint8_t lie[] = { 0x03, 0, 0, 0, 14, 0, 0, 0, 4, 'C', 'K',
	    'E', 'V', 0, 0, 0, 2, '{', '}' };
	const char *h = how;
	ssize_t n;

	if (h == NULL || fd != 3)
		return real_read(fd, buf, count);
	if (strcmp(h, "lie") == 0) {
		/* Only an envelope request (WIRE_ENVELOPE, type 2) gets the lie. */
		if ((n = real_read(fd, buf, count)) <= 0 || ((uint8_t *)buf)[0] != 2)
			return n;
		how = NULL;
		drain(fd, buf, (size_t)n);
		(void)send(fd, lie, sizeof(lie), MSG_NOSIGNAL);
		wait_for_the_end(fd);
	}
	how = NULL;
	if (strcmp(h, "syscall") == 0)
		(void)socket(AF_INET, SOCK_STREAM, 0);
	else if (strcmp(h, "crash") == 0)
		*(volatile int *)(uintptr_t)8 = 1;
	else if (strcmp(h, "hang") == 0)
		for (;;)
			;
	n = real_read(fd, buf, count);
	if (n > 0)
		drain(fd, buf, (size_t)n);
	if (strcmp(h, "garbage") == 0)
		(void)send(fd, garbage, sizeof(garbage), MSG_NOSIGNAL);
	wait_for_the_end(fd);
	return 0;
}
