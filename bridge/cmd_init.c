#include "bridge/cmd_init.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "bridge/bsession.h"
#include "bridge/opts.h"
#include "client/vault.h"
#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/pgppkt.h"
#include "media/tty.h"
#include "protocol/kinds.h"

enum { OPT_CEREMONY = 0x200, OPT_ROOT_TOKEN_FD, OPT_KEY_WORDS };

struct init_ctx {
	struct bridge_opts o;
	const char *ceremony;
	const char *key_words;	/* --key-words: confirmed without a terminal */
	int token_fd;
	struct bsession b;	/* the exchange folder, pinned keys, sequence */
	struct http_client *c;
	/* The server's clock when it answered sys/init (the init result's
	 * server.init_time): the initial root token was made by then. */
	long long init_time;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: conclave-bridge init --exchange DIR [--ceremony ID] [OPTIONS]\n"
	    "\n"
	    "Answers the appliance's init request: checks its signature and shows\n"
	    "the ceremony key's words, which the operator types as a witness reads\n"
	    "them from the appliance (or gives with --key-words): nothing reaches\n"
	    "the server before they match. Then it checks that the\n"
	    "server is not initialised and that its seal suits the shares asked for\n"
	    "(unseal shares: Shamir seal; recovery shares: auto-unseal), calls\n"
	    "PUT sys/init and writes the signed result to the exchange folder.\n"
	    "Then it waits: configure the server with the initial root token\n"
	    "(it is encrypted to the operator's key), then give the token back\n"
	    "(typed, hidden, or on --root-token-fd N) and it is revoked; the proof\n"
	    "(a lookup with it is refused) goes to the appliance.\n"
	    "Started again after a bridge stopped with the result written, it\n"
	    "offers a new session key (its words, for the room to compare with\n"
	    "conclave init repin) and then takes the root token as above; by\n"
	    "QR code it carries what the stopped bridge wrote again first.\n"
	    "\n"
	    "Options:\n"
	    "  --ceremony ID        the ceremony folder, when the exchange holds several\n"
	    "  --root-token-fd N    read the root token from file descriptor N\n"
	    "  --key-words WORDS    the ceremony key's words as the appliance shows\n"
	    "                       them, instead of typing them (scripts, tests)\n"
	    OPTS_HELP_TEXT OPTS_QR_HELP_TEXT);
}

static int
fail(const char *what, int err, const char *detail)
{
	return opts_fail("init", what, err, detail);
}
/*
 * One OpenPGP public key as the server takes it: padded base64 of a binary
 * transferable public key. The server would refuse junk only after the
 * request was sent; here it is refused, naming the key, before.
 */
static int
check_key(const json_t *v, const char *field, char *why, size_t whylen)
{
	struct pgppkt_subkeys sk;
	uint8_t *bin = NULL;
	size_t len = 0;
	int r;

	if (!json_is_string(v)) {
		snprintf(why, whylen, "%s is not a string", field);
		return CK_ERR_FORMAT;
	}
	if ((bin = malloc(PGPPKT_KEY_MAX)) == NULL)
		return CK_ERR_ALLOC;
	r = codec_b64_decode(CODEC_B64_PADDED, json_string_value(v),
	    json_string_length(v), bin, PGPPKT_KEY_MAX, &len);
	if (r != CK_OK)
		snprintf(why, whylen, "%s is not base64 of at most %d bytes",
		    field, PGPPKT_KEY_MAX);
	else if ((r = pgppkt_subkeys(bin, len, &sk)) != CK_OK)
		snprintf(why, whylen, "%s is not an OpenPGP public key (%s)",
		    field, ck_errname(r));
	free(bin);
	return r;
}

