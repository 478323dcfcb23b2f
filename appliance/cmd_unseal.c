/*
 * `conclave unseal` and `conclave migrate` (the same steps for a seal
 * migration, docs/migration.md): exit 0 on success, 1 when the step was
 * refused (the reason is printed and, where a ceremony exists, recorded in
 * its transcript), 2 on a usage error, 3 when `result` leaves nodes sealed.
 */
#include "appliance/cmd_unseal.h"

#include <stdio.h>
#include <string.h>

#include "appliance/cmd.h"
#include "appliance/cmd_quorum.h"
#include "ceremony/unseal.h"
#include "crypto/errors.h"
#include "media/tty.h"

static const char usage_text[] =
    "usage: conclave unseal begin --state DIR --exchange DIR\n"
    "                             [--review --witness NAME...]\n"
    "                             [--previous-transcript FILE]\n"
    "                             [--handout-transcript FILE]\n"
    "       conclave unseal accept --state DIR [--confirm-sas \"W1 W2 W3 W4 W5\"]\n"
    "                             [--witness NAME]\n"
    "       conclave unseal share --state DIR --holder NAME --share-file FILE\n"
    "                             [--secret-key FILE | --holder-key FILE]\n"
    "                             [--passphrase-fd N]\n"
    "       conclave unseal submit --state DIR\n"
    "       conclave unseal result --state DIR\n"
    "       conclave unseal retry --state DIR\n"
    "       conclave unseal abandon --state DIR [--reason TEXT]\n"
    "       conclave unseal status --state DIR\n"
    "\n"
    "The appliance's side of unsealing every node of a cluster with one quorum:\n"
    "  begin    a fresh ceremony key and the unseal request (signed) in the\n"
    "           exchange folder, for conclave-bridge unseal.\n"
    "           --handout-transcript FILE: the transcript of the cluster's\n"
    "           latest init or rekey (open or closed), or of any ceremony\n"
    "           chained since that checked a handout (it carries it\n"
    "           forward, and the record says from where). Each share is then\n"
    "           taken only from the holder it was handed to: another\n"
    "           holder's stick is named and refused (CK_ERR_WRONG_HOLDER)\n"
    "           before a PIN is asked, a share of another cluster or\n"
    "           ceremony is refused (CK_ERR_WRONG_CEREMONY).\n"
    "           Every check runs before anything is written: a refused\n"
    "           begin leaves the state folder and the stick as they were.\n"
    "  accept   read the bridge's session offer (its session key, the nodes\n"
    "           and their seal status, the threshold) and show the 5 words of\n"
    "           the short authentication string. Both screens must show the\n"
    "           same words: a witness compares them and the step is run again\n"
    "           with --confirm-sas \"the five words\". Different words are\n"
    "           refused (CK_ERR_SAS_MISMATCH) and recorded; nothing is ever\n"
    "           sealed to an unconfirmed bridge.\n"
    "  share    one holder: their encrypted share (the .gpg file from their\n"
    "           stick) is decrypted here with their key (--secret-key FILE, the\n"
    "           secret key file from their stick; without it, their card, and\n"
    "           --holder-key FILE, their public key, lets GnuPG find it; the\n"
    "           passphrase or PIN is asked on the terminal or read from\n"
    "           --passphrase-fd), checked, sealed to the\n"
    "           bridge session and wiped. The same holder or the same share\n"
    "           twice is refused.\n"
    "  submit   the threshold's worth of sealed shares in one share submission.\n"
    "  result   read the bridge's per-node results; when every node is unsealed\n"
    "           the transcript is closed and signed.\n"
    "  retry    nodes still sealed (unreachable, died mid-unseal): the same\n"
    "           bridge session, still running, tries them again with the\n"
    "           shares it holds in locked memory; then `result` again.\n"
    "  abandon  give up, at any step: the bridge wipes the shares and stops;\n"
    "           the transcript is closed as abandoned, with --reason (and the\n"
    "           nodes left sealed). conclave verify reports it as abandoned.\n"
    "  status   where the ceremony stands.\n"
    "  --review --witness NAME... (begin): the step that completes the\n"
    "           ceremony leaves the transcript open for the witnesses' review,\n"
    "           where the witnesses named here answer; conclave review records\n"
    "           their answers and closes it. Abandon is refused then.\n"
    "\n"
    "Exit status: 0 done, 1 refused (the reason is printed and recorded),\n"
    "2 usage, 3 `result` with nodes still sealed.\n"
    "--state DIR must be on RAM (tmpfs): it holds the ceremony's signing key\n"
    "until the ceremony closes. Plaintext shares never reach it.\n"
    CMD_GNUPG_BASE_HELP;

