/*
 * `conclave-bridge rekey`: one session, one server (rekey and rotate are
 * forwarded to the active node).
 *
 * Endpoints: the unauthenticated sys/rekey/... and sys/rekey-recovery-key/...
 * (Vault; OpenBao only with disable_unauthed_rekey_endpoints = false) and
 * OpenBao's token-authenticated sys/rotate/root/... and sys/rotate/recovery/...
 * (>= 2.4). Verification is always asked for: the old shares stay valid
 * until the new ones are proven.
 *
 * Limits: at most VAULT_MAX_SHARES new shares; the server's strings as
 * VAULT_MAX_NONCE; answers bounded and strictly parsed by client/http.
 */
#include "bridge/cmd_rekey.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bsession.h"
#include "bridge/opts.h"
#include "client/vault.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "media/tty.h"
#include "protocol/kinds.h"

#define DEFAULT_WAIT	3600	/* the handouts take a while */
#define REKEY_SETTING	"disable_unauthed_rekey_endpoints = false"

enum { OPT_CEREMONY = 0x200, OPT_WAIT };

struct rekey_api {
	const char *base;	/* ".../init", ".../update", ".../verify" below */
	const char *method;	/* the legacy handlers take PUT */
};

static const struct rekey_api legacy_barrier = { "sys/rekey", "PUT" };
static const struct rekey_api legacy_recovery = { "sys/rekey-recovery-key", "PUT" };
static const struct rekey_api rotate_barrier = { "sys/rotate/root", "POST" };
static const struct rekey_api rotate_recovery = { "sys/rotate/recovery", "POST" };

struct rekey_status {
	int started;
	int complete;
	int verification_required;
	unsigned required;
	unsigned progress, t, n;	/* the rekey in progress's */
	char nonce[VAULT_MAX_NONCE];
	char verification_nonce[VAULT_MAX_NONCE];
	json_t *keys;		/* keys_base64 of the completion, or NULL */
};

struct rekey_ctx {
	struct bridge_opts o;
	const char *ceremony;
	unsigned wait_s;
	struct bsession b;
	struct http_client *c;
	const struct rekey_api *api;
	int recovery;
	unsigned n, t;
	const json_t *pgp_keys;		/* borrowed from the request */
	struct rekey_status st;
	char nonce[VAULT_MAX_NONCE];
	char vnonce[VAULT_MAX_NONCE];
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: conclave-bridge rekey --exchange DIR --address A [--token-file FILE]\n"
	    "                             [--ceremony ID] [--wait S]\n"
	    "\n"
	    "Answers the appliance's rekey request:\n"
	    "  1. finds the endpoint: with a token (--token-file or VAULT_TOKEN)\n"
	    "     OpenBao's sys/rotate/root (or /recovery), else the unauthenticated\n"
	    "     sys/rekey (or sys/rekey-recovery-key). When that is disabled\n"
	    "     (OpenBao >= 2.5 by default) the offer says so, with the listener\n"
	    "     setting that opens it: " REKEY_SETTING ";\n"
	    "  2. starts the rekey with the new holders' keys, n and threshold, and\n"
	    "     verification required (a rekey already in progress is refused,\n"
	    "     unless a bridge stopped between starting it for this request and\n"
	    "     offering the session: to its n and t, verification required, no\n"
	    "     share yet; that one is started again);\n"
	    "  3. writes the session offer (the rekey nonce, the CURRENT threshold)\n"
	    "     and shows the short authentication string;\n"
	    "  4. submits the current shares, each opened for its one request, and\n"
	    "     sends the new encrypted shares to the appliance for the handouts;\n"
	    "  5. waits for the new shares (sealed, after the handouts) and submits\n"
	    "     them to the verification; only then is the new key in force.\n"
	    "     The appliance's `conclave rekey abandon`, or no new shares within\n"
	    "     --wait, cancels the rekey: the old shares stay in force.\n"
	    "  A refused share or a lost rekey cancels the operation on the server\n"
	    "  and the failure goes to the appliance.\n"
	    "\n"
	    "Options:\n"
	    "  --ceremony ID        the ceremony folder, when the exchange holds several\n"
	    "  --wait S             seconds to wait for each appliance step (default %d)\n"
	    OPTS_HELP_TEXT OPTS_QR_HELP_TEXT, DEFAULT_WAIT);
}

static int
fail(const char *what, int err, const char *detail)
{
	return opts_fail("rekey", what, err, detail);
}

