/*
 * Three seccomp programs built from one macro per rule (the OpenSSH
 * sandbox-seccomp-filter.c pattern): no jump offset is counted by hand
 * outside the macros below, and each macro's offsets stay inside itself.
 * Every rule starts with the system call number loaded in the accumulator
 * and leaves it there for the next rule: a rule either returns or falls
 * through to the next with the number reloaded.
 */
#include "crypto/sandbox.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <grp.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/capability.h>
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
#define RET_ERRNO(err) \
	RET(SECCOMP_RET_ERRNO | ((err) & SECCOMP_RET_DATA))
/* An explicit refusal: EACCES (a trap in debug mode, patched at load). */
#define RET_REFUSE	RET_ERRNO(EACCES)
/* A call outside an allow-list that does not kill: as if the kernel had
 * no such call, so that glibc takes its older path (clone3 -> clone). */
#define RET_ABSENT	RET_ERRNO(ENOSYS)

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

/* The rules. Arguments are compared on their low 32 bits: every one we
 * test is an int or a flag word whose high half is unused. */
#define ALLOW(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	RET(SECCOMP_RET_ALLOW)
#define REFUSE(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	RET_REFUSE
/* Refuse nr with ENOSYS, as if absent (glibc then uses an older call). */
#define ABSENT(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	RET_ABSENT
/* Allow nr when arg has no bit outside mask; else fall through. */
#define ALLOW_ARG_MASK(nr, arg, mask) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 4), \
	LOAD_ARG_LO(arg), \
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, ~(uint32_t)(mask), 1, 0), \
	RET(SECCOMP_RET_ALLOW), \
	LOAD_NR
/* Allow nr when arg equals value; else fall through. */
#define ALLOW_ARG_IS(nr, arg, value) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 4), \
	LOAD_ARG_LO(arg), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (value), 0, 1), \
	RET(SECCOMP_RET_ALLOW), \
	LOAD_NR
/* Allow nr when arg a equals va and arg b equals vb; else fall through. */
#define ALLOW_ARGS_ARE(nr, a, va, b, vb) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 6), \
	LOAD_ARG_LO(a), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (va), 0, 3), \
	LOAD_ARG_LO(b), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (vb), 0, 1), \
	RET(SECCOMP_RET_ALLOW), \
	LOAD_NR
/* Refuse nr when arg equals value; else fall through. */
#define REFUSE_ARG_IS(nr, arg, value) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 4), \
	LOAD_ARG_LO(arg), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (value), 0, 1), \
	RET_REFUSE, \
	LOAD_NR
/* Refuse nr when arg has every bit of bits set; else fall through. */
#define REFUSE_ARG_ALL(nr, arg, bits) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 5), \
	LOAD_ARG_LO(arg), \
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, (bits)), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (bits), 0, 1), \
	RET_REFUSE, \
	LOAD_NR

/* No mapping both writable and executable (W^X), in a process that maps
 * code (the dynamic loader of every program the monitor starts). */
#define ALLOW_MAP_NOT_WX(nr) \
	REFUSE_ARG_ALL((nr), 2, PROT_WRITE | PROT_EXEC), \
	ALLOW(nr)

/* A new process or thread, never a new namespace (a user namespace would
 * be root over a world of its own). CLONE_NEWTIME shares the exit-signal
 * byte of the flags and is left out; clone3 hides its flags in memory and
 * is absent, so glibc uses clone. */
#define CLONE_NAMESPACES \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
	 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define ALLOW_CLONE_NO_NAMESPACE \
	ALLOW_ARG_MASK(__NR_clone, 0, ~(uint32_t)CLONE_NAMESPACES), \
	REFUSE(__NR_clone), \
	ABSENT(__NR_clone3)

/*
 * What every process here needs to run glibc, allocate, use threads and
 * signals and read the clock. Memory rules are each process's own.
 */