/* The request's fields, checked before anything reaches the server. */
static int
build_request(const json_t *p, json_t **req, int *recovery, char *why,
    size_t whylen)
{
	char field[32];
	const char *kind = NULL, *shares = NULL, *root_key = NULL;
	json_int_t n = 0, t = 0;
	json_t *keys = NULL;
	size_t i;
	int r;

	*req = NULL;
	if (json_unpack((json_t *)p, "{s:s, s:s, s:I, s:I, s:o, s:s}",
	    "kind", &kind, "shares", &shares, "n", &n, "t", &t,
	    "pgp_keys", &keys, "root_token_pgp_key", &root_key) != 0 ||
	    strcmp(kind, KIND_INIT) != 0 ||
	    (strcmp(shares, "unseal") != 0 && strcmp(shares, "recovery") != 0) ||
	    !json_is_array(keys))
		return CK_ERR_FORMAT;
	if (n < 1 || n > KIND_MAX_SHARES || t < 1 ||
	    kinds_check_quorum((unsigned)n, (unsigned)t) != CK_OK)
		return CK_ERR_QUORUM;
	if (json_array_size(keys) != (size_t)n)
		return CK_ERR_SHARE_COUNT;
	for (i = 0; i < (size_t)n; i++) {
		snprintf(field, sizeof(field), "pgp_keys[%zu]", i);
		if ((r = check_key(json_array_get(keys, i), field, why,
		    whylen)) != CK_OK)
			return r;
	}
	if ((r = check_key(json_object_get(p, "root_token_pgp_key"),
	    "root_token_pgp_key", why, whylen)) != CK_OK)
		return r;
	*recovery = strcmp(shares, "recovery") == 0;
	*req = *recovery ?
	    json_pack("{s:I, s:I, s:O, s:s}", "recovery_shares", n,
		"recovery_threshold", t, "recovery_pgp_keys", keys,
		"root_token_pgp_key", root_key) :
	    json_pack("{s:I, s:I, s:O, s:s}", "secret_shares", n,
		"secret_threshold", t, "pgp_keys", keys,
		"root_token_pgp_key", root_key);
	return *req != NULL ? CK_OK : CK_ERR_ALLOC;
}

/* Does the server's seal suit the shares asked for? Nothing sent yet. */
static int
check_server(struct init_ctx *ctx, int recovery)
{
	struct vault_seal_status st;
	int r;

	if ((r = vault_seal_status(ctx->c, &st)) != CK_OK)
		return fail("server", r, http_error_detail(ctx->c));
	/* This request has no result yet (bsession_open found it waiting):
	 * if a bridge initialised the server for it and stopped before
	 * writing the result (tests/resume: kill points 1 and 2), the
	 * shares and the root token died with that bridge. */
	if (st.initialized)
		return fail("server", CK_ERR_ALREADY_INIT,
		    "nothing was sent to it and nothing was written. If a "
		    "bridge stopped after initialising it for this request "
		    "(which has no result yet), the shares and root token were "
		    "lost with it: no one can unseal this cluster; wipe its "
		    "storage, abandon on the appliance and begin again");
	if (recovery != (strcmp(st.type, "shamir") != 0)) {
		char why[160];

		snprintf(why, sizeof(why), "the server's seal is '%s' but the "
		    "appliance asked for %s shares", st.type,
		    recovery ? "recovery" : "unseal");
		return fail("server", CK_ERR_SEAL_MISMATCH, why);
	}
	return 0;
}

static int
send_result(struct init_ctx *ctx, json_t *resp, const struct vault_identity *vi)
{
	return bsession_send_new(&ctx->b, ENVELOPE_INIT_RESULT,
	    json_pack("{s:O, s:{s:s, s:s, s:s, s:s, s:s, s:b, s:I}}", "response",
	    resp, "server", "address", vi->address, "version", vi->version,
	    "type", vi->type, "cluster_id", vi->cluster_id,
	    "cluster_name", vi->cluster_name, "recovery_seal", vi->recovery_seal,
	    "init_time", (json_int_t)vi->init_time));
}

/* The root token of sys/init's answer, encrypted to the operator's key. */
static void
print_root_token(const json_t *resp)
{
	const char *tok = json_string_value(json_object_get(resp, "root_token"));

	tty_printw(stdout,
	    "The initial root token, encrypted to the operator's key:\n");
	tty_print_copyable(stdout, tok != NULL ? tok : "(missing)");
	tty_printw(stdout,
	    "Decrypt it with: echo '<those lines>' | base64 -d | "
	    "gpg --decrypt\n");
}

