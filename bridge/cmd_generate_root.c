/*
 * `conclave-bridge generate-root`: one session, one server.
 *
 * The OTP is made here with the length the server announces (never
 * guessed), kept in locked memory, and used once to decode the token; the
 * token is shown on this terminal or written to a 0600 file the operator
 * names, never put in an envelope. The appliance gets the nonce, the
 * endpoint and the token's accessor (OTP) or the fingerprint it is
 * encrypted to (PGP). Then the operator gives the token back and it is
 * revoked, with the proof sent to the appliance.
 *
 * Limits: the request's pgp_key at most VAULT_GENERATE_ROOT_MAX_ENCODED characters;
 * the server's answers as client/vault_generate_root bounds them.
 */
#include "bridge/cmd_generate_root.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/bsession.h"
#include "bridge/opts.h"
#include "client/revoke.h"
#include "client/vault.h"
#include "client/vault_generate_root.h"
#include "crypto/errors.h"
#include "crypto/otp.h"
#include "crypto/secmem.h"
#include "media/tty.h"
#include "protocol/kinds.h"

#define DEFAULT_WAIT	900

enum { OPT_CEREMONY = 0x200, OPT_WAIT, OPT_TOKEN_OUT, OPT_ROOT_TOKEN_FD,
	OPT_PROMOTE };

#define DR_PROMOTE_PATH	"sys/replication/dr/secondary/promote"

/* generate-root, or the DR operation token on the same protocol. */
struct generate_root_kind {
	const char *cmd;
	const char *kind;
	enum envelope_type request;
	enum envelope_type result;
	int dr;
};

static const struct generate_root_kind generate_root_kind = { "generate-root",
    KIND_GENERATE_ROOT, ENVELOPE_GENERATE_ROOT_REQUEST,
    ENVELOPE_GENERATE_ROOT_RESULT, 0 };
static const struct generate_root_kind dr_kind = { "dr-token", KIND_DR_TOKEN,
    ENVELOPE_DR_TOKEN_REQUEST, ENVELOPE_DR_TOKEN_RESULT, 1 };

struct generate_root_ctx {
	const struct generate_root_kind *k;
	struct bridge_opts o;
	int promote;
	int promoted;
	const char *ceremony;
	const char *token_out;
	unsigned wait_s;
	int token_fd;
	struct bsession b;
	struct http_client *c;
	enum vault_generate_root_api api;
	int pgp;			/* PGP mode, else OTP */
	const char *pgp_key;		/* borrowed from the request */
	const char *pgp_fpr;
	char *otp;			/* secmem */
	char *token;			/* secmem: the new root token (OTP mode),
					 * held until it is revoked */
	struct vault_generate_root_status st;
	char accessor[VAULT_MAX_ID];
	json_t *undelivered;		/* why the token was not handed over */
};

