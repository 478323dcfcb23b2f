/*
 * quorum_handout_build on the transcript of a quorum ceremony: the handout
 * it took is carried forward (still naming the init it came from, "via"
 * naming the ceremony it was read from), one that took none is
 * CK_ERR_NOT_FOUND, and what it carries gets the same shape checks.
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

#include "ceremony/quorum.h"
#include "ceremony/transcript.h"
#include "crypto/errors.h"
#include "protocol/kinds.h"
#include "tests/unit/helper_transcript.h"

#define INIT_ID		"00112233445566778899aabbccddeeff"
#define UNSEAL_ID	"ffeeddccbbaa99887766554433221100"

/* alice and bob, each handed a share; carol on the roster, handed none. */
static json_t *
holders(void)
{
	return json_pack("[{s:s, s:i, s:s, s:s, s:i, s:s}, "
	    "{s:s, s:i, s:s, s:s, s:i, s:s}, {s:s, s:i}]",
	    "name", "alice", "share", 1, "fingerprint", "AB12",
	    "encryption_key", "cd34", "x_tag", 1, "commitment", "ef56",
	    "name", "bob", "share", 2, "fingerprint", "AB13",
	    "encryption_key", "cd35", "x_tag", 2, "commitment", "ef57",
	    "name", "carol", "share", 3);
}

/*
 * The open transcript of a ceremony of kind at f->path; loaded: the
 * details of its handout-commitments-loaded record, or NULL for none.
 */
static void
write_quorum(struct tx_fixture *f, const char *kind, json_t *loaded)
{
	struct transcript *t = NULL;
	json_t *d = json_pack("{s:s, s:s}", "ceremony_id", UNSEAL_ID, "kind",
	    kind);
	struct transcript_event ev = { .type = "handout-commitments-loaded",
	    .actor = KIND_ACTOR_APPLIANCE, .details = loaded };

	assert_int_equal(transcript_open(&t, f->path, KIND_ACTOR_APPLIANCE, d,
	    NULL, f->sk), CK_OK);
	json_decref(d);
	if (loaded != NULL)
		assert_int_equal(transcript_append(t, &ev), CK_OK);
	transcript_free(t);
}

/* quorum_handout_build on the file at f->path (open: no signature). */
static int
build(const struct tx_fixture *f, json_t **h, int *verified)
{
	struct transcript_report rep;
	uint8_t *buf = malloc(1 << 16);
	FILE *fp = fopen(f->path, "rb");
	size_t len;
	int r;

	assert_non_null(fp);
	assert_non_null(buf);
	len = fread(buf, 1, 1 << 16, fp);
	fclose(fp);
	r = quorum_handout_build(buf, len, NULL, 0, h, verified, &rep);
	free(buf);
	return r;
}

/* The details quorum_take_handout records for the init's handout. */
static json_t *
loaded(void)
{
	return json_pack("{s:s, s:s, s:s, s:[s, s], s:o}", "ceremony_id",
	    INIT_ID, "kind", KIND_INIT, "state", "closed", "holders", "alice",
	    "bob", "handout", holders());
}

static void
an_unseal_carries_the_handout_it_took(void **state)
{
	struct tx_fixture *f = *state;
	json_t *d = loaded(), *h = NULL, *want = holders();
	int verified = 0;

	write_quorum(f, KIND_UNSEAL, d);
	json_decref(d);
	assert_int_equal(build(f, &h, &verified), CK_OK);
	assert_int_equal(verified, 1);
	/* Still the init's shares, read through the unseal. */
	assert_string_equal(json_string_value(json_object_get(h, "ceremony_id")),
	    INIT_ID);
	assert_string_equal(json_string_value(json_object_get(h, "kind")),
	    KIND_INIT);
	assert_string_equal(json_string_value(json_object_get(h, "state")),
	    "closed");
	assert_true(json_equal(json_object_get(h, "holders"), want));
	assert_string_equal(json_string_value(json_object_get(json_object_get(h,
	    "via"), "ceremony_id")), UNSEAL_ID);
	assert_string_equal(json_string_value(json_object_get(json_object_get(h,
	    "via"), "kind")), KIND_UNSEAL);
	assert_int_equal(quorum_handout_check(h), CK_OK);
	json_decref(h);
	json_decref(want);
}

static void
a_ceremony_that_took_no_handout_gives_none(void **state)
{
	struct tx_fixture *f = *state;
	json_t *h = NULL;
	int verified = 0;

	write_quorum(f, KIND_GENERATE_ROOT, NULL);
	assert_int_equal(build(f, &h, &verified), CK_ERR_NOT_FOUND);
	assert_int_equal(verified, 1);
	assert_null(h);
}

static void
an_older_record_without_commitments_is_named(void **state)
{
	struct tx_fixture *f = *state;
	json_t *d = loaded(), *h = NULL;
	int verified = 0;

	json_object_del(d, "handout");
	write_quorum(f, KIND_UNSEAL, d);
	json_decref(d);
	assert_int_equal(build(f, &h, &verified), CK_ERR_UNSUPPORTED);
	assert_null(h);
}

static void
a_carried_handout_gets_the_shape_checks(void **state)
{
	struct tx_fixture *f = *state;
	json_t *d = loaded(), *h = NULL;
	int verified = 0;

	/* An x-tag no share has. */
	json_object_set_new(json_array_get(json_object_get(d, "handout"), 0),
	    "x_tag", json_integer(300));
	write_quorum(f, KIND_MIGRATE, d);
	json_decref(d);
	assert_int_equal(build(f, &h, &verified), CK_ERR_FORMAT);
	assert_null(h);
}

static void
via_names_a_quorum_ceremony(void **state)
{
	json_t *h = loaded();
	json_t *holders_ = json_incref(json_object_get(h, "handout"));

	(void)state;
	json_object_del(h, "handout");
	json_object_set_new(h, "holders", holders_);
	json_object_set_new(h, "via", json_pack("{s:s, s:s}", "ceremony_id",
	    UNSEAL_ID, "kind", KIND_DR_TOKEN));
	assert_int_equal(quorum_handout_check(h), CK_OK);
	json_object_set_new(h, "via", json_pack("{s:s, s:s}", "ceremony_id",
	    UNSEAL_ID, "kind", KIND_INIT));
	assert_int_equal(quorum_handout_check(h), CK_ERR_FORMAT);
	json_object_set_new(h, "via", json_pack("{s:s, s:s}", "ceremony_id",
	    "0011", "kind", KIND_UNSEAL));
	assert_int_equal(quorum_handout_check(h), CK_ERR_FORMAT);
	json_object_set_new(h, "via", json_pack("{s:s, s:s, s:s}", "ceremony_id",
	    UNSEAL_ID, "kind", KIND_UNSEAL, "token", "x"));
	assert_int_equal(quorum_handout_check(h), CK_ERR_FORMAT);
	json_decref(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(an_unseal_carries_the_handout_it_took, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(a_ceremony_that_took_no_handout_gives_none, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(an_older_record_without_commitments_is_named, tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(a_carried_handout_gets_the_shape_checks, tx_setup, tx_teardown),
		cmocka_unit_test(via_names_a_quorum_ceremony),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