#define ALLOW_RUNTIME \
	ALLOW(__NR_read), ALLOW(__NR_write), ALLOW(__NR_readv), \
	ALLOW(__NR_writev), ALLOW(__NR_pread64), ALLOW(__NR_pwrite64), \
	ALLOW(__NR_close), ALLOW(__NR_exit), ALLOW(__NR_exit_group), \
	ALLOW(__NR_brk), ALLOW(__NR_munmap), ALLOW(__NR_mremap), \
	ALLOW(__NR_madvise), ALLOW(__NR_mlock), ALLOW(__NR_munlock), \
	ALLOW(__NR_mlockall), ALLOW(__NR_getrandom), ALLOW(__NR_futex), \
	ALLOW(__NR_set_robust_list), ALLOW(__NR_rseq), \
	ALLOW(__NR_set_tid_address), ALLOW(__NR_clock_gettime), \
	ALLOW(__NR_clock_getres), ALLOW(__NR_gettimeofday), \
	ALLOW(__NR_nanosleep), ALLOW(__NR_clock_nanosleep), \
	ALLOW(__NR_rt_sigaction), ALLOW(__NR_rt_sigprocmask), \
	ALLOW(__NR_rt_sigreturn), ALLOW(__NR_sigaltstack), \
	ALLOW(__NR_getpid), ALLOW(__NR_gettid), ALLOW(__NR_tgkill), \
	ALLOW(__NR_getuid), ALLOW(__NR_geteuid), ALLOW(__NR_getgid), \
	ALLOW(__NR_getegid), ALLOW(__NR_getresuid), ALLOW(__NR_getresgid), \
	ALLOW(__NR_sched_getaffinity), ALLOW(__NR_sched_yield), \
	ALLOW(__NR_getrlimit), ALLOW(__NR_prlimit64), ALLOW(__NR_sysinfo), \
	ALLOW(__NR_uname), ALLOW(__NR_prctl), ALLOW(__NR_getcwd), \
	ALLOW(__NR_ppoll), ALLOW(__NR_pselect6), ALLOW(__NR_epoll_create1), \
	ALLOW(__NR_epoll_ctl), ALLOW(__NR_epoll_pwait), ALLOW(__NR_eventfd2), \
	ALLOW(__NR_pipe2), ALLOW(__NR_dup), ALLOW(__NR_dup3), \
	ALLOW(__NR_fcntl), ALLOW(__NR_ioctl), ALLOW(__NR_lseek), \
	ALLOW(__NR_openat), ALLOW(__NR_newfstatat), ALLOW(__NR_fstat), \
	ALLOW(__NR_statx), ALLOW(__NR_faccessat), ALLOW(__NR_faccessat2), \
	ALLOW(__NR_readlinkat), ALLOW(__NR_getdents64), ALLOW(__NR_statfs), \
	ALLOW(__NR_fstatfs), ALLOW(__NR_fsync), ALLOW(__NR_fdatasync), \
	ALLOW(__NR_fadvise64), ALLOW(__NR_flock), ALLOW(__NR_umask), \
	ALLOW(__NR_mkdirat), ALLOW(__NR_unlinkat), ALLOW(__NR_renameat), \
	ALLOW(__NR_renameat2), ALLOW(__NR_fchmod), ALLOW(__NR_fchmodat), \
	ALLOW(__NR_ftruncate), ALLOW(__NR_utimensat), ALLOW(__NR_chdir), \
	ALLOW(__NR_fchdir), ALLOW(__NR_wait4), ALLOW(__NR_waitid), \
	ALLOW(__NR_kill), ALLOW(__NR_connect), ALLOW(__NR_sendto), \
	ALLOW(__NR_recvfrom), ALLOW(__NR_sendmsg), ALLOW(__NR_recvmsg), \
	ALLOW(__NR_sendmmsg), ALLOW(__NR_shutdown), ALLOW(__NR_getsockname), \
	ALLOW(__NR_getpeername), ALLOW(__NR_setsockopt), \
	ALLOW(__NR_getsockopt), ALLOW(__NR_bind)

#ifdef __x86_64__
/* The old calls x86_64 keeps and glibc or the programs we start still
 * make (arm64 has only the *at forms above). */
#define ALLOW_RUNTIME_LEGACY \
	ALLOW(__NR_arch_prctl), ALLOW(__NR_open), ALLOW(__NR_stat), \
	ALLOW(__NR_lstat), ALLOW(__NR_access), ALLOW(__NR_readlink), \
	ALLOW(__NR_poll), ALLOW(__NR_select), ALLOW(__NR_epoll_wait), \
	ALLOW(__NR_pipe), ALLOW(__NR_dup2), ALLOW(__NR_mkdir), \
	ALLOW(__NR_rmdir), ALLOW(__NR_unlink), ALLOW(__NR_rename), \
	ALLOW(__NR_chmod), ALLOW(__NR_getdents), ALLOW(__NR_time), \
	ALLOW(__NR_alarm), ALLOW(__NR_getpgrp), ALLOW(__NR_inotify_init), \
	ALLOW(__NR_link), ALLOW(__NR_symlink), ALLOW(__NR_fork), ALLOW(__NR_vfork)
#else
#define ALLOW_RUNTIME_LEGACY LOAD_NR
#endif