static const char migrate_usage_text[] =
    "usage: conclave migrate begin --state DIR --exchange DIR\n"
    "                              [--review --witness NAME...]\n"
    "                              [--previous-transcript FILE]\n"
    "                              [--handout-transcript FILE]\n"
    "       conclave migrate accept|share|submit|result|retry|abandon|status ...\n"
    "                              (the options of conclave unseal)\n"
    "\n"
    "A seal migration: Shamir to auto-unseal (static, transit, a KMS), or\n"
    "auto-unseal back to Shamir. Before it, the operator changes every node's\n"
    "seal configuration (the new seal stanza added; when leaving auto-unseal,\n"
    "the old stanza marked disabled = \"true\") and restarts every node; the\n"
    "bridge (conclave-bridge migrate) checks that every node waits for a\n"
    "migration before it offers anything. Then the steps are unseal's:\n"
    "  begin    a fresh ceremony key and the migrate request for the bridge.\n"
    "  accept   the bridge's offer: the nodes, the seal before and after, and\n"
    "           the 5 words a witness compares (--confirm-sas).\n"
    "  share    one holder's share: unseal shares when leaving Shamir,\n"
    "           recovery shares when returning to it.\n"
    "  submit   the sealed shares; the bridge sends each with \"migrate\": true.\n"
    "  result   the per-node results and each node's seal type afterwards;\n"
    "           when every node is migrated the transcript is closed, naming\n"
    "           the seal before and after.\n"
    "  retry, abandon, status, --review: as for unseal.\n"
    "\n"
    "Afterwards the holders keep the same shares in a new role: unseal shares\n"
    "become recovery shares (to auto-unseal: they then serve rekey and\n"
    "root-token generation, not unsealing), recovery shares become unseal\n"
    "shares (to Shamir). A rekey straight after gives the holders fresh shares\n"
    "for the new role (conclave rekey begin --recovery, or without it).\n"
    "--state DIR must be on RAM (tmpfs). Plaintext shares never reach it.\n"
    CMD_GNUPG_BASE_HELP;

/* conclave unseal or conclave migrate: set by the entry point. */
static const struct quorum_cmd unseal_cmd = { "unseal", KIND_UNSEAL, "requested" };
static const struct quorum_cmd migrate_cmd = { "migrate", KIND_MIGRATE, "requested" };
static const struct quorum_cmd *cur = &unseal_cmd;

static int
usage(FILE *f)
{
	fputs(cur == &migrate_cmd ? migrate_usage_text : usage_text, f);
	return f == stdout ? 0 : 2;
}

static int
refuse(const char *step, int err, const char *why)
{
	return cmd_refuse(cur->cmd, step, err, why);
}

static int
step_begin(const struct quorum_args *a)
{
	struct session *s = NULL;
	uint8_t prev[TRANSCRIPT_HASH_BYTES];
	json_t *handout = NULL;
	int r;

	if (a->exchange == NULL)
		return usage(stderr);
	if (a->previous != NULL && cmd_load_prev(cur == &migrate_cmd ?
	    "migrate begin" : "unseal begin", a->previous, prev) != CK_OK)
		return 1;
	if (cmd_quorum_handout(cur->cmd, a, &handout) != 0)
		return 1;
	r = unseal_begin(cur->kind, a->state, a->exchange,
	    a->previous != NULL ? prev : NULL, handout, &s);
	json_decref(handout);
	if (r != CK_OK)
		return cmd_begin_refused(cur->cmd, a->state, a->exchange, r);
	cmd_print_ceremony_key(s);
	cmd_quorum_print_handout(s);
	tty_printw(stdout, "\n%s request written to %s.\n"
	    "Next: conclave-bridge %s on the operator's workstation, then\n"
	    "conclave %s accept here.\n", cur == &migrate_cmd ? "Migrate" :
	    "Unseal", a->exchange, cur->cmd, cur->cmd);
	session_free(s);
	return 0;
}

