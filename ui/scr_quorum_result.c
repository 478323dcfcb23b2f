/*
 * Unseal: the sealed shares go to the bridge in one submission
 * (quorum_submit, after a confirmation), then the bridge's per-node
 * results come back (unseal_result). Every node unsealed: the transcript
 * is closed. Nodes still sealed: retry them with the same bridge session
 * (unseal_retry), or abandon them (unseal_abandon, confirmed).
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ceremony/generate_root.h"
#include "ceremony/quorum.h"
#include "ceremony/rekey.h"
#include "ceremony/unseal.h"
#include "crypto/errors.h"
#include "ui/ui.h"

enum { CONFIRM, UNDELIVERED, WAITING, PARTIAL, ABANDON, FAILED, ISSUED };

static int step;
static unsigned pending;
static time_t since;

static void
qresult_init(void)
{
	const char *phase = session_phase(ui.s);

	/* resumed after the submit (scr_resume): its result (or the token's
	 * revocation) is awaited */
	step = strcmp(phase, "submitted") == 0 ||
	    strcmp(phase, "verify-submitted") == 0 ? WAITING :
	    strcmp(phase, "partial") == 0 ? PARTIAL :
	    strcmp(phase, "issued") == 0 ? ISSUED : CONFIRM;
	since = time(NULL);
}

static int
draw_nodes(int y)
{
	const json_t *n;
	size_t i;

	json_array_foreach(json_object_get(ui.s->ext, "nodes"), i, n) {
		const char *res = json_string_value(json_object_get(n, "result"));
		const char *err = json_string_value(json_object_get(n, "error"));

		ui_text(y++, 4, "%-36.36s %s%s%.30s", ui_safe(json_string_value(
		    json_object_get(n, "address"))), res != NULL ? ui_safe(res) :
		    "(no result yet)", err != NULL ? ": " : "",
		    err != NULL ? ui_safe(err) : "");
	}
	return y;
}

/* What the bridge's answer brings, in each kind's words: only unseal and
 * migrate submit to every node. */
static const char *
waiting_for(void)
{
	switch (ui.kind) {
	case UI_KIND_REKEY:
		return rekey_verifying(ui.s) ? "Waiting for the verification's "
		    "result (with it, the old shares stop working). Take the "
		    "exchange stick to the bridge." : "Waiting for the new shares. "
		    "Take the exchange stick to the bridge.";
	case UI_KIND_GENERATE_ROOT:
		return "Waiting for the new root token to be issued to the "
		    "operator. Take the exchange stick to the bridge.";
	case UI_KIND_DR_TOKEN:
		return "Waiting for the DR operation token to be issued to the "
		    "operator. Take the exchange stick to the bridge.";
	default:
		return "Waiting for the nodes' results. Take the exchange stick "
		    "to the bridge.";
	}
}

/* Where the bridge submits the shares, in each kind's words: only unseal
 * and migrate submit to every node. */
static const char *
submits_to(void)
{
	switch (ui.kind) {
	case UI_KIND_REKEY:
		return rekey_verifying(ui.s) ? "The bridge submits them to the "
		    "rekey's verification; with it, the old shares stop working." :
		    "The bridge submits them to the server's rekey, which then "
		    "makes the new shares.";
	case UI_KIND_GENERATE_ROOT:
		return "The bridge submits them to the server's root-token "
		    "attempt.";
	case UI_KIND_DR_TOKEN:
		return "The bridge submits them to the DR secondary's "
		    "operation-token attempt.";
	default:
		return "The bridge submits them to every sealed node.";
	}
}