static int
parse(struct rekey_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		OPTS_LONGOPTS,
		OPTS_QR_LONGOPTS,
		{ "ceremony", required_argument, NULL, OPT_CEREMONY },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int ch;

	opts_init(&ctx->o, "rekey");
	ctx->wait_s = DEFAULT_WAIT;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opts_handle(&ctx->o, ch, optarg) == CK_OK)
			continue;
		if (ch == OPT_CEREMONY)
			ctx->ceremony = optarg;
		else if (ch == OPT_WAIT && rd_parse_uint(optarg, 1, 86400, &v) == CK_OK)
			ctx->wait_s = (unsigned)v;
		else
			return 2;
	}
	return opts_done_exchange(&ctx->o, optind, argc);
}

static int
check_request(struct rekey_ctx *ctx, const json_t *p)
{
	const char *kind = json_string_value(json_object_get(p, "kind"));
	const char *target = json_string_value(json_object_get(p, "target"));
	json_int_t n = json_integer_value(json_object_get(p, "n"));
	json_int_t t = json_integer_value(json_object_get(p, "t"));
	const json_t *keys = json_object_get(p, "pgp_keys"), *k;
	size_t i;

	if (kind == NULL || strcmp(kind, KIND_REKEY) != 0 || target == NULL ||
	    (strcmp(target, "barrier") != 0 && strcmp(target, "recovery") != 0) ||
	    !json_is_array(keys))
		return CK_ERR_FORMAT;
	if (n < 1 || n > VAULT_MAX_SHARES || t < 1 ||
	    kinds_check_quorum((unsigned)n, (unsigned)t) != CK_OK)
		return CK_ERR_QUORUM;
	if (json_array_size(keys) != (size_t)n)
		return CK_ERR_SHARE_COUNT;
	json_array_foreach(keys, i, k)
		if (!json_is_string(k))
			return CK_ERR_FORMAT;
	ctx->recovery = strcmp(target, "recovery") == 0;
	ctx->n = (unsigned)n;
	ctx->t = (unsigned)t;
	ctx->pgp_keys = keys;
	return CK_OK;
}

static int
copy_nonce(const json_t *j, const char *key, char out[VAULT_MAX_NONCE])
{
	const json_t *v = json_object_get(j, key);

	out[0] = '\0';
	if (v == NULL || json_is_null(v))
		return CK_OK;
	if (!json_is_string(v) || json_string_length(v) >= VAULT_MAX_NONCE ||
	    rd_printable_utf8(json_string_value(v), json_string_length(v), 0) !=
	    CK_OK)
		return CK_ERR_FORMAT;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return CK_OK;
}

static int
parse_status(json_t *body, struct rekey_status *st)
{
	json_t *j = http_body_data(body), *keys;

	json_decref(st->keys);
	memset(st, 0, sizeof(*st));
	if (!json_is_object(j))
		return CK_ERR_FORMAT;
	st->started = json_is_true(json_object_get(j, "started"));
	st->complete = json_is_true(json_object_get(j, "complete"));
	if (vault_json_count(j, "required", &st->required) != CK_OK)
		return CK_ERR_FORMAT;
	if (vault_json_count(j, "progress", &st->progress) != CK_OK ||
	    vault_json_count(j, "t", &st->t) != CK_OK ||
	    vault_json_count(j, "n", &st->n) != CK_OK)
		return CK_ERR_FORMAT;
	st->verification_required = json_is_true(json_object_get(j,
	    "verification_required"));
	if (copy_nonce(j, "nonce", st->nonce) != CK_OK ||
	    copy_nonce(j, "verification_nonce", st->verification_nonce) != CK_OK)
		return CK_ERR_FORMAT;
	keys = json_object_get(j, "keys_base64");
	if (keys != NULL && json_is_array(keys))
		st->keys = json_incref(keys);
	return CK_OK;
}

static int
call(struct rekey_ctx *ctx, const char *method, const char *leaf,
    const void *body, size_t len)
{
	char path[HTTP_MAX_PATH];
	json_t *j = NULL;
	long status = 0;
	int r;

	snprintf(path, sizeof(path), "%s/%s", ctx->api->base, leaf);
	if ((r = http_request(ctx->c, method, path, body, len, &status, &j)) != CK_OK)
		return r;
	r = j != NULL ? parse_status(j, &ctx->st) : CK_OK;
	json_decref(j);
	return r;
}

