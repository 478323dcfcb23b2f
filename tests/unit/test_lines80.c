/*
 * Words for people: every error and status line fits an 80-column screen
 * whole. Each error code's message, as the appliance's commands, the
 * bridge and the guided UI print it with a long remedy after it, wraps
 * within 80 columns without losing the error's name or the end of the
 * remedy (issue 10: ten lines were cut at column 80, always losing one of
 * them), and the UI's status fits its rows.
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

#include "appliance/cmd.h"
#include "bridge/opts.h"
#include "client/vault_generate_root.h"
#include "crypto/errors.h"
#include "media/tty.h"
#include "ui/ui.h"

/* The longest remedy the bridge gives: the listener setting to change. */
#define REMEDY "the server's sys/generate-root is disabled; the listener " \
	"setting that opens it: " VAULT_GENERATE_ROOT_LEGACY_SETTING

/* Every line of text within 80 columns; how many lines. */
static size_t
check_lines(const char *text)
{
	const char *p = text, *nl;
	size_t n = 0;

	for (;;) {
		nl = strchr(p, '\n');
		if (tty_cols_n(p, nl != NULL ? (size_t)(nl - p) : strlen(p)) > TTY_COLS)
			fail_msg("longer than 80 columns: %.*s",
			    (int)(nl != NULL ? nl - p : (long)strlen(p)), p);
		n++;
		if (nl == NULL || nl[1] == '\0')
			return n;
		p = nl + 1;
	}
}