static void
qresult_draw(void)
{
	char text[512];
	int y = UI_TOP;

	switch (step) {
	case CONFIRM:
		ui_text(y, 2, "%zu %sshares sealed to the bridge session "
		    "(threshold %u).", quorum_sealed_count(ui.s),
		    ui.kind == UI_KIND_REKEY && rekey_verifying(ui.s) ? "NEW " : "",
		    quorum_threshold(ui.s));
		snprintf(text, sizeof(text), "Submitting writes them to the "
		    "exchange stick, in one envelope only the confirmed bridge "
		    "session can open. %s", submits_to());
		y = ui_para(y + 2, text);
		ui_bold(y + 1, 2, "Submit the shares? Type y.");
		ui_hints("y submit");
		break;
	case UNDELIVERED:
		snprintf(text, sizeof(text), "The submission is saved in the "
		    "state folder, but the exchange stick could not take it "
		    "(below). Nothing is lost, and no holder comes back: put "
		    "this ceremony's exchange stick in (its folder %.8s... must "
		    "be on it) and r writes the submission there. Leaving "
		    "(Ctrl-Q) and starting again writes it to the exchange stick "
		    "given then.", json_string_value(json_object_get(ui.s->state,
		    "ceremony_id")));
		ui_para(y, text);
		ui_hints("r write it to the exchange stick");
		break;
	case WAITING:
		y = ui_para(y, waiting_for());
		ui_text(y + 1, 2, "Waiting... %lds", (long)(time(NULL) - since));
		ui_hints("Read as soon as the results are on the stick");
		break;
	case PARTIAL:
		ui_text(y++, 2, "%u node(s) still sealed:", pending);
		y = draw_nodes(y + 1);
		ui_para(y + 1, "When the nodes are back, r asks the same bridge "
		    "session to try them again with the shares it holds. a abandons "
		    "them: the bridge wipes the shares and the transcript says which "
		    "nodes stayed sealed.");
		ui_hints("r retry  a abandon");
		break;
	case ISSUED:
		/* PGP mode: the recipient as the session keeps it (begun
		 * here or before a restart) */
		if (strcmp(ui_safe(json_string_value(json_object_get(ui.s->ext,
		    "mode"))), "pgp") == 0) {
			ui_text(y++, 2, "A new root token was issued, encrypted to "
			    "the key of");
			ui_text(y++, 4, "%s", ui_safe(json_string_value(
			    json_object_get(ui.s->ext, "recipient"))));
			ui_text(y++, 4, "%.70s", ui_safe(json_string_value(
			    json_object_get(json_object_get(ui.s->ext, "issued"),
			    "pgp_fingerprint"))));
			y = ui_para(y + 1, "Only that key opens it (the bridge shows "
			    "it encrypted). Do the break-glass work, then give the "
			    "token back to conclave-bridge, which revokes it and "
			    "writes the proof to the exchange stick.");
		} else if (json_is_false(json_object_get(json_object_get(
		    ui.s->ext, "issued"), "handed_over"))) {
			y = ui_para(y, "A new root token was issued, but the bridge "
			    "could not hand it over. Its closing result says what "
			    "became of it (revoked by the bridge, or not); the "
			    "ceremony closes as failed when it is read.");
		} else {
			ui_text(y++, 2, "A new root token was issued (accessor %s).",
			    ui_safe(json_string_value(json_object_get(
			    json_object_get(ui.s->ext, "issued"), "accessor"))));
			y = ui_para(y + 1, "It never crossed the airgap: the bridge "
			    "gave it to the operator. Operator: do the break-glass "
			    "work, then give the token back to conclave-bridge, which "
			    "revokes it and writes the proof to the exchange stick.");
		}
		ui_text(y + 1, 2, "Waiting for the revocation... %lds",
		    (long)(time(NULL) - since));
		ui_hints("Read as soon as the proof is on the stick");
		break;
	case FAILED:
		ui_para(y, "The bridge's answer was refused or reports a failure "
		    "(below); it is on the record. Ctrl-Q leaves.");
		break;
	case ABANDON:
		ui_bold(y, 2, "Abandon the nodes still sealed? Type y.");
		ui_para(y + 2, "This cannot be undone: unsealing them needs a new "
		    "ceremony and the quorum again.");
		ui_hints("y abandon  n back");
		break;
	}
}

static void
closed_now(const char *how)
{
	char tally[UI_COLS];

	snprintf(tally, sizeof(tally), "%u holders' shares crossed sealed to the "
	    "bridge.", ui.quorum_given);
	ui_ended(how, tally);
}

/* Rekey: the new shares (then the handouts), or the verification's end. */
static void
rekey_tick(void)
{
	char why[256] = "";
	int r;

	if (strcmp(session_phase(ui.s), "verify-submitted") == 0) {
		r = rekey_finish(ui.s, ui.head, why, sizeof(why));
		if (r == CK_OK) {
			closed_now(ui_completed());
			return;
		}
	} else if ((r = rekey_result(ui.s, why, sizeof(why))) == CK_OK) {
		ui.handed_out = 0;
		ui_goto(UI_SCR_HANDOUT);
		return;
	}
	ui_say_err("The bridge's answer was refused", r, why);
	step = FAILED;
}

/*
 * The new root token's closing closed the ceremony as failed (NOT revoked,
 * or never handed over): shown, 1; else 0.
 */
static int
revocation_failed(int r)
{
	const json_t *iss = json_object_get(ui.s->ext, "issued");

	if (r != CK_ERR_SERVER || iss == NULL)
		return 0;
	/* In PGP mode the appliance is never told the accessor. */
	if (!json_is_true(json_object_get(ui.s->ext, "root_token_revoked")))
		ui_ended(json_is_false(json_object_get(iss, "handed_over")) ?
		    "Failed: the new root token was not handed over, NOT revoked." :
		    "Failed: the new root token is NOT revoked.",
		    json_object_get(iss, "accessor") != NULL ? "Revoke it on the "
		    "server: its accessor and the bridge's error are on record." :
		    "Its recipient revokes it on the server (PGP mode: no "
		    "accessor here); the bridge's error is on record.");
	else
		ui_ended("Failed: the bridge could not hand the new root token "
		    "over.", "The bridge revoked it: a lookup with it is refused "
		    "(on the record).");
	return 1;
}

