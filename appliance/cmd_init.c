/*
 * `conclave init`: begin, accept, handout, close, status. Exit 0 on
 * success, 1 when the step was refused (the reason is printed and, where a
 * ceremony exists, recorded in its transcript), 2 on a usage error.
 */
#include "appliance/cmd_init.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cmd.h"
#include "appliance/cmd_quorum.h"
#include "ceremony/init.h"
#include "ceremony/roster.h"
#include "crypto/errors.h"
#include "crypto/pgp.h"
#include "crypto/reader.h"
#include "crypto/secmem.h"
#include "media/tty.h"
#include "protocol/minisig.h"

#define MAX_MEMBERS	64

struct member_arg {
	enum roster_role role;
	char *spec;		/* NAME=KEYFILE, borrowed from argv */
};

struct init_args {
	const char *state;
	const char *exchange;
	const char *stick;
	const char *secret_key;
	const char *previous;
	const char *gnupg_base;
	const char *reason;	/* abandon --reason */
	const char *confirm;	/* repin --confirm-sas */
	unsigned threshold;
	unsigned holder;
	int passphrase_fd;
	int recovery;
	int review;		/* begin --review */
	struct member_arg members[MAX_MEMBERS];
	size_t nmembers;
};

enum {
	OPT_STATE = 0x100, OPT_EXCHANGE, OPT_HOLDER, OPT_OPERATOR, OPT_WITNESS,
	OPT_THRESHOLD, OPT_RECOVERY, OPT_PREVIOUS, OPT_STICK, OPT_SECRET_KEY,
	OPT_PASSPHRASE_FD, OPT_GNUPG_BASE, OPT_REASON, OPT_REVIEW, OPT_HELP,
	OPT_CONFIRM,
};

static const struct option longopts[] = {
	{ "state", required_argument, NULL, OPT_STATE },
	{ "exchange", required_argument, NULL, OPT_EXCHANGE },
	{ "holder", required_argument, NULL, OPT_HOLDER },
	{ "operator", required_argument, NULL, OPT_OPERATOR },
	{ "witness", required_argument, NULL, OPT_WITNESS },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "recovery", no_argument, NULL, OPT_RECOVERY },
	{ "previous-transcript", required_argument, NULL, OPT_PREVIOUS },
	{ "stick", required_argument, NULL, OPT_STICK },
	{ "secret-key", required_argument, NULL, OPT_SECRET_KEY },
	{ "passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD },
	{ "gnupg-base", required_argument, NULL, OPT_GNUPG_BASE },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "confirm-sas", required_argument, NULL, OPT_CONFIRM },
	{ "review", no_argument, NULL, OPT_REVIEW },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
    "usage: conclave init begin --state DIR --exchange DIR --threshold T\n"
    "                           --holder NAME=KEYFILE... --operator NAME=KEYFILE\n"
    "                           [--witness NAME=KEYFILE]... [--recovery]\n"
    "                           [--previous-transcript FILE] [--review]\n"
    "       conclave init accept --state DIR [--exchange DIR]\n"
    "       conclave init handout --state DIR --holder K --stick DIR\n"
    "                           [--secret-key FILE] [--passphrase-fd N]\n"
    "       conclave init repin --state DIR [--confirm-sas WORDS]\n"
    "                           [--witness NAME]\n"
    "       conclave init close --state DIR [--exchange DIR]\n"
    "       conclave init abandon --state DIR [--reason TEXT]\n"
    "       conclave init status --state DIR\n"
    "\n"
    "The appliance's side of initialising a Vault/OpenBao cluster:\n"
    "  begin    check every holder's OpenPGP key, save the roster, and write the\n"
    "           init request (signed) to the exchange folder for conclave-bridge.\n"
    "           Holders get shares in the order given. The operator's key\n"
    "           encrypts the initial root token. --recovery asks for recovery\n"
    "           shares (auto-unseal servers) instead of unseal shares.\n"
    "  accept   read the bridge's init result: every share must be encrypted to\n"
    "           its holder's key and the root token to the operator's.\n"
    "  handout  one holder at a time: their key decrypts their encrypted share\n"
    "           here as a proof, and only then is it written to their stick\n"
    "           (`gpg --decrypt FILE` opens it); a wrong key or stick writes\n"
    "           nothing. Only a keyed commitment is recorded.\n"
    "           --secret-key: the holder's key file (else a smartcard);\n"
    "           the passphrase or PIN is asked for on the terminal, or read\n"
    "           from --passphrase-fd.\n"
    "  repin    a restarted bridge offers a new key (its old one died with it):\n"
    "           show the words to compare with the bridge's screen; with\n"
    "           --confirm-sas (the words a witness read there) pin the new key,\n"
    "           recorded as a deviation. Other words pin nothing.\n"
    "  close    read the bridge's proof that the root token is revoked, close the\n"
    "           transcript and sign it with the ceremony key.\n"
    "  abandon  give the ceremony up at any step: the transcript records why\n"
    "           (--reason) and whether the server was initialised already, and\n"
    "           is closed and signed as abandoned (conclave verify says so).\n"
    "  status   where the ceremony stands, and the ceremony key's words.\n"
    "  --review (begin): the step that completes the ceremony leaves the\n"
    "           transcript open for the witnesses' review, where the roster's\n"
    "           witnesses (one at least) answer; conclave review records\n"
    "           their answers and closes it. Abandon is refused then.\n"
    "\n"
    "--state DIR must be on RAM (tmpfs): it holds the ceremony's signing key\n"
    "until close. KEYFILE is an OpenPGP public key, armored or binary.\n"
    CMD_GNUPG_BASE_HELP;

