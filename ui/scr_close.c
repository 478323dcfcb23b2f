/*
 * Waiting for the bridge's closing-result (the initial root token is
 * revoked, and a lookup with it is refused), then init_close: recorded,
 * and the witnesses' review (scr_review) closes the transcript after it.
 * A bridge started again after the one whose key was pinned stopped
 * offers a new key first (session_repin): a witness types the words the
 * bridge shows, as at a session offer's SAS (scr_sas), and only the same
 * words pin it.
 */
#include <curses.h>
#include <stdio.h>
#include <time.h>

#include "ceremony/init.h"
#include "ceremony/roster.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "ui/ui.h"

/* WAITING for the closing result; or a re-pin: WHO compares, their WORDS. */
enum { WAITING, WHO, WORDS, MISMATCH };

static time_t since;
static int refused, step;
static struct ui_field whof, wordsf;

static void
close_init(void)
{
	if ((whof.buf == NULL && ui_field_init(&whof, 0) != CK_OK) ||
	    (wordsf.buf == NULL && ui_field_init(&wordsf, 0) != CK_OK))
		ui_fatal("out of memory");
	since = time(NULL);
	refused = 0;
	step = WAITING;
}

static void
repin_draw(int y)
{
	y = ui_para(y, "The bridge was started again: the session key this "
	    "ceremony pinned died with the old one, and the new bridge offers "
	    "another. A witness reads the five words on the bridge's screen and "
	    "types them here; only the same words pin the new key (the record "
	    "says so).");
	ui_text(y + 1, 2, "Witness (name):");
	ui_field_draw(y + 1, 20, 40, &whof);
	ui_text(y + 3, 2, "The bridge's words:");
	ui_field_draw(y + 4, 2, 76, &wordsf);
	if (step == MISMATCH) {
		attron(A_BOLD);
		ui_para(y + 6, "The words differ. STOP: the new key may not be "
		    "your bridge's. The refusal is on the record. Check the words "
		    "again, or end the ceremony.");
		attroff(A_BOLD);
	}
	ui_hints(step == WHO ? "Type the witness's name, Enter" :
	    "Type the five words as you hear them, Enter");
}

static void
close_draw(void)
{
	int y = UI_TOP;

	if (step != WAITING) {
		repin_draw(y);
		return;
	}
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
	char why[256] = "", did[UI_COLS], sas[SESSION_SAS_MAX];
	int r;

	if (refused || step != WAITING || !ui_envelope_waiting())
		return;
	/* A restarted bridge's new key comes before its closing result. */
	if (session_repin(ui.s, NULL, NULL, sas, why, sizeof(why)) ==
	    CK_ERR_INCOMPLETE) {
		step = WHO;
		ui.typing = 1;
		return;
	}
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
repin_key(int ch)
{
	char why[256] = "", sas[SESSION_SAS_MAX];
	int f, r;

	if (step == WHO) {
		if ((f = ui_field_key(&whof, ch)) > 0 && whof.len > 0 &&
		    whof.len <= ROSTER_NAME_MAX &&
		    rd_printable_utf8(whof.buf, whof.len, 0) == CK_OK)
			step = WORDS;
		return;
	}
	if ((f = ui_field_key(&wordsf, ch)) < 0) {
		step = WHO;
		return;
	}
	if (f == 0 || wordsf.len == 0)
		return;
	r = session_repin(ui.s, wordsf.buf, whof.buf, sas, why, sizeof(why));
	ui_field_clear(&wordsf);
	if (r == CK_ERR_SAS_MISMATCH) {
		step = MISMATCH;
		ui_say_err("The words differ", r, why);
		return;
	}
	if (r != CK_OK) {
		ui_say_err("The new key could not be pinned", r, why);
		return;
	}
	ui_say(0, "The witness confirmed the words: the bridge's new key is "
	    "pinned.");
	step = WAITING;
	ui.typing = 0;
}

static void
close_key(int ch)
{
	if (step != WAITING)
		repin_key(ch);
	else if (refused && ch == 'r')
		close_init();
}

static const char *
close_waiting(void)
{
	return refused || step != WAITING ? NULL : "the operator gives the initial root token back "
	    "to conclave-bridge init, which revokes it and writes the proof.";
}

const struct ui_screen scr_close = {
	.title = "Closing: the initial root token is revoked",
	.step = "close",
	.help = "The initial root token must not outlive the ceremony. The "
	    "operator uses it for the first configuration, then hands it to the "
	    "bridge, which revokes it and proves the revocation. Only then do "
	    "the witnesses review the ceremony and the transcript close. If the "
	    "bridge was started again, its new key is pinned first, when a "
	    "witness types the same words the bridge shows.",
	.init = close_init,
	.draw = close_draw,
	.key = close_key,
	.tick = close_tick,
	.waiting = close_waiting,
};
