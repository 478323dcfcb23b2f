#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "ceremony/init.h"
#include "ceremony/session.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"

/* The server's own rule (vault-openbao-api.md §1.2). */
static void
quorum_rule(void **state)
{
	(void)state;
	assert_int_equal(kinds_check_quorum(1, 1), CK_OK);
	assert_int_equal(kinds_check_quorum(2, 2), CK_OK);
	assert_int_equal(kinds_check_quorum(5, 3), CK_OK);
	assert_int_equal(kinds_check_quorum(255, 255), CK_OK);
	assert_int_equal(kinds_check_quorum(256, 3), CK_ERR_QUORUM);
	assert_int_equal(kinds_check_quorum(5, 6), CK_ERR_QUORUM);
	assert_int_equal(kinds_check_quorum(5, 1), CK_ERR_QUORUM);
	assert_int_equal(kinds_check_quorum(5, 0), CK_ERR_QUORUM);
	assert_int_equal(kinds_check_quorum(0, 0), CK_ERR_QUORUM);
}

static char *
tmpdir(void)
{
	char *d = strdup("/tmp/conclave-session-XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static long
lines(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = 0;
	int c;

	assert_non_null(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/*
 * One process per command-line step: reloading adds no record; the key
 * file is gone once the ceremony closes, and a closed ceremony will not
 * load; a state folder is never reused.
 */
static void
session_steps(void **state)
{
	struct session *s = NULL;
	char *root = tmpdir(), dir[256], x[256], path[300];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/state", root);
	snprintf(x, sizeof(x), "%s/x", root);
	assert_int_equal(mkdir(x, 0700), 0);
	assert_int_equal(session_create(dir, x, "test", "appliance", NULL, NULL, &s), CK_OK);
	snprintf(path, sizeof(path), "%s/%s", dir, SESSION_TRANSCRIPT);
	assert_int_equal(lines(path), 1);
	session_free(s);

	assert_int_equal(session_create(dir, x, "test", "appliance", NULL, NULL, &s),
	    CK_ERR_EXISTS);
	assert_int_equal(session_load(dir, "init", NULL, &s), CK_ERR_BAD_TYPE);
	assert_int_equal(session_load(dir, "test", NULL, &s), CK_OK);
	assert_int_equal(lines(path), 1);	/* no resume record */
	assert_int_equal(session_record(s, "step", "appliance", NULL), CK_OK);
	assert_int_equal(session_close(s, "appliance", NULL), CK_OK);
	session_free(s);

	snprintf(path, sizeof(path), "%s/%s", dir, SESSION_KEY_FILE);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(session_load(dir, "test", NULL, &s), CK_ERR_CLOSED);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
	free(root);
}

static int
on_tmpfs(const char *dir)
{
	struct statfs st;

	assert_int_equal(statfs(dir, &st), 0);
	return st.f_type == TMPFS_MAGIC || st.f_type == RAMFS_MAGIC;
}

/* A state folder on disk is refused before anything is created in it. */
static void
state_folder_on_disk_is_refused(void **state)
{
	struct session *s = NULL;
	char *root = tmpdir(), dir[256], x[256], cmd[300];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/state", root);
	snprintf(x, sizeof(x), "%s/x", root);
	assert_int_equal(mkdir(x, 0700), 0);
	if (!on_tmpfs(root)) {
		session_allow_disk(0);
		assert_int_equal(session_create(dir, x, "test", "appliance", NULL,
		    NULL, &s), CK_ERR_NOT_RAM);
		assert_null(s);
		assert_int_equal(stat(dir, &st), -1);
		assert_int_equal(session_load(dir, "test", NULL, &s), CK_ERR_NOT_RAM);
		session_allow_disk(1);
	}
	assert_int_equal(session_create(dir, x, "test", "appliance", NULL, NULL,
	    &s), CK_OK);	/* the control: allowed, the same call works */
	session_free(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quorum_rule),
		cmocka_unit_test(session_steps),
		cmocka_unit_test(state_folder_on_disk_is_refused),
	};

	if (secmem_init() != CK_OK)
		return 1;
	/* The tests' folders are in /tmp, which may be on disk. */
	session_allow_disk(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
