/*
 * The generate-root ceremony, appliance side (see generate_root.h).
 *
 * Limits: the result is the envelope's payload (bounded and strictly
 * parsed by envelope_parse); its strings must be printable UTF-8 of at
 * most QUORUM_FIELD_MAX bytes.
 */
#include "ceremony/generate_root.h"

#include <stdlib.h>
#include <string.h>

#include "ceremony/init.h"
#include "crypto/errors.h"



static int
is_dr(const struct session *s)
{
	return strcmp(json_string_value(json_object_get(s->state, "kind")),
	    KIND_DR_TOKEN) == 0;
}

int
generate_root_begin(const char *kind, const char *state_dir,
    const char *exchange_root, const struct roster *recipient,
    const uint8_t *prev, const json_t *handout, struct session **out)
{
	const struct roster_member *op = recipient != NULL ?
	    roster_operator(recipient) : NULL;
	struct session *s = NULL;
	json_t *details = NULL, *payload = NULL;
	char *text = NULL;
	size_t textlen = 0;
	int r;

	*out = NULL;
	if ((recipient != NULL && op == NULL) || (strcmp(kind, KIND_GENERATE_ROOT) != 0 &&
	    strcmp(kind, KIND_DR_TOKEN) != 0))
		return CK_ERR_INVALID_ARG;
	details = op != NULL ?
	    json_pack("{s:s, s:s, s:s}", "mode", "pgp", "recipient", op->name,
		"pgp_fingerprint", op->fpr) :
	    json_pack("{s:s}", "mode", "otp");
	payload = json_deep_copy(details);
	if (details == NULL || payload == NULL ||
	    json_object_set_new(payload, "kind", json_string(kind)) != 0 ||
	    (op != NULL && json_object_set_new(payload, "pgp_key",
	    json_string(op->key_b64)) != 0)) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = session_create(state_dir, exchange_root, kind,
	    KIND_ACTOR_APPLIANCE, details, prev, &s)) != CK_OK)
		goto out;
	if (recipient != NULL &&
	    ((r = roster_dump(recipient, &text, &textlen)) != CK_OK ||
	    (r = session_write_file(s, SESSION_ROSTER, text, textlen)) != CK_OK))
		goto out;
	if (handout != NULL && (r = quorum_take_handout(s, handout)) != CK_OK)
		goto out;
	if ((r = session_request(s, strcmp(kind, KIND_DR_TOKEN) == 0 ?
	    ENVELOPE_DR_TOKEN_REQUEST : ENVELOPE_GENERATE_ROOT_REQUEST, payload,
	    "request-sent", details)) != CK_OK)
		goto out;
	*out = s;
	s = NULL;
	r = CK_OK;
out:
	free(text);
	json_decref(details);
	json_decref(payload);
	session_discard(s);
	return r;
}

int
generate_root_abandon(struct session *s, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	const json_t *issued = json_object_get(s->ext, "issued");
	json_t *details = NULL;
	int r;

	/* Once the shares are submitted the server may have made the token:
	 * the record says so, and names the token issued, so the room
	 * knows what to check and revoke on the server. */
	if ((strcmp(session_phase(s), "submitted") == 0 ||
	    strcmp(session_phase(s), "issued") == 0) &&
	    ((details = json_pack("{s:b}", "after_submit", 1)) == NULL ||
	    (json_object_get(issued, "accessor") != NULL &&
	    json_object_set(details, "issued_accessor",
	    json_object_get(issued, "accessor")) != 0))) {
		json_decref(details);
		return CK_ERR_ALLOC;
	}
	r = session_abandon(s, NULL, "generate-root-abandoned", details, reason,
	    head);
	json_decref(details);
	return r;
}

static int
check_result(struct session *s, const json_t *p, char *why, size_t whylen)
{
	const char *mode = json_string_value(json_object_get(s->ext, "mode"));
	const char *nonce = json_string_value(json_object_get(json_object_get(
	    s->ext, "offer"), "nonce"));
	const char *fpr = json_string_value(json_object_get(s->ext,
	    "pgp_fingerprint"));

	if (!json_is_true(json_object_get(p, "complete")) ||
	    !quorum_field_ok(p, "endpoint") || !quorum_field_ok(p, "nonce")) {
		session_why(why, whylen, "the result is not a completed attempt");
		return CK_ERR_FORMAT;
	}
	if (nonce == NULL || strcmp(json_string_value(json_object_get(p,
	    "nonce")), nonce) != 0) {
		session_why(why, whylen, "the result is for another attempt");
		return CK_ERR_WRONG_NONCE;
	}
	if (strcmp(mode, "pgp") == 0) {
		if (!quorum_field_ok(p, "pgp_fingerprint") || fpr == NULL ||
		    strcmp(json_string_value(json_object_get(p,
		    "pgp_fingerprint")), fpr) != 0) {
			session_why(why, whylen, "the token is not encrypted to %s",
			    fpr != NULL ? fpr : "the recipient");
			return CK_ERR_WRONG_RECIPIENT;
		}
	} else if (!is_dr(s) && (!quorum_field_ok(p, "accessor") ||
	    json_string_length(json_object_get(p, "accessor")) >
	    KIND_MAX_ACCESSOR)) {
		session_why(why, whylen, "the result names no token accessor "
		    "(1..%d bytes)", KIND_MAX_ACCESSOR);
		return CK_ERR_FORMAT;
	}
	/* Issued but not handed over (OTP mode): the bridge says why, and its
	 * closing result follows. */
	if (json_object_get(p, "handed_over") != NULL &&
	    (!json_is_false(json_object_get(p, "handed_over")) ||
	    strcmp(mode, "otp") != 0 || is_dr(s) ||
	    !quorum_field_ok(p, "handover_error"))) {
		session_why(why, whylen, "handed_over is false, in OTP mode, with "
		    "its handover_error, or absent");
		return CK_ERR_FORMAT;
	}
	return CK_OK;
}