/*
 * Cancels the rekey on the server. Vault (1.21) takes the cancellation
 * only with the rekey's nonce in the body (400 without); OpenBao ignores
 * it. A failure is said, since the new shares' rekey then stays open.
 */
static void
cancel_rekey(struct rekey_ctx *ctx)
{
	char path[HTTP_MAX_PATH];
	json_t *body, *j = NULL;
	long status = 0;
	int r = CK_ERR_ALLOC;

	snprintf(path, sizeof(path), "%s/init", ctx->api->base);
	if ((body = json_pack("{s:s}", "nonce", ctx->nonce)) != NULL)
		r = http_request_json(ctx->c, "DELETE", path, body, &status, &j);
	json_decref(body);
	json_decref(j);
	if (r != CK_OK)
		tty_printw(stderr,
		    "conclave-bridge rekey: cancelling the rekey on %s "
		    "failed: %s (%s): %s\n", path, ck_strerror(r), ck_errname(r),
		    http_error_detail(ctx->c));
}

/* Which endpoint; CK_ERR_DISABLED_ENDPOINT when the one needed is off. */
static int
detect(void *vctx)
{
	struct rekey_ctx *ctx = vctx;
	int r;

	if (http_load_token(ctx->c, ctx->o.token_file) == CK_OK) {
		ctx->api = ctx->recovery ? &rotate_recovery : &rotate_barrier;
		r = call(ctx, "GET", "init", NULL, 0);
		/* Only a server without sys/rotate (Vault, OpenBao < 2.4) falls
		 * back; any other failure is this server's answer, reported. */
		if (r != CK_ERR_NO_ENDPOINT && r != CK_ERR_DISABLED_ENDPOINT)
			return r;
	}
	ctx->api = ctx->recovery ? &legacy_recovery : &legacy_barrier;
	r = call(ctx, "GET", "init", NULL, 0);
	/* OpenBao answers a disabled unauthenticated endpoint as a logical
	 * path without a handler. */
	if (r == CK_ERR_NO_ENDPOINT || r == CK_ERR_PERMISSION_DENIED)
		r = CK_ERR_DISABLED_ENDPOINT;
	return r;
}

static int
send_unavailable(struct rekey_ctx *ctx)
{
	return bsession_unavailable(&ctx->b, KIND_REKEY, ctx->api->base,
	    REKEY_SETTING, "sys/rotate with a token (--token-file), OpenBao >= 2.4");
}

static int
start(struct rekey_ctx *ctx)
{
	json_t *req;
	char *text;
	int r;

	if (ctx->st.started && ctx->st.progress == 0 && ctx->st.t == ctx->t &&
	    ctx->st.n == ctx->n && ctx->st.verification_required &&
	    ctx->st.verification_nonce[0] == '\0') {
		/* No offer was written for this request (bsession_open found
		 * it waiting), and a rekey to its n and t with no share yet is
		 * in progress: a bridge stopped between starting it and
		 * offering the session. */
		tty_printw(stdout,
		    "A rekey to this request's %u of %u with no share yet is in "
		    "progress (nonce %s): a bridge stopped before offering the "
		    "session. It is cancelled and started again.\n", ctx->t,
		    ctx->n, ctx->st.nonce);
		memcpy(ctx->nonce, ctx->st.nonce, sizeof(ctx->nonce));
		cancel_rekey(ctx);
		if ((r = call(ctx, "GET", "init", NULL, 0)) != CK_OK)
			return fail("the rekey's status", r, http_error_detail(ctx->c));
	}
	if (ctx->st.started)
		return fail("server", CK_ERR_STATE, "a rekey is already in progress: "
		    "nothing was changed; cancel it deliberately if it is abandoned");
	req = json_pack("{s:I, s:I, s:O, s:b, s:b}", "secret_shares",
	    (json_int_t)ctx->n, "secret_threshold", (json_int_t)ctx->t,
	    "pgp_keys", ctx->pgp_keys, "backup", 0, "require_verification", 1);
	if (req == NULL || (text = json_dumps(req, JSON_COMPACT)) == NULL) {
		json_decref(req);
		return fail("rekey", CK_ERR_ALLOC, NULL);
	}
	r = call(ctx, ctx->api->method, "init", text, strlen(text));
	free(text);
	json_decref(req);
	if (r != CK_OK)
		return fail("starting the rekey", r, http_error_detail(ctx->c));
	if (ctx->st.nonce[0] == '\0' || ctx->st.required == 0) {
		cancel_rekey(ctx);
		return fail("starting the rekey", CK_ERR_FORMAT, "no nonce");
	}
	memcpy(ctx->nonce, ctx->st.nonce, sizeof(ctx->nonce));
	return 0;
}

