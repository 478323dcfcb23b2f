/*
 * The first screen when the state folder holds an open ceremony (the UI
 * was left, killed or lost power mid-ceremony): which ceremony, at which
 * step, and the two ways on. Never the start menu: a second ceremony
 * cannot begin over an open one. Enter resumes on the screen of the
 * next step (resume_screen); a phase the screens cannot take up
 * continues on the command line (its steps are journaled in the state
 * folder, and `conclave KIND status` names the next one). Either way it
 * can be abandoned here with the same signed abandon as
 * `conclave KIND abandon --reason`.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/init.h"
#include "ceremony/quorum.h"
#include "ceremony/transcript.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "protocol/kinds.h"
#include "protocol/steps.h"
#include "ui/ui.h"

static const struct {
	const char *kind;
	enum ui_kind ui;
} kinds[] = {
	{ KIND_INIT, UI_KIND_INIT },
	{ KIND_UNSEAL, UI_KIND_UNSEAL },
	{ KIND_REKEY, UI_KIND_REKEY },
	{ KIND_GENERATE_ROOT, UI_KIND_GENERATE_ROOT },
	{ KIND_MIGRATE, UI_KIND_MIGRATE },
	{ KIND_DR_TOKEN, UI_KIND_DR_TOKEN },
};

static char kind[SESSION_PEEK_MAX], phase[SESSION_PEEK_MAX];
static int loaded;		/* CK_OK: ui.s holds the ceremony */
static long holder;		/* CK_ERR_BUSY: the process holding it, or 0 */
static int asking;		/* the abandon's reason is being typed */
static const struct steps_step *next;	/* the step to go on with, or NULL */
static unsigned next_no;
static struct ui_field reason;
static enum ui_screen_id to;	/* the screen it resumes on; UI_NSCREENS: none */

/*
 * The screen of the next step, from the saved phase: the review for any
 * kind; init and rekey (the server's answer awaited, the handouts not
 * yet taken, the revocation or the verification), and every quorum at
 * every step (their screens read what they show from the session: the
 * handouts done, the sealed shares and who gave them, the nodes, the
 * token issued).
 * UI_NSCREENS for a phase the guided screens cannot take up (none of
 * today's, or an init or rekey without its roster): the command line.
 */
static enum ui_screen_id
resume_screen(void)
{
	if (session_in_review(ui.s))
		return UI_SCR_REVIEW;
	if (ui.kind == UI_KIND_INIT && ui.roster != NULL) {
		if (strcmp(phase, "requested") == 0)
			return UI_SCR_RESULT;
		if (strcmp(phase, "accepted") == 0)
			return ui.handed_out == ui.roster->n_holders ?
			    UI_SCR_CLOSE : UI_SCR_HANDOUT;
		return UI_NSCREENS;
	}
	/* rekey: the new holders' handouts between the old quorum and the
	 * new one's verification; after the last one, the optional check of
	 * all new shares is offered again (as the last handout's screen
	 * offers it), Esc there goes on to the verification */
	if (ui.kind == UI_KIND_REKEY && strcmp(phase, "accepted") == 0)
		return ui.roster == NULL ? UI_NSCREENS :
		    ui.handed_out == ui.roster->n_holders ? UI_SCR_CHECK :
		    UI_SCR_HANDOUT;
	if (strcmp(phase, "requested") == 0)
		return UI_SCR_SAS;
	if (strcmp(phase, QUORUM_PHASE_CONFIRMED) == 0)
		return quorum_sealed_count(ui.s) >= quorum_threshold(ui.s) ?
		    UI_SCR_QUORUM_RESULT : UI_SCR_QUORUM_SHARE;
	if (strcmp(phase, "submitted") == 0 || strcmp(phase, "partial") == 0 ||
	    strcmp(phase, "issued") == 0 ||
	    strcmp(phase, "verify-submitted") == 0)
		return UI_SCR_QUORUM_RESULT;
	return UI_NSCREENS;
}

int
ui_resume_pending(const char *dir)
{
	char k[SESSION_PEEK_MAX], p[SESSION_PEEK_MAX];

	return session_peek(dir, k, p) == CK_OK && strcmp(p, "closed") != 0;
}

/*
 * The step after the last one the transcript marks done (steps_marked_by,
 * as the paper record dates them); the first step when none is.
 */
