/*
 * The witnesses' review, the last step of every ceremony that completes:
 * after its irreversible steps (the shares handed out and the root token
 * revoked, the nodes unsealed, the new shares verified, the token issued
 * or revoked), before the transcript is closed, so that their answers are
 * on it. One witness or several: the roster's witnesses each in turn
 * (init), or, for the ceremonies without a roster of witnesses, whoever
 * witnessed types their name; more may follow, with a roster of witnesses
 * only from it (init_check_witness: the rule conclave review keeps; a
 * refusal is on the record). A witness who does not
 * confirm is recorded as a deviation. Then session_review_close closes and
 * signs the transcript; OpenPGP signatures follow on the summary.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ceremony/init.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "protocol/kinds.h"
#include "ui/ui.h"

enum { NAME, ASK, WHY, MORE };

static int step;
static size_t wi;		/* index of the witness asked now (witness_at) */
static unsigned answered;
static unsigned deviations;	/* ui.deviations when tally was counted */
static struct ui_field namef;
static struct ui_field whyf;	/* why a witness did not confirm */
static char tally[UI_COLS];

/*
 * The ceremony's witnesses, asked in turn: the roster's (index i < its
 * size: NULL for a member who is no witness), then those a command-line
 * begin --review declared (a ceremony resumed here). NULL past the end.
 */
static const char *
witness_at(size_t i, int *end)
{
	size_t n = ui.roster != NULL ? ui.roster->n : 0;

	*end = 0;
	if (i < n)
		return ui.roster->m[i].role == ROSTER_WITNESS ?
		    ui.roster->m[i].name : NULL;
	if (i - n < json_array_size(json_object_get(ui.s->state,
	    SESSION_REVIEW_WITNESSES)))
		return json_string_value(json_array_get(json_object_get(
		    ui.s->state, SESSION_REVIEW_WITNESSES), i - n));
	*end = 1;
	return NULL;
}

/* The next witness from index from on; 0 when none is left. */
static int
next_witness(size_t from)
{
	const char *name;
	int end = 0;

	for (wi = from; !end; wi++)
		if ((name = witness_at(wi, &end)) != NULL) {
			snprintf(namef.buf, UI_FIELD_MAX + 1, "%s", name);
			namef.len = strlen(namef.buf);
			return 1;
		}
	return 0;
}

static void
to_name(void)
{
	ui_field_clear(&namef);
	step = NAME;
	ui.typing = 1;
}

static void
review_init(void)
{
	if ((namef.buf == NULL && ui_field_init(&namef, 0) != CK_OK) ||
	    (whyf.buf == NULL && ui_field_init(&whyf, 0) != CK_OK))
		ui_fatal("out of memory");
	answered = 0;
	deviations = ui.deviations;
	ui_tally(tally);
	if (next_witness(0))
		step = ASK;
	else
		to_name();
}

static void
review_draw(void)
{
	const char *srv = json_string_value(json_object_get(json_object_get(
	    ui.s->ext, "server"), "address"));
	int y = UI_TOP;

	if (deviations != ui.deviations) {	/* one recorded with F2 */
		deviations = ui.deviations;
		ui_tally(tally);
	}
	ui_text(y++, 2, "Ceremony     %s", ui.s->id_hex);
	if (srv != NULL)
		ui_text(y++, 2, "Server       %s", ui_safe(srv));
	ui_text(y++, 2, "Done         %s", ui.outcome[0]);
	if (ui.outcome[1][0] != '\0')
		ui_text(y++, 2, "             %s", ui.outcome[1]);
	ui_text(y++, 2, "Record       %s", tally);
	ui_text(y++, 2, "Witnesses    %u answered", answered);
	y++;
	switch (step) {
	case NAME:
		ui_text(y, 2, "Witness, your name:");
		ui_field_draw(y, 22, 40, &namef);
		ui_para(y + 2, "Everything irreversible is done. Each witness "
		    "checks the review against what happened in the room and the "
		    "paper script; the answers go into the transcript, which "
		    "closes after them.");
		ui_hints(answered > 0 ? "Type the name, Enter  Esc: no one else" :
		    "Type the name, Enter");
		break;
	case ASK:
		attron(A_BOLD);
		ui_text(y, 2, "%s (witness): does this match what you saw?",
		    ui_safe(namef.buf));
		attroff(A_BOLD);
		ui_para(y + 2, "y records your confirmation in the transcript. "
		    "n records that you did not confirm, and why. "
		    "x: this witness is not here (the appliance records that, "
		    "nobody answers for them).");
		ui_hints("y confirm  n do not confirm  x not here");
		break;
	case WHY:
		ui_text(y, 2, "%s did not confirm. Why (what did not match)?",
		    ui_safe(namef.buf));
		ui_field_draw(y + 2, 2, 76, &whyf);
		ui_para(y + 4, "The reason goes on the record with the deviation, "
		    "as conclave review --not-confirmed NAME --reason TEXT.");
		ui_hints("Type why, Enter  Esc back");
		break;
	case MORE:
		ui_para(y, "Every witness has answered. Enter closes the "
		    "transcript and signs it; a adds another witness.");
		ui_hints("Enter: close the transcript  a another witness");
		break;
	}
}

