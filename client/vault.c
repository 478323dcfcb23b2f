/*
 * Limits: every string field is bounded by its VAULT_MAX_* (vault.h) and
 * must be printable UTF-8; counts are 0..VAULT_MAX_SHARES; policies are at
 * most VAULT_MAX_POLICIES bytes joined. Unknown fields are ignored, as the
 * servers add fields between versions (build_date became commit_date in
 * OpenBao 2.6).
 */
#include "client/vault.h"

#include <stdio.h>
#include <string.h>

#include "crypto/errors.h"
#include "crypto/secmem.h"


/* A string field into dst; absent is "" unless required. */
static int
get_str(const json_t *o, const char *key, int required, char *dst, size_t dstsize)
{
	const json_t *v = json_object_get(o, key);
	size_t len;

	dst[0] = '\0';
	if (v == NULL || json_is_null(v))
		return required ? CK_ERR_FORMAT : CK_OK;
	if (!json_is_string(v))
		return CK_ERR_FORMAT;
	len = json_string_length(v);
	if (len >= dstsize ||
	    rd_printable_utf8(json_string_value(v), len, 0) != CK_OK)
		return CK_ERR_FORMAT;
	memcpy(dst, json_string_value(v), len);
	dst[len] = '\0';
	return CK_OK;
}

static int
get_bool(const json_t *o, const char *key, int required, int *out)
{
	const json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL)
		return required ? CK_ERR_FORMAT : CK_OK;
	if (!json_is_boolean(v))
		return CK_ERR_FORMAT;
	*out = json_is_true(v);
	return CK_OK;
}

static int
get_count(const json_t *o, const char *key, unsigned *out)
{
	const json_t *v = json_object_get(o, key);

	*out = 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > VAULT_MAX_SHARES)
		return CK_ERR_FORMAT;
	*out = (unsigned)json_integer_value(v);
	return CK_OK;
}

int
vault_parse_seal_status(const json_t *j, struct vault_seal_status *st)
{
	int r;

	memset(st, 0, sizeof(*st));
	if (!json_is_object(j))
		return CK_ERR_FORMAT;
	if ((r = get_str(j, "type", 1, st->type, sizeof(st->type))) != CK_OK ||
	    (r = get_bool(j, "initialized", 1, &st->initialized)) != CK_OK ||
	    (r = get_bool(j, "sealed", 1, &st->sealed)) != CK_OK ||
	    (r = get_count(j, "t", &st->t)) != CK_OK ||
	    (r = get_count(j, "n", &st->n)) != CK_OK ||
	    (r = get_count(j, "progress", &st->progress)) != CK_OK ||
	    (r = get_str(j, "nonce", 0, st->nonce, sizeof(st->nonce))) != CK_OK ||
	    (r = get_str(j, "version", 1, st->version, sizeof(st->version))) != CK_OK ||
	    (r = get_str(j, "cluster_name", 0, st->cluster_name,
	    sizeof(st->cluster_name))) != CK_OK ||
	    (r = get_str(j, "cluster_id", 0, st->cluster_id,
	    sizeof(st->cluster_id))) != CK_OK ||
	    (r = get_bool(j, "recovery_seal", 0, &st->recovery_seal)) != CK_OK ||
	    (r = get_bool(j, "migration", 0, &st->migration)) != CK_OK ||
	    (r = get_str(j, "storage_type", 0, st->storage_type,
	    sizeof(st->storage_type))) != CK_OK)
		goto fail;
	/* OpenBao 2.6 renamed build_date to commit_date. */
	r = get_str(j, "commit_date", 0, st->build_date, sizeof(st->build_date));
	if (r == CK_OK && st->build_date[0] == '\0')
		r = get_str(j, "build_date", 0, st->build_date, sizeof(st->build_date));
	if (r != CK_OK)
		goto fail;
	return CK_OK;
fail:
	memset(st, 0, sizeof(*st));
	return r;
}

/* A raw-handler GET or PUT whose answer must be a JSON object. */
static int
request_object(struct http_client *c, const char *method, const char *path,
    const void *body, size_t bodylen, json_t **out)
{
	json_t *j = NULL;
	long status;
	int r;

	*out = NULL;
	if ((r = http_request(c, method, path, body, bodylen, &status, &j)) != CK_OK)
		return r;
	if (!json_is_object(j)) {
		json_decref(j);
		return CK_ERR_FORMAT;
	}
	*out = j;
	return CK_OK;
}

int
vault_seal_status(struct http_client *c, struct vault_seal_status *st)
{
	json_t *j = NULL;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = request_object(c, "GET", "sys/seal-status", NULL, 0, &j)) != CK_OK)
		return r;
	r = vault_parse_seal_status(j, st);
	json_decref(j);
	return r;
}

