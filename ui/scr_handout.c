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

enum { ASK, STICK, PASS, DONE };

static int step;
static unsigned k;		/* share index of the holder whose turn it is */
static struct ui_field stickf, passf;
static char *keyfile, *written;

static const struct roster_member *
holder(void)
{
	return roster_holder(ui.roster, k);
}

static void
handout_init(void)
{
	if ((stickf.buf == NULL && ui_field_init(&stickf, 0) != CK_OK) ||
	    (passf.buf == NULL && ui_field_init(&passf, 1) != CK_OK))
		ui_fatal("out of memory");
	ui_field_clear(&passf);
	free(keyfile);
	free(written);
	keyfile = written = NULL;
	k = ui.handed_out + 1;
	step = ASK;
}

static void
handout_draw(void)
{
	const struct roster_member *m = holder();
	int y = UI_TOP;

	ui_progress(y, "Shares handed out and proven:", ui.handed_out,
	    (unsigned)ui.roster->n_holders);
	y += 2;
	switch (step) {
	case ASK:
		attron(A_BOLD);
		ui_text(y, 2, "Is %s at the appliance?", ui_safe(m->name));
		attroff(A_BOLD);
		y = ui_para(y + 2, "Only this holder should be at the keyboard "
		    "now; the others step back. The holder brings their own stick "
		    "and their card or key file.");
		ui_hints("y yes, I am here  Esc not yet");
		break;
	case STICK:
		ui_text(y, 2, "Share %u for %s", k, ui_safe(m->name));
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
		ui_field_draw(y + 3, 2, 76, &stickf);
		ui_para(y + 5, "The encrypted share is written there; stock "
		    "`gpg --decrypt` opens it later. A key file *.sec.asc found "
		    "there is used for the proof, otherwise the smartcard.");
		ui_hints("Enter write the share  Esc back");
		break;
	case PASS:
		ui_text(y, 2, "Share %u for %s", k, ui_safe(m->name));
		ui_text(y + 2, 2, "%s, type the %s to prove your key opens "
		    "the share:", ui_safe(m->name), keyfile != NULL ?
		    "passphrase of your key file" : "PIN of your card");
		ui_field_draw(y + 4, 2, 40, &passf);
		ui_para(y + 6, "Nothing you type is shown. The share is decrypted "
		    "here in locked memory, checked, and wiped; only a keyed "
		    "commitment goes on the record.");
		ui_hints("Enter prove  Esc back");
		break;
	case DONE:
		ui_text(y, 2, "Share %u is on %s's stick and proven.", k,
		    ui_safe(m->name));
		ui_text(y + 2, 2, "File  %s", ui_safe(written));
		ui_para(y + 4, ui.sticks_auto ? "Your stick is synced and "
		    "unmounted: remove it now, and take your card or key file. "
		    "Enter clears the screen before the next holder comes." :
		    "Take your stick and your card or key file. Enter clears the "
		    "screen before the next holder comes.");
		if (ui.kind == UI_KIND_REKEY &&
		    ui.handed_out == ui.roster->n_holders) {
			ui_para(y + 7, "Every new share is handed out. Next, t new "
			    "shares verify the rekey. If the script asks for it, c "
			    "first checks all of them together (each new holder once "
			    "more; the new key is in this appliance's memory for a "
			    "moment).");
			ui_hints("Enter: verify the rekey  c: check all new shares "
			    "first");
		} else
			ui_hints("Enter: done, clear the screen");
		break;
	}
}

static void
to_stick(void)
{
	step = STICK;
	if (ui.sticks_auto) {
		ui_sticks_wait();
		return;
	}
	ui_stick_field(&stickf, holder()->name);
	ui.typing = 1;
}

static void
prove(void)
{
	int r;

	ui_say(0, "Decrypting and checking the share...");
	ui_redraw();
	free(written);
	written = NULL;
	r = init_handout(ui.s, ui.home, k, stickf.buf, keyfile, passf.buf,
	    &written);
	ui_field_clear(&passf);
	if (r == CK_ERR_BAD_PASSPHRASE) {
		ui_say(1, "Wrong %s. Nothing was revealed; type it again.",
		    keyfile != NULL ? "passphrase" : "PIN");
		return;
	}
	/* Written or not, synced and unmounted before anyone pulls it. */
	ui_sticks_done();
	if (r != CK_OK) {
		ui_say_err("The share could not be handed out", r, NULL);
		step = STICK;
		return;
	}
	ui.handed_out++;
	ui.secret = NULL;
	ui.typing = 0;
	ui_say(0, "Decrypt proof recorded for share %u.", k);
	step = DONE;
}

static void
handout_key(int ch)
{
	int f;

	switch (step) {
	case ASK:
		if (ch == 'y' || ch == 'Y')
			to_stick();
		break;
	case STICK:
		if (ui.sticks_auto) {
			if (ch == 27)
				step = ASK;
			break;
		}
		if ((f = ui_stick_key(&stickf, ch, &keyfile)) < 0) {
			step = ASK;
			ui.typing = 0;
		} else if (f > 0) {
			step = PASS;
			ui.secret = &passf;
		}
		break;
	case PASS:
		if ((f = ui_pass_key(&passf, ch)) < 0) {
			ui_sticks_done();
			step = STICK;
		} else if (f > 0)
			prove();
		break;
	case DONE:
		if (ui.handed_out == ui.roster->n_holders &&
		    ui.kind == UI_KIND_REKEY && (ch == 'c' || ch == 'C')) {
			ui.status[0] = '\0';
			ui_goto(UI_SCR_CHECK);
			break;
		}
		if (ch != '\n' && ch != '\r' && ch != KEY_ENTER)
			break;
		ui.status[0] = '\0';
		if (ui.handed_out == ui.roster->n_holders &&
		    ui.kind == UI_KIND_REKEY)
			ui_rekey_verify();
		else if (ui.handed_out == ui.roster->n_holders)
			ui_goto(UI_SCR_REVIEW);
		else
			ui_goto(UI_SCR_HANDOUT);
		break;
	}
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
	if (step == STICK && ui_sticks_take(&stickf, 1, &keyfile)) {
		step = PASS;
		ui.secret = &passf;
	}
}

const struct ui_screen scr_handout = {
	.title = "Handout: one holder at a time",
	.step = "handout",
	.help = "Each holder in turn: confirm you are at the appliance, give the "
	    "folder of your stick, then type your passphrase or PIN. Your share "
	    "is written to your stick encrypted to your key, and your key "
	    "decrypts it here once to prove it works; the share itself is never "
	    "shown or stored. A wrong passphrase changes nothing: type it again.",
	.init = handout_init,
	.draw = handout_draw,
	.key = handout_key,
	.tick = handout_tick,
};
