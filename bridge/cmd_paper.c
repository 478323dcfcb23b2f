/*
 * The two paper commands: parse options, load the plan, print. All the
 * checking is paper/plan.c's, all the layout paper/script.c's.
 */
#include "bridge/cmd_paper.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/errors.h"
#include "media/tty.h"
#include "paper/plan.h"
#include "paper/script.h"

static int
usage(FILE *f, const char *cmd)
{
	fprintf(f,
	    "usage: conclave-bridge %s PLAN.json --out FILE.pdf [--paper a4|letter]\n",
	    cmd);
	if (strcmp(cmd, "script") != 0)
		fprintf(f,
		    "       conclave-bridge %s --key KEYFILE --name NAME --out FILE.pdf\n"
		    "                       [--date YYYY-MM-DD] [--paper a4|letter]\n", cmd);
	fprintf(f, "\n");
	if (strcmp(cmd, "script") == 0)
		fprintf(f,
		    "Print the ceremony script from a plan (docs/paper.md): a cover\n"
		    "with the roles and the roster, every step numbered as the\n"
		    "appliance's screens number them (who acts, what they do, what the\n"
		    "screen shows, a checkbox, a time box, initials boxes), each\n"
		    "member's fingerprint as words where it is read aloud, blanks for\n"
		    "the words made on the day, an exceptions page and an attestation\n"
		    "page with a signature line for everyone.\n");
	else
		fprintf(f,
		    "Print one card per holder from a plan (docs/paper.md): their key's\n"
		    "fingerprint as hex and as PGP words, to bring to the ceremony and\n"
		    "compare with the screen. With --key, a holder prints their own card\n"
		    "from their own public key, independently of the operator's plan\n"
		    "(dated --date, default today).\n");
	fprintf(f,
	    "\n"
	    "  --out FILE.pdf       a new file (an existing one is not replaced)\n"
	    "  --paper a4|letter    page size (default a4)\n"
	    "\n"
	    "The plan's key files are read by conclave's own OpenPGP parser (no\n"
	    "keyring is touched). Exit status: 0 printed, 1 refused (bad plan or\n"
	    "file), 2 usage error.\n");
	return f == stdout ? 0 : 2;
}

static int
run(int argc, char **argv, int cards)
{
	const char *cmd = cards ? "holder-cards" : "script";
	const char *plan_path = NULL, *out = NULL, *key = NULL, *name = NULL;
	const char *date = NULL;
	char today[PAPER_DATE_MAX];
	time_t now = time(NULL);
	enum paper_size size = PAPER_A4;
	static struct plan pl;	/* large: 510 members */
	char why[256];
	int i, e;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout, cmd);
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && out == NULL)
			out = argv[++i];
		else if (cards && strcmp(argv[i], "--key") == 0 && i + 1 < argc &&
		    key == NULL)
			key = argv[++i];
		else if (cards && strcmp(argv[i], "--name") == 0 && i + 1 < argc &&
		    name == NULL)
			name = argv[++i];
		else if (cards && strcmp(argv[i], "--date") == 0 && i + 1 < argc &&
		    date == NULL)
			date = argv[++i];
		else if (strcmp(argv[i], "--paper") == 0 && i + 1 < argc) {
			if (paper_size_parse(argv[++i], &size) != CK_OK)
				return usage(stderr, cmd);
		} else if (argv[i][0] != '-' && plan_path == NULL)
			plan_path = argv[i];
		else
			return usage(stderr, cmd);
	}
	if (out == NULL || (plan_path == NULL) == (key == NULL) ||
	    (key == NULL) != (name == NULL) || (date != NULL && key == NULL))
		return usage(stderr, cmd);
	if (date == NULL)
		strftime(today, sizeof(today), "%Y-%m-%d", gmtime(&now));
	e = plan_path != NULL ? plan_load(plan_path, &pl, why, sizeof(why)) :
	    plan_one_holder(name, key, date != NULL ? date : today, &pl, why,
	    sizeof(why));
	if (e != CK_OK) {
		tty_printw(stderr, "conclave-bridge %s: %s: %s [%s]\n", cmd,
		    plan_path != NULL ? plan_path : key,
		    why[0] != '\0' ? why : ck_strerror(e), ck_errname(e));
		return 1;
	}
	e = cards ? script_holder_cards(&pl, out, size) :
	    script_write(&pl, out, size);
	if (e != CK_OK) {
		tty_printw(stderr,
		    "conclave-bridge %s: %s: %s [%s]\n", cmd, out,
		    ck_strerror(e), ck_errname(e));
		return 1;
	}
	tty_printw(stdout, "%s: %s for %s on %s, %zu holder(s)\n", out,
	    cards ? "holder cards" : "ceremony script", pl.kind != NULL ?
	    pl.kind->kind : "any ceremony", pl.date, pl.n_holders);
	return 0;
}

int
bridge_script_main(int argc, char **argv)
{
	return run(argc, argv, 0);
}

int
bridge_holder_cards_main(int argc, char **argv)
{
	return run(argc, argv, 1);
}
