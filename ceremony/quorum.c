/*
 * Steps shared by the quorum ceremonies, appliance side (see quorum.h).
 *
 * Limits: the offer is the envelope's payload (bounded and strictly parsed
 * by envelope_parse); box_pk exactly 64 hex digits; nonce
 * 1..SEALED_NONCE_MAX printable ASCII; threshold 1..KIND_MAX_SHARES;
 * holder names 1..ROSTER_NAME_MAX bytes of printable UTF-8.
 */
#include "ceremony/quorum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ceremony/init.h"
#include "ceremony/roster.h"
#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "crypto/pgppkt.h"
#include "media/file.h"
#include "protocol/sealed.h"

static int
printable_ascii(const char *v, size_t max)
{
	size_t i, n = v != NULL ? strlen(v) : 0;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i] < 0x21 || v[i] > 0x7e)
			return 0;
	return 1;
}

/* A seal type as a migrate offer names it: "shamir", "static", ... */
static int
seal_word(const json_t *v)
{
	const char *w = json_string_value(v);
	size_t i;

	if (w == NULL || w[0] == '\0' || strlen(w) > QUORUM_SEAL_MAX)
		return 0;
	for (i = 0; w[i] != '\0'; i++)
		if (!(w[i] >= 'a' && w[i] <= 'z') && !(w[i] >= '0' && w[i] <= '9') &&
		    w[i] != '-' && w[i] != '_')
			return 0;
	return 1;
}

/* The checked seal names of a migrate offer, and nothing else of it. */
static json_t *
seal_copy(const json_t *p)
{
	const json_t *seal = json_object_get(p, "seal");

	return json_pack("{s:O, s:O}", "from", json_object_get(seal, "from"),
	    "to", json_object_get(seal, "to"));
}

/* The offer's fields this side relies on. */
static int
parse_offer(const struct session *s, const json_t *p,
    uint8_t box_pk[SEALBOX_PK_LEN], char *why, size_t whylen)
{
	const char *kind = json_string_value(json_object_get(p, "kind"));
	const char *pk = json_string_value(json_object_get(p, "box_pk"));
	const char *nonce = json_string_value(json_object_get(p, "nonce"));
	const json_t *t = json_object_get(p, "threshold"), *seal;

	if (kind == NULL || strcmp(kind, json_string_value(json_object_get(
	    s->state, "kind"))) != 0) {
		session_why(why, whylen, "the offer is for another kind of ceremony");
		return CK_ERR_FORMAT;
	}
	if (pk == NULL || codec_hex_decode_exact(pk, strlen(pk), box_pk,
	    SEALBOX_PK_LEN) != CK_OK) {
		session_why(why, whylen, "the offer has no usable session key");
		return CK_ERR_FORMAT;
	}
	if (!printable_ascii(nonce, SEALED_NONCE_MAX)) {
		session_why(why, whylen, "the offer has no usable nonce");
		return CK_ERR_FORMAT;
	}
	if (!json_is_integer(t) || json_integer_value(t) < 1 ||
	    json_integer_value(t) > KIND_MAX_SHARES) {
		session_why(why, whylen, "the offer has no usable threshold");
		return CK_ERR_FORMAT;
	}
	seal = json_object_get(p, "seal");
	if ((strcmp(kind, KIND_MIGRATE) == 0 || seal != NULL) &&
	    (!seal_word(json_object_get(seal, "from")) ||
	    !seal_word(json_object_get(seal, "to")))) {
		session_why(why, whylen, "the migrate offer does not name the seal "
		    "before and after");
		return CK_ERR_FORMAT;
	}
	return CK_OK;
}

/*
 * An offer that says the server's endpoint for this ceremony is disabled:
 * the bridge has stopped and the ceremony cannot go on. The offer is taken
 * (so it is read once, never again in a loop), the setting that opens the
 * endpoint goes on the record, and the ceremony closes as failed, naming
 * it: begin again once the setting is open.
 */
static int
unavailable(struct session *s, const struct envelope *env, char *why,
    size_t whylen)
{
	const json_t *u = json_object_get(env->payload, "unavailable");
	const char *ep = json_string_value(json_object_get(u, "endpoint"));
	const char *set = json_string_value(json_object_get(u, "setting"));
	json_t *d;
	int r;

	if (u == NULL)
		return CK_OK;
	if (ep == NULL || set == NULL ||
	    rd_printable_utf8(ep, strlen(ep), 0) != CK_OK ||
	    rd_printable_utf8(set, strlen(set), 0) != CK_OK) {
		session_reject(s, "session-offer", CK_ERR_FORMAT, KIND_ACTOR_APPLIANCE);
		return CK_ERR_FORMAT;
	}
	session_why(why, whylen, "the server's %s is disabled; the listener "
	    "setting that opens it: %s", ep, set);
	if ((d = json_pack("{s:s, s:s}", "endpoint", ep, "setting", set)) == NULL)
		return CK_ERR_ALLOC;
	session_hold(s);
	if ((r = session_set_phase(s, "failed")) == CK_OK &&
	    (r = session_accept(s, env, "endpoint-disabled", KIND_ACTOR_BRIDGE,
	    d)) == CK_OK)
		r = session_close_as(s, KIND_ACTOR_APPLIANCE, TRANSCRIPT_FAILED, why,
		    NULL);
	r = session_release(s, r);
	json_decref(d);
	return r == CK_OK ? CK_ERR_DISABLED_ENDPOINT : r;
}

