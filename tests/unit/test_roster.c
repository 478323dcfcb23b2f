/*
 * ceremony/roster with real gpg on the committed fixture keys: building
 * from key files, the specific refusals, the saved JSON and its strict
 * parse, and re-importing the recorded keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "ceremony/roster.h"
#include "crypto/errors.h"
#include "crypto/pgp.h"
#include "crypto/secmem.h"
#include "crypto/words.h"
#include "tests/unit/helper_keys.h"

struct fx {
	char *base;
	struct pgp_home *h;
	struct roster *r;	/* 7 holders, operator, witness */
};

static struct fx *F;

static const char *const holders[] = {
	"holder1", "holder2", "holder3", "holder4", "holder5", "holder6",
	"holder7",
};

static int
setup(void **state)
{
	char name[32];
	size_t i;

	(void)state;
	if (secmem_init() != CK_OK)
		return -1;
	F = calloc(1, sizeof(*F));
	F->base = tk_tmpdir();
	if (pgp_home_open(F->base, &F->h) != CK_OK ||
	    roster_new(&F->r) != CK_OK)
		return -1;
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "Holder %zu", i + 1);
		if (roster_add_keyfile(F->r, F->h, name, ROSTER_HOLDER,
		    tk_key(holders[i], 0)) != CK_OK)
			return -1;
	}
	if (roster_add_keyfile(F->r, F->h, "Olga Operator", ROSTER_OPERATOR,
	    tk_key("operator", 0)) != CK_OK ||
	    roster_add_keyfile(F->r, F->h, "Wim Witness", ROSTER_WITNESS,
	    tk_key("witness", 0)) != CK_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	roster_free(F->r);
	pgp_home_close(F->h);
	tk_rmrf(F->base);
	free(F->base);
	free(F);
	return 0;
}

static void
holders_are_in_share_order_with_their_keys(void **state)
{
	const struct roster_member *m;
	struct pgp_keyinfo ki;
	char fpr[41], *b64;
	unsigned k;

	(void)state;
	assert_int_equal(F->r->n, 9);
	assert_int_equal(F->r->n_holders, 7);
	for (k = 1; k <= 7; k++) {
		m = roster_holder(F->r, k);
		assert_non_null(m);
		assert_int_equal(m->share_index, k);
		assert_int_equal(m->role, ROSTER_HOLDER);
		tk_fpr(holders[k - 1], fpr);
		assert_string_equal(m->fpr, fpr);
		assert_int_equal(pgp_key_validate(F->h, fpr, &ki), CK_OK);
		assert_string_equal(m->enc_keyid, ki.enc_keyid);
		assert_int_equal(pgp_export_base64(F->h, fpr, &b64), CK_OK);
		assert_string_equal(m->key_b64, b64);
		free(b64);
	}
	assert_null(roster_holder(F->r, 0));
	assert_null(roster_holder(F->r, 8));
	assert_int_equal(roster_holder(F->r, 3)->warnings, PGP_WARN_ECDH);
	/* The member keeps its algorithm for the warning's curve name. */
	assert_string_equal(roster_holder(F->r, 3)->enc_algo, "cv25519");
	assert_string_equal(roster_holder(F->r, 1)->enc_algo, "rsa3072");
	m = roster_operator(F->r);
	assert_non_null(m);
	assert_string_equal(m->name, "Olga Operator");
	assert_int_equal(m->share_index, 0);
	assert_int_equal(strlen(m->enc_keyid), PGP_KEYID_LEN);
	assert_string_equal(F->r->m[8].enc_keyid, "");	/* the witness */
	assert_int_equal(F->r->m[8].share_index, 0);
}

