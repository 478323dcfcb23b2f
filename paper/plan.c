/*
 * Plan parsing (see plan.h). Limits: PLAN_JSON_MAX bytes of plan,
 * PGPPKT_ARMOR_MAX bytes per key file, PLAN_MEMBERS_MAX members per list.
 */
#include "paper/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "crypto/errors.h"
#include "crypto/pgppkt.h"
#include "crypto/reader.h"
#include "media/file.h"
#include "paper/doc.h"

static int
fail(char *why, size_t whylen, int e, const char *fmt, const char *what)
{
	snprintf(why, whylen, fmt, what);
	return e;
}

/* Only the keys named in allowed (NULL-terminated) may appear. */
static int
only_keys(json_t *o, const char *const *allowed, const char **bad)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(o, k, v) {
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], k) != 0; i++)
			;
		if (allowed[i] == NULL) {
			*bad = k;
			return CK_ERR_FORMAT;
		}
	}
	return CK_OK;
}

static int
text(json_t *o, const char *key, size_t max, int required, char *out)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	out[0] = '\0';
	if (v == NULL)
		return required ? CK_ERR_FORMAT : CK_OK;
	if (!json_is_string(v))
		return CK_ERR_FORMAT;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max)
		return CK_ERR_FORMAT;
	if (rd_printable_utf8(s, n, 0) != CK_OK)
		return CK_ERR_NOT_PRINTABLE;
	memcpy(out, s, n + 1);
	return CK_OK;
}

/* dir/key's fingerprint as lowercase hex. */
static int
key_fpr(const char *dir, const char *key, char fpr[PLAN_FPR_HEX + 1])
{
	uint8_t *file = NULL, *bin = NULL, bfpr[PGPPKT_FPR_BYTES];
	size_t flen, blen;
	char *path = NULL;
	int e;

	if (key[0] == '/')
		path = strdup(key);
	else if (asprintf(&path, "%s/%s", dir, key) < 0)
		path = NULL;
	if (path == NULL || (bin = malloc(PGPPKT_KEY_MAX)) == NULL) {
		e = CK_ERR_ALLOC;
		goto out;
	}
	if ((e = file_read_path(path, PGPPKT_ARMOR_MAX, &file, &flen)) != CK_OK ||
	    (e = pgppkt_dearmor_key(file, flen, bin, PGPPKT_KEY_MAX, &blen))
	    != CK_OK ||
	    (e = pgppkt_fingerprint(bin, blen, bfpr)) != CK_OK)
		goto out;
	sodium_bin2hex(fpr, PLAN_FPR_HEX + 1, bfpr, sizeof(bfpr));
out:
	free(path);
	free(file);
	free(bin);
	return e;
}

static int
member(json_t *o, const char *dir, int need_key, struct plan_member *m,
    char *why, size_t whylen)
{
	static const char *const keys[] = { "name", "key", NULL };
	char key[4096];
	const char *bad = NULL;
	int e;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(o))
		return fail(why, whylen, CK_ERR_FORMAT, "%s: not an object",
		    "member");
	if (only_keys(o, keys, &bad) != CK_OK)
		return fail(why, whylen, CK_ERR_FORMAT, "unknown key \"%s\"", bad);
	if ((e = text(o, "name", PLAN_NAME_MAX, 1, m->name)) != CK_OK)
		return fail(why, whylen, e, "%s: missing, too long or not "
		    "printable", "name");
	if ((e = text(o, "key", sizeof(key) - 1, need_key, key)) != CK_OK)
		return fail(why, whylen, e, "%s: a key file is required", m->name);
	if (key[0] != '\0' && (e = key_fpr(dir, key, m->fpr)) != CK_OK)
		return fail(why, whylen, e, "%s: the key file cannot be read as "
		    "one OpenPGP v4 public key", m->name);
	return CK_OK;
}

static int
members(json_t *a, const char *dir, int need_key, struct plan_member *m,
    size_t *n, char *why, size_t whylen)
{
	size_t i;
	int e;

	if (!json_is_array(a) || json_array_size(a) > PLAN_MEMBERS_MAX)
		return CK_ERR_FORMAT;
	for (i = 0; i < json_array_size(a); i++)
		if ((e = member(json_array_get(a, i), dir, need_key, &m[i], why,
		    whylen)) != CK_OK)
			return e;
	*n = i;
	return CK_OK;
}

/* Names and fingerprints are unique over the whole plan. */
static int
unique(const struct plan *pl, char *why, size_t whylen)
{
	const struct plan_member *all[2 * PLAN_MEMBERS_MAX + 1];
	size_t n = 0, i, j;

	for (i = 0; i < pl->n_holders; i++)
		all[n++] = &pl->holders[i];
	for (i = 0; i < pl->n_witnesses; i++)
		all[n++] = &pl->witnesses[i];
	if (pl->has_operator)
		all[n++] = &pl->operator;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			if (strcmp(all[i]->name, all[j]->name) == 0)
				return fail(why, whylen, CK_ERR_EXISTS,
				    "%s: the name is on the plan twice",
				    all[i]->name);
			if (all[i]->fpr[0] != '\0' &&
			    strcmp(all[i]->fpr, all[j]->fpr) == 0)
				return fail(why, whylen, CK_ERR_KEY_DUPLICATE,
				    "%s: the same key as another member",
				    all[j]->name);
		}
	return CK_OK;
}