/*
 * LeakSanitizer's exit check stops the world from a tracer process of its
 * own (sanitizer builds only: check-sanitize, check-sanitize-integration):
 * a clone sharing our memory that ptraces every thread, after checking
 * that getppid() still names us. Refused getppid (the bridge's list has
 * none), the tracer gave up before saying it was done and the exit check
 * waited for it forever.
 */
#if SANDBOX_ASAN
#define ALLOW_SANITIZER	ALLOW(__NR_ptrace), ALLOW(__NR_getppid)
#else
#define ALLOW_SANITIZER	LOAD_NR
#endif

#ifdef SANDBOX_ARCH
/*
 * The monitor, and everything it starts (gpg, gpg-agent, scdaemon, and
 * the parser child, which adds its own list on top). Sockets: AF_UNIX
 * only (gpg-agent, scdaemon, pcscd), and the one netlink exception below;
 * any other domain is refused (EACCES), io_uring too (it can make sockets
 * of its own). Everything outside the list fails with ENOSYS.
 *
 * socket(AF_NETLINK, *, NETLINK_KOBJECT_UEVENT): the kernel's device
 * add/remove events, which reach no network. libusb (under scdaemon's CCID
 * driver) opens one to find a reader at all; refused, scdaemon reported
 * "No such device" for every card, PC/SC ones included (tests/card).
 */
static struct sock_filter monitor_insns[] = {
	CHECK_ARCH,
	CHECK_X32,
	REFUSE(__NR_io_uring_setup),
	ALLOW_ARG_IS(__NR_socket, 0, AF_UNIX),
	ALLOW_ARGS_ARE(__NR_socket, 0, AF_NETLINK, 2, NETLINK_KOBJECT_UEVENT),
	REFUSE(__NR_socket),
	ALLOW_ARG_IS(__NR_socketpair, 0, AF_UNIX),
	REFUSE(__NR_socketpair),
	REFUSE_ARG_IS(__NR_ioctl, 1, TIOCSTI),	/* typing into the terminal */
	ALLOW_MAP_NOT_WX(__NR_mmap),
	ALLOW_MAP_NOT_WX(__NR_mprotect),
	ALLOW_CLONE_NO_NAMESPACE,
	ALLOW_RUNTIME,
	ALLOW_RUNTIME_LEGACY,
	/* gpgme, gpg and its agents: processes, their sockets, their home */
	ALLOW(__NR_execve), ALLOW(__NR_listen), ALLOW(__NR_accept),
	ALLOW(__NR_accept4), ALLOW(__NR_setsid), ALLOW(__NR_setpgid),
	ALLOW(__NR_getppid), ALLOW(__NR_getpgid), ALLOW(__NR_close_range),
	ALLOW(__NR_inotify_init1), ALLOW(__NR_inotify_add_watch),
	ALLOW(__NR_inotify_rm_watch), ALLOW(__NR_linkat), ALLOW(__NR_fchown),
	ALLOW(__NR_setrlimit), ALLOW(__NR_getrusage), ALLOW(__NR_times),
	ALLOW(__NR_setitimer), ALLOW(__NR_getitimer), ALLOW(__NR_rt_sigtimedwait),
	ALLOW(__NR_rt_sigsuspend), ALLOW(__NR_tkill), ALLOW(__NR_getpriority),
	ALLOW(__NR_sched_getparam), ALLOW(__NR_sched_getscheduler),
	/* scdaemon's CCID driver (libusb) */
	ALLOW(__NR_timerfd_create), ALLOW(__NR_timerfd_settime),
	/* the parser child drops root and adds its own filter */
	ALLOW(__NR_setgroups), ALLOW(__NR_setresuid), ALLOW(__NR_setresgid),
	ALLOW(__NR_seccomp), ALLOW(__NR_capget),
	/* holders' sticks (media/stick.h) */
	ALLOW(__NR_mount), ALLOW(__NR_umount2), ALLOW(__NR_sync),
	ALLOW(__NR_syncfs),
	ALLOW_SANITIZER,
	RET_ABSENT,
};

/*
 * The bridge: it talks HTTPS to the server (libcurl and its resolver
 * thread: AF_INET, AF_INET6, and AF_UNIX for glibc's name service), moves
 * envelopes through the exchange folder, draws QR codes and prints PDFs.
 * It starts no program, mounts nothing, changes no identity; netlink
 * (glibc's address sorting probes interfaces with it) is refused and glibc
 * does without. Everything outside the list fails with ENOSYS.
 */