static void
bad_members_are_refused_and_change_nothing(void **state)
{
	static const struct {
		const char *name;
		enum roster_role role;
		const char *key;
		int err;
	} bad[] = {
		{ "S", ROSTER_HOLDER, "signonly", CK_ERR_KEY_NO_ENCRYPT },
		{ "E", ROSTER_HOLDER, "expiredsub", CK_ERR_KEY_EXPIRED },
		{ "X", ROSTER_HOLDER, "expired", CK_ERR_KEY_EXPIRED },
		{ "R", ROSTER_HOLDER, "revoked", CK_ERR_KEY_REVOKED },
		{ "Q", ROSTER_HOLDER, "revokedsub", CK_ERR_KEY_REVOKED },
		{ "C", ROSTER_WITNESS, "certonly", CK_ERR_KEY_CANNOT_SIGN },
		{ "Twice", ROSTER_HOLDER, "holder1", CK_ERR_KEY_DUPLICATE },
		{ "Holder 1", ROSTER_HOLDER, "multisub", CK_ERR_EXISTS },
		{ "Second operator", ROSTER_OPERATOR, "multisub", CK_ERR_EXISTS },
		{ "\x1b[2J", ROSTER_HOLDER, "multisub", CK_ERR_NOT_PRINTABLE },
		{ "", ROSTER_HOLDER, "multisub", CK_ERR_INVALID_ARG },
		{ "Missing", ROSTER_HOLDER, "nosuchkey", CK_ERR_NOT_FOUND },
	};
	char path[4096], *dump1, *dump2;
	unsigned char *a, *b, *ab;
	size_t i, alen, blen, l1, l2;

	(void)state;
	assert_int_equal(roster_dump(F->r, &dump1, &l1), CK_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(roster_add_keyfile(F->r, F->h, bad[i].name,
		    bad[i].role, tk_key(bad[i].key, 0)), bad[i].err);
	/* A file with two keys in it. */
	a = tk_slurp(tk_key("multisub", 0), &alen);
	b = tk_slurp(tk_key("dsaelg", 0), &blen);
	ab = malloc(alen + blen);
	memcpy(ab, a, alen);
	memcpy(ab + alen, b, blen);
	snprintf(path, sizeof(path), "%s/two.asc", F->base);
	tk_spit(path, ab, alen + blen);
	assert_int_equal(roster_add_keyfile(F->r, F->h, "Two", ROSTER_HOLDER,
	    path), CK_ERR_FORMAT);
	free(a);
	free(b);
	free(ab);
	assert_int_equal(roster_dump(F->r, &dump2, &l2), CK_OK);
	assert_int_equal(l1, l2);
	assert_memory_equal(dump1, dump2, l1);
	free(dump1);
	free(dump2);
}

static void
saved_json_round_trips_in_fixed_order(void **state)
{
	struct roster *back = NULL;
	char *d1, *d2, *p;
	size_t l1, l2;
	static const char *const order[] = { "\"format\"", "\"members\"",
	    "\"name\"", "\"role\"", "\"share_index\"", "\"fingerprint\"",
	    "\"encryption_key_id\"", "\"key\"" };
	size_t i;

	(void)state;
	assert_int_equal(roster_dump(F->r, &d1, &l1), CK_OK);
	p = d1;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		assert_non_null(p = strstr(p, order[i]));
		p += strlen(order[i]);
	}
	assert_int_equal(roster_parse(d1, l1, &back), CK_OK);
	assert_int_equal(back->n, F->r->n);
	assert_int_equal(back->n_holders, 7);
	assert_int_equal(roster_dump(back, &d2, &l2), CK_OK);
	assert_int_equal(l1, l2);
	assert_memory_equal(d1, d2, l1);
	roster_free(back);
	free(d1);
	free(d2);
}

/* Dump, let edit() change the JSON, parse: the error. */
static int
parse_edited(void (*edit)(json_t *))
{
	struct roster *back = NULL;
	json_t *j;
	char *d;
	size_t l;
	int e;

	assert_int_equal(roster_dump(F->r, &d, &l), CK_OK);
	j = json_loadb(d, l, 0, NULL);
	free(d);
	edit(j);
	d = json_dumps(j, JSON_PRESERVE_ORDER);
	json_decref(j);
	e = roster_parse(d, strlen(d), &back);
	if (e != CK_OK)
		assert_null(back);
	roster_free(back);
	free(d);
	return e;
}

static json_t *
member(json_t *j, size_t i)
{
	return json_array_get(json_object_get(j, "members"), i);
}

