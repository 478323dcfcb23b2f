/*
 * The appliance's two seccomp filters, one per process (README "Process
 * architecture"). Filters are inherited across fork and exec, so gpg, its
 * agent and anything else a process starts are bound by it too.
 *
 * - The monitor (conclave itself): a deny-list. It must keep what ncurses,
 *   gpgme (fork and exec of gpg, gpg-agent, scdaemon), the stick code
 *   (mount(2)) and the camera need, too wide a set to enumerate without
 *   breaking a ceremony on the next libc; the property it promises is
 *   narrow: no socket but AF_UNIX (gpg-agent and scdaemon need those), and
 *   no io_uring (which can make sockets of its own).
 * - The parser child (appliance/parser.h): a strict allow-list. It reads
 *   and writes its one socket, receives on it the files the monitor hands
 *   over (recvmsg, SCM_RIGHTS) and reads and closes them, allocates memory
 *   and exits; any other system call kills it.
 *
 * Both cover every thread of the process (SECCOMP_FILTER_FLAG_TSYNC: a
 * thread started before main, e.g. by an LD_PRELOAD constructor, is bound
 * too), kill foreign-architecture and x32 system calls, set no_new_privs,
 * forbid core dumps and ptrace attachment by the same user
 * (PR_SET_DUMPABLE 0).
 *
 * Debugging: with CONCLAVE_SANDBOX_TRAP=1 in the environment every rule
 * that refuses or kills traps instead (RET_TRAP) and a SIGSYS handler
 * names the call on stderr: "sandbox: killed on system call 41 (socket)".
 * A soft refusal then returns its errno as before ("refused (errno)"); a
 * kill ends the process with status SANDBOX_TRAP_EXIT. For debugging only:
 * the handler costs a signal per refused call.
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
 * The monitor's guard: the no-network deny-list on every thread, no core
 * dumps, not dumpable. CK_OK, or CK_ERR_UNSUPPORTED when the kernel or
 * architecture has no seccomp filter for us (the caller refuses to run:
 * a ceremony without the guard is not the product).
 */
int sandbox_monitor(void) CK_WUR;

/* The parser child's descriptors (RLIMIT_NOFILE): stdin, stdout, stderr,
 * its socket, and the one file a request hands over (appliance/wire.h). */
#define SANDBOX_PARSER_FILES	5

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

#endif
