/*
 * ceremony/record: the facts of an unseal transcript written here with
 * the transcript library (open, the records the engine writes, a refusal,
 * a long deviation in a script of many bytes per character, close): each
 * numbered step dated by its record, the exceptions listed, text cut only
 * between characters; and nothing at all from a transcript that does not
 * verify. The record the appliance's parser child sends over the wire is
 * the one built here, fact for fact.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>

#include "appliance/wire.h"
#include "ceremony/record.h"
#include "ceremony/transcript.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "crypto/secmem.h"
#include "protocol/kinds.h"
#include "protocol/minisig.h"
#include "tests/unit/helper_transcript.h"

static void
event(struct transcript *t, const char *type, const char *actor, json_t *d)
{
	struct transcript_event ev = { .type = type, .actor = actor,
	    .details = d };

	assert_int_equal(transcript_append(t, &ev), CK_OK);
	json_decref(d);
}

/* An unseal as the engine records it, with a refusal and a deviation. */
static void
write_unseal(struct tx_fixture *f, const char *deviation)
{
	struct transcript *t;
	json_t *d = json_pack("{s:s, s:s}", "ceremony_id",
	    "00112233445566778899aabbccddeeff", "kind", KIND_UNSEAL);

	assert_int_equal(transcript_open(&t, f->path, "appliance", d, NULL,
	    f->sk), CK_OK);
	json_decref(d);
	event(t, "unseal-request-sent", "appliance", NULL);
	event(t, "session-offer-accepted", "bridge", json_pack("{s:s, s:b}",
	    "sas", "adroitness aardvark absurd accrue acme", "sas_confirmed", 1));
	event(t, "refused", "mallory", json_pack("{s:s, s:s, s:s}", "what",
	    "share", "error", "CK_ERR_WRONG_RECIPIENT", "reason",
	    "encrypted to another key"));
	event(t, "share-sealed", "alice", json_pack("{s:s, s:i}", "holder",
	    "alice", "x_tag", 7));
	event(t, "share-sealed", "bob", json_pack("{s:s, s:i}", "holder", "bob",
	    "x_tag", 9));
	event(t, "deviation", "walt", json_pack("{s:s}", "text", deviation));
	event(t, "unseal-result", "bridge", json_pack("{s:[], s:i}", "nodes",
	    "still_sealed", 0));
	event(t, "witness-confirmation", "walt", json_pack("{s:b}", "confirmed",
	    1));
	assert_int_equal(transcript_close(t, "appliance", NULL), CK_OK);
	transcript_free(t);
}

static const struct record_item *
find(const struct record *r, enum record_section sec, const char *label)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->item[i].section == sec &&
		    strncmp(r->item[i].label, label, strlen(label)) == 0)
			return &r->item[i];
	return NULL;
}

static void
facts_of_an_unseal(void **state)
{
	struct tx_fixture *f = *state;
	char deviation[4000] = "x";	/* then the item's end falls mid-character */
	struct transcript_report rep;
	const struct record_item *it;
	struct record *r;
	size_t i;

	/* 1,000 three-byte characters: longer than any item holds. */
	for (i = 0; i < 1000; i++)
		strcat(deviation, "\xe2\x82\xac");	/* U+20AC */
	write_unseal(f, deviation);
	assert_int_equal(record_read(f->path, NULL, &r, &rep), CK_OK);
	assert_non_null(r->kind);
	assert_string_equal(r->kind_name, KIND_UNSEAL);
	assert_int_equal(r->audit_err, CK_OK);	/* no rules for unseal */
	/* Steps: the request, the SAS, the shares (twice), the result, the
	 * witnesses' review, close. */
	assert_string_equal(find(r, RECORD_STEPS, "Step 1:")->value,
	    "not on the transcript");
	assert_non_null(strstr(find(r, RECORD_STEPS, "Step 4:")->value,
	    "(2 times)"));
	for (i = 2; i <= 7; i++) {
		char label[16];

		snprintf(label, sizeof(label), "Step %zu:", i);
		assert_non_null(it = find(r, RECORD_STEPS, label));
		assert_int_equal(strncmp(it->value, "20", 2), 0);	/* a time */
	}
	assert_non_null(find(r, RECORD_SHARES, "Share of alice"));
	assert_non_null(find(r, RECORD_SHARES, "Share of bob"));
	assert_string_equal(find(r, RECORD_OUTCOME,
	    "Short authentication string")->value,
	    "adroitness aardvark absurd accrue acme");
	it = find(r, RECORD_EXCEPTIONS, "");
	assert_non_null(it);
	assert_non_null(strstr(it->label, "refused (mallory)"));
	assert_non_null(strstr(it->value, "CK_ERR_WRONG_RECIPIENT"));
	/* The deviation is cut, between characters. */
	assert_non_null(it = find(r, RECORD_EXCEPTIONS, ""));
	for (i = 0; i < r->n; i++)
		if (r->item[i].section == RECORD_EXCEPTIONS &&
		    strstr(r->item[i].label, "deviation") != NULL)
			it = &r->item[i];
	assert_non_null(strstr(it->label, "deviation (walt)"));
	assert_true(strlen(it->value) > 600);
	assert_int_equal((strlen(it->value) - 1) % 3, 0);
	for (i = 0; i < r->n; i++) {
		assert_int_equal(rd_utf8(r->item[i].label,
		    strlen(r->item[i].label)), CK_OK);
		assert_int_equal(rd_utf8(r->item[i].value,
		    strlen(r->item[i].value)), CK_OK);
	}
	/* Each record names the step it marks; who gave a share signs, once. */
	assert_non_null(it = find(r, RECORD_EVENTS, "4 "));
	assert_string_equal(it->value, "share-sealed (alice, step 4)");
	assert_string_equal(find(r, RECORD_SIGNERS, "alice")->value, "holder");
	assert_string_equal(find(r, RECORD_SIGNERS, "bob")->value, "holder");
	assert_null(find(r, RECORD_SIGNERS, "mallory"));
	/* verify's one line is the record's outcome. */
	assert_non_null(strstr(r->outcome, "no rules for this kind"));
	record_free(r);
}