static void
dr_usage(FILE *f)
{
	fprintf(f,
	    "usage: conclave-bridge dr-token --exchange DIR --address DR-SECONDARY\n"
	    "                              [--token-out FILE] [--promote]\n"
	    "                              [--token-file FILE] [--ceremony ID] [--wait S]\n"
	    "\n"
	    "Answers the appliance's dr-token request (Vault Enterprise): the\n"
	    "generate-root protocol on the DR secondary's\n"
	    "sys/replication/dr/secondary/generate-operation-token, with the primary\n"
	    "cluster's shares. The steps are those of conclave-bridge generate-root\n"
	    "(OTP made here with the server's otp_length, session offer and short\n"
	    "authentication string, sealed shares each opened for one request),\n"
	    "except that the DR operation token is not looked up or revoked here.\n"
	    "Vault 2.x wants a token on these endpoints: --token-file or VAULT_TOKEN.\n"
	    "\n"
	    "Options:\n"
	    "  --token-out FILE     write the DR operation token to FILE (mode 0600)\n"
	    "  --promote            then promote the secondary with it\n"
	    "                       (" DR_PROMOTE_PATH "); OTP mode only\n"
	    "  --ceremony ID        the ceremony folder, when the exchange holds several\n"
	    "  --wait S             seconds to wait for the sealed shares (default %d)\n"
	    OPTS_HELP_TEXT OPTS_QR_HELP_TEXT, DEFAULT_WAIT);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: conclave-bridge generate-root --exchange DIR --address A\n"
	    "                              [--token-out FILE] [--root-token-fd N]\n"
	    "                              [--token-file FILE] [--ceremony ID] [--wait S]\n"
	    "\n"
	    "Answers the appliance's generate-root request (break-glass):\n"
	    "  1. finds the endpoint the server offers: with a token (--token-file or\n"
	    "     VAULT_TOKEN) OpenBao's sys/generate-root-token, else the\n"
	    "     unauthenticated sys/generate-root. When that is disabled (OpenBao\n"
	    "     >= 2.5.3 by default) it says so in the offer, with the listener\n"
	    "     setting that opens it: " VAULT_GENERATE_ROOT_LEGACY_SETTING ";\n"
	    "  2. starts the attempt: OTP mode, a one-time password of the server's\n"
	    "     otp_length made here and kept in locked memory; PGP mode, the\n"
	    "     recipient's key from the request. An attempt already in progress is\n"
	    "     refused, not cancelled, unless a bridge stopped between starting it\n"
	    "     for this request and offering the session (no offer on the folder,\n"
	    "     no share given, the request's mode): that one is started again;\n"
	    "  3. writes the session offer (server nonce, threshold, session key) and\n"
	    "     shows the 5-word short authentication string for the witness;\n"
	    "  4. waits for the sealed shares and submits each with the nonce, opened\n"
	    "     only for its one request. If the server refuses a share, or the\n"
	    "     attempt was cancelled or the server restarted (nonce no longer\n"
	    "     valid), the attempt is cancelled and the failure reported;\n"
	    "  5. OTP mode: decodes the token and shows it on this terminal only, or\n"
	    "     writes it to --token-out FILE (created 0600, never overwritten);\n"
	    "     PGP mode: shows the encrypted token for its recipient. The appliance\n"
	    "     gets the nonce and the accessor, never the token. A token that\n"
	    "     cannot be handed over is revoked at once, and the result and the\n"
	    "     closing result tell the appliance so (exit 1);\n"
	    "  6. when the work is done, the operator gives the token back (typed,\n"
	    "     hidden, or on --root-token-fd N): it is revoked and the proof (a\n"
	    "     lookup with it is refused) goes to the appliance.\n"
	    "\n"
	    "Options:\n"
	    "  --token-out FILE     write the decoded token to FILE (mode 0600)\n"
	    "  --root-token-fd N    read the token to revoke from file descriptor N\n"
	    "  --ceremony ID        the ceremony folder, when the exchange holds several\n"
	    "  --wait S             seconds to wait for the sealed shares (default %d)\n"
	    OPTS_HELP_TEXT OPTS_QR_HELP_TEXT, DEFAULT_WAIT);
}

static const char *fail_cmd = "generate-root";

static int
fail(const char *what, int err, const char *detail)
{
	return opts_fail(fail_cmd, what, err, detail);
}

static int
parse(struct generate_root_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		OPTS_LONGOPTS,
		OPTS_QR_LONGOPTS,
		{ "ceremony", required_argument, NULL, OPT_CEREMONY },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "token-out", required_argument, NULL, OPT_TOKEN_OUT },
		{ "root-token-fd", required_argument, NULL, OPT_ROOT_TOKEN_FD },
		{ "promote", no_argument, NULL, OPT_PROMOTE },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int ch;

	opts_init(&ctx->o, fail_cmd);
	ctx->wait_s = DEFAULT_WAIT;
	ctx->token_fd = -1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opts_handle(&ctx->o, ch, optarg) == CK_OK)
			continue;
		if (ch == OPT_CEREMONY)
			ctx->ceremony = optarg;
		else if (ch == OPT_TOKEN_OUT)
			ctx->token_out = optarg;
		else if (ch == OPT_PROMOTE && ctx->k->dr)
			ctx->promote = 1;
		else if (ch == OPT_WAIT && rd_parse_uint(optarg, 1, 86400, &v) == CK_OK)
			ctx->wait_s = (unsigned)v;
		else if (ch == OPT_ROOT_TOKEN_FD &&
		    rd_parse_uint(optarg, 0, 1023, &v) == CK_OK)
			ctx->token_fd = (int)v;
		else
			return 2;
	}
	return opts_done_exchange(&ctx->o, optind, argc);
}