int
quorum_accept_offer(struct session *s, const char *want_phase,
    const char *confirm, const char *witness, char sas[QUORUM_SAS_MAX],
    json_t **offer, char *why, size_t whylen)
{
	struct envelope env = { 0 };
	uint8_t box_pk[SEALBOX_PK_LEN];
	json_t *details = NULL, *o = NULL, *p;
	int r;

	why[0] = '\0';
	sas[0] = '\0';
	if (offer != NULL)
		*offer = NULL;
	if (strcmp(session_phase(s), want_phase) != 0)
		return CK_ERR_STATE;
	if ((r = session_receive(s, ENVELOPE_SESSION_OFFER, &env)) != CK_OK) {
		session_reject(s, "session-offer", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	p = env.payload;
	if ((r = unavailable(s, &env, why, whylen)) != CK_OK)
		goto out;
	if ((r = parse_offer(s, p, box_pk, why, whylen)) != CK_OK) {
		session_reject(s, "session-offer", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	r = session_sas_confirm(s, box_pk, confirm, "the offer may come from "
	    "another bridge; nothing is sealed to it", sas, why, whylen);
	/* With why: the record names the word that differs, and other
	 * words typed next are another refusal, not a repeat of this one. */
	if (r == CK_ERR_SAS_MISMATCH)
		session_reject_why(s, "session-offer", CK_ERR_SAS_MISMATCH, why,
		    witness != NULL ? witness : KIND_ACTOR_APPLIANCE);
	if (r != CK_OK)
		goto out;
	o = json_pack("{s:O, s:O, s:O}", "box_pk", json_object_get(p, "box_pk"),
	    "nonce", json_object_get(p, "nonce"), "threshold",
	    json_object_get(p, "threshold"));
	details = json_pack("{s:s, s:b, s:s, s:O, s:O, s:O}", "sas", sas,
	    "sas_confirmed", 1, "witness", witness != NULL ? witness : "",
	    "box_pk", json_object_get(p, "box_pk"),
	    "nonce", json_object_get(p, "nonce"),
	    "threshold", json_object_get(p, "threshold"));
	if (o == NULL || details == NULL ||
	    (json_object_get(p, "nodes") != NULL &&
	    json_object_set(details, "nodes", json_object_get(p, "nodes")) != 0) ||
	    (json_object_get(p, "seal") != NULL &&
	    (json_object_set_new(details, "seal", seal_copy(p)) != 0 ||
	    json_object_set_new(o, "seal", seal_copy(p)) != 0)) ||
	    json_object_set(s->ext, "offer", o) != 0 ||
	    json_object_set_new(s->ext, "sealed", json_array()) != 0) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = session_set_phase(s, QUORUM_PHASE_CONFIRMED)) != CK_OK ||
	    (r = session_accept(s, &env, "session-offer-accepted", KIND_ACTOR_BRIDGE,
	    details)) != CK_OK)
		goto out;
	if (offer != NULL)
		*offer = json_incref(p);
	r = CK_OK;
out:
	json_decref(o);
	json_decref(details);
	envelope_free(&env);
	return r;
}

size_t
quorum_sealed_count(const struct session *s)
{
	return json_array_size(json_object_get(s->ext, "sealed"));
}

unsigned
quorum_threshold(const struct session *s)
{
	json_int_t t = json_integer_value(json_object_get(json_object_get(s->ext,
	    "offer"), "threshold"));

	return t > 0 && t <= KIND_MAX_SHARES ? (unsigned)t : 0;
}

/* Has this holder or this x-tag given a share already? */
static int
already_given(const struct session *s, const char *holder, int x)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(s->ext, "sealed"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "holder")),
		    holder) == 0)
			return CK_ERR_SAME_HOLDER;
		if (json_integer_value(json_object_get(e, "x_tag")) == x)
			return CK_ERR_DUPLICATE_SHARE;
	}
	return CK_OK;
}

static int share_file_owner(const struct session *s, const char *holder,
    const uint8_t *msg, size_t len, char *why, size_t whylen);
static int check_commitment(const struct session *s, const char *holder,
    const struct secbuf *plain, uint8_t x, char *why, size_t whylen);

