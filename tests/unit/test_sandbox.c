#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "appliance/sandbox.h"
#include "crypto/errors.h"

/* 0 when socket(domain) fails with EACCES, 1 when it works, 2 otherwise. */
static int
try_socket(int domain)
{
	int fd = socket(domain, SOCK_STREAM, 0);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == EACCES ? 0 : 2;
}

/* Run f in a child under the filter; its exit status. */
static int
in_child(int (*f)(void))
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (sandbox_monitor() != CK_OK)
			_exit(100);
		_exit(f());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* Run f in a child under the parser's allow-list; its raw wait status. */
static int
in_parser(int (*f)(void))
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (sandbox_parser() != CK_OK)
			_exit(100);
		_exit(f());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static int
killed_by_sigsys(int st)
{
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}

static int
inet_refused(void)
{
	return try_socket(AF_INET) == 0 && try_socket(AF_INET6) == 0 &&
	    try_socket(AF_PACKET) == 0 && try_socket(AF_NETLINK) == 0 ? 0 : 1;
}

static int
unix_works(void)
{
	int sv[2];

	if (try_socket(AF_UNIX) != 1 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 1;
	close(sv[0]);
	close(sv[1]);
	return socketpair(AF_INET, SOCK_STREAM, 0, sv) != 0 && errno == EACCES ? 0 : 1;
}

/* A smartcard reader is found through the kernel's device events only. */
static int
uevent_netlink_only(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return 1;
	close(fd);
	if (socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) >= 0 || errno != EACCES)
		return 2;
	return socket(AF_NETLINK, SOCK_DGRAM, NETLINK_GENERIC) < 0 &&
	    errno == EACCES ? 0 : 3;
}

static int
io_uring_refused(void)
{
	char params[120] = { 0 };

	return syscall(__NR_io_uring_setup, 1, params) < 0 && errno == EACCES ? 0 : 1;
}

/* A program started under the filter is bound too (as gpg is). */
static int
child_program_bound(void)
{
	execl("/bin/sh", "sh", "-c",
	    "exec python3 -c 'import socket,sys\n"
	    "try:\n socket.socket(); sys.exit(3)\n"
	    "except PermissionError: sys.exit(0)'", (char *)NULL);
	return 4;
}

static void
no_inet_socket_under_the_filter(void **state)
{
	(void)state;
	assert_int_equal(try_socket(AF_INET), 1);	/* the test can fail */
	assert_int_equal(in_child(inet_refused), 0);
}

static void
unix_sockets_still_work(void **state)
{
	(void)state;
	assert_int_equal(in_child(unix_works), 0);
}

static void
uevent_netlink_is_the_one_exception(void **state)
{
	(void)state;
	assert_int_equal(in_child(uevent_netlink_only), 0);
}

static void
io_uring_is_refused(void **state)
{
	(void)state;
	assert_int_equal(in_child(io_uring_refused), 0);
}

static void
programs_started_later_are_bound(void **state)
{
	(void)state;
	assert_int_equal(in_child(child_program_bound), 0);
}

static int
parser_computes(void)
{
	char *p = malloc(1 << 20);	/* brk or mmap, read/write */

	if (p == NULL)
		return 1;
	p[0] = 'x';
	free(p);
	return write(-1, "", 0) < 0 && errno == EBADF ? 0 : 2;
}

static int
parser_socket(void)
{
	(void)socket(AF_UNIX, SOCK_STREAM, 0);
	return 0;
}

static int
parser_open(void)
{
	return open("/etc/hostname", O_RDONLY) < 0 && errno == EACCES ? 0 : 1;
}

static int
parser_exec_memory(void)
{
	(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 0;
}

static int
parser_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return 0;
}

static void
parser_child_can_compute(void **state)
{
	int st;

	(void)state;
	st = in_parser(parser_computes);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
parser_child_is_killed_outside_its_list(void **state)
{
	(void)state;
	assert_true(killed_by_sigsys(in_parser(parser_socket)));	/* even AF_UNIX */
	assert_true(killed_by_sigsys(in_parser(parser_exec_memory)));
	assert_true(killed_by_sigsys(in_parser(parser_fork)));
	/* the control: the same calls without the filter do not kill */
	assert_int_equal(parser_fork(), 0);
}

static void
parser_child_opens_nothing(void **state)
{
	int st;

	(void)state;
	assert_int_equal(parser_open(), 1);	/* without the list it opens */
	st = in_parser(parser_open);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_inet_socket_under_the_filter),
		cmocka_unit_test(unix_sockets_still_work),
		cmocka_unit_test(uevent_netlink_is_the_one_exception),
		cmocka_unit_test(io_uring_is_refused),
		cmocka_unit_test(programs_started_later_are_bound),
		cmocka_unit_test(parser_child_can_compute),
		cmocka_unit_test(parser_child_is_killed_outside_its_list),
		cmocka_unit_test(parser_child_opens_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
