/*
 * `conclave rekey`: exit 0 on success, 1 when the step was refused (the
 * reason is printed and, where a ceremony exists, recorded in its
 * transcript), 2 on a usage error.
 */
#include "appliance/cmd_rekey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cmd.h"
#include "appliance/cmd_quorum.h"
#include "ceremony/init.h"
#include "ceremony/rekey.h"
#include "crypto/errors.h"
#include "crypto/pgp.h"
#include "crypto/reader.h"
#include "crypto/secmem.h"
#include "media/tty.h"

static const char usage_text[] =
    "usage: conclave rekey begin --state DIR --exchange DIR --threshold T\n"
    "                            --holder NAME=KEYFILE... [--recovery]\n"
    "                            [--review --witness NAME...]\n"
    "                            [--previous-transcript FILE]\n"
    "                            [--handout-transcript FILE]\n"
    "       conclave rekey accept --state DIR [--confirm-sas \"W1 W2 W3 W4 W5\"]\n"
    "                            [--witness NAME]\n"
    "       conclave rekey share --state DIR --holder NAME --share-file FILE\n"
    "                            [--secret-key FILE | --holder-key FILE]\n"
    "                            [--passphrase-fd N]\n"
    "       conclave rekey submit --state DIR\n"
    "       conclave rekey result --state DIR\n"
    "       conclave rekey handout --state DIR --holder K --stick DIR\n"
    "                            [--secret-key FILE] [--passphrase-fd N]\n"
    "       conclave rekey check-all --state DIR --holder K=SECRETKEYFILE...\n"
    "                            [--passphrase-fd N]\n"
    "       conclave rekey verify --state DIR\n"
    "       conclave rekey finish --state DIR\n"
    "       conclave rekey abandon --state DIR [--reason TEXT]\n"
    "       conclave rekey status --state DIR\n"
    "\n"
    "Rotate the unseal shares (or, with --recovery, the recovery shares of an\n"
    "auto-unseal server) to a new roster, n and threshold, with verification:\n"
    "  begin    the new holders' keys (in share order), the new threshold; the\n"
    "           rekey request (signed) for conclave-bridge rekey.\n"
    "  accept   the session offer (the server's rekey nonce, the CURRENT\n"
    "           threshold); the short authentication string is confirmed with\n"
    "           --confirm-sas as in conclave unseal accept.\n"
    "  share    one CURRENT holder's share, decrypted here, sealed and wiped.\n"
    "  submit   the current shares in one submission.\n"
    "  result   the new shares, each checked to be encrypted to its new holder.\n"
    "  handout  each new holder in turn, as at init: their encrypted share to\n"
    "           their stick and a decrypt proof; only a commitment is recorded.\n"
    "  check-all  optional, after the handouts: every NEW holder decrypts in\n"
    "           turn (their key file; passphrases asked one by one, or one\n"
    "           line each from --passphrase-fd) and the appliance checks that\n"
    "           all n shares lie on one polynomial (any t give the same key).\n"
    "           This puts the new key in the appliance's memory for a moment;\n"
    "           the screen says so first and the transcript records it.\n"
    "  verify   once every new holder is proven: the next `share` steps take\n"
    "           NEW shares (the files just handed out) for the server's\n"
    "           verification, `submit` sends them. The old shares stay valid on\n"
    "           the server until this verification completes.\n"
    "  finish   the server's verification completion: the new shares are now\n"
    "           the only ones; the transcript is closed and signed.\n"
    "  abandon  at any step before `verify`: the bridge cancels the rekey on\n"
    "           the server, so the old shares stay the only ones; the\n"
    "           transcript is closed as abandoned, with --reason.\n"
    "  status   where the ceremony stands.\n"
    "  --review --witness NAME... (begin): the step that completes the\n"
    "           ceremony leaves the transcript open for the witnesses' review,\n"
    "           where the witnesses named here answer; conclave review records\n"
    "           their answers and closes it. Abandon is refused then.\n"
    CMD_GNUPG_BASE_HELP;


static const struct quorum_cmd rekey_cmd = { "rekey", KIND_REKEY, "requested" };

static int
usage(FILE *f)
{
	fputs(usage_text, f);
	return f == stdout ? 0 : 2;
}

static int
refuse(const char *step, int err, const char *why)
{
	return cmd_refuse("rekey", step, err, why);
}

