/*
 * `conclave generate-root`: exit 0 on success, 1 when the step was refused
 * (the reason is printed and, where a ceremony exists, recorded in its
 * transcript), 2 on a usage error.
 */
#include "appliance/cmd_generate_root.h"

#include <stdio.h>
#include <string.h>

#include "appliance/cmd.h"
#include "appliance/cmd_quorum.h"
#include "ceremony/generate_root.h"
#include "crypto/errors.h"
#include "crypto/pgp.h"
#include "media/tty.h"

static const char usage_text[] =
    "usage: conclave generate-root begin --state DIR --exchange DIR\n"
    "                             [--pgp-key NAME=KEYFILE]\n"
    "                             [--review --witness NAME...]\n"
    "                             [--previous-transcript FILE]\n"
    "                             [--handout-transcript FILE]\n"
    "       conclave generate-root accept --state DIR\n"
    "                             [--confirm-sas \"W1 W2 W3 W4 W5\"]\n"
    "                             [--witness NAME]\n"
    "       conclave generate-root share --state DIR --holder NAME --share-file FILE\n"
    "                             [--secret-key FILE | --holder-key FILE]\n"
    "                             [--passphrase-fd N]\n"
    "       conclave generate-root submit --state DIR\n"
    "       conclave generate-root result --state DIR\n"
    "       conclave generate-root close --state DIR\n"
    "       conclave generate-root abandon --state DIR [--reason TEXT]\n"
    "       conclave generate-root status --state DIR\n"
    "\n"
    "Break-glass: a new root token from a quorum of unseal (or recovery) shares.\n"
    "  begin    the generate-root request (signed) for conclave-bridge\n"
    "           generate-root. OTP mode by default: the bridge makes the one-time\n"
    "           password with the server's otp_length, decodes the token and\n"
    "           hands it to the operator on its own screen or in a 0600 file;\n"
    "           the token never crosses the airgap. --pgp-key NAME=KEYFILE: PGP\n"
    "           mode, the server encrypts the token to that person's key.\n"
    "           --handout-transcript FILE: the latest init or rekey transcript,\n"
    "           or any of the chain since that checked a handout; each share\n"
    "           only from its own holder (as in conclave unseal).\n"
    "  accept   read the session offer (the server's nonce and threshold, the\n"
    "           bridge's session key) and show the short authentication string;\n"
    "           run again with --confirm-sas \"the five words\" once a witness has\n"
    "           compared both screens (a mismatch is CK_ERR_SAS_MISMATCH). An\n"
    "           offer saying the server's endpoint is disabled is recorded with\n"
    "           the listener setting that opens it (CK_ERR_DISABLED_ENDPOINT).\n"
    "  share    one holder's share decrypted here, checked, sealed to the bridge\n"
    "           session and wiped (as in conclave unseal share).\n"
    "  submit   the sealed shares in one submission.\n"
    "  result   read the outcome: the nonce, the endpoint, the new token's\n"
    "           accessor (OTP) or the fingerprint it is encrypted to (PGP).\n"
    "           Never the token.\n"
    "  close    when the emergency work is done the operator gives the token\n"
    "           back to the bridge, which revokes it; this step records the\n"
    "           proof (a lookup with it is refused) and closes the transcript.\n"
    "  abandon  give up: the bridge cancels the attempt on the server; the\n"
    "           transcript is closed as abandoned, with --reason. After\n"
    "           submit (the bridge stopped and cannot go on) the record says\n"
    "           so and names any token issued: revoke it on the server.\n"
    "  status   where the ceremony stands.\n"
    "  --review --witness NAME... (begin): the step that completes the\n"
    "           ceremony leaves the transcript open for the witnesses' review,\n"
    "           where the witnesses named here answer; conclave review records\n"
    "           their answers and closes it. Abandon is refused then.\n"
    CMD_GNUPG_BASE_HELP;


