/*
 * Envelope format v1: the committed vectors under tests/vectors/envelope/
 * (each must give the error its MANIFEST line names), that the vectors are
 * what this file's generator makes (an independent encoder of the layout in
 * docs/envelope.md), round trips, every truncation, every bit flip, the
 * limits, the binding rules, the type registry and the file names.
 *
 * Regenerate the vectors after a deliberate format change with
 *   CONCLAVE_WRITE_VECTORS=1 build/tests/test_envelope
 * run from the top of the tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "protocol/envelope.h"

#define VEC_DIR		"tests/vectors/envelope"
#define VEC_MAX		64
#define CREATED		1795000000ULL	/* 2026-11-18T10:13:20Z */

/* The test keys: seeds 00 01 .. 1f (appliance) and 20 21 .. 3f (bridge). */
static uint8_t *sk_a, *sk_b;	/* secmem */
static uint8_t pk_a[ENVELOPE_PK_BYTES], pk_b[ENVELOPE_PK_BYTES];
static const uint8_t cid[ENVELOPE_CEREMONY_ID_BYTES] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};

static const char init_payload[] =
    "{\"n\":3,\"t\":2,\"holders\":[\"alice\",\"bob\",\"carol\"]}";

struct vec {
	char name[64];
	uint8_t *data;
	size_t len;
	int expect;
};

static struct vec vecs[VEC_MAX];
static size_t nvecs;

static int
setup(void **state)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	size_t i;

	(void)state;
	if (secmem_init() != CK_OK)
		return -1;
	sk_a = secmem_alloc(ENVELOPE_SK_BYTES);
	sk_b = secmem_alloc(ENVELOPE_SK_BYTES);
	if (sk_a == NULL || sk_b == NULL)
		return -1;
	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)i;
	crypto_sign_seed_keypair(pk_a, sk_a, seed);
	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(0x20 + i);
	crypto_sign_seed_keypair(pk_b, sk_b, seed);
	secmem_wipe(seed, sizeof(seed));
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	secmem_free(sk_a);
	secmem_free(sk_b);
	for (i = 0; i < nvecs; i++)
		free(vecs[i].data);
	return 0;
}

static void
put(uint8_t **p, uint64_t v, size_t n)
{
	while (n-- > 0)
		*(*p)++ = (uint8_t)(v >> (8 * n));
}

/*
 * The test's own encoder, written from docs/envelope.md and not from
 * envelope.c: it can make envelopes the builder refuses to make. The
 * signature is by sk over everything before it; pk is the embedded key.
 */
static size_t
raw(uint8_t *out, const char *magic, uint8_t version, uint8_t type,
    uint64_t seq, uint32_t lenfield, const void *payload, size_t plen,
    const uint8_t *sk, const uint8_t *pk)
{
	uint8_t *p = out;

	memcpy(p, magic, 4);
	p += 4;
	put(&p, version, 1);
	put(&p, type, 1);
	memcpy(p, cid, sizeof(cid));
	p += sizeof(cid);
	put(&p, seq, 8);
	put(&p, CREATED, 8);
	memcpy(p, pk, ENVELOPE_PK_BYTES);
	p += ENVELOPE_PK_BYTES;
	put(&p, lenfield, 4);
	memcpy(p, payload, plen);
	p += plen;
	crypto_sign_detached(p, NULL, out, (size_t)(p - out), sk);
	return (size_t)(p - out) + ENVELOPE_SIG_BYTES;
}

/* A well-formed envelope signed by the appliance key, with this payload. */
static size_t
raw_payload(uint8_t *out, uint8_t type, uint64_t seq, const char *payload,
    size_t plen)
{
	return raw(out, ENVELOPE_MAGIC, ENVELOPE_VERSION, type, seq,
	    (uint32_t)plen, payload, plen, sk_a, pk_a);
}

static void
add(const char *name, const void *data, size_t len, int expect)
{
	struct vec *v = &vecs[nvecs++];

	assert_true(nvecs <= VEC_MAX);
	assert_true(strlen(name) < sizeof(v->name));
	strcpy(v->name, name);
	v->data = malloc(len > 0 ? len : 1);
	assert_non_null(v->data);
	memcpy(v->data, data, len);
	v->len = len;
	v->expect = expect;
}

/* text with the first occurrence of from replaced by to. */
static void
add_edited(const char *name, const char *text, const char *from,
    const char *to, int expect)
{
	const char *at = strstr(text, from);
	char buf[4096];
	size_t pre;

	assert_non_null(at);
	pre = (size_t)(at - text);
	assert_true(strlen(text) - strlen(from) + strlen(to) < sizeof(buf));
	memcpy(buf, text, pre);
	strcpy(buf + pre, to);
	strcat(buf, at + strlen(from));
	add(name, buf, strlen(buf), expect);
}

static int
b64_index(char c)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(alpha, c);

	return p != NULL && c != '\0' ? (int)(p - alpha) : -1;
}