static int
parse(json_t *root, const char *dir, struct plan *pl, char *why,
    size_t whylen)
{
	static const char *const keys[] = { "format", "kind", "server", "date",
	    "place", "threshold", "holders", "witnesses", "operator", NULL };
	char kind[32], format[32];
	const char *bad = NULL;
	json_t *t, *op;
	int e;

	if (!json_is_object(root))
		return fail(why, whylen, CK_ERR_FORMAT, "%s", "not a JSON object");
	if (only_keys(root, keys, &bad) != CK_OK)
		return fail(why, whylen, CK_ERR_FORMAT, "unknown key \"%s\"", bad);
	if (text(root, "format", sizeof(format) - 1, 1, format) != CK_OK ||
	    strcmp(format, PLAN_FORMAT) != 0)
		return fail(why, whylen, CK_ERR_BAD_VERSION, "format: not %s",
		    PLAN_FORMAT);
	if (text(root, "kind", sizeof(kind) - 1, 1, kind) != CK_OK ||
	    (pl->kind = steps_for(kind)) == NULL)
		return fail(why, whylen, CK_ERR_BAD_TYPE, "%s: not a ceremony "
		    "kind (init, unseal, rekey, generate-root, dr-token, migrate)", "kind");
	if ((e = text(root, "server", PLAN_TEXT_MAX, 1, pl->server)) != CK_OK)
		return fail(why, whylen, e, "%s: missing or not printable",
		    "server");
	if ((e = text(root, "place", PLAN_TEXT_MAX, 1, pl->place)) != CK_OK)
		return fail(why, whylen, e, "%s: missing or not printable",
		    "place");
	if (text(root, "date", sizeof(pl->date) - 1, 1, pl->date) != CK_OK ||
	    paper_date_check(pl->date) != CK_OK)
		return fail(why, whylen, CK_ERR_FORMAT, "%s: not YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ", "date");
	if ((e = members(json_object_get(root, "holders"), dir, 1, pl->holders,
	    &pl->n_holders, why, whylen)) != CK_OK)
		return why[0] != '\0' ? e : fail(why, whylen, e, "%s: not a list "
		    "of at most 255 members", "holders");
	if (pl->n_holders == 0)
		return fail(why, whylen, CK_ERR_FORMAT, "%s: nobody", "holders");
	if (json_object_get(root, "witnesses") != NULL &&
	    (e = members(json_object_get(root, "witnesses"), dir, 0,
	    pl->witnesses, &pl->n_witnesses, why, whylen)) != CK_OK)
		return why[0] != '\0' ? e : fail(why, whylen, e, "%s: not a list "
		    "of at most 255 members", "witnesses");
	if ((op = json_object_get(root, "operator")) != NULL) {
		if ((e = member(op, dir, 0, &pl->operator, why, whylen)) != CK_OK)
			return e;
		pl->has_operator = 1;
	}
	t = json_object_get(root, "threshold");
	if (!json_is_integer(t) || json_integer_value(t) < 1 ||
	    (size_t)json_integer_value(t) > pl->n_holders)
		return fail(why, whylen, CK_ERR_FORMAT, "%s: not between 1 and "
		    "the number of holders", "threshold");
	pl->threshold = (unsigned)json_integer_value(t);
	return unique(pl, why, whylen);
}

int
plan_load(const char *path, struct plan *out, char *why, size_t whylen)
{
	uint8_t *buf = NULL;
	json_t *root = NULL;
	char *dir = NULL, *slash;
	size_t len;
	int e;

	memset(out, 0, sizeof(*out));
	why[0] = '\0';
	if ((e = file_read_path(path, PLAN_JSON_MAX, &buf, &len)) != CK_OK) {
		fail(why, whylen, e, "%s: cannot be read", path);
		goto out;
	}
	if ((e = rd_json(buf, len, PLAN_JSON_MAX, &root)) != CK_OK) {
		fail(why, whylen, e, "%s: not one strict JSON object", path);
		goto out;
	}
	if ((dir = strdup(path)) == NULL) {
		e = CK_ERR_ALLOC;
		goto out;
	}
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	e = parse(root, slash != NULL && dir[0] == '\0' ? "/" : dir, out, why,
	    whylen);
out:
	if (e != CK_OK)
		memset(out, 0, sizeof(*out));
	json_decref(root);
	free(dir);
	free(buf);
	return e;
}

int
plan_one_holder(const char *name, const char *keyfile, const char *date,
    struct plan *out, char *why, size_t whylen)
{
	json_t *o = json_pack("{s:s, s:s}", "name", name, "key", keyfile);
	int e;

	memset(out, 0, sizeof(*out));
	why[0] = '\0';
	if (o == NULL)	/* not UTF-8: jansson refuses it */
		return fail(why, whylen, CK_ERR_NOT_PRINTABLE, "%s: not UTF-8",
		    "name or key");
	if ((e = paper_date_check(date)) != CK_OK)
		fail(why, whylen, e, "%s: not YYYY-MM-DD", "date");
	else if ((e = member(o, ".", 1, &out->holders[0], why, whylen)) ==
	    CK_OK) {
		snprintf(out->date, sizeof(out->date), "%s", date);
		out->n_holders = 1;
	}
	json_decref(o);
	if (e != CK_OK)
		memset(out, 0, sizeof(*out));
	return e;
}