static int
step_begin(const struct quorum_args *a)
{
	struct pgp_home *h = NULL;
	struct roster *ro = NULL;
	struct session *s = NULL;
	uint8_t prev[TRANSCRIPT_HASH_BYTES];
	json_t *handout = NULL;
	size_t i;
	int r, rc = 1;

	if (a->exchange == NULL || a->threshold == 0 || a->nholders == 0)
		return usage(stderr);
	if (a->previous != NULL &&
	    cmd_load_prev("rekey begin", a->previous, prev) != CK_OK)
		return 1;
	if (cmd_quorum_handout("rekey", a, &handout) != 0)
		return 1;
	if ((r = cmd_pgp_home("rekey begin", a->gnupg_base, &h)) != CK_OK ||
	    (r = roster_new(&ro)) != CK_OK)
		goto out;
	for (i = 0; i < a->nholders; i++)
		if ((r = cmd_roster_add(ro, h, "rekey begin", a->holders[i],
		    ROSTER_HOLDER)) != CK_OK)
			goto out;
	if ((r = rekey_begin(a->state, a->exchange, ro, a->threshold, a->recovery,
	    a->previous != NULL ? prev : NULL, handout, &s)) != CK_OK) {
		cmd_begin_refused("rekey", a->state, a->exchange, r);
		goto out;
	}
	cmd_print_ceremony_key(s);
	cmd_quorum_print_handout(s);
	tty_printw(stdout,
	    "\nNew roster: %zu %s shares, any %u of them. Rekey request written "
	    "to %s.\nNext: conclave-bridge rekey.\n", ro->n_holders,
	    a->recovery ? "recovery" : "unseal", a->threshold, a->exchange);
	rc = 0;
out:
	json_decref(handout);
	session_free(s);
	roster_free(ro);
	pgp_home_close(h);
	return rc;
}

static int
step_submit(const struct quorum_args *a)
{
	struct session *s = NULL;
	char why[256];
	int r, verifying;

	if ((r = session_load(a->state, KIND_REKEY, a->exchange, &s)) != CK_OK)
		return refuse("submit", r, cmd_load_why(a->state, r));
	verifying = rekey_verifying(s);
	session_free(s);
	if (!verifying)
		return cmd_quorum_submit(&rekey_cmd, a);
	if ((r = session_load(a->state, KIND_REKEY, a->exchange, &s)) != CK_OK)
		return refuse("submit", r, cmd_load_why(a->state, r));
	if ((r = rekey_verify_submit(s, why, sizeof(why))) != CK_OK) {
		session_free(s);
		return refuse("submit", r, why);
	}
	tty_printw(stdout,
	    "New shares submitted for verification. Next: conclave rekey "
	    "finish, once the bridge has answered.\n");
	session_free(s);
	return 0;
}

static int
step_result(const struct quorum_args *a)
{
	struct session *s = NULL;
	char why[256];
	int r;

	if ((r = session_load(a->state, KIND_REKEY, a->exchange, &s)) != CK_OK)
		return refuse("result", r, cmd_load_why(a->state, r));
	if ((r = rekey_result(s, why, sizeof(why))) != CK_OK) {
		session_free(s);
		return refuse("result", r, why);
	}
	tty_printw(stdout,
	    "%zu new encrypted shares, each to its holder's key.\n"
	    "Next: conclave rekey handout --holder K, for each new holder.\n",
	    json_array_size(json_object_get(s->ext, "encrypted_shares")));
	session_free(s);
	return 0;
}

static int
step_handout(const struct quorum_args *a)
{
	struct cmd_handout_args h = { a->state, a->exchange, a->gnupg_base,
	    a->stick, a->secret_key, a->passphrase_fd, 0 };
	unsigned long long k;
	char *file = NULL;

	if (a->stick == NULL || a->holder == NULL ||
	    rd_parse_uint(a->holder, 1, KIND_MAX_SHARES, &k) != CK_OK)
		return usage(stderr);
	h.holder = (unsigned)k;
	if (cmd_handout(KIND_REKEY, &h, &file) != 0)
		return 1;
	tty_printw(stdout,
	    "New share %llu written to %s/%s and proven.\n", k, a->stick, file);
	free(file);
	return 0;
}

static int
step_verify(const struct quorum_args *a)
{
	struct session *s = NULL;
	char why[256];
	int r;

	if ((r = session_load(a->state, KIND_REKEY, a->exchange, &s)) != CK_OK)
		return refuse("verify", r, cmd_load_why(a->state, r));
	if ((r = rekey_verify_start(s, why, sizeof(why))) != CK_OK) {
		session_free(s);
		return refuse("verify", r, why);
	}
	tty_printw(stdout,
	    "Every new holder is proven. Next: conclave rekey share with %u NEW "
	    "shares, then submit.\n", quorum_threshold(s));
	session_free(s);
	return 0;
}

