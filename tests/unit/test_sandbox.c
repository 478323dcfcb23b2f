#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/fb.h>
#include <linux/netlink.h>

#include "crypto/sandbox.h"
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

/* Run f in a child under the filter install (or none); its raw wait status. */
static int
in_filter(int (*install)(void), int (*f)(void))
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (install != NULL && install() != CK_OK)
			_exit(100);
		_exit(f());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

/* f's exit status in a child under filter install (NULL: none). */
static int
exit_under(int (*install)(void), int (*f)(void))
{
	int st = in_filter(install, f);

	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* f's exit status in a child under the monitor's filter. */
static int
in_child(int (*f)(void))
{
	return exit_under(sandbox_monitor, f);
}

/* Run f in a child under the parser's allow-list; its raw wait status. */
static int
in_parser(int (*f)(void))
{
	return in_filter(sandbox_parser, f);
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

/* Calls on no list, which work anywhere (personality's query form, getcpu
 * made as a system call, not through the vDSO): absent. */
static int
unlisted_is_absent(void)
{
	unsigned cpu;

	errno = 0;
	if (personality(0xffffffff) != -1 || errno != ENOSYS)
		return 1;
	errno = 0;
	return syscall(__NR_getcpu, &cpu, NULL, NULL) == -1 &&
	    errno == ENOSYS ? 0 : 2;
}

/* clone(2) into a new user namespace; 0 when refused with EACCES, 1 when
 * it worked, 2 otherwise. The child of a raw clone without a stack runs
 * on a copy of ours, like fork's. */
static int
clone_userns(void)
{
	long pid = syscall(__NR_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		(void)waitpid((pid_t)pid, NULL, 0);
		return 1;
	}
	return errno == EACCES ? 0 : 2;
}

/* unshare(2) is on no list: a namespace cannot be entered that way either. */
static int
namespaces_refused(void)
{
	if (clone_userns() != 0)
		return 1;
	return unshare(CLONE_NEWUSER) != 0 && errno == ENOSYS ? 0 : 2;
}

/* A mapping both writable and executable is refused; code may be mapped. */
static int
wx_refused(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED || errno != EACCES)
		return 1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 2;
	if (mprotect(p, 4096, PROT_WRITE | PROT_EXEC) == 0 || errno != EACCES)
		return 3;
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0)	/* W^X, not no-X */
		return 4;
	return 0;
}

/* TIOCSTI (typing into the terminal) is refused before the fd is looked
 * at: EACCES on a pipe, where an ordinary process gets ENOTTY. */
static int
tiocsti_refused(void)
{
	int fd[2], r;
	char c = 'x';

	if (pipe(fd) != 0)
		return 2;
	r = ioctl(fd[0], TIOCSTI, &c) == -1 && errno == EACCES ? 0 : 1;
	close(fd[0]);
	close(fd[1]);
	return r;
}

/*
 * What the guided UI does to draw codes on a framebuffer (media/qr.h
 * qr_fb_open) passes the monitor's list as it is: the screen-info ioctls
 * reach the kernel (ENOTTY on a file, not ENOSYS nor EACCES) and a shared
 * read-write mapping of the device's fd is made and written through.
 */
static int
framebuffer_calls_pass(void)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	char path[] = "/tmp/test_sandbox_fb.XXXXXX";
	uint8_t *p, b = 0;
	int fd, r = 0;

	if ((fd = mkstemp(path)) < 0 || unlink(path) != 0 ||
	    ftruncate(fd, 4096) != 0)
		return 2;
	if (ioctl(fd, FBIOGET_VSCREENINFO, &var) == 0 || errno != ENOTTY ||
	    ioctl(fd, FBIOGET_FSCREENINFO, &fix) == 0 || errno != ENOTTY)
		r = 3;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		r = 4;
	else {
		p[100] = 0xff;
		munmap(p, 4096);
		if (pread(fd, &b, 1, 100) != 1 || b != 0xff)
			r = 5;
	}
	close(fd);
	return r;
}

#ifdef __x86_64__
/* The i386 entry (int 0x80) with socketcall(SYS_SOCKET): the 32-bit ABI
 * has socket calls the 64-bit rules never see, so any 32-bit call kills.
 * The pointer is bad on purpose: unfiltered, the call fails with EFAULT. */
static int
int80_socketcall(void)
{
	long ret;

	__asm__ volatile ("int $0x80" : "=a"(ret)
	    : "a"(102), "b"(1), "c"(0) : "memory");
	return ret == -EFAULT || ret == -ENOSYS ? 0 : 1;
}
#endif

static void
unlisted_calls_are_absent_under_the_monitor(void **state)
{
	(void)state;
	assert_int_equal(exit_under(NULL, unlisted_is_absent), 1);	/* control */
	assert_int_equal(in_child(unlisted_is_absent), 0);
}

static void
no_namespace_under_the_monitor(void **state)
{
	(void)state;
	assert_int_equal(in_child(namespaces_refused), 0);
}

static void
no_writable_code_under_the_monitor(void **state)
{
	(void)state;
	assert_int_equal(exit_under(NULL, wx_refused), 1);	/* control */
	assert_int_equal(in_child(wx_refused), 0);
}

static void
no_tiocsti_under_the_monitor(void **state)
{
	(void)state;
	assert_int_equal(exit_under(NULL, tiocsti_refused), 1);	/* control */
	assert_int_equal(in_child(tiocsti_refused), 0);
	assert_int_equal(exit_under(sandbox_bridge, tiocsti_refused), 0);
}