static void ed_none(json_t *j) { (void)j; }
static void ed_extra(json_t *j) { json_object_set_new(member(j, 0), "x", json_true()); }
static void ed_missing(json_t *j) { json_object_del(member(j, 2), "key"); }
static void ed_top(json_t *j) { json_object_set_new(j, "cluster", json_null()); }
static void ed_format(json_t *j) { json_object_set_new(j, "format", json_string("conclave-roster/2")); }
static void ed_order(json_t *j) { json_object_set_new(member(j, 1), "share_index", json_integer(3)); }
static void ed_witness_idx(json_t *j) { json_object_set_new(member(j, 8), "share_index", json_integer(8)); }
static void ed_role(json_t *j) { json_object_set_new(member(j, 0), "role", json_string("king")); }
static void ed_upper(json_t *j)
{
	char f[41];

	snprintf(f, sizeof(f), "%s", json_string_value(json_object_get(member(j, 0), "fingerprint")));
	f[0] = 'A';
	json_object_set_new(member(j, 0), "fingerprint", json_string(f));
}
static void ed_dupfpr(json_t *j)
{
	json_object_set(member(j, 1), "fingerprint", json_object_get(member(j, 0), "fingerprint"));
}
static void ed_name(json_t *j) { json_object_set_new(member(j, 0), "name", json_string("a\x07" "b")); }
static void ed_type(json_t *j) { json_object_set_new(member(j, 0), "share_index", json_string("1")); }
static void ed_keyid(json_t *j) { json_object_set_new(member(j, 0), "encryption_key_id", json_string("0011")); }

static void
parse_is_strict(void **state)
{
	static const char dup[] =
	    "{\"format\":\"conclave-roster/1\",\"members\":[],\"members\":[]}";
	struct roster *back = NULL;

	(void)state;
	assert_int_equal(parse_edited(ed_none), CK_OK);
	assert_int_equal(parse_edited(ed_extra), CK_ERR_FORMAT);
	assert_int_equal(parse_edited(ed_missing), CK_ERR_FORMAT);
	assert_int_equal(parse_edited(ed_top), CK_ERR_FORMAT);
	assert_int_equal(parse_edited(ed_format), CK_ERR_BAD_VERSION);
	assert_int_equal(parse_edited(ed_order), CK_ERR_FORMAT);
	assert_int_equal(parse_edited(ed_witness_idx), CK_ERR_FORMAT);
	assert_int_equal(parse_edited(ed_role), CK_ERR_BAD_TYPE);
	assert_int_equal(parse_edited(ed_upper), CK_ERR_ENCODING);
	assert_int_equal(parse_edited(ed_dupfpr), CK_ERR_KEY_DUPLICATE);
	assert_int_equal(parse_edited(ed_name), CK_ERR_NOT_PRINTABLE);
	assert_int_equal(parse_edited(ed_type), CK_ERR_FORMAT);
	assert_int_equal(parse_edited(ed_keyid), CK_ERR_FORMAT);
	assert_int_equal(roster_parse(dup, strlen(dup), &back),
	    CK_ERR_DUPLICATE_KEY);
	assert_int_equal(roster_parse("[]", 2, &back), CK_ERR_FORMAT);
	assert_null(back);
}

static void
ed_swapkeys(json_t *j)
{
	json_t *k0 = json_incref(json_object_get(member(j, 0), "key"));

	json_object_set(member(j, 0), "key", json_object_get(member(j, 1), "key"));
	json_object_set_new(member(j, 1), "key", k0);
}

static void
ed_otherkeyid(json_t *j)
{
	json_object_set_new(member(j, 0), "encryption_key_id",
	    json_string("0123456789abcdef"));
}

/* Parse an edited dump, then re-import its keys into a fresh home. */
static int
import_edited(void (*edit)(json_t *))
{
	struct roster *back = NULL;
	struct pgp_home *h = NULL;
	json_t *j;
	char *d;
	size_t l;
	int e;

	assert_int_equal(roster_dump(F->r, &d, &l), CK_OK);
	j = json_loadb(d, l, 0, NULL);
	free(d);
	edit(j);
	d = json_dumps(j, JSON_PRESERVE_ORDER);
	json_decref(j);
	assert_int_equal(roster_parse(d, strlen(d), &back), CK_OK);
	free(d);
	assert_int_equal(pgp_home_open(F->base, &h), CK_OK);
	e = roster_import_keys(back, h);
	if (e == CK_OK) {
		assert_int_equal(back->m[2].warnings, PGP_WARN_ECDH);
		assert_string_equal(back->m[2].enc_algo, "cv25519");
	}
	pgp_home_close(h);
	roster_free(back);
	return e;
}

