/*
 * LD_PRELOAD for tests/regress/sandbox.sh: a thread started before main()
 * (as a hostile library could) waits until the process shows a seccomp
 * filter, then tries an AF_INET socket and says what happened. Without
 * SECCOMP_FILTER_FLAG_TSYNC the filter binds only the thread that
 * installed it and this socket is created. Only in the monitor: the
 * parser child is left alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "preload.h"

static pthread_t thread;
static int started;

static int
filtered(void)
{
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, "\nSeccomp:\t2") != NULL;
}

static void *
run(void *arg)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	int i, fd, seen = 0;

	(void)arg;
	for (i = 0; i < 600 && !(seen = filtered()); i++)
		nanosleep(&tick, NULL);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	fprintf(stderr, "preload thread: %s; inet socket %s\n",
	    seen ? "filter seen" : "no filter seen",
	    fd >= 0 ? "created" : errno == EACCES ? "refused (EACCES)" : strerror(errno));
	if (fd >= 0)
		close(fd);
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