static int
check_request(struct generate_root_ctx *ctx, const json_t *p)
{
	const char *kind = json_string_value(json_object_get(p, "kind"));
	const char *mode = json_string_value(json_object_get(p, "mode"));

	if (kind == NULL || strcmp(kind, ctx->k->kind) != 0 || mode == NULL)
		return CK_ERR_FORMAT;
	if (strcmp(mode, "otp") == 0)
		return CK_OK;
	if (ctx->promote)
		return CK_ERR_INVALID_ARG;	/* the bridge never sees a PGP token */
	if (strcmp(mode, "pgp") != 0)
		return CK_ERR_FORMAT;
	ctx->pgp = 1;
	ctx->pgp_key = json_string_value(json_object_get(p, "pgp_key"));
	ctx->pgp_fpr = json_string_value(json_object_get(p, "pgp_fingerprint"));
	if (ctx->pgp_key == NULL || ctx->pgp_fpr == NULL ||
	    strlen(ctx->pgp_key) >= VAULT_GENERATE_ROOT_MAX_ENCODED)
		return CK_ERR_FORMAT;
	return CK_OK;
}

/*
 * Which endpoint: with a token, OpenBao's authenticated one (falling back
 * to the legacy one where it does not exist); without, the legacy one.
 * CK_ERR_DISABLED_ENDPOINT when the one needed is switched off.
 */
static int
detect(void *vctx)
{
	struct generate_root_ctx *ctx = vctx;
	int r;

	if (ctx->k->dr) {
		/* Vault 2.x wants a token here; older Vault does not. */
		r = http_load_token(ctx->c, ctx->o.token_file);
		if (r != CK_OK && r != CK_ERR_NOT_FOUND)
			return r;
		ctx->api = VAULT_GENERATE_ROOT_DR;
		return vault_generate_root_status(ctx->c, ctx->api, &ctx->st);
	}
	if (http_load_token(ctx->c, ctx->o.token_file) == CK_OK) {
		ctx->api = VAULT_GENERATE_ROOT_TOKEN;
		r = vault_generate_root_status(ctx->c, ctx->api, &ctx->st);
		/* Only a server without sys/generate-root-token (Vault,
		 * OpenBao < 2.6) falls back; any other failure (a 5xx from
		 * the active node, a token without the policy) is this
		 * server's answer, reported as it is. */
		if (r != CK_ERR_NO_ENDPOINT && r != CK_ERR_DISABLED_ENDPOINT)
			return r;
	}
	ctx->api = VAULT_GENERATE_ROOT_LEGACY;
	r = vault_generate_root_status(ctx->c, ctx->api, &ctx->st);
	/* OpenBao answers a disabled unauthenticated endpoint as a logical
	 * path without a handler. */
	if (r == CK_ERR_NO_ENDPOINT || r == CK_ERR_PERMISSION_DENIED)
		r = CK_ERR_DISABLED_ENDPOINT;
	return r;
}

/* Tell the appliance the endpoint is closed and how to open it. */
static int
send_unavailable(struct generate_root_ctx *ctx)
{
	return bsession_unavailable(&ctx->b, ctx->k->kind,
	    vault_generate_root_path(VAULT_GENERATE_ROOT_LEGACY),
	    VAULT_GENERATE_ROOT_LEGACY_SETTING,
	    "sys/generate-root-token with a token (--token-file), OpenBao >= 2.6");
}

/*
 * The attempt in progress is the one a bridge started for this request and
 * stopped before offering (the kill point between the server's answer and
 * the offer): no share given yet, and the request's mode (PGP: its
 * recipient; OTP: none).
 */
static int
stale_attempt(const struct generate_root_ctx *ctx)
{
	if (ctx->st.progress != 0)
		return 0;
	if (ctx->pgp)
		return strcmp(ctx->st.pgp_fingerprint, ctx->pgp_fpr) == 0;
	return ctx->st.pgp_fingerprint[0] == '\0';
}