static void
add_armor_vectors(const uint8_t *good, size_t goodlen, const uint8_t *badsig,
    size_t badsiglen)
{
	char *text = NULL, *bad, *s, buf[4096];
	size_t tlen, blen, i;
	int idx;

	assert_int_equal(envelope_armor(good, goodlen, &text, &tlen), CK_OK);
	add("armor-valid-init-request.asc", text, tlen, CK_OK);
	add_edited("armor-bad-begin.asc", text, "BEGIN CONCLAVE",
	    "BEGIN CONCLAVF", CK_ERR_BAD_MAGIC);
	add_edited("armor-leading-junk.asc", text, "-----BEGIN",
	    "x\n-----BEGIN", CK_ERR_BAD_MAGIC);
	add_edited("armor-leading-blank-line.asc", text, "-----BEGIN",
	    "\n-----BEGIN", CK_ERR_BAD_MAGIC);
	add_edited("armor-header-unknown-type.asc", text, "init-request-----",
	    "init-requests-----", CK_ERR_BAD_TYPE);
	add_edited("armor-header-type-mismatch.asc", text, "init-request-----",
	    "init-result-----", CK_ERR_FORMAT);
	add_edited("armor-header-seq-mismatch.asc", text, "000001",
	    "000002", CK_ERR_FORMAT);
	add_edited("armor-header-seq-5-digits.asc", text, "000001",
	    "00001", CK_ERR_FORMAT);
	add_edited("armor-header-no-dashes.asc", text, "init-request-----",
	    "init-request", CK_ERR_FORMAT);
	add_edited("armor-blank-line.asc", text, "-----\n", "-----\n\n",
	    CK_ERR_FORMAT);
	add_edited("armor-bad-end.asc", text, "-----END CONCLAVE ENVELOPE-----",
	    "-----END CONCLAVE ENVELOPE----", CK_ERR_FORMAT);
	add_edited("armor-trailing-junk.asc", text, "ENVELOPE-----\n",
	    "ENVELOPE-----\nx", CK_ERR_TRAILING);
	add_edited("armor-trailing-newline.asc", text, "ENVELOPE-----\n",
	    "ENVELOPE-----\n\n", CK_ERR_TRAILING);
	add("armor-no-final-newline.asc", text, tlen - 1, CK_ERR_TRUNCATED);

	/* Every LF as CRLF. */
	for (i = 0, blen = 0; i < tlen; i++) {
		if (text[i] == '\n')
			buf[blen++] = '\r';
		buf[blen++] = text[i];
	}
	add("armor-crlf.asc", buf, blen, CK_ERR_FORMAT);

	/* Body lines: the first is a full 64; move one character across. */
	s = strchr(text, '\n') + 1;
	assert_int_equal(strchr(s, '\n') - s, ENVELOPE_ARMOR_LINE);
	blen = (size_t)(s - text) + ENVELOPE_ARMOR_LINE;
	memcpy(buf, text, blen);
	buf[blen] = s[ENVELOPE_ARMOR_LINE + 1];
	buf[blen + 1] = '\n';
	strcpy(buf + blen + 2, s + ENVELOPE_ARMOR_LINE + 2);
	add("armor-long-line.asc", buf, strlen(buf), CK_ERR_FORMAT);
	memcpy(buf, text, tlen + 1);
	buf[blen - 1] = '\n';
	buf[blen] = s[ENVELOPE_ARMOR_LINE - 1];
	add("armor-short-line.asc", buf, tlen, CK_ERR_FORMAT);
	/* The first line as two of 32: each length alone would be fine. */
	blen = (size_t)(s - text) + ENVELOPE_ARMOR_LINE / 2;
	memcpy(buf, text, blen);
	buf[blen] = '\n';
	strcpy(buf + blen + 1, text + blen);
	add("armor-split-line.asc", buf, tlen + 1, CK_ERR_FORMAT);

	memcpy(buf, text, tlen + 1);
	buf[(size_t)(s - text) + 10] = '!';
	add("armor-bad-base64-char.asc", buf, tlen, CK_ERR_ENCODING);
	/* libsodium 1.0.18 would decode this one as if the high bit were clear. */
	buf[(size_t)(s - text) + 10] = (char)(text[(size_t)(s - text) + 10] | 0x80);
	add("armor-base64-high-bit.asc", buf, tlen, CK_ERR_ENCODING);

	/* The last data character before padding carries zero bits. */
	memcpy(buf, text, tlen + 1);
	bad = strchr(buf, '=');
	assert_non_null(bad);
	idx = b64_index(bad[-1]);
	assert_true(idx >= 0);
	bad[-1] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	    [idx ^ 1];
	add("armor-base64-nonzero-pad-bits.asc", buf, tlen, CK_ERR_ENCODING);
	add_edited("armor-base64-no-padding.asc", text, "=\n-----END", "\n-----END",
	    CK_ERR_ENCODING);

	/* Drop the last body line: whole base64, but a short envelope. */
	memcpy(buf, text, tlen + 1);
	bad = strstr(buf, "\n-----END");
	*bad = '\0';
	s = strrchr(buf, '\n');
	strcpy(s, text + (strstr(text, "\n-----END") - text));
	add("armor-body-line-missing.asc", buf, strlen(buf), CK_ERR_TRUNCATED);
	add("armor-no-end.asc", text, (size_t)(strstr(text, "-----END") - text),
	    CK_ERR_TRUNCATED);
	free(text);

	assert_int_equal(envelope_armor(badsig, badsiglen, &text, &tlen), CK_OK);
	add("armor-bad-signature.asc", text, tlen, CK_ERR_BAD_SIGNATURE);
	free(text);
}