int
quorum_add_share(struct session *s, struct pgp_home *h, const char *holder,
    const char *keyfile, const char *passphrase, const uint8_t *msg,
    size_t len, char *why, size_t whylen)
{
	const json_t *offer = json_object_get(s->ext, "offer");
	struct secbuf plain = { 0 };
	uint8_t box_pk[SEALBOX_PK_LEN], x = 0;
	const char *pk, *nonce;
	char *box = NULL;
	json_t *details = NULL, *e = NULL;
	int r;

	why[0] = '\0';
	if (strcmp(session_phase(s), QUORUM_PHASE_CONFIRMED) != 0 ||
	    offer == NULL) {
		session_why(why, whylen, "no session offer confirmed yet: nothing is "
		    "sealed before a witness confirms the words");
		return CK_ERR_STATE;
	}
	if (holder[0] == '\0' || strlen(holder) > ROSTER_NAME_MAX ||
	    rd_printable_utf8(holder, strlen(holder), 0) != CK_OK)
		return CK_ERR_INVALID_ARG;
	if (quorum_sealed_count(s) >= quorum_threshold(s)) {
		session_why(why, whylen, "the server's threshold of %u shares is met",
		    quorum_threshold(s));
		return CK_ERR_SHARE_COUNT;
	}
	if ((r = already_given(s, holder, -1)) != CK_OK) {
		session_why(why, whylen, "%s has given a share already", holder);
		goto refused;
	}
	if ((r = share_file_owner(s, holder, msg, len, why, whylen)) != CK_OK)
		goto refused;
	pk = json_string_value(json_object_get(offer, "box_pk"));
	nonce = json_string_value(json_object_get(offer, "nonce"));
	if (pk == NULL || nonce == NULL ||
	    codec_hex_decode_exact(pk, strlen(pk), box_pk, sizeof(box_pk)) != CK_OK)
		return CK_ERR_STATE;
	if ((r = init_open_share(h, keyfile, passphrase, msg, len, &plain,
	    &x)) != CK_OK) {
		session_why(why, whylen, "%s's share did not decrypt to a well-formed share",
		    holder);
		goto refused;
	}
	if ((r = check_commitment(s, holder, &plain, x, why, whylen)) != CK_OK)
		goto refused;
	if ((r = already_given(s, holder, x)) != CK_OK) {
		session_why(why, whylen, "share x-tag %u was given already", x);
		goto refused;
	}
	r = sealed_seal(box_pk, s->id, s->last_seq + 1, nonce,
	    (const char *)plain.p, plain.len, &box);
	secbuf_free(&plain);
	if (r != CK_OK)
		goto out;
	e = json_pack("{s:s, s:i, s:s}", "holder", holder, "x_tag", x,
	    "sealed", box);
	details = json_pack("{s:s, s:i, s:I}", "holder", holder, "x_tag", x,
	    "seq", (json_int_t)(s->last_seq + 1));
	if (e == NULL || details == NULL ||
	    json_array_append(json_object_get(s->ext, "sealed"), e) != 0) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = session_record(s, "share-sealed", holder, details)) != CK_OK ||
	    (r = session_save(s)) != CK_OK)
		goto out;
	r = CK_OK;
	goto out;
refused:
	session_reject_why(s, "share", r, why, holder);
out:
	secbuf_free(&plain);
	free(box);
	json_decref(e);
	json_decref(details);
	return r;
}

int
quorum_submission(struct session *s, json_t **payload, char *why,
    size_t whylen)
{
	json_t *shares = json_object_get(s->ext, "sealed");
	const char *kind = json_string_value(json_object_get(s->state, "kind"));

	*payload = NULL;
	why[0] = '\0';
	if (strcmp(session_phase(s), QUORUM_PHASE_CONFIRMED) != 0)
		return CK_ERR_STATE;
	if (json_array_size(shares) < quorum_threshold(s)) {
		session_why(why, whylen, "%zu of the %u shares the server needs are sealed",
		    json_array_size(shares), quorum_threshold(s));
		return CK_ERR_TOO_FEW_SHARES;
	}
	*payload = json_pack("{s:s, s:O, s:O}", "kind", kind, "nonce",
	    json_object_get(json_object_get(s->ext, "offer"), "nonce"),
	    "shares", shares);
	if (*payload == NULL ||
	    json_object_set_new(s->ext, "sealed", json_array()) != 0) {
		json_decref(*payload);
		*payload = NULL;
		return CK_ERR_ALLOC;
	}
	return CK_OK;
}

int
quorum_submit_as(struct session *s, enum envelope_type type,
    const char *phase, const char *event, char *why, size_t whylen)
{
	json_t *payload = NULL, *details = NULL;
	int r;

	if ((r = quorum_submission(s, &payload, why, whylen)) != CK_OK) {
		if (r == CK_ERR_TOO_FEW_SHARES)
			session_reject(s, envelope_type_name(type), r, KIND_ACTOR_APPLIANCE);
		return r;
	}
	details = json_pack("{s:I, s:O}", "shares",
	    (json_int_t)json_array_size(json_object_get(payload, "shares")),
	    "nonce", json_object_get(payload, "nonce"));
	if (details == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = session_set_phase(s, phase)) != CK_OK ||
	    (r = session_send(s, type, payload, event, KIND_ACTOR_APPLIANCE,
	    details)) != CK_OK)
		goto out;
	r = CK_OK;
out:
	json_decref(payload);
	json_decref(details);
	return r;
}

int
quorum_submit(struct session *s, char *why, size_t whylen)
{
	return quorum_submit_as(s, ENVELOPE_SHARE_SUBMISSION, "submitted",
	    "shares-submitted", why, whylen);
}