static int
start(struct generate_root_ctx *ctx)
{
	unsigned len = ctx->st.otp_length;
	int r;

	if (ctx->st.started && stale_attempt(ctx)) {
		/* No offer was written for this request (bsession_open found
		 * it waiting): a bridge that started this attempt stopped
		 * before telling the appliance. */
		tty_printw(stdout,
		    "An attempt in progress on the server (nonce %s) has no "
		    "shares and is in this request's mode: a bridge stopped "
		    "before offering the session.\nIt is cancelled and started "
		    "again.\n", ctx->st.nonce);
		if ((r = vault_generate_root_cancel(ctx->c, ctx->api)) != CK_OK ||
		    (r = vault_generate_root_status(ctx->c, ctx->api,
		    &ctx->st)) != CK_OK)
			return fail("cancelling the stopped bridge's attempt", r,
			    http_error_detail(ctx->c));
	}
	if (ctx->st.started)
		return fail("server", CK_ERR_STATE, "a root token generation is "
		    "already in progress: nothing was changed; cancel it deliberately "
		    "(DELETE .../attempt) if it is abandoned");
	if (!ctx->pgp) {
		if (len == 0 || len > OTP_MAX_LEN)
			return fail("server", CK_ERR_UNSUPPORTED, "the server did not "
			    "announce an OTP length; no OTP is guessed");
		if ((r = otp_generate(len, &ctx->otp)) != CK_OK)
			return fail("OTP", r, NULL);
	}
	r = vault_generate_root_start(ctx->c, ctx->api, ctx->otp, ctx->pgp ? ctx->pgp_key : NULL,
	    &ctx->st);
	if (r != CK_OK)
		return fail("starting the attempt", r, http_error_detail(ctx->c));
	if (!ctx->pgp && ctx->st.otp_length != 0 && ctx->st.otp_length != len) {
		vault_generate_root_cancel(ctx->c, ctx->api);
		return fail("server", CK_ERR_FORMAT, "the attempt's otp_length is "
		    "not the one the server announced; attempt cancelled");
	}
	if (ctx->pgp && strcmp(ctx->st.pgp_fingerprint, ctx->pgp_fpr) != 0) {
		vault_generate_root_cancel(ctx->c, ctx->api);
		return fail("server", CK_ERR_WRONG_RECIPIENT, "the server encrypts to "
		    "another key than the request's; attempt cancelled");
	}
	return 0;
}

static int
send_offer(struct generate_root_ctx *ctx)
{
	char pk[2 * SEALBOX_PK_LEN + 1], sas[BSESSION_SAS_MAX];
	json_t *p;

	bsession_box_pk_hex(&ctx->b, pk);
	p = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s}", "kind",
	    ctx->k->kind, "box_pk", pk, "nonce", ctx->st.nonce, "threshold",
	    (int)ctx->st.required, "mode", ctx->pgp ? "pgp" : "otp",
	    "endpoint", vault_generate_root_path(ctx->api), "otp_length",
	    ctx->pgp ? 0 : (int)ctx->st.otp_length,
	    "address", http_client_address(ctx->c));
	if (p != NULL && ctx->pgp)
		json_object_set_new(p, "pgp_fingerprint",
		    json_string(ctx->st.pgp_fingerprint));
	if (bsession_offer(&ctx->b, p, sas) != CK_OK)
		return 1;
	tty_printw(stdout,
	    "Attempt started on %s (nonce %s, %u shares needed).\n"
	    "Short authentication string (read it aloud; the appliance must show "
	    "the same):\n  %s\nWaiting for the sealed shares...\n",
	    vault_generate_root_path(ctx->api), ctx->st.nonce, ctx->st.required, sas);
	fflush(stdout);
	return 0;
}

/*
 * Why did the server refuse a share? Its words are for people; the
 * attempt's own status fields tell: none in progress, or one with another
 * nonce, means it went away under us (cancelled, or the server restarted).
 */
static int
refusal(struct generate_root_ctx *ctx, int r, const char *nonce)
{
	struct vault_generate_root_status cur;
	struct http_client *tc = NULL;

	if (r != CK_ERR_SERVER)
		return r;
	r = CK_ERR_SHARE_REFUSED;
	if (opts_status_client(&ctx->o, &tc) == CK_OK &&
	    vault_generate_root_status(tc, ctx->api, &cur) == CK_OK &&
	    (!cur.started || strcmp(cur.nonce, nonce) != 0))
		r = CK_ERR_WRONG_NONCE;
	http_client_free(tc);
	return r;
}

/* Each share for its one request; stops at complete. */
static int
submit(struct generate_root_ctx *ctx, const json_t *shares, uint64_t seq)
{
	const json_t *e;
	char *share = NULL, nonce[VAULT_MAX_NONCE];
	size_t k, len = 0;
	int r = CK_OK;

	memcpy(nonce, ctx->st.nonce, sizeof(nonce));
	json_array_foreach(shares, k, e) {
		if ((r = bsession_open_share(&ctx->b, seq, nonce, e, &share,
		    &len)) != CK_OK)
			return r;
		r = vault_generate_root_update(ctx->c, ctx->api, share, len, nonce, &ctx->st);
		secmem_wipe(share, len);
		secmem_free(share);
		if (r != CK_OK)
			return refusal(ctx, r, nonce);
		if (ctx->st.complete)
			return CK_OK;
	}
	return CK_ERR_TOO_FEW_SHARES;
}

