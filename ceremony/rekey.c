/*
 * The rekey ceremony, appliance side (see rekey.h).
 *
 * Limits: the results are envelope payloads (bounded and strictly parsed
 * by envelope_parse); text fields as quorum_field_ok; shares as
 * init_check_shares.
 */
#include "ceremony/rekey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/init.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "crypto/shamir.h"

int
rekey_begin(const char *state_dir, const char *exchange_root,
    const struct roster *roster, unsigned t, int recovery,
    const uint8_t *prev, const json_t *handout, struct session **out)
{
	struct session *s = NULL;
	json_t *details = NULL, *payload = NULL, *keys = json_array(),
	    *holders = json_array(), *named = json_array();
	char *text = NULL;
	size_t textlen = 0;
	unsigned k, n = (unsigned)roster->n_holders;
	int r;

	*out = NULL;
	if ((r = kinds_check_quorum(n, t)) != CK_OK)
		goto out;
	for (k = 1; keys != NULL && holders != NULL && named != NULL && k <= n;
	    k++) {
		const struct roster_member *m = roster_holder(roster, k);

		json_array_append_new(keys, json_string(m->key_b64));
		json_array_append_new(holders, json_pack("{s:I, s:s, s:s}",
		    "share", (json_int_t)k, "name", m->name, "fingerprint", m->fpr));
		/* The record also names each encryption key, so a later
		 * ceremony can tell whose share a stick holds (quorum). */
		json_array_append_new(named, json_pack("{s:I, s:s, s:s, s:s}",
		    "share", (json_int_t)k, "name", m->name, "fingerprint", m->fpr,
		    "encryption_key", m->enc_keyid));
	}
	details = json_pack("{s:s, s:s, s:I, s:I, s:b, s:O}", "target",
	    recovery ? "recovery" : "barrier", "shares",
	    recovery ? "recovery" : "unseal", "n", (json_int_t)n,
	    "t", (json_int_t)t, "verify", 1, "holders", named);
	payload = json_pack("{s:s, s:s, s:I, s:I, s:O, s:O, s:b, s:b}", "kind",
	    KIND_REKEY, "target", recovery ? "recovery" : "barrier",
	    "n", (json_int_t)n, "t", (json_int_t)t, "pgp_keys", keys,
	    "holders", holders, "verify", 1, "backup", 0);
	if (details == NULL || payload == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = session_create(state_dir, exchange_root, KIND_REKEY,
	    KIND_ACTOR_APPLIANCE, details, prev, &s)) != CK_OK)
		goto out;
	if ((r = roster_dump(roster, &text, &textlen)) != CK_OK ||
	    (r = session_write_file(s, SESSION_ROSTER, text, textlen)) != CK_OK)
		goto out;
	if (handout != NULL && (r = quorum_take_handout(s, handout)) != CK_OK)
		goto out;
	if ((r = session_request(s, ENVELOPE_REKEY_REQUEST, payload,
	    "rekey-request-sent", details)) != CK_OK)
		goto out;
	*out = s;
	s = NULL;
	r = CK_OK;
out:
	free(text);
	json_decref(keys);
	json_decref(holders);
	json_decref(named);
	json_decref(details);
	json_decref(payload);
	session_discard(s);
	return r;
}

static unsigned
ext_uint(const struct session *s, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(s->ext, key));

	return v > 0 && v <= KIND_MAX_SHARES ? (unsigned)v : 0;
}

static int
offer_nonce_is(const struct session *s, const json_t *p)
{
	const char *want = json_string_value(json_object_get(json_object_get(
	    s->ext, "offer"), "nonce"));

	return quorum_field_ok(p, "nonce") && want != NULL &&
	    strcmp(json_string_value(json_object_get(p, "nonce")), want) == 0;
}

