#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "crypto/errors.h"
#include "crypto/reader.h"

static void
every_truncation_is_rejected(void **state)
{
	static const uint8_t buf[] = { 1, 0, 2, 0, 0, 0, 3, 'a', 'b' };
	struct rd r;
	uint8_t a, tail[2];
	uint16_t b;
	uint32_t c;
	size_t len;
	int e;

	(void)state;
	for (len = 0; len < sizeof(buf); len++) {
		rd_init(&r, buf, len);
		e = rd_u8(&r, &a);
		if (e == CK_OK)
			e = rd_u16be(&r, &b);
		if (e == CK_OK)
			e = rd_u32be(&r, &c);
		if (e == CK_OK)
			e = rd_bytes(&r, tail, sizeof(tail));
		assert_int_equal(e, CK_ERR_TRUNCATED);
	}
	rd_init(&r, buf, sizeof(buf));
	assert_int_equal(rd_u8(&r, &a), CK_OK);
	assert_int_equal(rd_u16be(&r, &b), CK_OK);
	assert_int_equal(rd_u32be(&r, &c), CK_OK);
	assert_int_equal(rd_bytes(&r, tail, 2), CK_OK);
	assert_int_equal(rd_end(&r), CK_OK);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(c, 3);
	assert_memory_equal(tail, "ab", 2);
}

static void
trailing_data_is_rejected(void **state)
{
	static const uint8_t buf[] = { 7, 8 };
	struct rd r;
	uint8_t a;

	(void)state;
	rd_init(&r, buf, sizeof(buf));
	assert_int_equal(rd_u8(&r, &a), CK_OK);
	assert_int_equal(rd_end(&r), CK_ERR_TRAILING);
}

static void
json_is_strict(void **state)
{
	static const char dup[] = "{\"a\":1,\"a\":2}";
	static const char good[] = "{\"a\":1}";
	static const char two[] = "{\"a\":1} {}";
	json_t *j = NULL;

	(void)state;
	assert_int_equal(rd_json(dup, strlen(dup), 100, &j), CK_ERR_DUPLICATE_KEY);
	assert_null(j);
	assert_int_equal(rd_json(two, strlen(two), 100, &j), CK_ERR_JSON);
	assert_int_equal(rd_json(good, strlen(good), 3, &j), CK_ERR_TOO_LARGE);
	assert_int_equal(rd_json("{\"a\":\0}", 7, 100, &j), CK_ERR_JSON);
	assert_int_equal(rd_json(good, strlen(good), 100, &j), CK_OK);
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
	json_decref(j);
}

static void
printable_utf8_refuses_controls_and_bad_sequences(void **state)
{
	(void)state;
	assert_int_equal(rd_printable_utf8("Zo\xc3\xab", 4, 0), CK_OK);
	assert_int_equal(rd_printable_utf8("a\x1b[2J", 5, 0), CK_ERR_NOT_PRINTABLE);
	assert_int_equal(rd_printable_utf8("a\nb", 3, 0), CK_ERR_NOT_PRINTABLE);
	assert_int_equal(rd_printable_utf8("a\nb", 3, 1), CK_OK);
	assert_int_equal(rd_printable_utf8("\xc2\x9b", 2, 0), CK_ERR_NOT_PRINTABLE);
	assert_int_equal(rd_printable_utf8("\xc0\xaf", 2, 0), CK_ERR_ENCODING);
	assert_int_equal(rd_printable_utf8("\xed\xa0\x80", 3, 0), CK_ERR_ENCODING);
	assert_int_equal(rd_printable_utf8("\xe2\x82", 2, 0), CK_ERR_ENCODING);
}

static void
utf8_allows_controls_but_not_bad_sequences(void **state)
{
	(void)state;
	assert_int_equal(rd_utf8("{\"a\":\t\"Zo\xc3\xab\"}\r\n", 15), CK_OK);
	assert_int_equal(rd_utf8("\xf4\x8f\xbf\xbf", 4), CK_OK);
	assert_int_equal(rd_utf8("\xf4\x90\x80\x80", 4), CK_ERR_ENCODING);
	assert_int_equal(rd_utf8("\xc0\xaf", 2), CK_ERR_ENCODING);
	assert_int_equal(rd_utf8("\xed\xa0\x80", 3), CK_ERR_ENCODING);
	assert_int_equal(rd_utf8("a\xe2\x82", 3), CK_ERR_ENCODING);
	assert_int_equal(rd_utf8("\xff", 1), CK_ERR_ENCODING);
}

