/*
 * conclave: the offline appliance. Without a subcommand it runs the
 * guided ncurses ceremony (ui/ui.h); the subcommands run single ceremony steps from
 * the command line (tests and rehearsals use them; the UI calls the same
 * engine). Only this file and the UI decide to print or exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cmd_archive.h"
#include "appliance/cmd_generate_root.h"
#include "appliance/cmd_init.h"
#include "appliance/cmd_record.h"
#include "appliance/cmd_rekey.h"
#include "appliance/cmd_review.h"
#include "appliance/cmd_ui.h"
#include "appliance/cmd_unseal.h"
#include "appliance/cmd_verify.h"
#include "appliance/monitor.h"
#include "appliance/parser.h"
#include "crypto/sandbox.h"
#include "ceremony/session.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "media/qr_cmd.h"
#include "media/tty.h"
#include "ui/ui.h"

struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

static int usage(FILE *f);

static const struct command commands[] = {
	{ "help", NULL, "show this help" },
	{ "init", cmd_init_main, "initialise a cluster: begin, accept, handout, close" },
	{ "ui", cmd_ui_main, "the guided ceremony (the default without a command)" },
	{ "dr-token", cmd_dr_token_main, "Vault Enterprise DR operation token from a quorum" },
	{ "generate-root", cmd_generate_root_main, "break-glass: a new root token from a quorum" },
	{ "rekey", cmd_rekey_main, "rotate the shares to a new roster, n and threshold" },
	{ "unseal", cmd_unseal_main, "unseal every node of a cluster with one quorum" },
	{ "migrate", cmd_migrate_main, "migrate the seal (Shamir <-> auto-unseal) with the quorum" },
	{ "review", cmd_review_main, "the witnesses' review of a ceremony begun with --review" },
	{ "verify", cmd_verify_main, "check a transcript's hash chain and signature" },
	{ "record", cmd_record_main, "print the paper record of a ceremony from its transcript" },
	{ "archive", cmd_archive_main, "copy a closed transcript to the archive and verify it there" },
	{ "qr-encode", qrcmd_encode, "write an envelope as QR codes (PNG files)" },
	{ "qr-show", qrcmd_show, "show an envelope as QR codes (terminal, framebuffer)" },
	{ "qr-decode", qrcmd_decode, "read an envelope from QR code images" },
	{ "qr-scan", qrcmd_scan, "read an envelope from a camera" },
	{ "armor", qrcmd_armor, "print an envelope as armored text" },
};

static int
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: conclave [--version] [--help] [COMMAND [ARGS...]]\n"
	    "\n"
	    "conclave runs witnessed key ceremonies for HashiCorp Vault and OpenBao\n"
	    "on an offline machine. Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nSee conclave(1) for the ceremonies and their steps.\n");
	return f == stdout ? 0 : 2;
}

/* The command, as main would run it once the guards are up. */
static int
dispatch(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || argv[1][0] == '-')
		return cmd_ui_main(argc, argv);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].main != NULL && strcmp(argv[1], commands[i].name) == 0)
			return commands[i].main(argc - 1, argv + 1);
	tty_printw(stderr,
	    "conclave: unknown command '%s' (try conclave --help)\n", argv[1]);
	return 2;
}

int
main(int argc, char **argv)
{
	int rc, e;

	/* The monitor exec'd this image as its parser child: nothing else. */
	if (argc == 2 && strcmp(argv[1], PARSER_ARG) == 0)
		sandbox_parser_exit(parser_main());
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		tty_printw(stdout, "conclave %s\n", CONCLAVE_VERSION);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0))
		return usage(stdout);
	/* A rehearsal's explicit permission; the ceremony key then sits on disk. */
	if (getenv(SESSION_DISK_ENV) != NULL && strcmp(getenv(SESSION_DISK_ENV), "1") == 0)
		session_allow_disk(1);
	if ((e = secmem_init()) != CK_OK) {
		tty_printw(stderr,
		    "conclave: cannot secure process memory: %s; "
		    "refusing to run\n", ck_strerror(e));
		return 1;
	}
	/* The guided UI's status page asks the kernel to load a module; the
	 * allow-list below would answer in the kernel's place (ui/airgap.c). */
	if (argc < 2 || argv[1][0] == '-' || strcmp(argv[1], "ui") == 0)
		ui_airgap_probe();
	if (sandbox_monitor() != CK_OK) {
		tty_printw(stderr, "conclave: cannot install its seccomp "
		    "allow-list; refusing to run\n");
		return 1;
	}
	if ((e = monitor_start()) != CK_OK) {
		tty_printw(stderr,
		    "conclave: cannot start the parser child: %s%s%s; "
		    "refusing to run\n", ck_strerror(e),
		    monitor_event() != NULL ? ": " : "",
		    monitor_event() != NULL ? monitor_event() : "");
		return 1;
	}
	rc = dispatch(argc, argv);
	if (monitor_event() != NULL)
		tty_printw(stderr, "conclave: %s\n", monitor_event());
	monitor_stop();
	return rc;
}