int
quorum_failed(struct session *s, struct envelope *env, const char *event,
    char *why, size_t whylen)
{
	json_t *d;
	int r;

	if (!quorum_field_ok(env->payload, "error")) {
		session_reject(s, "result", CK_ERR_FORMAT,
		    KIND_ACTOR_APPLIANCE);
		return CK_ERR_FORMAT;
	}
	session_why(why, whylen, "%s",
	    json_string_value(json_object_get(env->payload, "error")));
	if ((d = json_pack("{s:O}", "error", json_object_get(env->payload,
	    "error"))) == NULL)
		return CK_ERR_ALLOC;
	session_hold(s);
	r = session_set_phase(s, "failed");
	if (r == CK_OK)
		r = session_accept(s, env, event, KIND_ACTOR_BRIDGE, d);
	json_decref(d);
	if (r == CK_OK)
		r = session_close_as(s, KIND_ACTOR_APPLIANCE, TRANSCRIPT_FAILED,
		    why[0] != '\0' ? why : "the server refused", NULL);
	r = session_release(s, r);
	return r == CK_OK ? CK_ERR_SERVER : r;
}

int
quorum_field_ok(const json_t *p, const char *key)
{
	const json_t *v = json_object_get(p, key);

	return json_is_string(v) && json_string_length(v) > 0 &&
	    json_string_length(v) <= QUORUM_FIELD_MAX &&
	    rd_printable_utf8(json_string_value(v), json_string_length(v), 0) ==
	    CK_OK;
}

/*
 * The handout's entry for a holder (by name, or by share number when name
 * is NULL), created when missing.
 */
static json_t *
handout_entry(json_t *holders, const char *name, json_int_t share)
{
	json_t *e;
	size_t i;

	json_array_foreach(holders, i, e) {
		if (name != NULL ? strcmp(json_string_value(json_object_get(e,
		    "name")), name) == 0 :
		    json_integer_value(json_object_get(e, "share")) == share)
			return e;
	}
	if (name == NULL || (e = json_pack("{s:s, s:I}", "name", name, "share",
	    share)) == NULL || json_array_append_new(holders, e) != 0)
		return NULL;
	return e;
}

int
quorum_handout_add(json_t *holders, const char *name, json_int_t share,
    const char *fpr, const char *enc_keyid)
{
	json_t *e = handout_entry(holders, name, share);

	if (e == NULL ||
	    (fpr != NULL && json_object_set_new(e, "fingerprint",
	    json_string(fpr)) != 0) ||
	    (enc_keyid != NULL && enc_keyid[0] != '\0' &&
	    json_object_set_new(e, "encryption_key", json_string(enc_keyid)) != 0))
		return CK_ERR_ALLOC;
	return CK_OK;
}

int
quorum_handout_proof(json_t *holders, const char *name, json_int_t share,
    json_int_t x_tag, const char *commitment)
{
	json_t *e = handout_entry(holders, name, share);

	if (e == NULL || json_object_set_new(e, "x_tag", json_integer(x_tag)) != 0 ||
	    json_object_set_new(e, "commitment", json_string(commitment)) != 0)
		return CK_ERR_ALLOC;
	return CK_OK;
}

/* The holders of one record's "holders" array (init's roster, rekey's open). */
static int
collect_holders(const json_t *list, json_t *holders)
{
	const json_t *m;
	size_t i;
	int r;

	json_array_foreach(list, i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));

		if (name == NULL || !json_is_integer(json_object_get(m, "share")))
			return CK_ERR_FORMAT;
		if ((r = quorum_handout_add(holders, name, json_integer_value(
		    json_object_get(m, "share")), json_string_value(
		    json_object_get(m, "fingerprint")), json_string_value(
		    json_object_get(m, "encryption_key")))) != CK_OK)
			return r;
	}
	return CK_OK;
}

/* The kinds whose shares a quorum gives (they take a handout). */
static const char *
quorum_kind(const char *k)
{
	static const char *const kinds[] = { KIND_UNSEAL, KIND_GENERATE_ROOT,
	    KIND_DR_TOKEN, KIND_MIGRATE, NULL };
	size_t i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strcmp(kinds[i], k) == 0)
			return kinds[i];
	return NULL;
}

/*
 * Who was handed which share, from the records of one init or rekey; or,
 * from a quorum ceremony's, the handout it took (*carried: that record's
 * details, NULL when it took none).
 */
