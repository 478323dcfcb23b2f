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

/* A "test" ceremony in root/state with its exchange folder root/x; path
 * gets its transcript's. */
static struct session *
new_session(const char *root, char dir[256], char x[256], char path[300])
{
	struct session *s = NULL;

	snprintf(dir, 256, "%s/state", root);
	snprintf(x, 256, "%s/x", root);
	assert_int_equal(mkdir(x, 0700), 0);
	assert_int_equal(session_create(dir, x, "test", "appliance", NULL, NULL, &s), CK_OK);
	snprintf(path, 300, "%s/%s", dir, SESSION_TRANSCRIPT);
	return s;
}

/*
 * One process per command-line step: reloading adds no record; the key
 * file is gone once the ceremony closes, and a closed ceremony will not
 * load; a state folder is never reused.
 */
static void
session_steps(void **state)
{
	struct session *s;
	json_t *payload;
	char *root = tmpdir(), dir[256], x[256], path[300];
	struct stat st;

	(void)state;
	s = new_session(root, dir, x, path);
	assert_int_equal(lines(path), 1);
	payload = json_pack("{s:s}", "kind", "unseal");
	assert_int_equal(session_send(s, ENVELOPE_UNSEAL_REQUEST, payload,
	    "request-sent", "appliance", NULL), CK_OK);
	json_decref(payload);
	assert_int_equal(lines(path), 2);
	session_free(s);

	/* Once a request went out, the folder is that ceremony's. */
	assert_int_equal(session_create(dir, x, "test", "appliance", NULL, NULL, &s),
	    CK_ERR_EXISTS);
	assert_int_equal(session_load(dir, "init", NULL, &s), CK_ERR_BAD_TYPE);
	assert_int_equal(session_load(dir, "test", NULL, &s), CK_OK);
	assert_int_equal(lines(path), 2);	/* no resume record */
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

/*
 * The witnesses' review: with it on, the completing close holds the
 * transcript open (marked, across a reload) for the witnesses' records;
 * session_review_close closes it after them. An abandon closes at once.
 */
static void
review_holds_the_close(void **state)
{
	struct session *s;
	char *root = tmpdir(), dir[256], x[256], path[300];
	uint8_t head[TRANSCRIPT_HASH_BYTES];

	(void)state;
	s = new_session(root, dir, x, path);
	assert_int_equal(session_review_close(s, head), CK_ERR_STATE);
	session_review(s, 1);
	assert_int_equal(session_record(s, "step", "appliance", NULL), CK_OK);
	assert_int_equal(session_close(s, "appliance", NULL), CK_OK);
	assert_int_equal(session_in_review(s), 1);
	assert_int_equal(lines(path), 2);	/* open, step: no close yet */
	session_free(s);
	/* A restart finds it in review, and the witness goes on the record. */
	assert_int_equal(session_load(dir, "test", NULL, &s), CK_OK);
	assert_int_equal(session_in_review(s), 1);
	assert_int_equal(session_record(s, "witness-confirmation", "walt", NULL),
	    CK_OK);
	assert_int_equal(session_review_close(s, head), CK_OK);
	session_free(s);
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

/* A new ceremony in root/state with its exchange folder root/x. */
static struct session *
fresh(const char *root, char dir[256], char x[256])
{
	struct session *s = NULL;

	snprintf(dir, 256, "%s/state", root);
	snprintf(x, 256, "%s/x", root);
	assert_int_equal(mkdir(x, 0700), 0);
	assert_int_equal(session_create(dir, x, "test", "appliance", NULL, NULL, &s), CK_OK);
	return s;
}

static void
drop(char *root)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(root);
}


/*
 * The same refusal polled again with nothing in between is one event,
 * recorded once (a screen re-reading the same bad envelope does not fill
 * the transcript); a different refusal, or the same after another record,
 * is recorded.
 */
static void
refusal_recorded_once(void **state)
{
	char *root = tmpdir(), dir[256], x[256], path[300];
	struct session *s = fresh(root, dir, x);
	int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/%s", dir, SESSION_TRANSCRIPT);
	for (i = 0; i < 50; i++)
		assert_int_equal(session_reject(s, "session-offer",
		    CK_ERR_DISABLED_ENDPOINT, "appliance"), CK_OK);
	assert_int_equal(lines(path), 2);
	assert_int_equal(session_reject(s, "session-offer", CK_ERR_FORMAT,
	    "appliance"), CK_OK);
	assert_int_equal(lines(path), 3);
	assert_int_equal(session_record(s, "step", "appliance", NULL), CK_OK);
	assert_int_equal(session_reject(s, "session-offer", CK_ERR_FORMAT,
	    "appliance"), CK_OK);
	assert_int_equal(lines(path), 5);
	session_free(s);
	drop(root);
}

/*
 * A begin refused after session_create undoes it: the state folder it
 * made and the exchange folder are gone, the key wiped with them.
 */
static void
discard_leaves_nothing(void **state)
{
	char *root = tmpdir(), dir[256], x[256], cmd[700];
	struct session *s = fresh(root, dir, x);

	(void)state;
	session_discard(s);
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\" && test ! -e '%s'",
	    x, dir);
	assert_int_equal(system(cmd), 0);
	/* No exchange folder: nothing is made at all. */
	snprintf(x, 256, "%s/nostick", root);
	assert_int_equal(session_create(dir, x, "test", "appliance", NULL, NULL, &s),
	    CK_ERR_NOT_FOUND);
	assert_int_equal(access(dir, F_OK), -1);
	drop(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quorum_rule),
		cmocka_unit_test(refusal_recorded_once),
		cmocka_unit_test(discard_leaves_nothing),
		cmocka_unit_test(session_steps),
		cmocka_unit_test(review_holds_the_close),
		cmocka_unit_test(state_folder_on_disk_is_refused),
	};

	if (secmem_init() != CK_OK)
		return 1;
	/* The tests' folders are in /tmp, which may be on disk. */
	session_allow_disk(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