/* The result said the token was not handed over. */
static int
undelivered(const struct session *s)
{
	return json_is_false(json_object_get(json_object_get(s->ext, "issued"),
	    "handed_over"));
}


int
generate_root_result(struct session *s, int *closed,
    uint8_t head[TRANSCRIPT_HASH_BYTES], char *why, size_t whylen)
{
	struct envelope env = { 0 };
	json_t *details = NULL, *p;
	const char *keys[] = { "endpoint", "nonce", "accessor", "pgp_fingerprint",
	    "promoted", "handover_error" };
	size_t i;
	int r;

	why[0] = '\0';
	*closed = 0;
	if (strcmp(session_phase(s), "submitted") != 0)
		return CK_ERR_STATE;
	if ((r = session_receive(s, is_dr(s) ? ENVELOPE_DR_TOKEN_RESULT :
	    ENVELOPE_GENERATE_ROOT_RESULT, &env)) != CK_OK) {
		session_reject(s, "result", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	p = env.payload;
	if (json_object_get(p, "error") != NULL) {
		if ((r = quorum_failed(s, &env, is_dr(s) ? "dr-token-failed" :
		    "generate-root-failed", why, whylen)) == CK_ERR_SERVER)
			*closed = 1;
		goto out;
	}
	if ((r = check_result(s, p, why, whylen)) != CK_OK) {
		session_reject(s, "result", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	if ((details = json_object()) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (quorum_field_ok(p, keys[i]) &&
		    json_object_set(details, keys[i], json_object_get(p, keys[i])))
			r = CK_ERR_ALLOC;
	if (json_is_false(json_object_get(p, "handed_over")) &&
	    json_object_set_new(details, "handed_over", json_false()) != 0)
		r = CK_ERR_ALLOC;
	if (r != CK_OK || json_object_set(s->ext, "issued", details) != 0) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	session_hold(s);
	if ((r = session_set_phase(s, "issued")) == CK_OK &&
	    (r = session_accept(s, &env, is_dr(s) ? "dr-token-generated" :
	    "root-token-generated", KIND_ACTOR_BRIDGE, details)) == CK_OK &&
	    is_dr(s))
		r = session_close(s, KIND_ACTOR_APPLIANCE, NULL);
	if ((r = session_release(s, r)) != CK_OK)
		goto out;
	if (is_dr(s)) {
		transcript_head(s->t, head, NULL);
		*closed = 1;
	}
	/* Not handed over: the bridge's closing result, on the stick with the
	 * result, closes the ceremony now, not after a wait for a token
	 * nobody holds (CK_ERR_SERVER: closed as failed, why says how). */
	if (undelivered(s) && session_envelope_waiting(s) &&
	    (r = generate_root_close(s, head, why, whylen)) == CK_ERR_SERVER)
		*closed = 1;
out:
	json_decref(details);
	envelope_free(&env);
	return r;
}

int
generate_root_close(struct session *s, uint8_t head[TRANSCRIPT_HASH_BYTES],
    char *why, size_t whylen)
{
	const json_t *iss = json_object_get(s->ext, "issued");
	json_t *und = NULL;
	int r;

	why[0] = '\0';
	if (strcmp(session_phase(s), "issued") != 0)
		return CK_ERR_STATE;
	/* Not handed over: the failure and what became of the token. */
	if (undelivered(s) && (und = json_pack("{s:O, s:O}", "accessor",
	    json_object_get(iss, "accessor"), "error", json_object_get(iss,
	    "handover_error"))) == NULL)
		return CK_ERR_ALLOC;
	r = init_take_revocation(s, json_string_value(json_object_get(iss,
	    "accessor")), und, head, why, whylen);
	json_decref(und);
	return r;
}
