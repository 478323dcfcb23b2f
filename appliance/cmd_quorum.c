/*
 * The steps the quorum ceremonies' commands share (see cmd_quorum.h).
 */
#include "appliance/cmd_quorum.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cmd.h"
#include "ceremony/audit.h"
#include "ceremony/quorum.h"
#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/pgp.h"
#include "crypto/secmem.h"
#include "crypto/words.h"
#include "media/file.h"
#include "media/tty.h"

enum {
	OPT_STATE = 0x100, OPT_EXCHANGE, OPT_PREVIOUS, OPT_CONFIRM, OPT_WITNESS,
	OPT_HOLDER, OPT_SHARE_FILE, OPT_SECRET_KEY, OPT_HOLDER_KEY, OPT_PASSPHRASE_FD,
	OPT_GNUPG_BASE, OPT_PGP_KEY, OPT_STICK, OPT_HANDOUT_TRANSCRIPT, OPT_THRESHOLD, OPT_RECOVERY,
	OPT_REASON, OPT_REVIEW,
	OPT_HELP,
};

static const struct option longopts[] = {
	{ "state", required_argument, NULL, OPT_STATE },
	{ "exchange", required_argument, NULL, OPT_EXCHANGE },
	{ "previous-transcript", required_argument, NULL, OPT_PREVIOUS },
	{ "confirm-sas", required_argument, NULL, OPT_CONFIRM },
	{ "witness", required_argument, NULL, OPT_WITNESS },
	{ "holder", required_argument, NULL, OPT_HOLDER },
	{ "share-file", required_argument, NULL, OPT_SHARE_FILE },
	{ "secret-key", required_argument, NULL, OPT_SECRET_KEY },
	{ "holder-key", required_argument, NULL, OPT_HOLDER_KEY },
	{ "passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD },
	{ "gnupg-base", required_argument, NULL, OPT_GNUPG_BASE },
	{ "pgp-key", required_argument, NULL, OPT_PGP_KEY },
	{ "stick", required_argument, NULL, OPT_STICK },
	{ "handout-transcript", required_argument, NULL, OPT_HANDOUT_TRANSCRIPT },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "recovery", no_argument, NULL, OPT_RECOVERY },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "review", no_argument, NULL, OPT_REVIEW },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* The common options: 0, 1 for --help, 2 for a usage error. */
static int
parse(int argc, char **argv, struct quorum_args *a)
{
	unsigned long long v;
	int c;

	memset(a, 0, sizeof(*a));
	a->passphrase_fd = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_STATE: a->state = optarg; break;
		case OPT_EXCHANGE: a->exchange = optarg; break;
		case OPT_PREVIOUS: a->previous = optarg; break;
		case OPT_CONFIRM: a->confirm = optarg; break;
		case OPT_WITNESS:
			if (a->nwitnesses == QUORUM_ARGS_MAX_HOLDERS)
				return 2;
			a->witnesses[a->nwitnesses++] = a->witness = optarg;
			break;
		case OPT_HOLDER:
			if (a->nholders == QUORUM_ARGS_MAX_HOLDERS)
				return 2;
			a->holders[a->nholders++] = a->holder = optarg;
			break;
		case OPT_STICK: a->stick = optarg; break;
		case OPT_HANDOUT_TRANSCRIPT: a->handout_transcript = optarg; break;
		case OPT_RECOVERY: a->recovery = 1; break;
		case OPT_REASON: a->reason = optarg; break;
		case OPT_REVIEW:
			if (cmd_review_option(argv[0]) != 0)
				return 2;
			a->review = 1;
			break;
		case 't':
		case OPT_THRESHOLD:
			if (rd_parse_uint(optarg, 1, 255, &v) != CK_OK)
				return 2;
			a->threshold = (unsigned)v;
			break;
		case OPT_SHARE_FILE: a->share_file = optarg; break;
		case OPT_SECRET_KEY: a->secret_key = optarg; break;
		case OPT_HOLDER_KEY: a->holder_key = optarg; break;
		case OPT_GNUPG_BASE: a->gnupg_base = optarg; break;
		case OPT_PGP_KEY: a->pgp_key = optarg; break;
		case OPT_HELP: return 1;
		case OPT_PASSPHRASE_FD:
			if (rd_parse_uint(optarg, 0, 1023, &v) != CK_OK)
				return 2;
			a->passphrase_fd = (int)v;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc || a->state == NULL)
		return 2;
	return a->review ? cmd_review_begin(a->witnesses, a->nwitnesses) : 0;
}

