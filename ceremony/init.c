/*
 * The init ceremony, appliance side (see init.h).
 *
 * Limits: at most KIND_MAX_SHARES shares; each encrypted share or token at
 * most PGPPKT_MSG_MAX bytes once decoded; the payloads are the envelope's,
 * already bounded by ENVELOPE_MAX_PAYLOAD and parsed strictly.
 */
#include "ceremony/init.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "crypto/shamir.h"
#include "media/file.h"

#define SHARE_FILE_MODE	0644	/* encrypted: only the holder's key opens it */
#define SHARE_HEX_LEN	(2 * SHAMIR_KEY_SHARE_LEN)

static const char *
shares_name(enum init_shares shares)
{
	return shares == INIT_RECOVERY ? "recovery" : "unseal";
}

static json_t *
member_json(const struct roster_member *m)
{
	return json_pack("{s:s, s:s, s:s}", "name", m->name, "fingerprint",
	    m->fpr, "encryption_key", m->enc_keyid);
}

/* Who takes part, for the transcript (fingerprints, never secrets). */
static json_t *
roster_record(const struct roster *r)
{
	json_t *holders = json_array(), *others = json_array(), *o;
	size_t i;

	for (i = 0; holders != NULL && others != NULL && i < r->n; i++) {
		const struct roster_member *m = &r->m[i];

		if ((o = member_json(m)) == NULL)
			break;
		json_object_set_new(o, "role", json_string(roster_role_name(m->role)));
		if (m->role == ROSTER_HOLDER)
			json_object_set_new(o, "share", json_integer(m->share_index));
		json_array_append_new(m->role == ROSTER_HOLDER ? holders : others, o);
	}
	return json_pack("{s:o, s:o}", "holders", holders, "others", others);
}

static int
request_payload(const struct roster *r, unsigned t, enum init_shares shares,
    json_t **out)
{
	const struct roster_member *op = roster_operator(r);
	json_t *keys = json_array(), *holders = json_array();
	unsigned k;

	*out = NULL;
	for (k = 1; keys != NULL && holders != NULL && k <= r->n_holders; k++) {
		const struct roster_member *m = roster_holder(r, k);

		json_array_append_new(keys, json_string(m->key_b64));
		json_array_append_new(holders, json_pack("{s:I, s:s, s:s}",
		    "share", (json_int_t)k, "name", m->name, "fingerprint", m->fpr));
	}
	*out = json_pack("{s:s, s:s, s:I, s:I, s:o, s:s, s:o}",
	    "kind", KIND_INIT, "shares", shares_name(shares),
	    "n", (json_int_t)r->n_holders, "t", (json_int_t)t,
	    "pgp_keys", keys, "root_token_pgp_key", op->key_b64,
	    "holders", holders);
	return *out != NULL ? CK_OK : CK_ERR_ALLOC;
}

int
init_begin(const char *state_dir, const char *exchange_root,
    const struct roster *roster, unsigned t, enum init_shares shares,
    const uint8_t *prev, struct session **out)
{
	struct session *s = NULL;
	json_t *details = NULL, *payload = NULL, *who = NULL;
	char *text = NULL;
	size_t textlen = 0;
	int r;

	*out = NULL;
	if ((r = kinds_check_quorum((unsigned)roster->n_holders, t)) != CK_OK)
		return r;
	if (roster_operator(roster) == NULL)
		return CK_ERR_INVALID_ARG;
	details = json_pack("{s:s, s:I, s:I}", "shares", shares_name(shares),
	    "n", (json_int_t)roster->n_holders, "t", (json_int_t)t);
	if (details == NULL || (who = roster_record(roster)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = session_create(state_dir, exchange_root, KIND_INIT,
	    KIND_ACTOR_APPLIANCE, details, prev, &s)) != CK_OK)
		goto out;
	if ((r = roster_dump(roster, &text, &textlen)) != CK_OK ||
	    (r = session_write_file(s, SESSION_ROSTER, text, textlen)) != CK_OK ||
	    (r = session_record(s, "roster", KIND_ACTOR_APPLIANCE, who)) != CK_OK)
		goto out;
	if ((r = request_payload(roster, t, shares, &payload)) != CK_OK)
		goto out;
	if ((r = session_request(s, ENVELOPE_INIT_REQUEST, payload,
	    "init-request-sent", details)) != CK_OK)
		goto out;
	*out = s;
	s = NULL;
	r = CK_OK;
out:
	free(text);
	json_decref(details);
	json_decref(payload);
	json_decref(who);
	session_discard(s);
	return r;
}