static int
write_token_file(const char *path, const char *tok, size_t len)
{
	int fd, r = CK_OK;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600)) < 0)
		return errno == EEXIST ? CK_ERR_EXISTS : CK_ERR_IO;
	if (write(fd, tok, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0)
		r = CK_ERR_IO;
	if (close(fd) != 0)
		r = CK_ERR_IO;
	return r;
}

/* Promote the DR secondary with the token (the body in secmem). */
static int
promote(struct generate_root_ctx *ctx, const char *tok)
{
	static const char pre[] = "{\"dr_operation_token\":\"", post[] = "\"}";
	size_t n = sizeof(pre) - 1 + strlen(tok) + sizeof(post) - 1;
	json_t *j = NULL;
	char *body;
	long status = 0;
	int r;

	if ((body = secmem_alloc(n)) == NULL)
		return CK_ERR_ALLOC;
	memcpy(body, pre, sizeof(pre) - 1);
	memcpy(body + sizeof(pre) - 1, tok, strlen(tok));
	memcpy(body + n - (sizeof(post) - 1), post, sizeof(post) - 1);
	r = http_request(ctx->c, "POST", DR_PROMOTE_PATH, body, n, &status, &j);
	http_client_scrub(ctx->c);
	secmem_wipe(body, n);
	secmem_free(body);
	json_decref(j);
	return r;
}

/* The DR operation token: to the operator, and the promotion if asked. */
static int
dr_hand_over(struct generate_root_ctx *ctx, const char *tok)
{
	int r;

	if (ctx->token_out != NULL) {
		if ((r = write_token_file(ctx->token_out, tok, strlen(tok))) != CK_OK)
			return fail("writing the token", r, ctx->token_out);
		tty_printw(stdout,
		    "DR operation token written to %s (mode 0600).\n",
		    ctx->token_out);
	} else {
		tty_printw(stdout,
		    "DR operation token, for the operator only:\n");
		if ((r = tty_write_secret(STDOUT_FILENO, "  ", tok,
		    strlen(tok))) != CK_OK)
			return fail("showing the token", r, NULL);
	}
	if (ctx->promote) {
		if ((r = promote(ctx, tok)) != CK_OK)
			return fail(DR_PROMOTE_PATH, r, http_error_detail(ctx->c));
		ctx->promoted = 1;
		tty_printw(stdout, "The DR secondary is promoted.\n");
	}
	return CK_OK;
}

/*
 * OTP mode: decode, check it is a working root token, hand it over. On
 * failure why says what failed; ctx->token is still held when the token
 * is a live root token that could not be handed over (the caller revokes
 * it), NULL when it was never known to be one.
 */
static int
hand_over(struct generate_root_ctx *ctx, char *why, size_t whylen)
{
	struct vault_token_info ti;
	struct http_client *tc = NULL;
	char *tok = NULL;
	int r;

	if ((r = otp_decode_token(ctx->st.encoded_token,
	    strlen(ctx->st.encoded_token), ctx->otp, strlen(ctx->otp), &tok)) != CK_OK) {
		snprintf(why, whylen, "the token could not be decoded");
		return fail("decoding the token", r, NULL);
	}
	secmem_wipe(ctx->st.encoded_token, sizeof(ctx->st.encoded_token));
	if (ctx->k->dr) {
		if ((r = dr_hand_over(ctx, tok)) != CK_OK)
			snprintf(why, whylen, "the DR operation token could not be "
			    "handed over%s", ctx->promote ? " or the secondary "
			    "promoted" : "");
		goto out;
	}
	if ((r = opts_client(&ctx->o, 0, &tc)) != CK_OK ||
	    (r = http_set_token(tc, tok, strlen(tok))) != CK_OK ||
	    (r = vault_token_lookup_self(tc, &ti)) != CK_OK) {
		snprintf(why, whylen, "the new token could not be looked up (%s)",
		    tc != NULL ? http_error_detail(tc) : "no client");
		fail("looking up the new token", r, tc != NULL ?
		    http_error_detail(tc) : NULL);
		goto out;
	}
	if (!ti.is_root) {
		snprintf(why, whylen, "the new token has no root policy");
		r = fail("new token", CK_ERR_WRONG_KEY, "it has no root policy");
		goto out;
	}
	memcpy(ctx->accessor, ti.accessor, sizeof(ctx->accessor));
	/* A live root token now: held until it is revoked, by the operator
	 * giving it back or by this process. */
	ctx->token = tok;
	tok = NULL;
	if (ctx->token_out != NULL) {
		if ((r = write_token_file(ctx->token_out, ctx->token,
		    strlen(ctx->token))) != CK_OK) {
			snprintf(why, whylen, "writing it to %s failed (%s)",
			    ctx->token_out, ck_strerror(r));
			fail("writing the token", r, ctx->token_out);
			goto out;
		}
		tty_printw(stdout,
		    "New root token (accessor %s) written to %s (mode 0600).\n",
		    ti.accessor, ctx->token_out);
	} else {
		tty_printw(stdout,
		    "New root token (accessor %s), for the operator only:\n",
		    ti.accessor);
		if ((r = tty_write_secret(STDOUT_FILENO, "  ", ctx->token,
		    strlen(ctx->token))) != CK_OK) {
			snprintf(why, whylen, "showing it on this terminal failed "
			    "(%s)", ck_strerror(r));
			fail("showing the token", r, NULL);
			goto out;
		}
	}
	r = CK_OK;
out:
	http_client_free(tc);
	secmem_free(tok);
	return r;
}

