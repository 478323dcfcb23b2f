/*
 * LD_PRELOAD for tests/integration/residue.sh: conclave or conclave-bridge
 * stops itself (SIGSTOP) as it exits, after main and every wipe, so the
 * test can read its memory through /proc/PID/mem and then let it go on
 * (SIGCONT). Only in those two programs' top process: LD_PRELOAD is taken
 * out of the environment at start, so nothing they run (the parser child,
 * gpg, curl's helpers) inherits it. RESIDUE_PLANT=TEXT (the scanner's
 * control) copies TEXT into the heap, where a leftover secret would be.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

static int ours;
static char *planted;

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

__attribute__((destructor)) static void
stop(void)
{
	if (ours)
		kill(getpid(), SIGSTOP);
	free(planted);
}