int
init_load_roster(struct session *s, struct roster **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = session_read_file(s, SESSION_ROSTER, ROSTER_JSON_MAX, &buf,
	    &len)) != CK_OK)
		return r;
	r = roster_parse(buf, len, out);
	free(buf);
	return r;
}

int
init_check_witness(struct session *s, const char *name, char *why,
    size_t whylen)
{
	const json_t *declared = json_object_get(s->state,
	    SESSION_REVIEW_WITNESSES), *e;
	struct roster *ro = NULL;
	char list[200] = "";
	size_t i, used = 0, named = 0;
	int found = 0;

	if (init_load_roster(s, &ro) != CK_OK)
		ro = NULL;
	for (i = 0; ro != NULL && i < ro->n; i++)
		if (ro->m[i].role == ROSTER_WITNESS) {
			found |= strcmp(ro->m[i].name, name) == 0;
			if (used < sizeof(list))
				used += (size_t)snprintf(list + used, sizeof(list) -
				    used, "%s%s", named++ ? ", " : "", ro->m[i].name);
		}
	roster_free(ro);
	json_array_foreach(declared, i, e) {
		if (!json_is_string(e))
			continue;
		found |= strcmp(json_string_value(e), name) == 0;
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used,
			    "%s%s", named++ ? ", " : "", json_string_value(e));
	}
	if (found || named == 0)
		return CK_OK;
	session_why(why, whylen, "%s is not one of this ceremony's witnesses "
	    "(%s); the witnesses on its roster or declared at begin answer",
	    name, list);
	return CK_ERR_NOT_A_WITNESS;
}

static unsigned
ext_uint(const struct session *s, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(s->ext, key));

	return v > 0 && v <= KIND_MAX_SHARES ? (unsigned)v : 0;
}

static int
is_recovery(const struct session *s)
{
	const char *v = json_string_value(json_object_get(s->ext, "shares"));

	return v != NULL && strcmp(v, "recovery") == 0;
}

/* Decode base64 (at most max bytes once decoded) into a malloc'd buffer. */
static int
decode_b64(const char *b64, size_t max, uint8_t **out, size_t *len)
{
	int r;

	*out = NULL;
	if (b64 == NULL)
		return CK_ERR_FORMAT;
	if ((*out = malloc(max)) == NULL)
		return CK_ERR_ALLOC;
	if ((r = codec_b64_decode(CODEC_B64_PADDED, b64, strlen(b64), *out, max,
	    len)) != CK_OK) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/* A base64 OpenPGP message from the server. */
static int
decode_msg(const json_t *j, uint8_t **msg, size_t *len)
{
	return decode_b64(json_string_value(j), PGPPKT_MSG_MAX, msg, len);
}

/* Is msg encrypted to m's subkey (and nobody else)? */
static int
check_recipient(const json_t *j, const struct roster_member *m,
    uint8_t hash[32])
{
	uint8_t *msg = NULL;
	size_t len = 0;
	int r;

	if ((r = decode_msg(j, &msg, &len)) != CK_OK)
		return r;
	r = roster_check_recipient(m, msg, len);
	if (hash != NULL)
		crypto_generichash(hash, 32, msg, len, NULL, 0);
	free(msg);
	return r;
}

static int
hex_string(const uint8_t *bin, size_t len, json_t **out)
{
	char hex[2 * 64 + 1];

	*out = NULL;
	if (codec_hex_encode(bin, len, hex, sizeof(hex)) != CK_OK)
		return CK_ERR_INTERNAL;
	return (*out = json_string(hex)) != NULL ? CK_OK : CK_ERR_ALLOC;
}

/* The checks of init_accept on the payload; *shares_out lists them. */
int
init_check_shares(const struct roster *ro, const json_t *keys, unsigned n,
    const char *what, json_t **shares_out, char *why, size_t whylen)
{
	uint8_t hash[32];
	json_t *list = json_array(), *h = NULL;
	unsigned k;
	int r;

	*shares_out = NULL;
	if (list == NULL)
		return CK_ERR_ALLOC;
	if (!json_is_array(keys) || json_array_size(keys) != n) {
		session_why(why, whylen, "asked for %u %s shares, the server returned %zu",
		    n, what, json_is_array(keys) ? json_array_size(keys) : (size_t)0);
		r = CK_ERR_SHARE_COUNT;
		goto out;
	}
	for (k = 1; k <= n; k++) {
		const struct roster_member *m = roster_holder(ro, k);

		if (m == NULL) {
			r = CK_ERR_SHARE_COUNT;
			goto out;
		}
		if ((r = check_recipient(json_array_get(keys, k - 1), m,
		    hash)) != CK_OK) {
			session_why(why, whylen, "share %u is not encrypted to %s's key %s",
			    k, m->name, m->enc_keyid);
			goto out;
		}
		if ((r = hex_string(hash, sizeof(hash), &h)) != CK_OK)
			goto out;
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:o}",
		    "share", (json_int_t)k, "holder", m->name, "encrypted_to",
		    m->enc_keyid, "ciphertext", h));
	}
	*shares_out = list;
	list = NULL;
	r = CK_OK;