static int
send_result(struct generate_root_ctx *ctx, int err, const char *detail)
{
	json_t *p;
	int r;

	if (err != CK_OK)
		p = json_pack("{s:s, s:b, s:o}", "kind", ctx->k->kind, "complete", 0,
		    "error", bsession_error_text(err, detail));
	else
		p = json_pack("{s:s, s:b, s:s, s:s, s:s}", "kind", ctx->k->kind,
		    "complete", 1, "endpoint", vault_generate_root_path(ctx->api), "nonce",
		    ctx->st.nonce, "mode", ctx->pgp ? "pgp" : "otp");
	if (p == NULL)
		return CK_ERR_ALLOC;
	if (err == CK_OK && ctx->pgp)
		json_object_set_new(p, "pgp_fingerprint",
		    json_string(ctx->st.pgp_fingerprint));
	if (err == CK_OK && !ctx->pgp && !ctx->k->dr)
		json_object_set_new(p, "accessor", json_string(ctx->accessor));
	if (err == CK_OK && ctx->promoted)
		json_object_set_new(p, "promoted", json_string(DR_PROMOTE_PATH));
	/* Issued, but not handed over: the closing result follows at once. */
	if (err == CK_OK && ctx->undelivered != NULL &&
	    (json_object_set_new(p, "handed_over", json_false()) != 0 ||
	    json_object_set(p, "handover_error", ctx->undelivered) != 0)) {
		json_decref(p);
		return CK_ERR_ALLOC;
	}
	r = bsession_send(&ctx->b, ctx->k->result, p);
	json_decref(p);
	return r;
}

/*
 * The token could not be handed over (err, why). The appliance is told at
 * once, never left waiting: a live root token this process holds is in a
 * result that says it was not handed over, then revoked here with the
 * closing result saying so (or that it is NOT revoked, and why); else a
 * failed result says what happened to it.
 */
static void
undelivered(struct generate_root_ctx *ctx, int err, const char *why)
{
	struct http_client *rc = NULL;
	char text[BSESSION_ERROR_MAX + 1];
	int r = CK_OK;	/* set before it is read; gcc -O1 cannot see that */

	if (ctx->token == NULL) {
		/* bsession_error_text cuts it to what an envelope carries. */
		if (snprintf(text, sizeof(text), "%s%s", ctx->k->dr ? "" :
		    "a root token no one holds, NOT revoked (an administrator "
		    "revokes it, auth/token/accessors): ", why) < 0)
			text[0] = '\0';
		if (send_result(ctx, err, text) == CK_OK)
			tty_printw(stdout,
			    "The failure is reported to the appliance: conclave "
			    "%s result there closes the ceremony as failed.\n",
			    ctx->k->cmd);
		return;
	}
	if ((ctx->undelivered = bsession_error_text(err, why)) == NULL ||
	    (r = send_result(ctx, CK_OK, NULL)) != CK_OK)
		fail("writing the result", ctx->undelivered == NULL ?
		    CK_ERR_ALLOC : r, "the closing result follows anyway");
	if ((r = opts_client(&ctx->o, 0, &rc)) != CK_OK) {
		fail("server", r, "the root token is NOT revoked");
		return;
	}
	if (bsession_revoke_held(&ctx->b, ctx->k->cmd, rc, ctx->token,
	    ctx->accessor, "could not be handed over", err, why) == 0)
		tty_printw(stdout,
		    "Next: conclave %s result on the appliance takes both and "
		    "closes the ceremony as failed.\n", ctx->k->cmd);
	http_client_free(rc);
	secmem_free(ctx->token);
	ctx->token = NULL;
}