static int
usage(FILE *f)
{
	fputs(usage_text, f);
	return f == stdout ? 0 : 2;
}

/* begin --review: the roster's witnesses answer at the review. */
static int
review_witnesses(const struct init_args *a)
{
	size_t i;

	for (i = 0; i < a->nmembers; i++)
		if (a->members[i].role == ROSTER_WITNESS)
			return cmd_review_begin(NULL, 0);
	tty_printw(stderr,
	    "conclave init begin: --review needs the witnesses who "
	    "will answer at the review on the roster: --witness NAME=KEYFILE\n");
	return 2;
}

static int
parse_args(int argc, char **argv, struct init_args *a)
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
		case OPT_STICK: a->stick = optarg; break;
		case OPT_SECRET_KEY: a->secret_key = optarg; break;
		case OPT_PREVIOUS: a->previous = optarg; break;
		case OPT_GNUPG_BASE: a->gnupg_base = optarg; break;
		case OPT_REASON: a->reason = optarg; break;
		case OPT_CONFIRM: a->confirm = optarg; break;
		case OPT_REVIEW:
			if (cmd_review_option(argv[0]) != 0)
				return usage(stderr);
			a->review = 1;
			break;
		case OPT_RECOVERY: a->recovery = 1; break;
		case OPT_HELP: return usage(stdout) == 0 ? 1 : 2;
		case 't':
		case OPT_THRESHOLD:
			if (rd_parse_uint(optarg, 1, KIND_MAX_SHARES, &v) != CK_OK) {
				tty_printw(stderr,
				    "conclave init: threshold must be 1..%d\n",
				    KIND_MAX_SHARES);
				return 2;
			}
			a->threshold = (unsigned)v;
			break;
		case OPT_PASSPHRASE_FD:
			if (rd_parse_uint(optarg, 0, 1023, &v) != CK_OK)
				return usage(stderr);
			a->passphrase_fd = (int)v;
			break;
		case OPT_HOLDER:
		case OPT_OPERATOR:
		case OPT_WITNESS:
			if (a->nmembers == MAX_MEMBERS) {
				tty_printw(stderr,
				    "conclave init: at most %d keys\n",
				    MAX_MEMBERS);
				return 2;
			}
			a->members[a->nmembers].role = c == OPT_HOLDER ? ROSTER_HOLDER :
			    c == OPT_OPERATOR ? ROSTER_OPERATOR : ROSTER_WITNESS;
			a->members[a->nmembers++].spec = optarg;
			break;
		default:
			return usage(stderr);
		}
	}
	if (optind != argc || a->state == NULL)
		return usage(stderr);
	return a->review ? review_witnesses(a) : 0;
}

