/*
 * `conclave-bridge unseal`: one session, every node of the cluster.
 * `conclave-bridge migrate`: the same ceremony for a seal migration: every
 * node must be restarted with the new seal configuration (it reports
 * "migration": true) before the offer is written, and every share goes
 * with "migrate": true (docs/migration.md).
 *
 * The opened shares never outlive one request: the bridge keeps the sealed
 * boxes and its session keys in locked memory while it runs, and opens a
 * box again for each node it submits to. So a node that was unreachable
 * or died mid-unseal can be retried by the same process (the appliance's
 * `conclave unseal retry`) without a new ceremony; once this process ends,
 * the session keys are gone and the boxes are useless.
 *
 * Limits: at most OPTS_MAX_ADDRESSES nodes, KIND_MAX_SHARES boxes; node
 * error texts cut to BSESSION_ERROR_MAX printable ASCII characters.
 */
#include "bridge/cmd_unseal.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge/bsession.h"
#include "bridge/opts.h"
#include "client/vault.h"
#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "media/tty.h"
#include "protocol/kinds.h"

#define DEFAULT_WAIT		900	/* seconds for the appliance's next step */
#define DEFAULT_SETTLE		30	/* seconds for a Raft joiner to finish */
#define DEFAULT_JOIN_WAIT	120	/* seconds for a fresh cluster's joiners */
#define SETTLE_POLL_MS		100
#define JOIN_POLL_MS		500
#define JOIN_REPORT_S		5	/* a progress line this often */

enum { OPT_CEREMONY = 0x200, OPT_WAIT, OPT_SETTLE, OPT_TO, OPT_JOIN_WAIT };

struct node {
	const char *address;
	int done;		/* unsealed, already unsealed or refused: final */
	json_t *result;
};

struct unseal_ctx {
	const char *kind;	/* KIND_UNSEAL or KIND_MIGRATE */
	int migrate;
	const char *to;		/* migrate: the seal type expected after, or NULL */
	struct bridge_opts o;
	const char *ceremony;
	unsigned wait_s;
	unsigned settle_s;
	unsigned join_wait_s;
	struct bsession b;
	char nonce[2 * BSESSION_NONCE_BYTES + 1];
	unsigned threshold;
	struct node nodes[OPTS_MAX_ADDRESSES];
	size_t nnodes;
	json_t *boxes;		/* the submission's shares (ciphertext) */
	uint64_t boxes_seq;	/* the envelope that carried them */
};

/* The options unseal and migrate share, after their own (3 %d: the
 * defaults of --wait, --settle and --join-wait). */
#define UNSEAL_OPTIONS_HELP \
	"  --ceremony ID        the ceremony folder, when the exchange holds several\n" \
	"  --wait S             seconds to wait for each appliance step (default %d)\n" \
	"  --settle S           seconds a Raft joiner may take to finish unsealing\n" \
	"                       after its last share (default %d)\n" \
	"  --join-wait S        seconds a fresh Raft cluster's node that is not\n" \
	"                       initialised yet may take to join once another\n" \
	"                       node is unsealed (default %d)\n" \
	OPTS_HELP_TEXT OPTS_QR_HELP_TEXT