static int
close_token(struct generate_root_ctx *ctx)
{
	struct http_client *rc = NULL;
	int r, ret;

	tty_printw(stdout,
	    "\nWhen the emergency work is done, give the token back to revoke "
	    "it.\n");
	if ((r = opts_client(&ctx->o, 0, &rc)) != CK_OK)
		return fail("server", r, NULL);
	ret = bsession_close_root(&ctx->b, ctx->k->cmd, rc, ctx->token_fd,
	    ctx->token, ctx->pgp ? NULL : ctx->accessor, -1);
	http_client_free(rc);
	return ret;
}

static int
run(struct generate_root_ctx *ctx)
{
	struct envelope env = { 0 };
	char why[HTTP_MAX_DETAIL + 256];
	int r, rc = 1;

	if ((r = detect(ctx)) != CK_OK) {
		if (r == CK_ERR_DISABLED_ENDPOINT && send_unavailable(ctx) == CK_OK)
			tty_printw(stdout,
			    "The offer tells the appliance so.\n");
		/* A server with no DR replication (OpenBao, Vault without
		 * Enterprise) refuses the path as unknown or forbidden: said
		 * as such, not only as a token problem. */
		if (ctx->k->dr && (r == CK_ERR_PERMISSION_DENIED ||
		    r == CK_ERR_NO_ENDPOINT)) {
			snprintf(why, sizeof(why), "%s; is it a Vault Enterprise "
			    "DR secondary (OpenBao and Vault without Enterprise "
			    "have no DR replication; Vault 2.x wants a token, "
			    "--token-file)? Nothing was started: abandon the "
			    "ceremony on the appliance (a)",
			    http_error_detail(ctx->c));
			return fail(vault_generate_root_path(ctx->api), r, why);
		}
		return fail(vault_generate_root_path(ctx->api), r, r == CK_ERR_DISABLED_ENDPOINT ?
		    "open it for the ceremony with the listener setting "
		    VAULT_GENERATE_ROOT_LEGACY_SETTING ", or give a token for "
		    "sys/generate-root-token" : http_error_detail(ctx->c));
	}
	if (start(ctx) != 0 || send_offer(ctx) != 0)
		return 1;
	if ((r = bsession_wait(&ctx->b, ENVELOPE_SHARE_SUBMISSION,
	    ENVELOPE_CLOSING_REQUEST, ctx->wait_s, &env)) != CK_OK) {
		fail("waiting for the sealed shares", r, NULL);
		goto cancel;
	}
	if (env.type == ENVELOPE_CLOSING_REQUEST) {
		if ((r = vault_generate_root_cancel(ctx->c, ctx->api)) != CK_OK) {
			fail("abandoned by the appliance; cancelling the attempt",
			    r, "cancel it on the server (DELETE .../attempt)");
			goto out;
		}
		tty_printw(stdout,
		    "Abandoned by the appliance: the attempt is cancelled on the "
		    "server.\n");
		rc = 0;
		goto out;
	}
	if ((r = bsession_check_submission(env.payload, ctx->k->kind, ctx->st.nonce,
	    ctx->st.required, 0, why, sizeof(why))) != CK_OK) {
		fail("share submission", r, why);
		goto cancel;
	}
	if ((r = submit(ctx, json_object_get(env.payload, "shares"),
	    env.seq)) != CK_OK) {
		fail("submitting the shares", r, http_error_detail(ctx->c));
		vault_generate_root_cancel(ctx->c, ctx->api);
		if (send_result(ctx, r, http_error_detail(ctx->c)) == CK_OK)
			tty_printw(stdout,
			    "Attempt cancelled; the failure is reported to the "
			    "appliance.\n");
		goto out;
	}
	if (ctx->pgp) {
		tty_printw(stdout, "New root token, encrypted to %s (base64 of "
		    "an OpenPGP message; its recipient decrypts it with "
		    "base64 -d | gpg --decrypt):\n", ctx->st.pgp_fingerprint);
		tty_print_copyable(stdout, ctx->st.encoded_token);
	} else if ((r = hand_over(ctx, why, sizeof(why))) != CK_OK) {
		undelivered(ctx, r, why);
		goto out;
	}
	if ((r = send_result(ctx, CK_OK, NULL)) != CK_OK) {
		fail("writing the result", r, NULL);
		/* Nobody is told to give it back: not left live. */
		if (ctx->token != NULL)
			(void)bsession_revoke_held(&ctx->b, ctx->k->cmd, ctx->c,
			    ctx->token, ctx->accessor, "could not be reported to "
			    "the appliance", r, "writing the result failed");
		goto out;
	}
	secmem_free(ctx->otp);
	ctx->otp = NULL;
	rc = ctx->k->dr ? 0 : close_token(ctx);
	goto out;
cancel:
	vault_generate_root_cancel(ctx->c, ctx->api);
out:
	envelope_free(&env);
	return rc;
}

