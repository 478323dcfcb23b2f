/*
 * Rekey, optional: every new holder decrypts their new share here once
 * more and the engine checks that all n lie on one polynomial
 * (rekey_check_*: issue 4's all-shares check). It puts the new key in this
 * appliance's memory for a moment, so the screen says so before anything
 * starts and the engine records that it did. Then the verification with t
 * new shares runs as without the check (ui_rekey_verify).
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/rekey.h"
#include "crypto/errors.h"
#include "ui/ui.h"

enum { INTRO, ASK, STICK, PASS, RESULT };

static int step, passed;
static unsigned k, checked;
static struct ui_field stickf, passf;
static char *keyfile;
static struct rekey_check *chk;

static const struct roster_member *
holder(void)
{
	return roster_holder(ui.roster, k);
}

static void
check_init(void)
{
	if ((stickf.buf == NULL && ui_field_init(&stickf, 0) != CK_OK) ||
	    (passf.buf == NULL && ui_field_init(&passf, 1) != CK_OK))
		ui_fatal("out of memory");
	ui_field_clear(&passf);
	rekey_check_free(chk);
	chk = NULL;
	free(keyfile);
	keyfile = NULL;
	k = 1;
	checked = 0;
	step = INTRO;
}

static void
check_draw(void)
{
	const struct roster_member *m;
	int y = UI_TOP;

	if (step == INTRO) {
		y = ui_para(y, "The check of all new shares: each of the "
		    "holders decrypts their new share here once more, and the "
		    "appliance checks that any t of them give the same key.");
		attron(A_BOLD);
		y = ui_para(y + 1, "While it runs, the NEW key is in this "
		    "appliance's memory (locked, wiped at the end). The transcript "
		    "records that it was.");
		attroff(A_BOLD);
		ui_bold(y + 1, 2, "Start the check? Type y.");
		ui_hints("y start  Esc skip it: verify the rekey");
		return;
	}
	ui_progress(y, "New shares checked:", checked,
	    (unsigned)ui.roster->n_holders);
	y += 2;
	if (step == RESULT) {
		ui_bold(y, 2, passed ? "All new shares agree: any t of them open "
		    "the new key." : "The check failed (below); it is on the "
		    "record.");
		ui_para(y + 2, passed ? "The key is wiped from memory. Next, t new "
		    "shares verify the rekey on the server." : "The old shares stay "
		    "valid until the rekey is verified. Record a deviation and "
		    "follow the script: Enter continues to the verification, "
		    "Ctrl-Q leaves.");
		ui_hints("Enter: verify the rekey");
		return;
	}
	m = holder();
	switch (step) {
	case ASK:
		attron(A_BOLD);
		ui_text(y, 2, "Is %s at the appliance?", ui_safe(m->name));
		attroff(A_BOLD);
		ui_para(y + 2, "One holder at the keyboard; the others step back.");
		ui_hints("y yes, I am here");
		break;
	case STICK:
		ui_text(y, 2, "New share %u of %s", k, ui_safe(m->name));
		if (ui.sticks_auto) {
			ui_bold(y + 2, 2, "Insert your stick now (read-only).");
			ui_hints("Esc back");
			break;
		}
		ui_text(y + 2, 2, "Holder's stick (folder):");
		ui_field_draw(y + 3, 2, 76, &stickf);
		ui_para(y + 5, "A key file *.sec.asc found there opens the share, "
		    "otherwise the smartcard.");
		ui_hints("Enter next  Esc back");
		break;
	case PASS:
		ui_text(y, 2, "New share %u of %s", k, ui_safe(m->name));
		ui_text(y + 2, 2, "%s, type the %s:", ui_safe(m->name),
		    keyfile != NULL ? "passphrase of your key file" :
		    "PIN of your card");
		ui_field_draw(y + 4, 2, 40, &passf);
		ui_hints("Enter check  Esc back");
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
finish(void)
{
	char why[256] = "";
	int r;

	r = rekey_check_close(chk, why, sizeof(why));
	rekey_check_free(chk);
	chk = NULL;
	passed = r == CK_OK;
	if (passed)
		ui_say(0, "All %u new shares are consistent.", checked);
	else
		ui_say_err("The check of all shares failed", r, why);
	step = RESULT;
}

static void
add(void)
{
	int r;

	ui_say(0, "Decrypting and checking the share...");
	ui_redraw();
	r = rekey_check_add(chk, ui.home, k, keyfile, passf.buf);
	ui_field_clear(&passf);
	if (r == CK_ERR_BAD_PASSPHRASE) {
		ui_say(1, "Wrong %s. Nothing was revealed; type it again.",
		    keyfile != NULL ? "passphrase" : "PIN");
		return;
	}
	ui_sticks_done();
	ui.secret = NULL;
	ui.typing = 0;
	if (r != CK_OK) {
		ui_say_err("The share could not be checked", r, NULL);
		step = STICK;
		ui.typing = 1;
		return;
	}
	checked++;
	if (k == ui.roster->n_holders) {
		finish();
		return;
	}
	k++;
	step = ASK;
	ui_say(0, "Share %u checked.", k - 1);
	clear();
}

static void
check_key(int ch)
{
	int f, r;

	switch (step) {
	case INTRO:
		if (ch == 27) {
			ui_rekey_verify();
		} else if (ch == 'y' || ch == 'Y') {
			if ((r = rekey_check_open(ui.s, &chk)) != CK_OK) {
				ui_say_err("The check cannot start", r, NULL);
				return;
			}
			step = ASK;
		}
		break;
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
			add();
		break;
	case RESULT:
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			ui_rekey_verify();
		break;
	}
}

/* --sticks auto: the holder's stick, once inserted and mounted. */
static void
check_tick(void)
{
	if (step == STICK && ui_sticks_take(&stickf, 0, &keyfile)) {
		step = PASS;
		ui.secret = &passf;
	}
}

const struct ui_screen scr_check = {
	.title = "Rekey: check all new shares",
	.step = "check-all",
	.help = "Optional, when the script asks for it: every new holder "
	    "decrypts their new share once more and the appliance checks that "
	    "all of them lie on one polynomial, so any t of them give the same "
	    "key. The new key is in locked memory while the check runs, and "
	    "the transcript says so. A wrong passphrase changes nothing.",
	.init = check_init,
	.draw = check_draw,
	.key = check_key,
	.tick = check_tick,
};
