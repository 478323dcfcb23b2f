/*
 * client/http: argument checks, both response styles, and the transport
 * errors that need no server (a refused connection on loopback); with
 * CONCLAVE_TEST_HOSTILE_ADDR (tests/integration/bridge_http.sh starts
 * tests/tools/hostile_http.py) also hostile answers and what goes on the
 * wire. The OpenBao side is in test_vault.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "client/http.h"
#include "client/revoke.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "crypto/secmem.h"

/* Port 1 on loopback: nothing listens there, so connect is refused. */
#define REFUSED_ADDR	"http://127.0.0.1:1"

static struct http_client *
client(const char *addr)
{
	struct http_config cfg = { .address = addr };
	struct http_client *c = NULL;

	assert_int_equal(http_client_new(&cfg, &c), CK_OK);
	return c;
}

static void
addresses_are_checked(void **state)
{
	static const char *const bad[] = {
		"", "127.0.0.1:8200", "ftp://host", "http://", "https:///x",
		"http://user@host", "http://host?x=1", "http://host#f",
		"http://ho st", "http://host\n",
	};
	struct http_config cfg = { 0 };
	struct http_client *c = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.address = bad[i];
		assert_int_equal(http_client_new(&cfg, &c), CK_ERR_INVALID_ARG);
		assert_null(c);
	}
	cfg.address = "https://vault.example:8200//";
	assert_int_equal(http_client_new(&cfg, &c), CK_OK);
	assert_string_equal(http_client_address(c), "https://vault.example:8200");
	http_client_free(c);
	cfg.namespace = "team a";	/* would split the header */
	assert_int_equal(http_client_new(&cfg, &c), CK_ERR_INVALID_ARG);
}

