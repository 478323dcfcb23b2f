/*
 * Waiting for the bridge's closing-result (the initial root token is
 * revoked, and a lookup with it is refused), then init_close: recorded,
 * and the witnesses' review (scr_review) closes the transcript after it.
 */
#include <curses.h>
#include <stdio.h>
#include <time.h>

#include "ceremony/init.h"
#include "crypto/errors.h"
#include "ui/ui.h"

static time_t since;
static int refused;

static void
close_init(void)
{
	since = time(NULL);
	refused = 0;
}

static void
close_draw(void)
{
	int y = UI_TOP;

	y = ui_para(y, "Operator: configure the server with the initial root "
	    "token (it was encrypted to your key), then give the token back to "
	    "conclave-bridge. It revokes the token, checks that a lookup with it "
	    "is refused, and writes the proof to the exchange stick.");
	y = ui_para(y + 1, "Bring the stick back here. The witnesses then review "
	    "the ceremony, and the transcript is closed and signed.");
	if (refused) {
		ui_bold(y + 1, 2, "The closing result was refused (see below).");
		ui_hints("r read the stick again");
	} else {
		ui_text(y + 1, 2, "Waiting for the closing result... %lds",
		    (long)(time(NULL) - since));
		ui_hints("The stick is read as soon as the proof is on it");
	}
}

static void
close_tick(void)
{
	char why[256] = "", did[UI_COLS];
	int r;

	if (refused || !ui_envelope_waiting())
		return;
	if ((r = init_close(ui.s, ui.head, why, sizeof(why))) != CK_OK) {
		ui_say_err("Closing result refused", r, why);
		refused = 1;
		return;
	}
	snprintf(did, sizeof(did), "%u of %zu shares handed out and proven.",
	    ui.handed_out, ui.roster->n_holders);
	ui_ended(ui_completed(), did);
}

static void
close_key(int ch)
{
	if (refused && ch == 'r')
		close_init();
}

static const char *
close_waiting(void)
{
	return refused ? NULL : "the operator gives the initial root token back "
	    "to conclave-bridge init, which revokes it and writes the proof.";
}

const struct ui_screen scr_close = {
	.title = "Closing: the initial root token is revoked",
	.step = "close",
	.help = "The initial root token must not outlive the ceremony. The "
	    "operator uses it for the first configuration, then hands it to the "
	    "bridge, which revokes it and proves the revocation. Only then do "
	    "the witnesses review the ceremony and the transcript close.",
	.init = close_init,
	.draw = close_draw,
	.key = close_key,
	.tick = close_tick,
	.waiting = close_waiting,
};
