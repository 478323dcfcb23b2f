/*
 * Two seccomp programs built from one macro per rule (the OpenSSH
 * sandbox-seccomp-filter.c pattern): no jump offset is counted by hand.
 * Every rule starts with the system call number loaded in the accumulator
 * and leaves it there for the next rule.
 */
#include "appliance/sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <grp.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>

#if defined(__x86_64__)
#define SANDBOX_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH	AUDIT_ARCH_AARCH64
#endif

/* AddressSanitizer (GCC's macro, clang's feature test). */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifndef SANDBOX_ASAN
#define SANDBOX_ASAN 0
#endif

#define LOAD_NR \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LOAD_ARG_LO(arg) \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[(arg)]))
#define RET(action) \
	BPF_STMT(BPF_RET | BPF_K, (action))
/* Refuse with an errno: EACCES, or a trap in debug mode (patched at load). */
#define RET_REFUSE \
	RET(SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA))

/* The architecture we were built for, else kill; then load the number. */
#define CHECK_ARCH \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0), \
	RET(SECCOMP_RET_KILL_PROCESS), \
	LOAD_NR
#ifdef __x86_64__
/* x32 system calls are the 64-bit ones with bit 30 set: kill. */
#define CHECK_X32 \
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1), \
	RET(SECCOMP_RET_KILL_PROCESS)
#else
#define CHECK_X32 LOAD_NR
#endif

#define ALLOW(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	RET(SECCOMP_RET_ALLOW)
#define REFUSE(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	RET_REFUSE
/* Allow nr only when the low 32 bits of arg have no bit outside mask. */
#define ALLOW_ARG_MASK(nr, arg, mask) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 4), \
	LOAD_ARG_LO(arg), \
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, ~(uint32_t)(mask), 1, 0), \
	RET(SECCOMP_RET_ALLOW), \
	LOAD_NR
/* Allow nr only when the low 32 bits of arg equal value, else refuse. */
#define ALLOW_ARG_EQ(nr, arg, value) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 4), \
	LOAD_ARG_LO(arg), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (value), 0, 1), \
	RET(SECCOMP_RET_ALLOW), \
	RET_REFUSE

/*
 * socket(AF_NETLINK, *, NETLINK_KOBJECT_UEVENT): the kernel's device
 * add/remove events, which reach no network. libusb (under scdaemon's CCID
 * driver) opens one to find a reader at all; refused, scdaemon reported
 * "No such device" for every card, PC/SC ones included (tests/card). Any
 * other call falls through to the next rule, its number reloaded.
 */
#define ALLOW_UEVENT_SOCKET \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 6), \
	LOAD_ARG_LO(0), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 3), \
	LOAD_ARG_LO(2), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NETLINK_KOBJECT_UEVENT, 0, 1), \
	RET(SECCOMP_RET_ALLOW), \
	LOAD_NR

#ifdef SANDBOX_ARCH
/*
 * The monitor: everything but network sockets. A socket's domain is its
 * first argument (an int: the high half is unused); its protocol the
 * third. Netlink is refused but for device events (ALLOW_UEVENT_SOCKET).
 */
static struct sock_filter monitor_insns[] = {
	CHECK_ARCH,
	CHECK_X32,
	REFUSE(__NR_io_uring_setup),
	ALLOW_UEVENT_SOCKET,
	ALLOW_ARG_EQ(__NR_socket, 0, AF_UNIX),
	ALLOW_ARG_EQ(__NR_socketpair, 0, AF_UNIX),
	RET(SECCOMP_RET_ALLOW),
};

/*
 * The parser child: what glibc, libsodium, jansson, zlib, zxing-cpp and zbar need
 * to compute on memory and talk over one socket that is already open.
 * openat and stat-like calls fail softly (a library probing a file gets
 * EACCES); everything else kills. mmap and mprotect never map code.
 */
static struct sock_filter parser_insns[] = {
	CHECK_ARCH,
	CHECK_X32,
	ALLOW(__NR_read),
	ALLOW(__NR_write),
	ALLOW(__NR_sendto),		/* send(MSG_NOSIGNAL) on its socket */
	ALLOW(__NR_recvmsg),		/* a request with its file (SCM_RIGHTS) */
	ALLOW(__NR_close),
	ALLOW(__NR_exit),
	ALLOW(__NR_exit_group),
	ALLOW(__NR_rt_sigreturn),
	ALLOW(__NR_brk),
	ALLOW(__NR_munmap),
	ALLOW(__NR_mremap),
	ALLOW(__NR_madvise),
	ALLOW_ARG_MASK(__NR_mmap, 2, PROT_READ | PROT_WRITE),
	ALLOW_ARG_MASK(__NR_mprotect, 2, PROT_READ | PROT_WRITE),
	ALLOW(__NR_getrandom),		/* glibc malloc seeds its tcache */
	ALLOW(__NR_futex),		/* glibc locks (stdio, malloc) */
	ALLOW(__NR_clock_gettime),	/* when the vDSO is not used */
	ALLOW(__NR_getpid),		/* glibc abort() and assert() */
	ALLOW(__NR_gettid),
	ALLOW(__NR_tgkill),		/* abort() raising SIGABRT on itself */
	ALLOW(__NR_rt_sigprocmask),
	ALLOW(__NR_sysinfo),		/* glibc qsort sizes its buffer (zbar) */
	ALLOW(__NR_sigaltstack),	/* the sanitizers' runtimes (check-sanitize) */
	REFUSE(__NR_openat),
	REFUSE(__NR_newfstatat),
	REFUSE(__NR_fstat),
#ifdef __NR_open
	REFUSE(__NR_open),
#endif
	RET(SECCOMP_RET_KILL_PROCESS),
};

