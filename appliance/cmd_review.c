/*
 * `conclave review` (see cmd_review.h): the guided UI's review screen
 * (ui/scr_review.c) for the command-line steps.
 */
#include "appliance/cmd_review.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "appliance/cmd.h"
#include "appliance/cmd_quorum.h"
#include "ceremony/init.h"
#include "ceremony/roster.h"
#include "ceremony/session.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "media/tty.h"
#include "protocol/kinds.h"

#define MAX_ANSWERS	32
#define REASON_MAX	400	/* bytes of a --reason */

struct answer {
	const char *name;
	const char *reason;	/* NULL: confirmed */
	int absent;		/* --absent: not there to answer */
};

enum { OPT_STATE = 0x100, OPT_WITNESS, OPT_NOT_CONFIRMED, OPT_REASON,
	OPT_ABSENT, OPT_HELP };

static const struct option longopts[] = {
	{ "state", required_argument, NULL, OPT_STATE },
	{ "witness", required_argument, NULL, OPT_WITNESS },
	{ "not-confirmed", required_argument, NULL, OPT_NOT_CONFIRMED },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "absent", required_argument, NULL, OPT_ABSENT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
    "usage: conclave review --state DIR --witness NAME [--witness NAME]...\n"
    "                       [--not-confirmed NAME --reason TEXT]...\n"
    "                       [--absent NAME]...\n"
    "\n"
    "The witnesses' review of a ceremony begun with --review, after its\n"
    "completing step (init close, unseal result, rekey finish, generate-root\n"
    "close, ...) held the transcript open. Each witness checks the record\n"
    "against what happened in the room and the paper script. In the order\n"
    "given, --witness NAME records that witness's confirmation, and\n"
    "--not-confirmed NAME --reason TEXT a deviation: that witness did not\n"
    "confirm, and why; --absent NAME that a witness was not there to answer\n"
    "(a deviation, by the appliance: nobody answers for them), so that a\n"
    "review closes even when no witness could stay. Then the record's\n"
    "counts are printed and the transcript is closed and signed. The\n"
    "witnesses are the roster's (init) and those begin --review --witness\n"
    "NAME declared; another name is refused (CK_ERR_NOT_A_WITNESS).\n"
    "A ceremony in review is not abandoned: what went wrong is a witness's\n"
    "--not-confirmed NAME --reason TEXT.\n"
    "A ceremony not in review, an empty or unprintable name or reason, a\n"
    "name given twice or a --not-confirmed without its --reason is refused,\n"
    "on the record once, and nothing else changes.\n";

static int
usage(FILE *f)
{
	fputs(usage_text, f);
	return f == stdout ? 0 : 2;
}

/* An answer's name and reason: 1 to their limits, printable, one line. */
static int
check_answer(const struct answer *a, char *why, size_t whylen)
{
	size_t n = strlen(a->name);

	if (n == 0 || n > ROSTER_NAME_MAX ||
	    rd_printable_utf8(a->name, n, 0) != CK_OK) {
		session_why(why, whylen, "a witness's name must be 1 to %d "
		    "printable characters on one line", ROSTER_NAME_MAX);
		return CK_ERR_INVALID_ARG;
	}
	if (a->reason != NULL && a->reason[0] == '\0') {
		session_why(why, whylen, "--not-confirmed %s needs --reason TEXT: "
		    "why that witness did not confirm", a->name);
		return CK_ERR_INVALID_ARG;
	}
	if (a->reason != NULL && (strlen(a->reason) > REASON_MAX ||
	    rd_printable_utf8(a->reason, strlen(a->reason), 0) != CK_OK)) {
		session_why(why, whylen, "the reason %s did not confirm must be "
		    "1 to %d printable characters on one line", a->name,
		    REASON_MAX);
		return CK_ERR_INVALID_ARG;
	}
	return CK_OK;
}

/* Refused on a ceremony taken up: printed, and on its record once. */
static int
refused(struct session *s, int err, const char *why)
{
	session_reject_why(s, "review", err, why, KIND_ACTOR_APPLIANCE);
	session_free(s);
	return cmd_refuse("review", "", err, why);
}

static int
record_answer(struct session *s, const struct answer *a)
{
	json_t *d;
	int r;

	if (a->absent)
		d = json_pack("{s:s, s:s}", "text", INIT_WITNESS_ABSENT,
		    "witness", a->name);
	else if (a->reason == NULL)
		d = json_pack("{s:b}", "confirmed", 1);
	else
		d = json_pack("{s:s+}", "text", "the witness did not confirm "
		    "the review: ", a->reason);
	if (d == NULL)
		return CK_ERR_ALLOC;
	r = session_record(s, a->absent ? "deviation" : a->reason == NULL ?
	    "witness-confirmation" : "deviation", a->absent ?
	    KIND_ACTOR_APPLIANCE : a->name, d);
	json_decref(d);
	return r;
}

static int
review(const char *state, const struct answer *ans, size_t n)
{
	char kind[SESSION_PEEK_MAX], phase[SESSION_PEEK_MAX];
	char why[400];
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	struct session *s = NULL;
	size_t i, j;
	int r;

	if ((r = session_peek(state, kind, phase)) != CK_OK)
		return cmd_refuse("review", "", r, "no ceremony in this state "
		    "folder");
	if ((r = session_load(state, kind, NULL, &s)) != CK_OK)
		return cmd_refuse("review", "", r, r == CK_ERR_CLOSED ?
		    "the ceremony is closed already" : cmd_load_why(state, r));
	/* Every refusal from here on is on the record, and nothing else. */
	if (!session_in_review(s))
		return refused(s, CK_ERR_STATE, "the ceremony is not held for "
		    "the witnesses' review: it must be begun with --review and "
		    "its completing step done");
	for (i = 0; i < n; i++) {
		if ((r = check_answer(&ans[i], why, sizeof(why))) != CK_OK)
			return refused(s, r, why);
		if ((r = init_check_witness(s, ans[i].name, why,
		    sizeof(why))) != CK_OK)
			return refused(s, r, why);
		for (j = 0; j < i; j++)
			if (strcmp(ans[i].name, ans[j].name) == 0) {
				session_why(why, sizeof(why), "%s answers twice: "
				    "once each", ans[i].name);
				return refused(s, CK_ERR_INVALID_ARG, why);
			}
	}
	/* The answers and the close are durable as one. */
	session_hold(s);
	for (i = 0, r = CK_OK; i < n && r == CK_OK; i++)
		r = record_answer(s, &ans[i]);
	if (r == CK_OK)
		r = session_review_close(s, head);
	if ((r = session_release(s, r)) != CK_OK) {
		session_free(s);
		return cmd_refuse("review", "", r, "nothing was recorded");
	}
	tty_printw(stdout,
	    "%zu witness answer(s) recorded. Ceremony closed.\n", n);
	cmd_quorum_print_head(s, state, head);
	session_free(s);
	return 0;
}

int
cmd_review_main(int argc, char **argv)
{
	struct answer ans[MAX_ANSWERS];
	const char *state = NULL;
	size_t n = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_STATE: state = optarg; break;
		case OPT_WITNESS:
		case OPT_NOT_CONFIRMED:
		case OPT_ABSENT:
			if (n == MAX_ANSWERS)
				return usage(stderr);
			ans[n].name = optarg;
			ans[n].absent = c == OPT_ABSENT;
			ans[n++].reason = NULL;
			/* A reason must follow (check_answer). */
			if (c == OPT_NOT_CONFIRMED)
				ans[n - 1].reason = "";
			break;
		case OPT_REASON:
			if (n == 0 || ans[n - 1].reason == NULL ||
			    ans[n - 1].reason[0] != '\0' || optarg[0] == '\0') {
				tty_printw(stderr,
				    "conclave review: --reason TEXT "
				    "follows its --not-confirmed NAME, once\n");
				return usage(stderr);
			}
			ans[n - 1].reason = optarg;
			break;
		case OPT_HELP: return usage(stdout);
		default: return usage(stderr);
		}
	}
	if (optind != argc || state == NULL || n == 0)
		return usage(stderr);
	return review(state, ans, n);
}
