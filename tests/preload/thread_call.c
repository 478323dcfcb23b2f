/*
 * LD_PRELOAD for tests/regress/sandbox.sh: a thread started before main()
 * (as a hostile library could) waits until the process shows a seccomp
 * filter, then makes one system call its process should not make and
 * says what happened. CONCLAVE_TEST_CALL picks the call:
 *   inet    socket(AF_INET)      (the default)
 *   packet  socket(AF_PACKET)
 *   exec    execve("/bin/true")
 *   ptrace  ptrace(PTRACE_TRACEME), on no allow-list
 * Without SECCOMP_FILTER_FLAG_TSYNC the filter binds only the thread that
 * installed it and the call is made. Only in the monitor and the bridge:
 * the parser child is left alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "preload.h"

static pthread_t thread;
static int started;

static int
filtered(void)
{
	return proc_has("/proc/self/status", "\nSeccomp:\t2", 11);
}

/* The call; its result as "created", "made" or the errno's name. */
static const char *
call(const char *what)
{
	int fd = -1;
	long r = -1;

	errno = 0;
	if (strcmp(what, "inet") == 0 || strcmp(what, "packet") == 0) {
		fd = socket(what[0] == 'i' ? AF_INET : AF_PACKET, SOCK_DGRAM, 0);
		r = fd;
	} else if (strcmp(what, "exec") == 0) {
		/* Made, it replaces the process: nothing is said. */
		execl("/bin/true", "true", (char *)NULL);
	} else if (strcmp(what, "ptrace") == 0) {
		r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	}
	if (fd >= 0)
		close(fd);
	if (r >= 0)
		return "made";
	return errno == EACCES ? "refused (EACCES)" :
	    errno == ENOSYS ? "refused (ENOSYS)" : strerror(errno);
}

static void *
run(void *arg)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	const char *what = getenv("CONCLAVE_TEST_CALL");
	int i, seen = 0;

	(void)arg;
	if (what == NULL)
		what = "inet";
	for (i = 0; i < 600 && !(seen = filtered()); i++)
		nanosleep(&tick, NULL);
	fprintf(stderr, "preload thread: %s; %s %s\n",
	    seen ? "filter seen" : "no filter seen", what, call(what));
	return NULL;
}

static void
join(void)
{
	if (started)
		pthread_join(thread, NULL);
}

__attribute__((constructor)) static void
start(void)
{
	if (is_parser_child())
		return;
	if (pthread_create(&thread, NULL, run, NULL) == 0) {
		started = 1;
		atexit(join);
	}
}
