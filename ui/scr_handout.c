/*
 * One holder at a time: "is NAME at the appliance?", their stick, their
 * passphrase or PIN (masked, in secmem, wiped right after use), then
 * init_handout writes the encrypted share to the stick and checks the
 * decrypt proof. The screen is cleared between holders.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/init.h"
#include "ceremony/quorum.h"
#include "ceremony/rekey.h"
#include "crypto/errors.h"
#include "ui/ui.h"

static struct ui_turn turn;	/* turn.k: the share of the holder at the appliance */
static char *written;

static const struct roster_member *
holder(void)
{
	return roster_holder(ui.roster, turn.k);
}

/* Holders take their handouts in any order: those without one wait. */
static int
handout_pending(unsigned k)
{
	return !init_handed_out(ui.s, k);
}

/* The stick before the PIN: it must bring this holder's key. */
static int
handout_stick_ok(void)
{
	return ui_turn_holders_key(&turn);
}

static void
handout_init(void)
{
	ui_turn_init(&turn, 1, handout_stick_ok, handout_pending);
	free(written);
	written = NULL;
	if (!ui_turn_next(&turn))
		ui_fatal("no holder is waiting for a handout");
}

static void
handout_draw(void)
{
	const struct roster_member *m = holder();
	char text[320];
	int y = UI_TOP;

	ui_progress(y, "Shares handed out and proven:", ui.handed_out,
	    (unsigned)ui.roster->n_holders);
	y += 2;
	switch (turn.step) {
	case UI_TURN_PICK:
		ui_turn_draw_pick(&turn, y);
		break;
	case UI_TURN_ASK:
		attron(A_BOLD);
		ui_text(y, 2, "Is %s at the appliance?", ui_safe(m->name));
		attroff(A_BOLD);
		y = ui_para(y + 2, "Only this holder should be at the keyboard "
		    "now; the others step back. The holder brings their own stick "
		    "and their card or key file.");
		ui_hints("y yes, I am here  o another holder is here first");
		break;
	case UI_TURN_STICK:
		ui_text(y, 2, "Share %u for %s", turn.k, ui_safe(m->name));
		if (ui.sticks_auto) {
			ui_bold(y + 2, 2, "Insert your stick now.");
			ui_para(y + 4, "It is mounted read-write to write your "
			    "encrypted share, then synced and unmounted. A stick that "
			    "was in already does not count: take it out and put it in "
			    "again.");
			ui_hints("Esc back");
			break;
		}
		ui_text(y + 2, 2, "Holder's stick (folder):");
		ui_field_draw(y + 3, 2, 76, &turn.stick);
		ui_para(y + 5, "The encrypted share is written there; stock "
		    "`gpg --decrypt` opens it later. A key file *.sec.asc found "
		    "there is used for the proof, otherwise the smartcard.");
		ui_hints("Enter write the share  Esc back");
		break;
	case UI_TURN_PASS:
		ui_text(y, 2, "Share %u for %s", turn.k, ui_safe(m->name));
		ui_text(y + 2, 2, "%s, type the %s to prove your key opens "
		    "the share:", ui_safe(m->name), turn.keyfile != NULL ?
		    "passphrase of your key file" : "PIN of your card");
		ui_field_draw(y + 4, 2, 40, &turn.pass);
		ui_para(y + 6, "Nothing you type is shown. The share is decrypted "
		    "here in locked memory, checked, and wiped; only a keyed "
		    "commitment goes on the record.");
		ui_hints("Enter prove  Esc back");
		break;
	case UI_TURN_OVER:
		ui_text(y, 2, "Share %u is on %s's stick and proven.", turn.k,
		    ui_safe(m->name));
		ui_text(y + 2, 2, "File  %s", ui_safe(written));
		ui_para(y + 4, ui.sticks_auto ? "Your stick is synced and "
		    "unmounted: remove it now, and take your card or key file. "
		    "Enter clears the screen before the next holder comes." :
		    "Take your stick and your card or key file. Enter clears the "
		    "screen before the next holder comes.");
		if (ui.kind == UI_KIND_REKEY &&
		    ui.handed_out == ui.roster->n_holders) {
			snprintf(text, sizeof(text), "Every new share is handed "
			    "out. Next, %lld new shares verify the rekey. If the "
			    "script asks for it, c first checks all of them "
			    "together (each new holder once more; the new key is "
			    "in this appliance's memory for a moment).",
			    (long long)json_integer_value(json_object_get(
			    ui.s->ext, "t")));
			ui_para(y + 7, text);
			ui_hints("Enter: verify the rekey  c: check all new shares "
			    "first");
		} else
			ui_hints("Enter: done, clear the screen");
		break;
	}
}

static void
prove(void)
{
	int r;

	ui_say(0, "Decrypting and checking the share...");
	ui_redraw();
	free(written);
	written = NULL;
	r = init_handout(ui.s, ui.home, turn.k, turn.stick.buf, turn.keyfile,
	    turn.pass.buf, &written);
	if (!ui_turn_used(&turn, r))
		return;
	if (r != CK_OK) {
		ui_say_err("The share could not be handed out", r, NULL);
		return;
	}
	ui.handed_out++;
	ui_say(0, "Decrypt proof recorded for share %u.", turn.k);
}

static void
handout_key(int ch)
{
	if (turn.step != UI_TURN_OVER) {
		if (ui_turn_key(&turn, ch) == UI_TURN_USE)
			prove();
		return;
	}
	if (ui.handed_out == ui.roster->n_holders &&
	    ui.kind == UI_KIND_REKEY && (ch == 'c' || ch == 'C')) {
		ui.status[0] = '\0';
		ui_goto(UI_SCR_CHECK);
		return;
	}
	if (ch != '\n' && ch != '\r' && ch != KEY_ENTER)
		return;
	ui.status[0] = '\0';
	if (ui.handed_out == ui.roster->n_holders &&
	    ui.kind == UI_KIND_REKEY)
		ui_rekey_verify();
	else if (ui.handed_out == ui.roster->n_holders)
		ui_goto(UI_SCR_CLOSE);
	else
		ui_goto(UI_SCR_HANDOUT);
}

void
ui_rekey_verify(void)
{
	char why[256] = "";
	int r;

	if ((r = rekey_verify_start(ui.s, why, sizeof(why))) != CK_OK) {
		ui_say_err("The verification cannot start", r, why);
		return;
	}
	ui.quorum_given = 0;
	ui_goto(UI_SCR_QUORUM_SHARE);
	ui_say(0, "Every new share is proven. Now %u new holders verify the "
	    "rekey.", quorum_threshold(ui.s));
}

/* --sticks auto: the holder's stick, once inserted and mounted. */
static void
handout_tick(void)
{
	ui_turn_tick(&turn);
}

const struct ui_screen scr_handout = {
	.title = "Handout: one holder at a time",
	.step = "handout",
	.help = "Holders come in any order: the screen asks for the first one "
	    "still waiting, and o picks another who is here, so a late holder "
	    "blocks nobody. Confirm you are at the appliance, insert your stick "
	    "(or give its folder in a rehearsal); it must bring your key before "
	    "you type your passphrase or PIN. Your share "
	    "is written to your stick encrypted to your key, and your key "
	    "decrypts it here once to prove it works; the share itself is never "
	    "shown or stored. A wrong passphrase changes nothing: type it again.",
	.init = handout_init,
	.draw = handout_draw,
	.key = handout_key,
	.tick = handout_tick,
};