static const char dr_usage_text[] =
    "usage: conclave dr-token begin --state DIR --exchange DIR\n"
    "                             [--pgp-key NAME=KEYFILE]\n"
    "                             [--review --witness NAME...]\n"
    "                             [--previous-transcript FILE]\n"
    "       conclave dr-token accept --state DIR [--confirm-sas \"W1 W2 W3 W4 W5\"]\n"
    "                             [--witness NAME]\n"
    "       conclave dr-token share --state DIR --holder NAME --share-file FILE\n"
    "                             [--secret-key FILE | --holder-key FILE]\n"
    "                             [--passphrase-fd N]\n"
    "       conclave dr-token submit --state DIR\n"
    "       conclave dr-token result --state DIR\n"
    "       conclave dr-token abandon --state DIR [--reason TEXT]\n"
    "       conclave dr-token status --state DIR\n"
    "\n"
    "Vault Enterprise DR operation token: the generate-root protocol on the DR\n"
    "secondary's sys/replication/dr/secondary/generate-operation-token, with\n"
    "the PRIMARY cluster's unseal (or recovery) shares. The steps are those of\n"
    "conclave generate-root; the bridge (conclave-bridge dr-token) hands the\n"
    "token to the operator and can promote the secondary with it (--promote).\n"
    "  result   records the nonce, the endpoint, whether the secondary was\n"
    "           promoted, and closes the transcript: a DR operation token has\n"
    "           no accessor and is not revoked by this ceremony.\n"
    "  --review --witness NAME... (begin): the step that completes the\n"
    "           ceremony leaves the transcript open for the witnesses' review,\n"
    "           where the witnesses named here answer; conclave review records\n"
    "           their answers and closes it. Abandon is refused then.\n"
    CMD_GNUPG_BASE_HELP;


struct generate_root_ui {
	struct quorum_cmd q;
	const char *usage;
};

static const struct generate_root_ui generate_root_ui = {
	{ "generate-root", KIND_GENERATE_ROOT, "requested" }, usage_text };
static const struct generate_root_ui dr_ui = {
	{ "dr-token", KIND_DR_TOKEN, "requested" }, dr_usage_text };
static const struct generate_root_ui *cur = &generate_root_ui;

static int
usage(FILE *f)
{
	fputs(cur->usage, f);
	return f == stdout ? 0 : 2;
}

static int
recipient(const struct quorum_args *a, struct roster **out)
{
	struct pgp_home *h = NULL;
	struct roster *ro = NULL;
	char name[ROSTER_NAME_MAX + 1];
	const char *eq = strchr(a->pgp_key, '=');
	int r;

	*out = NULL;
	if (eq == NULL || eq == a->pgp_key ||
	    (size_t)(eq - a->pgp_key) > ROSTER_NAME_MAX)
		return CK_ERR_INVALID_ARG;
	memcpy(name, a->pgp_key, (size_t)(eq - a->pgp_key));
	name[eq - a->pgp_key] = '\0';
	if ((r = cmd_pgp_home("generate-root begin", a->gnupg_base, &h)) == CK_OK &&
	    (r = roster_new(&ro)) == CK_OK &&
	    (r = roster_add_keyfile(ro, h, name, ROSTER_OPERATOR, eq + 1)) == CK_OK) {
		*out = ro;
		ro = NULL;
	}
	roster_free(ro);
	pgp_home_close(h);
	return r;
}

static int
step_begin(const struct quorum_args *a)
{
	struct session *s = NULL;
	struct roster *ro = NULL;
	uint8_t prev[TRANSCRIPT_HASH_BYTES];
	json_t *handout = NULL;
	int r;

	if (a->exchange == NULL)
		return usage(stderr);
	if (a->previous != NULL &&
	    cmd_load_prev(cur->q.cmd, a->previous, prev) != CK_OK)
		return 1;
	if (cmd_quorum_handout(cur->q.cmd, a, &handout) != 0)
		return 1;
	if (a->pgp_key != NULL && (r = recipient(a, &ro)) != CK_OK) {
		json_decref(handout);
		return cmd_refuse(cur->q.cmd, "begin", r, a->pgp_key);
	}
	r = generate_root_begin(cur->q.kind, a->state, a->exchange, ro,
	    a->previous != NULL ? prev : NULL, handout, &s);
	json_decref(handout);
	if (r != CK_OK) {
		roster_free(ro);
		return cmd_begin_refused(cur->q.cmd, a->state, a->exchange, r);
	}
	cmd_print_ceremony_key(s);
	cmd_quorum_print_handout(s);
	if (ro != NULL)
		tty_printw(stdout,
		    "PGP mode: the token will be encrypted to %s, %s\n",
		    roster_operator(ro)->name, roster_operator(ro)->fpr);
	else
		tty_printw(stdout, "OTP mode: the bridge decodes the token for "
		    "the operator.\n");
	tty_printw(stdout, "Request written to %s. Next: conclave-bridge %s.\n",
	    a->exchange, cur->q.cmd);
	roster_free(ro);
	session_free(s);
	return 0;
}