/* Every system call name this architecture has, for the trap message. */
static const struct {
	int nr;
	const char *name;
} syscall_names[] = {
#include "syscall_names.h"
};

static const char *
syscall_name(int nr)
{
	size_t i;

	for (i = 0; i < sizeof(syscall_names) / sizeof(syscall_names[0]); i++)
		if (syscall_names[i].nr == nr)
			return syscall_names[i].name;
	return "?";
}

/* Append the decimal form of v; async-signal-safe. */
static size_t
put_uint(char *p, unsigned v)
{
	char d[12];
	size_t n = 0, i;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		p[i] = d[n - 1 - i];
	return n;
}

static size_t
put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return n;
}

/* Make the trapped system call return -err (the context is the trap's). */
static int
set_return(void *ctx, int err)
{
	ucontext_t *uc = ctx;

#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -err;
	return 1;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = (unsigned long long)-err;
	return 1;
#else
	(void)uc;
	(void)err;
	return 0;
#endif
}

/*
 * SIGSYS from RET_TRAP: name the call. A soft refusal (its errno in the
 * trap's data) then returns that errno as the filter would have; a kill
 * ends the process.
 */
static void
trap_handler(int sig, siginfo_t *si, void *ctx)
{
	char msg[160];
	size_t n = 0;
	const char *name = syscall_name(si->si_syscall);
	int soft = si->si_errno != 0;

	(void)sig;
	n += put_str(msg + n, "sandbox: ");
	n += put_str(msg + n, soft ? "refused (errno) " : "killed on ");
	n += put_str(msg + n, "system call ");
	n += put_uint(msg + n, (unsigned)si->si_syscall);
	n += put_str(msg + n, " (");
	if (strlen(name) < sizeof(msg) - n - 3)
		n += put_str(msg + n, name);
	n += put_str(msg + n, ")\n");
	(void)!write(STDERR_FILENO, msg, n);
	if (soft && set_return(ctx, si->si_errno))
		return;
	_exit(SANDBOX_TRAP_EXIT);
}

/* Debug mode: every refusal and every kill becomes a named trap, the
 * refusal's errno kept as the trap's data. */
static int
trap_mode(struct sock_filter *insns, size_t n)
{
	struct sigaction sa;
	const char *v = getenv(SANDBOX_TRAP_ENV);
	size_t i;

	if (v == NULL || strcmp(v, "1") != 0)
		return CK_OK;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = trap_handler;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return CK_ERR_UNSUPPORTED;
	/* Not the architecture check (the first return). */
	for (i = 3; i < n; i++) {
		if (insns[i].code != (BPF_RET | BPF_K))
			continue;
		if (insns[i].k == SECCOMP_RET_KILL_PROCESS)
			insns[i].k = SECCOMP_RET_TRAP;
		else if ((insns[i].k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO)
			insns[i].k = SECCOMP_RET_TRAP | (insns[i].k & SECCOMP_RET_DATA);
	}
	return CK_OK;
}

static int
install(struct sock_filter *insns, size_t n)
{
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = insns };
	const struct rlimit zero = { 0, 0 };

	/* A core dump would carry every share the process ever held. */
	if (setrlimit(RLIMIT_CORE, &zero) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return CK_ERR_UNSUPPORTED;
	if (trap_mode(insns, n) != CK_OK)
		return CK_ERR_UNSUPPORTED;
	/* TSYNC: every thread, or none (a positive return names a thread
	 * that could not be synchronised). */
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
		return CK_ERR_UNSUPPORTED;
	return CK_OK;
}

int
sandbox_monitor(void)
{
	return install(monitor_insns, sizeof(monitor_insns) / sizeof(monitor_insns[0]));
}

static int
limit(int resource, rlim_t v)
{
	const struct rlimit rl = { v, v };

	return setrlimit(resource, &rl) == 0 ? CK_OK : CK_ERR_UNSUPPORTED;
}

/*
 * Run as nobody: root without capabilities still owns root's files, and
 * setting the uids clears every capability (the child's CapEff is 0).
 * An ordinary user has none to drop.
 */
static int
drop_root(void)
{
	const gid_t g = SANDBOX_PARSER_ID;
	const uid_t u = SANDBOX_PARSER_ID;

	if (geteuid() != 0 && getuid() != 0)
		return CK_OK;
	if (setgroups(0, NULL) != 0 || setresgid(g, g, g) != 0 ||
	    setresuid(u, u, u) != 0)
		return CK_ERR_UNSUPPORTED;
	return CK_OK;
}

int
sandbox_parser(void)
{
	if (drop_root() != CK_OK)
		return CK_ERR_UNSUPPORTED;
	if (limit(RLIMIT_FSIZE, 0) != CK_OK || limit(RLIMIT_NOFILE, SANDBOX_PARSER_FILES) != CK_OK ||
	    limit(RLIMIT_NPROC, 0) != CK_OK)
		return CK_ERR_UNSUPPORTED;
#if !SANDBOX_ASAN
	if (limit(RLIMIT_AS, SANDBOX_PARSER_MEM) != CK_OK ||
	    limit(RLIMIT_DATA, SANDBOX_PARSER_MEM) != CK_OK)
		return CK_ERR_UNSUPPORTED;
#endif
	return install(parser_insns, sizeof(parser_insns) / sizeof(parser_insns[0]));
}

#else

int
sandbox_monitor(void)
{
	return CK_ERR_UNSUPPORTED;
}

int
sandbox_parser(void)
{
	return CK_ERR_UNSUPPORTED;
}

#endif