static int
collect_handout(const uint8_t *buf, size_t len, json_t *holders,
    char id[ENVELOPE_CEREMONY_ID_HEX + 1], const char **kind,
    json_t **carried, int *old_in_force)
{
	const uint8_t *line;
	const char *type, *k, *cid, *c, *who;
	json_t *rec, *d;
	struct rd rd;
	size_t n;
	int r = CK_OK;

	id[0] = '\0';
	*kind = NULL;
	rd_init(&rd, buf, len);
	while (r == CK_OK && rd_end(&rd) != CK_OK) {
		if ((r = rd_line(&rd, TRANSCRIPT_MAX_LINE, &line, &n)) != CK_OK ||
		    (r = rd_json(line, n, TRANSCRIPT_MAX_LINE, &rec)) != CK_OK)
			return r;
		type = json_string_value(json_object_get(rec, "type"));
		d = json_object_get(rec, "details");
		if (type == NULL) {
			r = CK_ERR_FORMAT;
		} else if (strcmp(type, "open") == 0) {
			k = json_string_value(json_object_get(d, "kind"));
			cid = json_string_value(json_object_get(d, "ceremony_id"));
			if (k == NULL || cid == NULL ||
			    strlen(cid) != ENVELOPE_CEREMONY_ID_HEX) {
				r = CK_ERR_FORMAT;
			} else if (strcmp(k, KIND_INIT) == 0 || strcmp(k, KIND_REKEY) == 0) {
				*kind = strcmp(k, KIND_INIT) == 0 ? KIND_INIT : KIND_REKEY;
				memcpy(id, cid, ENVELOPE_CEREMONY_ID_HEX + 1);
				if (json_object_get(d, "holders") != NULL)
					r = collect_holders(json_object_get(d, "holders"),
					    holders);
			} else if (quorum_kind(k) != NULL) {
				*kind = quorum_kind(k);
				memcpy(id, cid, ENVELOPE_CEREMONY_ID_HEX + 1);
			}
		} else if (*kind != NULL && quorum_kind(*kind) != NULL) {
			/* A quorum ceremony takes one handout, at its begin. */
			if (strcmp(type, "handout-commitments-loaded") == 0 &&
			    *carried == NULL)
				*carried = json_incref(d);
		} else if (strcmp(type, "handout-commitments-loaded") == 0) {
			/* A rekey checks the old shares against the handout
			 * that gave them, taken at its begin. */
			if (*carried == NULL)
				*carried = json_incref(d);
		} else if (strcmp(type, "rekey-failed") == 0 ||
		    (strcmp(type, "rekey-abandoned") == 0 &&
		    json_is_true(json_object_get(d, "old_shares_in_force")))) {
			/* Failed before its verification (the bridge cancels
			 * it), or abandoned where the server still keeps the
			 * old shares (rekey_abandon says which). */
			*old_in_force = 1;
		} else if (strcmp(type, "roster") == 0) {
			r = collect_holders(json_object_get(d, "holders"), holders);
		} else if (strcmp(type, "share-handed-out") == 0) {
			who = json_string_value(json_object_get(d, "holder"));
			c = json_string_value(json_object_get(d, "commitment"));
			if (who == NULL || c == NULL ||
			    !json_is_integer(json_object_get(d, "x_tag")) ||
			    !json_is_integer(json_object_get(d, "share")))
				r = CK_ERR_FORMAT;
			else
				r = quorum_handout_proof(holders, who,
				    json_integer_value(json_object_get(d, "share")),
				    json_integer_value(json_object_get(d, "x_tag")) & 0xff, c);
		}
		json_decref(rec);
	}
	if (r == CK_OK && *kind == NULL)
		r = CK_ERR_BAD_TYPE;
	return r;
}

/*
 * The handout a quorum ceremony (id, kind) took, from its record
 * (quorum_take_handout): the shares are still those of the init or rekey
 * it names, whatever that ceremony's outcome. It took none: CK_ERR_NOT_FOUND.
 */
static int
carry_handout(const json_t *d, const char *id, const char *kind,
    json_t **handout)
{
	if (d == NULL)
		return CK_ERR_NOT_FOUND;
	/* A record written before handouts were carried names no commitment. */
	if (json_object_get(d, "handout") == NULL)
		return CK_ERR_UNSUPPORTED;
	if ((*handout = json_pack("{s:O?, s:O?, s:O?, s:O, s:{s:s, s:s}}",
	    "ceremony_id", json_object_get(d, "ceremony_id"), "kind",
	    json_object_get(d, "kind"), "state", json_object_get(d, "state"),
	    "holders", json_object_get(d, "handout"), "via", "ceremony_id", id,
	    "kind", kind)) == NULL)
		return CK_ERR_ALLOC;
	if (quorum_handout_check(*handout) != CK_OK) {
		json_decref(*handout);
		*handout = NULL;
		return CK_ERR_FORMAT;
	}
	return CK_OK;
}

int
quorum_handout_build(const void *buf, size_t len, const void *sig,
    size_t siglen, json_t **handout, int *verified,
    struct transcript_report *rep)
{
	char id[ENVELOPE_CEREMONY_ID_HEX + 1];
	const char *kind = NULL;
	json_t *holders = NULL, *carried = NULL;
	int old_in_force = 0, r;