static int
step_finish(const struct quorum_args *a)
{
	struct session *s = NULL;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	char why[256];
	int r;

	if ((r = session_load(a->state, KIND_REKEY, a->exchange, &s)) != CK_OK)
		return refuse("finish", r, cmd_load_why(a->state, r));
	if ((r = rekey_finish(s, head, why, sizeof(why))) != CK_OK) {
		session_free(s);
		return refuse("finish", r, why);
	}
	tty_printw(stdout,
	    "The server verified the new shares: they are now the only ones.\n"
	    "%s\n", cmd_closed_text(s));
	cmd_quorum_print_head(s, a->state, head);
	session_free(s);
	return 0;
}

static int step_accept(const struct quorum_args *a) { return cmd_quorum_accept(&rekey_cmd, a); }

static int
step_abandon(const struct quorum_args *a)
{
	return cmd_quorum_close(&rekey_cmd, a, "abandon", rekey_abandon,
	    "Abandoned: the bridge cancels the rekey; the old shares stay in "
	    "force. Ceremony closed as abandoned.");
}
static int step_share(const struct quorum_args *a) { return cmd_quorum_share(&rekey_cmd, a); }
static int step_status(const struct quorum_args *a) { return cmd_quorum_status(&rekey_cmd, a); }

static int
check_holders(struct rekey_check *c, const struct quorum_args *a)
{
	struct pgp_home *h = NULL;
	unsigned long long k;
	char *pass = NULL, prompt[64];
	const char *eq;
	size_t i;
	int r = CK_OK;

	for (i = 0; i < a->nholders && r == CK_OK; i++) {
		char num[8];

		if ((eq = strchr(a->holders[i], '=')) == NULL ||
		    (size_t)(eq - a->holders[i]) >= sizeof(num)) {
			tty_printw(stderr, "conclave rekey check-all: expected "
			    "K=SECRETKEYFILE, got '%s'\n", a->holders[i]);
			return CK_ERR_INVALID_ARG;
		}
		memcpy(num, a->holders[i], (size_t)(eq - a->holders[i]));
		num[eq - a->holders[i]] = '\0';
		if (rd_parse_uint(num, 1, KIND_MAX_SHARES, &k) != CK_OK)
			return CK_ERR_INVALID_ARG;
		snprintf(prompt, sizeof(prompt), "New holder %llu, passphrase: ", k);
		if ((r = cmd_pgp_home("rekey check-all", a->gnupg_base, &h)) == CK_OK &&
		    (r = tty_read_secret(prompt, a->passphrase_fd, &pass)) == CK_OK)
			r = rekey_check_add(c, h, (unsigned)k, eq + 1, pass);
		if (r == CK_OK)
			tty_printw(stdout,
			    "new holder %llu: decrypted, held for the check\n",
			    k);
		else
			refuse("check-all", r, NULL);
		secmem_free(pass);
		pass = NULL;
		pgp_home_close(h);
		h = NULL;
	}
	return r;
}

static int
step_check_all(const struct quorum_args *a)
{
	struct rekey_check *c = NULL;
	struct session *s = NULL;
	char why[256];
	int r, rc = 1;

	if (a->nholders == 0)
		return usage(stderr);
	if ((r = session_load(a->state, KIND_REKEY, a->exchange, &s)) != CK_OK)
		return refuse("check-all", r, cmd_load_why(a->state, r));
	tty_printw(stdout,
	    "ALL-SHARES CHECK: every new holder decrypts in turn, and for a\n"
	    "moment this appliance holds enough shares to rebuild the new key.\n"
	    "The transcript records that this happened.\n");
	if ((r = rekey_check_open(s, &c)) != CK_OK) {
		refuse("check-all", r, NULL);
		goto out;
	}
	if (check_holders(c, a) != CK_OK)
		goto out;
	if ((r = rekey_check_close(c, why, sizeof(why))) != CK_OK) {
		refuse("check-all", r, why);
		goto out;
	}
	tty_printw(stdout,
	    "All %zu new shares lie on one polynomial: any threshold of them "
	    "gives the same key. Wiped.\n", a->nholders);
	rc = 0;
out:
	rekey_check_free(c);
	session_free(s);
	return rc;
}

static const struct quorum_step steps[] = {
	{ "begin", step_begin }, { "accept", step_accept },
	{ "share", step_share }, { "submit", step_submit },
	{ "result", step_result }, { "handout", step_handout },
	{ "verify", step_verify }, { "finish", step_finish },
	{ "check-all", step_check_all },
	{ "abandon", step_abandon },
	{ "status", step_status },
};

int
cmd_rekey_main(int argc, char **argv)
{
	return cmd_quorum_run("rekey", steps, sizeof(steps) / sizeof(steps[0]),
	    argc, argv, usage);
}
