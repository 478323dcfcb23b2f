/*
 * Roster: build from key files, save as JSON, parse back strictly.
 *
 * Limits: ROSTER_JSON_MAX bytes of JSON, ROSTER_MAX_MEMBERS members,
 * names of 1..ROSTER_NAME_MAX bytes of printable UTF-8, keys of at most
 * ROSTER_KEY_B64_MAX base64 characters. A parsed roster is only as good
 * as the file it came from: roster_import_keys() re-derives what the
 * fields claim from the keys themselves.
 */
#include "ceremony/roster.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/codec.h"
#include "crypto/errors.h"

#define NKEYS	6	/* keys in one member object */

static const char *const role_names[] = {
	[ROSTER_HOLDER] = "holder",
	[ROSTER_WITNESS] = "witness",
	[ROSTER_OPERATOR] = "operator",
};

const char *
roster_role_name(enum roster_role role)
{
	return (unsigned)role < sizeof(role_names) / sizeof(role_names[0]) ?
	    role_names[role] : "unknown";
}

int
roster_new(struct roster **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? CK_OK : CK_ERR_ALLOC;
}

void
roster_free(struct roster *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->m[i].key_b64);
	free(r->m);
	free(r);
}

static int
check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > ROSTER_NAME_MAX)
		return CK_ERR_INVALID_ARG;
	return rd_printable_utf8(name, len, 0) == CK_OK ?
	    CK_OK : CK_ERR_NOT_PRINTABLE;
}

/* Uniqueness of fingerprint, name and operator against r. */
static int
check_unique(const struct roster *r, const struct roster_member *m)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->m[i].fpr, m->fpr) == 0)
			return CK_ERR_KEY_DUPLICATE;
		if (strcmp(r->m[i].name, m->name) == 0)
			return CK_ERR_EXISTS;
		if (m->role == ROSTER_OPERATOR &&
		    r->m[i].role == ROSTER_OPERATOR)
			return CK_ERR_EXISTS;
	}
	return r->n < ROSTER_MAX_MEMBERS ? CK_OK : CK_ERR_TOO_LARGE;
}

/* Append m (taking its key_b64) after check_unique. */
static int
append(struct roster *r, struct roster_member *m)
{
	struct roster_member *nm;
	int e;

	if ((e = check_unique(r, m)) != CK_OK)
		return e;
	if ((nm = realloc(r->m, (r->n + 1) * sizeof(*nm))) == NULL)
		return CK_ERR_ALLOC;
	r->m = nm;
	if (m->role == ROSTER_HOLDER)
		m->share_index = (unsigned)++r->n_holders;
	r->m[r->n++] = *m;
	m->key_b64 = NULL;
	return CK_OK;
}

/* What the key must be able to do for its role; fills fpr-derived fields. */
static int
check_key(struct pgp_home *h, const char *fpr, enum roster_role role,
    struct roster_member *m)
{
	struct pgp_keyinfo ki;
	int e;

	if (role == ROSTER_WITNESS) {
		if ((e = pgp_key_can_sign(h, fpr)) != CK_OK)
			return e;
		m->enc_keyid[0] = '\0';
		m->enc_algo[0] = '\0';
		m->warnings = 0;
		return pgp_fpr_normalize(fpr, m->fpr);
	}
	if ((e = pgp_key_validate(h, fpr, &ki)) != CK_OK)
		return e;
	memcpy(m->fpr, ki.fpr, sizeof(m->fpr));
	memcpy(m->enc_keyid, ki.enc_keyid, sizeof(m->enc_keyid));
	memcpy(m->enc_algo, ki.enc_algo, sizeof(m->enc_algo));
	m->warnings = ki.warnings;
	return CK_OK;
}

int
roster_add_keyfile(struct roster *r, struct pgp_home *h, const char *name,
    enum roster_role role, const char *keyfile)
{
	struct roster_member m;
	struct pgp_fprs f;
	int e;

	memset(&m, 0, sizeof(m));
	if ((unsigned)role > ROSTER_OPERATOR)
		return CK_ERR_INVALID_ARG;
	if ((e = check_name(name)) != CK_OK)
		return e;
	memcpy(m.name, name, strlen(name) + 1);
	m.role = role;
	if ((e = pgp_import_file(h, keyfile, &f)) != CK_OK)
		return e;
	if (f.n != 1)
		return CK_ERR_FORMAT;
	if ((e = check_key(h, f.fpr[0], role, &m)) != CK_OK)
		return e;
	if ((e = pgp_export_base64(h, m.fpr, &m.key_b64)) != CK_OK)
		return e;
	e = append(r, &m);
	free(m.key_b64);
	return e;
}