static void
usage_migrate(FILE *f)
{
	fprintf(f,
	    "usage: conclave-bridge migrate --exchange DIR --address A [--address B ...]\n"
	    "                               [--to TYPE] [--ceremony ID] [--wait S]\n"
	    "                               [--settle S] [--join-wait S]\n"
	    "\n"
	    "Answers the appliance's migrate request: a seal migration (Shamir to\n"
	    "auto-unseal, or auto-unseal to Shamir). Before this runs, the operator\n"
	    "has changed every node's seal configuration (the new seal stanza added;\n"
	    "when leaving auto-unseal, the old stanza marked disabled = \"true\") and\n"
	    "restarted every node. Then, as `conclave-bridge unseal`:\n"
	    "  1. every node's seal status is read: each reachable node must be\n"
	    "     sealed and report \"migration\": true with the same seal type (and\n"
	    "     TYPE, when --to is given). Otherwise nothing is offered and the\n"
	    "     missing step is named: no share is ever used on a node that is not\n"
	    "     migrating;\n"
	    "  2. the session offer, with the seal before and after, and the 5-word\n"
	    "     short authentication string to read aloud;\n"
	    "  3. the sealed shares (unseal shares when leaving Shamir, recovery\n"
	    "     shares when returning to it) go to every node with \"migrate\":\n"
	    "     true, opened for one request each and wiped;\n"
	    "  4. the per-node results, with each node's seal type afterwards.\n"
	    "Afterwards the holders' shares have changed role: unseal shares became\n"
	    "recovery shares (to auto-unseal), or recovery shares became unseal\n"
	    "shares (to Shamir).\n"
	    "\n"
	    "Options:\n"
	    "  --to TYPE            the seal type the nodes must migrate to (shamir,\n"
	    "                       static, transit, ...)\n"
	    UNSEAL_OPTIONS_HELP, DEFAULT_WAIT, DEFAULT_SETTLE, DEFAULT_JOIN_WAIT);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: conclave-bridge unseal --exchange DIR --address A [--address B ...]\n"
	    "                              [--ceremony ID] [--wait S] [--settle S]\n"
	    "                              [--join-wait S]\n"
	    "\n"
	    "Answers the appliance's unseal request for every node given (all the\n"
	    "nodes of a Raft or HA cluster):\n"
	    "  1. reads the request and makes a session key pair that lives only in\n"
	    "     this process's locked memory;\n"
	    "  2. writes the session offer: the key shares are sealed to, each node's\n"
	    "     seal status and the threshold, and shows the 5-word short\n"
	    "     authentication string. Read it aloud: the appliance's screen must\n"
	    "     show the same words before any holder's share is sealed;\n"
	    "  3. waits for the sealed shares, opens each only for the one request\n"
	    "     that submits it to one node, and wipes it. Nodes already unsealed\n"
	    "     are skipped; a node with a stale partial attempt is reset first;\n"
	    "     A node not initialised yet (a fresh Raft cluster's joiner, which\n"
	    "     joins once another node is unsealed) is waited for, up to\n"
	    "     --join-wait seconds with a progress line, then unsealed;\n"
	    "  4. writes the per-node results. If a node was unreachable or died\n"
	    "     mid-unseal, it keeps running (the sealed shares in locked memory)\n"
	    "     and waits for the appliance's `conclave unseal retry` (it tries\n"
	    "     the nodes still sealed again) or `abandon` (it wipes and stops).\n"
	    "\n"
	    "Options:\n"
	    UNSEAL_OPTIONS_HELP, DEFAULT_WAIT, DEFAULT_SETTLE, DEFAULT_JOIN_WAIT);
}

static const char *cmd_name = KIND_UNSEAL;

static int
fail(const char *what, int err, const char *detail)
{
	return opts_fail(cmd_name, what, err, detail);
}
static int
parse(struct unseal_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		OPTS_LONGOPTS,
		OPTS_QR_LONGOPTS,
		{ "ceremony", required_argument, NULL, OPT_CEREMONY },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "settle", required_argument, NULL, OPT_SETTLE },
		{ "to", required_argument, NULL, OPT_TO },
		{ "join-wait", required_argument, NULL, OPT_JOIN_WAIT },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int ch;

	opts_init(&ctx->o, cmd_name);
	ctx->wait_s = DEFAULT_WAIT;
	ctx->settle_s = DEFAULT_SETTLE;
	ctx->join_wait_s = DEFAULT_JOIN_WAIT;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opts_handle(&ctx->o, ch, optarg) == CK_OK)
			continue;
		if (ch == OPT_CEREMONY)
			ctx->ceremony = optarg;
		else if (ch == OPT_TO && ctx->migrate && optarg[0] != '\0' &&
		    strlen(optarg) < VAULT_MAX_TYPE)
			ctx->to = optarg;
		else if ((ch == OPT_WAIT || ch == OPT_SETTLE) &&
		    rd_parse_uint(optarg, 1, 86400, &v) == CK_OK)
			*(ch == OPT_WAIT ? &ctx->wait_s : &ctx->settle_s) =
			    (unsigned)v;
		else if (ch == OPT_JOIN_WAIT &&
		    rd_parse_uint(optarg, 0, 86400, &v) == CK_OK)
			ctx->join_wait_s = (unsigned)v;
		else
			return 2;
	}
	return opts_done_exchange(&ctx->o, optind, argc);
}