/* Generate-root: the result (the token's accessor), then its revocation. */
static void
generate_root_tick(void)
{
	char why[256] = "";
	int closed = 0, r;

	if (step == ISSUED) {
		if ((r = generate_root_close(ui.s, ui.head, why, sizeof(why))) == CK_OK) {
			closed_now(ui_completed());
			return;
		}
	} else if ((r = generate_root_result(ui.s, &closed, ui.head, why,
	    sizeof(why))) == CK_OK) {
		if (closed)
			closed_now(ui_completed());
		else {
			step = ISSUED;
			since = time(NULL);
		}
		return;
	}
	/* Closed as failed by the bridge's closing result, saying what became
	 * of the token (not handed over: at once, with the result). */
	if (revocation_failed(r))
		return;
	ui_say_err("The bridge's answer was refused", r, why);
	step = FAILED;
}

static void
qresult_tick(void)
{
	char why[256] = "";
	int closed = 0, r;

	if ((step != WAITING && step != ISSUED) || !ui_envelope_waiting())
		return;
	if (ui.kind == UI_KIND_GENERATE_ROOT || ui.kind == UI_KIND_DR_TOKEN) {
		generate_root_tick();
		return;
	}
	if (ui.kind == UI_KIND_REKEY) {
		rekey_tick();
		return;
	}
	if ((r = unseal_result(ui.s, &closed, &pending, ui.head, why,
	    sizeof(why))) != CK_OK) {
		ui_say_err("The results were refused", r, why);
		step = PARTIAL;
		return;
	}
	if (closed)
		closed_now(ui_completed());
	else
		step = PARTIAL;
}

/* The submission is saved, but not on the exchange stick (r: why). */
static void
undelivered(int r)
{
	step = UNDELIVERED;
	ui_say_err("The exchange stick could not take the submission", r,
	    r == CK_ERR_NOT_FOUND ? "this ceremony's folder is not on it: "
	    "another ceremony's stick?" : NULL);
}

static void
qresult_key(int ch)
{
	char why[256] = "", before[32];
	int r;

	switch (step) {
	case CONFIRM:
		if (ch != 'y' && ch != 'Y')
			return;
		snprintf(before, sizeof(before), "%s", session_phase(ui.s));
		r = ui.kind == UI_KIND_REKEY && rekey_verifying(ui.s) ?
		    rekey_verify_submit(ui.s, why, sizeof(why)) :
		    quorum_submit(ui.s, why, sizeof(why));
		/* The phase moved on: the submission is journaled in the
		 * state folder (the sealed shares are in it, no longer
		 * apart) and only its writing to the exchange stick failed.
		 * Asking to submit again could only be refused. */
		if (r != CK_OK && strcmp(session_phase(ui.s), before) != 0) {
			undelivered(r);
			return;
		}
		if (r != CK_OK) {
			ui_say_err("The submission failed", r, why);
			return;
		}
		step = WAITING;
		since = time(NULL);
		break;
	case UNDELIVERED:
		if (ch != 'r' && ch != 'R')
			return;
		/* The step's journal is carried out again: the envelope, then
		 * the records the transcript does not have yet. */
		if ((r = session_save(ui.s)) != CK_OK) {
			undelivered(r);
			return;
		}
		ui_say(0, "The submission is on the exchange stick.");
		step = WAITING;
		since = time(NULL);
		break;
	case PARTIAL:
		if (ch == 'a') {
			step = ABANDON;
		} else if (ch == 'r') {
			if ((r = unseal_retry(ui.s)) != CK_OK) {
				ui_say_err("The retry request failed", r, NULL);
				return;
			}
			step = WAITING;
			since = time(NULL);
		}
		break;
	case ABANDON:
		if (ch == 'n' || ch == 27) {
			step = PARTIAL;
		} else if (ch == 'y' || ch == 'Y') {
			if ((r = unseal_abandon(ui.s, "nodes left sealed",
			    ui.head)) != CK_OK) {
				ui_say_err("Abandoning failed", r, NULL);
				step = PARTIAL;
				return;
			}
			closed_now("Nodes left sealed (abandoned).");
		}
		break;
	}
}

static const char *
qresult_waiting(void)
{
	if (step == WAITING)
		return "conclave-bridge submits the sealed shares and writes the "
		    "result to the exchange stick.";
	if (step == ISSUED)
		return "the operator gives the new root token back to "
		    "conclave-bridge, which revokes it and writes the proof.";
	return NULL;
}

const struct ui_screen scr_quorum_result = {
	.title = "Submit the shares, and the results",
	.step = "submit",
	.help = "The sealed shares cross in one envelope, and the bridge "
	    "submits them. Unseal and migrate: to every sealed node, with each "
	    "node's result; a node that was down can be retried while the "
	    "bridge still runs, or abandoned, which is recorded. Rekey: the new "
	    "shares come back for the handouts; at the verification, the old "
	    "shares stop working. Root token: the operator gets it from the "
	    "bridge and gives it back to be revoked; a DR operation token is "
	    "not revoked here. Then the witnesses review the ceremony.",
	.init = qresult_init,
	.draw = qresult_draw,
	.key = qresult_key,
	.tick = qresult_tick,
	.waiting = qresult_waiting,
};
