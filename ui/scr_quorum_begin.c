/*
 * Unseal, migrate, generate-root and dr-token: begin (unseal_begin or
 * generate_root_begin writes the signed request), then the ceremony key as
 * words for the operator to compare on the bridge.
 *
 * A root token and a DR operation token are break-glass: before anything
 * starts the room types why and who authorised it; both go on the record
 * (break-glass-authorised, the authoriser as its actor). In PGP mode the
 * person the server encrypts the token to is picked from the key folder
 * and their key checked as the roster checks an operator's.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#include "ceremony/generate_root.h"
#include "ceremony/unseal.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "ui/ui.h"

enum { REASON, AUTHORISER, RECIPIENT, CONFIRM, BEGUN };

#define PICK_ROWS	10

static int stage;
static struct ui_field reasonf, authf;
static struct ui_keyfile keys[UI_MAX_KEYFILES];
static size_t nkeys, pick;

static int
break_glass(void)
{
	return ui.kind == UI_KIND_GENERATE_ROOT || ui.kind == UI_KIND_DR_TOKEN;
}

static void
qbegin_init(void)
{
	if ((reasonf.buf == NULL && ui_field_init(&reasonf, 0) != CK_OK) ||
	    (authf.buf == NULL && ui_field_init(&authf, 0) != CK_OK))
		ui_fatal("out of memory");
	ui_field_clear(&reasonf);
	ui_field_clear(&authf);
	roster_free(ui.recipient);
	ui.recipient = NULL;
	stage = break_glass() ? REASON : CONFIRM;
	ui.typing = stage == REASON;
}

static const char *
what_text(void)
{
	if (ui.kind == UI_KIND_DR_TOKEN)
		return "DR operation token: a quorum of the PRIMARY cluster's "
		    "holders lets the bridge generate an operation token on the "
		    "DR secondary (Vault Enterprise), which can promote it. The "
		    "token stays on the operator's side.";
	if (ui.kind == UI_KIND_GENERATE_ROOT && ui.pgp_mode)
		return "Break-glass, PGP mode: a quorum of holders lets the "
		    "server generate a new root token encrypted to one person's "
		    "key; it is revoked before this ceremony closes.";
	if (ui.kind == UI_KIND_GENERATE_ROOT)
		return "Break-glass: a quorum of holders lets the bridge generate "
		    "a new root token. The token stays on the operator's side and "
		    "is revoked before this ceremony closes.";
	if (ui.kind == UI_KIND_MIGRATE)
		return "Seal migration: every node has been restarted with its new "
		    "seal configuration and waits for the quorum's shares once "
		    "more. Leaving Shamir, bring your unseal shares; returning to "
		    "it, your recovery shares.";
	return "Unseal brings every sealed node of the cluster back with one "
	    "quorum.";
}

static void
draw_recipient(int y)
{
	size_t i, first = pick >= PICK_ROWS ? pick - PICK_ROWS + 1 : 0;

	ui_text(y++, 2, "Who may read the token? Key files in %.50s",
	    ui_safe(ui.keys_dir));
	for (i = first; i < nkeys && i < first + PICK_ROWS; i++, y++) {
		if (i == pick)
			attron(A_REVERSE);
		ui_text(y, 4, "%-24.24s %.46s", ui_safe(keys[i].name),
		    ui_safe(keys[i].file));
		if (i == pick)
			attroff(A_REVERSE);
	}
	if (nkeys == 0)
		ui_text(y++, 4, "(no public key files: *.asc, *.gpg, *.pgp)");
	ui_para(y + 1, "The server encrypts the new root token to this key; "
	    "Enter checks it.");
	ui_hints("Up/Down choose  Enter check the key  r read again  Esc back");
}

static void
qbegin_draw(void)
{
	char text[400];
	int y = UI_TOP;

	if (stage == BEGUN) {
		y = ui_ceremony_key(y);
		/* this ceremony's bridge command, not every kind's */
		snprintf(text, sizeof(text), "Operator: write the ceremony key "
		    "words down; the bridge shows the words of the key that "
		    "signed the request and they must be the same. Take the "
		    "exchange stick to the operator's workstation and run "
		    "conclave-bridge %s.", ui.kind == UI_KIND_UNSEAL ? "unseal "
		    "(every node's address)" : ui.kind == UI_KIND_MIGRATE ?
		    "migrate (every node's address)" : ui.kind ==
		    UI_KIND_DR_TOKEN ? "dr-token (the DR secondary's address)" :
		    "generate-root");
		y = ui_para(y + 1, text);
		ui_hints("Enter: wait for the bridge's session offer");
		return;
	}
	y = ui_para(y, what_text());
	if (stage == REASON || stage == AUTHORISER) {
		y = ui_para(y + 1, "Break-glass needs a reason and an authoriser "
		    "on the record before it starts. Both go into the transcript.");
		ui_text(y + 1, 2, "Why (the incident):");
		ui_field_draw(y + 1, 24, 54, &reasonf);
		ui_text(y + 3, 2, "Authorised by (name):");
		if (stage == AUTHORISER)
			ui_field_draw(y + 3, 24, 40, &authf);
		ui_hints(stage == REASON ? "Type the reason, Enter  Esc back" :
		    "Type the authoriser's name, Enter  Esc back");
		return;
	}
	if (stage == RECIPIENT) {
		draw_recipient(y + 1);
		return;
	}
	if (break_glass()) {
		ui_text(y + 1, 2, "Why:            %.60s", ui_safe(reasonf.buf));
		ui_text(y + 2, 2, "Authorised by:  %.60s", ui_safe(authf.buf));
		y += 3;
		if (ui.recipient != NULL) {
			ui_text(y++, 2, "Token for:      %.60s",
			    ui_safe(roster_operator(ui.recipient)->name));
			ui_text(y++, 2, "  key %.70s",
			    ui_safe(roster_operator(ui.recipient)->fpr));
		}
	} else {
		y = ui_para(y + 1, "The holders decrypt their shares here, one at "
		    "a time, and each share crosses to the bridge sealed to its "
		    "session key, after a witness has compared the short "
		    "authentication string.");
	}
	y = ui_previous(y + 1);
	y = ui_para(y + 1, "Beginning writes the signed request to the "
	    "exchange stick.");
	ui_bold(y + 1, 2, ui.kind == UI_KIND_GENERATE_ROOT ?
	    "Begin the root-token ceremony? Type y to begin." :
	    ui.kind == UI_KIND_DR_TOKEN ?
	    "Begin the DR operation token ceremony? Type y to begin." :
	    ui.kind == UI_KIND_MIGRATE ?
	    "Begin the seal migration? Type y to begin." :
	    "Begin the unseal ceremony? Type y to begin.");
	ui_hints("y begin  Esc back");
}