static int
refuse(const char *step, int err, const char *why)
{
	return cmd_refuse("init", step, err, why);
}

/* The roster's listing: a member's lines under its name at this indent. */
#define MEMBER_INDENT	12

/* One of a member's lines, wrapped within TTY_COLS at MEMBER_INDENT. */
static void
print_under(const char *label, const char *text)
{
	char *line = NULL, *w = NULL;

	if (asprintf(&line, "%*s%s%s", MEMBER_INDENT, "", label, text) < 0)
		return;
	w = tty_wrap(line, TTY_COLS, MEMBER_INDENT, NULL);
	printf("%s\n", w != NULL ? w : line);
	free(w);
	free(line);
}

static void
print_member(const struct roster_member *m)
{
	char grouped[PGP_FPR_GROUPED_LEN + 1], words[ROSTER_FPR_WORDS_MAX];
	char warn[PGP_WARNING_MAX];
	unsigned bit;

	if (pgp_fpr_grouped(m->fpr, grouped, sizeof(grouped)) != CK_OK ||
	    roster_fpr_words(m, words, sizeof(words)) != CK_OK)
		return;
	if (m->role == ROSTER_HOLDER)
		tty_printw(stdout,
		    "  share %-3u %s\n", m->share_index, m->name);
	else
		tty_printw(stdout, "  %-9s %s\n", roster_role_name(m->role),
		    m->name);
	print_under("", grouped);
	print_under("", words);
	for (bit = 1; bit != 0 && bit <= m->warnings; bit <<= 1)
		if ((m->warnings & bit) &&
		    pgp_warning_text(bit, m->enc_algo, warn) != NULL)
			print_under("warning: ", warn);
}

static int
build_roster(const struct init_args *a, struct roster **out)
{
	struct pgp_home *h = NULL;
	struct roster *ro = NULL;
	size_t i;
	int r;

	*out = NULL;
	if ((r = cmd_pgp_home("init begin", a->gnupg_base, &h)) != CK_OK ||
	    (r = roster_new(&ro)) != CK_OK)
		goto out;
	for (i = 0; i < a->nmembers; i++)
		if ((r = cmd_roster_add(ro, h, "init begin", a->members[i].spec,
		    a->members[i].role)) != CK_OK)
			goto out;
	*out = ro;
	ro = NULL;
	r = CK_OK;
out:
	roster_free(ro);
	pgp_home_close(h);
	return r;
}

static int
step_begin(const struct init_args *a)
{
	struct roster *ro = NULL;
	struct session *s = NULL;
	uint8_t prev[TRANSCRIPT_HASH_BYTES];
	size_t i;
	int r;

	if (a->exchange == NULL || a->threshold == 0)
		return usage(stderr);
	if (a->previous != NULL && cmd_load_prev("init begin", a->previous, prev) != CK_OK)
		return 1;
	if ((r = build_roster(a, &ro)) != CK_OK)
		return 1;
	if (roster_operator(ro) == NULL) {
		tty_printw(stderr,
		    "conclave init begin: --operator NAME=KEYFILE is "
		    "required: the initial root token is encrypted to that key\n");
		roster_free(ro);
		return 2;
	}
	r = init_begin(a->state, a->exchange, ro, a->threshold,
	    a->recovery ? INIT_RECOVERY : INIT_UNSEAL,
	    a->previous != NULL ? prev : NULL, &s);
	if (r != CK_OK) {
		char why[128];

		snprintf(why, sizeof(why), "%zu holders, threshold %u",
		    ro->n_holders, a->threshold);
		roster_free(ro);
		if (r == CK_ERR_QUORUM)
			return refuse("begin", r, why);
		return cmd_begin_refused("init", a->state, a->exchange, r);
	}
	cmd_print_ceremony_key(s);
	tty_printw(stdout,
	    "\nRoster (each holder reads their fingerprint words aloud):\n");
	for (i = 0; i < ro->n; i++)
		print_member(&ro->m[i]);
	tty_printw(stdout,
	    "\n%zu %s shares, any %u of them unseal. Init request written to %s.\n"
	    "Next: conclave-bridge init on the operator's workstation.\n",
	    ro->n_holders, a->recovery ? "recovery" : "unseal", a->threshold,
	    a->exchange);
	roster_free(ro);
	session_free(s);
	return 0;
}

