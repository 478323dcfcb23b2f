/*
 * appliance/monitor with a real parser child (this test program exec'd
 * with PARSER_ARG, as conclave is): the stick check's key file goes to
 * the child as a file, and the child that read it is ended after its
 * answer, so no child keeps a holder's secret key file beyond one request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "appliance/monitor.h"
#include "appliance/parser.h"
#include "crypto/errors.h"
#include "crypto/pgp.h"
#include "crypto/pgppkt.h"
#include "tests/unit/helper_keys.h"

static int
start(void **state)
{
	(void)state;
	return monitor_start() == CK_OK ? 0 : -1;
}

static int
stop(void **state)
{
	(void)state;
	monitor_stop();
	return 0;
}

static void
the_key_file_child_is_ended_after_its_answer(void **state)
{
	struct pgppkt_subkeys sk;
	struct pgp_fprs f;
	unsigned char *pub;
	uint8_t *bin = malloc(PGPPKT_KEY_MAX);
	char want[41];
	size_t len, blen;
	pid_t first;

	(void)state;
	assert_non_null(bin);
	assert_true((first = monitor_child()) > 0);
	assert_int_equal(pgp_keyfile_fprs(tk_key("holder1", 1), &f), CK_OK);
	assert_int_equal(f.n, 1);
	tk_fpr("holder1", want);
	assert_string_equal(f.fpr[0], want);
	assert_int_equal(monitor_child(), 0);
	assert_null(monitor_event());
	/* the next request has a fresh child */
	pub = tk_slurp(tk_key("holder1", 0), &len);
	assert_int_equal(pgppkt_dearmor_key(pub, len, bin, PGPPKT_KEY_MAX,
	    &blen), CK_OK);
	assert_int_equal(pgppkt_subkeys(bin, blen, &sk), CK_OK);
	assert_true(monitor_child() > 0);
	assert_int_not_equal(monitor_child(), first);
	free(pub);
	free(bin);
}

static void
a_refused_key_file_ends_its_child_too(void **state)
{
	struct pgp_fprs f;

	(void)state;
	assert_true(monitor_child() > 0);
	/* a public key where the secret key should be */
	assert_int_equal(pgp_keyfile_fprs(tk_key("holder3", 0), &f),
	    CK_ERR_FORMAT);
	assert_int_equal(f.n, 0);
	assert_int_equal(monitor_child(), 0);
}

static void
a_symlink_never_reaches_the_child(void **state)
{
	char *dir = tk_tmpdir(), link[512];
	struct pgp_fprs f;
	pid_t child;

	(void)state;
	assert_true((child = monitor_child()) > 0);
	snprintf(link, sizeof(link), "%s/key.asc", dir);
	assert_int_equal(symlink(tk_key("holder1", 1), link), 0);
	assert_int_equal(pgp_keyfile_fprs(link, &f), CK_ERR_SYMLINK);
	assert_int_equal(monitor_child(), child);
	tk_rmrf(dir);
	free(dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    the_key_file_child_is_ended_after_its_answer, start, stop),
		cmocka_unit_test_setup_teardown(
		    a_refused_key_file_ends_its_child_too, start, stop),
		cmocka_unit_test_setup_teardown(
		    a_symlink_never_reaches_the_child, start, stop),
	};

	/* The monitor exec's this program as its parser child. */
	if (argc == 2 && strcmp(argv[1], PARSER_ARG) == 0)
		return parser_main();
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