int
cmd_quorum_run(const char *cmd, const struct quorum_step *steps, size_t n,
    int argc, char **argv, int (*usage)(FILE *))
{
	struct quorum_args a;
	size_t i;
	int r;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)
		return usage(stdout);
	if ((r = parse(argc - 1, argv + 1, &a)) != 0)
		return r == 1 ? usage(stdout) : usage(stderr);
	for (i = 0; i < n; i++)
		if (strcmp(argv[1], steps[i].name) == 0)
			return steps[i].run(&a);
	tty_printw(stderr, "conclave %s: unknown step '%s'\n", cmd, argv[1]);
	return usage(stderr);
}

void
cmd_quorum_print_head(const struct session *s, const char *state,
    const uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	char hex[2 * TRANSCRIPT_HASH_BYTES + 1];
	char words[WORDS_TEXT_MAX(TRANSCRIPT_HEAD_WORDS)], tally[AUDIT_TALLY_MAX];
	char *path = NULL;
	int r = CK_ERR_ALLOC;

	if (codec_hex_encode(head, TRANSCRIPT_HASH_BYTES, hex, sizeof(hex)) != CK_OK ||
	    transcript_head_words(head, words, sizeof(words)) != CK_OK)
		hex[0] = words[0] = '\0';
	/* The exceptions counted from the records, as the UI and verify say. */
	if (asprintf(&path, "%s/%s", state, SESSION_TRANSCRIPT) < 0)
		path = NULL;
	else
		r = audit_tally_file(path, tally, sizeof(tally));
	free(path);
	if (r != CK_OK)
		snprintf(tally, sizeof(tally), "the record could not be counted "
		    "(%s)", ck_errname(r));
	/* Begun with --review: the witnesses answer before it closes. */
	if (session_in_review(s)) {
		tty_printw(stdout, "Record: %s.\n", tally);
		cmd_review_next(state);
		return;
	}
	tty_printw(stdout,
	    "Transcript %s/%s (signed: .minisig, key: .pub)\nHead %s\n  %s\n"
	    "Record: %s.\n"
	    "Witnesses: write the head words down and initial them.\n",
	    state, SESSION_TRANSCRIPT, hex, words, tally);
}

void
cmd_quorum_print_nodes(const json_t *nodes)
{
	const json_t *n;
	size_t i;

	json_array_foreach(nodes, i, n) {
		const char *addr = json_string_value(json_object_get(n, "address"));
		const char *res = json_string_value(json_object_get(n, "result"));
		const char *err = json_string_value(json_object_get(n, "error"));
		json_t *sealed = json_object_get(n, "sealed");

		/* Printed only after check_nodes / the envelope parser's
		 * printable-UTF-8 rule has passed over the payload. */
		if (res != NULL)
			tty_printw(stdout,
			    "  %-32s %s%s%s\n", addr != NULL ? addr : "?", res,
			    err != NULL ? ": " : "", err != NULL ? err : "");
		else
			tty_printw(stdout,
			    "  %-32s %s\n", addr != NULL ? addr : "?",
			    !json_is_true(json_object_get(n, "reachable")) ?
			    "unreachable" : json_is_false(json_object_get(n,
			    "initialized")) ? "not initialised (a Raft joiner "
			    "joins once a node is unsealed)" : json_is_true(sealed) ?
			    "sealed" : "unsealed");
	}
}

