/* What the test preloads share: telling the parser child from the monitor
 * (before either installs a filter, so /proc may still be read). */
#ifndef CONCLAVE_TEST_PRELOAD_H
#define CONCLAVE_TEST_PRELOAD_H

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Whether the start of the file at path holds needle (len bytes). */
static int
proc_has(const char *path, const char *needle, size_t len)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 && memmem(buf, (size_t)n, needle, len) != NULL;
}

static int
is_parser_child(void)
{
	return proc_has("/proc/self/cmdline", "--parser-child", 14);
}

#endif