/* A line given back that is no token says which rule it broke. */
static void
revoke_names_a_bad_line(void **state)
{
	struct http_client *c = client(REFUSED_ADDR);
	char why[160], big[HTTP_MAX_TOKEN + 2];
	json_t *proof = NULL;

	(void)state;
	assert_int_equal(revoke_root_token(c, "hvs.abc def", NULL, -1, &proof, why,
	    sizeof(why)), CK_ERR_INVALID_ARG);
	assert_string_equal(why, "that line is not a token (11 characters, "
	    "with a space in it)");
	assert_int_equal(revoke_root_token(c, "hvs.abc\x7f", NULL, -1, &proof, why,
	    sizeof(why)), CK_ERR_INVALID_ARG);
	assert_non_null(strstr(why, "with a character no token holds"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(revoke_root_token(c, big, NULL, -1, &proof, why,
	    sizeof(why)), CK_ERR_INVALID_ARG);
	assert_non_null(strstr(why, "too long"));
	assert_null(proof);
	http_client_free(c);
}

static void
tokens_cannot_inject_headers(void **state)
{
	struct http_client *c = client(REFUSED_ADDR);
	char big[HTTP_MAX_TOKEN + 1];

	(void)state;
	assert_int_equal(http_set_token(c, "s.abc\r\nX-Evil: 1", 16), CK_ERR_INVALID_ARG);
	assert_int_equal(http_set_token(c, "", 0), CK_ERR_INVALID_ARG);
	memset(big, 'a', sizeof(big));
	assert_int_equal(http_set_token(c, big, sizeof(big)), CK_ERR_INVALID_ARG);
	assert_int_equal(http_set_token(c, big, HTTP_MAX_TOKEN), CK_OK);
	http_client_free(c);
}

static void
token_from_environment_is_wiped(void **state)
{
	struct http_client *c = client(REFUSED_ADDR);
	char *v;

	(void)state;
	unsetenv("BAO_TOKEN");
	unsetenv("VAULT_TOKEN");
	assert_int_equal(http_load_token(c, NULL), CK_ERR_NOT_FOUND);
	assert_int_equal(setenv("VAULT_TOKEN", "s.0123456789abcdefghijklmn", 1), 0);
	v = getenv("VAULT_TOKEN");
	assert_int_equal(http_load_token(c, NULL), CK_OK);
	assert_null(getenv("VAULT_TOKEN"));
	/* setenv's copy stays allocated; its bytes must be gone. */
	assert_null(memchr(v, 's', 26));
	assert_int_equal(http_load_token(c, "/nonexistent/token"), CK_ERR_NOT_FOUND);
	http_client_free(c);
}

static void
refused_connection_is_unreachable(void **state)
{
	struct http_client *c = client(REFUSED_ADDR);
	json_t *j = NULL;
	long status = -1;

	(void)state;
	assert_int_equal(http_request(c, "GET", "sys/seal-status", NULL, 0, &status, &j),
	    CK_ERR_UNREACHABLE);
	assert_null(j);
	assert_int_equal(status, 0);
	assert_non_null(strstr(http_error_detail(c), "onnect"));
	http_client_free(c);
}

static void
paths_and_methods_are_checked(void **state)
{
	static const char *const bad[] = {
		"", "/sys/init", "sys/../x", "sys/init?x", "sys/init#", "sys/in it",
	};
	struct http_client *c = client(REFUSED_ADDR);
	json_t *j = NULL;
	long status;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(http_request(c, "GET", bad[i], NULL, 0, &status, &j),
		    CK_ERR_INVALID_ARG);
	assert_int_equal(http_request(c, "PATCH", "sys/init", NULL, 0, &status, &j),
	    CK_ERR_INVALID_ARG);
	http_client_free(c);
}

static void
both_response_styles(void **state)
{
	json_t *raw = json_pack("{s:b, s:b}", "initialized", 1, "sealed", 0);
	json_t *env = json_pack("{s:s, s:s, s:{s:s}, s:n}", "request_id", "x",
	    "lease_id", "", "data", "nonce", "n1", "wrap_info");
	json_t *bad = json_pack("{s:s, s:s}", "request_id", "x", "data", "str");

	(void)state;
	assert_ptr_equal(http_body_data(raw), raw);
	assert_string_equal(json_string_value(json_object_get(http_body_data(env),
	    "nonce")), "n1");
	assert_null(http_body_data(bad));
	assert_null(http_body_data(NULL));
	json_decref(raw);
	json_decref(env);
	json_decref(bad);
}

/* ---- against tests/tools/hostile_http.py ---- */

static int
hostile_setup(void **state)
{
	static struct http_client *c;
	struct http_config cfg = { .namespace = "team-a/sub" };

	if ((cfg.address = getenv("CONCLAVE_TEST_HOSTILE_ADDR")) == NULL)
		return 0;
	if (http_client_new(&cfg, &c) != CK_OK)
		return -1;
	*state = c;
	return 0;
}

static int
hostile_teardown(void **state)
{
	http_client_free(*state);
	return 0;
}

/* GET path; returns the error, with the body (if any) freed. */
static int
get(struct http_client *c, const char *path, long *status)
{
	json_t *j = NULL;
	int r = http_request(c, "GET", path, NULL, 0, status, &j);

	if (r != CK_OK)
		assert_null(j);
	json_decref(j);
	return r;
}

static void
h_bad_bodies(void **state)
{
	struct http_client *c = *state;
	long status;

	if (c == NULL)
		skip();
	assert_int_equal(get(c, "big", &status), CK_ERR_TOO_LARGE);
	assert_int_equal(get(c, "big-unsized", &status), CK_ERR_TOO_LARGE);
	assert_int_equal(get(c, "dup", &status), CK_ERR_DUPLICATE_KEY);
	assert_int_equal(get(c, "trailing", &status), CK_ERR_JSON);
	assert_int_equal(get(c, "nul", &status), CK_ERR_JSON);
	assert_int_equal(get(c, "empty", &status), CK_OK);
	assert_int_equal(status, 204);
}

static void
h_error_statuses(void **state)
{
	struct http_client *c = *state;
	long status;

	if (c == NULL)
		skip();
	assert_int_equal(get(c, "escape", &status), CK_ERR_SERVER);
	assert_int_equal(status, 400);
	assert_string_equal(http_error_detail(c), "(unprintable server message)");
	assert_int_equal(get(c, "multi", &status), CK_ERR_SERVER);
	assert_string_equal(http_error_detail(c), "one; two  three");
	assert_int_equal(get(c, "long-error", &status), CK_ERR_SERVER);
	assert_int_equal(strlen(http_error_detail(c)), HTTP_MAX_DETAIL);
	/* Clipped after the node's name is put first: still whole characters. */
	assert_int_equal(get(c, "long-error-5xx", &status), CK_ERR_SERVER);
	assert_int_equal(rd_printable_utf8(http_error_detail(c),
	    strlen(http_error_detail(c)), 0), CK_OK);
	assert_true(strlen(http_error_detail(c)) > HTTP_MAX_DETAIL - 4);
	assert_int_equal(get(c, "html", &status), CK_ERR_SERVER);
	/* A 5xx names the node that answered it. */
	assert_non_null(strstr(http_error_detail(c), " answered HTTP 502"));
	assert_int_equal(strncmp(http_error_detail(c), http_client_address(c),
	    strlen(http_client_address(c))), 0);
	/* 503 is "sealed" only when the node's seal status says so, whatever
	 * its message: a standby or overloaded node answers 503 too. */
	assert_int_equal(get(c, "sealed", &status), CK_ERR_SEALED);
	assert_int_equal(get(c, "unavailable", &status), CK_ERR_UNAVAILABLE);
	assert_int_equal(get(c, "missing", &status), CK_ERR_NO_ENDPOINT);
	assert_int_equal(status, 404);
}

/* The redirects a client must not follow, and the one it may. */
static void
h_redirects(void **state)
{
	struct http_client *c, *m = NULL;
	struct http_config cfg = { 0 };
	const char *members[1];
	char alias[HTTP_MAX_ADDRESS + 1];
	json_t *j = NULL;
	long status;

	if (*state == NULL)
		skip();
	/* A client of its own: the token set here stays out of the others. */
	c = client(http_client_address(*state));
	snprintf(alias, sizeof(alias), "http://localhost%s",
	    strrchr(http_client_address(c), ':'));
	assert_int_equal(http_set_token(c, "s.secret", 8), CK_OK);
	/* Another path (127.0.0.1:1 would be unreachable anyway). */
	assert_int_equal(get(c, "redirect", &status), CK_ERR_REDIRECT);
	assert_int_equal(status, 307);
	assert_non_null(strstr(http_error_detail(c), "not the same request"));
	assert_int_equal(get(c, "redirect-scheme", &status), CK_ERR_REDIRECT);
	assert_non_null(strstr(http_error_detail(c), "another scheme"));
	/* A node redirecting to itself: bounded. */
	assert_int_equal(get(c, "redirect-loop", &status), CK_ERR_REDIRECT);
	assert_non_null(strstr(http_error_detail(c), "more than 2 redirects"));
	/* A host neither named nor announced never sees the request. */
	assert_int_equal(get(c, "redirect-stranger", &status), CK_ERR_REDIRECT);
	assert_non_null(strstr(http_error_detail(c), "neither a member"));
	assert_string_equal(http_client_node(c), http_client_address(c));
	assert_int_equal(http_request(c, "GET", "stranger-hits", NULL, 0, &status, &j), CK_OK);
	assert_int_equal(json_integer_value(json_object_get(j, "hits")), 0);
	json_decref(j);
	/* The active node the redirecting node announces: followed, with the
	 * token, and the node that answered is reported. */
	assert_int_equal(http_request(c, "GET", "redirect-announced", NULL, 0,
	    &status, &j), CK_OK);
	assert_true(json_is_true(json_object_get(j, "followed")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j,
	    "headers"), "x-vault-token")), "s.secret");
	assert_string_equal(http_client_node(c), alias);
	json_decref(j);
	/* A member the operator named: followed although not announced. */
	cfg.address = http_client_address(c);
	members[0] = alias;
	cfg.members = members;
	cfg.nmembers = 1;
	cfg.no_forwarding = 1;
	assert_int_equal(http_client_new(&cfg, &m), CK_OK);
	assert_int_equal(http_request(m, "GET", "redirect-member", NULL, 0,
	    &status, &j), CK_OK);
	assert_true(json_is_true(json_object_get(j, "followed")));
	/* and --no-forwarding asks for the redirect */
	assert_string_equal(json_string_value(json_object_get(json_object_get(j,
	    "headers"), "x-vault-no-request-forwarding")), "true");
	json_decref(j);
	http_client_free(m);
	cfg.nmembers = HTTP_MAX_MEMBERS + 1;
	assert_int_equal(http_client_new(&cfg, &m), CK_ERR_INVALID_ARG);
	members[0] = "ftp://x";
	cfg.nmembers = 1;
	assert_int_equal(http_client_new(&cfg, &m), CK_ERR_INVALID_ARG);
	http_client_free(c);
}