/*
 * Started again after a bridge stopped mid-session: the old session key is
 * gone, so the session cannot go on. Its attempt on the server (the one
 * whose nonce the old offer names, and no other) is cancelled, and the
 * room is told what to do.
 */
#define ORPHAN_FINISHED							\
	"If it finished, the server made a token only the stopped bridge "	\
	"received (OTP mode: no one can decode it; PGP mode: it never "		\
	"reached the recipient). It is alive: an administrator revokes the "	\
	"token no one holds (auth/token/accessors, created at the "		\
	"ceremony's time)."

static int
orphan_cancel(void *vctx)
{
	struct generate_root_ctx *ctx = vctx;

	return vault_generate_root_cancel(ctx->c, ctx->api);
}

static int
generate_root_main(const struct generate_root_kind *k, int argc, char **argv)
{
	struct generate_root_ctx ctx;
	struct envelope req = { 0 };
	json_t *offer = NULL;
	int r, rc = 1;

	memset(&ctx, 0, sizeof(ctx));
	ctx.k = k;
	fail_cmd = k->cmd;
	if ((r = parse(&ctx, argc, argv)) != 0) {
		(k->dr ? dr_usage : usage)(r == 1 ? stdout : stderr);
		opts_free(&ctx.o);
		return r == 1 ? 0 : 2;
	}
	opts_warn(&ctx.o, stderr);
	r = bsession_open(&ctx.b, &ctx.o, ctx.ceremony, k->request, &req);
	/* Finished by a bridge that stopped: by QR code, the appliance's
	 * copy of its last result may be missing. */
	if (r == CK_ERR_NOT_FOUND && bsession_finished(&ctx.b)) {
		rc = 0;
		goto out;
	}
	if (r == CK_ERR_NOT_FOUND && ctx.ceremony == NULL) {
		bsession_free(&ctx.b);
		if (bsession_orphan(&ctx.b, ctx.o.exchange, NULL, k->request, &req,
		    &offer) == CK_OK && check_request(&ctx, req.payload) == CK_OK) {
			rc = bsession_orphan_cancel(&ctx.b, k->cmd, "attempt",
			    ORPHAN_FINISHED, offer, &(const struct bsession_attempt){
			    &ctx.o, &ctx.c, detect, &ctx.st.started, ctx.st.nonce,
			    orphan_cancel, &ctx });
			goto out;
		}
	}
	if (r != CK_OK) {
		fail("request", r, r == CK_ERR_EXISTS ? "several "
		    "ceremonies wait: name one with --ceremony" : NULL);
		goto out;
	}
	if ((r = check_request(&ctx, req.payload)) != CK_OK) {
		fail("request", r, r == CK_ERR_INVALID_ARG ? "--promote needs OTP "
		    "mode: in PGP mode only the recipient can read the token" : NULL);
		goto out;
	}
	if ((r = opts_client(&ctx.o, 0, &ctx.c)) != CK_OK) {
		fail("server address", r, ctx.o.addresses[0]);
		goto out;
	}
	bsession_show_signer(&ctx.b, k->dr ? "DR token request" :
	    "Generate-root request");
	tty_printw(stdout,
	    "%s request of ceremony %s (%s mode).\n", k->cmd, ctx.b.id_hex,
	    ctx.pgp ? "PGP" : "OTP");
	rc = run(&ctx);
out:
	json_decref(offer);
	json_decref(ctx.undelivered);
	secmem_free(ctx.otp);
	secmem_free(ctx.token);
	secmem_wipe(&ctx.st, sizeof(ctx.st));
	http_client_free(ctx.c);
	envelope_free(&req);
	bsession_free(&ctx.b);
	opts_free(&ctx.o);
	return rc;
}

int
bridge_generate_root_main(int argc, char **argv)
{
	return generate_root_main(&generate_root_kind, argc, argv);
}

int
bridge_dr_token_main(int argc, char **argv)
{
	return generate_root_main(&dr_kind, argc, argv);
}