static json_t *
status_json(const char *address, int r, const struct vault_seal_status *st,
    const char *detail)
{
	if (r != CK_OK)
		return json_pack("{s:s, s:b, s:o}", "address", address,
		    "reachable", 0, "error", bsession_error_text(r, detail));
	return json_pack("{s:s, s:b, s:s, s:b, s:b, s:i, s:i, s:i, s:s, s:s, s:b, "
	    "s:b}", "address", address, "reachable", 1, "type", st->type,
	    "initialized", st->initialized, "sealed", st->sealed,
	    "t", (int)st->t, "n", (int)st->n, "progress", (int)st->progress,
	    "version", st->version, "cluster_id", st->cluster_id,
	    "recovery_seal", st->recovery_seal, "migration", st->migration);
}

/*
 * Migrate: is this node ready for the quorum's shares? It must be sealed,
 * waiting for a migration, and of the seal type the other nodes (and --to)
 * name. *seal_to takes the first node's type. 0, or the refusal printed.
 */
static int
migration_ready(const struct unseal_ctx *ctx, const char *address,
    const struct vault_seal_status *st, char seal_to[VAULT_MAX_TYPE],
    int *recovery_after)
{
	char why[256];

	if (!st->initialized)
		snprintf(why, sizeof(why), "%s is not initialised: nothing to "
		    "migrate", address);
	else if (!st->sealed)
		snprintf(why, sizeof(why), "%s is unsealed: restart it with the "
		    "new seal configuration first (it then comes up sealed with "
		    "\"migration\": true)", address);
	else if (!st->migration)
		snprintf(why, sizeof(why), "%s reports no seal migration: its "
		    "configuration lacks the new seal stanza (from Shamir), or the "
		    "old auto-unseal stanza is not marked disabled = \"true\" (to "
		    "Shamir); change it and restart the node", address);
	else if (ctx->to != NULL && strcmp(st->type, ctx->to) != 0)
		snprintf(why, sizeof(why), "%s migrates to seal \"%s\", not \"%s\" "
		    "as --to says", address, st->type, ctx->to);
	else if (seal_to[0] != '\0' && strcmp(st->type, seal_to) != 0)
		snprintf(why, sizeof(why), "%s migrates to seal \"%s\" but another "
		    "node to \"%s\": every node needs the same configuration",
		    address, st->type, seal_to);
	else {
		if (seal_to[0] == '\0') {
			snprintf(seal_to, VAULT_MAX_TYPE, "%s", st->type);
			*recovery_after = st->recovery_seal;
		}
		return 0;
	}
	return fail("seal migration not ready", CK_ERR_STATE, why);
}

/* Seal status of every node, the threshold, and the offer. */
static int
send_offer(struct unseal_ctx *ctx)
{
	struct vault_seal_status st;
	struct http_client *c = NULL;
	char pk[2 * SEALBOX_PK_LEN + 1], sas[BSESSION_SAS_MAX];
	char seal_to[VAULT_MAX_TYPE] = "";
	json_t *nodes = json_array(), *p = NULL, *n;
	size_t i;
	int r, recovery_after = 0;

	if (nodes == NULL)
		return fail("offer", CK_ERR_ALLOC, NULL);
	for (i = 0; i < ctx->nnodes; i++) {
		if ((r = opts_client(&ctx->o, i, &c)) == CK_OK)
			r = vault_seal_status(c, &st);
		n = status_json(ctx->nodes[i].address, r, &st,
		    c != NULL ? http_error_detail(c) : NULL);
		if (n == NULL || json_array_append_new(nodes, n) != 0) {
			http_client_free(c);
			json_decref(nodes);
			return fail("offer", CK_ERR_ALLOC, NULL);
		}
		tty_printw(stdout,
		    "  %-32s %s\n", ctx->nodes[i].address, r != CK_OK ?
		    "unreachable" : !st.initialized ? "not initialised (a Raft "
		    "joiner joins once a node is unsealed)" :
		    st.sealed ? "sealed" : "unsealed");
		if (r == CK_OK && st.initialized && ctx->threshold == 0)
			ctx->threshold = st.t;
		http_client_free(c);
		c = NULL;
		if (r == CK_OK && ctx->migrate && migration_ready(ctx,
		    ctx->nodes[i].address, &st, seal_to, &recovery_after) != 0) {
			json_decref(nodes);
			return 1;
		}
	}
	if (ctx->threshold == 0) {
		json_decref(nodes);
		return fail("offer", CK_ERR_UNREACHABLE, "no initialised node "
		    "answered: nothing to unseal");
	}
	bsession_nonce(ctx->nonce);
	bsession_box_pk_hex(&ctx->b, pk);
	p = json_pack("{s:s, s:s, s:s, s:i, s:o}", "kind", ctx->kind,
	    "box_pk", pk, "nonce", ctx->nonce, "threshold", (int)ctx->threshold,
	    "nodes", nodes);
	/* The seal before is what the shares are now: unseal shares (Shamir)
	 * when the new seal keeps recovery shares, else recovery shares of an
	 * auto-unseal seal, whose type a migrating node no longer reports. */
	if (p != NULL && ctx->migrate && json_object_set_new(p, "seal",
	    json_pack("{s:s, s:s}", "from", recovery_after ? "shamir" :
	    "auto-unseal", "to", seal_to)) != 0) {
		json_decref(p);
		p = NULL;
	}
	if (bsession_offer(&ctx->b, p, sas) != CK_OK)
		return 1;
	tty_printw(stdout, "Session offer written (threshold %u).\n"
	    "Short authentication string (read it aloud; the appliance must show "
	    "the same):\n  %s\n", ctx->threshold, sas);
	fflush(stdout);
	return 0;
}