const struct roster_member *
roster_holder(const struct roster *r, unsigned k)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->m[i].role == ROSTER_HOLDER && r->m[i].share_index == k)
			return &r->m[i];
	return NULL;
}

const struct roster_member *
roster_operator(const struct roster *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->m[i].role == ROSTER_OPERATOR)
			return &r->m[i];
	return NULL;
}

int
roster_fpr_words(const struct roster_member *m, char *out, size_t outmax)
{
	uint8_t bin[PGP_FPR_LEN / 2];
	int e;

	if ((e = codec_hex_decode_exact(m->fpr, PGP_FPR_LEN, bin,
	    sizeof(bin))) != CK_OK)
		return e;
	return words_encode(bin, sizeof(bin), out, outmax);
}

int
roster_check_recipient(const struct roster_member *m, const void *msg,
    size_t len)
{
	struct pgppkt_recipients rc;
	int e;

	if (m->enc_keyid[0] == '\0')
		return CK_ERR_INVALID_ARG;
	if ((e = pgppkt_recipients(msg, len, &rc)) != CK_OK)
		return e;
	/* One recipient: a copy for anyone else would be a leak. */
	if (rc.n != 1 || strcmp(rc.keyid[0], m->enc_keyid) != 0)
		return CK_ERR_WRONG_RECIPIENT;
	return CK_OK;
}

/* ---- JSON ---- */