	*handout = NULL;
	*verified = 0;
	/*
	 * Open or closed, but every record must verify: the unseal right
	 * after an init comes before that init can close, and an open
	 * transcript is one whose chain held to its last record, which is
	 * not a close.
	 */
	r = transcript_verify_buf(buf, len, sig, siglen, NULL, rep);
	if (r == CK_ERR_TRUNCATED && rep->chain_ok && !rep->closed)
		r = CK_OK;
	if (r != CK_OK)
		return r;
	*verified = 1;
	if ((holders = json_array()) == NULL)
		return CK_ERR_ALLOC;
	if ((r = collect_handout(buf, len, holders, id, &kind, &carried,
	    &old_in_force)) == CK_OK && quorum_kind(kind) != NULL) {
		r = carry_handout(carried, id, kind, handout);
		goto done;
	}
	/*
	 * An abandoned init or a rekey that did not complete changed no
	 * one's share (the server keeps the old ones until a rekey's
	 * verification). An init that failed at its close (the root token
	 * not revoked) handed out every share: they count. Such a rekey,
	 * where its record says the old shares are still in force, carries
	 * forward the handout it took for them, as a quorum ceremony does:
	 * the chain's latest is then still checked against holders.
	 */
	if (r == CK_OK && rep->closed && rep->outcome[0] != '\0' &&
	    (strcmp(kind, KIND_INIT) != 0 ||
	    strcmp(rep->outcome, TRANSCRIPT_FAILED) != 0)) {
		r = strcmp(kind, KIND_REKEY) == 0 && old_in_force &&
		    carried != NULL ? carry_handout(carried, id, kind, handout) :
		    CK_ERR_STATE;
		goto done;
	}
	if (r == CK_OK && (*handout = json_pack("{s:s, s:s, s:s, s:O}",
	    "ceremony_id", id, "kind", kind, "state", rep->closed ? "closed" :
	    "open", "holders", holders)) == NULL)
		r = CK_ERR_ALLOC;
done:
	json_decref(carried);
	json_decref(holders);
	return r;
}

/* A string member that must be printable text, or absent (optional). */
static int
text_ok(const json_t *o, const char *key, int optional)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL)
		return optional;
	return json_is_string(v) && json_string_length(v) > 0 &&
	    rd_printable_utf8(json_string_value(v), json_string_length(v), 0) ==
	    CK_OK;
}

/* Only these members (the handout's, quorum.h). */
static int
members_ok(const json_t *o, const char *const *keys)
{
	const char *k;
	const json_t *v;
	size_t i;

	json_object_foreach((json_t *)o, k, v) {
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL)
			return 0;
	}
	return 1;
}

/* A ceremony id: ENVELOPE_CEREMONY_ID_HEX lower-case hex digits. */
static int
hex_id_ok(const json_t *v)
{
	const char *id = json_string_value(v);

	return id != NULL && strlen(id) == ENVELOPE_CEREMONY_ID_HEX &&
	    strspn(id, "0123456789abcdef") == ENVELOPE_CEREMONY_ID_HEX;
}

int
quorum_handout_check(const json_t *h)
{
	static const char *const top[] = { "ceremony_id", "kind", "state",
	    "holders", "via", NULL };
	static const char *const via[] = { "ceremony_id", "kind", NULL };
	static const char *const holder[] = { "name", "share", "fingerprint",
	    "encryption_key", "x_tag", "commitment", NULL };
	const char *kind = json_string_value(json_object_get(h, "kind"));
	const char *state = json_string_value(json_object_get(h, "state"));
	const json_t *e, *f, *x, *v = json_object_get(h, "via");
	size_t i, j;

	/* The quorum ceremony that carried it forward (quorum_handout_build). */
	if (v != NULL && (!json_is_object(v) || !members_ok(v, via) ||
	    !hex_id_ok(json_object_get(v, "ceremony_id")) ||
	    !json_is_string(json_object_get(v, "kind")) ||
	    (quorum_kind(json_string_value(json_object_get(v, "kind"))) ==
	    NULL && strcmp(json_string_value(json_object_get(v, "kind")),
	    KIND_REKEY) != 0)))
		return CK_ERR_FORMAT;

	if (!json_is_object(h) || !members_ok(h, top) || kind == NULL ||
	    (strcmp(kind, KIND_INIT) != 0 && strcmp(kind, KIND_REKEY) != 0) ||
	    state == NULL || (strcmp(state, "open") != 0 &&
	    strcmp(state, "closed") != 0) ||
	    !hex_id_ok(json_object_get(h, "ceremony_id")) ||
	    !json_is_array(json_object_get(h, "holders")) ||
	    /* a rekey names the old holders and the new */
	    json_array_size(json_object_get(h, "holders")) > 2 * KIND_MAX_SHARES)
		return CK_ERR_FORMAT;
	json_array_foreach(json_object_get(h, "holders"), i, e) {
		x = json_object_get(e, "x_tag");
		if (!json_is_object(e) || !members_ok(e, holder) ||
		    !text_ok(e, "name", 0) ||
		    !json_is_integer(json_object_get(e, "share")) ||
		    !text_ok(e, "fingerprint", 1) ||
		    !text_ok(e, "encryption_key", 1) ||
		    !text_ok(e, "commitment", 1) ||
		    (x == NULL) != (json_object_get(e, "commitment") == NULL) ||
		    (x != NULL && (!json_is_integer(x) ||
		    json_integer_value(x) < 0 || json_integer_value(x) > 0xff)))
			return CK_ERR_FORMAT;
		/* one entry per holder */
		json_array_foreach(json_object_get(h, "holders"), j, f)
			if (j < i && strcmp(json_string_value(json_object_get(f,
			    "name")), json_string_value(json_object_get(e,
			    "name"))) == 0)
				return CK_ERR_FORMAT;
	}
	return CK_OK;
}

/* Where quorum_read_handout builds (quorum_set_isolation). */
static quorum_handout_fn isolated;

void
quorum_set_isolation(quorum_handout_fn fn)
{
	isolated = fn;
}