/* The submission's fields, checked before any share is opened. */
static int
check_submission(struct unseal_ctx *ctx, const json_t *p, int retry)
{
	char why[128];
	int r;

	if ((r = bsession_check_submission(p, ctx->kind, ctx->nonce,
	    ctx->threshold, retry, why, sizeof(why))) != CK_OK)
		return fail(retry ? "retry" : "share submission", r, why);
	return 0;
}

/* A Raft joiner finishes unsealing a moment after its last share. */
static int
settle(struct unseal_ctx *ctx, struct http_client *c,
    struct vault_seal_status *st)
{
	struct timespec pause = { 0, SETTLE_POLL_MS * 1000000L };
	time_t deadline = time(NULL) + (time_t)ctx->settle_s;
	int r;

	while (st->sealed && st->progress == 0 && time(NULL) < deadline) {
		nanosleep(&pause, NULL);
		if ((r = vault_seal_status(c, st)) != CK_OK)
			return r;
	}
	return CK_OK;
}

/* Submit the shares to one node; *result as the envelope reports it. */
static int
unseal_node(struct unseal_ctx *ctx, size_t i, const char **result,
    json_t **error, char *seal_after)
{
	struct vault_seal_status st;
	struct http_client *c = NULL;
	const json_t *e;
	char *share = NULL, attempt[VAULT_MAX_NONCE] = "";
	size_t k, len = 0;
	int r;

	*error = NULL;
	*result = KIND_NODE_UNREACHABLE;
	if ((r = opts_client(&ctx->o, i, &c)) != CK_OK ||
	    (r = vault_seal_status(c, &st)) != CK_OK)
		goto out;
	*result = KIND_NODE_FAILED;
	if (!st.initialized) {
		r = CK_ERR_STATE;
		goto out;
	}
	if (!st.sealed) {
		*result = KIND_NODE_SKIPPED;
		if (seal_after != NULL && ctx->migrate)
			snprintf(seal_after, VAULT_MAX_TYPE, "%s", st.type);
		r = CK_OK;
		goto out;
	}
	/* Restarted without the new seal stanza since the offer: a share sent
	 * without "migrate" would be refused, and one with it is meaningless. */
	if (ctx->migrate && !st.migration) {
		r = CK_ERR_STATE;
		goto out;
	}
	/* Someone else's partial attempt would mix with ours. */
	if (st.progress > 0 && (r = vault_unseal_reset(c, &st)) != CK_OK)
		goto classify;
	json_array_foreach(ctx->boxes, k, e) {
		if ((r = bsession_open_share(&ctx->b, ctx->boxes_seq, ctx->nonce,
		    e, &share, &len)) != CK_OK)
			goto out;
		r = vault_unseal(c, share, len, ctx->migrate, &st);
		secmem_wipe(share, len);
		secmem_free(share);
		share = NULL;
		if (r != CK_OK)
			goto classify;
		if (!st.sealed)
			break;
		/* The threshold reached on a node that has just joined a fresh
		 * Raft cluster: it answers sealed, with no attempt left, and
		 * finishes unsealing a moment later (settle). */
		if (k + 1 >= st.t && st.progress == 0 && st.nonce[0] == '\0')
			break;
		/*
		 * The attempt is ours while its nonce stays the one our first
		 * share started and its progress counts exactly our shares:
		 * otherwise someone reset it or mixed shares of their own in.
		 */
		if (attempt[0] == '\0')
			memcpy(attempt, st.nonce, sizeof(attempt));
		if (strcmp(st.nonce, attempt) != 0 || st.progress != k + 1) {
			r = CK_ERR_WRONG_NONCE;
			goto out;
		}
	}
	if (st.sealed && (r = settle(ctx, c, &st)) != CK_OK)
		goto classify;
	if (st.sealed) {
		r = CK_ERR_SEALED;
		goto out;
	}
	*result = KIND_NODE_UNSEALED;
	r = CK_OK;
	if (seal_after != NULL)
		snprintf(seal_after, VAULT_MAX_TYPE, "%s", st.type);
	goto out;
classify:
	if (r == CK_ERR_UNREACHABLE)
		*result = KIND_NODE_UNREACHABLE;
	else if (r == CK_ERR_SERVER) {
		*result = KIND_NODE_REFUSED;
		r = CK_ERR_SHARE_REFUSED;
	}
out:
	if (r == CK_ERR_WRONG_NONCE)
		*error = bsession_error_text(r, "the node's unseal attempt changed "
		    "under the bridge (reset, or shares that are not the "
		    "ceremony's); nothing more was sent to it");
	else if (r != CK_OK)
		*error = bsession_error_text(r, c != NULL ? http_error_detail(c) : NULL);
	secmem_free(share);
	http_client_free(c);
	return r;
}