static int
step_accept(const struct init_args *a)
{
	struct session *s = NULL;
	const json_t *srv;
	char why[256];
	int r;

	if ((r = session_load(a->state, KIND_INIT, a->exchange, &s)) != CK_OK)
		return refuse("accept", r, cmd_load_why(a->state, r));
	if ((r = init_accept(s, why, sizeof(why))) != CK_OK) {
		session_free(s);
		return refuse("accept", r, why);
	}
	srv = json_object_get(s->ext, "server");
	tty_printw(stdout,
	    "Init result accepted: %zu encrypted shares, each to its holder's key.\n"
	    "Server %s (%s %s)\n"
	    "Next: conclave init handout --holder K, for each holder in turn.\n",
	    json_array_size(json_object_get(s->ext, "encrypted_shares")),
	    json_string_value(json_object_get(srv, "address")),
	    json_string_value(json_object_get(srv, "type")),
	    json_string_value(json_object_get(srv, "version")));
	session_free(s);
	return 0;
}

static int
step_handout(const struct init_args *a)
{
	const struct cmd_handout_args h = { a->state, a->exchange,
	    a->gnupg_base, a->stick, a->secret_key, a->passphrase_fd, a->holder };
	char *file = NULL;

	if (a->stick == NULL || a->holder == 0)
		return usage(stderr);
	if (cmd_handout(KIND_INIT, &h, &file) != 0)
		return 1;
	tty_printw(stdout,
	    "Share %u written to %s/%s and proven: the holder's key decrypts it\n"
	    "to a well-formed share. To read it later: gpg --decrypt %s/%s\n",
	    a->holder, a->stick, file, a->stick, file);
	free(file);
	return 0;
}

static int
step_repin(const struct init_args *a, const char *witness)
{
	struct session *s = NULL;
	char sas[SESSION_SAS_MAX], why[256];
	int r, rc = 1;

	if ((r = session_load(a->state, KIND_INIT, a->exchange, &s)) != CK_OK)
		return refuse("repin", r, cmd_load_why(a->state, r));
	r = session_repin(s, a->confirm, witness, sas, why, sizeof(why));
	if (sas[0] != '\0')
		tty_printw(stdout,
		    "The bridge restarted and offers a new key. Its words "
		    "(compare with the\nbridge's screen):\n  %s\n", sas);
	if (r == CK_ERR_INCOMPLETE) {
		cmd_print_confirm("init", "repin", a->state, sas,
		    "Not pinned yet");
		goto out;
	}
	if (r != CK_OK) {
		refuse("repin", r, r == CK_ERR_NOT_FOUND || r == CK_ERR_BAD_TYPE ?
		    "no re-pin from a restarted bridge waits next on the exchange "
		    "folder" : why);
		goto out;
	}
	tty_printw(stdout,
	    "The new key is pinned (recorded: %s).\nNext: the bridge's "
	    "closing result, then conclave init close.\n", SESSION_REPIN_TEXT);
	rc = 0;
out:
	session_free(s);
	return rc;
}