int
cmd_quorum_accept(const struct quorum_cmd *q, const struct quorum_args *a)
{
	struct session *s = NULL;
	json_t *offer = NULL;
	char sas[QUORUM_SAS_MAX], why[256];
	int r, rc = 1;

	if ((r = session_load(a->state, q->kind, a->exchange, &s)) != CK_OK)
		return cmd_refuse(q->cmd, "accept", r,
		    cmd_load_why(a->state, r));
	r = quorum_accept_offer(s, q->begun, a->confirm, a->witness, sas,
	    &offer, why, sizeof(why));
	if (sas[0] != '\0')
		tty_printw(stdout,
		    "Short authentication string (compare with the bridge's "
		    "screen):\n  %s\n", sas);
	if (r == CK_ERR_INCOMPLETE) {
		cmd_print_confirm(q->cmd, "accept", a->state, sas,
		    "Not accepted yet");
		goto out;
	}
	if (r != CK_OK) {
		cmd_refuse(q->cmd, "accept", r, why);
		goto out;
	}
	tty_printw(stdout,
	    "Session offer accepted; the witness confirmed the words.\n"
	    "Threshold %u.\n", quorum_threshold(s));
	cmd_quorum_print_nodes(json_object_get(offer, "nodes"));
	tty_printw(stdout, "Next: conclave %s share, for %u holders.\n", q->cmd,
	    quorum_threshold(s));
	rc = 0;
out:
	json_decref(offer);
	session_free(s);
	return rc;
}

int
cmd_quorum_share(const struct quorum_cmd *q, const struct quorum_args *a)
{
	struct session *s = NULL;
	struct pgp_home *h = NULL;
	uint8_t *msg = NULL;
	size_t len = 0;
	char *pass = NULL, why[256], enc_keyid[PGP_KEYID_LEN + 1] = "", step[48];
	struct cmd_step st;
	int r, rc = 1;

	if (a->holder == NULL || a->share_file == NULL) {
		tty_printw(stderr,
		    "conclave %s share: --holder NAME and --share-file "
		    "FILE are required\n", q->cmd);
		return 2;
	}
	if ((r = session_load(a->state, q->kind, a->exchange, &s)) != CK_OK)
		return cmd_refuse(q->cmd, "share", r,
		    cmd_load_why(a->state, r));
	if ((r = file_read_path(a->share_file, PGP_MSG_MAX, &msg, &len)) != CK_OK) {
		cmd_refuse(q->cmd, "share", r, a->share_file);
		goto out;
	}
	/* The stick first, the PIN after: a wrong stick is named at once. */
	if ((r = quorum_check_share_file(s, a->holder, msg, len, why,
	    sizeof(why))) != CK_OK) {
		cmd_refuse(q->cmd, "share", r, why);
		goto out;
	}
	if (a->secret_key != NULL && (r = quorum_check_key_file(s, a->holder,
	    a->secret_key, why, sizeof(why))) != CK_OK) {
		cmd_refuse(q->cmd, "share", r, why);
		goto out;
	}
	snprintf(step, sizeof(step), "%s share", q->cmd);
	if ((r = cmd_pgp_home(step, a->gnupg_base, &h)) != CK_OK)
		goto out;
	if (a->secret_key == NULL && cmd_holder_key(h, q->cmd, "share",
	    a->holder_key, enc_keyid) != CK_OK)
		goto out;
	st = (struct cmd_step){ s, q->cmd, "share", "share", a->holder,
	    enc_keyid };
	if (cmd_holder_secret(h, &st, a->secret_key, a->passphrase_fd,
	    &pass) != CK_OK)
		goto out;
	if ((r = quorum_add_share(s, h, a->holder, a->secret_key, pass, msg, len,
	    why, sizeof(why))) != CK_OK) {
		cmd_refuse(q->cmd, "share", r, why);
		goto out;
	}
	tty_printw(stdout,
	    "%s's share is sealed to the bridge session and wiped here "
	    "(%zu of %u).\n", a->holder, quorum_sealed_count(s),
	    quorum_threshold(s));
	if (quorum_sealed_count(s) >= quorum_threshold(s))
		tty_printw(stdout, "Next: conclave %s submit.\n", q->cmd);
	rc = 0;
out:
	secmem_free(pass);
	free(msg);
	pgp_home_close(h);
	session_free(s);
	return rc;
}