static void
tampered_gives_nothing(void **state)
{
	struct tx_fixture *f = *state;
	struct transcript_report rep;
	struct record *r = (struct record *)1;
	char cmd[256];

	write_unseal(f, "a short one");
	snprintf(cmd, sizeof(cmd), "sed -i '4s/mallory/malloRy/' '%s'", f->path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(record_read(f->path, NULL, &r, &rep), CK_ERR_CHAIN);
	assert_null(r);
	assert_int_equal(rep.bad_line, 5);	/* the next record's prev */
}

static void
the_child_sends_the_same_record(void **state)
{
	struct tx_fixture *f = *state;
	struct transcript_report rep, rep2;
	struct record *r, *r2;
	struct wire_buf b = { 0 };
	size_t i;
	int result;

	write_unseal(f, "a deviation");
	assert_int_equal(record_read(f->path, NULL, &r, &rep), CK_OK);
	wire_put_record(&b, CK_OK, &rep, r);
	assert_int_equal(b.err, CK_OK);
	assert_int_equal(wire_get_record(b.p, b.len, &result, &rep2, &r2),
	    CK_OK);
	assert_int_equal(result, CK_OK);
	assert_memory_equal(&rep, &rep2, sizeof(rep));
	assert_ptr_equal(r->kind, r2->kind);
	assert_string_equal(r->kind_name, r2->kind_name);
	assert_string_equal(r->ceremony_id, r2->ceremony_id);
	assert_string_equal(r->closed, r2->closed);
	assert_string_equal(r->outcome, r2->outcome);
	assert_int_equal(r->audit_err, r2->audit_err);
	assert_memory_equal(&r->audit, &r2->audit, sizeof(r->audit));
	assert_int_equal(r->n, r2->n);
	for (i = 0; i < r->n; i++) {
		assert_int_equal(r->item[i].section, r2->item[i].section);
		assert_int_equal(r->item[i].style, r2->item[i].style);
		assert_string_equal(r->item[i].label, r2->item[i].label);
		assert_string_equal(r->item[i].value, r2->item[i].value);
	}
	record_free(r2);
	/* A record with a failed verdict, or none with a good one, is out of
	 * protocol. */
	wire_buf_free(&b);
	wire_put_record(&b, CK_ERR_CHAIN, &rep, r);
	assert_int_equal(wire_get_record(b.p, b.len, &result, &rep2, &r2),
	    CK_ERR_FORMAT);
	assert_null(r2);
	wire_buf_free(&b);
	wire_put_record(&b, CK_OK, &rep, NULL);
	assert_int_equal(wire_get_record(b.p, b.len, &result, &rep2, &r2),
	    CK_ERR_FORMAT);
	/* A count of facts beyond what the bytes can hold is refused before
	 * anything is allocated for them. */
	wire_buf_free(&b);
	r->n = 0;
	wire_put_record(&b, CK_OK, &rep, r);
	b.p[b.len - 4] = 0x7f;
	assert_int_equal(wire_get_record(b.p, b.len, &result, &rep2, &r2),
	    CK_ERR_TRUNCATED);
	wire_buf_free(&b);
	record_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(facts_of_an_unseal, tx_setup,
		    tx_teardown),
		cmocka_unit_test_setup_teardown(the_child_sends_the_same_record,
		    tx_setup, tx_teardown),
		cmocka_unit_test_setup_teardown(tampered_gives_nothing, tx_setup,
		    tx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