int
quorum_read_handout(const char *transcript, json_t **handout, char *why,
    size_t whylen)
{
	struct transcript_report rep;
	struct transcript_files f;
	int verified = 0, r;

	why[0] = '\0';
	*handout = NULL;
	/* The records read are the bytes that verified, read once. */
	if ((r = transcript_files_open(transcript, isolated == NULL, &f, &rep))
	    == CK_OK) {
		r = isolated != NULL ?
		    isolated(f.fd, f.sigfd, handout, &verified, &rep) :
		    quorum_handout_build(f.buf, f.len, f.sig, f.siglen, handout,
		    &verified, &rep);
		transcript_files_close(&f);
	}
	if (r != CK_OK && !verified)
		session_why(why, whylen, "%s does not verify: %s", transcript,
		    rep.reason[0] != '\0' ? rep.reason : ck_strerror(r));
	else if (r != CK_OK)
		session_why(why, whylen, r == CK_ERR_BAD_TYPE ?
		    "%s is not the transcript of a ceremony that hands out or "
		    "takes shares: give the cluster's latest init or rekey "
		    "transcript, or one of the chain since" :
		    r == CK_ERR_STATE ? "%s is an init abandoned or a rekey that "
		    "did not complete: it handed out no share that counts; give "
		    "the transcript of the init or rekey that did" :
		    r == CK_ERR_NOT_FOUND ? "%s checked no handout: its shares "
		    "were not checked against holders; give the latest init or "
		    "rekey transcript, or that of a ceremony since that checked "
		    "one" :
		    r == CK_ERR_UNSUPPORTED ? "%s records its handout without "
		    "the commitments (an older transcript): give the latest "
		    "init or rekey transcript" :
		    "%s: the handout records are malformed", transcript);
	return r;
}

int
quorum_take_handout(struct session *s, const json_t *handout)
{
	const json_t *e;
	json_t *d, *names = json_array();
	size_t i;
	int r;

	if (names == NULL)
		return CK_ERR_ALLOC;
	json_array_foreach(json_object_get(handout, "holders"), i, e)
		if (json_object_get(e, "commitment") != NULL)
			json_array_append(names, json_object_get(e, "name"));
	/*
	 * The whole handout goes on the record: the next quorum ceremony
	 * chained to this one carries it forward (quorum_handout_build), and
	 * "via" names the ceremony it was carried from, so an auditor follows
	 * the chain back to the init or rekey that handed the shares out.
	 */
	d = json_pack("{s:O, s:O, s:O, s:o, s:O}", "ceremony_id",
	    json_object_get(handout, "ceremony_id"), "kind",
	    json_object_get(handout, "kind"), "state",
	    json_object_get(handout, "state"), "holders", names, "handout",
	    json_object_get(handout, "holders"));
	if (d != NULL && json_object_get(handout, "via") != NULL &&
	    json_object_set(d, "via", json_object_get(handout, "via")) != 0) {
		json_decref(d);
		d = NULL;
	}
	if (d == NULL || json_object_set(s->ext, "handout",
	    (json_t *)handout) != 0) {
		json_decref(d);
		return CK_ERR_ALLOC;
	}
	r = session_record(s, "handout-commitments-loaded", KIND_ACTOR_APPLIANCE, d);
	json_decref(d);
	return r == CK_OK ? session_save(s) : r;
}

/* The handout entry of the holder whose key or x-tag this is, or NULL. */
static const json_t *
handout_owner(const json_t *h, const char *key, const char *val, int x)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(h, "holders"), i, e) {
		if (key != NULL && val != NULL && json_string_value(
		    json_object_get(e, key)) != NULL && strcmp(json_string_value(
		    json_object_get(e, key)), val) == 0)
			return e;
		if (key == NULL && json_is_integer(json_object_get(e, "x_tag")) &&
		    json_integer_value(json_object_get(e, "x_tag")) == x)
			return e;
	}
	return NULL;
}

static const char *
handout_id(const struct session *s)
{
	const char *id = json_string_value(json_object_get(json_object_get(
	    s->ext, "handout"), "ceremony_id"));

	return id != NULL ? id : "?";
}

static int
share_file_owner(const struct session *s, const char *holder,
    const uint8_t *msg, size_t len, char *why, size_t whylen)
{
	const json_t *h = json_object_get(s->ext, "handout"), *me, *other;
	const char *want;
	struct pgppkt_recipients rc;
	int r;

	why[0] = '\0';
	if (h == NULL)
		return CK_OK;
	if ((me = handout_owner(h, "name", holder, 0)) == NULL ||
	    json_object_get(me, "commitment") == NULL) {
		session_why(why, whylen, "%s was handed no share at %s ceremony "
		    "%.8s", holder, json_string_value(json_object_get(h, "kind")),
		    handout_id(s));
		return CK_ERR_WRONG_HOLDER;
	}
	if ((r = pgppkt_recipients(msg, len, &rc)) != CK_OK) {
		session_why(why, whylen, "the file on %s's stick is not an "
		    "encrypted share", holder);
		return r;
	}
	want = json_string_value(json_object_get(me, "encryption_key"));
	if (want == NULL)
		return CK_OK;	/* an older transcript: the x-tag decides */
	if (rc.n == 1 && strcmp(rc.keyid[0], want) == 0)
		return CK_OK;
	if (rc.n == 1 && (other = handout_owner(h, "encryption_key",
	    rc.keyid[0], 0)) != NULL) {
		session_why(why, whylen, "this is %s's share (share %d), not %s's: "
		    "%s's stick is needed", json_string_value(json_object_get(other,
		    "name")), (int)json_integer_value(json_object_get(other,
		    "share")), holder, holder);
		return CK_ERR_WRONG_HOLDER;
	}
	session_why(why, whylen, "this share is encrypted to no holder of %s "
	    "ceremony %.8s", json_string_value(json_object_get(h, "kind")),
	    handout_id(s));
	return CK_ERR_WRONG_RECIPIENT;
}

