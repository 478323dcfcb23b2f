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

#include "ceremony/init.h"
#include "ceremony/roster.h"
#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
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
 * the setting that opens it goes on the record, and nothing goes further.
 */
static int
unavailable(struct session *s, const json_t *p, char *why, size_t whylen)
{
	const json_t *u = json_object_get(p, "unavailable");
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
	r = session_record(s, "endpoint-disabled", KIND_ACTOR_BRIDGE, d);
	json_decref(d);
	if (r != CK_OK)
		return r;
	session_reject(s, "session-offer", CK_ERR_DISABLED_ENDPOINT,
	    KIND_ACTOR_APPLIANCE);
	return CK_ERR_DISABLED_ENDPOINT;
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
	if ((r = unavailable(s, p, why, whylen)) != CK_OK)
		goto out;
	if ((r = parse_offer(s, p, box_pk, why, whylen)) != CK_OK) {
		session_reject(s, "session-offer", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	if ((r = words_sas(s->pk, box_pk, s->id, QUORUM_SAS_WORDS, sas,
	    QUORUM_SAS_MAX)) != CK_OK)
		goto out;
	if (confirm == NULL) {
		session_why(why, whylen, "a witness compares the words on both screens");
		r = CK_ERR_INCOMPLETE;
		goto out;
	}
	if (strcmp(confirm, sas) != 0) {
		session_why(why, whylen, "the words typed are not this screen's: the offer "
		    "may come from another bridge; nothing is sealed to it");
		session_reject(s, "session-offer", CK_ERR_SAS_MISMATCH,
		    witness != NULL ? witness : KIND_ACTOR_APPLIANCE);
		r = CK_ERR_SAS_MISMATCH;
		goto out;
	}
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

static int check_commitment(const struct session *s,
    const struct secbuf *plain, uint8_t x);

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
	if ((r = already_given(s, holder, x)) != CK_OK) {
		session_why(why, whylen, "share x-tag %u was given already", x);
		goto refused;
	}
	if ((r = check_commitment(s, &plain, x)) != CK_OK) {
		session_why(why, whylen, "%s's share was not handed out at init "
		    "ceremony %s: a share of another cluster or ceremony", holder,
		    json_string_value(json_object_get(json_object_get(s->ext,
		    "handout"), "ceremony_id")));
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
	session_reject(s, "share", r, holder);
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
	r = session_set_phase(s, "failed");
	if (r == CK_OK)
		r = session_accept(s, env, event, KIND_ACTOR_BRIDGE, d);
	json_decref(d);
	if (r == CK_OK)
		r = session_close(s, KIND_ACTOR_APPLIANCE, NULL);
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

/* The handout records of one verified init transcript. */
static int
collect_commitments(const uint8_t *buf, size_t len, json_t *by_x,
    char id[ENVELOPE_CEREMONY_ID_HEX + 1])
{
	const uint8_t *line;
	const char *type, *kind, *cid, *c;
	json_t *rec, *d;
	struct rd rd;
	size_t n;
	char x[4];
	int r;

	id[0] = '\0';
	rd_init(&rd, buf, len);
	while (rd_end(&rd) != CK_OK) {
		if ((r = rd_line(&rd, TRANSCRIPT_MAX_LINE, &line, &n)) != CK_OK ||
		    (r = rd_json(line, n, TRANSCRIPT_MAX_LINE, &rec)) != CK_OK)
			return r;
		type = json_string_value(json_object_get(rec, "type"));
		d = json_object_get(rec, "details");
		if (type != NULL && strcmp(type, "open") == 0) {
			kind = json_string_value(json_object_get(d, "kind"));
			cid = json_string_value(json_object_get(d, "ceremony_id"));
			if (kind != NULL && cid != NULL && strcmp(kind, KIND_INIT) == 0 &&
			    strlen(cid) == ENVELOPE_CEREMONY_ID_HEX)
				memcpy(id, cid, ENVELOPE_CEREMONY_ID_HEX + 1);
		} else if (type != NULL && strcmp(type, "share-handed-out") == 0 &&
		    (c = json_string_value(json_object_get(d, "commitment"))) != NULL &&
		    json_is_integer(json_object_get(d, "x_tag"))) {
			snprintf(x, sizeof(x), "%d",
			    (int)(json_integer_value(json_object_get(d, "x_tag")) & 0xff));
			json_object_set_new(by_x, x, json_string(c));
		}
		json_decref(rec);
	}
	return id[0] != '\0' ? CK_OK : CK_ERR_BAD_TYPE;
}

int
quorum_load_commitments(struct session *s, const char *init_transcript,
    char *why, size_t whylen)
{
	struct transcript_report rep;
	char id[ENVELOPE_CEREMONY_ID_HEX + 1];
	uint8_t *buf = NULL;
	size_t len = 0;
	json_t *by_x = json_object(), *h = NULL, *d = NULL;
	int r;

	why[0] = '\0';
	if (by_x == NULL)
		return CK_ERR_ALLOC;
	/* The records read are the bytes that verified, not a second read
	 * of a file that may have changed on the stick in between. */
	if ((r = transcript_verify_keep(init_transcript, NULL, &rep, &buf,
	    &len)) != CK_OK || !rep.closed) {
		session_why(why, whylen, "the init transcript does not verify%s",
		    r == CK_OK ? " (not closed)" : "");
		r = r != CK_OK ? r : CK_ERR_INCOMPLETE;
		goto out;
	}
	if ((r = collect_commitments(buf, len, by_x, id)) != CK_OK) {
		session_why(why, whylen, "no init ceremony's handouts in %s",
		    init_transcript);
		goto out;
	}
	h = json_pack("{s:s, s:O}", "ceremony_id", id, "commitments", by_x);
	d = json_pack("{s:s, s:I}", "init_ceremony_id", id, "handouts",
	    (json_int_t)json_object_size(by_x));
	if (h == NULL || d == NULL || json_object_set(s->ext, "handout", h) != 0) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = session_record(s, "handout-commitments-loaded", KIND_ACTOR_APPLIANCE,
	    d)) != CK_OK || (r = session_save(s)) != CK_OK)
		goto out;
	r = CK_OK;
out:
	free(buf);
	json_decref(by_x);
	json_decref(h);
	json_decref(d);
	return r;
}

/* Is the share text the one handed out with this x-tag at init? */
static int
check_commitment(const struct session *s, const struct secbuf *plain,
    uint8_t x)
{
	const json_t *h = json_object_get(s->ext, "handout");
	const char *id_hex = json_string_value(json_object_get(h, "ceremony_id"));
	const char *want;
	uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], got[INIT_COMMIT_BYTES];
	char key[4], hex[2 * INIT_COMMIT_BYTES + 1];

	if (h == NULL)
		return CK_OK;
	snprintf(key, sizeof(key), "%d", x);
	want = json_string_value(json_object_get(json_object_get(h,
	    "commitments"), key));
	if (id_hex == NULL || want == NULL ||
	    envelope_ceremony_id_parse(id_hex, strlen(id_hex), id) != CK_OK)
		return CK_ERR_WRONG_CEREMONY;
	init_commitment(id, (const char *)plain->p, plain->len, got);
	if (codec_hex_encode(got, sizeof(got), hex, sizeof(hex)) != CK_OK)
		return CK_ERR_INTERNAL;
	return strcmp(hex, want) == 0 ? CK_OK : CK_ERR_WRONG_CEREMONY;
}