static int
send_offer(struct rekey_ctx *ctx)
{
	char pk[2 * SEALBOX_PK_LEN + 1], sas[BSESSION_SAS_MAX];
	json_t *p;

	bsession_box_pk_hex(&ctx->b, pk);
	p = json_pack("{s:s, s:s, s:s, s:i, s:s, s:i, s:i, s:s}", "kind",
	    KIND_REKEY, "box_pk", pk, "nonce", ctx->nonce, "threshold",
	    (int)ctx->st.required, "endpoint", ctx->api->base, "n", (int)ctx->n,
	    "t", (int)ctx->t, "address", http_client_address(ctx->c));
	if (bsession_offer(&ctx->b, p, sas) != CK_OK)
		return 1;
	tty_printw(stdout,
	    "Rekey started on %s (nonce %s; %u current shares needed; new: %u "
	    "of %u).\nShort authentication string (read it aloud; the appliance "
	    "must show the same):\n  %s\nWaiting for the current shares...\n",
	    ctx->api->base, ctx->nonce, ctx->st.required, ctx->t, ctx->n, sas);
	fflush(stdout);
	return 0;
}

/*
 * Why did the server refuse a share? Its words are for people; the rekey's
 * own status fields tell: none in progress, or one whose nonce (the
 * verification nonce for "verify") is another, means it went away under
 * us (cancelled, or the server restarted).
 */
static int
refusal(struct rekey_ctx *ctx, int r, const char *leaf, const char *nonce)
{
	struct rekey_status cur = { 0 };
	struct http_client *tc = NULL;
	char path[HTTP_MAX_PATH];
	json_t *j = NULL;
	long status = 0;
	const char *now;
	int moved;

	if (r != CK_ERR_SERVER)
		return r;
	r = CK_ERR_SHARE_REFUSED;
	snprintf(path, sizeof(path), "%s/%s", ctx->api->base, leaf);
	/* The same node as the refusing client: the active one (run()). */
	if (opts_status_client(&ctx->o, &tc) == CK_OK &&
	    http_use_active_node(tc, &moved) == CK_OK &&
	    http_request(tc, "GET", path, NULL, 0, &status, &j) == CK_OK &&
	    j != NULL && parse_status(j, &cur) == CK_OK) {
		now = strcmp(leaf, "verify") == 0 && cur.verification_nonce[0] ?
		    cur.verification_nonce : cur.nonce;
		if (!cur.started || strcmp(now, nonce) != 0)
			r = CK_ERR_WRONG_NONCE;
	}
	json_decref(cur.keys);
	json_decref(j);
	http_client_free(tc);
	return r;
}

/* Each share with the nonce to leaf ("update" or "verify") until complete. */
static int
submit(struct rekey_ctx *ctx, const char *leaf, const char *nonce,
    const json_t *shares, uint64_t seq)
{
	const json_t *e;
	char *share = NULL, *body = NULL;
	size_t k, len = 0, blen = 0;
	int r;

	json_array_foreach(shares, k, e) {
		if ((r = bsession_open_share(&ctx->b, seq, nonce, e, &share,
		    &len)) != CK_OK)
			return r;
		r = vault_key_body(share, len, nonce, 0, &body, &blen);
		secmem_wipe(share, len);
		secmem_free(share);
		if (r != CK_OK)
			return r;
		r = call(ctx, ctx->api->method, leaf, body, blen);
		http_client_scrub(ctx->c);
		secmem_wipe(body, blen);
		secmem_free(body);
		if (r != CK_OK)
			return refusal(ctx, r, leaf, nonce);
		if (ctx->st.complete)
			return CK_OK;
	}
	return CK_ERR_TOO_FEW_SHARES;
}

static int
send_error(struct rekey_ctx *ctx, enum envelope_type type, int err)
{
	return bsession_send_new(&ctx->b, type, json_pack("{s:s, s:b, s:o}",
	    "kind", KIND_REKEY, "complete", 0, "error",
	    bsession_error_text(err, http_error_detail(ctx->c))));
}