static json_t *
member_json(const struct roster_member *m)
{
	json_t *o = json_object();

	/* Insertion order is the file's key order (jansson keeps it). */
	if (o == NULL ||
	    json_object_set_new(o, "name", json_string(m->name)) != 0 ||
	    json_object_set_new(o, "role",
	    json_string(roster_role_name(m->role))) != 0 ||
	    json_object_set_new(o, "share_index",
	    json_integer(m->share_index)) != 0 ||
	    json_object_set_new(o, "fingerprint", json_string(m->fpr)) != 0 ||
	    json_object_set_new(o, "encryption_key_id",
	    json_string(m->enc_keyid)) != 0 ||
	    json_object_set_new(o, "key", json_string(m->key_b64)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
roster_dump(const struct roster *r, char **out, size_t *outlen)
{
	json_t *root = NULL, *arr = NULL;
	char *s = NULL;
	size_t i;
	int e = CK_ERR_ALLOC;

	*out = NULL;
	*outlen = 0;
	if ((root = json_object()) == NULL || (arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < r->n; i++)
		if (json_array_append_new(arr, member_json(&r->m[i])) != 0)
			goto out;
	if (json_object_set_new(root, "format", json_string(ROSTER_FORMAT)) != 0)
		goto out;
	e = json_object_set_new(root, "members", arr);
	arr = NULL;
	if (e != 0) {
		e = CK_ERR_ALLOC;
		goto out;
	}
	e = CK_ERR_ALLOC;
	if ((s = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER)) == NULL)
		goto out;
	*outlen = strlen(s);
	*out = s;
	e = CK_OK;
 out:
	json_decref(arr);
	json_decref(root);
	return e;
}

static int
get_str(json_t *o, const char *key, size_t maxlen, const char **out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return CK_ERR_FORMAT;
	if (json_string_length(v) > maxlen)
		return CK_ERR_TOO_LARGE;
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return CK_ERR_FORMAT;	/* interior NUL */
	return CK_OK;
}

static int
lower_hex(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return CK_ERR_FORMAT;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return CK_ERR_ENCODING;
	return CK_OK;
}

static int
parse_role(const char *s, enum roster_role *role)
{
	size_t i;

	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (strcmp(s, role_names[i]) == 0) {
			*role = (enum roster_role)i;
			return CK_OK;
		}
	return CK_ERR_BAD_TYPE;
}

static int
parse_member(json_t *o, struct roster_member *m)
{
	const char *name, *role, *fpr, *kid, *key;
	json_t *idx;
	int e;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(o) || json_object_size(o) != NKEYS)
		return CK_ERR_FORMAT;
	if ((e = get_str(o, "name", ROSTER_NAME_MAX, &name)) != CK_OK ||
	    (e = get_str(o, "role", 16, &role)) != CK_OK ||
	    (e = get_str(o, "fingerprint", PGP_FPR_LEN, &fpr)) != CK_OK ||
	    (e = get_str(o, "encryption_key_id", PGP_KEYID_LEN, &kid)) != CK_OK ||
	    (e = get_str(o, "key", ROSTER_KEY_B64_MAX, &key)) != CK_OK)
		return e;
	idx = json_object_get(o, "share_index");
	if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
	    json_integer_value(idx) > ROSTER_MAX_MEMBERS)
		return CK_ERR_FORMAT;
	if ((e = check_name(name)) != CK_OK ||
	    (e = parse_role(role, &m->role)) != CK_OK ||
	    (e = lower_hex(fpr, PGP_FPR_LEN)) != CK_OK)
		return e;
	if ((e = lower_hex(kid, m->role == ROSTER_WITNESS ? 0 : PGP_KEYID_LEN))
	    != CK_OK)
		return e;
	if (key[0] == '\0')
		return CK_ERR_FORMAT;
	memcpy(m->name, name, strlen(name) + 1);
	memcpy(m->fpr, fpr, sizeof(m->fpr));
	memcpy(m->enc_keyid, kid, strlen(kid) + 1);
	m->share_index = (unsigned)json_integer_value(idx);
	if ((m->key_b64 = strdup(key)) == NULL)
		return CK_ERR_ALLOC;
	return CK_OK;
}

int
roster_parse(const void *buf, size_t len, struct roster **out)
{
	struct roster *r = NULL;
	struct roster_member m = { 0 };
	json_t *root = NULL, *arr, *fmt;
	unsigned want;
	size_t i;
	int e;

	*out = NULL;
	if ((e = rd_json(buf, len, ROSTER_JSON_MAX, &root)) != CK_OK)
		return e;
	e = CK_ERR_FORMAT;
	if (!json_is_object(root) || json_object_size(root) != 2)
		goto out;
	fmt = json_object_get(root, "format");
	if (!json_is_string(fmt) ||
	    strcmp(json_string_value(fmt), ROSTER_FORMAT) != 0) {
		e = CK_ERR_BAD_VERSION;
		goto out;
	}
	arr = json_object_get(root, "members");
	if (!json_is_array(arr))
		goto out;
	if (json_array_size(arr) > ROSTER_MAX_MEMBERS) {
		e = CK_ERR_TOO_LARGE;
		goto out;
	}
	if ((e = roster_new(&r)) != CK_OK)
		goto out;
	for (i = 0; i < json_array_size(arr); i++) {
		if ((e = parse_member(json_array_get(arr, i), &m)) != CK_OK)
			goto out;
		/* Holders are numbered 1..n in file order; nobody else is. */
		want = m.role == ROSTER_HOLDER ? (unsigned)r->n_holders + 1 : 0;
		if (m.share_index != want) {
			e = CK_ERR_FORMAT;
			goto out;
		}
		if ((e = append(r, &m)) != CK_OK)
			goto out;
	}
	*out = r;
	r = NULL;
	e = CK_OK;
 out:
	free(m.key_b64);
	roster_free(r);
	json_decref(root);
	return e;
}

/* One member's recorded key back into h, checked against the record. */
static int
import_member(struct roster_member *m, struct pgp_home *h)
{
	struct roster_member chk;
	struct pgp_fprs f;
	uint8_t *bin = NULL;
	size_t len = strlen(m->key_b64), binlen;
	int e;

	memset(&chk, 0, sizeof(chk));
	if ((bin = malloc(len / 4 * 3 + 3)) == NULL)
		return CK_ERR_ALLOC;
	if ((e = codec_b64_decode(CODEC_B64_PADDED, m->key_b64, len, bin,
	    len / 4 * 3 + 3, &binlen)) != CK_OK ||
	    (e = pgp_import(h, bin, binlen, &f)) != CK_OK)
		goto out;
	e = CK_ERR_WRONG_KEY;
	if (f.n != 1 || strcmp(f.fpr[0], m->fpr) != 0)
		goto out;
	if ((e = check_key(h, m->fpr, m->role, &chk)) != CK_OK)
		goto out;
	e = CK_ERR_WRONG_KEY;
	if (strcmp(chk.enc_keyid, m->enc_keyid) != 0)
		goto out;
	m->warnings = chk.warnings;
	memcpy(m->enc_algo, chk.enc_algo, sizeof(m->enc_algo));
	e = CK_OK;
 out:
	free(bin);
	return e;
}

int
roster_import_keys(struct roster *r, struct pgp_home *h)
{
	size_t i;
	int e;

	for (i = 0; i < r->n; i++)
		if ((e = import_member(&r->m[i], h)) != CK_OK)
			return e;
	return CK_OK;
}
