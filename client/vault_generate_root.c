/*
 * Root and DR operation token generation on the server (see vault_generate_root.h).
 *
 * Limits: nonce < VAULT_MAX_NONCE, fingerprint < VAULT_GENERATE_ROOT_FPR_MAX,
 * encoded_token < VAULT_GENERATE_ROOT_MAX_ENCODED characters, counts 0..VAULT_MAX_SHARES;
 * anything longer or of another type is CK_ERR_FORMAT. Answers are bounded
 * and strictly parsed by client/http.
 */
#include "client/vault_generate_root.h"

#include <string.h>

#include "crypto/errors.h"
#include "crypto/secmem.h"

const char *
vault_generate_root_path(enum vault_generate_root_api api)
{
	switch (api) {
	case VAULT_GENERATE_ROOT_TOKEN:
		return "sys/generate-root-token";
	case VAULT_GENERATE_ROOT_DR:
		return "sys/replication/dr/secondary/generate-operation-token";
	case VAULT_GENERATE_ROOT_LEGACY:
	default:
		return "sys/generate-root";
	}
}

static int
copy_string(const json_t *j, const char *key, char *out, size_t max)
{
	const json_t *v = json_object_get(j, key);

	out[0] = '\0';
	if (v == NULL || json_is_null(v))
		return CK_OK;
	if (!json_is_string(v) || json_string_length(v) >= max ||
	    rd_printable_utf8(json_string_value(v), json_string_length(v), 0) !=
	    CK_OK)
		return CK_ERR_FORMAT;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return CK_OK;
}

static int
parse_status(json_t *body, struct vault_generate_root_status *st)
{
	json_t *j = http_body_data(body);

	memset(st, 0, sizeof(*st));
	if (!json_is_object(j))
		return CK_ERR_FORMAT;
	st->started = json_is_true(json_object_get(j, "started"));
	st->complete = json_is_true(json_object_get(j, "complete"));
	if (vault_json_count(j, "progress", &st->progress) != CK_OK ||
	    vault_json_count(j, "required", &st->required) != CK_OK ||
	    vault_json_count(j, "otp_length", &st->otp_length) != CK_OK ||
	    copy_string(j, "nonce", st->nonce, sizeof(st->nonce)) != CK_OK ||
	    copy_string(j, "pgp_fingerprint", st->pgp_fingerprint,
	    sizeof(st->pgp_fingerprint)) != CK_OK ||
	    copy_string(j, "encoded_token", st->encoded_token,
	    sizeof(st->encoded_token)) != CK_OK)
		return CK_ERR_FORMAT;
	return CK_OK;
}

static int
request(struct http_client *c, const char *method, enum vault_generate_root_api api,
    const char *leaf, const void *body, size_t len, struct vault_generate_root_status *st)
{
	char path[HTTP_MAX_PATH];
	json_t *j = NULL;
	long status = 0;
	int r;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/%s", vault_generate_root_path(api), leaf);
	if ((r = http_request(c, method, path, body, len, &status, &j)) != CK_OK)
		return r;
	r = parse_status(j, st);
	json_decref(j);
	return r;
}

int
vault_generate_root_status(struct http_client *c, enum vault_generate_root_api api,
    struct vault_generate_root_status *st)
{
	return request(c, "GET", api, "attempt", NULL, 0, st);
}

/* The legacy endpoints are raw handlers that take PUT; the others POST. */
static const char *
write_method(enum vault_generate_root_api api)
{
	return api == VAULT_GENERATE_ROOT_LEGACY ? "PUT" : "POST";
}

int
vault_generate_root_start(struct http_client *c, enum vault_generate_root_api api, const char *otp,
    const char *pgp_b64, struct vault_generate_root_status *st)
{
	json_t *body = NULL;
	char *text = NULL, *sec = NULL;
	size_t len;
	int r;

	memset(st, 0, sizeof(*st));
	if ((otp == NULL) == (pgp_b64 == NULL))
		return CK_ERR_INVALID_ARG;
	body = otp != NULL ? json_pack("{s:s}", "otp", otp) :
	    json_pack("{s:s}", "pgp_key", pgp_b64);
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	/* The OTP is a secret: the body goes to secmem, jansson's copies are
	 * wiped by the bridge's wiping allocator (http_global_init). */
	len = strlen(text);
	if ((sec = secmem_alloc(len)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	memcpy(sec, text, len);
	r = request(c, write_method(api), api, "attempt", sec, len, st);
	http_client_scrub(c);
	secmem_wipe(sec, len);
out:
	secmem_free(sec);
	if (text != NULL) {
		secmem_wipe(text, strlen(text));
		free(text);
	}
	json_decref(body);
	return r;
}

int
vault_generate_root_update(struct http_client *c, enum vault_generate_root_api api, const char *key,
    size_t len, const char *nonce, struct vault_generate_root_status *st)
{
	char *body = NULL;
	size_t blen = 0;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = vault_key_body(key, len, nonce, 0, &body, &blen)) != CK_OK)
		return r;
	r = request(c, write_method(api), api, "update", body, blen, st);
	http_client_scrub(c);
	secmem_wipe(body, blen);
	secmem_free(body);
	return r;
}

int
vault_generate_root_cancel(struct http_client *c, enum vault_generate_root_api api)
{
	char path[HTTP_MAX_PATH];
	json_t *j = NULL;
	long status = 0;
	int r;

	snprintf(path, sizeof(path), "%s/attempt", vault_generate_root_path(api));
	r = http_request(c, "DELETE", path, NULL, 0, &status, &j);
	json_decref(j);
	return r;
}