/* A node's result as the envelope reports it, printed for the operator. */
static void
set_result(struct node *nd, const char *res, json_t *err, const char *seal_type)
{
	json_t *n = json_pack("{s:s, s:s}", "address", nd->address, "result", res);

	if (n != NULL && seal_type != NULL && seal_type[0] != '\0')
		json_object_set_new(n, "seal_type", json_string(seal_type));
	if (n != NULL && err != NULL)
		json_object_set_new(n, "error", err);
	else
		json_decref(err);
	json_decref(nd->result);
	nd->result = n;
	nd->done = strcmp(res, KIND_NODE_UNREACHABLE) != 0 &&
	    strcmp(res, KIND_NODE_FAILED) != 0;
	if (seal_type != NULL && seal_type[0] != '\0')
		tty_printw(stdout,
		    "  %-32s %s (seal %s)\n", nd->address, res, seal_type);
	else
		tty_printw(stdout, "  %-32s %s\n", nd->address, res);
	if (json_object_get(n, "error") != NULL)
		tty_printw(stdout,
		    "  %-32s   %s\n", "", json_string_value(json_object_get(n,
		    "error")));
}

static const char *
result_of(const struct node *nd)
{
	return json_string_value(json_object_get(nd->result, "result"));
}

/*
 * Migrate: a node unsealed with "migrate" still migrates. On Raft the
 * migration is done by the node that becomes active, and only once enough
 * nodes are unsealed to elect it; each node then reports "migration":
 * false. Poll every unsealed node for that, up to --settle seconds; a node
 * still migrating then is reported failed (retry checks it again).
 */
static void
settle_migration(struct unseal_ctx *ctx)
{
	struct timespec pause = { 0, SETTLE_POLL_MS * 1000000L };
	time_t deadline = time(NULL) + (time_t)ctx->settle_s;
	struct vault_seal_status st[OPTS_MAX_ADDRESSES];
	struct http_client *c = NULL;
	int pending[OPTS_MAX_ADDRESSES] = { 0 }, left;
	size_t i;

	tty_printw(stdout,
	    "Waiting for the seal migration to finish on every node...\n");
	fflush(stdout);
	do {
		left = 0;
		for (i = 0; i < ctx->nnodes; i++) {
			const char *res = result_of(&ctx->nodes[i]);

			pending[i] = 0;
			if (strcmp(res, KIND_NODE_UNSEALED) != 0 &&
			    strcmp(res, KIND_NODE_SKIPPED) != 0)
				continue;
			if (opts_client(&ctx->o, i, &c) != CK_OK ||
			    vault_seal_status(c, &st[i]) != CK_OK ||
			    st[i].sealed || st[i].migration)
				pending[i] = 1;
			http_client_free(c);
			c = NULL;
			left += pending[i];
		}
		if (left > 0)
			nanosleep(&pause, NULL);
	} while (left > 0 && time(NULL) < deadline);
	for (i = 0; i < ctx->nnodes; i++) {
		const char *res = result_of(&ctx->nodes[i]);

		if (strcmp(res, KIND_NODE_UNSEALED) != 0 &&
		    strcmp(res, KIND_NODE_SKIPPED) != 0)
			continue;
		if (pending[i])
			set_result(&ctx->nodes[i], KIND_NODE_FAILED, json_string(
			    "unsealed, but its seal migration did not finish within "
			    "--settle: check the node's log; retry checks it again"),
			    NULL);
		else	/* res lives in the result set_result replaces */
			set_result(&ctx->nodes[i], strcmp(res, KIND_NODE_UNSEALED) == 0 ?
			    KIND_NODE_UNSEALED : KIND_NODE_SKIPPED, NULL, st[i].type);
	}
}

