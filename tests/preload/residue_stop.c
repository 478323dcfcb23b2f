/*
 * LD_PRELOAD for tests/integration/residue.sh: conclave or conclave-bridge
 * stops itself (SIGSTOP) as it exits, after main and every wipe, so the
 * test can read its memory through /proc/PID/mem and then let it go on
 * (SIGCONT). Only in those two programs' top process: LD_PRELOAD is taken
 * out of the environment at start, so nothing they run (the parser child,
 * gpg, curl's helpers) inherits it. RESIDUE_PLANT=TEXT (the scanner's
 * control) copies TEXT into the heap, where a leftover secret would be.
 *
 * Before the appliance ends a gpg-agent (it runs gpg-connect-agent with
 * KILLAGENT), the child about to run it stops too, so the test can read the agent's
 * memory after every operation of the step and before it goes away.
 *
 * Registers are memory too: before it stops, the process's vector
 * registers are saved (XSAVE) into this library's data, where the scan
 * reads them. A signal frame or the dynamic linker's lazy binding would
 * spill them onto the stack just the same (the bridge's root token was
 * found that way, left in the registers glibc's string functions use).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

static int ours;
static char *planted;
/* Larger than any XSAVE area (AVX-512: 2,696 bytes). */
static unsigned char xsave_area[16384] __attribute__((aligned(64)));

/* Every state component the OS enabled, as XSAVE stores it. */
static void
save_registers(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) ||
	    !__get_cpuid_count(0xd, 0, &a, &b, &c, &d) || b > sizeof(xsave_area))
		return;
	__asm__ __volatile__("xsave %0" : "=m"(xsave_area) : "a"(~0u), "d"(~0u));
}

static int
is_conclave(void)
{
	char exe[4096], *base;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	base = strrchr(exe, '/') != NULL ? strrchr(exe, '/') + 1 : exe;
	return strcmp(base, "conclave") == 0 || strcmp(base, "conclave-bridge") == 0;
}

__attribute__((constructor)) static void
start(void)
{
	const char *plant = getenv("RESIDUE_PLANT");

	if (!is_conclave() || is_parser_child())
		return;
	ours = 1;
	unsetenv("LD_PRELOAD");
	if (plant != NULL)
		planted = strdup(plant);
}

/* In the child conclave forks to run a GnuPG tool. */
int
execv(const char *path, char *const argv[])
{
	int (*real)(const char *, char *const[]) =
	    (int (*)(const char *, char *const[]))dlsym(RTLD_NEXT, "execv");
	int i;

	for (i = 0; ours && argv[i] != NULL; i++)
		if (strcmp(argv[i], "KILLAGENT") == 0)
			raise(SIGSTOP);
	return real(path, argv);
}

__attribute__((destructor)) static void
stop(void)
{
	if (ours) {
		save_registers();
		kill(getpid(), SIGSTOP);
	}
	free(planted);
}
