/*
 * Unseal: begin (unseal_begin writes the signed unseal request), then the
 * ceremony key as words for the operator to compare on the bridge.
 */
#include <curses.h>

#include "ceremony/generate_root.h"
#include "ceremony/unseal.h"
#include "crypto/errors.h"
#include "ui/ui.h"

static int begun;

static void
qbegin_init(void)
{
	begun = 0;
}

static void
qbegin_draw(void)
{
	int y = UI_TOP;

	if (begun) {
		y = ui_ceremony_key(y);
		y = ui_para(y + 1, "Operator: write the ceremony key words down; "
		    "the bridge shows the key that signed the request. Take the "
		    "exchange stick to the operator's workstation and run "
		    "conclave-bridge unseal or migrate (every node's address) "
		    "or generate-root.");
		ui_hints("Enter: wait for the bridge's session offer");
		return;
	}
	y = ui_para(y, ui.kind == UI_KIND_GENERATE_ROOT ? "Break-glass: a quorum of "
	    "holders lets the bridge generate a new root token. The token stays "
	    "on the operator's side and is revoked before this ceremony closes." :
	    ui.kind == UI_KIND_MIGRATE ? "Seal migration: every node has been "
	    "restarted with its new seal configuration and waits for the "
	    "quorum's shares once more. Leaving Shamir, bring your unseal "
	    "shares; returning to it, your recovery shares." :
	    "Unseal brings every sealed node of the cluster back with one "
	    "quorum.");
	y = ui_para(y + 1, "The holders decrypt their shares here, one at a "
	    "time, and each share crosses to the bridge sealed to its session "
	    "key, after a witness has compared the short authentication string.");
	y = ui_previous(y + 1);
	y = ui_para(y + 1, "Beginning writes the signed request to the "
	    "exchange stick.");
	ui_bold(y + 1, 2, ui.kind == UI_KIND_GENERATE_ROOT ?
	    "Begin the root-token ceremony? Type y to begin." :
	    ui.kind == UI_KIND_MIGRATE ?
	    "Begin the seal migration? Type y to begin." :
	    "Begin the unseal ceremony? Type y to begin.");
	ui_hints("y begin  Esc back");
}

static void
qbegin_key(int ch)
{
	int r;

	if (begun) {
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			ui_goto(UI_SCR_SAS);
		return;
	}
	if (ch == 27) {
		ui_goto(UI_SCR_START);
		return;
	}
	if (ch != 'y' && ch != 'Y')
		return;
	if (ui.kind == UI_KIND_GENERATE_ROOT)
		r = generate_root_begin(KIND_GENERATE_ROOT, ui.state_dir, ui.exchange, NULL,
		    ui.has_prev ? ui.prev : NULL, &ui.s);
	else
		r = unseal_begin(ui.kind == UI_KIND_MIGRATE ? KIND_MIGRATE :
		    KIND_UNSEAL, ui.state_dir, ui.exchange,
		    ui.has_prev ? ui.prev : NULL, &ui.s);
	if (r != CK_OK) {
		ui_say_err("The ceremony could not begin", r,
		    r == CK_ERR_EXISTS ? "the state folder is not empty" : NULL);
		return;
	}
	if ((r = ui_flush_pending()) != CK_OK)
		ui_say_err("recording", r, NULL);
	else
		ui_say(0, "The ceremony has begun.");
	begun = 1;
}

const struct ui_screen scr_quorum_begin = {
	.title = "Begin the ceremony",
	.step = "request",
	.help = "Beginning creates the ceremony: a fresh ceremony key, the "
	    "transcript, and the signed unseal request on the exchange stick. "
	    "The bridge answers with a session offer listing the nodes.",
	.init = qbegin_init,
	.draw = qbegin_draw,
	.key = qbegin_key,
};