static void
h_headers_on_the_wire(void **state)
{
	struct http_client *c = *state;
	json_t *j = NULL;
	long status;

	if (c == NULL)
		skip();
	assert_int_equal(http_request(c, "GET", "echo-headers", NULL, 0, &status, &j), CK_OK);
	assert_string_equal(json_string_value(json_object_get(j, "x-vault-namespace")),
	    "team-a/sub");
	assert_null(json_object_get(j, "x-vault-token"));
	json_decref(j);
	assert_int_equal(http_set_token(c, "s.tok", 5), CK_OK);
	assert_int_equal(http_request(c, "GET", "echo-headers", NULL, 0, &status, &j), CK_OK);
	assert_string_equal(json_string_value(json_object_get(j, "x-vault-token")), "s.tok");
	assert_null(json_object_get(j, "expect"));
	json_decref(j);
}

static void
h_token_file_and_timeout(void **state)
{
	struct http_client *c = *state, *slow = NULL;
	struct http_config cfg = { .timeout = 1 };
	char path[] = "/tmp/conclave-test-token.XXXXXX";
	json_t *j = NULL;
	long status;
	int fd;

	if (c == NULL)
		skip();
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, "s.fromfile\nignored\n", 19), 19);
	close(fd);
	assert_int_equal(http_load_token(c, path), CK_OK);
	unlink(path);
	assert_int_equal(http_request(c, "GET", "echo-headers", NULL, 0, &status, &j), CK_OK);
	assert_string_equal(json_string_value(json_object_get(j, "x-vault-token")),
	    "s.fromfile");
	json_decref(j);
	/* A server that stops answering is unreachable after the timeout. */
	cfg.address = http_client_address(c);
	assert_int_equal(http_client_new(&cfg, &slow), CK_OK);
	assert_int_equal(http_request(slow, "GET", "slow", NULL, 0, &status, &j),
	    CK_ERR_UNREACHABLE);
	assert_non_null(strstr(http_error_detail(slow), "imed out"));
	http_client_free(slow);
}