/* Every vector this format has, in memory. */
static void
make_vectors(void)
{
	static const char unicode[] =
	    "{\"nodes\":[\"https://vault-1.example:8200\"],"
	    "\"note\":\"Z\xc3\xbcrich \xe2\x9c\x93\"}";
	uint8_t good[1024], b[1024], *built = NULL;
	size_t glen, len, plen = strlen(init_payload);

	if (nvecs > 0)
		return;
	glen = raw_payload(good, ENVELOPE_INIT_REQUEST, 1, init_payload, plen);
	/* armor-base64-nonzero-pad-bits needs padding. */
	assert_true(glen % 3 != 0);
	add("valid-init-request.bin", good, glen, CK_OK);
	len = raw(b, ENVELOPE_MAGIC, 1, ENVELOPE_SESSION_OFFER, 2,
	    sizeof(unicode) - 1, unicode, sizeof(unicode) - 1, sk_b, pk_b);
	add("valid-session-offer-unicode.bin", b, len, CK_OK);
	len = raw_payload(b, ENVELOPE_DR_TOKEN_RESULT, ENVELOPE_SEQ_MAX, "{}", 2);
	add("valid-max-seq.bin", b, len, CK_OK);

	/* The builder makes the same bytes as the independent encoder. */
	assert_int_equal(envelope_build(ENVELOPE_INIT_REQUEST, cid, 1, CREATED,
	    init_payload, plen, sk_a, &built, &len), CK_OK);
	assert_int_equal(len, glen);
	assert_memory_equal(built, good, glen);
	free(built);

	add("empty.bin", "", 0, CK_ERR_TRUNCATED);
	len = raw(b, "CKEW", 1, 1, 1, plen, init_payload, plen, sk_a, pk_a);
	add("bad-magic.bin", b, len, CK_ERR_BAD_MAGIC);
	len = raw(b, ENVELOPE_MAGIC, 2, 1, 1, plen, init_payload, plen, sk_a, pk_a);
	add("bad-version-2.bin", b, len, CK_ERR_BAD_VERSION);
	len = raw(b, ENVELOPE_MAGIC, 0, 1, 1, plen, init_payload, plen, sk_a, pk_a);
	add("bad-version-0.bin", b, len, CK_ERR_BAD_VERSION);
	len = raw_payload(b, 0x00, 1, init_payload, plen);
	add("bad-type-00.bin", b, len, CK_ERR_BAD_TYPE);
	len = raw_payload(b, 0x11, 1, init_payload, plen);
	add("bad-type-11.bin", b, len, CK_ERR_BAD_TYPE);
	len = raw_payload(b, 0xff, 1, init_payload, plen);
	add("bad-type-ff.bin", b, len, CK_ERR_BAD_TYPE);
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 0, init_payload, plen);
	add("bad-seq-0.bin", b, len, CK_ERR_FORMAT);
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, ENVELOPE_SEQ_MAX + 1,
	    init_payload, plen);
	add("bad-seq-too-large.bin", b, len, CK_ERR_FORMAT);

	add("truncated-in-magic.bin", good, 3, CK_ERR_TRUNCATED);
	add("truncated-in-ceremony-id.bin", good, 20, CK_ERR_TRUNCATED);
	add("truncated-in-length.bin", good, ENVELOPE_HEADER_BYTES - 1,
	    CK_ERR_TRUNCATED);
	add("truncated-in-payload.bin", good, ENVELOPE_HEADER_BYTES + 10,
	    CK_ERR_TRUNCATED);
	add("truncated-in-signature.bin", good, glen - 1, CK_ERR_TRUNCATED);
	memcpy(b, good, glen);
	b[glen] = 0;
	add("trailing-byte.bin", b, glen + 1, CK_ERR_TRAILING);

	memcpy(b, good, glen);
	b[glen - 1] ^= 0x01;
	add("bad-signature.bin", b, glen, CK_ERR_BAD_SIGNATURE);
	memcpy(b, good, glen);
	b[ENVELOPE_HEADER_BYTES + 5] ^= 0x01;	/* payload byte, old signature */
	add("bad-signature-payload-changed.bin", b, glen, CK_ERR_BAD_SIGNATURE);
	len = raw(b, ENVELOPE_MAGIC, 1, 1, 1, plen, init_payload, plen, sk_b, pk_a);
	add("bad-signature-other-key.bin", b, len, CK_ERR_BAD_SIGNATURE);
	/* Signature first: invalid JSON under a bad signature is a bad signature. */
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 1, "{\"a\":", 5);
	b[len - 1] ^= 0x80;
	add("bad-signature-payload-not-json.bin", b, len, CK_ERR_BAD_SIGNATURE);

	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 1, "{\"a\":", 5);
	add("payload-not-json.bin", b, len, CK_ERR_JSON);
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 1, "", 0);
	add("payload-empty.bin", b, len, CK_ERR_JSON);
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 1, "{} {}", 5);
	add("payload-two-values.bin", b, len, CK_ERR_JSON);
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 1, "{\"a\":\"\0\"}", 9);
	add("payload-nul.bin", b, len, CK_ERR_JSON);
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 1, "{\"n\":1,\"n\":2}", 13);
	add("payload-duplicate-key.bin", b, len, CK_ERR_DUPLICATE_KEY);
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 1, "[1,2]", 5);
	add("payload-array.bin", b, len, CK_ERR_FORMAT);
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 1, "\"x\"", 3);
	add("payload-string.bin", b, len, CK_ERR_JSON);
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 1, "{\"a\":\"\xff\"}", 9);
	add("payload-not-utf8.bin", b, len, CK_ERR_ENCODING);
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 1, "{\"a\":\"\xc0\xaf\"}", 10);
	add("payload-overlong-utf8.bin", b, len, CK_ERR_ENCODING);
	len = raw_payload(b, ENVELOPE_INIT_REQUEST, 1, "{\"a\":\"\xed\xa0\x80\"}",
	    11);
	add("payload-surrogate-utf8.bin", b, len, CK_ERR_ENCODING);
	len = raw(b, ENVELOPE_MAGIC, 1, 1, 1, 0xffffffffU, init_payload, plen,
	    sk_a, pk_a);
	add("length-field-oversize.bin", b, len, CK_ERR_TOO_LARGE);
	len = raw(b, ENVELOPE_MAGIC, 1, 1, 1, ENVELOPE_MAX_PAYLOAD + 1,
	    init_payload, plen, sk_a, pk_a);
	add("length-field-max-plus-one.bin", b, len, CK_ERR_TOO_LARGE);
	len = raw(b, ENVELOPE_MAGIC, 1, 1, 1, (uint32_t)plen + 1, init_payload,
	    plen, sk_a, pk_a);
	add("length-field-one-too-long.bin", b, len, CK_ERR_TRUNCATED);
	len = raw(b, ENVELOPE_MAGIC, 1, 1, 1, (uint32_t)plen - 1, init_payload,
	    plen, sk_a, pk_a);
	add("length-field-one-too-short.bin", b, len, CK_ERR_TRAILING);

	memcpy(b, good, glen);
	b[glen - 1] ^= 0x01;
	add_armor_vectors(good, glen, b, glen);
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* What a receiver gets from a vector file: dearmor (.asc), then parse. */
static int
check_vector(const char *name, const uint8_t *data, size_t len)
{
	struct envelope env;
	uint8_t *bin = NULL;
	size_t binlen;
	int e;

	if (has_suffix(name, ".asc")) {
		if ((e = envelope_dearmor((const char *)data, len, &bin,
		    &binlen)) != CK_OK)
			return e;
		e = envelope_parse(bin, binlen, &env);
		free(bin);
	} else
		e = envelope_parse(data, len, &env);
	envelope_free(&env);
	return e;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(ENVELOPE_ARMOR_MAX + 1);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, ENVELOPE_ARMOR_MAX + 1, f);
	assert_false(ferror(f));
	fclose(f);
	return buf;
}

