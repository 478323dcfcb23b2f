/*
 * The short authentication string (DESIGN §5): before any share is sealed
 * to the bridge session, a witness types the words the bridge shows and
 * the engine compares them with its own (quorum_accept_offer). A mismatch
 * is on the record and nothing is sealed.
 */
#include <curses.h>
#include <stdio.h>
#include <time.h>

#include "ceremony/quorum.h"
#include "crypto/errors.h"
#include "ui/ui.h"

static int waiting;		/* for the offer; then the words (w) */
static time_t since;
static char sas[QUORUM_SAS_MAX];
static struct ui_words w;

static void
sas_init(void)
{
	waiting = 1;
	since = time(NULL);
}

static void
sas_draw(void)
{
	int y = UI_TOP;

	if (waiting) {
		y = ui_para(y, "Waiting for the bridge's session offer on the "
		    "exchange stick.");
		ui_text(y + 1, 2, "Waiting... %lds", (long)(time(NULL) - since));
		ui_hints("Read as soon as the offer is on the stick");
		return;
	}
	ui_words_draw(y, &w, "The bridge shows five words: its short "
	    "authentication string. A witness reads them from the bridge's "
	    "screen and types them here; the appliance compares them with its "
	    "own. Until they match, no share is sealed to the bridge.",
	    "The words differ. STOP: the offer may not come from your bridge (a "
	    "substituted stick). The refusal is on the record. Check the words "
	    "again, or end the ceremony.");
}

static void
sas_tick(void)
{
	char why[256] = "";
	int r;

	if (!waiting || !ui_envelope_waiting())
		return;
	/* confirm NULL: nothing is recorded; sas gets the appliance's words. */
	r = quorum_accept_offer(ui.s, "requested", NULL, NULL, sas, NULL, why,
	    sizeof(why));
	if (r == CK_ERR_DISABLED_ENDPOINT) {
		/* The bridge has stopped; the ceremony is closed as failed. */
		ui_say_err("The bridge cannot go on", r, why);
		ui_ended("Failed: the server's endpoint is disabled.", NULL);
		return;
	}
	if (r != CK_ERR_INCOMPLETE) {
		ui_say_err("The session offer was refused", r, why);
		return;
	}
	waiting = 0;
	ui_words_start(&w);
}

static void
sas_key(int ch)
{
	char why[256] = "";
	int r;

	if (waiting || !ui_words_key(&w, ch))
		return;
	r = quorum_accept_offer(ui.s, "requested", w.words.buf, w.who.buf, sas,
	    NULL, why, sizeof(why));
	if (r == CK_ERR_SAS_MISMATCH) {
		ui_words_mismatch(&w);
		ui_say_err("The words differ", r, why);
		return;
	}
	if (r != CK_OK) {
		ui_say_err("The offer could not be accepted", r, why);
		return;
	}
	ui_say(0, "The witness confirmed the words; threshold %u.",
	    quorum_threshold(ui.s));
	ui_goto(UI_SCR_QUORUM_SHARE);
}

static const char *
sas_waiting(void)
{
	if (!waiting)
		return NULL;
	return ui.kind == UI_KIND_REKEY ? "conclave-bridge rekey, with this "
	    "exchange stick, writes the session offer." : ui.kind == UI_KIND_UNSEAL ?
	    "conclave-bridge unseal, with this exchange stick, writes the "
	    "session offer." : "conclave-bridge generate-root, with this exchange "
	    "stick, writes the session offer.";
}

const struct ui_screen scr_sas = {
	.title = "Short authentication string",
	.step = "sas",
	.help = "Both screens derive five words from the appliance's ceremony "
	    "key, the bridge's session key and the ceremony id. If someone "
	    "swapped the stick or the bridge, the words differ. A witness types "
	    "the words the bridge shows (capitals and spacing do not matter); "
	    "only the same five words let shares be sealed to the bridge.",
	.init = sas_init,
	.draw = sas_draw,
	.key = sas_key,
	.tick = sas_tick,
	.waiting = sas_waiting,
};
