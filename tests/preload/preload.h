/* What the test preloads share: telling the parser child from the monitor
 * (before either installs a filter, so /proc may still be read). */
#ifndef CONCLAVE_TEST_PRELOAD_H
#define CONCLAVE_TEST_PRELOAD_H

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int
is_parser_child(void)
{
	char buf[256];
	ssize_t n;
	int fd = open("/proc/self/cmdline", O_RDONLY);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 && memmem(buf, (size_t)n, "--parser-child", 14) != NULL;
}

#endif
