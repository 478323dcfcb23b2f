/*
 * `conclave unseal`: exit 0 on success, 1 when the step was refused (the
 * reason is printed and, where a ceremony exists, recorded in its
 * transcript), 2 on a usage error, 3 when `result` leaves nodes sealed.
 */
#include "appliance/cmd_unseal.h"

#include <stdio.h>
#include <string.h>

#include "appliance/cmd.h"
#include "appliance/cmd_quorum.h"
#include "ceremony/unseal.h"
#include "crypto/errors.h"

static const char usage_text[] =
    "usage: conclave unseal begin --state DIR --exchange DIR\n"
    "                             [--previous-transcript FILE]\n"
    "                             [--init-transcript FILE]\n"
    "       conclave unseal accept --state DIR [--confirm-sas \"W1 W2 W3 W4 W5\"]\n"
    "                             [--witness NAME]\n"
    "       conclave unseal share --state DIR --holder NAME --share-file FILE\n"
    "                             [--secret-key FILE] [--passphrase-fd N]\n"
    "       conclave unseal submit --state DIR\n"
    "       conclave unseal result --state DIR\n"
    "       conclave unseal retry --state DIR\n"
    "       conclave unseal abandon --state DIR\n"
    "       conclave unseal status --state DIR\n"
    "\n"
    "The appliance's side of unsealing every node of a cluster with one quorum:\n"
    "  begin    a fresh ceremony key and the unseal request (signed) in the\n"
    "           exchange folder, for conclave-bridge unseal.\n"
    "           --init-transcript FILE: the cluster's init transcript; every\n"
    "           share is then checked against its handout commitment, and a\n"
    "           share of another cluster or ceremony is refused\n"
    "           (CK_ERR_WRONG_CEREMONY) before anything is sealed.\n"
    "  accept   read the bridge's session offer (its session key, the nodes\n"
    "           and their seal status, the threshold) and show the 5 words of\n"
    "           the short authentication string. Both screens must show the\n"
    "           same words: a witness compares them and the step is run again\n"
    "           with --confirm-sas \"the five words\". Different words are\n"
    "           refused (CK_ERR_SAS_MISMATCH) and recorded; nothing is ever\n"
    "           sealed to an unconfirmed bridge.\n"
    "  share    one holder: their encrypted share (the .gpg file from their\n"
    "           stick) is decrypted here with their key (--secret-key FILE, the\n"
    "           secret key file from their stick; without it, a card whose key\n"
    "           GnuPG already knows; the passphrase or PIN is asked on the\n"
    "           terminal or read from --passphrase-fd), checked, sealed to the\n"
    "           bridge session and wiped. The same holder or the same share\n"
    "           twice is refused.\n"
    "  submit   the threshold's worth of sealed shares in one share submission.\n"
    "  result   read the bridge's per-node results; when every node is unsealed\n"
    "           the transcript is closed and signed.\n"
    "  retry    nodes still sealed (unreachable, died mid-unseal): the same\n"
    "           bridge session, still running, tries them again with the\n"
    "           shares it holds in locked memory; then `result` again.\n"
    "  abandon  give up on the nodes still sealed: the bridge wipes the\n"
    "           shares and stops; the transcript is closed and says so.\n"
    "  status   where the ceremony stands.\n"
    "\n"
    "Exit status: 0 done, 1 refused (the reason is printed and recorded),\n"
    "2 usage, 3 `result` with nodes still sealed.\n"
    "--state DIR must be on RAM (tmpfs): it holds the ceremony's signing key\n"
    "until the ceremony closes. Plaintext shares never reach it.\n";

static int
usage(FILE *f)
{
	fputs(usage_text, f);
	return f == stdout ? 0 : 2;
}

static int
refuse(const char *step, int err, const char *why)
{
	return cmd_refuse("unseal", step, err, why);
}

