/*
 * conclave-bridge: the online side. It talks to Vault/OpenBao over HTTPS
 * and exchanges signed envelopes with the appliance through an exchange
 * folder (a USB stick) or QR codes. It never sees a plaintext share outside
 * the one request that submits it.
 */
#include <stdio.h>
#include <string.h>

#include "bridge/cmd_generate_root.h"
#include "bridge/cmd_init.h"
#include "bridge/cmd_paper.h"
#include "bridge/cmd_rekey.h"
#include "bridge/cmd_status.h"
#include "bridge/cmd_unseal.h"
#include "client/http.h"
#include "crypto/errors.h"
#include "crypto/sandbox.h"
#include "crypto/secmem.h"
#include "media/qr_cmd.h"
#include "media/tty.h"

struct bridge_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct bridge_command bridge_commands[] = {
	{ "help", NULL, "show this help" },
	{ "dr-token", bridge_dr_token_main, "Vault Enterprise DR operation token (appliance: dr-token)" },
	{ "generate-root", bridge_generate_root_main, "break-glass: a new root token (appliance: generate-root)" },
	{ "holder-cards", bridge_holder_cards_main, "print each holder's card: fingerprint as hex and words" },
	{ "init", bridge_init_main, "initialise a server for the appliance's init ceremony" },
	{ "rekey", bridge_rekey_main, "rotate the shares for the appliance's rekey ceremony" },
	{ "script", bridge_script_main, "print the ceremony script from a plan, before the day" },
	{ "status", status_main, "seal status of one or more nodes" },
	{ "qr-encode", qrcmd_encode, "write an envelope as QR codes (PNG files)" },
	{ "qr-show", qrcmd_show, "show an envelope as QR codes (terminal, framebuffer)" },
	{ "qr-decode", qrcmd_decode, "read an envelope from QR code images" },
	{ "qr-scan", qrcmd_scan, "read an envelope from a camera" },
	{ "armor", qrcmd_armor, "print an envelope as armored text" },
	{ "dearmor", qrcmd_dearmor, "read an envelope from armored text" },
	{ "unseal", bridge_unseal_main, "unseal every node of a cluster (appliance: unseal)" },
	{ "migrate", bridge_migrate_main, "migrate the seal of every node (appliance: migrate)" },
};

static int
bridge_usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: conclave-bridge [--version] [--help] COMMAND [OPTIONS]\n"
	    "\n"
	    "The networked half of conclave: carries signed envelopes between the\n"
	    "offline appliance and a Vault or OpenBao server. Commands:\n");
	for (i = 0; i < sizeof(bridge_commands) / sizeof(bridge_commands[0]); i++)
		fprintf(f, "  %-12s %s\n", bridge_commands[i].name, bridge_commands[i].summary);
	fprintf(f,
	    "\nThe server is taken from VAULT_ADDR (or BAO_ADDR); see conclave-bridge(1).\n");
	return f == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
	size_t i;
	int e;

	if ((e = secmem_init()) != CK_OK) {
		tty_printw(stderr,
		    "conclave-bridge: cannot secure process memory: %s; "
		    "refusing to run\n", ck_strerror(e));
		return 1;
	}
	if (http_global_init() != CK_OK) {
		tty_printw(stderr,
		    "conclave-bridge: cannot initialise libcurl\n");
		return 1;
	}
	if (sandbox_bridge() != CK_OK) {
		tty_printw(stderr,
		    "conclave-bridge: cannot install its seccomp "
		    "allow-list; refusing to run\n");
		return 1;
	}
	if (argc < 2)
		return bridge_usage(stderr);
	if (strcmp(argv[1], "--version") == 0) {
		printf("conclave-bridge %s\n", CONCLAVE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)
		return bridge_usage(stdout);
	for (i = 0; i < sizeof(bridge_commands) / sizeof(bridge_commands[0]); i++)
		if (bridge_commands[i].run != NULL && strcmp(argv[1], bridge_commands[i].name) == 0)
			return bridge_commands[i].run(argc - 1, argv + 1);
	tty_printw(stderr,
	    "conclave-bridge: unknown command '%s' (try --help)\n", argv[1]);
	return 2;
}