static void
spew(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *
manifest_text(void)
{
	static const char head[] =
	    "# Envelope v1 test vectors: file, then what a receiver must get\n"
	    "# (.bin: envelope_parse; .asc: envelope_dearmor, then parse).\n"
	    "# Made by tests/unit/test_envelope.c; keys from the Ed25519 seeds\n"
	    "# 00 01 .. 1f (appliance) and 20 21 .. 3f (bridge), ceremony id\n"
	    "# 00112233445566778899aabbccddeeff, created 1795000000.\n";
	char *m = malloc(sizeof(head) + VEC_MAX * 128);
	size_t i;

	assert_non_null(m);
	strcpy(m, head);
	for (i = 0; i < nvecs; i++)
		sprintf(m + strlen(m), "%s %s\n", vecs[i].name,
		    ck_errname(vecs[i].expect));
	return m;
}

static void
committed_vectors_are_the_generated_ones(void **state)
{
	char path[256], *m;
	uint8_t *data;
	size_t i, len;

	(void)state;
	make_vectors();
	m = manifest_text();
	if (getenv("CONCLAVE_WRITE_VECTORS") != NULL) {
		for (i = 0; i < nvecs; i++) {
			assert_true(snprintf(path, sizeof(path), VEC_DIR "/%s",
			    vecs[i].name) < (int)sizeof(path));
			spew(path, vecs[i].data, vecs[i].len);
		}
		spew(VEC_DIR "/MANIFEST", m, strlen(m));
	}
	for (i = 0; i < nvecs; i++) {
		assert_true(snprintf(path, sizeof(path), VEC_DIR "/%s",
		    vecs[i].name) < (int)sizeof(path));
		data = slurp(path, &len);
		assert_int_equal(len, vecs[i].len);
		assert_memory_equal(data, vecs[i].data, len);
		free(data);
	}
	data = slurp(VEC_DIR "/MANIFEST", &len);
	assert_int_equal(len, strlen(m));
	assert_memory_equal(data, m, len);
	free(data);
	free(m);
}

/* Read the committed MANIFEST and files: they alone decide this test. */
static void
every_committed_vector_gives_its_error(void **state)
{
	char line[256], path[300], *sp;
	uint8_t *data;
	size_t len, n = 0, valid = 0;
	FILE *f = fopen(VEC_DIR "/MANIFEST", "r");

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = '\0';
		sp = strchr(line, ' ');
		assert_non_null(sp);
		*sp++ = '\0';
		assert_true(snprintf(path, sizeof(path), VEC_DIR "/%s", line) <
		    (int)sizeof(path));
		data = slurp(path, &len);
		if (strcmp(ck_errname(check_vector(line, data, len)), sp) != 0)
			fail_msg("%s: got %s, want %s", line,
			    ck_errname(check_vector(line, data, len)), sp);
		free(data);
		n++;
		valid += strcmp(sp, "CK_OK") == 0;
	}
	fclose(f);
	assert_true(n >= 40);
	assert_true(valid >= 4);
}