static void
close_reviewed(void)
{
	int r;

	if ((r = session_review_close(ui.s, ui.head)) != CK_OK) {
		ui_say_err("The transcript could not be closed", r, NULL);
		return;
	}
	ui_summary();
}

static void
review_key(int ch)
{
	char why[400];
	int f, r;

	switch (step) {
	case NAME:
		if ((f = ui_field_key(&namef, ch)) < 0 && answered > 0) {
			step = MORE;	/* Esc: nobody else after all */
			ui.typing = 0;
		} else if (f > 0 && namef.len > 0 &&
		    namef.len <= ROSTER_NAME_MAX &&
		    rd_printable_utf8(namef.buf, namef.len, 0) == CK_OK) {
			/* Only the ceremony's witnesses, as conclave review. */
			if ((r = init_check_witness(ui.s, namef.buf, why,
			    sizeof(why))) != CK_OK) {
				session_reject_why(ui.s, "review", r, why,
				    KIND_ACTOR_APPLIANCE);
				ui_say_err("Not a witness of this ceremony", r, why);
				ui_field_clear(&namef);
				return;
			}
			step = ASK;
			ui.typing = 0;
		}
		return;
	case MORE:
		if (ch == 'a' || ch == 'A')
			to_name();
		else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			close_reviewed();
		return;
	case WHY:
		if ((f = ui_field_key(&whyf, ch)) < 0) {
			step = ASK;	/* Esc: the question again */
			ui.typing = 0;
			return;
		}
		if (f == 0 || whyf.len == 0 ||
		    rd_printable_utf8(whyf.buf, whyf.len, 0) != CK_OK)
			return;
		/* as conclave review --not-confirmed NAME --reason TEXT */
		r = ui_record("deviation", namef.buf, json_pack("{s:s+}", "text",
		    "the witness did not confirm the review: ", whyf.buf));
		ui.typing = 0;
		break;
	default:
		if (ch == 'n' || ch == 'N') {
			ui_field_clear(&whyf);
			step = WHY;
			ui.typing = 1;
			return;
		}
		if (ch == 'y' || ch == 'Y')
			r = ui_record("witness-confirmation", namef.buf,
			    json_pack("{s:b}", "confirmed", 1));
		else if (ch == 'x' || ch == 'X')	/* as review --absent */
			r = ui_record("deviation", KIND_ACTOR_APPLIANCE, json_pack(
			    "{s:s, s:s}", "text", INIT_WITNESS_ABSENT, "witness",
			    namef.buf));
		else
			return;
	}
	if (r != CK_OK) {
		ui_say_err("recording", r, NULL);
		return;
	}
	ui_say(0, ch == 'x' || ch == 'X' ? "Recorded: %s was not here." :
	    "Recorded for %s.", ui_safe(namef.buf));
	answered++;
	ui_tally(tally);
	if (!next_witness(wi + 1))
		step = MORE;
}

const struct ui_screen scr_review = {
	.title = "Review and witness sign-off",
	.step = "review",
	.help = "The last step: everything irreversible is done (see Done), and "
	    "the transcript is still open. Each witness checks the review "
	    "against what happened in the room and against the paper script, "
	    "and answers in turn; the answers go into the transcript. Anything "
	    "that went differently should be on the record as a deviation (F2 "
	    "or Ctrl-E) before the transcript closes.",
	.init = review_init,
	.draw = review_draw,
	.key = review_key,
};
