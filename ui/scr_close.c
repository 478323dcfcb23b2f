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
#include <string.h>
#include <time.h>

#include "ceremony/init.h"
#include "crypto/errors.h"
#include "ui/ui.h"

static time_t since;
static int refused, repin;	/* repin: a new key's words asked (w) */
static struct ui_words w;

static void
close_init(void)
{
	since = time(NULL);
	refused = 0;
	repin = 0;
}

static void
close_draw(void)
{
	const char *shares;
	int y = UI_TOP;

	if (repin) {
		ui_words_draw(y, &w, "The bridge was started again: the session "
		    "key this ceremony pinned died with the old one, and the new "
		    "bridge offers another. A witness reads the five words on the "
		    "bridge's screen and types them here; only the same words pin "
		    "the new key (the record says so).", "The words differ. STOP: "
		    "the new key may not be your bridge's. The refusal is on the "
		    "record. Check the words again, or end the ceremony.");
		return;
	}
	y = ui_para(y, "Operator: configure the server with the initial root "
	    "token (it was encrypted to your key), then give the token back to "
	    "conclave-bridge. It revokes the token, checks that a lookup with it "
	    "is refused, and writes the proof to the exchange stick.");
	/* A Shamir seal: the token is of no use, and cannot be revoked,
	 * until the holders have unsealed the new server. */
	shares = json_string_value(json_object_get(ui.s->ext, "shares"));
	if (shares != NULL && strcmp(shares, "unseal") == 0)
		y = ui_para(y, "The server is sealed after init (Shamir): the "
		    "holders unseal it first; until then the token can be neither "
		    "used nor revoked (docs/init.md, step 5).");
	y = ui_para(y + 1, "Bring the stick back here. The witnesses then review "
	    "the ceremony, and the transcript is closed and signed.");
	if (refused) {
		ui_bold(y + 1, 2, "The closing result was refused (see below).");
		ui_hints("r read the stick again");
	} else {
		ui_text(y + 1, 2, "Waiting for the closing result... %lds",
		    (long)(time(NULL) - since));
		ui_hints("Read as soon as the proof is on the stick");
	}
}

static void
close_tick(void)
{
	char why[256] = "", did[UI_COLS], sas[SESSION_SAS_MAX];
	int r;

	if (refused || repin || !ui_envelope_waiting())
		return;
	/* A restarted bridge's new key comes before its closing result. */
	if (session_repin(ui.s, NULL, NULL, sas, why, sizeof(why)) ==
	    CK_ERR_INCOMPLETE) {
		repin = 1;
		ui_words_start(&w);
		return;
	}
	if ((r = init_close(ui.s, ui.head, why, sizeof(why))) == CK_ERR_SERVER) {
		/* The bridge could not revoke it: on the record, closed as
		 * failed; nothing later in this ceremony can revoke it. */
		ui_ended("Failed: the initial root token is NOT revoked.",
		    "Revoke it on the server; the bridge's error is on the record.");
		return;
	}
	if (r != CK_OK) {
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
	int r;

	if (!ui_words_key(&w, ch))
		return;
	r = session_repin(ui.s, w.words.buf, w.who.buf, sas, why, sizeof(why));
	if (r == CK_ERR_SAS_MISMATCH) {
		ui_words_mismatch(&w);
		ui_say_err("The words differ", r, why);
		return;
	}
	if (r != CK_OK) {
		ui_say_err("The new key could not be pinned", r, why);
		return;
	}
	ui_say(0, "The witness confirmed the words: the bridge's new key is "
	    "pinned.");
	ui_field_clear(&w.words);
	repin = 0;
	ui.typing = 0;
}

static void
close_key(int ch)
{
	if (repin)
		repin_key(ch);
	else if (refused && ch == 'r')
		close_init();
}

static const char *
close_waiting(void)
{
	return refused || repin ? NULL : "the operator gives the initial root token back "
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