static void
round_trip_every_type(void **state)
{
	static const char payload[] = "{\"k\":\"v\",\"n\":[1,2,3]}";
	struct envelope env;
	uint8_t *bin = NULL, *back = NULL, h[ENVELOPE_HASH_BYTES];
	char *text = NULL;
	size_t len, tlen, blen;
	unsigned w;
	enum envelope_type t;
	uint64_t seq = 1;

	(void)state;
	for (w = 0; w < 256; w++, seq = seq * 7 % ENVELOPE_SEQ_MAX + 1) {
		if (envelope_type_from_byte((uint8_t)w, &t) != CK_OK)
			continue;
		assert_int_equal(envelope_build(t, cid, seq, CREATED + w, payload,
		    strlen(payload), sk_b, &bin, &len), CK_OK);
		assert_int_equal(len, ENVELOPE_OVERHEAD + strlen(payload));
		assert_int_equal(envelope_parse(bin, len, &env), CK_OK);
		assert_int_equal(env.version, ENVELOPE_VERSION);
		assert_int_equal(env.type, t);
		assert_int_equal(env.seq, seq);
		assert_int_equal(env.created, CREATED + w);
		assert_memory_equal(env.ceremony_id, cid, sizeof(cid));
		assert_memory_equal(env.signer_pk, pk_b, sizeof(pk_b));
		assert_string_equal(json_string_value(json_object_get(env.payload,
		    "k")), "v");
		assert_int_equal(json_array_size(json_object_get(env.payload,
		    "n")), 3);
		crypto_generichash(h, sizeof(h), bin, len, NULL, 0);
		assert_memory_equal(env.hash, h, sizeof(h));
		envelope_hash(bin, len, h);
		assert_memory_equal(env.hash, h, sizeof(h));
		envelope_free(&env);
		assert_null(env.payload);

		assert_int_equal(envelope_armor(bin, len, &text, &tlen), CK_OK);
		assert_int_equal(strlen(text), tlen);
		assert_non_null(strstr(text, envelope_type_name(t)));
		assert_int_equal(envelope_dearmor(text, tlen, &back, &blen), CK_OK);
		assert_int_equal(blen, len);
		assert_memory_equal(back, bin, len);
		free(text);
		free(back);
		free(bin);
	}
}

static void
every_truncation_is_rejected(void **state)
{
	uint8_t *bin = NULL, *out = NULL;
	char *text = NULL;
	size_t len, tlen, i, olen;
	struct envelope env;

	(void)state;
	assert_int_equal(envelope_build(ENVELOPE_INIT_RESULT, cid, 2, CREATED,
	    init_payload, strlen(init_payload), sk_b, &bin, &len), CK_OK);
	for (i = 0; i < len; i++) {
		assert_int_equal(envelope_parse(bin, i, &env), CK_ERR_TRUNCATED);
		assert_null(env.payload);
	}
	assert_int_equal(envelope_armor(bin, len, &text, &tlen), CK_OK);
	for (i = 0; i < tlen; i++) {
		assert_int_equal(envelope_dearmor(text, i, &out, &olen),
		    CK_ERR_TRUNCATED);
		assert_null(out);
	}
	free(text);
	free(bin);
}