static int
take(struct rekey_ctx *ctx, enum envelope_type type, const char *nonce,
    unsigned threshold, struct envelope *env)
{
	char why[128];
	int r;

	if ((r = bsession_wait(&ctx->b, type, 0, ctx->wait_s, env)) != CK_OK)
		return fail("waiting for the appliance", r, NULL);
	if ((r = bsession_check_submission(env->payload, KIND_REKEY, nonce,
	    threshold, 0, why, sizeof(why))) != CK_OK)
		return fail("submission", r, why);
	return 0;
}

static int
run(struct rekey_ctx *ctx)
{
	struct envelope env = { 0 };
	json_t *p = NULL;
	char why[128];
	int r, rc = 1, moved;

	/* The rekey's state lives on the active node, and OpenBao 2.6's
	 * standbys answer sys/rotate/... themselves instead of forwarding
	 * (shares the cluster would never take): talk to the active node. */
	if ((r = http_use_active_node(ctx->c, &moved)) != CK_OK)
		return fail("finding the active node", r, http_error_detail(ctx->c));
	if (moved)
		tty_printw(stdout,
		    "%s is a standby: the rekey goes to the active node it "
		    "announces, %s.\n", http_client_address(ctx->c),
		    http_client_node(ctx->c));
	if ((r = detect(ctx)) != CK_OK) {
		if (r == CK_ERR_DISABLED_ENDPOINT && send_unavailable(ctx) == CK_OK)
			tty_printw(stdout,
			    "The offer tells the appliance so.\n");
		return fail(ctx->api->base, r, r == CK_ERR_DISABLED_ENDPOINT ?
		    "open it for the ceremony with the listener setting "
		    REKEY_SETTING ", or give a token for sys/rotate" :
		    http_error_detail(ctx->c));
	}
	if (start(ctx) != 0 || send_offer(ctx) != 0)
		return 1;
	if (take(ctx, ENVELOPE_SHARE_SUBMISSION, ctx->nonce, ctx->st.required,
	    &env) != 0)
		goto cancel;
	if ((r = submit(ctx, "update", ctx->nonce, json_object_get(env.payload,
	    "shares"), env.seq)) != CK_OK || ctx->st.keys == NULL ||
	    ctx->st.verification_nonce[0] == '\0') {
		fail("submitting the current shares", r != CK_OK ? r : CK_ERR_FORMAT,
		    http_error_detail(ctx->c));
		cancel_rekey(ctx);
		if (send_error(ctx, ENVELOPE_REKEY_RESULT, r != CK_OK ? r :
		    CK_ERR_FORMAT) == CK_OK)
			tty_printw(stdout,
			    "Rekey cancelled; the failure is reported to the "
			    "appliance.\n");
		goto out;
	}
	envelope_free(&env);
	memcpy(ctx->vnonce, ctx->st.verification_nonce, sizeof(ctx->vnonce));
	p = json_pack("{s:s, s:b, s:s, s:s, s:O, s:s}", "kind", KIND_REKEY,
	    "complete", 1, "nonce", ctx->nonce, "endpoint", ctx->api->base,
	    "keys_base64", ctx->st.keys, "verification_nonce", ctx->vnonce);
	if (p == NULL || (r = bsession_send(&ctx->b, ENVELOPE_REKEY_RESULT,
	    p)) != CK_OK) {
		fail("writing the rekey result", p == NULL ? CK_ERR_ALLOC : r, NULL);
		goto out;
	}
	tty_printw(stdout,
	    "New shares (encrypted to their holders) written. Waiting for the "
	    "handouts and the new shares for verification...\n");
	fflush(stdout);
	/* No new shares (abandoned, timed out, refused): the rekey is
	 * cancelled, so the old shares stay the only ones. */
	if ((r = bsession_wait(&ctx->b, ENVELOPE_REKEY_VERIFY_SUBMISSION,
	    ENVELOPE_CLOSING_REQUEST, ctx->wait_s, &env)) != CK_OK) {
		fail("waiting for the new shares", r, NULL);
		goto cancel;
	}
	if (env.type == ENVELOPE_CLOSING_REQUEST) {
		cancel_rekey(ctx);
		tty_printw(stdout,
		    "Abandoned by the appliance: the rekey is cancelled; the old "
		    "shares stay in force.\n");
		rc = 0;
		goto out;
	}
	if ((r = bsession_check_submission(env.payload, KIND_REKEY, ctx->vnonce,
	    ctx->t, 0, why, sizeof(why))) != CK_OK) {
		fail("new shares", r, why);
		goto cancel;
	}
	if ((r = submit(ctx, "verify", ctx->vnonce, json_object_get(env.payload,
	    "shares"), env.seq)) != CK_OK) {
		fail("verifying the new shares", r, http_error_detail(ctx->c));
		if (send_error(ctx, ENVELOPE_SUBMISSION_RESULT, r) == CK_OK)
			tty_printw(stdout,
			    "The failure is reported to the appliance; the old "
			    "shares are still in force.\n");
		goto out;
	}
	json_decref(p);
	p = json_pack("{s:s, s:b, s:s}", "kind", KIND_REKEY, "complete", 1,
	    "nonce", ctx->vnonce);
	if (p == NULL || (r = bsession_send(&ctx->b, ENVELOPE_SUBMISSION_RESULT,
	    p)) != CK_OK) {
		fail("writing the verification result", p == NULL ? CK_ERR_ALLOC : r,
		    NULL);
		goto out;
	}
	tty_printw(stdout,
	    "The server verified the new shares: the rekey is complete.\n");
	rc = 0;
	goto out;
cancel:
	cancel_rekey(ctx);
out:
	json_decref(p);
	envelope_free(&env);
	return rc;
}