static int
do_init(struct init_ctx *ctx, const json_t *payload)
{
	struct vault_identity vi;
	json_t *req = NULL, *resp = NULL;
	char why[160] = "";
	int recovery = 0, r, rc = 1;

	if ((r = build_request(payload, &req, &recovery, why, sizeof(why))) != CK_OK) {
		char detail[sizeof(why) + 48];

		snprintf(detail, sizeof(detail), "%s%snothing was sent to the server",
		    why, why[0] != '\0' ? "; " : "");
		return fail("init request", r, detail);
	}
	if (check_server(ctx, recovery) != 0)
		goto out;
	if ((r = vault_init_ceremony(ctx->c, req, &resp, &vi)) != CK_OK) {
		fail("sys/init", r, http_error_detail(ctx->c));
		goto out;
	}
	/*
	 * The shares and the root token exist only in resp now, and the server
	 * gives them once: the first thing is their durable write (a stop
	 * before it loses them for good; check_server says so to the next
	 * bridge). Nothing, not even a line on the screen, comes first.
	 */
	if ((r = send_result(ctx, resp, &vi)) != CK_OK) {
		fail("writing the init result", r, "the shares and the root token "
		    "are lost: wipe the server's storage, abandon on the appliance "
		    "and begin again");
		goto out;
	}
	ctx->init_time = vi.init_time;
	tty_printw(stdout,
	    "Server initialised: %s (%s %s). Init result written.\n",
	    vi.address, vi.type, vi.version);
	print_root_token(resp);
	rc = 0;
out:
	json_decref(req);
	json_decref(resp);
	return rc;
}

/* Revoke the initial root token and prove it: a lookup must be refused. */
static int
revoke_root(struct init_ctx *ctx)
{
	tty_printw(stdout,
	    "\nWhen the initial configuration is done, give the initial root "
	    "token to revoke it.\n");
	return bsession_close_root(&ctx->b, "init", ctx->c, ctx->token_fd, NULL,
	    NULL, ctx->init_time);
}

/*
 * A bridge started again on a ceremony whose init result a stopped bridge
 * wrote: the shares are with the appliance, but the session key that
 * must sign the closing result died with that bridge. A new one is
 * offered for the room to compare (bsession_repin), then the root token
 * is revoked as usual. A closing result written: bsession_finished.
 */
static int
resume_init(struct init_ctx *ctx)
{
	struct envelope res = { 0 };
	char sas[BSESSION_SAS_MAX];
	int r;

	/* A closing result written: at most the appliance's copy is
	 * missing. */
	if (bsession_finished(&ctx->b))
		return 0;
	/* The operator needs the root token the stopped bridge received. */
	if ((r = bsession_read(&ctx->b, 2, ENVELOPE_INIT_RESULT, &res)) != CK_OK)
		return fail("init result", r, "the stopped bridge's, at seq 2");
	print_root_token(json_object_get(res.payload, "response"));
	/* Absent (or not a positive integer) is 0: no token passes. */
	ctx->init_time = json_integer_value(json_object_get(
	    json_object_get(res.payload, "server"), "init_time"));
	if (ctx->init_time < 0)
		ctx->init_time = 0;
	envelope_free(&res);
	/* What the stopped bridge wrote after the request, carried again
	 * when the room crosses by QR code. */
	bsession_carry_again(&ctx->b);
	if ((r = bsession_repin(&ctx->b, KIND_INIT, sas)) != CK_OK)
		return fail("re-pin", r, "writing the new key's envelope");
	tty_printw(stdout,
	    "Ceremony %s:\nthe server was initialised and its init result "
	    "written by a bridge that stopped. Its session key died with it; "
	    "this bridge offers a new one. The room compares its words with "
	    "the appliance's (conclave init repin, or the closing screen); "
	    "only then does the appliance take what this bridge signs.\n"
	    "The new key's words:\n  %s\n", ctx->b.id_hex, sas);
	if ((r = opts_client(&ctx->o, 0, &ctx->c)) != CK_OK)
		return fail("server address", r, ctx->o.addresses[0]);
	return revoke_root(ctx);
}

