/*
 * Quorum turns: one holder at a time gives their name, is asked "is NAME
 * at the appliance?", gives their stick (the share file from init and,
 * in rehearsals, their key file), and types their passphrase or PIN
 * (masked, secmem, wiped after use). quorum_add_share decrypts, checks
 * and seals the share to the bridge session and wipes it. Progress: x of
 * the threshold. The screen is cleared between holders.
 */
#include <curses.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony/quorum.h"
#include "ceremony/rekey.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "media/file.h"
#include "ui/ui.h"

static struct ui_turn turn;
static int naming;		/* the next holder types their name first */
static struct ui_field namef;

static int stick_is_holders(void);

static void
qshare_init(void)
{
	if (namef.buf == NULL && ui_field_init(&namef, 0) != CK_OK)
		ui_fatal("out of memory");
	ui_turn_init(&turn, 0, stick_is_holders, NULL);
	ui_field_clear(&namef);
	naming = 1;
	ui.typing = 1;
}

static void
qshare_draw(void)
{
	int y = UI_TOP;

	ui_progress(y, ui.kind == UI_KIND_REKEY && rekey_verifying(ui.s) ?
	    "NEW shares sealed (verification):" : "Shares sealed to the bridge:",
	    (unsigned)quorum_sealed_count(ui.s), quorum_threshold(ui.s));
	y += 2;
	if (naming) {
		ui_text(y, 2, "Next holder, your name:");
		ui_field_draw(y, 26, 40, &namef);
		ui_para(y + 2, "One holder at a time at the keyboard; the others "
		    "step back.");
		ui_hints("Type the name, Enter");
		return;
	}
	switch (turn.step) {
	case UI_TURN_ASK:
		attron(A_BOLD);
		ui_text(y, 2, "Is %s at the appliance?", ui_safe(namef.buf));
		attroff(A_BOLD);
		ui_hints("y yes, I am here  Esc not yet");
		break;
	case UI_TURN_STICK:
		if (ui.sticks_auto) {
			ui_bold(y, 2, "Insert your stick now.");
			ui_text(y + 1, 2, "Waiting for %s's stick...",
			    ui_safe(namef.buf));
			ui_para(y + 3, "It is mounted read-only; your newest "
			    "encrypted share file (*.gpg) is read from it. A stick "
			    "that was in already does not count: take it out and "
			    "put it in again.");
			ui_hints("Esc back");
			break;
		}
		ui_text(y, 2, "%s's stick (folder):", ui_safe(namef.buf));
		ui_field_draw(y + 1, 2, 76, &turn.stick);
		ui_para(y + 3, "Your newest encrypted share file (*.gpg) is read "
		    "from there. A key file *.sec.asc there is used to decrypt it, "
		    "otherwise your smartcard.");
		ui_hints("Enter read the stick  Esc back");
		break;
	case UI_TURN_PASS:
		ui_text(y, 2, "%s, type the %s:", ui_safe(namef.buf),
		    turn.keyfile != NULL ? "passphrase of your key file" :
		    "PIN of your card");
		ui_field_draw(y + 2, 2, 40, &turn.pass);
		ui_para(y + 4, "Nothing you type is shown. Your share is decrypted "
		    "in locked memory, checked, sealed to the bridge session and "
		    "wiped.");
		ui_hints("Enter decrypt and seal  Esc back");
		break;
	case UI_TURN_OVER:
		ui_text(y, 2, "%s's share is sealed to the bridge session.",
		    ui_safe(namef.buf));
		ui_para(y + 2, ui.sticks_auto ? "Your stick is synced and "
		    "unmounted: remove it now, and take your card. Enter clears "
		    "the screen for the next holder." : "Take your stick and card. "
		    "Enter clears the screen for the next holder.");
		ui_hints("Enter: done, clear the screen");
		break;
	}
}

/* The share file's bytes (bounded read, symlinks refused: media/file). */
static int
read_share(const char *folder, uint8_t **msg, size_t *len)
{
	char *path = NULL;
	int fd = -1, r;

	*msg = NULL;
	if (ui.kind == UI_KIND_REKEY && rekey_verifying(ui.s))
		r = ui_find_new_share(folder, &path);
	else
		r = ui_find_share_file(folder, &path);
	if (r != CK_OK)
		return r;
	if ((r = file_open_dir(AT_FDCWD, folder, 0, 0, &fd)) == CK_OK) {
		r = file_read(fd, strrchr(path, '/') + 1, PGP_MSG_MAX, msg, len);
		close(fd);
	}
	free(path);
	return r;
}