static struct sock_filter bridge_insns[] = {
	CHECK_ARCH,
	CHECK_X32,
	REFUSE(__NR_io_uring_setup),
	ALLOW_ARG_IS(__NR_socket, 0, AF_UNIX),
	ALLOW_ARG_IS(__NR_socket, 0, AF_INET),
	ALLOW_ARG_IS(__NR_socket, 0, AF_INET6),
	REFUSE(__NR_socket),
	ALLOW_ARG_IS(__NR_socketpair, 0, AF_UNIX),
	REFUSE(__NR_socketpair),
	REFUSE(__NR_execve),
	REFUSE(__NR_execveat),
	REFUSE_ARG_IS(__NR_ioctl, 1, TIOCSTI),
	ALLOW_MAP_NOT_WX(__NR_mmap),
	ALLOW_MAP_NOT_WX(__NR_mprotect),
	ALLOW_CLONE_NO_NAMESPACE,
	ALLOW_RUNTIME,
	ALLOW_RUNTIME_LEGACY,
	ALLOW_SANITIZER,
	RET_ABSENT,
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
	/*
	 * Not the architecture check (the first return), nor clone3's
	 * ENOSYS: glibc's fall back to clone is expected, and libcurl starts
	 * its resolver thread with every signal blocked, where a trap kills.
	 */
	for (i = 3; i < n; i++) {
		if (insns[i].code != (BPF_RET | BPF_K))
			continue;
		if (insns[i - 1].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
		    insns[i - 1].k == __NR_clone3)
			continue;
		if (insns[i].k == SECCOMP_RET_KILL_PROCESS)
			insns[i].k = SECCOMP_RET_TRAP;
		else if ((insns[i].k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO)
			insns[i].k = SECCOMP_RET_TRAP | (insns[i].k & SECCOMP_RET_DATA);
	}
	return CK_OK;
}

/*
 * Keep only the capabilities in keep (a bit per CAP_*), from the bounding
 * set too: a root process's exec'd programs (gpg, the parser child) get
 * the bounding set, not what we hold. A process that holds none (not
 * root) has nothing to drop, and with no_new_privs can gain none.
 */
#define CAP_BIT(cap)	(1ULL << (cap))

static int
keep_capabilities(uint64_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int cap, held;

	memset(d, 0, sizeof(d));
	if (syscall(__NR_capget, &h, d) != 0)
		return CK_ERR_UNSUPPORTED;
	if ((d[0].permitted | d[1].permitted | d[0].inheritable |
	    d[1].inheritable) == 0)
		return CK_OK;
	/* PR_CAPBSET_READ fails (EINVAL) past the kernel's last capability. */
	for (cap = 0; cap < 64 && (held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0; cap++)
		if (held == 1 && !((keep >> cap) & 1) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return CK_ERR_UNSUPPORTED;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL)
		return CK_ERR_UNSUPPORTED;
	d[0].effective &= (uint32_t)keep;
	d[0].permitted &= (uint32_t)keep;
	d[1].effective &= (uint32_t)(keep >> 32);
	d[1].permitted &= (uint32_t)(keep >> 32);
	d[0].inheritable = d[1].inheritable = 0;
	return syscall(__NR_capset, &h, d) == 0 ? CK_OK : CK_ERR_UNSUPPORTED;
}

static int
install(struct sock_filter *insns, size_t n, uint64_t keep)
{
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = insns };
	const struct rlimit zero = { 0, 0 };

	if (keep_capabilities(keep) != CK_OK)
		return CK_ERR_UNSUPPORTED;
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
	return install(monitor_insns, sizeof(monitor_insns) / sizeof(monitor_insns[0]),
	    CAP_BIT(CAP_SYS_ADMIN) | CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETGID) |
	    CAP_BIT(CAP_KILL) | CAP_BIT(CAP_IPC_LOCK));
}

int
sandbox_bridge(void)
{
	return install(bridge_insns, sizeof(bridge_insns) / sizeof(bridge_insns[0]), 0);
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
	return install(parser_insns, sizeof(parser_insns) / sizeof(parser_insns[0]), 0);
}

#endif

void
sandbox_parser_exit(int rc)
{
#if SANDBOX_ASAN
	_exit(rc);
#else
	exit(rc);
#endif
}

#ifndef SANDBOX_ARCH

int
sandbox_monitor(void)
{
	return CK_ERR_UNSUPPORTED;
}

int
sandbox_bridge(void)
{
	return CK_ERR_UNSUPPORTED;
}

int
sandbox_parser(void)
{
	return CK_ERR_UNSUPPORTED;
}

#endif
