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
#include "protocol/kinds.h"
#include "crypto/errors.h"
#include "ui/ui.h"

enum { INTRO, TURN, RESULT };

static int step, passed;
static unsigned checked;
static unsigned char done[KIND_MAX_SHARES + 1];	/* holder k's share checked */
static struct ui_turn turn;	/* turn.k: the holder at the appliance */
static struct rekey_check *chk;

static const struct roster_member *
holder(void)
{
	return roster_holder(ui.roster, turn.k);
}

/* Any order: a holder not yet checked may be next. */
static int
check_pending(unsigned k)
{
	return k <= KIND_MAX_SHARES && !done[k];
}

/* The stick before the PIN: it must bring this holder's key. */
static int
check_stick_ok(void)
{
	return ui_turn_holders_key(&turn);
}

static void
check_init(void)
{
	ui_turn_init(&turn, 0, check_stick_ok, check_pending);
	rekey_check_free(chk);
	chk = NULL;
	memset(done, 0, sizeof(done));
	checked = 0;
	step = INTRO;
}

/* The new threshold: as many new shares verify the rekey. */
static long long
new_t(void)
{
	return (long long)json_integer_value(json_object_get(ui.s->ext, "t"));
}

static void
check_draw(void)
{
	const struct roster_member *m;
	char text[256];
	int y = UI_TOP;

	if (step == INTRO) {
		snprintf(text, sizeof(text), "The check of all new shares: "
		    "each of the holders decrypts their new share here once "
		    "more, and the appliance checks that any %lld of them give "
		    "the same key.", new_t());
		y = ui_para(y, text);
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
		snprintf(text, sizeof(text), "All new shares agree: any %lld of "
		    "them open the new key.", new_t());
		ui_bold(y, 2, passed ? text : "The check failed (below); it is "
		    "on the record.");
		snprintf(text, sizeof(text), "The key is wiped from memory. "
		    "Next, %lld new shares verify the rekey on the server.",
		    new_t());
		ui_para(y + 2, passed ? text : "The old shares stay "
		    "valid until the rekey is verified. Record a deviation and "
		    "follow the script: Enter continues to the verification, "
		    "Ctrl-Q leaves.");
		ui_hints("Enter: verify the rekey");
		return;
	}
	if (turn.step == UI_TURN_PICK) {
		ui_turn_draw_pick(&turn, y);
		return;
	}
	m = holder();
	switch (turn.step) {
	case UI_TURN_ASK:
		attron(A_BOLD);
		ui_text(y, 2, "Is %s at the appliance?", ui_safe(m->name));
		attroff(A_BOLD);
		ui_para(y + 2, "One holder at the keyboard; the others step back.");
		ui_hints("y yes, I am here  o another holder is here first");
		break;
	case UI_TURN_STICK:
		ui_text(y, 2, "New share %u of %s", turn.k, ui_safe(m->name));
		if (ui.sticks_auto) {
			ui_bold(y + 2, 2, "Insert your stick now (read-only).");
			ui_hints("Esc back");
			break;
		}
		ui_text(y + 2, 2, "Holder's stick (folder):");
		ui_field_draw(y + 3, 2, 76, &turn.stick);
		ui_para(y + 5, "A key file *.sec.asc found there opens the share, "
		    "otherwise the smartcard.");
		ui_hints("Enter next  Esc back");
		break;
	case UI_TURN_PASS:
		ui_text(y, 2, "New share %u of %s", turn.k, ui_safe(m->name));
		ui_text(y + 2, 2, "%s, type the %s:", ui_safe(m->name),
		    turn.keyfile != NULL ? "passphrase of your key file" :
		    "PIN of your card");
		ui_field_draw(y + 4, 2, 40, &turn.pass);
		ui_hints("Enter check  Esc back");
		break;
	}
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
	r = rekey_check_add(chk, ui.home, turn.k, turn.keyfile, turn.pass.buf);
	if (!ui_turn_used(&turn, r))
		return;
	if (r != CK_OK) {
		ui_say_err("The share could not be checked", r, NULL);
		return;
	}
	checked++;
	done[turn.k] = 1;
	ui_say(0, "Share %u checked.", turn.k);
	if (!ui_turn_next(&turn)) {
		finish();
		return;
	}
	clear();
}

static void
check_key(int ch)
{
	int r;

	switch (step) {
	case INTRO:
		if (ch == 27) {
			ui_rekey_verify();
		} else if (ch == 'y' || ch == 'Y') {
			if ((r = rekey_check_open(ui.s, &chk)) != CK_OK) {
				ui_say_err("The check cannot start", r, NULL);
				return;
			}
			(void)ui_turn_next(&turn);
			step = TURN;
		}
		break;
	case TURN:
		if (ui_turn_key(&turn, ch) == UI_TURN_USE)
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
	if (step == TURN)
		ui_turn_tick(&turn);
}

const struct ui_screen scr_check = {
	.title = "Rekey: check all new shares",
	.step = "check-all",
	.help = "Optional, when the script asks for it: every new holder, in "
	    "any order (o picks who is here), decrypts their new share once "
	    "more and the appliance checks that "
	    "all of them lie on one polynomial, so any t of them give the same "
	    "key. The new key is in locked memory while the check runs, and "
	    "the transcript says so. A wrong passphrase changes nothing.",
	.init = check_init,
	.draw = check_draw,
	.key = check_key,
	.tick = check_tick,
};