out:
	json_decref(list);
	return r;
}

/* Is every member of o one of the names in allowed (NULL-terminated)? */
static int
only_members(const json_t *o, const char *const *allowed, const char *what,
    char *why, size_t whylen)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)o, k, v) {
		for (i = 0; allowed[i] != NULL && strcmp(k, allowed[i]) != 0; i++)
			;
		if (allowed[i] == NULL) {
			/* The name is untrusted: shown only when short and printable. */
			if (strlen(k) <= 64 && rd_printable_utf8(k, strlen(k),
			    0) == CK_OK)
				session_why(why, whylen, "%s has a member \"%s\" the "
				    "protocol does not define", what, k);
			else
				session_why(why, whylen, "%s has a member the protocol "
				    "does not define", what);
			return CK_ERR_FORMAT;
		}
	}
	return CK_OK;
}

/*
 * The server answers each encrypted share twice, as hex ("keys") and as
 * base64 ("keys_base64"); the appliance hands out the base64 copy, so the
 * hex one, when present, must be the same bytes (else a reader of the
 * envelope could be shown a share nobody checked).
 */
static int
hex_agrees(const json_t *hex, const json_t *b64, const char *field,
    char *why, size_t whylen)
{
	uint8_t *a = NULL, *b = NULL;
	size_t i, alen = 0, blen = 0;
	int r = CK_OK;

	if (hex == NULL)
		return CK_OK;
	if (!json_is_array(hex) || json_array_size(hex) != json_array_size(b64)) {
		session_why(why, whylen, "response.%s does not list the same shares "
		    "as its base64 copy", field);
		return CK_ERR_FORMAT;
	}
	for (i = 0; r == CK_OK && i < json_array_size(hex); i++) {
		const char *h = json_string_value(json_array_get(hex, i));

		if (h == NULL || (r = decode_msg(json_array_get(b64, i), &b,
		    &blen)) != CK_OK) {
			r = CK_ERR_FORMAT;
		} else if ((a = malloc(PGPPKT_MSG_MAX)) == NULL) {
			r = CK_ERR_ALLOC;
		} else if (codec_hex_decode(h, strlen(h), a, PGPPKT_MSG_MAX,
		    &alen) != CK_OK || alen != blen || memcmp(a, b, blen) != 0) {
			session_why(why, whylen, "response.%s[%zu] is not the same "
			    "share as its base64 copy", field, i);
			r = CK_ERR_FORMAT;
		}
		free(a);
		free(b);
		a = b = NULL;
	}
	return r;
}

static const char *const result_members[] = { "response", "server", NULL };
static const char *const response_members[] = { "keys", "keys_base64",
	"recovery_keys", "recovery_keys_base64", "root_token", NULL };
static const char *const server_members[] = { "address", "version", "type",
	"cluster_id", "cluster_name", "recovery_seal", "init_time", NULL };

/* The envelope's shape: known members only, the identity recordable. */
static int
check_result_form(const json_t *p, char *why, size_t whylen)
{
	const json_t *resp = json_object_get(p, "response");
	const json_t *srv = json_object_get(p, "server");
	int r;

	if (!json_is_object(resp) || !json_is_object(srv)) {
		session_why(why, whylen, "the result has no server response or identity");
		return CK_ERR_FORMAT;
	}
	if ((r = only_members(p, result_members, "the result", why,
	    whylen)) != CK_OK ||
	    (r = only_members(resp, response_members, "response", why,
	    whylen)) != CK_OK ||
	    (r = only_members(srv, server_members, "server", why,
	    whylen)) != CK_OK ||
	    (r = session_check_recordable(srv, "server", why, whylen)) != CK_OK)
		return r;
	if (!json_is_string(json_object_get(srv, "address")) ||
	    !json_is_string(json_object_get(srv, "version")) ||
	    !json_is_string(json_object_get(srv, "type"))) {
		session_why(why, whylen, "server needs address, version and type "
		    "as text");
		return CK_ERR_FORMAT;
	}
	return CK_OK;
}