/*
 * Started again after a bridge stopped mid-session: the old session key is
 * gone, so the session cannot go on. The rekey it started on the server
 * (the one whose nonce the old offer names, and no other) is cancelled, so
 * the old shares stay the only ones, and the room is told what to do.
 */
static int
orphan_cancel(void *vctx)
{
	return call(vctx, "DELETE", "init", NULL, 0);
}

int
bridge_rekey_main(int argc, char **argv)
{
	struct rekey_ctx ctx;
	struct envelope req = { 0 };
	json_t *offer = NULL;
	int r, rc = 1;

	memset(&ctx, 0, sizeof(ctx));
	if ((r = parse(&ctx, argc, argv)) != 0) {
		usage(r == 1 ? stdout : stderr);
		opts_free(&ctx.o);
		return r == 1 ? 0 : 2;
	}
	opts_warn(&ctx.o, stderr);
	r = bsession_open(&ctx.b, &ctx.o, ctx.ceremony,
	    ENVELOPE_REKEY_REQUEST, &req);
	/* Finished by a bridge that stopped: by QR code, the appliance's
	 * copy of its last result may be missing. */
	if (r == CK_ERR_NOT_FOUND && bsession_finished(&ctx.b)) {
		rc = 0;
		goto out;
	}
	if (r == CK_ERR_NOT_FOUND && ctx.ceremony == NULL) {
		bsession_free(&ctx.b);
		if (bsession_orphan(&ctx.b, ctx.o.exchange, NULL,
		    ENVELOPE_REKEY_REQUEST, &req, &offer) == CK_OK &&
		    check_request(&ctx, req.payload) == CK_OK) {
			rc = bsession_orphan_cancel(&ctx.b, "rekey", "rekey", NULL,
			    offer, &(const struct bsession_attempt){ &ctx.o,
			    &ctx.c, detect, &ctx.st.started, ctx.st.nonce,
			    orphan_cancel, &ctx });
			goto out;
		}
	}
	if (r != CK_OK) {
		fail("rekey request", r, r == CK_ERR_EXISTS ? "several ceremonies "
		    "wait: name one with --ceremony" : NULL);
		goto out;
	}
	if ((r = check_request(&ctx, req.payload)) != CK_OK) {
		fail("rekey request", r, "nothing was sent to the server");
		goto out;
	}
	if ((r = opts_client(&ctx.o, 0, &ctx.c)) != CK_OK) {
		fail("server address", r, ctx.o.addresses[0]);
		goto out;
	}
	bsession_show_signer(&ctx.b, "Rekey request");
	tty_printw(stdout,
	    "Rekey request of ceremony %s: %s shares, new %u of %u.\n",
	    ctx.b.id_hex, ctx.recovery ? "recovery" : "unseal", ctx.t, ctx.n);
	rc = run(&ctx);
out:
	json_decref(offer);
	json_decref(ctx.st.keys);
	http_client_free(ctx.c);
	envelope_free(&req);
	bsession_free(&ctx.b);
	opts_free(&ctx.o);
	return rc;
}