int
quorum_check_share_file(struct session *s, const char *holder,
    const uint8_t *msg, size_t len, char *why, size_t whylen)
{
	/* A holder whose share is sealed already (a turn taken before a
	 * restart, say) is told so before typing a passphrase for nothing. */
	int r = already_given(s, holder, -1);

	if (r != CK_OK)
		session_why(why, whylen, "%s has given a share already", holder);
	else
		r = share_file_owner(s, holder, msg, len, why, whylen);
	if (r != CK_OK)
		session_reject_why(s, "share", r, why, holder);
	return r;
}

/* The handout entry holding one of the fingerprints in f, or NULL. */
static const json_t *
handout_key_owner(const json_t *h, const struct pgp_fprs *f)
{
	const json_t *e;
	const char *fpr;
	size_t i, j;

	json_array_foreach(json_object_get(h, "holders"), i, e) {
		if ((fpr = json_string_value(json_object_get(e, "fingerprint"))) ==
		    NULL)
			continue;
		for (j = 0; j < f->n; j++)
			if (strcasecmp(f->fpr[j], fpr) == 0)
				return e;
	}
	return NULL;
}

int
quorum_check_key_file(struct session *s, const char *holder,
    const char *keyfile, char *why, size_t whylen)
{
	const json_t *ho = json_object_get(s->ext, "handout"), *me, *owner;
	struct pgp_fprs f;
	int r;

	why[0] = '\0';
	if (ho == NULL || (me = handout_owner(ho, "name", holder, 0)) == NULL ||
	    json_string_value(json_object_get(me, "fingerprint")) == NULL)
		return CK_OK;	/* the share file's check decides */
	if ((r = pgp_keyfile_fprs(keyfile, &f)) != CK_OK) {
		session_why(why, whylen, "the key file on %s's stick could not be "
		    "read", holder);
		goto refused;
	}
	if ((owner = handout_key_owner(ho, &f)) == me)
		return CK_OK;
	if (owner != NULL) {
		session_why(why, whylen, "this stick brings %s's key, not %s's: "
		    "%s's stick is needed", json_string_value(json_object_get(owner,
		    "name")), holder, holder);
		r = CK_ERR_WRONG_HOLDER;
	} else {
		session_why(why, whylen, "the key on this stick is no holder's of "
		    "%s ceremony %.8s, not %s's", json_string_value(json_object_get(ho,
		    "kind")), handout_id(s), holder);
		r = CK_ERR_WRONG_KEY;
	}
refused:
	session_reject_why(s, "share", r, why, holder);
	return r;
}

/* Is the share text the one handed out to this holder with this x-tag? */
static int
check_commitment(const struct session *s, const char *holder,
    const struct secbuf *plain, uint8_t x, char *why, size_t whylen)
{
	const json_t *h = json_object_get(s->ext, "handout"), *me, *other;
	const char *id_hex = handout_id(s), *want;
	uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], got[INIT_COMMIT_BYTES];
	char hex[2 * INIT_COMMIT_BYTES + 1];

	if (h == NULL)
		return CK_OK;
	me = handout_owner(h, "name", holder, 0);
	if (me == NULL || json_integer_value(json_object_get(me, "x_tag")) != x) {
		other = handout_owner(h, NULL, NULL, x);
		if (other != NULL) {
			session_why(why, whylen, "this is %s's share (share %d), "
			    "not %s's", json_string_value(json_object_get(other,
			    "name")), (int)json_integer_value(json_object_get(other,
			    "share")), holder);
			return CK_ERR_WRONG_HOLDER;
		}
		goto foreign;
	}
	want = json_string_value(json_object_get(me, "commitment"));
	if (want == NULL ||
	    envelope_ceremony_id_parse(id_hex, strlen(id_hex), id) != CK_OK)
		goto foreign;
	init_commitment(id, (const char *)plain->p, plain->len, got);
	if (codec_hex_encode(got, sizeof(got), hex, sizeof(hex)) != CK_OK)
		return CK_ERR_INTERNAL;
	if (strcmp(hex, want) == 0)
		return CK_OK;
foreign:
	session_why(why, whylen, "%s's share was not handed out at %s ceremony "
	    "%.8s: a share of another cluster or ceremony", holder,
	    json_string_value(json_object_get(h, "kind")), id_hex);
	return CK_ERR_WRONG_CEREMONY;
}