static void
h_bodies_on_the_wire(void **state)
{
	struct http_client *c = *state;
	json_t *j = NULL, *req;
	long status;

	if (c == NULL)
		skip();		/* before allocating: skip() does not return */
	req = json_pack("{s:i, s:[s]}", "n", 3, "k", "a\"b");
	assert_int_equal(http_request_json(c, "PUT", "echo-body", req, &status, &j), CK_OK);
	assert_string_equal(json_string_value(json_object_get(j, "method")), "PUT");
	assert_string_equal(json_string_value(json_object_get(j, "body")),
	    "{\"n\":3,\"k\":[\"a\\\"b\"]}");
	json_decref(j);
	assert_int_equal(http_request(c, "DELETE", "echo-body", NULL, 0, &status, &j), CK_OK);
	assert_string_equal(json_string_value(json_object_get(j, "method")), "DELETE");
	json_decref(j);
	assert_int_equal(http_request_json(c, "PUT", "echo-body", json_array_get(NULL, 0),
	    &status, &j), CK_ERR_INVALID_ARG);
	json_decref(req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses_are_checked),
		cmocka_unit_test(tokens_cannot_inject_headers),
		cmocka_unit_test(revoke_names_a_bad_line),
		cmocka_unit_test(token_from_environment_is_wiped),
		cmocka_unit_test(refused_connection_is_unreachable),
		cmocka_unit_test(paths_and_methods_are_checked),
		cmocka_unit_test(both_response_styles),
	};

	const struct CMUnitTest hostile[] = {
		cmocka_unit_test(h_bad_bodies),
		cmocka_unit_test(h_error_statuses),
		cmocka_unit_test(h_redirects),
		cmocka_unit_test(h_headers_on_the_wire),
		cmocka_unit_test(h_bodies_on_the_wire),
		cmocka_unit_test(h_token_file_and_timeout),
	};

	if (secmem_init() != CK_OK || http_global_init() != CK_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL) |
	    cmocka_run_group_tests(hostile, hostile_setup, hostile_teardown);
}