/* What the holders' shares are now: the room must hear it. */
static void
print_migrated(const struct session *s)
{
	const json_t *seal = json_object_get(json_object_get(s->ext, "offer"),
	    "seal");
	const char *from = json_string_value(json_object_get(seal, "from"));
	const char *to = json_string_value(json_object_get(seal, "to"));

	tty_printw(stdout,
	    "Every node is unsealed with its new seal: %s -> %s. %s\n",
	    from != NULL ? from : "?", to != NULL ? to : "?", cmd_closed_text(s));
	if (to != NULL && strcmp(to, "shamir") == 0)
		tty_printw(stdout,
		    "The holders' recovery shares are now UNSEAL shares: they "
		    "unseal the cluster after every restart.\n");
	else
		tty_printw(stdout,
		    "The holders' unseal shares are now RECOVERY shares: the "
		    "cluster unseals itself; the shares serve rekey and root-token "
		    "generation, and a migration back to Shamir.\n");
}

static int
step_result(const struct quorum_args *a)
{
	struct session *s = NULL;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	unsigned pending = 0;
	char why[256];
	int r, closed = 0;

	if ((r = session_load(a->state, cur->kind, a->exchange, &s)) != CK_OK)
		return refuse("result", r, cmd_load_why(a->state, r));
	if ((r = unseal_result(s, &closed, &pending, head, why,
	    sizeof(why))) != CK_OK) {
		session_free(s);
		return refuse("result", r, why);
	}
	tty_printw(stdout, "Node results:\n");
	cmd_quorum_print_nodes(json_object_get(s->ext, "nodes"));
	if (closed && cur == &migrate_cmd)
		print_migrated(s);
	else if (closed)
		tty_printw(stdout,
		    "Every node is unsealed. %s\n", cmd_closed_text(s));
	if (closed) {
		cmd_quorum_print_head(s, a->state, head);
	} else {
		tty_printw(stdout,
		    "%u node(s) still sealed. When they are back: conclave %s "
		    "retry (the bridge must still be running), or conclave %s "
		    "abandon.\n", pending, cur->cmd, cur->cmd);
	}
	session_free(s);
	return closed ? 0 : 3;
}

static int
step_retry(const struct quorum_args *a)
{
	struct session *s = NULL;
	int r;

	if ((r = session_load(a->state, cur->kind, a->exchange, &s)) != CK_OK)
		return refuse("retry", r, cmd_load_why(a->state, r));
	if ((r = unseal_retry(s)) != CK_OK) {
		session_free(s);
		return refuse("retry", r, r == CK_ERR_STATE ?
		    "only nodes left sealed by a result can be retried" : NULL);
	}
	tty_printw(stdout,
	    "Retry requested. Next: conclave %s result.\n", cur->cmd);
	session_free(s);
	return 0;
}

static int step_accept(const struct quorum_args *a) { return cmd_quorum_accept(cur, a); }

static int
step_abandon(const struct quorum_args *a)
{
	return cmd_quorum_close(cur, a, "abandon", unseal_abandon,
	    "Abandoned: the bridge is told to wipe the shares and stop. "
	    "Ceremony closed as abandoned.");
}
static int step_share(const struct quorum_args *a) { return cmd_quorum_share(cur, a); }
static int step_submit(const struct quorum_args *a) { return cmd_quorum_submit(cur, a); }
static int step_status(const struct quorum_args *a) { return cmd_quorum_status(cur, a); }

static const struct quorum_step steps[] = {
	{ "begin", step_begin }, { "accept", step_accept },
	{ "share", step_share }, { "submit", step_submit },
	{ "result", step_result }, { "retry", step_retry },
	{ "abandon", step_abandon }, { "status", step_status },
};

static int
run_main(int argc, char **argv)
{
	return cmd_quorum_run(cur->cmd, steps, sizeof(steps) / sizeof(steps[0]),
	    argc, argv, usage);
}

int
cmd_unseal_main(int argc, char **argv)
{
	cur = &unseal_cmd;
	return run_main(argc, argv);
}

int
cmd_migrate_main(int argc, char **argv)
{
	cur = &migrate_cmd;
	return run_main(argc, argv);
}