static int
check_result(struct session *s, const struct roster *ro, const json_t *p,
    json_t **shares_out, char *why, size_t whylen)
{
	const char *field = is_recovery(s) ? "recovery_keys_base64" : "keys_base64";
	const json_t *resp = json_object_get(p, "response");
	const struct roster_member *op = roster_operator(ro);
	json_t *list = NULL;
	int r;

	*shares_out = NULL;
	if ((r = check_result_form(p, why, whylen)) != CK_OK)
		return r;
	if ((r = init_check_shares(ro, json_object_get(resp, field),
	    ext_uint(s, "n"), is_recovery(s) ? "recovery" : "unseal", &list, why,
	    whylen)) != CK_OK)
		return r;
	if ((r = check_recipient(json_object_get(resp, "root_token"), op,
	    NULL)) != CK_OK) {
		session_why(why, whylen, "the root token is not encrypted to the operator "
		    "%s's key %s", op->name, op->enc_keyid);
		json_decref(list);
		return r;
	}
	if ((r = hex_agrees(json_object_get(resp, is_recovery(s) ?
	    "recovery_keys" : "keys"), json_object_get(resp, field),
	    is_recovery(s) ? "recovery_keys" : "keys", why, whylen)) != CK_OK) {
		json_decref(list);
		return r;
	}
	*shares_out = list;
	return CK_OK;
}

/*
 * Everything is checked before anything is saved: the envelope's binding,
 * its form, every share's recipient, and that its record can be written.
 * The record, the pinned bridge key, last_seq and the phase then move in
 * session_accept, or not at all.
 */