static int
step_close(const struct init_args *a)
{
	struct session *s = NULL;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	char why[256];
	int r;

	if ((r = session_load(a->state, KIND_INIT, a->exchange, &s)) != CK_OK)
		return refuse("close", r, cmd_load_why(a->state, r));
	if ((r = init_close(s, head, why, sizeof(why))) == CK_ERR_SERVER)
		return cmd_quorum_closed_failed("init", "close", s, a->state, why,
		    head);
	if (r != CK_OK) {
		session_free(s);
		return refuse("close", r, why);
	}
	tty_printw(stdout,
	    "The initial root token is revoked. %s\n", cmd_closed_text(s));
	cmd_quorum_print_head(s, a->state, head);
	session_free(s);
	return 0;
}

static int
step_abandon(const struct init_args *a)
{
	struct session *s = NULL;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	int r;

	if ((r = session_load(a->state, KIND_INIT, a->exchange, &s)) != CK_OK)
		return refuse("abandon", r, cmd_load_why(a->state, r));
	if ((r = init_abandon(s, a->reason != NULL ? a->reason :
	    CMD_ABANDON_REASON, head)) != CK_OK) {
		session_free(s);
		return cmd_abandon_refused("init", a->state, r, NULL);
	}
	tty_printw(stdout, "Abandoned. Ceremony closed as abandoned.\n");
	cmd_quorum_print_head(s, a->state, head);
	session_free(s);
	return 0;
}

static int
step_status(const struct init_args *a)
{
	struct session *s = NULL;
	char why[256];
	int r;

	if ((r = session_load(a->state, KIND_INIT, a->exchange, &s)) != CK_OK) {
		if (r == CK_ERR_CLOSED) {
			tty_printw(stdout, "closed\n");
			return 0;
		}
		return refuse("status", r, cmd_load_why(a->state, r));
	}
	tty_printw(stdout, "%s\nceremony %s, %zu of %lld shares handed out\n",
	    session_phase(s), s->id_hex,
	    json_array_size(json_object_get(s->ext, "proofs")),
	    (long long)json_integer_value(json_object_get(s->ext, "n")));
	/* After a restart the room still compares these with the bridge's. */
	cmd_print_ceremony_key(s);
	if (init_repin_waiting(s, why, sizeof(why)))
		tty_printw(stdout, "%s.\n", why);
	if (session_in_review(s))
		cmd_review_next(a->state);
	session_free(s);
	return 0;
}

int
cmd_init_main(int argc, char **argv)
{
	struct init_args a;
	const char *step;
	unsigned long long k;
	int r;

	if (argc < 2)
		return usage(stderr);
	step = argv[1];
	if (strcmp(step, "--help") == 0 || strcmp(step, "help") == 0)
		return usage(stdout);
	/* handout takes --holder K, a number; begin takes NAME=KEYFILE. */
	if ((r = parse_args(argc - 1, argv + 1, &a)) != 0)
		return r == 1 ? 0 : r;
	if (strcmp(step, "handout") == 0) {
		if (a.nmembers != 1 || a.members[0].role != ROSTER_HOLDER ||
		    rd_parse_uint(a.members[0].spec, 1, KIND_MAX_SHARES, &k) != CK_OK)
			return usage(stderr);
		a.holder = (unsigned)k;
		return step_handout(&a);
	}
	if (strcmp(step, "repin") == 0) {
		/* --witness NAME: who compared the words (no key file here). */
		if (a.nmembers > 1 || (a.nmembers == 1 &&
		    a.members[0].role != ROSTER_WITNESS))
			return usage(stderr);
		return step_repin(&a, a.nmembers == 1 ? a.members[0].spec : NULL);
	}
	if (strcmp(step, "begin") == 0)
		return step_begin(&a);
	if (strcmp(step, "accept") == 0)
		return step_accept(&a);
	if (strcmp(step, "close") == 0)
		return step_close(&a);
	if (strcmp(step, "abandon") == 0)
		return step_abandon(&a);
	if (strcmp(step, "status") == 0)
		return step_status(&a);
	tty_printw(stderr, "conclave init: unknown step '%s'\n", step);
	return usage(stderr);
}
