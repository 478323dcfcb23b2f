/*
 * Each process's seccomp filter (README "Process architecture"): the
 * appliance's monitor and its parser child, and the bridge. One module for
 * all three, below the programs, so that the bridge links it without the
 * engine. Filters are inherited across fork and exec, so gpg, its agent,
 * scdaemon and anything else a process starts are bound by it too.
 *
 * All three are allow-lists built one macro per rule:
 * - The monitor (conclave itself, and what it starts): what ncurses,
 *   gpgme (fork and exec of gpg, gpg-agent, scdaemon), the stick code
 *   (mount(2)) and the camera need. No socket but AF_UNIX (and the
 *   kernel's device events, which scdaemon's CCID driver reads), no
 *   io_uring (it can make sockets of its own), no new namespace, no
 *   mapping both writable and executable, no TIOCSTI. A call outside the
 *   list fails with ENOSYS (as on a kernel without it: glibc falls back).
 * - The bridge: the same without exec, mount or identity changes, with
 *   AF_INET and AF_INET6 sockets for libcurl and the resolver.
 * - The parser child (appliance/parser.h): read and write its one socket,
 *   receive on it the files the monitor hands over (recvmsg, SCM_RIGHTS)
 *   and read and close them, allocate memory and exit; any other system
 *   call kills it.
 *
 * Each covers every thread of the process (SECCOMP_FILTER_FLAG_TSYNC: a
 * thread started before main, e.g. by an LD_PRELOAD constructor, is bound
 * too), kills foreign-architecture (int 0x80, i386's socketcall included)
 * and x32 system calls, sets no_new_privs, forbids core dumps and ptrace
 * attachment by the same user (PR_SET_DUMPABLE 0).
 *
 * Debugging: with CONCLAVE_SANDBOX_TRAP=1 in the environment every rule
 * that refuses or kills traps instead (RET_TRAP) and a SIGSYS handler
 * names the call on stderr: "sandbox: killed on system call 41 (socket)".
 * A soft refusal then returns its errno as before ("refused (errno)"); a
 * kill ends the process with status SANDBOX_TRAP_EXIT. A program the
 * process starts loses the handler at exec and dies of SIGSYS on its
 * first refused call. For debugging only: the handler costs a signal per
 * refused call.
 */
#ifndef CONCLAVE_SANDBOX_H
#define CONCLAVE_SANDBOX_H

#include "crypto/errors.h"

#define SANDBOX_TRAP_ENV	"CONCLAVE_SANDBOX_TRAP"
#define SANDBOX_TRAP_EXIT	159	/* 128 + SIGSYS on x86_64 and arm64 */

/* The parser child's memory ceiling (RLIMIT_AS and RLIMIT_DATA): the
 * largest QR image (media/qr.h) decoded by zbar fits with room to spare. */
#define SANDBOX_PARSER_MEM	(512UL * 1024 * 1024)

/*
 * The monitor's allow-list on every thread, its capabilities cut to
 * the five it uses (as root: SYS_ADMIN to mount holders' sticks, SETUID
 * and SETGID to start the parser child as nobody, KILL to stop it,
 * IPC_LOCK to lock memory; CapEff 00000000002040e0), the bounding set
 * too so that the programs it starts have no more; no core dumps, not
 * dumpable.
 * CK_OK, or CK_ERR_UNSUPPORTED when the kernel or architecture has no
 * seccomp filter for us (the caller refuses to run: a ceremony without
 * the guard is not the product).
 */
int sandbox_monitor(void) CK_WUR;

/* The bridge's allow-list, the same way, and no capability at all.
 * CK_OK or CK_ERR_UNSUPPORTED. */
int sandbox_bridge(void) CK_WUR;

/* The parser child's descriptors (RLIMIT_NOFILE): stdin, stdout, stderr,
 * its socket, and the files a request hands over (at most two: a
 * transcript and its signature; appliance/wire.h). */
#define SANDBOX_PARSER_FILES	6

/* Who the parser child runs as when started by root: nobody/nogroup. */
#define SANDBOX_PARSER_ID	65534

/*
 * The parser child's allow-list, after dropping root (SANDBOX_PARSER_ID,
 * which clears every capability) and setting rlimits: no core (CORE 0), no file
 * writes (FSIZE 0), no descriptor but those it has and one handed over
 * (NOFILE SANDBOX_PARSER_FILES; it cannot open one), no new processes
 * (NPROC 0), bounded memory (SANDBOX_PARSER_MEM; not under AddressSanitizer,
 * whose shadow memory needs terabytes of address space). Call it once the
 * process has everything it will need (libraries initialised, its socket
 * open). CK_OK or CK_ERR_UNSUPPORTED.
 */
int sandbox_parser(void) CK_WUR;

/*
 * End the parser child with status rc: exit(rc). Under AddressSanitizer,
 * _exit(rc): LeakSanitizer's check at exit starts a tracer process, which
 * the parser's list kills (and RLIMIT_NPROC 0 refuses), so the child died
 * of SIGSYS on its way out. The parsing modules' leaks are found where
 * they run without the filter: the unit suite, make check-oom and the
 * fuzz harnesses.
 */
void sandbox_parser_exit(int rc) __attribute__((noreturn));

#endif