int
init_accept(struct session *s, char *why, size_t whylen)
{
	struct envelope env = { 0 };
	struct roster *ro = NULL;
	json_t *shares = NULL, *details = NULL, *server, *resp, *keys;
	int r;

	why[0] = '\0';
	if (strcmp(session_phase(s), "requested") != 0)
		return CK_ERR_STATE;
	if ((r = init_load_roster(s, &ro)) != CK_OK)
		goto out;
	if ((r = session_receive(s, ENVELOPE_INIT_RESULT, &env)) != CK_OK) {
		session_reject(s, "init-result", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	if ((r = check_result(s, ro, env.payload, &shares, why, whylen)) != CK_OK) {
		session_reject_why(s, "init-result", r, why, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	server = json_object_get(env.payload, "server");
	resp = json_object_get(env.payload, "response");
	keys = json_object_get(resp, is_recovery(s) ? "recovery_keys_base64" :
	    "keys_base64");
	details = json_pack("{s:O, s:O}", "server", server, "shares", shares);
	if (details == NULL ||
	    json_object_set(s->ext, "encrypted_shares", keys) != 0 ||
	    json_object_set(s->ext, "server", server) != 0 ||
	    json_object_set_new(s->ext, "proofs", json_array()) != 0) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = session_set_phase(s, "accepted")) != CK_OK ||
	    (r = session_accept(s, &env, "init-result-accepted", KIND_ACTOR_BRIDGE,
	    details)) != CK_OK) {
		session_reject(s, "init-result", r, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	r = CK_OK;
out:
	json_decref(shares);
	json_decref(details);
	roster_free(ro);
	envelope_free(&env);
	return r;
}

static int
proven(const struct session *s, unsigned k, uint8_t x, int *dup_x)
{
	const json_t *proofs = json_object_get(s->ext, "proofs"), *p;
	size_t i;
	int found = 0;

	*dup_x = 0;
	json_array_foreach(proofs, i, p) {
		if (json_integer_value(json_object_get(p, "share")) == k)
			found = 1;
		else if (json_integer_value(json_object_get(p, "x_tag")) == x)
			*dup_x = 1;
	}
	return found;
}

int
init_handed_out(const struct session *s, unsigned k)
{
	int dup_x;

	return proven(s, k, 0, &dup_x);
}

void
init_commitment(const uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], const char *text,
    size_t len, uint8_t out[INIT_COMMIT_BYTES])
{
	crypto_generichash_state st;
	uint8_t key[crypto_generichash_KEYBYTES];

	crypto_generichash_init(&st, NULL, 0, sizeof(key));
	crypto_generichash_update(&st, (const uint8_t *)INIT_COMMIT_LABEL,
	    strlen(INIT_COMMIT_LABEL));
	crypto_generichash_update(&st, id, ENVELOPE_CEREMONY_ID_BYTES);
	crypto_generichash_final(&st, key, sizeof(key));
	crypto_generichash(out, INIT_COMMIT_BYTES, (const uint8_t *)text, len,
	    key, sizeof(key));
}

static int
write_share_file(const char *stick_dir, const char *name, const uint8_t *msg,
    size_t len)
{
	int fd, r;

	if ((r = file_open_dir(AT_FDCWD, stick_dir, 0, 0700, &fd)) != CK_OK)
		return r;
	/* A repeated handout (after a wrong passphrase) writes the same bytes. */
	r = file_write_atomic(fd, name, msg, len, SHARE_FILE_MODE, FILE_REPLACE);
	close(fd);
	return r;
}

/*
 * A smartcard decrypts through gpg-agent once the holder's public key is in
 * the home and scdaemon has learnt the card (CK_ERR_NOT_FOUND: no card).
 * The card must hold m's encryption key (CK_ERR_WRONG_KEY: another
 * holder's card) and have PIN tries left (CK_ERR_PIN_BLOCKED), both
 * checked before any PIN reaches it.
 */
static int
card_ready(struct pgp_home *h, const struct roster_member *m)
{
	struct pgp_card card;
	struct pgp_fprs fprs;
	uint8_t *key = NULL;
	size_t len = 0;
	int r;

	if ((r = decode_b64(m->key_b64, PGP_EXPORT_MAX, &key, &len)) != CK_OK)
		return r;
	if ((r = pgp_import(h, key, len, &fprs)) == CK_OK &&
	    (r = pgp_card_learn(h, &card)) == CK_OK) {
		if (!pgp_card_holds(&card, m->enc_keyid))
			r = CK_ERR_WRONG_KEY;
		else if (card.pin_tries == 0)
			r = CK_ERR_PIN_BLOCKED;
	}
	free(key);
	return r;
}

/* Whose key fpr is on ro (a name, or NULL). */
static const char *
key_owner(const struct roster *ro, const struct pgp_fprs *f)
{
	size_t i, j;

	for (i = 0; i < ro->n; i++)
		for (j = 0; j < f->n; j++)
			if (strcasecmp(ro->m[i].fpr, f->fpr[j]) == 0)
				return ro->m[i].name;
	return NULL;
}

int
init_stick_check(struct session *s, struct pgp_home *h, unsigned k,
    const char *keyfile, char *why, size_t whylen)
{
	const struct roster_member *m;
	struct roster *ro = NULL;
	struct pgp_fprs f;
	const char *owner;
	size_t j;
	int r;

	why[0] = '\0';
	if ((r = init_load_roster(s, &ro)) != CK_OK)
		return r;
	if ((m = roster_holder(ro, k)) == NULL) {
		r = CK_ERR_NOT_FOUND;
		goto out;
	}
	if (keyfile == NULL) {
		r = card_ready(h, m);
		goto refused;
	}
	if ((r = pgp_keyfile_fprs(keyfile, &f)) != CK_OK)
		goto refused;
	for (j = 0; j < f.n; j++)
		if (strcasecmp(f.fpr[j], m->fpr) == 0)
			goto out;
	owner = key_owner(ro, &f);
	r = owner != NULL ? CK_ERR_WRONG_HOLDER : CK_ERR_WRONG_KEY;
	if (owner != NULL)
		snprintf(why, whylen, "this stick brings %s's key, not %s's",
		    owner, m->name);
	else
		snprintf(why, whylen, "the key on this stick is no one's on the "
		    "roster, not %s's", m->name);
refused:
	if (r != CK_OK)
		session_reject_why(s, "stick", r, why, m->name);
out:
	roster_free(ro);
	return r;
}

int
init_open_share(struct pgp_home *h, const char *keyfile, const char *passphrase,
    const uint8_t *msg, size_t len, struct secbuf *plain, uint8_t *x_tag)
{
	uint8_t *share = NULL;
	int r;

	*x_tag = 0;
	r = keyfile != NULL ?
	    pgp_decrypt_keyfile(h, keyfile, passphrase, msg, len, plain) :
	    pgp_decrypt(h, msg, len, passphrase, plain);
	if (r != CK_OK)
		goto out;
	if ((share = secmem_alloc(SHAMIR_KEY_SHARE_LEN)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if (plain->len != SHARE_HEX_LEN) {
		r = CK_ERR_BAD_SHARE;
		goto out;
	}
	if ((r = shamir_share_from_hex((const char *)plain->p, plain->len,
	    share)) != CK_OK)
		goto out;
	*x_tag = share[SHAMIR_KEY_SHARE_LEN - 1];
	r = CK_OK;
out:
	secmem_free(share);
	if (r != CK_OK)
		secbuf_free(plain);
	return r;
}

/* Decrypt, check the form, commit; the plaintext never leaves this frame. */
static int
prove(struct session *s, struct pgp_home *h, const struct roster_member *m,
    unsigned k, const char *keyfile,
    const char *passphrase, const uint8_t *msg, size_t len, json_t **proof)
{
	struct secbuf plain = { 0 };
	uint8_t commit[INIT_COMMIT_BYTES], x = 0;
	json_t *c = NULL;
	int r, dup_x = 0;

	*proof = NULL;
	if (keyfile == NULL && (r = card_ready(h, m)) != CK_OK)
		goto out;
	if ((r = init_open_share(h, keyfile, passphrase, msg, len, &plain,
	    &x)) != CK_OK)
		goto out;
	(void)proven(s, k, x, &dup_x);
	if (dup_x) {
		r = CK_ERR_DUPLICATE_SHARE;
		goto out;
	}
	init_commitment(s->id, (const char *)plain.p, plain.len, commit);
	if ((r = hex_string(commit, sizeof(commit), &c)) != CK_OK)
		goto out;
	*proof = json_pack("{s:I, s:i, s:o}", "share", (json_int_t)k,
	    "x_tag", x, "commitment", c);
	r = *proof != NULL ? CK_OK : CK_ERR_ALLOC;
out:
	secbuf_free(&plain);
	return r;
}

int
init_encrypted_share(const struct session *s, unsigned k, uint8_t **msg,
    size_t *len)
{
	return decode_msg(json_array_get(json_object_get(s->ext,
	    "encrypted_shares"), k - 1), msg, len);
}

int
init_handout(struct session *s, struct pgp_home *h, unsigned k,
    const char *stick_dir, const char *keyfile, const char *passphrase,
    char **file_out)
{
	const struct roster_member *m;
	struct roster *ro = NULL;
	json_t *proof = NULL, *details = NULL;
	uint8_t *msg = NULL;
	size_t len = 0;
	char *name = NULL;
	int r, dup_x;

	*file_out = NULL;
	if (strcmp(session_phase(s), "accepted") != 0)
		return CK_ERR_STATE;
	if ((r = init_load_roster(s, &ro)) != CK_OK)
		goto out;
	if ((m = roster_holder(ro, k)) == NULL) {
		r = CK_ERR_NOT_FOUND;
		goto out;
	}
	if (proven(s, k, 0, &dup_x)) {
		r = CK_ERR_EXISTS;
		goto out;
	}
	if ((r = init_encrypted_share(s, k, &msg, &len)) != CK_OK)
		goto out;
	if (asprintf(&name, "conclave-%.8s-share-%u.gpg", s->id_hex, k) < 0) {
		name = NULL;
		r = CK_ERR_ALLOC;
		goto out;
	}
	/* The proof first: only a key of holder k decrypts, so nothing is
	 * written to a stick before the holder at the appliance is shown to
	 * be k (a wrong stick or key leaves the stick as it was). */
	if ((r = prove(s, h, m, k, keyfile, passphrase, msg, len, &proof)) != CK_OK) {
		session_reject(s, "decrypt-proof", r, m->name);
		goto out;
	}
	if ((r = write_share_file(stick_dir, name, msg, len)) != CK_OK)
		goto out;
	details = json_pack("{s:I, s:s, s:s, s:s, s:O, s:O}", "share", (json_int_t)k,
	    "holder", m->name, "fingerprint", m->fpr, "file", name,
	    "x_tag", json_object_get(proof, "x_tag"),
	    "commitment", json_object_get(proof, "commitment"));
	if (details == NULL ||
	    json_array_append(json_object_get(s->ext, "proofs"), proof) != 0) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = session_record(s, "share-handed-out", m->name, details)) != CK_OK ||
	    (r = session_save(s)) != CK_OK)
		goto out;
	*file_out = name;
	name = NULL;
	r = CK_OK;
out:
	free(name);
	free(msg);
	json_decref(proof);
	json_decref(details);
	roster_free(ro);
	return r;
}

int
init_abandon(struct session *s, const char *reason,
    uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	/* Before an init result came back the appliance cannot know: a bridge
	 * may have initialised the server and stopped before writing it. */
	json_t *d = strcmp(session_phase(s), "requested") == 0 ?
	    json_pack("{s:s, s:I}", "server_initialised", "unknown: no init "
	    "result came back", "shares_proven", (json_int_t)0) :
	    json_pack("{s:b, s:I}", "server_initialised", 1, "shares_proven",
	    (json_int_t)json_array_size(json_object_get(s->ext, "proofs")));
	int r;

	if (d == NULL)
		return CK_ERR_ALLOC;
	r = session_abandon(s, NULL, "init-abandoned", d, reason, head);
	json_decref(d);
	return r;
}

static int
check_revocation(const json_t *p, char *why, size_t whylen)
{
	const json_t *acc = json_object_get(p, "accessor");
	const json_t *reason = json_object_get(p, "reason");
	const char *by;
	int r;

	if (!json_is_true(json_object_get(p, "root_token_revoked")) ||
	    !json_is_true(json_object_get(p, "lookup_refused")) ||
	    !json_is_string(acc)) {
		session_why(why, whylen, "the bridge does not prove that the root "
		    "token is revoked");
		return CK_ERR_FORMAT;
	}
	if (json_string_length(acc) == 0 || json_string_length(acc) >
	    KIND_MAX_ACCESSOR) {
		session_why(why, whylen, "accessor is %zu bytes: a token accessor "
		    "is 1..%d", json_string_length(acc), KIND_MAX_ACCESSOR);
		return CK_ERR_TOO_LARGE;
	}
	if ((r = session_check_recordable(acc, "accessor", why, whylen)) !=
	    CK_OK)
		return r;
	/* Revoked by the bridge itself: the token was not given back. */
	by = json_string_value(json_object_get(p, "revoked_by"));
	if (reason != NULL && (!json_is_string(reason) || by == NULL ||
	    strcmp(by, "bridge") != 0)) {
		session_why(why, whylen, "a reason without revoked_by \"bridge\"");
		return CK_ERR_FORMAT;
	}
	return reason != NULL ? session_check_recordable(reason, "reason", why,
	    whylen) : CK_OK;
}

int
init_check_revocation(const json_t *p, const char *issued, char *why,
    size_t whylen)
{
	const char *acc;
	int r;

	if ((r = check_revocation(p, why, whylen)) != CK_OK)
		return r;
	/* The bridge's word twice, both signed: the token it revoked must be
	 * the one its result said the server issued (the accessor is the
	 * server's name for it; the token itself never crosses). */
	acc = json_string_value(json_object_get(p, "accessor"));
	if (issued != NULL && strcmp(acc, issued) != 0) {
		session_why(why, whylen, "the bridge revoked accessor %s, not the "
		    "token this ceremony issued (accessor %s): that one may be "
		    "live", acc, issued);
		return CK_ERR_WRONG_TOKEN;
	}
	return CK_OK;
}

/*
 * The closing result's details for the record, and, when the ceremony
 * cannot complete (the token NOT revoked, or never handed over), the
 * reason it closes as failed (reason[0] '\0' otherwise).
 */
static int
revocation_details(const json_t *p, const char *issued,
    const json_t *undelivered, json_t **d, const char **event, char *reason,
    size_t reasonlen, char *why, size_t whylen)
{
	const json_t *err = json_object_get(p, "error");
	int r;

	reason[0] = '\0';
	if (json_is_false(json_object_get(p, "root_token_revoked")) &&
	    json_is_string(err) && json_string_length(err) > 0 &&
	    session_check_recordable(err, "error", why, whylen) == CK_OK) {
		/* The bridge could not revoke it and says why: on the record,
		 * and the ceremony ends there, failed; nothing can revoke it
		 * later in this ceremony. */
		*event = "root-token-not-revoked";
		*d = issued != NULL ? json_pack("{s:O, s:s}", "error", err,
		    "accessor", issued) : json_pack("{s:O}", "error", err);
		snprintf(reason, reasonlen, "the %sroot token%s%s%s%s is NOT "
		    "revoked: revoke it on the server (the bridge's error is on "
		    "the record)", undelivered != NULL ? "new " : "",
		    issued != NULL ? " (accessor " : "", issued != NULL ? issued :
		    "", issued != NULL ? ")" : "", undelivered != NULL ?
		    " could not be handed over and" : "");
		return *d != NULL ? CK_OK : CK_ERR_ALLOC;
	}
	if ((r = init_check_revocation(p, issued, why, whylen)) != CK_OK)
		return r;
	*event = "root-token-revoked";
	if ((*d = json_pack("{s:O, s:b}", "accessor", json_object_get(p,
	    "accessor"), "lookup_refused", 1)) == NULL)
		return CK_ERR_ALLOC;
	/* Revoked by the bridge: not given back, or never handed over. */
	if ((json_object_get(p, "reason") != NULL || undelivered != NULL) &&
	    (json_object_set_new(*d, "revoked_by", json_string("bridge")) != 0 ||
	    json_object_set(*d, "reason", json_object_get(p, "reason") != NULL ?
	    json_object_get(p, "reason") : json_object_get(undelivered,
	    "error")) != 0))
		return CK_ERR_ALLOC;
	if (undelivered != NULL)
		snprintf(reason, reasonlen, "the new root token (accessor %s) "
		    "could not be handed over; the bridge revoked it, and a lookup "
		    "with it is refused (why is on the record)", issued != NULL ?
		    issued : "unknown");
	return CK_OK;
}

int
init_take_revocation(struct session *s, const char *issued,
    const json_t *undelivered, uint8_t head[TRANSCRIPT_HASH_BYTES], char *why,
    size_t whylen)
{
	struct envelope env = { 0 };
	json_t *details = NULL;
	const char *event = NULL;
	char reason[TRANSCRIPT_REASON_MAX + 1];
	int r;

	if ((r = session_receive(s, ENVELOPE_CLOSING_RESULT, &env)) != CK_OK ||
	    (r = revocation_details(env.payload, issued, undelivered, &details,
	    &event, reason, sizeof(reason), why, whylen)) != CK_OK) {
		session_reject_why(s, "closing-result", r, why, KIND_ACTOR_APPLIANCE);
		goto out;
	}
	if ((undelivered != NULL && json_object_set_new(details, "handed_over",
	    json_false()) != 0) ||
	    json_object_set_new(s->ext, "root_token_revoked", json_boolean(
	    strcmp(event, "root-token-revoked") == 0)) != 0) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	/* The failed handover itself goes first (an exception, counted),
	 * then what became of the token, then the close. */
	session_hold(s);
	r = undelivered != NULL ? session_record(s, "handover-failed",
	    KIND_ACTOR_BRIDGE, (json_t *)undelivered) : CK_OK;
	if (r == CK_OK && reason[0] != '\0')
		r = session_set_phase(s, "failed");
	if (r == CK_OK)
		r = session_accept(s, &env, event, KIND_ACTOR_BRIDGE, details);
	if (r == CK_OK)
		r = reason[0] != '\0' ? session_close_as(s, KIND_ACTOR_APPLIANCE,
		    TRANSCRIPT_FAILED, reason, NULL) : session_close(s,
		    KIND_ACTOR_APPLIANCE, NULL);
	if ((r = session_release(s, r)) != CK_OK)
		goto out;
	transcript_head(s->t, head, NULL);
	if (reason[0] != '\0') {
		session_why(why, whylen, "%s", reason);
		r = CK_ERR_SERVER;
	}
out:
	json_decref(details);
	envelope_free(&env);
	return r;
}

int
init_repin_waiting(struct session *s, char *why, size_t whylen)
{
	char sas[SESSION_SAS_MAX];

	if (session_repin(s, NULL, NULL, sas, why, whylen) != CK_ERR_INCOMPLETE)
		return 0;
	session_why(why, whylen, "the bridge restarted with a new key, whose "
	    "words are: %s. Compare them with the bridge's screen and re-pin it "
	    "(conclave init repin) before its closing result", sas);
	return 1;
}

int
init_close(struct session *s, uint8_t head[TRANSCRIPT_HASH_BYTES], char *why,
    size_t whylen)
{
	unsigned n = ext_uint(s, "n"), k, missing = 0;
	int dup_x;
	size_t used = 0;

	why[0] = '\0';
	if (strcmp(session_phase(s), "accepted") != 0)
		return CK_ERR_STATE;
	for (k = 1; k <= n; k++) {
		if (proven(s, k, 0, &dup_x))
			continue;
		if (missing++ == 0)
			used += (size_t)snprintf(why, whylen, "no handout yet for share");
		if (used < whylen)
			used += (size_t)snprintf(why + used, whylen - used, " %u", k);
	}
	if (missing > 0)
		return CK_ERR_INCOMPLETE;
	return init_repin_waiting(s, why, whylen) ? CK_ERR_STATE :
	    init_take_revocation(s, NULL, NULL, head, why, whylen);
}