/*
 * A fresh Raft cluster's joiner answers "not initialised" until it has
 * joined, which it can do only once another node is unsealed. 1 when the
 * node at i answers so (it is then left for await_joiners), else 0 (also
 * when unreachable: unseal_node says so).
 */
static int
not_joined(const struct unseal_ctx *ctx, size_t i)
{
	struct vault_seal_status st;
	struct http_client *c = NULL;
	int r;

	if ((r = opts_client(&ctx->o, i, &c)) == CK_OK)
		r = vault_seal_status(c, &st);
	http_client_free(c);
	return r == CK_OK && !st.initialized;
}

static int
any_unsealed(const struct unseal_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nnodes; i++)
		if (ctx->nodes[i].result != NULL &&
		    (strcmp(result_of(&ctx->nodes[i]), KIND_NODE_UNSEALED) == 0 ||
		    strcmp(result_of(&ctx->nodes[i]), KIND_NODE_SKIPPED) == 0))
			return 1;
	return 0;
}

/*
 * The nodes left for joining (waiting[i]): each is unsealed as soon as it
 * reports initialised, up to --join-wait seconds, with a progress line
 * every JOIN_REPORT_S seconds; what is still not initialised then is
 * reported failed, saying so (retry waits again). Nothing is waited for
 * when no node is unsealed: no joiner can join then.
 */
static void
await_joiners(struct unseal_ctx *ctx, int waiting[OPTS_MAX_ADDRESSES])
{
	struct timespec pause = { 0, JOIN_POLL_MS * 1000000L };
	time_t start = time(NULL), next = start + JOIN_REPORT_S;
	char seal_after[VAULT_MAX_TYPE], why[200];
	const char *res;
	json_t *err;
	size_t i, left = 0;
	int can_join = any_unsealed(ctx);

	for (i = 0; i < ctx->nnodes; i++)
		left += waiting[i] != 0;
	if (left > 0 && can_join) {
		tty_printw(stdout,
		    "Waiting up to %u s for %zu node%s to join the cluster "
		    "(--join-wait)...\n", ctx->join_wait_s, left, left == 1 ? "" :
		    "s");
		fflush(stdout);
	}
	while (left > 0 && can_join) {
		for (i = 0; i < ctx->nnodes; i++) {
			if (!waiting[i] || not_joined(ctx, i))
				continue;
			waiting[i] = 0;
			left--;
			tty_printw(stdout,
			    "  %-32s joined the cluster after %ld s\n",
			    ctx->nodes[i].address, (long)(time(NULL) - start));
			seal_after[0] = '\0';
			(void)unseal_node(ctx, i, &res, &err, seal_after);
			set_result(&ctx->nodes[i], res, err, seal_after);
		}
		if (left == 0 || time(NULL) >= start + (time_t)ctx->join_wait_s)
			break;
		if (time(NULL) >= next) {
			tty_printw(stdout,
			    "  ... %zu node%s not initialised yet, %ld s of %u\n",
			    left, left == 1 ? "" : "s", (long)(time(NULL) - start),
			    ctx->join_wait_s);
			fflush(stdout);
			next += JOIN_REPORT_S;
		}
		nanosleep(&pause, NULL);
	}
	if (can_join)
		snprintf(why, sizeof(why), "not initialised: it did not join the "
		    "cluster within --join-wait %u s (check its retry_join and that "
		    "it reaches the other nodes); retry waits again",
		    ctx->join_wait_s);
	else
		snprintf(why, sizeof(why), "not initialised: a Raft joiner joins "
		    "only once another node of its cluster is unsealed, and none is");
	for (i = 0; i < ctx->nnodes; i++)
		if (waiting[i])
			set_result(&ctx->nodes[i], KIND_NODE_FAILED,
			    bsession_error_text(CK_ERR_STATE, why), NULL);
}