int
cmd_quorum_submit(const struct quorum_cmd *q, const struct quorum_args *a)
{
	struct session *s = NULL;
	char why[256];
	int r;

	if ((r = session_load(a->state, q->kind, a->exchange, &s)) != CK_OK)
		return cmd_refuse(q->cmd, "submit", r,
		    cmd_load_why(a->state, r));
	if ((r = quorum_submit(s, why, sizeof(why))) != CK_OK) {
		session_free(s);
		return cmd_refuse(q->cmd, "submit", r, why);
	}
	tty_printw(stdout,
	    "Sealed shares submitted. Next: conclave %s result, once the "
	    "bridge has answered.\n", q->cmd);
	session_free(s);
	return 0;
}

int
cmd_quorum_status(const struct quorum_cmd *q, const struct quorum_args *a)
{
	struct session *s = NULL;
	int r;

	if ((r = session_load(a->state, q->kind, a->exchange, &s)) != CK_OK) {
		if (r == CK_ERR_CLOSED) {
			tty_printw(stdout, "closed\n");
			return 0;
		}
		return cmd_refuse(q->cmd, "status", r,
		    cmd_load_why(a->state, r));
	}
	tty_printw(stdout,
	    "%s\nceremony %s, %zu of %u shares sealed\n", session_phase(s),
	    s->id_hex, quorum_sealed_count(s), quorum_threshold(s));
	if (session_in_review(s))
		cmd_review_next(a->state);
	session_free(s);
	return 0;
}

int
cmd_quorum_handout(const char *cmd, const struct quorum_args *a,
    json_t **handout)
{
	char why[512];
	int r;

	*handout = NULL;
	if (a->handout_transcript == NULL)
		return 0;
	if ((r = quorum_read_handout(a->handout_transcript, handout, why,
	    sizeof(why))) != CK_OK)
		return cmd_refuse(cmd, "begin", r, why);
	return 0;
}

void
cmd_quorum_print_handout(const struct session *s)
{
	const json_t *h = json_object_get(s->ext, "handout");
	const json_t *via = json_object_get(h, "via");

	if (h == NULL)
		return;
	tty_printw(stdout,
	    "Each share is checked against the handout of %s ceremony %s "
	    "(%s):\nonly the holder it was handed to can give it.\n",
	    json_string_value(json_object_get(h, "kind")),
	    json_string_value(json_object_get(h, "ceremony_id")),
	    json_string_value(json_object_get(h, "state")));
	if (via != NULL)
		tty_printw(stdout,
		    "That handout is carried forward from %s ceremony %s.\n",
		    json_string_value(json_object_get(via, "kind")),
		    json_string_value(json_object_get(via, "ceremony_id")));
}

int
cmd_quorum_closed_failed(const char *cmd, const char *step, struct session *s,
    const char *state, const char *why,
    const uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	cmd_refuse(cmd, step, CK_ERR_SERVER, why);
	tty_printw(stdout, "Ceremony closed as failed.\n");
	cmd_quorum_print_head(s, state, head);
	session_free(s);
	return 1;
}

int
cmd_quorum_close(const struct quorum_cmd *q, const struct quorum_args *a,
    const char *step,
    int (*close)(struct session *, const char *, uint8_t *),
    const char *done)
{
	struct session *s = NULL;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	int r;

	if ((r = session_load(a->state, q->kind, a->exchange, &s)) != CK_OK)
		return cmd_refuse(q->cmd, step, r, cmd_load_why(a->state, r));
	if ((r = close(s, a->reason != NULL ? a->reason : CMD_ABANDON_REASON,
	    head)) != CK_OK) {
		session_free(s);
		return cmd_abandon_refused(q->cmd, a->state, r, r ==
		    CK_ERR_STATE ? "too late to abandon: the server may have "
		    "acted on the shares already; read its result first" : NULL);
	}
	tty_printw(stdout, "%s\n", done);
	cmd_quorum_print_head(s, a->state, head);
	session_free(s);
	return 0;
}
