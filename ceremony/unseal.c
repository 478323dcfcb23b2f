/*
 * The unseal ceremony, appliance side (see unseal.h).
 *
 * Limits: at most KIND_MAX_NODES node results, each address at most
 * HTTP-address length (512) and every string printable UTF-8; the payload
 * is the envelope's, bounded and strictly parsed by envelope_parse.
 */
#include "ceremony/unseal.h"

#include <stdio.h>
#include <string.h>

#include "crypto/errors.h"

#define NODE_STRING_MAX	512

/* The ceremony's kind, as begun: KIND_UNSEAL or KIND_MIGRATE. */
static const char *
kind_of(const struct session *s)
{
	return json_string_value(json_object_get(s->state, "kind"));
}

int
unseal_begin(const char *kind, const char *state_dir,
    const char *exchange_root, const uint8_t *prev, const json_t *handout,
    struct session **out)
{
	struct session *s = NULL;
	json_t *payload = NULL;
	int r;

	*out = NULL;
	if (strcmp(kind, KIND_UNSEAL) != 0 && strcmp(kind, KIND_MIGRATE) != 0)
		return CK_ERR_INVALID_ARG;
	if ((r = session_create(state_dir, exchange_root, kind,
	    KIND_ACTOR_APPLIANCE, NULL, prev, &s)) != CK_OK)
		goto out;
	if ((payload = json_pack("{s:s}", "kind", kind)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if (handout != NULL && (r = quorum_take_handout(s, handout)) != CK_OK)
		goto out;
	if ((r = session_request(s, ENVELOPE_UNSEAL_REQUEST, payload,
	    "unseal-request-sent", NULL)) != CK_OK)
		goto out;
	*out = s;
	s = NULL;
	r = CK_OK;
out:
	json_decref(payload);
	session_discard(s);
	return r;
}

static int
node_string(const json_t *n, const char *key, int required)
{
	const json_t *v = json_object_get(n, key);

	if (v == NULL)
		return !required;
	return json_is_string(v) && json_string_length(v) > 0 &&
	    json_string_length(v) <= NODE_STRING_MAX &&
	    rd_printable_utf8(json_string_value(v), json_string_length(v), 0) ==
	    CK_OK;
}

/* The node results: their form, and how many are still sealed. */
static int
check_nodes(const json_t *nodes, unsigned *pending, char *why, size_t whylen)
{
	const json_t *n;
	const char *res;
	size_t i;

	*pending = 0;
	if (!json_is_array(nodes) || json_array_size(nodes) == 0 ||
	    json_array_size(nodes) > KIND_MAX_NODES) {
		session_why(why, whylen, "the result has no usable node list");
		return CK_ERR_FORMAT;
	}
	json_array_foreach(nodes, i, n) {
		if (!node_string(n, "address", 1) || !node_string(n, "result", 1) ||
		    !node_string(n, "error", 0) || !node_string(n, "seal_type", 0)) {
			session_why(why, whylen, "node %zu of the result is malformed", i + 1);
			return CK_ERR_FORMAT;
		}
		res = json_string_value(json_object_get(n, "result"));
		if (strcmp(res, KIND_NODE_UNSEALED) != 0 &&
		    strcmp(res, KIND_NODE_SKIPPED) != 0)
			(*pending)++;
	}
	return CK_OK;
}

int
unseal_result(struct session *s, int *closed, unsigned *pending,
    uint8_t head[TRANSCRIPT_HASH_BYTES], char *why, size_t whylen)
{
	struct envelope env = { 0 };
	json_t *details = NULL, *nodes;
	int r;

	*closed = 0;
	*pending = 0;
	why[0] = '\0';
	if (strcmp(session_phase(s), "submitted") != 0)
		return CK_ERR_STATE;
	if ((r = session_receive(s, ENVELOPE_SUBMISSION_RESULT, &env)) != CK_OK) {
		session_reject(s, "submission-result", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	nodes = json_object_get(env.payload, "nodes");
	if ((r = check_nodes(nodes, pending, why, whylen)) != CK_OK) {
		session_reject(s, "submission-result", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	details = json_pack("{s:O, s:I}", "nodes", nodes, "still_sealed",
	    (json_int_t)*pending);
	if (details == NULL || json_object_set(s->ext, "nodes", nodes) != 0) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	session_hold(s);
	if ((r = session_set_phase(s, *pending == 0 ? "done" : "partial")) ==
	    CK_OK && (r = session_accept(s, &env, "unseal-result",
	    KIND_ACTOR_BRIDGE, details)) == CK_OK && *pending == 0)
		r = session_close(s, KIND_ACTOR_APPLIANCE, NULL);
	if ((r = session_release(s, r)) != CK_OK)
		goto out;
	if (*pending == 0) {
		transcript_head(s->t, head, NULL);
		*closed = 1;
	}
out:
	json_decref(details);
	envelope_free(&env);
	return r;
}

int
unseal_retry(struct session *s)
{
	json_t *payload = NULL;
	int r;

	if (strcmp(session_phase(s), "partial") != 0)
		return CK_ERR_STATE;
	payload = json_pack("{s:s, s:O, s:b, s:[]}", "kind", kind_of(s), "nonce",
	    json_object_get(json_object_get(s->ext, "offer"), "nonce"),
	    "retry", 1, "shares");
	if (payload == NULL)
		return CK_ERR_ALLOC;
	if ((r = session_set_phase(s, "submitted")) == CK_OK)
		r = session_send(s, ENVELOPE_SHARE_SUBMISSION, payload,
		    "retry-requested", KIND_ACTOR_APPLIANCE, NULL);
	json_decref(payload);
	return r;
}

int
unseal_abandon(struct session *s, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	json_t *payload = NULL, *details = NULL;
	int r;

	/* After submit with no result (a bridge stopped and cannot go on):
	 * the nodes may have taken the submission, and the record says so. */
	if (strcmp(session_phase(s), "submitted") == 0) {
		if ((details = json_pack("{s:b}", "after_submit", 1)) == NULL)
			return CK_ERR_ALLOC;
		r = session_abandon(s, NULL, "unseal-abandoned", details, reason,
		    head);
		json_decref(details);
		return r;
	}
	/* Nodes left sealed after a result: the bridge wipes the shares it
	 * holds for a retry. Before that: the plain abandon. */
	if (strcmp(session_phase(s), "partial") != 0)
		return session_abandon(s, NULL, "unseal-abandoned", NULL, reason,
		    head);
	payload = json_pack("{s:s, s:b}", "kind", kind_of(s), "wipe_shares", 1);
	details = json_pack("{s:O}", "nodes_left", json_object_get(s->ext, "nodes"));
	if (payload == NULL || details == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	r = session_abandon(s, payload, "unseal-abandoned", details, reason, head);
out:
	json_decref(payload);
	json_decref(details);
	return r;
}