/* Every node not final yet; the result envelope. *all_done when none left. */
static int
run_nodes(struct unseal_ctx *ctx, int *all_done)
{
	char seal_after[VAULT_MAX_TYPE];
	const char *res;
	json_t *list = json_array(), *err;
	size_t i;
	int r, waiting[OPTS_MAX_ADDRESSES];

	*all_done = 1;
	if (list == NULL)
		return fail("result", CK_ERR_ALLOC, NULL);
	for (i = 0; i < ctx->nnodes; i++) {
		waiting[i] = 0;
		if (ctx->nodes[i].done)
			continue;
		if (not_joined(ctx, i)) {
			waiting[i] = 1;
			continue;
		}
		seal_after[0] = '\0';
		(void)unseal_node(ctx, i, &res, &err, seal_after);
		set_result(&ctx->nodes[i], res, err, seal_after);
	}
	await_joiners(ctx, waiting);
	if (ctx->migrate)
		settle_migration(ctx);
	for (i = 0; i < ctx->nnodes; i++) {
		if (strcmp(result_of(&ctx->nodes[i]), KIND_NODE_UNSEALED) != 0 &&
		    strcmp(result_of(&ctx->nodes[i]), KIND_NODE_SKIPPED) != 0)
			*all_done = 0;
		json_array_append(list, ctx->nodes[i].result);
	}
	if ((r = bsession_send_new(&ctx->b, ENVELOPE_SUBMISSION_RESULT,
	    json_pack("{s:s, s:o, s:b}", "kind", ctx->kind, "nodes", list,
	    "done", *all_done))) != CK_OK)
		return fail("writing the result", r, NULL);
	fflush(stdout);
	return 0;
}

static int
run(struct unseal_ctx *ctx)
{
	struct envelope env = { 0 };
	int r, all_done = 0, retry = 0, rc = 1;

	for (;;) {
		tty_printw(stdout,
		    retry ? "Waiting for the appliance (retry or abandon)...\n" :
		    "Waiting for the sealed shares...\n");
		fflush(stdout);
		r = bsession_wait(&ctx->b, ENVELOPE_SHARE_SUBMISSION,
		    retry ? ENVELOPE_CLOSING_REQUEST : 0, ctx->wait_s, &env);
		if (r != CK_OK) {
			fail(retry ? "waiting for retry or abandon" :
			    "waiting for the sealed shares", r, r == CK_ERR_NOT_FOUND ?
			    "timed out; the sealed shares are wiped" : NULL);
			goto out;
		}
		if (env.type == ENVELOPE_CLOSING_REQUEST) {
			tty_printw(stdout,
			    "Abandoned by the appliance: the sealed shares and the "
			    "session keys are wiped.\n");
			rc = 0;
			goto out;
		}
		if (check_submission(ctx, env.payload, retry) != 0)
			goto out;
		if (!retry) {
			ctx->boxes = json_incref(json_object_get(env.payload, "shares"));
			ctx->boxes_seq = env.seq;
		}
		envelope_free(&env);
		tty_printw(stdout,
		    "%s %zu sealed shares:\n", retry ? "Retrying with the" :
		    "Submitting", json_array_size(ctx->boxes));
		if (run_nodes(ctx, &all_done) != 0)
			goto out;
		if (all_done) {
			tty_printw(stdout,
			    "Every node is unsealed. The sealed shares and the session "
			    "keys are wiped.\n");
			rc = 0;
			goto out;
		}
		retry = 1;
	}
out:
	envelope_free(&env);
	return rc;
}

/*
 * Started again after a bridge stopped mid-session: the session key died
 * with it, so the session cannot go on. A node still sealed with shares
 * in progress holds some of that session's shares: they are discarded
 * (sys/unseal reset), so the next ceremony starts clean. A node unsealed
 * took the whole submission. The room is told, and to abandon.
 */
