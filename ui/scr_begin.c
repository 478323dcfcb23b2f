/*
 * The last look before the ceremony exists, then init_begin: the roster
 * is saved, the transcript opened, and the signed init request written to
 * the exchange folder. Afterwards the ceremony key is shown as words for
 * the operator to compare on the bridge.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ceremony/init.h"
#include "ceremony/rekey.h"
#include "crypto/errors.h"
#include "ui/ui.h"

static int begun;

static void
begin_init(void)
{
	begun = 0;
}

static void
draw_confirm(void)
{
	const struct roster_member *op = roster_operator(ui.roster);
	size_t i;
	int y = UI_TOP;

	ui_text(y++, 2, "Shares        %zu %s shares, any %u of them unseal",
	    ui.roster->n_holders, ui.recovery ? "recovery" : "unseal",
	    ui.threshold);
	if (op != NULL)
		ui_text(y++, 2, "Operator      %s%s", ui_safe(op->name),
		    ui.kind == UI_KIND_INIT ? " (receives the initial root token)" :
		    "");
	for (i = 0; i < ui.roster->n && y < UI_BOTTOM - 6; i++) {
		if (ui.roster->m[i].role == ROSTER_HOLDER)
			ui_text(y++, 2, "Share %-7u %s", ui.roster->m[i].share_index,
			    ui_safe(ui.roster->m[i].name));
		else if (ui.roster->m[i].role == ROSTER_WITNESS)
			ui_text(y++, 2, "Witness       %s", ui_safe(ui.roster->m[i].name));
	}
	y = ui_previous(y);
	y = ui_para(y, "Every key was confirmed. Beginning creates the "
	    "ceremony: its key, its transcript, and the signed request on the "
	    "exchange stick. This cannot be undone; a mistake from here on "
	    "means a new ceremony.");
	ui_bold(y + 1, 2, ui.kind == UI_KIND_REKEY ?
	    "Begin the rekey ceremony? Type y to begin." :
	    "Begin the init ceremony? Type y to begin.");
	ui_hints("y begin  Esc back to the roster");
}

static void
draw_begun(void)
{
	int y = ui_ceremony_key(UI_TOP);

	y = ui_para(y + 1, ui.kind == UI_KIND_REKEY ? "Operator: write the "
	    "ceremony key words down. The bridge shows the words of the key that "
	    "signed the request; they must be the same." : "Operator: write the "
	    "ceremony key words down. The bridge shows the words of the key that "
	    "signed the request and asks for these, read aloud by a witness; it "
	    "initialises the server only when they match.");
	ui_para(y + 1, ui.kind == UI_KIND_REKEY ? "The rekey request is on the "
	    "exchange stick. Take the stick to the operator's workstation and "
	    "run conclave-bridge rekey." : "The init request is on the exchange "
	    "stick. Take the stick to the operator's workstation and run "
	    "conclave-bridge init.");
	ui_hints("Enter: wait for the bridge's answer");
}

static void
begin_draw(void)
{
	if (begun)
		draw_begun();
	else
		draw_confirm();
}

static void
record_confirmations(void)
{
	size_t i;

	for (i = 0; i < ui.roster->n; i++)
		if (ui_record("fingerprint-confirmed", ui.roster->m[i].name,
		    json_pack("{s:s}", "fingerprint", ui.roster->m[i].fpr)) != CK_OK)
			ui_say(1, "could not record %s's confirmation",
			    ui_safe(ui.roster->m[i].name));
}

static void
begin_key(int ch)
{
	int r;

	if (begun) {
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			ui_goto(ui.kind == UI_KIND_REKEY ? UI_SCR_SAS : UI_SCR_RESULT);
		return;
	}
	if (ch == 27) {
		ui_goto(UI_SCR_ROSTER);
		return;
	}
	if (ch != 'y' && ch != 'Y')
		return;
	ui_say(0, "Writing the init request...");
	ui_redraw();
	if (ui.kind == UI_KIND_REKEY)
		r = rekey_begin(ui.state_dir, ui.exchange, ui.roster, ui.threshold,
		    ui.recovery, ui.has_prev ? ui.prev : NULL, ui.handout, &ui.s);
	else
		r = init_begin(ui.state_dir, ui.exchange, ui.roster, ui.threshold,
		    ui.recovery ? INIT_RECOVERY : INIT_UNSEAL,
		    ui.has_prev ? ui.prev : NULL, &ui.s);
	if (r != CK_OK) {
		ui_say_err("The ceremony could not begin", r,
		    session_begin_why(ui.exchange, r));
		return;
	}
	if ((r = ui_flush_pending()) != CK_OK)
		ui_say_err("recording", r, NULL);
	record_confirmations();
	if (ui.status_bad == 0)
		ui_say(0, "The ceremony has begun.");
	begun = 1;
}

const struct ui_screen scr_begin = {
	.title = "Begin the ceremony",
	.step = "begin",
	.help = "Check the summary with everyone present. Beginning is the "
	    "point of no return: the request is signed with a fresh ceremony "
	    "key and written to the exchange stick. Esc goes back to change the "
	    "roster instead.",
	.init = begin_init,
	.draw = begin_draw,
	.key = begin_key,
};