static void
recorded_keys_are_checked_on_import(void **state)
{
	(void)state;
	assert_int_equal(import_edited(ed_none), CK_OK);
	assert_int_equal(import_edited(ed_swapkeys), CK_ERR_WRONG_KEY);
	assert_int_equal(import_edited(ed_otherkeyid), CK_ERR_WRONG_KEY);
}

/* gpg's encryption of a share to the given fixture keys (by fingerprint). */
static unsigned char *
encrypt_to(const char *a, const char *b, size_t *len)
{
	char cmd[1024], out[512], fa[41], fb[41];
	unsigned char *msg;

	tk_fpr(a, fa);
	if (b != NULL)
		tk_fpr(b, fb);
	snprintf(out, sizeof(out), "%s/share.gpg", F->base);
	snprintf(cmd, sizeof(cmd), "printf %%s 00ff | gpg --homedir %s "
	    "--batch --quiet --yes --trust-model always -e -r %s %s%s -o %s",
	    pgp_home_dir(F->h), fa, b != NULL ? "-r " : "", b != NULL ? fb : "",
	    out);
	assert_int_equal(tk_run(cmd, NULL, 0, NULL), 0);
	msg = tk_slurp(out, len);
	return msg;
}

static void
share_must_go_to_its_holder_alone(void **state)
{
	const struct roster_member *h1 = roster_holder(F->r, 1);
	const struct roster_member *h2 = roster_holder(F->r, 2);
	unsigned char *msg;
	size_t len;

	(void)state;
	msg = encrypt_to("holder1", NULL, &len);
	assert_int_equal(roster_check_recipient(h1, msg, len), CK_OK);
	assert_int_equal(roster_check_recipient(h2, msg, len),
	    CK_ERR_WRONG_RECIPIENT);
	assert_int_equal(roster_check_recipient(&F->r->m[8], msg, len),
	    CK_ERR_INVALID_ARG);
	assert_int_equal(roster_check_recipient(h1, msg, len / 2),
	    CK_ERR_TRUNCATED);
	free(msg);
	/* Also encrypted to someone else: refused even for holder 1. */
	msg = encrypt_to("holder1", "multisub", &len);
	assert_int_equal(roster_check_recipient(h1, msg, len),
	    CK_ERR_WRONG_RECIPIENT);
	free(msg);
	msg = encrypt_to("operator", NULL, &len);
	assert_int_equal(roster_check_recipient(roster_operator(F->r), msg,
	    len), CK_OK);
	free(msg);
}

static void
fingerprints_read_as_words(void **state)
{
	const struct roster_member *m = roster_holder(F->r, 1);
	char w[ROSTER_FPR_WORDS_MAX], *p;
	unsigned first;
	size_t n = 1;

	(void)state;
	assert_int_equal(roster_fpr_words(m, w, sizeof(w)), CK_OK);
	for (p = w; *p != '\0'; p++)
		n += *p == ' ';
	assert_int_equal(n, 20);
	assert_true(sscanf(m->fpr, "%2x", &first) == 1);
	assert_int_equal(strncmp(w, words_for_byte((uint8_t)first, 0),
	    strlen(words_for_byte((uint8_t)first, 0))), 0);
	assert_int_equal(roster_fpr_words(m, w, 10), CK_ERR_INVALID_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(holders_are_in_share_order_with_their_keys),
		cmocka_unit_test(bad_members_are_refused_and_change_nothing),
		cmocka_unit_test(saved_json_round_trips_in_fixed_order),
		cmocka_unit_test(parse_is_strict),
		cmocka_unit_test(recorded_keys_are_checked_on_import),
		cmocka_unit_test(share_must_go_to_its_holder_alone),
		cmocka_unit_test(fingerprints_read_as_words),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