/* A name or reason as the record takes it: 1..max printable characters. */
static int
field_ok(const struct ui_field *f, size_t max)
{
	return f->len > 0 && f->len <= max &&
	    rd_printable_utf8(f->buf, f->len, 0) == CK_OK;
}

static void
check_recipient(void)
{
	struct roster *ro = NULL;
	char *path;
	int r;

	if (nkeys == 0)
		return;
	if (asprintf(&path, "%s/%s", ui.keys_dir, keys[pick].file) < 0)
		ui_fatal("out of memory");
	if ((r = roster_new(&ro)) == CK_OK)
		r = roster_add_keyfile(ro, ui.home, keys[pick].name,
		    ROSTER_OPERATOR, path);
	free(path);
	if (r != CK_OK) {
		/* The same refusal conclave generate-root begin --pgp-key gives. */
		ui_say(1, "%s: %s (%s)", ui_safe(keys[pick].file),
		    ck_strerror(r), ck_errname(r));
		roster_free(ro);
		return;
	}
	ui.recipient = ro;
	stage = CONFIRM;
}

static void
begin(void)
{
	const char *kind = ui.kind == UI_KIND_DR_TOKEN ? KIND_DR_TOKEN :
	    ui.kind == UI_KIND_GENERATE_ROOT ? KIND_GENERATE_ROOT :
	    ui.kind == UI_KIND_MIGRATE ? KIND_MIGRATE : KIND_UNSEAL;
	const uint8_t *prev = ui.has_prev ? ui.prev : NULL;
	int r;

	if (break_glass())
		r = generate_root_begin(kind, ui.state_dir, ui.exchange,
		    ui.recipient, prev, ui.handout, &ui.s);
	else
		r = unseal_begin(kind, ui.state_dir, ui.exchange, prev, ui.handout,
		    &ui.s);
	if (r != CK_OK) {
		ui_say_err("The ceremony could not begin", r,
		    session_begin_why(ui.exchange, r));
		return;
	}
	if (break_glass() && (r = ui_record("break-glass-authorised", authf.buf,
	    json_pack("{s:s}", "reason", reasonf.buf))) != CK_OK)
		ui_say_err("recording the authorisation", r, NULL);
	else if ((r = ui_flush_pending()) != CK_OK)
		ui_say_err("recording", r, NULL);
	else
		ui_say(0, "The ceremony has begun.");
	stage = BEGUN;
}

static void
qbegin_key(int ch)
{
	int k;

	switch (stage) {
	case REASON:
	case AUTHORISER:
		k = ui_field_key(stage == REASON ? &reasonf : &authf, ch);
		if (k < 0) {
			ui.typing = 0;
			ui_goto(UI_SCR_START);
		} else if (k > 0 && stage == REASON) {
			if (field_ok(&reasonf, UI_FIELD_MAX))
				stage = AUTHORISER;
			else
				ui_say(1, "Type the reason: printable text.");
		} else if (k > 0) {
			if (!field_ok(&authf, ROSTER_NAME_MAX)) {
				ui_say(1, "A name is 1 to %d printable characters.",
				    ROSTER_NAME_MAX);
				return;
			}
			ui.typing = 0;
			stage = ui.pgp_mode ? RECIPIENT : CONFIRM;
			if (ui.pgp_mode) {
				nkeys = ui_scan_keyfiles(keys, UI_MAX_KEYFILES);
				pick = 0;
			}
		}
		break;
	case RECIPIENT:
		if (ch == KEY_UP && pick > 0)
			pick--;
		else if (ch == KEY_DOWN && pick + 1 < nkeys)
			pick++;
		else if (ch == 'r')
			nkeys = ui_scan_keyfiles(keys, UI_MAX_KEYFILES), pick = 0;
		else if (ch == 27)
			ui_goto(UI_SCR_START);
		else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			check_recipient();
		break;
	case CONFIRM:
		if (ch == 27)
			ui_goto(UI_SCR_START);
		else if (ch == 'y' || ch == 'Y')
			begin();
		break;
	case BEGUN:
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			ui_goto(UI_SCR_SAS);
		break;
	}
}

const struct ui_screen scr_quorum_begin = {
	.title = "Begin the ceremony",
	.step = "request",
	.help = "Beginning creates the ceremony: a fresh ceremony key, the "
	    "transcript, and the signed request on the exchange stick. The "
	    "bridge answers with a session offer (the nodes, or the server's "
	    "nonce). A root token or DR operation token first needs the reason "
	    "and who authorised it; in PGP mode, the key the token is "
	    "encrypted to (any key file in the key folder; Enter checks it).",
	.init = qbegin_init,
	.draw = qbegin_draw,
	.key = qbegin_key,
};
