#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ceremony/audit.h"
#include "crypto/errors.h"

#define OPEN_INIT "{\"seq\":0,\"type\":\"open\",\"details\":{\"kind\":\"init\",\"n\":3,\"t\":2}}\n"
#define PROOF(k) "{\"type\":\"share-handed-out\",\"details\":{\"share\":" #k \
    ",\"commitment\":\"00\"}}\n"
#define UNPROVEN(k) "{\"type\":\"share-handed-out\",\"details\":{\"share\":" #k "}}\n"
#define REVOKED "{\"type\":\"root-token-revoked\",\"details\":" \
    "{\"accessor\":\"a\",\"lookup_refused\":true}}\n"
#define REVOKED_CLAIM(details) "{\"type\":\"root-token-revoked\",\"details\":" \
    details "}\n"
#define REFUSED "{\"type\":\"refused\",\"details\":{}}\n"
#define CLOSE "{\"type\":\"close\",\"details\":{}}\n"

static int
run(const char *text, struct audit_report *rep)
{
	return audit_transcript(text, strlen(text), rep);
}

static void
complete_init_passes(void **state)
{
	struct audit_report rep;

	(void)state;
	assert_int_equal(run(OPEN_INIT REFUSED PROOF(2) PROOF(1) PROOF(3) REVOKED
	    CLOSE, &rep), CK_OK);
	assert_string_equal(rep.kind, "init");
	assert_int_equal(rep.rules, 1);
	assert_int_equal(rep.proven, 3);
	assert_int_equal(rep.n, 3);
	assert_int_equal(rep.refused, 1);
}

static void
missing_handout_is_named(void **state)
{
	struct audit_report rep;

	(void)state;
	assert_int_equal(run(OPEN_INIT PROOF(1) PROOF(3) REVOKED CLOSE, &rep),
	    CK_ERR_INCOMPLETE);
	assert_non_null(strstr(rep.problem, "share 2"));
}

static void
unrevoked_root_token_fails(void **state)
{
	struct audit_report rep;

	(void)state;
	assert_int_equal(run(OPEN_INIT PROOF(1) PROOF(2) PROOF(3) CLOSE, &rep),
	    CK_ERR_INCOMPLETE);
	assert_non_null(strstr(rep.problem, "revoked"));
}

/* Issue 13: a revocation counts only when a refused lookup proves it. */
static void
revocation_needs_its_proof(void **state)
{
	static const char *const claims[] = {
		REVOKED_CLAIM("{}"),
		REVOKED_CLAIM("{\"accessor\":\"a\",\"lookup_refused\":false}"),
		REVOKED_CLAIM("{\"accessor\":\"a\"}"),
		REVOKED_CLAIM("{\"accessor\":\"\",\"lookup_refused\":true}"),
		REVOKED_CLAIM("{\"lookup_refused\":true}"),
	};
	struct audit_report rep;
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		snprintf(text, sizeof(text), "%s%s%s%s%s%s", OPEN_INIT, PROOF(1),
		    PROOF(2), PROOF(3), claims[i], CLOSE);
		assert_int_equal(run(text, &rep), CK_ERR_INCOMPLETE);
		assert_non_null(strstr(rep.problem, "not shown revoked"));
	}
}

/* ... and a handout only with the commitment of its decrypt proof. */
static void
handout_needs_its_commitment(void **state)
{
	struct audit_report rep;

	(void)state;
	assert_int_equal(run(OPEN_INIT PROOF(1) UNPROVEN(2) PROOF(3) REVOKED CLOSE,
	    &rep), CK_ERR_INCOMPLETE);
	assert_non_null(strstr(rep.problem, "share 2"));
}

static void
a_share_twice_fails(void **state)
{
	struct audit_report rep;

	(void)state;
	assert_int_equal(run(OPEN_INIT PROOF(1) PROOF(2) PROOF(2) PROOF(3) REVOKED
	    CLOSE, &rep), CK_ERR_INCOMPLETE);
	assert_non_null(strstr(rep.problem, "twice"));
}

static void
kinds_without_rules_pass_and_say_so(void **state)
{
	struct audit_report rep;

	(void)state;
	assert_int_equal(run("{\"type\":\"open\",\"details\":{}}\n" CLOSE, &rep), CK_OK);
	assert_int_equal(rep.rules, 0);
	assert_int_equal(run("{\"type\":\"open\",\"details\":{}}\n{\"x\":1}\n", &rep),
	    CK_ERR_FORMAT);
}

/* The summary's counts come from the records, every kind alike. */
static void
exceptions_are_counted(void **state)
{
	struct audit_report rep;
	char line[AUDIT_TALLY_MAX];

	(void)state;
	assert_int_equal(run("{\"type\":\"open\",\"details\":{\"kind\":"
	    "\"unseal\"}}\n" REFUSED REFUSED
	    "{\"type\":\"deviation\",\"details\":{\"text\":\"late\"}}\n"
	    "{\"type\":\"submit-failed\",\"details\":{}}\n"
	    "{\"type\":\"share-sealed\",\"details\":{}}\n" CLOSE, &rep), CK_OK);
	assert_int_equal(rep.refused, 2);
	assert_int_equal(rep.deviations, 1);
	assert_int_equal(rep.exceptions, 4);
	audit_tally_text(&rep, line, sizeof(line));
	assert_string_equal(line, "2 refusals, 1 deviation, 4 exceptions in all "
	    "on the record");
	assert_int_equal(audit_is_exception("unseal-abandoned"), 1);
	assert_int_equal(audit_is_exception("share-sealed"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(complete_init_passes),
		cmocka_unit_test(missing_handout_is_named),
		cmocka_unit_test(unrevoked_root_token_fails),
		cmocka_unit_test(a_share_twice_fails),
		cmocka_unit_test(revocation_needs_its_proof),
		cmocka_unit_test(handout_needs_its_commitment),
		cmocka_unit_test(kinds_without_rules_pass_and_say_so),
		cmocka_unit_test(exceptions_are_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