/*
 * The stick before the PIN: its share file must be this holder's (when
 * the ceremony knows the handout). A wrong stick is named and refused,
 * and the turn starts again; nothing was typed.
 */
static int
stick_is_holders(void)
{
	uint8_t *msg = NULL;
	size_t len = 0;
	char why[256] = "";
	const char *what;
	int r;

	if ((r = read_share(turn.stick.buf, &msg, &len)) != CK_OK) {
		ui_say_err("No share file on the stick", r, NULL);
		return 0;
	}
	r = quorum_check_share_file(ui.s, namef.buf, msg, len, why, sizeof(why));
	free(msg);
	if (r == CK_ERR_SAME_HOLDER)
		what = "This holder's share is sealed already";
	else if (r != CK_OK)
		what = "Not this holder's share";
	else if (turn.keyfile != NULL && (r = quorum_check_key_file(ui.s,
	    namef.buf, turn.keyfile, why, sizeof(why))) != CK_OK)
		what = "Not this holder's key";
	else
		return 1;
	ui_say_err(what, r, why);
	ui_sticks_done();
	naming = 1;
	ui.typing = 1;
	ui_field_clear(&namef);
	return 0;
}

static void
seal_share(void)
{
	uint8_t *msg = NULL;
	size_t len = 0;
	char why[256] = "";
	int r;

	ui_say(0, "Decrypting, checking and sealing...");
	ui_redraw();
	if ((r = read_share(turn.stick.buf, &msg, &len)) == CK_OK) {
		r = quorum_add_share(ui.s, ui.home, namef.buf, turn.keyfile,
		    turn.pass.buf, msg, len, why, sizeof(why));
		free(msg);
		if (!ui_turn_used(&turn, r))
			return;
		if (r != CK_OK) {
			/* Refused: the next holder (or this one again) from
			 * their name. */
			ui_say_err("The share was refused", r, why);
			naming = 1;
			ui.typing = 1;
			ui_field_clear(&namef);
			return;
		}
	} else {
		(void)ui_turn_used(&turn, r);
		ui_say_err("No share file on the stick", r, NULL);
		return;
	}
	ui.quorum_given++;
	ui_say(0, "Share %u of %u sealed.", (unsigned)quorum_sealed_count(ui.s),
	    quorum_threshold(ui.s));
}

static void
qshare_key(int ch)
{
	if (naming) {
		if (ui_field_key(&namef, ch) > 0 && namef.len > 0 &&
		    namef.len <= ROSTER_NAME_MAX &&
		    rd_printable_utf8(namef.buf, namef.len, 0) == CK_OK) {
			naming = 0;
			ui_turn_start(&turn, namef.buf);
		}
		return;
	}
	if (turn.step != UI_TURN_OVER) {
		switch (ui_turn_key(&turn, ch)) {
		case UI_TURN_BACK:
			naming = 1;
			ui.typing = 1;
			break;
		case UI_TURN_USE:
			seal_share();
			break;
		}
		return;
	}
	if (ch != '\n' && ch != '\r' && ch != KEY_ENTER)
		return;
	if (quorum_sealed_count(ui.s) >= quorum_threshold(ui.s))
		ui_goto(UI_SCR_QUORUM_RESULT);
	else
		ui_goto(UI_SCR_QUORUM_SHARE);
}

/* --sticks auto: the holder's stick, once inserted and mounted. */
static void
qshare_tick(void)
{
	if (!naming)
		ui_turn_tick(&turn);
}

const struct ui_screen scr_quorum_share = {
	.title = "Quorum: one holder at a time",
	.step = "share",
	.help = "Holders in any order, one at a time: your name, then confirm "
	    "you are at the appliance, insert your stick (or give its folder in "
	    "a rehearsal); its share file must be yours before you type your "
	    "passphrase or PIN. Your share is decrypted here, checked against the others "
	    "(the same share or the same holder twice is refused), sealed to the "
	    "bridge session the witness confirmed, and wiped. It is never shown.",
	.init = qshare_init,
	.draw = qshare_draw,
	.key = qshare_key,
	.tick = qshare_tick,
};