/* What fn prints on stderr. */
static char *
stderr_of(void (*fn)(int), int code)
{
	char *buf = calloc(1, 8192);
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(buf);
	assert_non_null(f);
	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	fn(code);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(buf, 1, 8191, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void refuse(int code) { (void)cmd_refuse("generate-root", "accept", code, REMEDY); }
static void bridge_fail(int code) { (void)opts_fail("generate-root", "sys/generate-root", code, REMEDY); }

static void
whole(const char *text, int code)
{
	char *flat = strdup(text), *p, *q;

	assert_non_null(flat);
	/* Read as one line again: a break and its indent are one space. */
	for (p = q = flat; *p != '\0'; p++) {
		if (*p == '\n') {
			while (p[1] == ' ')
				p++;
			*q++ = ' ';
		} else {
			*q++ = *p;
		}
	}
	*q = '\0';
	/* The name unbroken, and the remedy to its last word. */
	if (strstr(text, ck_errname(code)) == NULL)
		fail_msg("%s cut in: %s", ck_errname(code), text);
	if (strstr(flat, REMEDY) == NULL)
		fail_msg("the remedy cut in: %s", text);
	free(flat);
}

static void
every_error_on_the_command_lines(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ck_err_count(); i++) {
		int code = ck_err_code(i);
		char *a = stderr_of(refuse, code), *b = stderr_of(bridge_fail, code);

		check_lines(a);
		whole(a, code);
		check_lines(b);
		whole(b, code);
		free(a);
		free(b);
	}
}

static void
every_error_in_the_ui_status(void **state)
{
	size_t i, n;
	char *w;

	(void)state;
	for (i = 0; i < ck_err_count(); i++) {
		ui_say_err("The session offer was refused", ck_err_code(i), REMEDY);
		w = tty_wrap(ui.status, TTY_COLS, 2, &n);
		assert_non_null(w);
		assert_true(n <= UI_STATUS_ROWS);
		check_lines(w);
		whole(w, ck_err_code(i));
		free(w);
	}
}

static void
wrap_rules(void **state)
{
	size_t n;
	char *w;

	(void)state;
	w = tty_wrap("one two three", 7, 2, &n);
	assert_string_equal(w, "one two\n  three");
	assert_int_equal(n, 2);
	free(w);
	/* A word longer than a line is split, not lost. */
	w = tty_wrap("abcdefghij", 4, 1, &n);
	assert_string_equal(w, "abcd\n efg\n hij");
	assert_int_equal(n, 3);
	free(w);
	/* A UTF-8 character takes one column. */
	w = tty_wrap("\xc3\xa9\xc3\xa9\xc3\xa9 x", 5, 0, &n);
	assert_string_equal(w, "\xc3\xa9\xc3\xa9\xc3\xa9 x");
	assert_int_equal(n, 1);
	free(w);
	w = tty_wrap("", 80, 2, &n);
	assert_string_equal(w, "");
	assert_int_equal(n, 1);
	free(w);
	assert_null(tty_wrap("x", 2, 2, NULL));
	/* Columns as tty_wrap counts them: a UTF-8 character is one. */
	assert_int_equal(tty_cols("\xc3\xa9t\xc3\xa9"), 3);
	assert_int_equal(tty_cols(""), 0);
}

/* tty_printw: each line of the text wrapped, its own breaks kept, a
 * line that fits left as it is (trailing space and all). */
static void
printw_rules(void **state)
{
	char buf[512] = { 0 }, id[41];
	FILE *f;

	(void)state;
	memset(id, 'a', 40);
	id[40] = '\0';
	assert_non_null(f = fmemopen(buf, sizeof(buf) - 1, "w"));
	tty_printw(f, "Ceremony %s: a session was under way when a bridge "
	    "stopped.\nnext: ", id);
	tty_printw(f, "%s\n", "");
	fclose(f);
	assert_string_equal(buf, "Ceremony aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ": a session was under way when\n  a bridge stopped.\nnext: \n");
}

/*
 * What tty_print_command prints, run by sh as it is (each line checked
 * to fit first): into out, what the command wrote.
 */
static void
run_printed(const char *cmd, char *out, size_t outlen)
{
	char buf[4096] = { 0 }, one[4096], run[64], tmp[] = "/tmp/lines80.XXXXXX";
	char *line;
	FILE *f, *sh;
	size_t n;
	int fd;

	assert_non_null(f = fmemopen(buf, sizeof(buf) - 1, "w"));
	tty_print_command(f, cmd);
	fclose(f);
	for (line = buf; *line != '\0'; line = strchr(line, '\n') + 1) {
		n = strcspn(line, "\n");
		memcpy(one, line, n);
		one[n] = '\0';
		assert_true(tty_cols(one) <= TTY_COLS);
		assert_int_equal(line[n], '\n');
	}
	assert_true((fd = mkstemp(tmp)) >= 0);
	close(fd);
	snprintf(run, sizeof(run), "sh -s >%s", tmp);
	assert_non_null(sh = popen(run, "w"));
	fputs(buf, sh);
	assert_int_equal(pclose(sh), 0);
	assert_non_null(f = fopen(tmp, "r"));
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(tmp);
}

/* A command people copy runs as printed: breaks are backslash-newlines,
 * between words, inside a long word and inside a quoted one. */
static void
command_runs_as_printed(void **state)
{
	char path[201], cmd[1024], out[1024], want[1024];
	size_t i;

	(void)state;
	for (i = 0; i < 200; i++)
		path[i] = i % 50 == 0 ? '/' : 'a' + i % 26;
	path[200] = '\0';
	snprintf(cmd, sizeof(cmd), "printf %%s\\\\n conclave unseal accept "
	    "--state %s --confirm-sas \"\xc3\xa9" "cho wyoming aztec dragon "
	    "%.60s\" \"a \\\"quoted\\\" \\$x\"", path, path);
	snprintf(want, sizeof(want), "conclave\nunseal\naccept\n--state\n%s\n"
	    "--confirm-sas\n\xc3\xa9" "cho wyoming aztec dragon %.60s\n"
	    "a \"quoted\" $x\n", path, path);
	run_printed(cmd, out, sizeof(out));
	assert_string_equal(out, want);
	/* A short one stays on one line, indented 2. */
	run_printed("printf %s\\\\n a b", out, sizeof(out));
	assert_string_equal(out, "a\nb\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wrap_rules),
		cmocka_unit_test(printw_rules),
		cmocka_unit_test(command_runs_as_printed),
		cmocka_unit_test(every_error_on_the_command_lines),
		cmocka_unit_test(every_error_in_the_ui_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