static int
step_begin(const struct quorum_args *a)
{
	struct session *s = NULL;
	uint8_t prev[TRANSCRIPT_HASH_BYTES];
	int r;

	if (a->exchange == NULL)
		return usage(stderr);
	if (a->previous != NULL &&
	    cmd_load_prev("unseal begin", a->previous, prev) != CK_OK)
		return 1;
	if ((r = unseal_begin(a->state, a->exchange,
	    a->previous != NULL ? prev : NULL, &s)) != CK_OK)
		return refuse("begin", r, NULL);
	cmd_print_ceremony_key(s);
	if (cmd_quorum_commitments("unseal", s, a) != 0) {
		session_free(s);
		return 1;
	}
	printf("\nUnseal request written to %s.\n"
	    "Next: conclave-bridge unseal on the operator's workstation, then\n"
	    "conclave unseal accept here.\n", a->exchange);
	session_free(s);
	return 0;
}

static int
step_result(const struct quorum_args *a)
{
	struct session *s = NULL;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	unsigned pending = 0;
	char why[256];
	int r, closed = 0;

	if ((r = session_load(a->state, KIND_UNSEAL, a->exchange, &s)) != CK_OK)
		return refuse("result", r, NULL);
	if ((r = unseal_result(s, &closed, &pending, head, why,
	    sizeof(why))) != CK_OK) {
		session_free(s);
		return refuse("result", r, why);
	}
	printf("Node results:\n");
	cmd_quorum_print_nodes(json_object_get(s->ext, "nodes"));
	if (closed) {
		printf("Every node is unsealed. Ceremony closed.\n");
		cmd_quorum_print_head(a->state, head);
	} else {
		printf("%u node(s) still sealed. When they are back: conclave unseal "
		    "retry (the bridge must still be running), or conclave unseal "
		    "abandon.\n", pending);
	}
	session_free(s);
	return closed ? 0 : 3;
}

static int
step_retry(const struct quorum_args *a)
{
	struct session *s = NULL;
	int r;

	if ((r = session_load(a->state, KIND_UNSEAL, a->exchange, &s)) != CK_OK)
		return refuse("retry", r, NULL);
	if ((r = unseal_retry(s)) != CK_OK) {
		session_free(s);
		return refuse("retry", r, r == CK_ERR_STATE ?
		    "only nodes left sealed by a result can be retried" : NULL);
	}
	printf("Retry requested. Next: conclave unseal result.\n");
	session_free(s);
	return 0;
}

static const struct quorum_cmd unseal_cmd = { "unseal", KIND_UNSEAL, "requested" };

static int step_accept(const struct quorum_args *a) { return cmd_quorum_accept(&unseal_cmd, a); }

static int
step_abandon(const struct quorum_args *a)
{
	return cmd_quorum_close(&unseal_cmd, a, "abandon", unseal_abandon,
	    "Abandoned: the bridge is told to wipe the shares. Ceremony "
	    "closed with nodes left sealed.");
}
static int step_share(const struct quorum_args *a) { return cmd_quorum_share(&unseal_cmd, a); }
static int step_submit(const struct quorum_args *a) { return cmd_quorum_submit(&unseal_cmd, a); }
static int step_status(const struct quorum_args *a) { return cmd_quorum_status(&unseal_cmd, a); }

static const struct {
	const char *name;
	int (*run)(const struct quorum_args *);
} steps[] = {
	{ "begin", step_begin }, { "accept", step_accept },
	{ "share", step_share }, { "submit", step_submit },
	{ "result", step_result }, { "retry", step_retry },
	{ "abandon", step_abandon }, { "status", step_status },
};

int
cmd_unseal_main(int argc, char **argv)
{
	struct quorum_args a;
	size_t i;
	int r;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)
		return usage(stdout);
	if ((r = cmd_quorum_parse(argc - 1, argv + 1, &a)) != 0)
		return r == 1 ? usage(stdout) : usage(stderr);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (strcmp(argv[1], steps[i].name) == 0)
			return steps[i].run(&a);
	fprintf(stderr, "conclave unseal: unknown step '%s'\n", argv[1]);
	return usage(stderr);
}