static void
no_bit_flip_is_accepted(void **state)
{
	uint8_t *bin = NULL, *out = NULL;
	char *text = NULL;
	size_t len, tlen, i, olen;
	int e;

	(void)state;
	assert_int_equal(envelope_build(ENVELOPE_SHARE_SUBMISSION, cid, 3,
	    CREATED, init_payload, strlen(init_payload), sk_a, &bin, &len),
	    CK_OK);
	for (i = 0; i < len * 8; i++) {
		bin[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(check_vector("x.bin", bin, len), CK_OK);
		bin[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(check_vector("x.bin", bin, len), CK_OK);
	assert_int_equal(envelope_armor(bin, len, &text, &tlen), CK_OK);
	for (i = 0; i < tlen * 8; i++) {
		text[i / 8] ^= (char)(1u << (i % 8));
		e = check_vector("x.asc", (uint8_t *)text, tlen);
		assert_int_not_equal(e, CK_OK);
		text[i / 8] ^= (char)(1u << (i % 8));
	}
	assert_int_equal(envelope_dearmor(text, tlen, &out, &olen), CK_OK);
	free(out);
	free(text);
	free(bin);
}

/* A payload of exactly n bytes: {"a":"xxx..."} */
static char *
payload_of(size_t n)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	assert_true(n >= 8);
	memset(p, 'x', n);
	memcpy(p, "{\"a\":\"", 6);
	memcpy(p + n - 2, "\"}", 2);
	p[n] = '\0';
	return p;
}

static void
size_limits_are_exact(void **state)
{
	struct envelope env;
	uint8_t *bin = NULL, *back = NULL, *big;
	char *p, *text = NULL;
	size_t len, tlen, blen;

	(void)state;
	p = payload_of(ENVELOPE_MAX_PAYLOAD);
	assert_int_equal(envelope_build(ENVELOPE_INIT_RESULT, cid, 2, CREATED,
	    p, ENVELOPE_MAX_PAYLOAD, sk_b, &bin, &len), CK_OK);
	assert_int_equal(len, ENVELOPE_MAX_BYTES);
	assert_int_equal(envelope_parse(bin, len, &env), CK_OK);
	envelope_free(&env);
	/* The largest envelope armors within ENVELOPE_ARMOR_MAX. */
	assert_int_equal(envelope_armor(bin, len, &text, &tlen), CK_OK);
	assert_true(tlen <= ENVELOPE_ARMOR_MAX);
	assert_int_equal(envelope_dearmor(text, tlen, &back, &blen), CK_OK);
	assert_int_equal(blen, len);
	free(back);
	free(text);
	free(p);

	/* One byte more than the limit is refused before anything else. */
	big = malloc(ENVELOPE_MAX_BYTES + 1);
	assert_non_null(big);
	memcpy(big, bin, len);
	big[len] = 0;
	assert_int_equal(envelope_parse(big, len + 1, &env), CK_ERR_TOO_LARGE);
	free(big);
	free(bin);

	p = payload_of(ENVELOPE_MAX_PAYLOAD + 1);
	assert_int_equal(envelope_build(ENVELOPE_INIT_RESULT, cid, 2, CREATED,
	    p, ENVELOPE_MAX_PAYLOAD + 1, sk_b, &bin, &len), CK_ERR_TOO_LARGE);
	assert_null(bin);
	free(p);

	text = malloc(ENVELOPE_ARMOR_MAX + 1);
	assert_non_null(text);
	memset(text, 'A', ENVELOPE_ARMOR_MAX + 1);
	assert_int_equal(envelope_dearmor(text, ENVELOPE_ARMOR_MAX + 1, &back,
	    &blen), CK_ERR_TOO_LARGE);
	free(text);
}

static void
builder_refuses_what_the_parser_would(void **state)
{
	uint8_t *bin = NULL;
	size_t len = 1;

	(void)state;
	assert_int_equal(envelope_build(ENVELOPE_INIT_REQUEST, cid, 0, CREATED,
	    "{}", 2, sk_a, &bin, &len), CK_ERR_INVALID_ARG);
	assert_int_equal(envelope_build(ENVELOPE_INIT_REQUEST, cid,
	    ENVELOPE_SEQ_MAX + 1, CREATED, "{}", 2, sk_a, &bin, &len),
	    CK_ERR_INVALID_ARG);
	assert_int_equal(envelope_build(0, cid, 1, CREATED, "{}", 2, sk_a, &bin,
	    &len), CK_ERR_INVALID_ARG);
	assert_int_equal(envelope_build(ENVELOPE_INIT_REQUEST, cid, 1, CREATED,
	    "[]", 2, sk_a, &bin, &len), CK_ERR_FORMAT);
	assert_int_equal(envelope_build(ENVELOPE_INIT_REQUEST, cid, 1, CREATED,
	    "{\"a\":1,\"a\":1}", 13, sk_a, &bin, &len), CK_ERR_DUPLICATE_KEY);
	assert_int_equal(envelope_build(ENVELOPE_INIT_REQUEST, cid, 1, CREATED,
	    "{\"a\":\"\xfe\"}", 9, sk_a, &bin, &len), CK_ERR_ENCODING);
	assert_int_equal(envelope_build(ENVELOPE_INIT_REQUEST, cid, 1, CREATED,
	    "{", 1, sk_a, &bin, &len), CK_ERR_JSON);
	assert_null(bin);
	assert_int_equal(len, 0);
}

static void
binding_rules_and_their_order(void **state)
{
	uint8_t other[ENVELOPE_CEREMONY_ID_BYTES];
	struct envelope env;
	uint8_t *bin = NULL;
	size_t len;

	(void)state;
	assert_int_equal(envelope_build(ENVELOPE_SUBMISSION_RESULT, cid, 5,
	    CREATED, "{}", 2, sk_b, &bin, &len), CK_OK);
	assert_int_equal(envelope_parse(bin, len, &env), CK_OK);
	memcpy(other, cid, sizeof(other));
	other[15] ^= 1;
	assert_int_equal(envelope_check_binding(&env, cid, pk_b, 4), CK_OK);
	assert_int_equal(envelope_check_binding(&env, other, pk_b, 4),
	    CK_ERR_WRONG_CEREMONY);
	assert_int_equal(envelope_check_binding(&env, cid, pk_a, 4),
	    CK_ERR_WRONG_KEY);
	assert_int_equal(envelope_check_binding(&env, cid, pk_b, 5),
	    CK_ERR_REPLAY);
	assert_int_equal(envelope_check_binding(&env, cid, pk_b, 9),
	    CK_ERR_REPLAY);
	assert_int_equal(envelope_check_binding(&env, cid, pk_b, 3),
	    CK_ERR_OUT_OF_ORDER);
	assert_int_equal(envelope_check_binding(&env, cid, pk_b, 0),
	    CK_ERR_OUT_OF_ORDER);
	/* Order: ceremony, then key, then sequence. */
	assert_int_equal(envelope_check_binding(&env, other, pk_a, 5),
	    CK_ERR_WRONG_CEREMONY);
	assert_int_equal(envelope_check_binding(&env, cid, pk_a, 5),
	    CK_ERR_WRONG_KEY);
	envelope_free(&env);
	envelope_free(&env);
	free(bin);
}

static void
type_registry_is_complete_and_stable(void **state)
{
	static const struct {
		uint8_t wire;
		const char *name;
		enum envelope_dir dir;
	} want[] = {
		{ 0x01, "init-request", ENVELOPE_A_TO_B },
		{ 0x02, "init-result", ENVELOPE_B_TO_A },
		{ 0x03, "session-offer", ENVELOPE_B_TO_A },
		{ 0x04, "share-submission", ENVELOPE_A_TO_B },
		{ 0x05, "submission-result", ENVELOPE_B_TO_A },
		{ 0x06, "rekey-request", ENVELOPE_A_TO_B },
		{ 0x07, "rekey-result", ENVELOPE_B_TO_A },
		{ 0x08, "rekey-verify-submission", ENVELOPE_A_TO_B },
		{ 0x09, "generate-root-request", ENVELOPE_A_TO_B },
		{ 0x0a, "generate-root-result", ENVELOPE_B_TO_A },
		{ 0x0b, "closing-request", ENVELOPE_A_TO_B },
		{ 0x0c, "closing-result", ENVELOPE_B_TO_A },
		{ 0x0d, "dr-token-request", ENVELOPE_A_TO_B },
		{ 0x0e, "dr-token-result", ENVELOPE_B_TO_A },
		{ 0x0f, "unseal-request", ENVELOPE_A_TO_B },
		{ 0x10, "bridge-repin", ENVELOPE_B_TO_A },
	};
	enum envelope_type t;
	size_t i, n = 0;
	unsigned w;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(envelope_type_from_byte(want[i].wire, &t), CK_OK);
		assert_string_equal(envelope_type_name(t), want[i].name);
		assert_int_equal(envelope_type_dir(t), want[i].dir);
		assert_true(strlen(want[i].name) <= ENVELOPE_TYPE_NAME_MAX);
		assert_int_equal(strspn(want[i].name, "abcdefghijklmnopqrstuvwxyz-"),
		    strlen(want[i].name));
		assert_int_equal(envelope_type_from_name(want[i].name,
		    strlen(want[i].name), &t), CK_OK);
		assert_int_equal(t, want[i].wire);
	}
	for (w = 0; w < 256; w++)
		n += envelope_type_from_byte((uint8_t)w, &t) == CK_OK;
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	assert_null(envelope_type_name(0));
	assert_int_equal(envelope_type_dir(0), 0);
	assert_int_equal(envelope_type_from_name("init", 4, &t), CK_ERR_BAD_TYPE);
	assert_int_equal(envelope_type_from_name("init-request", 11, &t),
	    CK_ERR_BAD_TYPE);
	assert_int_equal(envelope_type_from_name("Init-request", 12, &t),
	    CK_ERR_BAD_TYPE);
}

static void
file_names_are_strict(void **state)
{
	static const char *bad[] = {
		"", ".env", "000001-.env", "00001-init-request.env",
		"0000001-init-request.env", "000000-init-request.env",
		"000001_init-request.env", "000001-init-request.env.tmp",
		"000001-init-request.ENV", "000001-Init-request.env",
		"+00001-init-request.env", " 00001-init-request.env",
		"000001-init-request", "000001-init-requestenv",
		"000001-no-such-type.env", "000001--init-request.env",
		"../000001-init-request.env", "000001-init-request.env ",
	};
	char name[ENVELOPE_FILE_NAME_MAX];
	enum envelope_type t, back;
	uint64_t seq;
	size_t i;
	unsigned w;

	(void)state;
	assert_int_equal(envelope_file_name(42, ENVELOPE_REKEY_RESULT, name), CK_OK);
	assert_string_equal(name, "000042-rekey-result.env");
	for (w = 0; w < 256; w++) {
		if (envelope_type_from_byte((uint8_t)w, &t) != CK_OK)
			continue;
		assert_int_equal(envelope_file_name(ENVELOPE_SEQ_MAX, t, name), CK_OK);
		assert_int_equal(envelope_file_name_parse(name, strlen(name), &seq,
		    &back), CK_OK);
		assert_int_equal(seq, ENVELOPE_SEQ_MAX);
		assert_int_equal(back, t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (envelope_file_name_parse(bad[i], strlen(bad[i]), &seq, &t) !=
		    CK_ERR_BAD_NAME)
			fail_msg("accepted file name \"%s\"", bad[i]);
	/* A NUL inside the counted name is not the name without it. */
	assert_int_equal(envelope_file_name_parse("000001-init-request\0.env",
	    24, &seq, &t), CK_ERR_BAD_NAME);
	assert_int_equal(envelope_file_name(0, ENVELOPE_INIT_REQUEST, name),
	    CK_ERR_INVALID_ARG);
	assert_int_equal(envelope_file_name(ENVELOPE_SEQ_MAX + 1,
	    ENVELOPE_INIT_REQUEST, name), CK_ERR_INVALID_ARG);
	assert_int_equal(envelope_file_name(1, 0x11, name), CK_ERR_INVALID_ARG);
}

static void
file_name_must_match_the_envelope(void **state)
{
	struct envelope env;
	uint8_t *bin = NULL;
	size_t len;

	(void)state;
	assert_int_equal(envelope_build(ENVELOPE_CLOSING_RESULT, cid, 12, CREATED,
	    "{}", 2, sk_b, &bin, &len), CK_OK);
	assert_int_equal(envelope_parse(bin, len, &env), CK_OK);
	assert_int_equal(envelope_file_name_matches(&env,
	    "000012-closing-result.env", 25), CK_OK);
	assert_int_equal(envelope_file_name_matches(&env,
	    "000013-closing-result.env", 25), CK_ERR_BAD_NAME);
	assert_int_equal(envelope_file_name_matches(&env,
	    "000012-closing-request.env", 26), CK_ERR_BAD_NAME);
	assert_int_equal(envelope_file_name_matches(&env,
	    "000012-closing-result.env~", 26), CK_ERR_BAD_NAME);
	envelope_free(&env);
	free(bin);
}

static void
ceremony_ids_are_lowercase_hex(void **state)
{
	uint8_t a[ENVELOPE_CEREMONY_ID_BYTES], b[ENVELOPE_CEREMONY_ID_BYTES];
	char hex[ENVELOPE_CEREMONY_ID_HEX + 1];

	(void)state;
	envelope_ceremony_id_hex(cid, hex);
	assert_string_equal(hex, "00112233445566778899aabbccddeeff");
	assert_int_equal(envelope_ceremony_id_parse(hex, strlen(hex), a), CK_OK);
	assert_memory_equal(a, cid, sizeof(a));
	assert_int_equal(envelope_ceremony_id_parse(
	    "00112233445566778899AABBCCDDEEFF", 32, a), CK_ERR_FORMAT);
	assert_int_equal(envelope_ceremony_id_parse(hex, 31, a), CK_ERR_FORMAT);
	assert_int_equal(envelope_ceremony_id_parse(
	    "00112233445566778899aabbccddeeff0", 33, a), CK_ERR_FORMAT);
	assert_int_equal(envelope_ceremony_id_parse(
	    "00112233445566778899aabbccddeefg", 32, a), CK_ERR_FORMAT);
	assert_int_equal(envelope_ceremony_id_parse(
	    "00112233445566778899aabbccddee f", 32, a), CK_ERR_FORMAT);
	envelope_ceremony_id_new(a);
	envelope_ceremony_id_new(b);
	assert_memory_not_equal(a, b, sizeof(a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(committed_vectors_are_the_generated_ones),
		cmocka_unit_test(every_committed_vector_gives_its_error),
		cmocka_unit_test(round_trip_every_type),
		cmocka_unit_test(every_truncation_is_rejected),
		cmocka_unit_test(no_bit_flip_is_accepted),
		cmocka_unit_test(size_limits_are_exact),
		cmocka_unit_test(builder_refuses_what_the_parser_would),
		cmocka_unit_test(binding_rules_and_their_order),
		cmocka_unit_test(type_registry_is_complete_and_stable),
		cmocka_unit_test(file_names_are_strict),
		cmocka_unit_test(file_name_must_match_the_envelope),
		cmocka_unit_test(ceremony_ids_are_lowercase_hex),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
