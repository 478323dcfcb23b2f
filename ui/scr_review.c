/*
 * Review of what happened, then each witness's sign-off, recorded in the
 * transcript before it is closed (a witness who does not confirm is
 * recorded as a deviation). OpenPGP signatures follow on the summary,
 * over the closed transcript.
 */
#include <curses.h>
#include <stdio.h>

#include "crypto/errors.h"
#include "ui/ui.h"

static size_t wi;		/* roster index of the witness asked now */

static void
next_witness(size_t from)
{
	for (wi = from; wi < ui.roster->n; wi++)
		if (ui.roster->m[wi].role == ROSTER_WITNESS)
			return;
}

static void
review_init(void)
{
	next_witness(0);
}

static void
review_draw(void)
{
	const json_t *srv = json_object_get(ui.s->ext, "server");
	int y = UI_TOP;

	ui_text(y++, 2, "Ceremony     %s (init)", ui.s->id_hex);
	ui_text(y++, 2, "Server       %s", ui_safe(json_string_value(
	    json_object_get(srv, "address"))));
	ui_text(y++, 2, "Shares       %zu %s shares, threshold %u",
	    ui.roster->n_holders, ui.recovery ? "recovery" : "unseal",
	    ui.threshold);
	ui_text(y++, 2, "Handed out   %u of %zu, each with a decrypt proof",
	    ui.handed_out, ui.roster->n_holders);
	ui_text(y++, 2, "Deviations   %u recorded", ui.deviations);
	ui_text(y++, 2, "Still to do  the operator revokes the initial root "
	    "token");
	y++;
	if (wi < ui.roster->n) {
		attron(A_BOLD);
		ui_text(y++, 2, "%s (witness): does this match what you saw?",
		    ui_safe(ui.roster->m[wi].name));
		attroff(A_BOLD);
		ui_para(y + 1, "y records your confirmation in the transcript. "
		    "n records that you did not confirm; say why with F2/Ctrl-E.");
		ui_hints("y confirm  n do not confirm");
	} else {
		ui_para(y, "Every witness has answered. Next: wait for the bridge's "
		    "proof that the initial root token is revoked, then close.");
		ui_hints("Enter: continue to closing");
	}
}

static void
review_key(int ch)
{
	const struct roster_member *m;
	int r;

	if (wi >= ui.roster->n) {
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			ui_goto(UI_SCR_CLOSE);
		return;
	}
	m = &ui.roster->m[wi];
	if (ch == 'y' || ch == 'Y') {
		r = ui_record("witness-confirmation", m->name,
		    json_pack("{s:b}", "confirmed", 1));
	} else if (ch == 'n' || ch == 'N') {
		r = ui_record("deviation", m->name, json_pack("{s:s}", "text",
		    "the witness did not confirm the review"));
		ui.deviations++;
	} else {
		return;
	}
	if (r != CK_OK) {
		ui_say_err("recording", r, NULL);
		return;
	}
	ui_say(0, "Recorded for %s.", ui_safe(m->name));
	next_witness(wi + 1);
}

const struct ui_screen scr_review = {
	.title = "Review and witness sign-off",
	.step = "review",
	.help = "Everyone checks the review against what happened in the room "
	    "and against the paper script. Each witness answers in turn; the "
	    "answers go into the transcript. Anything that went differently "
	    "should be on the record as a deviation (F2 or Ctrl-E).",
	.init = review_init,
	.draw = review_draw,
	.key = review_key,
};