static void
find_next_step(void)
{
	const struct steps_kind *k = steps_for(kind);
	const uint8_t *line;
	uint8_t *buf = NULL;
	size_t len = 0, llen, at = 0, idx;
	json_t *rec;
	struct rd rd;
	int any = 0;

	next = NULL;
	if (k == NULL || k->n == 0 || session_read_file(ui.s, SESSION_TRANSCRIPT,
	    TRANSCRIPT_MAX_BYTES, &buf, &len) != CK_OK)
		return;
	rd_init(&rd, buf, len);
	while (rd_left(&rd) > 0 && rd_line(&rd, TRANSCRIPT_MAX_LINE, &line,
	    &llen) == CK_OK && rd_json(line, llen, TRANSCRIPT_MAX_LINE,
	    &rec) == CK_OK) {
		idx = steps_marked_by(k, ui_safe(json_string_value(
		    json_object_get(rec, "type"))), at);
		if (idx < k->n) {
			at = idx;
			any = 1;
		}
		json_decref(rec);
	}
	free(buf);
	idx = any ? at + 1 : 0;
	if (idx >= k->n)
		idx = k->n - 1;
	next = &k->step[idx];
	next_no = steps_number(k, next);
}

static void
resume_init(void)
{
	const struct ui_screen *sc;
	const struct steps_kind *k;
	const struct steps_step *st;
	size_t i;
	char *path;
	int r;

	if (reason.buf == NULL && ui_field_init(&reason, 0) != CK_OK)
		ui_fatal("out of memory");
	ui_field_clear(&reason);
	asking = 0;
	if (ui.s != NULL)
		return;		/* back from the reason: loaded already */
	loaded = session_peek(ui.state_dir, kind, phase);
	if (loaded == CK_OK)
		loaded = session_load(ui.state_dir, kind, ui.exchange_auto ?
		    NULL : ui.exchange, &ui.s);
	holder = 0;
	if (loaded == CK_ERR_BUSY && asprintf(&path, "%s/%s", ui.state_dir,
	    SESSION_TRANSCRIPT) >= 0) {
		if (transcript_lock_holder(path, &holder) != CK_OK)
			holder = 0;
		free(path);
	}
	if (loaded != CK_OK) {
		ui_say_err("The open ceremony could not be loaded", loaded, NULL);
		return;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			ui.kind = kinds[i].ui;
	/* init and rekey keep their roster (its witnesses review) */
	if ((r = init_load_roster(ui.s, &ui.roster)) != CK_OK &&
	    r != CK_ERR_NOT_FOUND)
		ui_say_err("Its roster could not be read", r, NULL);
	find_next_step();
	ui.handed_out = 0;
	for (i = 1; (ui.kind == UI_KIND_INIT || ui.kind == UI_KIND_REKEY) &&
	    ui.roster != NULL && i <= ui.roster->n_holders; i++)
		ui.handed_out += init_handed_out(ui.s, (unsigned)i) != 0;
	to = resume_screen();
	ui.quorum_given = (unsigned)quorum_sealed_count(ui.s);
	/* A quorum's step is done when all its shares are: the screen's own. */
	if ((sc = to == UI_SCR_SAS ? &scr_sas : to == UI_SCR_QUORUM_SHARE ?
	    &scr_quorum_share : to == UI_SCR_QUORUM_RESULT ? &scr_quorum_result :
	    to == UI_SCR_RESULT ? &scr_result : to == UI_SCR_HANDOUT ?
	    &scr_handout : to == UI_SCR_CHECK ? &scr_check : to ==
	    UI_SCR_CLOSE ? &scr_close : NULL) != NULL &&
	    (k = steps_for(kind)) != NULL &&
	    (st = steps_on_screen(k, sc->step)) != NULL) {
		next = st;
		next_no = steps_number(k, st);
	}
}

static void
resume_draw(void)
{
	int y = UI_TOP + 1;

	if (loaded == CK_ERR_BUSY) {
		y = ui_para(y, "Another conclave is running on this state folder "
		    "and holds its ceremony (the guided UI on another terminal, "
		    "or a command): one process at a time writes a ceremony. "
		    "Nothing was changed. Leave here (Ctrl-Q) and go on there, "
		    "or end that one first and start again.");
		if (holder > 0)
			ui_text(y + 1, 4, "It is process %ld.", holder);
		ui_hints("Ctrl-Q leave");
		return;
	}
	if (loaded != CK_OK) {
		y = ui_para(y, "The state folder holds a ceremony that cannot be "
		    "taken up (the line below says why). Nothing was changed. "
		    "Leave (Ctrl-Q) and look at it with:");
		ui_text(y + 1, 4, "conclave %s status --state %s", ui_safe(kind),
		    ui_safe(ui.state_dir));
		ui_hints("Ctrl-Q leave");
		return;
	}
	ui_bold(y++, 2, "An open ceremony is in the state folder:");
	ui_text(++y, 4, "%s ceremony %s", kind, ui.s->id_hex);
	if (session_in_review(ui.s)) {
		y = ui_para(y + 2, "At its last step: the witnesses' review. "
		    "Everything else is done and on the record; the transcript "
		    "closes once the witnesses have answered.");
	} else {
		ui_text(y + 2, 2, "At step %u (phase %s):", next != NULL ?
		    next_no : 0, phase);
		y = ui_para(y + 3, next != NULL ? next->does : "(unknown)");
	}
	if (to != UI_NSCREENS && !session_in_review(ui.s)) {
		y = ui_para(y + 1, "Every step done so far is kept in the state "
		    "folder: it goes on from here, nothing is done twice.");
	} else if (to == UI_NSCREENS) {
		y = ui_para(y + 1, "The guided screens cannot take this phase "
		    "up. It goes on from the command line (its steps so "
		    "far are kept in the state folder):");
		ui_text(y, 4, "conclave %s status --state %s", kind,
		    ui_safe(ui.state_dir));
		y++;
	}
	if (asking) {
		ui_text(y + 1, 2, "Abandon it: the transcript is closed and signed "
		    "as abandoned.");
		ui_text(y + 2, 2, "Why (recorded):");
		ui_field_draw(y + 2, 19, 58, &reason);
		ui_hints("Enter abandon  Esc back");
		return;
	}
	ui_para(y + 1, "A new ceremony cannot begin while this one is open.");
	/* In review its irreversible steps are done: not abandoned (the
	 * review records what went wrong), as `conclave KIND abandon` says. */
	ui_hints(session_in_review(ui.s) ? "Enter resume  Ctrl-Q leave" :
	    to != UI_NSCREENS ? "Enter resume  a abandon  Ctrl-Q leave" :
	    "a abandon  Ctrl-Q leave");
}

static void
resume_key(int ch)
{
	int f;

	if (loaded != CK_OK)
		return;
	if (asking) {
		if ((f = ui_field_key(&reason, ch)) < 0) {
			asking = 0;
			ui.typing = 0;
		} else if (f > 0 && reason.len > 0 &&
		    rd_printable_utf8(reason.buf, reason.len, 0) == CK_OK) {
			ui.typing = 0;
			(void)ui_abandon(reason.buf);
		}
		return;
	}
	if ((ch == 'a' || ch == 'A') && session_in_review(ui.s)) {
		(void)ui_abandon("");	/* refused (CK_ERR_IN_REVIEW), recorded */
	} else if (ch == 'a' || ch == 'A') {
		asking = 1;
		ui.typing = 1;
	} else if ((ch == '\n' || ch == '\r' || ch == KEY_ENTER) &&
	    to != UI_NSCREENS) {
		if (to == UI_SCR_REVIEW)
			ui_ended(ui_completed(), "Resumed after a restart for the "
			    "witnesses' review.");
		else
			ui_goto(to);
	}
}

const struct ui_screen scr_resume = {
	.title = "An open ceremony",
	.step = "resume",
	.help = "conclave was left (or stopped) while a ceremony was open; its "
	    "state folder kept every step done so far. A ceremony at the "
	    "witnesses' review, and any kind at any step, goes on here: "
	    "Enter. A phase the screens cannot take up goes on from the "
	    "command line, where `conclave KIND status` names the next step. Or abandon it (a): the reason is recorded, the bridge "
	    "is told to cancel, and the transcript is closed and signed as "
	    "abandoned. No new ceremony begins while one is open.",
	.init = resume_init,
	.draw = resume_draw,
	.key = resume_key,
};