int
rekey_result(struct session *s, char *why, size_t whylen)
{
	struct envelope env = { 0 };
	struct roster *ro = NULL;
	json_t *shares = NULL, *details = NULL, *p, *keys;
	int r;

	why[0] = '\0';
	if (strcmp(session_phase(s), "submitted") != 0)
		return CK_ERR_STATE;
	if ((r = init_load_roster(s, &ro)) != CK_OK)
		return r;
	if ((r = session_receive(s, ENVELOPE_REKEY_RESULT, &env)) != CK_OK) {
		session_reject(s, "rekey-result", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	p = env.payload;
	if (json_object_get(p, "error") != NULL) {
		r = quorum_failed(s, &env, "rekey-failed", why, whylen);
		goto out;
	}
	keys = json_object_get(p, "keys_base64");
	if (!json_is_true(json_object_get(p, "complete")) ||
	    !quorum_field_ok(p, "endpoint") ||
	    !quorum_field_ok(p, "verification_nonce")) {
		session_why(why, whylen, "the result is not a completed rekey with "
		    "verification pending");
		r = CK_ERR_FORMAT;
	} else if (!offer_nonce_is(s, p)) {
		session_why(why, whylen, "the result is for another rekey");
		r = CK_ERR_WRONG_NONCE;
	} else {
		r = init_check_shares(ro, keys, ext_uint(s, "n"),
		    json_string_value(json_object_get(s->ext, "shares")), &shares,
		    why, whylen);
	}
	if (r != CK_OK) {
		session_reject(s, "rekey-result", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	details = json_pack("{s:O, s:O, s:O, s:O}", "endpoint",
	    json_object_get(p, "endpoint"), "nonce", json_object_get(p, "nonce"),
	    "verification_nonce", json_object_get(p, "verification_nonce"),
	    "shares", shares);
	if (details == NULL ||
	    json_object_set(s->ext, "encrypted_shares", keys) != 0 ||
	    json_object_set(s->ext, "verification_nonce",
	    json_object_get(p, "verification_nonce")) != 0 ||
	    json_object_set_new(s->ext, "proofs", json_array()) != 0) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = session_set_phase(s, "accepted")) != CK_OK ||
	    (r = session_accept(s, &env, "rekey-result-accepted", KIND_ACTOR_BRIDGE,
	    details)) != CK_OK)
		goto out;
	r = CK_OK;
out:
	json_decref(shares);
	json_decref(details);
	roster_free(ro);
	envelope_free(&env);
	return r;
}

int
rekey_verifying(const struct session *s)
{
	return json_is_true(json_object_get(s->ext, "verifying"));
}

/* The new holders and their proven handouts, as quorum's handout. */
static int
own_commitments(struct session *s)
{
	struct roster *ro = NULL;
	const json_t *p;
	json_t *holders = json_array(), *h = NULL;
	unsigned k;
	size_t i;
	int r;

	if (holders == NULL)
		return CK_ERR_ALLOC;
	if ((r = init_load_roster(s, &ro)) != CK_OK)
		goto out;
	for (k = 1; k <= ro->n_holders; k++) {
		const struct roster_member *m = roster_holder(ro, k);

		if ((r = quorum_handout_add(holders, m->name, k, m->fpr,
		    m->enc_keyid)) != CK_OK)
			goto out;
	}
	json_array_foreach(json_object_get(s->ext, "proofs"), i, p) {
		const struct roster_member *m = roster_holder(ro,
		    (unsigned)json_integer_value(json_object_get(p, "share")));
		const char *c = json_string_value(json_object_get(p, "commitment"));

		if (m == NULL || c == NULL) {
			r = CK_ERR_STATE;
			goto out;
		}
		if ((r = quorum_handout_proof(holders, m->name, m->share_index,
		    json_integer_value(json_object_get(p, "x_tag")) & 0xff,
		    c)) != CK_OK)
			goto out;
	}
	h = json_pack("{s:s, s:s, s:s, s:O}", "ceremony_id", s->id_hex, "kind",
	    KIND_REKEY, "state", "open", "holders", holders);
	if (h == NULL || json_object_set(s->ext, "handout", h) != 0)
		r = CK_ERR_ALLOC;
out:
	json_decref(h);
	json_decref(holders);
	roster_free(ro);
	return r;
}

int
rekey_verify_start(struct session *s, char *why, size_t whylen)
{
	json_t *offer = json_object_get(s->ext, "offer"), *d;
	unsigned n = ext_uint(s, "n"), t = ext_uint(s, "t");
	size_t proven = json_array_size(json_object_get(s->ext, "proofs"));
	int r;

	why[0] = '\0';
	if (strcmp(session_phase(s), "accepted") != 0 || offer == NULL)
		return CK_ERR_STATE;
	if (proven < n) {
		session_why(why, whylen, "%zu of %u new holders have had their "
		    "handout with a decrypt proof", proven, n);
		return CK_ERR_INCOMPLETE;
	}
	/* From now on the shares are the new ones: each must be the one this
	 * ceremony handed out (its commitment is in the proofs). */
	if ((r = own_commitments(s)) != CK_OK)
		return r;
	if (json_object_set(offer, "nonce", json_object_get(s->ext,
	    "verification_nonce")) != 0 ||
	    json_object_set_new(offer, "threshold", json_integer(t)) != 0 ||
	    json_object_set_new(s->ext, "sealed", json_array()) != 0 ||
	    json_object_set_new(s->ext, "verifying", json_true()) != 0)
		return CK_ERR_ALLOC;
	if ((d = json_pack("{s:O, s:I}", "verification_nonce",
	    json_object_get(s->ext, "verification_nonce"), "threshold",
	    (json_int_t)t)) == NULL)
		return CK_ERR_ALLOC;
	if ((r = session_set_phase(s, QUORUM_PHASE_CONFIRMED)) == CK_OK)
		r = session_record(s, "verification-started", KIND_ACTOR_APPLIANCE, d);
	json_decref(d);
	if (r == CK_OK)
		r = session_save(s);
	return r;
}

int
rekey_verify_submit(struct session *s, char *why, size_t whylen)
{
	if (!rekey_verifying(s))
		return CK_ERR_STATE;
	return quorum_submit_as(s, ENVELOPE_REKEY_VERIFY_SUBMISSION,
	    "verify-submitted", "new-shares-submitted", why, whylen);
}

int
rekey_finish(struct session *s, uint8_t head[TRANSCRIPT_HASH_BYTES],
    char *why, size_t whylen)
{
	struct envelope env = { 0 };
	json_t *d = NULL, *p;
	int r;

	why[0] = '\0';
	if (strcmp(session_phase(s), "verify-submitted") != 0)
		return CK_ERR_STATE;
	if ((r = session_receive(s, ENVELOPE_SUBMISSION_RESULT, &env)) != CK_OK) {
		session_reject(s, "submission-result", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	p = env.payload;
	if (json_object_get(p, "error") != NULL) {
		r = quorum_failed(s, &env, "rekey-verification-failed", why, whylen);
		goto out;
	}
	if (!json_is_true(json_object_get(p, "complete")) || !offer_nonce_is(s, p)) {
		session_why(why, whylen, "the result does not complete this "
		    "verification");
		r = json_is_true(json_object_get(p, "complete")) ?
		    CK_ERR_WRONG_NONCE : CK_ERR_FORMAT;
		session_reject(s, "submission-result", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	if ((d = json_pack("{s:O, s:b}", "verification_nonce",
	    json_object_get(p, "nonce"), "new_shares_active", 1)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	session_hold(s);
	if ((r = session_set_phase(s, "done")) == CK_OK &&
	    (r = session_accept(s, &env, "rekey-verified", KIND_ACTOR_BRIDGE,
	    d)) == CK_OK)
		r = session_close(s, KIND_ACTOR_APPLIANCE, NULL);
	if ((r = session_release(s, r)) == CK_OK)
		transcript_head(s->t, head, NULL);
out:
	json_decref(d);
	envelope_free(&env);
	return r;
}

int
rekey_abandon(struct session *s, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	json_t *payload = NULL, *d = NULL;
	int r;

	payload = json_pack("{s:s, s:b}", "kind", KIND_REKEY, "cancel", 1);
	/* Submitted for verification and no answer (a bridge stopped and
	 * cannot go on): the server may have switched to the new shares
	 * already, and the record says it does not know. */
	if (strcmp(session_phase(s), "verify-submitted") == 0)
		d = json_pack("{s:b, s:s}", "after_submit", 1,
		    "old_shares_in_force", "unknown: unseal with them to know");
	else
		d = json_pack("{s:b}", "old_shares_in_force", 1);
	if (payload == NULL || d == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	r = session_abandon(s, payload, "rekey-abandoned", d, reason, head);
out:
	json_decref(payload);
	json_decref(d);
	return r;
}

struct rekey_check {
	struct session *s;
	unsigned n, t, have;
	uint8_t *shares;		/* secmem: n * SHAMIR_KEY_SHARE_LEN */
	unsigned char present[KIND_MAX_SHARES + 1];
};

int
rekey_check_open(struct session *s, struct rekey_check **out)
{
	struct rekey_check *c = NULL;
	json_t *d = NULL;
	int r = CK_ERR_ALLOC;

	*out = NULL;
	if (strcmp(session_phase(s), "accepted") != 0 || rekey_verifying(s))
		return CK_ERR_STATE;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	c->s = s;
	c->n = ext_uint(s, "n");
	c->t = ext_uint(s, "t");
	if (c->n == 0 || c->t == 0) {
		r = CK_ERR_FORMAT;
		goto out;
	}
	if ((c->shares = secmem_alloc((size_t)c->n * SHAMIR_KEY_SHARE_LEN)) == NULL)
		goto out;
	d = json_pack("{s:I, s:I, s:b}", "n", (json_int_t)c->n, "t",
	    (json_int_t)c->t, "secret_in_appliance_memory", 1);
	if (d == NULL || (r = session_record(s, "all-shares-check-started",
	    KIND_ACTOR_APPLIANCE, d)) != CK_OK)
		goto out;
	*out = c;
	c = NULL;
	r = CK_OK;
out:
	json_decref(d);
	rekey_check_free(c);
	return r;
}

int
rekey_check_add(struct rekey_check *c, struct pgp_home *h, unsigned k,
    const char *keyfile, const char *passphrase)
{
	struct secbuf plain = { 0 };
	uint8_t *msg = NULL, x = 0;
	size_t len = 0, i;
	int r;

	if (k < 1 || k > c->n)
		return CK_ERR_NOT_FOUND;
	if (c->present[k])
		return CK_ERR_EXISTS;
	if ((r = init_encrypted_share(c->s, k, &msg, &len)) != CK_OK ||
	    (r = init_open_share(h, keyfile, passphrase, msg, len, &plain,
	    &x)) != CK_OK)
		goto out;
	for (i = 1; i <= c->n; i++)
		if (c->present[i] &&
		    c->shares[i * SHAMIR_KEY_SHARE_LEN - 1] == x) {
			r = CK_ERR_DUPLICATE_SHARE;
			goto out;
		}
	if ((r = shamir_share_from_hex((const char *)plain.p, plain.len,
	    c->shares + (size_t)(k - 1) * SHAMIR_KEY_SHARE_LEN)) != CK_OK)
		goto out;
	c->present[k] = 1;
	c->have++;
out:
	if (r != CK_OK)
		session_reject(c->s, "all-shares-check", r, KIND_ACTOR_APPLIANCE);
	secbuf_free(&plain);
	free(msg);
	return r;
}

int
rekey_check_close(struct rekey_check *c, char *why, size_t whylen)
{
	struct shamir_part parts[KIND_MAX_SHARES];
	json_t *d = NULL;
	unsigned k;
	int r;

	why[0] = '\0';
	if (c->have != c->n) {
		session_why(why, whylen, "%u of %u new holders decrypted; the check "
		    "needs all of them", c->have, c->n);
		r = CK_ERR_INCOMPLETE;
	} else {
		for (k = 0; k < c->n; k++) {
			parts[k].p = c->shares + (size_t)k * SHAMIR_KEY_SHARE_LEN;
			parts[k].len = SHAMIR_KEY_SHARE_LEN;
		}
		r = shamir_check_consistent(parts, c->n, c->t);
		if (r != CK_OK)
			session_why(why, whylen, "the %u new shares do not lie on one "
			    "polynomial of degree %u", c->n, c->t - 1);
	}
	secmem_wipe(c->shares, (size_t)c->n * SHAMIR_KEY_SHARE_LEN);
	d = json_pack("{s:I, s:I, s:I, s:b, s:s}", "n", (json_int_t)c->n, "t",
	    (json_int_t)c->t, "decrypted", (json_int_t)c->have, "consistent",
	    r == CK_OK, "error", ck_errname(r));
	if (d == NULL)
		return CK_ERR_ALLOC;
	if (session_record(c->s, "all-shares-check", KIND_ACTOR_APPLIANCE, d) != CK_OK &&
	    r == CK_OK)
		r = CK_ERR_IO;
	json_decref(d);
	return r;
}

void
rekey_check_free(struct rekey_check *c)
{
	if (c == NULL)
		return;
	secmem_free(c->shares);
	free(c);
}