int
vault_init_status(struct http_client *c, int *initialized)
{
	json_t *j = NULL;
	int r;

	*initialized = 0;
	if ((r = request_object(c, "GET", "sys/init", NULL, 0, &j)) != CK_OK)
		return r;
	r = get_bool(j, "initialized", 1, initialized);
	json_decref(j);
	return r;
}

int
vault_init(struct http_client *c, const json_t *request, json_t **response)
{
	json_t *j = NULL;
	long status;
	int initialized, r;

	*response = NULL;
	r = http_request_json(c, "PUT", "sys/init", request, &status, &j);
	/* The answer holds the root token and maybe plaintext shares. */
	http_client_scrub(c);
	/* A 400 because the server is initialised already (by someone else
	 * since the check before) is told by sys/init, not by its wording. */
	if (r == CK_ERR_SERVER && status == 400) {
		char why[HTTP_MAX_DETAIL + 1];

		snprintf(why, sizeof(why), "%s", http_error_detail(c));
		if (vault_init_status(c, &initialized) == CK_OK && initialized)
			r = CK_ERR_ALREADY_INIT;
		http_restore_detail(c, why);
		if (r == CK_ERR_ALREADY_INIT)
			return r;
	}
	if (r != CK_OK)
		return r;
	if (!json_is_object(j)) {
		json_decref(j);
		return CK_ERR_FORMAT;
	}
	*response = j;
	return CK_OK;
}

static int
unseal_body(struct http_client *c, const char *body, size_t len,
    struct vault_seal_status *st)
{
	json_t *j = NULL;
	int r;

	if ((r = request_object(c, "PUT", "sys/unseal", body, len, &j)) != CK_OK)
		return r;
	r = vault_parse_seal_status(j, st);
	json_decref(j);
	return r;
}

int
vault_key_body(const char *key, size_t len, const char *nonce, int migrate,
    char **body, size_t *blen)
{
	static const char pre[] = "{\"key\":\"", mid[] = "\",\"nonce\":\"",
	    plain[] = "\"}", migrating[] = "\",\"migrate\":true}";
	const char *post = migrate ? migrating : plain;
	size_t plen = migrate ? sizeof(migrating) - 1 : sizeof(plain) - 1;
	size_t i, nlen = nonce != NULL ? strlen(nonce) : 0, n;
	char *b;

	*body = NULL;
	*blen = 0;
	if (len == 0 || len > VAULT_MAX_KEY)
		return CK_ERR_BAD_SHARE;
	/* Hex or standard base64: nothing that needs JSON escaping. */
	for (i = 0; i < len; i++)
		if (strchr("0123456789abcdefABCDEFghijklmnopqrstuvwxyz"
		    "GHIJKLMNOPQRSTUVWXYZ+/=", key[i]) == NULL || key[i] == '\0')
			return CK_ERR_BAD_SHARE;
	if (nlen >= VAULT_MAX_NONCE)
		return CK_ERR_WRONG_NONCE;
	for (i = 0; i < nlen; i++)
		if (nonce[i] < 0x21 || nonce[i] > 0x7e || nonce[i] == '"' ||
		    nonce[i] == '\\')
			return CK_ERR_WRONG_NONCE;
	n = sizeof(pre) - 1 + len + (nonce != NULL ? sizeof(mid) - 1 + nlen : 0) +
	    plen;
	if ((b = secmem_alloc(n)) == NULL)
		return CK_ERR_ALLOC;
	memcpy(b, pre, sizeof(pre) - 1);
	i = sizeof(pre) - 1;
	memcpy(b + i, key, len);
	i += len;
	if (nonce != NULL) {
		memcpy(b + i, mid, sizeof(mid) - 1);
		i += sizeof(mid) - 1;
		memcpy(b + i, nonce, nlen);
		i += nlen;
	}
	memcpy(b + i, post, plen);
	*body = b;
	*blen = n;
	return CK_OK;
}

int
vault_unseal(struct http_client *c, const char *key, size_t len, int migrate,
    struct vault_seal_status *st)
{
	char *body = NULL;
	size_t blen = 0;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = vault_key_body(key, len, NULL, migrate, &body, &blen)) != CK_OK)
		return r;
	r = unseal_body(c, body, blen, st);
	http_client_scrub(c);
	secmem_wipe(body, blen);
	secmem_free(body);
	return r;
}

int
vault_unseal_reset(struct http_client *c, struct vault_seal_status *st)
{
	static const char body[] = "{\"reset\":true}";

	memset(st, 0, sizeof(*st));
	return unseal_body(c, body, sizeof(body) - 1, st);
}

