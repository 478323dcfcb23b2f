/*
 * protocol/steps: every ceremony kind has its numbered steps, and the
 * appliance's screens agree with them: each screen a kind passes through
 * names a step of that kind, and that step says what the screen's title
 * line says (the printed script quotes it, people match paper and screen).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/kinds.h"
#include "protocol/steps.h"
#include "ui/ui.h"

static void
every_kind_has_steps(void **state)
{
	static const char *const kinds[] = { KIND_INIT, KIND_UNSEAL, KIND_REKEY,
	    KIND_GENERATE_ROOT, KIND_DR_TOKEN, KIND_MIGRATE };
	const struct steps_kind *k;
	size_t i, j, n = 0;

	(void)state;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		assert_non_null(k = steps_for(kinds[i]));
		assert_string_equal(k->kind, kinds[i]);
		assert_true(k->n >= 5);
		for (j = 0; j < k->n; j++) {
			assert_int_equal(steps_number(k, &k->step[j]), j + 1);
			assert_non_null(k->step[j].does);
			assert_non_null(k->step[j].shows);
		}
		/* Every kind ends with the head words, on the close record. */
		assert_int_equal(k->step[k->n - 1].words, STEPS_WORDS_HEAD);
		assert_string_equal(k->step[k->n - 1].record, "close");
	}
	while (steps_kind_at(n) != NULL)
		n++;
	assert_int_equal(n, sizeof(kinds) / sizeof(kinds[0]));
	assert_null(steps_for("seal-migrate"));
	assert_null(steps_for(NULL));
}

/* The screens each guided ceremony passes through, in order. */
static void
screens_match(const char *kind, const struct ui_screen *const *sc, size_t n,
    const char *const *extra, size_t nextra)
{
	const struct steps_kind *k = steps_for(kind);
	const struct steps_step *s;
	unsigned last = 0;
	size_t i;

	assert_non_null(k);
	for (i = 0; i < n; i++) {
		s = steps_on_screen(k, sc[i]->step);
		if (s == NULL)
			fail_msg("%s: screen \"%s\" (%s) is no step", kind,
			    sc[i]->title, sc[i]->step);
		assert_string_equal(s->shows, sc[i]->title);
		assert_true(steps_number(k, s) > last);	/* in screen order */
		last = steps_number(k, s);
	}
	for (i = 0; i < nextra; i++)	/* ids the UI picks by phase */
		assert_non_null(steps_on_screen(k, extra[i]));
}

static void
screens_agree_with_steps(void **state)
{
	/* Every ceremony ends with the witnesses' review, after its
	 * irreversible steps (init: the revocation), before the close. */
	const struct ui_screen *init[] = { &scr_start, &scr_roster,
	    &scr_threshold, &scr_fpr, &scr_begin, &scr_result, &scr_handout,
	    &scr_close, &scr_review, &scr_summary };
	const struct ui_screen *quorum[] = { &scr_start, &scr_quorum_begin,
	    &scr_sas, &scr_quorum_share, &scr_quorum_result, &scr_review,
	    &scr_summary };
	const struct ui_screen *rekey[] = { &scr_start, &scr_roster,
	    &scr_threshold, &scr_fpr, &scr_begin, &scr_sas, &scr_quorum_share,
	    &scr_quorum_result, &scr_handout, &scr_check, &scr_review,
	    &scr_summary };
	const char *const verify[] = { "verify", "verify-submit" };

	(void)state;
	screens_match(KIND_INIT, init, sizeof(init) / sizeof(init[0]), NULL, 0);
	screens_match(KIND_UNSEAL, quorum, sizeof(quorum) / sizeof(quorum[0]),
	    NULL, 0);
	screens_match(KIND_GENERATE_ROOT, quorum, sizeof(quorum) /
	    sizeof(quorum[0]), NULL, 0);
	screens_match(KIND_REKEY, rekey, sizeof(rekey) / sizeof(rekey[0]),
	    verify, 2);
	screens_match(KIND_DR_TOKEN, quorum, sizeof(quorum) / sizeof(quorum[0]),
	    NULL, 0);
	screens_match(KIND_MIGRATE, quorum, sizeof(quorum) / sizeof(quorum[0]),
	    NULL, 0);
}

static void
records_mark_steps_in_order(void **state)
{
	const struct steps_kind *k = steps_for(KIND_REKEY);
	const struct steps_step *share = steps_on_screen(k, "share");
	const struct steps_step *verify = steps_on_screen(k, "verify");
	size_t i;

	(void)state;
	/* Sealed old shares mark the quorum step; searched from the
	 * verification on, the same type marks nothing earlier. */
	i = steps_marked_by(k, "share-sealed", 0);
	assert_ptr_equal(&k->step[i], share);
	assert_int_equal(steps_marked_by(k, "share-sealed",
	    (size_t)(verify - k->step)), k->n);
	assert_int_equal(steps_marked_by(k, "no-such-record", 0), k->n);
	i = steps_marked_by(steps_for(KIND_INIT), "share-handed-out", 0);
	assert_string_equal(steps_for(KIND_INIT)->step[i].screen, "handout");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_kind_has_steps),
		cmocka_unit_test(screens_agree_with_steps),
		cmocka_unit_test(records_mark_steps_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