static void
uint_parsing_checks_range_and_end(void **state)
{
	unsigned long long v = 0;

	(void)state;
	assert_int_equal(rd_parse_uint("255", 1, 255, &v), CK_OK);
	assert_int_equal(v, 255);
	assert_int_equal(rd_parse_uint("256", 1, 255, &v), CK_ERR_FORMAT);
	assert_int_equal(rd_parse_uint("0", 1, 255, &v), CK_ERR_FORMAT);
	assert_int_equal(rd_parse_uint("12x", 1, 255, &v), CK_ERR_FORMAT);
	assert_int_equal(rd_parse_uint("-1", 0, 255, &v), CK_ERR_FORMAT);
	assert_int_equal(rd_parse_uint("", 0, 255, &v), CK_ERR_FORMAT);
	assert_int_equal(rd_parse_uint("99999999999999999999999", 0, ~0ULL, &v), CK_ERR_FORMAT);
}

static void
size_parsing_takes_w_x_h(void **state)
{
	unsigned long long w = 0, h = 0;

	(void)state;
	assert_int_equal(rd_parse_size("1024x768", 8192, &w, &h), CK_OK);
	assert_int_equal(w, 1024);
	assert_int_equal(h, 768);
	assert_int_equal(rd_parse_size("1024x0", 8192, &w, &h), CK_ERR_FORMAT);
	assert_int_equal(rd_parse_size("8193x10", 8192, &w, &h), CK_ERR_FORMAT);
	assert_int_equal(rd_parse_size("1024", 8192, &w, &h), CK_ERR_FORMAT);
	assert_int_equal(rd_parse_size("x768", 8192, &w, &h), CK_ERR_FORMAT);
	assert_int_equal(rd_parse_size("10x10x10", 8192, &w, &h), CK_ERR_FORMAT);
	assert_int_equal(rd_parse_size("123456789012345678901234x1", ~0ULL, &w, &h),
	    CK_ERR_FORMAT);
}

static void
lines_are_bounded_and_need_their_newline(void **state)
{
	static const char buf[] = "ab\n\nlong line\ntorn";
	const uint8_t *line;
	struct rd r;
	size_t len;

	(void)state;
	rd_init(&r, buf, strlen(buf));
	assert_int_equal(rd_line(&r, 2, &line, &len), CK_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(line, "ab", 2);
	assert_int_equal(rd_line(&r, 0, &line, &len), CK_OK);
	assert_int_equal(len, 0);
	assert_int_equal(rd_line(&r, 8, &line, &len), CK_ERR_TOO_LARGE);
	assert_int_equal(rd_left(&r), strlen("long line\ntorn"));
	assert_int_equal(rd_line(&r, 9, &line, &len), CK_OK);
	assert_int_equal(rd_line(&r, 100, &line, &len), CK_ERR_TRUNCATED);
	assert_int_equal(rd_line(&r, 3, &line, &len), CK_ERR_TOO_LARGE);
	assert_int_equal(rd_left(&r), 4);
}

/* rd_fd on a file of n bytes with limit max. */
static int
fd_of(size_t n, size_t max, size_t *got)
{
	FILE *f = tmpfile();
	uint8_t *buf = NULL;
	size_t i;
	int e;

	assert_non_null(f);
	for (i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	fflush(f);
	rewind(f);
	e = rd_fd(fileno(f), max, &buf, got);
	if (e == CK_OK) {
		assert_int_equal(buf[*got], '\0');
		for (i = 0; i < *got; i++)
			assert_int_equal(buf[i], 'a' + (int)(i % 26));
	} else {
		assert_null(buf);
		assert_int_equal(*got, 0);
	}
	free(buf);
	fclose(f);
	return e;
}

static void
files_are_read_up_to_their_limit(void **state)
{
	size_t got;

	(void)state;
	assert_int_equal(fd_of(0, 10, &got), CK_OK);
	assert_int_equal(got, 0);
	assert_int_equal(fd_of(10, 10, &got), CK_OK);
	assert_int_equal(got, 10);
	assert_int_equal(fd_of(11, 10, &got), CK_ERR_TOO_LARGE);
	/* across the reader's growing buffer */
	assert_int_equal(fd_of(100000, 100000, &got), CK_OK);
	assert_int_equal(got, 100000);
	assert_int_equal(fd_of(100001, 100000, &got), CK_ERR_TOO_LARGE);
	assert_int_equal(fd_of(4096, 0, &got), CK_ERR_TOO_LARGE);
	assert_int_equal(rd_fd(-1, 10, &(uint8_t *){ NULL }, &got), CK_ERR_IO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_truncation_is_rejected),
		cmocka_unit_test(trailing_data_is_rejected),
		cmocka_unit_test(json_is_strict),
		cmocka_unit_test(printable_utf8_refuses_controls_and_bad_sequences),
		cmocka_unit_test(utf8_allows_controls_but_not_bad_sequences),
		cmocka_unit_test(uint_parsing_checks_range_and_end),
		cmocka_unit_test(size_parsing_takes_w_x_h),
		cmocka_unit_test(lines_are_bounded_and_need_their_newline),
		cmocka_unit_test(files_are_read_up_to_their_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
