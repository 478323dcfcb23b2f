/*
 * First screen: which ceremony. Init and rekey start with the roster;
 * unseal, generate-root (OTP or PGP mode), migrate and dr-token with the
 * request (their holders are whoever brings a share). New choices go at the
 * end: a room's printed script names them by number.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ceremony/session.h"
#include "crypto/errors.h"
#include "ui/ui.h"

struct choice {
	const char *label;
	const char *what;
	enum ui_screen_id first;	/* the ceremony's first screen */
	enum ui_kind kind;
	int pgp;		/* generate-root in PGP mode */
};

static const struct choice choices[] = {
	{ "Initialise a cluster (init)",
	  "New Vault/OpenBao cluster: unseal or recovery shares encrypted to "
	  "each holder's OpenPGP key, handed out one holder at a time.",
	  UI_SCR_ROSTER, UI_KIND_INIT, 0 },
	{ "Unseal",
	  "Bring every sealed node of a cluster back with one quorum of "
	  "holders; shares cross to the bridge sealed to its session.",
	  UI_SCR_QUORUM_BEGIN, UI_KIND_UNSEAL, 0 },
	{ "Rekey (rotate the shares)",
	  "New shares for a new roster: a quorum of the old shares starts it, "
	  "each new holder proves their new share (optionally all n are "
	  "checked together), and t new shares verify the rekey before the "
	  "old ones stop working.",
	  UI_SCR_ROSTER, UI_KIND_REKEY, 0 },
	{ "Regenerate a root token",
	  "Break-glass: a quorum of holders lets the bridge make a new root "
	  "token (OTP mode: the token never crosses the airgap); it is "
	  "revoked before the ceremony closes.", UI_SCR_QUORUM_BEGIN,
	  UI_KIND_GENERATE_ROOT, 0 },
	{ "Migrate the seal",
	  "Shamir to auto-unseal, or back: every node restarted with its new "
	  "seal configuration takes the quorum's shares once more; afterwards "
	  "unseal shares are recovery shares, or the other way round.",
	  UI_SCR_QUORUM_BEGIN, UI_KIND_MIGRATE, 0 },
	{ "Regenerate a root token (PGP mode)",
	  "Break-glass, the token encrypted by the server to one person's "
	  "OpenPGP key (a key file from the key folder): only they can read "
	  "it. It is revoked before the ceremony closes.",
	  UI_SCR_QUORUM_BEGIN, UI_KIND_GENERATE_ROOT, 1 },
	{ "DR operation token (Vault Enterprise)",
	  "Disaster recovery: the primary cluster's quorum lets the bridge "
	  "make an operation token on the DR secondary (to promote it). The "
	  "ceremony closes when the token is issued.",
	  UI_SCR_QUORUM_BEGIN, UI_KIND_DR_TOKEN, 0 },
};
#define NCHOICES	(sizeof(choices) / sizeof(choices[0]))

static unsigned sel;
/* The kind of a closed ceremony in the state folder ("" when none): a
 * begin there would only be refused, after the roster, as "not empty". */
static char closed_kind[SESSION_PEEK_MAX];

static void
start_init(void)
{
	char phase[SESSION_PEEK_MAX];

	sel = 0;
	if (session_peek(ui.state_dir, closed_kind, phase) != CK_OK ||
	    strcmp(phase, "closed") != 0)
		closed_kind[0] = '\0';
}

static void
start_draw(void)
{
	unsigned i;
	int y = UI_TOP + 1;

	ui_text(y, 2, "Which ceremony is this?");
	y += 2;
	for (i = 0; i < NCHOICES; i++, y++) {
		if (i == sel)
			attron(A_REVERSE);
		ui_text(y, 4, "%u  %-38s", i + 1, choices[i].label);
		if (i == sel)
			attroff(A_REVERSE);
	}
	ui_para(y + 1, choices[sel].what);
	if (closed_kind[0] != '\0') {
		char text[3 * UI_COLS];

		snprintf(text, sizeof(text), "This state folder holds a closed "
		    "%s ceremony. Archive it (conclave archive), then start the "
		    "UI on an empty state folder (--state); its transcript can "
		    "be the next one's previous transcript.", ui_safe(closed_kind));
		attron(A_BOLD);
		ui_para(y + 5, text);
		attroff(A_BOLD);
	}
	if (ui.has_prev && closed_kind[0] == '\0')
		ui_previous(y + 5);
	ui_hints("Up/Down choose  Enter start  p previous ceremony  Ctrl-Q "
	    "leave");
}

static void
start_key(int ch)
{
	if (ch == KEY_UP && sel > 0)
		sel--;
	else if (ch == KEY_DOWN && sel + 1 < NCHOICES)
		sel++;
	else if (ch == 'p' && (ui.archive_dir != NULL || ui.sticks_auto))
		ui_goto(UI_SCR_PREVIOUS);
	else if (ch == 'p')
		ui_say(1, "No archive to read: the archive stick needs --sticks "
		    "auto, a folder --archive DIR.");
	else if (ch >= '1' && ch < '1' + (int)NCHOICES)
		sel = (unsigned)(ch - '1');
	else if ((ch == '\n' || ch == '\r' || ch == KEY_ENTER) &&
	    closed_kind[0] != '\0')
		ui_say(1, "A closed %s ceremony is here: use an empty state "
		    "folder (--state).", ui_safe(closed_kind));
	else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		ui.kind = choices[sel].kind;
		ui.pgp_mode = choices[sel].pgp;
		ui_goto(choices[sel].first);
	}
}

const struct ui_screen scr_start = {
	.title = "Choose the ceremony",
	.step = "start",
	.help = "Pick the ceremony the script for today names. Init creates a "
	    "new cluster's shares; it is done once per cluster. A root token "
	    "(OTP or PGP mode) and a DR operation token are break-glass: the "
	    "room records why and who authorised it before anything starts. "
	    "The rekey's check of all new shares is offered after its "
	    "handouts. Use the arrow keys or the number, then Enter. p takes "
	    "the previous ceremony of the chain from the archive stick.",
	.init = start_init,
	.draw = start_draw,
	.key = start_key,
};
