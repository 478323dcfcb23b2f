/*
 * appliance/wire: files handed to the parser child (SCM_RIGHTS) arrive
 * only with a request that says so, and always with one; and an
 * envelope's payload crosses as a JSON tree that the monitor rebuilds
 * node by node, refusing what the in-process parser would never produce.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "appliance/wire.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "protocol/kinds.h"

/* How many descriptors this process holds. */
static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* A file holding s, rewound. */
static int
file_with(const char *s)
{
	FILE *f = tmpfile();
	int fd;

	assert_non_null(f);
	fd = dup(fileno(f));
	fclose(f);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Send a 5-byte header (type, len) with nfds copies of fd attached. */
static void
send_raw(int sock, uint8_t type, uint32_t len, int fd, int nfds)
{
	uint8_t h[5] = { type, (uint8_t)(len >> 24), (uint8_t)(len >> 16),
	    (uint8_t)(len >> 8), (uint8_t)len };
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = h, .iov_len = sizeof(h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	int fds[3] = { fd, fd, fd };

	if (nfds > 0) {
		memset(&c, 0, sizeof(c));
		m.msg_control = c.buf;
		m.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	}
	assert_int_equal(sendmsg(sock, &m, 0), (ssize_t)sizeof(h));
}

static void
a_file_arrives_with_its_request(void **state)
{
	struct wire_buf b = { 0 };
	uint8_t type, *p, *in;
	size_t len, inlen, n;
	int sv[2], fd, file, files[WIRE_MAX_FILES];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fd = file_with("-----BEGIN CONCLAVE ENVELOPE");
	assert_int_equal(wire_send_fd(sv[0], WIRE_ENVELOPE, &b, &fd, 1), CK_OK);
	close(fd);
	assert_int_equal(wire_recv_req(sv[1], &type, &p, &len, files, &n),
	    CK_OK);
	assert_int_equal(type, WIRE_ENVELOPE | WIRE_FD);
	assert_int_equal(len, 0);
	assert_int_equal(n, 1);
	file = files[0];
	assert_int_equal(rd_fd(file, wire_input_max(type), &in, &inlen), CK_OK);
	assert_int_equal(inlen, 28);
	assert_memory_equal(in, "-----BEGIN CONCLAVE ENVELOPE", 28);
	free(in);
	close(file);
	/* Without the flag, no file. */
	wire_put_bytes(&b, "x", 1);
	assert_int_equal(wire_send(sv[0], WIRE_ENVELOPE, &b), CK_OK);
	assert_int_equal(wire_recv_req(sv[1], &type, &p, &len, files, &n),
	    CK_OK);
	assert_int_equal(type, WIRE_ENVELOPE);
	assert_int_equal(n, 0);
	free(p);
	wire_buf_free(&b);
	/* A request that takes no file cannot be sent with one, an envelope
	 * not with two. */
	fd = file_with("x");
	assert_int_equal(wire_send_fd(sv[0], WIRE_QR_SCAN, NULL, &fd, 1),
	    CK_ERR_INVALID_ARG);
	files[0] = files[1] = fd;
	assert_int_equal(wire_send_fd(sv[0], WIRE_ENVELOPE, NULL, files, 2),
	    CK_ERR_INVALID_ARG);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* The child's receive on one crafted header: its error, and no
 * descriptor left behind. */
static int
child_receives(uint8_t type, int nfds)
{
	uint8_t t, *p;
	size_t len, n, i;
	int sv[2], fd, files[WIRE_MAX_FILES], before, e;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fd = file_with("data");
	before = open_fds();
	send_raw(sv[0], type, 0, fd, nfds);
	e = wire_recv_req(sv[1], &t, &p, &len, files, &n);
	if (e == CK_OK) {
		assert_int_equal(n, (size_t)nfds);
		for (i = 0; i < n; i++)
			close(files[i]);
		free(p);
	} else {
		assert_int_equal(n, 0);
		assert_null(p);
	}
	assert_int_equal(open_fds(), before);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	return e;
}

static void
files_come_only_where_the_request_says(void **state)
{
	(void)state;
	assert_int_equal(child_receives(WIRE_ENVELOPE | WIRE_FD, 1), CK_OK);
	assert_int_equal(child_receives(WIRE_TRANSCRIPT | WIRE_FD, 1), CK_OK);
	assert_int_equal(child_receives(WIRE_MINISIG_PUB | WIRE_FD, 1), CK_OK);
	assert_int_equal(child_receives(WIRE_PGP_KEYFILE | WIRE_FD, 1), CK_OK);
	/* a transcript and its signature file */
	assert_int_equal(child_receives(WIRE_TRANSCRIPT | WIRE_FD, 2), CK_OK);
	assert_int_equal(child_receives(WIRE_RECORD | WIRE_FD, 2), CK_OK);
	assert_int_equal(child_receives(WIRE_HANDOUT | WIRE_FD, 2), CK_OK);
	/* the flag without a file, a file without the flag, two files where
	 * one goes, three files */
	assert_int_equal(child_receives(WIRE_ENVELOPE | WIRE_FD, 0),
	    CK_ERR_FORMAT);
	assert_int_equal(child_receives(WIRE_ENVELOPE, 1), CK_ERR_FORMAT);
	assert_int_equal(child_receives(WIRE_ENVELOPE | WIRE_FD, 2),
	    CK_ERR_FORMAT);
	assert_int_equal(child_receives(WIRE_MINISIG_PUB | WIRE_FD, 2),
	    CK_ERR_FORMAT);
	assert_int_equal(child_receives(WIRE_PGP_KEYFILE | WIRE_FD, 2),
	    CK_ERR_FORMAT);
	assert_int_equal(child_receives(WIRE_TRANSCRIPT | WIRE_FD, 3),
	    CK_ERR_FORMAT);
	/* a request that takes no file, an answer, an unknown type */
	assert_int_equal(child_receives(WIRE_QR_SCAN | WIRE_FD, 1),
	    CK_ERR_BAD_TYPE);
	assert_int_equal(child_receives(WIRE_ENVELOPE_OK | WIRE_FD, 1),
	    CK_ERR_BAD_TYPE);
	assert_int_equal(child_receives(0x7e | WIRE_FD, 1), CK_ERR_BAD_TYPE);
}

static void
the_monitor_takes_no_file_request_as_an_answer(void **state)
{
	uint8_t t, *p;
	size_t len;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	send_raw(sv[0], WIRE_ENVELOPE_OK | WIRE_FD, 0, -1, 0);
	assert_int_equal(wire_recv(sv[1], 1000, &t, &p, &len), CK_ERR_BAD_TYPE);
	close(sv[0]);
	close(sv[1]);
}

/* A signed envelope with payload json (a test key). */
static void
make_envelope(const char *json, uint8_t **bin, size_t *len)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t id[ENVELOPE_CEREMONY_ID_BYTES] = { 1 };

	crypto_sign_keypair(pk, sk);
	assert_int_equal(envelope_build(ENVELOPE_INIT_REQUEST, id, 1, 1, json,
	    strlen(json), sk, bin, len), CK_OK);
}

static void
the_payload_crosses_as_a_tree(void **state)
{
	static const char json[] = "{\"a\":[1,-2,2.5,true,false,null,"
	    "\"\\u00e9t\\u00e9\"],\"b\":{\"c\":{}},\"d\":9007199254740993}";
	struct wire_buf b = { 0 };
	struct envelope in, out;
	uint8_t *bin;
	size_t len;

	(void)state;
	make_envelope(json, &bin, &len);
	assert_int_equal(envelope_parse(bin, len, &in), CK_OK);
	wire_put_envelope(&b, bin, len, in.payload);
	assert_int_equal(b.err, CK_OK);
	assert_int_equal(wire_get_envelope(b.p, b.len, &out), CK_OK);
	assert_true(json_equal(in.payload, out.payload));
	assert_memory_equal(in.hash, out.hash, sizeof(in.hash));
	/* the order of keys is kept */
	assert_string_equal(json_object_iter_key(json_object_iter(out.payload)),
	    "a");
	envelope_free(&in);
	envelope_free(&out);
	wire_buf_free(&b);
	free(bin);
}

/* wire_get_envelope on a valid envelope and the tree bytes t[0..n). */
static int
get_with_tree(const uint8_t *t, size_t n)
{
	struct wire_buf b = { 0 };
	struct envelope env;
	uint8_t *bin, be[4];
	size_t len;
	int e;

	make_envelope("{}", &bin, &len);
	be[0] = (uint8_t)(len >> 24);
	be[1] = (uint8_t)(len >> 16);
	be[2] = (uint8_t)(len >> 8);
	be[3] = (uint8_t)len;
	wire_put_bytes(&b, be, 4);
	wire_put_bytes(&b, bin, len);
	wire_put_bytes(&b, t, n);
	e = wire_get_envelope(b.p, b.len, &env);
	if (e != CK_OK)
		assert_null(env.payload);
	envelope_free(&env);
	wire_buf_free(&b);
	free(bin);
	return e;
}

static void
a_tree_the_parser_would_not_make_is_refused(void **state)
{
	static const uint8_t empty[] = { 'o', 0, 0, 0, 0 };
	static const uint8_t dup[] = { 'o', 0, 0, 0, 2, 0, 0, 0, 1, 'k', 'n',
	    0, 0, 0, 1, 'k', 't' };
	static const uint8_t nul[] = { 'o', 0, 0, 0, 1, 0, 0, 0, 1, 'k', 's',
	    0, 0, 0, 2, 'a', 0 };
	static const uint8_t nulkey[] = { 'o', 0, 0, 0, 1, 0, 0, 0, 2, 'k', 0,
	    'n' };
	static const uint8_t badutf8[] = { 'o', 0, 0, 0, 1, 0, 0, 0, 1, 'k',
	    's', 0, 0, 0, 2, 0xc0, 0x80 };
	static const uint8_t nan[] = { 'o', 0, 0, 0, 1, 0, 0, 0, 1, 'k', 'r',
	    0x7f, 0xf8, 0, 0, 0, 0, 0, 0 };
	static const uint8_t array[] = { 'a', 0, 0, 0, 0 };
	static const uint8_t kind[] = { 'o', 0, 0, 0, 1, 0, 0, 0, 1, 'k', 'x' };
	static const uint8_t trailing[] = { 'o', 0, 0, 0, 0, 'n' };
	static const uint8_t shortcount[] = { 'o', 0, 0, 0, 3, 0, 0, 0, 1, 'k',
	    'n' };
	uint8_t deep[5 * (WIRE_JSON_DEPTH + 2)];
	int i, d;

	(void)state;
	assert_int_equal(get_with_tree(empty, sizeof(empty)), CK_OK);
	assert_int_equal(get_with_tree(dup, sizeof(dup)), CK_ERR_DUPLICATE_KEY);
	assert_int_equal(get_with_tree(nul, sizeof(nul)), CK_ERR_JSON);
	assert_int_equal(get_with_tree(nulkey, sizeof(nulkey)), CK_ERR_JSON);
	assert_int_equal(get_with_tree(badutf8, sizeof(badutf8)),
	    CK_ERR_ENCODING);
	assert_int_equal(get_with_tree(nan, sizeof(nan)), CK_ERR_JSON);
	assert_int_equal(get_with_tree(array, sizeof(array)), CK_ERR_FORMAT);
	assert_int_equal(get_with_tree(kind, sizeof(kind)), CK_ERR_JSON);
	assert_int_equal(get_with_tree(trailing, sizeof(trailing)),
	    CK_ERR_TRAILING);
	assert_int_equal(get_with_tree(shortcount, sizeof(shortcount)),
	    CK_ERR_TRUNCATED);
	/* WIRE_JSON_DEPTH levels are taken, one more is not */
	for (d = WIRE_JSON_DEPTH; d <= WIRE_JSON_DEPTH + 1; d++) {
		memset(deep, 0, sizeof(deep));
		deep[0] = 'o';
		deep[4] = 1;
		deep[8] = 1;
		deep[9] = 'k';
		for (i = 1; i < d - 1; i++) {
			deep[5 + 5 * i] = 'a';
			deep[5 + 5 * i + 4] = 1;
		}
		deep[5 + 5 * (d - 1)] = 'n';
		assert_int_equal(get_with_tree(deep, 5 + 5 * (size_t)(d - 1) + 1),
		    d <= WIRE_JSON_DEPTH ? CK_OK : CK_ERR_JSON);
	}
}

static void
the_child_refuses_to_send_a_tree_too_deep(void **state)
{
	struct wire_buf b = { 0 };
	json_t *j = json_object(), *v = j;
	int i;

	(void)state;
	for (i = 1; i < WIRE_JSON_DEPTH + 1; i++) {
		json_t *a = json_array();

		json_array_append_new(a, json_null());
		if (json_is_object(v))
			json_object_set_new(v, "k", a);
		else
			json_array_set_new(v, 0, a);
		v = a;
	}
	wire_put_envelope(&b, (const uint8_t *)"x", 1, j);
	assert_int_equal(b.err, CK_ERR_JSON);
	wire_buf_free(&b);
	json_decref(j);
}

/* A handout as quorum_read_handout makes it, with one change. */
static int
handout_with(const char *change)
{
	json_t *h = json_pack("{s:s, s:s, s:s, s:[{s:s, s:i, s:s, s:s, s:i, "
	    "s:s}, {s:s, s:i}]}", "ceremony_id",
	    "00112233445566778899aabbccddeeff", "kind", "init", "state", "open",
	    "holders", "name", "alice", "share", 1, "fingerprint", "AB12",
	    "encryption_key", "cd34", "x_tag", 7, "commitment", "ef56", "name",
	    "bob", "share", 2);
	json_t *alice = json_array_get(json_object_get(h, "holders"), 0);
	char name[16];
	int e, i;

	assert_non_null(h);
	if (strcmp(change, "extra member") == 0)
		json_object_set_new(h, "token", json_string("x"));
	else if (strcmp(change, "another kind") == 0)
		json_object_set_new(h, "kind", json_string("unseal"));
	else if (strcmp(change, "short id") == 0)
		json_object_set_new(h, "ceremony_id", json_string("0011"));
	else if (strcmp(change, "upper-case id") == 0)
		json_object_set_new(h, "ceremony_id",
		    json_string("00112233445566778899AABBCCDDEEFF"));
	else if (strcmp(change, "x_tag alone") == 0)
		json_object_del(alice, "commitment");
	else if (strcmp(change, "x_tag 256") == 0)
		json_object_set_new(alice, "x_tag", json_integer(256));
	else if (strcmp(change, "a holder twice") == 0)
		json_object_set_new(alice, "name", json_string("bob"));
	else if (strcmp(change, "a control character") == 0)
		json_object_set_new(alice, "name", json_string("al\x1bice"));
	else if (strcmp(change, "share as text") == 0)
		json_object_set_new(alice, "share", json_string("1"));
	else if (strcmp(change, "holders not a list") == 0)
		json_object_set_new(h, "holders", json_object());
	else if (strcmp(change, "too many holders") == 0)
		for (i = 3; i <= 2 * KIND_MAX_SHARES + 1; i++) {
			snprintf(name, sizeof(name), "h%d", i);
			json_array_append_new(json_object_get(h, "holders"),
			    json_pack("{s:s, s:i}", "name", name, "share", i));
		}
	else if (strcmp(change, "as many holders as may be") == 0)
		for (i = 3; i <= 2 * KIND_MAX_SHARES; i++) {
			snprintf(name, sizeof(name), "h%d", i);
			json_array_append_new(json_object_get(h, "holders"),
			    json_pack("{s:s, s:i}", "name", name, "share", i));
		}
	e = quorum_handout_check(h);
	json_decref(h);
	return e;
}

static void
a_handout_from_the_child_must_have_its_shape(void **state)
{
	static const char *const bad[] = { "extra member", "another kind",
	    "short id", "upper-case id", "x_tag alone", "x_tag 256",
	    "a holder twice", "a control character", "share as text",
	    "holders not a list", "too many holders" };
	struct transcript_report rep;
	struct wire_buf b = { 0 };
	json_t *h;
	size_t i;
	int result, verified;

	(void)state;
	assert_int_equal(handout_with("nothing"), CK_OK);
	assert_int_equal(handout_with("as many holders as may be"), CK_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(handout_with(bad[i]), CK_ERR_FORMAT);
	assert_int_equal(quorum_handout_check(NULL), CK_ERR_FORMAT);
	/* On the wire: only with a good verdict on records that verified. */
	memset(&rep, 0, sizeof(rep));
	h = json_pack("{s:s, s:s, s:s, s:[]}", "ceremony_id",
	    "00112233445566778899aabbccddeeff", "kind", "rekey", "state",
	    "closed", "holders");
	wire_put_handout(&b, CK_OK, 1, &rep, h);
	json_decref(h);
	assert_int_equal(wire_get_handout(b.p, b.len, &result, &verified, &rep,
	    &h), CK_OK);
	assert_non_null(h);
	wire_buf_free(&b);
	wire_put_handout(&b, CK_OK, 0, &rep, h);
	json_decref(h);
	assert_int_equal(wire_get_handout(b.p, b.len, &result, &verified, &rep,
	    &h), CK_ERR_FORMAT);
	assert_null(h);
	wire_buf_free(&b);
	wire_put_handout(&b, CK_ERR_BAD_TYPE, 1, &rep, NULL);
	assert_int_equal(wire_get_handout(b.p, b.len, &result, &verified, &rep,
	    &h), CK_OK);
	assert_int_equal(result, CK_ERR_BAD_TYPE);
	assert_null(h);
	wire_buf_free(&b);
}

/* A key file's fingerprints: as many as a file may bring, 20 bytes each. */
static void
fingerprints_cross_whole(void **state)
{
	struct wire_buf b = { 0 };
	struct pgppkt_fprs in, out;
	size_t i;

	(void)state;
	memset(&in, 0, sizeof(in));
	for (i = 0; i < PGPPKT_KEYS_MAX; i++)
		memset(in.fpr[i], (int)i + 1, PGPPKT_FPR_BYTES);
	in.n = PGPPKT_KEYS_MAX;
	wire_put_fprs(&b, &in);
	assert_int_equal(b.err, CK_OK);
	assert_int_equal(b.len, wire_max(WIRE_PGP_KEYFILE_OK));
	assert_int_equal(wire_get_fprs(b.p, b.len, &out), CK_OK);
	assert_memory_equal(&out, &in, sizeof(in));
	/* one byte short, one byte more, a count past the limit */
	assert_int_equal(wire_get_fprs(b.p, b.len - 1, &out), CK_ERR_TRUNCATED);
	assert_int_equal(out.n, 0);
	wire_put_bytes(&b, "x", 1);
	assert_int_equal(wire_get_fprs(b.p, b.len, &out), CK_ERR_TRAILING);
	b.p[0] = PGPPKT_KEYS_MAX + 1;
	assert_int_not_equal(wire_get_fprs(b.p, b.len, &out), CK_OK);
	assert_int_equal(out.n, 0);
	wire_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_file_arrives_with_its_request),
		cmocka_unit_test(files_come_only_where_the_request_says),
		cmocka_unit_test(the_monitor_takes_no_file_request_as_an_answer),
		cmocka_unit_test(the_payload_crosses_as_a_tree),
		cmocka_unit_test(a_tree_the_parser_would_not_make_is_refused),
		cmocka_unit_test(the_child_refuses_to_send_a_tree_too_deep),
		cmocka_unit_test(a_handout_from_the_child_must_have_its_shape),
		cmocka_unit_test(fingerprints_cross_whole),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