static int
orphan(struct unseal_ctx *ctx)
{
	struct vault_seal_status st;
	struct http_client *c;
	size_t i;
	int r;

	tty_printw(stdout,
	    "Ceremony %s: a session was under way when a bridge stopped. Its "
	    "session key died with it, so that session cannot go on.\n",
	    ctx->b.id_hex);
	for (i = 0; i < ctx->nnodes; i++) {
		c = NULL;
		if ((r = opts_client(&ctx->o, i, &c)) == CK_OK)
			r = vault_seal_status(c, &st);
		if (r != CK_OK)
			tty_printw(stdout, "  %s: %s; look at it by hand.\n",
			    ctx->nodes[i].address, ck_errname(r));
		else if (!st.sealed)
			tty_printw(stdout,
			    "  %s: unsealed (the stopped bridge's submission "
			    "reached it).\n", ctx->nodes[i].address);
		else if (st.progress == 0)
			tty_printw(stdout,
			    "  %s: sealed, no share in progress.\n",
			    ctx->nodes[i].address);
		else if ((r = vault_unseal_reset(c, &st)) != CK_OK)
			tty_printw(stdout,
			    "  %s: sealed with %u share(s) in progress, and the "
			    "reset failed (%s): reset it by hand.\n",
			    ctx->nodes[i].address, st.progress, ck_errname(r));
		else
			tty_printw(stdout,
			    "  %s: sealed; the shares in progress are "
			    "discarded.\n", ctx->nodes[i].address);
		http_client_free(c);
	}
	tty_printw(stdout,
	    "On the appliance: abandon that ceremony (conclave %s abandon, or "
	    "a on its wait screen), then begin again if nodes are sealed.\n",
	    ctx->kind);
	return 1;
}

static int
run_main(int argc, char **argv, int migrate)
{
	struct unseal_ctx ctx;
	struct envelope req = { 0 };
	size_t i;
	int r, rc = 1;

	memset(&ctx, 0, sizeof(ctx));
	ctx.migrate = migrate;
	ctx.kind = cmd_name = migrate ? KIND_MIGRATE : KIND_UNSEAL;
	if ((r = parse(&ctx, argc, argv)) != 0) {
		(migrate ? usage_migrate : usage)(r == 1 ? stdout : stderr);
		opts_free(&ctx.o);
		return r == 1 ? 0 : 2;
	}
	opts_warn(&ctx.o, stderr);
	ctx.nnodes = ctx.o.naddresses;
	for (i = 0; i < ctx.nnodes; i++)
		ctx.nodes[i].address = ctx.o.addresses[i];
	r = bsession_open(&ctx.b, &ctx.o, ctx.ceremony,
	    ENVELOPE_UNSEAL_REQUEST, &req);
	/* Finished by a bridge that stopped: by QR code, the appliance's
	 * copy of its last result may be missing. */
	if (r == CK_ERR_NOT_FOUND && bsession_finished(&ctx.b)) {
		rc = 0;
		goto out;
	}
	if (r == CK_ERR_NOT_FOUND && ctx.ceremony == NULL) {
		json_t *offer = NULL;

		bsession_free(&ctx.b);
		envelope_free(&req);
		if (bsession_orphan(&ctx.b, ctx.o.exchange, NULL,
		    ENVELOPE_UNSEAL_REQUEST, &req, &offer) == CK_OK) {
			rc = orphan(&ctx);
			json_decref(offer);
			goto out;
		}
		json_decref(offer);
	}
	if (r != CK_OK) {
		fail("request", r, r == CK_ERR_EXISTS ? "several ceremonies "
		    "wait: name one with --ceremony" : NULL);
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(req.payload, "kind")) != NULL ?
	    json_string_value(json_object_get(req.payload, "kind")) : "",
	    ctx.kind) != 0) {
		fail("request", CK_ERR_BAD_TYPE, migrate ? "the waiting request "
		    "is not a migrate request (conclave migrate begin)" :
		    "the waiting request is not an unseal request");
		goto out;
	}
	bsession_show_signer(&ctx.b, migrate ? "Migrate request" :
	    "Unseal request");
	tty_printw(stdout,
	    "%s request of ceremony %s. Nodes:\n", migrate ? "Migrate" :
	    "Unseal", ctx.b.id_hex);
	if (send_offer(&ctx) != 0)
		goto out;
	rc = run(&ctx);
out:
	for (i = 0; i < ctx.nnodes; i++)
		json_decref(ctx.nodes[i].result);
	json_decref(ctx.boxes);
	envelope_free(&req);
	bsession_free(&ctx.b);
	opts_free(&ctx.o);
	return rc;
}

int
bridge_unseal_main(int argc, char **argv)
{
	return run_main(argc, argv, 0);
}

int
bridge_migrate_main(int argc, char **argv)
{
	return run_main(argc, argv, 1);
}