static int
join_policies(const json_t *arr, struct vault_token_info *ti)
{
	const json_t *p;
	size_t i, used = 0, len;

	if (!json_is_array(arr))
		return CK_ERR_FORMAT;
	json_array_foreach(arr, i, p) {
		if (!json_is_string(p))
			return CK_ERR_FORMAT;
		len = json_string_length(p);
		if (used + len + 2 > sizeof(ti->policies) ||
		    rd_printable_utf8(json_string_value(p), len, 0) != CK_OK)
			return CK_ERR_FORMAT;
		if (used > 0)
			ti->policies[used++] = ',';
		memcpy(ti->policies + used, json_string_value(p), len);
		used += len;
		ti->policies[used] = '\0';
		if (strcmp(json_string_value(p), "root") == 0)
			ti->is_root = 1;
	}
	return CK_OK;
}

/* The lookup-self answer (a logical envelope) into *ti. */
static int
parse_token_info(json_t *body, struct vault_token_info *ti)
{
	json_t *d, *ttl, *made;
	int r;

	memset(ti, 0, sizeof(*ti));
	/* The answer also holds the token itself ("id"): never copied out. */
	if ((d = http_body_data(body)) == NULL || d == body)
		return CK_ERR_FORMAT;
	ttl = json_object_get(d, "ttl");
	made = json_object_get(d, "creation_time");
	if ((r = get_str(d, "accessor", 1, ti->accessor, sizeof(ti->accessor))) != CK_OK ||
	    (r = get_str(d, "display_name", 0, ti->display_name,
	    sizeof(ti->display_name))) != CK_OK ||
	    (r = join_policies(json_object_get(d, "policies"), ti)) != CK_OK)
		goto fail;
	r = CK_ERR_FORMAT;
	/* The accessor is what the transcript names as revoked: never empty. */
	if (ti->accessor[0] == '\0' || !json_is_integer(ttl) ||
	    json_integer_value(ttl) < 0 || (made != NULL &&
	    (!json_is_integer(made) || json_integer_value(made) < 0)))
		goto fail;
	ti->ttl = json_integer_value(ttl);
	/* Absent is 0: no check that needs it passes. */
	ti->creation_time = made != NULL ? json_integer_value(made) : 0;
	return CK_OK;
fail:
	memset(ti, 0, sizeof(*ti));
	return r;
}

int
vault_token_lookup_self(struct http_client *c, struct vault_token_info *ti)
{
	json_t *j = NULL;
	int r;

	memset(ti, 0, sizeof(*ti));
	r = request_object(c, "GET", "auth/token/lookup-self", NULL, 0, &j);
	/* The answer repeats the token ("id"). */
	http_client_scrub(c);
	if (r == CK_OK)
		r = parse_token_info(j, ti);
	json_decref(j);
	return r;
}

int
vault_token_revoke_self(struct http_client *c)
{
	json_t *j = NULL;
	long status;
	int r;

	r = http_request(c, "PUT", "auth/token/revoke-self", NULL, 0, &status, &j);
	json_decref(j);
	return r;
}

int
vault_init_ceremony(struct http_client *c, const json_t *request,
    json_t **response, struct vault_identity *id)
{
	struct vault_seal_status st;
	int r;

	*response = NULL;
	memset(id, 0, sizeof(*id));
	/* The identity is read before init: the shares exist once the server
	 * answers, and from then on nothing may stand between its answer and
	 * the caller's durable write of it (not even a status read). */
	if ((r = vault_seal_status(c, &st)) != CK_OK)
		return r;
	if (st.initialized)
		return CK_ERR_ALREADY_INIT;
	snprintf(id->address, sizeof(id->address), "%s", http_client_address(c));
	memcpy(id->version, st.version, sizeof(id->version));
	memcpy(id->type, st.type, sizeof(id->type));
	id->recovery_seal = st.recovery_seal;
	if ((r = vault_init(c, request, response)) == CK_OK)
		id->init_time = http_answer_date(c);
	return r;
}

int
vault_identity_json(const struct vault_identity *id, json_t **out)
{
	*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I}", "address",
	    id->address, "version", id->version, "cluster_name",
	    id->cluster_name, "cluster_id", id->cluster_id, "type", id->type,
	    "recovery_seal", id->recovery_seal, "init_time",
	    (json_int_t)id->init_time);
	return *out != NULL ? CK_OK : CK_ERR_ALLOC;
}

int
vault_json_count(const json_t *j, const char *key, unsigned *out)
{
	const json_t *v = json_object_get(j, key);

	*out = 0;
	if (v == NULL)
		return CK_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > VAULT_MAX_SHARES)
		return CK_ERR_FORMAT;
	*out = (unsigned)json_integer_value(v);
	return CK_OK;
}