static int
parse(struct init_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		OPTS_LONGOPTS,
		OPTS_QR_LONGOPTS,
		{ "ceremony", required_argument, NULL, OPT_CEREMONY },
		{ "root-token-fd", required_argument, NULL, OPT_ROOT_TOKEN_FD },
		{ "key-words", required_argument, NULL, OPT_KEY_WORDS },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int ch, e;

	opts_init(&ctx->o, "init");
	ctx->token_fd = -1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if ((e = opts_handle(&ctx->o, ch, optarg)) == CK_OK)
			continue;
		if (ch == OPT_CEREMONY)
			ctx->ceremony = optarg;
		else if (ch == OPT_KEY_WORDS)
			ctx->key_words = optarg;
		else if (ch == OPT_ROOT_TOKEN_FD &&
		    rd_parse_uint(optarg, 0, 1023, &v) == CK_OK)
			ctx->token_fd = (int)v;
		else
			return 2;
	}
	return opts_done_exchange(&ctx->o, optind, argc);
}

int
bridge_init_main(int argc, char **argv)
{
	struct init_ctx ctx;
	struct envelope env = { 0 };
	char adopted[ENVELOPE_FILE_NAME_MAX];
	uint64_t last = 0;
	int r, rc = 1;

	memset(&ctx, 0, sizeof(ctx));
	if ((r = parse(&ctx, argc, argv)) != 0) {
		usage(r == 1 ? stdout : stderr);
		opts_free(&ctx.o);
		return r == 1 ? 0 : 2;
	}
	opts_warn(&ctx.o, stderr);
	r = bsession_open(&ctx.b, &ctx.o, ctx.ceremony, ENVELOPE_INIT_REQUEST,
	    &env);
	if (r == CK_ERR_NOT_FOUND && bsession_finished(&ctx.b)) {
		rc = 0;
		goto out;
	}
	if (r == CK_ERR_NOT_FOUND && ctx.ceremony == NULL) {
		json_t *offer = NULL;

		/* No request waits alone: one whose bridge stopped, maybe. */
		bsession_free(&ctx.b);
		envelope_free(&env);
		if (bsession_orphan(&ctx.b, ctx.o.exchange, NULL,
		    ENVELOPE_INIT_REQUEST, &env, &offer) == CK_OK) {
			ctx.b.o = &ctx.o;
			r = CK_OK;
		}
		json_decref(offer);
	}
	if (r != CK_OK) {
		fail("init request", r, r == CK_ERR_EXISTS ? "several ceremonies "
		    "wait: name one with --ceremony" : r == CK_ERR_NOT_FOUND ?
		    "no init request waiting" : NULL);
		goto out;
	}
	/* The stopped bridge's last envelope, written but not put in place. */
	if (bsession_adopt(&ctx.b, adopted) == CK_OK)
		tty_printw(stdout,
		    "Ceremony %s:\na bridge that stopped had written %s in "
		    "full but not put it in place: it is in place now.\n",
		    ctx.b.id_hex, adopted);
	if ((r = bsession_last(&ctx.b, &last)) != CK_OK) {
		fail("exchange folder", r, NULL);
		goto out;
	}
	if (last > 1) {
		rc = resume_init(&ctx);
		goto out;
	}
	/* The room compares the words before the server is touched. */
	bsession_show_signer(&ctx.b, "Init request");
	if (bsession_confirm_signer(&ctx.b, "init", ctx.key_words) != CK_OK)
		goto out;
	if ((r = opts_client(&ctx.o, 0, &ctx.c)) != CK_OK) {
		fail("server address", r, ctx.o.addresses[0]);
		goto out;
	}
	if (do_init(&ctx, env.payload) != 0)
		goto out;
	rc = revoke_root(&ctx);
out:
	envelope_free(&env);
	http_client_free(ctx.c);
	bsession_free(&ctx.b);
	opts_free(&ctx.o);
	return rc;
}
