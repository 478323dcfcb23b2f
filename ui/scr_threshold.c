/*
 * The threshold and the kind of shares, checked by the engine's own rule
 * (kinds_check_quorum).
 */
#include <curses.h>
#include <stdio.h>

#include "ceremony/init.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "ui/ui.h"

static struct ui_field tf;

static void
threshold_init(void)
{
	char def[24];

	if (tf.buf == NULL && ui_field_init(&tf, 0) != CK_OK)
		ui_fatal("out of memory");
	snprintf(def, sizeof(def), "%zu", ui.roster->n_holders / 2 + 1 >
	    ui.roster->n_holders ? ui.roster->n_holders :
	    ui.roster->n_holders / 2 + 1);
	ui_field_set(&tf, def);
	ui.typing = 1;
}

static void
threshold_draw(void)
{
	int y = UI_TOP + 1;

	ui_text(y, 2, "%zu holders, so %zu shares.", ui.roster->n_holders,
	    ui.roster->n_holders);
	y += 2;
	ui_text(y, 2, "How many of them are needed to unseal (threshold)?");
	ui_field_draw(y, 56, 6, &tf);
	y += 2;
	ui_text(y, 2, "Shares: %s", ui.recovery ?
	    "RECOVERY shares (the server auto-unseals)" :
	    "UNSEAL shares (Shamir seal)");
	y = ui_para(y + 2, "The threshold is the quorum for every later "
	    "ceremony: unseal, rekey and root-token regeneration all need this "
	    "many holders in the room.");
	ui_hints("Digits  Tab unseal/recovery  Enter next  Esc back");
}

static void
threshold_key(int ch)
{
	unsigned long long t;
	int k, r;

	if (ch == '\t') {
		ui.recovery = !ui.recovery;
		return;
	}
	if (ch != 27 && ch != '\n' && ch != '\r' && ch != KEY_ENTER &&
	    ch != KEY_BACKSPACE && ch != 127 && ch != 8 && (ch < '0' || ch > '9'))
		return;
	k = ui_field_key(&tf, ch);
	if (k < 0) {
		ui_goto(UI_SCR_ROSTER);
		return;
	}
	if (k == 0)
		return;
	if (rd_parse_uint(tf.buf, 1, KIND_MAX_SHARES, &t) != CK_OK) {
		ui_say(1, "The threshold is a number from 1 to %zu.",
		    ui.roster->n_holders);
		return;
	}
	if ((r = kinds_check_quorum((unsigned)ui.roster->n_holders,
	    (unsigned)t)) != CK_OK) {
		ui_say(1, "%llu of %zu is not allowed: 2 <= threshold <= holders "
		    "(%s)", t, ui.roster->n_holders, ck_errname(r));
		return;
	}
	ui.threshold = (unsigned)t;
	ui_goto(UI_SCR_FPR);
}

const struct ui_screen scr_threshold = {
	.title = "Quorum",
	.step = "threshold",
	.help = "Type the threshold: how many holders must come together to "
	    "unseal. The server's rule: at least 2 when there are several "
	    "shares, at most the number of holders. Tab switches between unseal "
	    "shares (a Shamir-sealed server) and recovery shares (a server with "
	    "auto-unseal, e.g. a KMS or static seal).",
	.init = threshold_init,
	.draw = threshold_draw,
	.key = threshold_key,
};