static int
step_result(const struct quorum_args *a)
{
	struct session *s = NULL;
	const json_t *iss;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	char why[256];
	int r, closed = 0;

	if ((r = session_load(a->state, cur->q.kind, a->exchange, &s)) != CK_OK)
		return cmd_refuse(cur->q.cmd, "result", r,
		    cmd_load_why(a->state, r));
	r = generate_root_result(s, &closed, head, why, sizeof(why));
	iss = json_object_get(s->ext, "issued");
	if (r == CK_ERR_SERVER && iss != NULL)	/* issued, then closed as failed */
		return cmd_quorum_closed_failed(cur->q.cmd, "result", s, a->state,
		    why, head);
	if (r != CK_OK) {
		session_free(s);
		return cmd_refuse(cur->q.cmd, "result", r, why);
	}
	tty_printw(stdout, "%s generated through %s (nonce %s).\n",
	    closed ? "DR operation token" : "Root token",
	    json_string_value(json_object_get(iss, "endpoint")),
	    json_string_value(json_object_get(iss, "nonce")));
	if (json_object_get(iss, "accessor") != NULL)
		tty_printw(stdout,
		    "Accessor %s\n", json_string_value(json_object_get(iss,
		    "accessor")));
	if (json_object_get(iss, "pgp_fingerprint") != NULL)
		tty_printw(stdout,
		    "Encrypted to %s\n", json_string_value(json_object_get(iss,
		    "pgp_fingerprint")));
	if (json_object_get(iss, "promoted") != NULL)
		tty_printw(stdout, "The DR secondary was promoted (%s).\n",
		    json_string_value(json_object_get(iss, "promoted")));
	if (closed) {
		tty_printw(stdout, "%s\n", cmd_closed_text(s));
		cmd_quorum_print_head(s, a->state, head);
	} else if (json_is_false(json_object_get(iss, "handed_over"))) {
		tty_printw(stdout,
		    "The bridge could not hand the token over (%s).\nIts "
		    "closing result says what became of it: conclave generate-root "
		    "close once it is on the stick.\n", json_string_value(
		    json_object_get(iss, "handover_error")));
	} else {
		tty_printw(stdout,
		    "When the work is done: the token back to the bridge to "
		    "revoke it,\nthen conclave generate-root close.\n");
	}
	session_free(s);
	return 0;
}

static int
step_close(const struct quorum_args *a)
{
	struct session *s = NULL;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	char why[256];
	int r;

	if ((r = session_load(a->state, KIND_GENERATE_ROOT, a->exchange, &s)) != CK_OK)
		return cmd_refuse("generate-root", "close", r,
		    cmd_load_why(a->state, r));
	if ((r = generate_root_close(s, head, why, sizeof(why))) == CK_ERR_SERVER)
		return cmd_quorum_closed_failed(cur->q.cmd, "close", s, a->state,
		    why, head);
	if (r != CK_OK) {
		session_free(s);
		return cmd_refuse("generate-root", "close", r, why);
	}
	tty_printw(stdout,
	    "The generated root token is revoked. %s\n", cmd_closed_text(s));
	cmd_quorum_print_head(s, a->state, head);
	session_free(s);
	return 0;
}

static int
step_abandon(const struct quorum_args *a)
{
	return cmd_quorum_close(&cur->q, a, "abandon", generate_root_abandon,
	    "Abandoned: the bridge is told to cancel the attempt on the server. "
	    "Ceremony closed as abandoned.\nIf the shares were submitted, check "
	    "the server for a root token made for it\n(the record names the "
	    "accessor of one issued) and revoke it.");
}

static int step_accept(const struct quorum_args *a) { return cmd_quorum_accept(&cur->q, a); }
static int step_share(const struct quorum_args *a) { return cmd_quorum_share(&cur->q, a); }
static int step_submit(const struct quorum_args *a) { return cmd_quorum_submit(&cur->q, a); }
static int step_status(const struct quorum_args *a) { return cmd_quorum_status(&cur->q, a); }

/* close last: the DR token ceremony has none (no token of its own to
 * revoke). */
static const struct quorum_step steps[] = {
	{ "begin", step_begin }, { "accept", step_accept },
	{ "share", step_share }, { "submit", step_submit },
	{ "result", step_result }, { "abandon", step_abandon },
	{ "status", step_status }, { "close", step_close },
};

static int
run(int argc, char **argv)
{
	size_t n = sizeof(steps) / sizeof(steps[0]) - (cur == &dr_ui);

	return cmd_quorum_run(cur->q.cmd, steps, n, argc, argv, usage);
}

int
cmd_generate_root_main(int argc, char **argv)
{
	cur = &generate_root_ui;
	return run(argc, argv);
}

int
cmd_dr_token_main(int argc, char **argv)
{
	cur = &dr_ui;
	return run(argc, argv);
}