static void
framebuffer_drawing_passes_the_monitor(void **state)
{
	(void)state;
	assert_int_equal(exit_under(NULL, framebuffer_calls_pass), 0);	/* control */
	assert_int_equal(in_child(framebuffer_calls_pass), 0);
}

static void
i386_system_calls_kill(void **state)
{
#ifdef __x86_64__
	int st;

	(void)state;
	st = in_filter(NULL, int80_socketcall);	/* control: no kill */
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV)
		skip();		/* a kernel without the 32-bit entry */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(killed_by_sigsys(in_filter(sandbox_monitor, int80_socketcall)));
	assert_true(killed_by_sigsys(in_filter(sandbox_bridge, int80_socketcall)));
	assert_true(killed_by_sigsys(in_filter(sandbox_parser, int80_socketcall)));
#else
	(void)state;
	skip();
#endif
}

/* The bridge: inet sockets for libcurl, nothing else but AF_UNIX. */
static int
bridge_sockets(void)
{
	int sv[2];

	if (try_socket(AF_INET) != 1 || try_socket(AF_INET6) != 1 ||
	    try_socket(AF_UNIX) != 1)
		return 1;
	if (try_socket(AF_PACKET) != 0 || try_socket(AF_NETLINK) != 0)
		return 2;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 3;
	close(sv[0]);
	close(sv[1]);
	return syscall(__NR_io_uring_setup, 1, (char[120]){ 0 }) < 0 &&
	    errno == EACCES ? 0 : 4;
}

/* The bridge starts no program: 0 when exec is refused, false's 1 when
 * it ran, 2 otherwise. */
static int
bridge_exec(void)
{
	execl("/bin/false", "false", (char *)NULL);
	return errno == EACCES ? 0 : 2;
}

static void
bridge_has_inet_and_unix_sockets_only(void **state)
{
	(void)state;
	assert_int_equal(exit_under(NULL, bridge_sockets), 2);	/* control */
	assert_int_equal(exit_under(sandbox_bridge, bridge_sockets), 0);
}

static void
bridge_starts_no_program(void **state)
{
	(void)state;
	assert_int_equal(exit_under(sandbox_bridge, bridge_exec), 0);
	assert_int_equal(in_child(bridge_exec), 1);	/* the monitor may */
}

static void
bridge_has_no_namespace_nor_unlisted_call(void **state)
{
	(void)state;
	assert_int_equal(exit_under(sandbox_bridge, namespaces_refused), 0);
	assert_int_equal(exit_under(sandbox_bridge, unlisted_is_absent), 0);
	assert_int_equal(exit_under(sandbox_bridge, wx_refused), 0);
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

/* The parser child's way out, under its filter. */
static int
parser_exits(void)
{
	sandbox_parser_exit(7);
}

static void
parser_child_exits_with_its_status(void **state)
{
	int st;

	(void)state;
	fflush(NULL);	/* exit(3) in the child flushes what is buffered here */
	st = in_parser(parser_exits);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);
}

/* AddressSanitizer (GCC's macro, clang's feature test), as in the sandbox. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

#ifdef TEST_ASAN
#include <sanitizer/lsan_interface.h>

/*
 * LeakSanitizer's check, as it runs at exit, under a filter: it must
 * finish (0 whether or not it found a leak; a check that cannot stop the
 * world dies with LSan's own exit code). SIGALRM ends a check that never
 * returns: under the bridge's filter it waited forever for a tracer that
 * getppid() had turned away.
 */
static int
leak_check_finishes(void)
{
	alarm(20);
	(void)__lsan_do_recoverable_leak_check();
	alarm(0);
	return 0;
}

static void
leak_check_runs_under_the_monitor_and_bridge_filters(void **state)
{
	int st;

	(void)state;
	assert_int_equal(exit_under(NULL, leak_check_finishes), 0);	/* control */
	st = in_filter(sandbox_bridge, leak_check_finishes);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = in_filter(sandbox_monitor, leak_check_finishes);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}
#endif

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_inet_socket_under_the_filter),
		cmocka_unit_test(unix_sockets_still_work),
		cmocka_unit_test(uevent_netlink_is_the_one_exception),
		cmocka_unit_test(io_uring_is_refused),
		cmocka_unit_test(programs_started_later_are_bound),
		cmocka_unit_test(unlisted_calls_are_absent_under_the_monitor),
		cmocka_unit_test(no_namespace_under_the_monitor),
		cmocka_unit_test(no_writable_code_under_the_monitor),
		cmocka_unit_test(no_tiocsti_under_the_monitor),
		cmocka_unit_test(framebuffer_drawing_passes_the_monitor),
		cmocka_unit_test(i386_system_calls_kill),
		cmocka_unit_test(bridge_has_inet_and_unix_sockets_only),
		cmocka_unit_test(bridge_starts_no_program),
		cmocka_unit_test(bridge_has_no_namespace_nor_unlisted_call),
		cmocka_unit_test(parser_child_can_compute),
		cmocka_unit_test(parser_child_is_killed_outside_its_list),
		cmocka_unit_test(parser_child_opens_nothing),
		cmocka_unit_test(parser_child_exits_with_its_status),
#ifdef TEST_ASAN
		cmocka_unit_test(leak_check_runs_under_the_monitor_and_bridge_filters),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
