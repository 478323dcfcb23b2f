/*
 * Fingerprints without gpgme: SHA-1 known answers (FIPS 180 examples),
 * armor decoding, and crypto/pgppkt's v4 fingerprint of every fixture key
 * against stock gpg's (tk_fpr, the oracle), from the public key and from
 * the secret key file a holder's stick brings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "crypto/pgp.h"
#include "crypto/pgppkt.h"
#include "crypto/sha1.h"
#include "tests/unit/helper_keys.h"

static void
hex_of(const uint8_t *b, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, b, n);
}

static void
sha1_known_answers(void **state)
{
	static const struct { const char *in; const char *hex; } v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	uint8_t out[SHA1_BYTES];
	char hex[41], a[1001];
	struct sha1 c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha1_init(&c);
		sha1_update(&c, v[i].in, strlen(v[i].in));
		sha1_final(&c, out);
		hex_of(out, sizeof(out), hex);
		assert_string_equal(hex, v[i].hex);
	}
	/* A million 'a', fed in uneven pieces across block boundaries. */
	memset(a, 'a', sizeof(a));
	sha1_init(&c);
	for (i = 0; i < 1000; i++)
		sha1_update(&c, a, i % 2 ? 999 : 1001);
	sha1_final(&c, out);
	hex_of(out, sizeof(out), hex);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void
fingerprints_match_gpg(void **state)
{
	static const char *names[] = { "holder1", "holder2", "holder3",
	    "holder4", "holder5", "holder6", "holder7", "operator",
	    "multisub", "expiredsub", "dsaelg" };
	uint8_t *key = malloc(PGPPKT_KEY_MAX), *again = malloc(PGPPKT_KEY_MAX);
	uint8_t fpr[PGPPKT_FPR_BYTES];
	unsigned char *file;
	char hex[41], want[41];
	size_t i, len, klen, alen;

	(void)state;
	assert_non_null(key);
	assert_non_null(again);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		file = tk_slurp(tk_key(names[i], 0), &len);
		assert_int_equal(pgppkt_dearmor_key(file, len, key,
		    PGPPKT_KEY_MAX, &klen), CK_OK);
		assert_int_equal(pgppkt_fingerprint(key, klen, fpr), CK_OK);
		hex_of(fpr, sizeof(fpr), hex);
		tk_fpr(names[i], want);
		assert_string_equal(hex, want);
		/* Binary input comes through unchanged. */
		assert_int_equal(pgppkt_dearmor_key(key, klen, again,
		    PGPPKT_KEY_MAX, &alen), CK_OK);
		assert_int_equal(alen, klen);
		assert_memory_equal(again, key, klen);
		free(file);
	}
	free(key);
	free(again);
}

/* Replace the first occurrence of from by to (same length) in a copy. */
static char *
edited(const char *text, size_t len, const char *from, const char *to)
{
	char *c = malloc(len + 1), *p;

	assert_non_null(c);
	memcpy(c, text, len);
	c[len] = '\0';
	p = strstr(c, from);
	assert_non_null(p);
	memcpy(p, to, strlen(to));
	return c;
}

static void
bad_armor_refused(void **state)
{
	uint8_t *key = malloc(PGPPKT_KEY_MAX), fpr[PGPPKT_FPR_BYTES];
	unsigned char *file, *sec;
	char *c, *crc;
	size_t len, slen, klen;

	(void)state;
	assert_non_null(key);
	file = tk_slurp(tk_key("holder1", 0), &len);
	/* A changed body byte: the CRC-24 line catches it. */
	crc = strstr((char *)file, "\n=");
	assert_non_null(crc);
	c = edited((char *)file, len, "\n\n", "\n\n");
	c[crc - (char *)file - 10] = c[crc - (char *)file - 10] == 'A' ? 'B' : 'A';
	assert_int_equal(pgppkt_dearmor_key(c, len, key, PGPPKT_KEY_MAX, &klen),
	    CK_ERR_CRYPTO);
	assert_int_equal(klen, 0);
	free(c);
	/* No END line. */
	c = edited((char *)file, len, "-----END", "-----XXX");
	assert_int_equal(pgppkt_dearmor_key(c, len, key, PGPPKT_KEY_MAX, &klen),
	    CK_ERR_FORMAT);
	free(c);
	/* Not base64. */
	c = edited((char *)file, len, "\n\n", "\n\n!");
	assert_int_equal(pgppkt_dearmor_key(c, len, key, PGPPKT_KEY_MAX, &klen),
	    CK_ERR_FORMAT);
	free(c);
	/* A secret key block is not a public key. */
	sec = tk_slurp(tk_key("holder1", 1), &slen);
	assert_int_equal(pgppkt_dearmor_key(sec, slen, key, PGPPKT_KEY_MAX,
	    &klen), CK_ERR_FORMAT);
	/* Too small an output buffer. */
	assert_int_equal(pgppkt_dearmor_key(file, len, key, 16, &klen),
	    CK_ERR_TOO_LARGE);
	/* Plain text. */
	assert_int_equal(pgppkt_dearmor_key("hello\n", 6, key, PGPPKT_KEY_MAX,
	    &klen), CK_ERR_FORMAT);
	/* A fingerprint needs a public-key packet first, version 4. */
	assert_int_equal(pgppkt_dearmor_key(file, len, key, PGPPKT_KEY_MAX,
	    &klen), CK_OK);
	assert_true((key[0] & 0x40) == 0 && (key[0] & 3) == 1);
	key[3] = 5;	/* old-format header, 2-octet length: body[0] */
	assert_int_equal(pgppkt_fingerprint(key, klen, fpr), CK_ERR_BAD_VERSION);
	key[3] = 6;
	assert_int_equal(pgppkt_fingerprint(key, klen, fpr), CK_ERR_UNSUPPORTED);
	key[0] = 0x80 | (13 << 2) | 1;	/* a user id packet first */
	assert_int_equal(pgppkt_fingerprint(key, klen, fpr), CK_ERR_FORMAT);
	assert_int_equal(pgppkt_fingerprint(key, 2, fpr), CK_ERR_TRUNCATED);
	free(sec);
	free(file);
	free(key);
}


/* Every algorithm of tests/integration/key_matrix.sh, with and without a
 * passphrase (nopass). */
static const char *const secret_names[] = { "rsa2048", "holder1", "holder2",
    "holder3", "nistp256", "nistp384", "nistp521", "brainpoolp256",
    "brainpoolp384", "brainpoolp512", "secp256k1", "dsaelg", "certonly",
    "rsaprimary", "nopass", "operator" };

/* A secret key file's binary packets: the armor relabelled as a public
 * block (the body and its CRC unchanged) for pgppkt_dearmor_key. */
static uint8_t *
secret_binary(const char *name, size_t *klen)
{
	uint8_t *key = malloc(PGPPKT_KEY_MAX);
	unsigned char *file;
	char *c, *d;
	size_t len;

	assert_non_null(key);
	file = tk_slurp(tk_key(name, 1), &len);
	c = edited((char *)file, len, "BEGIN PGP PRIVATE", "BEGIN PGP PUBLIC ");
	d = strstr(c, "BEGIN PGP PUBLIC ");
	memmove(d + 16, d + 17, strlen(d + 17) + 1);
	d = strstr(c, "END PGP PRIVATE");
	assert_non_null(d);
	memcpy(d, "END PGP PUBLIC ", 15);
	memmove(d + 14, d + 15, strlen(d + 15) + 1);
	assert_int_equal(pgppkt_dearmor_key(c, strlen(c), key, PGPPKT_KEY_MAX,
	    klen), CK_OK);
	assert_true((key[0] & 0x80) != 0);
	free(c);
	free(file);
	return key;
}

static void
assert_fpr(const uint8_t *fpr, const char *name)
{
	char hex[41], want[41];

	hex_of(fpr, PGPPKT_FPR_BYTES, hex);
	tk_fpr(name, want);
	assert_string_equal(hex, want);
}

static void
secret_key_fingerprints_match_gpg(void **state)
{
	struct pgppkt_fprs f;
	struct pgp_fprs pf;
	unsigned char *file;
	uint8_t *key;
	char want[41];
	size_t i, len, klen;

	(void)state;
	for (i = 0; i < sizeof(secret_names) / sizeof(secret_names[0]); i++) {
		/* armored, as gpg --export-secret-keys --armor writes it */
		file = tk_slurp(tk_key(secret_names[i], 1), &len);
		assert_int_equal(pgppkt_secret_fprs(file, len, &f), CK_OK);
		assert_int_equal(f.n, 1);
		assert_fpr(f.fpr[0], secret_names[i]);
		/* binary */
		key = secret_binary(secret_names[i], &klen);
		memset(&f, 0xa5, sizeof(f));
		assert_int_equal(pgppkt_secret_fprs(key, klen, &f), CK_OK);
		assert_int_equal(f.n, 1);
		assert_fpr(f.fpr[0], secret_names[i]);
		/* from the file, read here (no parser child in this test) */
		assert_int_equal(pgp_keyfile_fprs(tk_key(secret_names[i], 1),
		    &pf), CK_OK);
		assert_int_equal(pf.n, 1);
		tk_fpr(secret_names[i], want);
		assert_string_equal(pf.fpr[0], want);
		free(key);
		free(file);
	}
}

/* Two keys in one file, a key twice, more keys than a file may bring. */
static void
secret_key_files_with_several_keys(void **state)
{
	static const char *const nine[] = { "holder1", "holder2", "holder3",
	    "holder4", "holder5", "holder6", "holder7", "operator", "witness" };
	uint8_t *all = malloc(9 * PGPPKT_KEY_MAX), *key;
	struct pgppkt_fprs f;
	size_t i, n = 0, klen, first = 0;

	(void)state;
	assert_non_null(all);
	for (i = 0; i < 9; i++) {
		key = secret_binary(nine[i], &klen);
		memcpy(all + n, key, klen);
		n += klen;
		if (i == 0)
			first = klen;
		free(key);
		if (i == 1) {
			assert_int_equal(pgppkt_secret_fprs(all, n, &f), CK_OK);
			assert_int_equal(f.n, 2);
			assert_fpr(f.fpr[0], "holder1");
			assert_fpr(f.fpr[1], "holder2");
		}
	}
	assert_int_equal(PGPPKT_KEYS_MAX, 8);
	assert_int_equal(pgppkt_secret_fprs(all, n, &f), CK_ERR_TOO_LARGE);
	assert_int_equal(f.n, 0);
	memcpy(all + first, all, first);
	assert_int_equal(pgppkt_secret_fprs(all, 2 * first, &f), CK_OK);
	assert_int_equal(f.n, 1);
	free(all);
}

/* The byte of the first packet's body at offset off (old-format header,
 * lengths as gpg writes them). */
static size_t
body_at(const uint8_t *key, size_t off)
{
	assert_true((key[0] & 0x40) == 0);
	return 1 + ((size_t)1 << (key[0] & 3)) + off;
}

static void
bad_secret_key_files_refused(void **state)
{
	struct pgppkt_fprs f;
	unsigned char *pub;
	uint8_t *key, *c;
	char hex[41], want[41];
	size_t len, klen, cut, b;
	int e;

	(void)state;
	/* A public key where the secret key should be: armored and binary. */
	pub = tk_slurp(tk_key("holder3", 0), &len);
	assert_int_equal(pgppkt_secret_fprs(pub, len, &f), CK_ERR_FORMAT);
	key = malloc(PGPPKT_KEY_MAX);
	assert_non_null(key);
	assert_int_equal(pgppkt_dearmor_key(pub, len, key, PGPPKT_KEY_MAX,
	    &klen), CK_OK);
	assert_int_equal(pgppkt_secret_fprs(key, klen, &f), CK_ERR_FORMAT);
	free(key);
	free(pub);
	assert_int_equal(pgppkt_secret_fprs("hello\n", 6, &f), CK_ERR_FORMAT);
	assert_int_equal(pgppkt_secret_fprs("", 0, &f), CK_ERR_FORMAT);

	/* Every truncation of a binary key either fails or, cut between
	 * packets, still names the right key. */
	key = secret_binary("nistp256", &klen);
	for (cut = 0; cut < klen; cut++) {
		memset(&f, 0xa5, sizeof(f));
		e = pgppkt_secret_fprs(key, cut, &f);
		if (e == CK_OK)
			assert_fpr(f.fpr[0], "nistp256");
		else
			assert_int_equal(f.n, 0);
	}
	c = malloc(klen);
	assert_non_null(c);
	b = body_at(key, 0);
	/* versions: v6 is not what the roster holds, v3 and 9 unknown */
	memcpy(c, key, klen);
	c[b] = 6;
	assert_int_equal(pgppkt_secret_fprs(c, klen, &f), CK_ERR_UNSUPPORTED);
	c[b] = 3;
	assert_int_equal(pgppkt_secret_fprs(c, klen, &f), CK_ERR_BAD_VERSION);
	/* an unknown algorithm */
	memcpy(c, key, klen);
	c[b + 5] = 99;
	assert_int_equal(pgppkt_secret_fprs(c, klen, &f), CK_ERR_UNSUPPORTED);
	/* a reserved OID length (ECDSA: the OID follows the algorithm) */
	memcpy(c, key, klen);
	assert_int_equal(c[b + 5], 19);
	c[b + 6] = 0;
	assert_int_equal(pgppkt_secret_fprs(c, klen, &f), CK_ERR_FORMAT);
	c[b + 6] = 0xff;
	assert_int_equal(pgppkt_secret_fprs(c, klen, &f), CK_ERR_FORMAT);
	/* an OID running past the packet */
	c[b + 6] = 0xfe;
	assert_int_equal(pgppkt_secret_fprs(c, klen, &f), CK_ERR_TRUNCATED);
	/* a point MPI longer than the packet */
	memcpy(c, key, klen);
	c[b + 7 + c[b + 6]] = 0xff;
	assert_int_equal(pgppkt_secret_fprs(c, klen, &f), CK_ERR_TRUNCATED);
	/* a changed public byte is another key, not an error */
	memcpy(c, key, klen);
	c[b + 1] ^= 1;	/* creation time */
	assert_int_equal(pgppkt_secret_fprs(c, klen, &f), CK_OK);
	hex_of(f.fpr[0], PGPPKT_FPR_BYTES, hex);
	tk_fpr("nistp256", want);
	assert_string_not_equal(hex, want);
	/* a user id packet first */
	memcpy(c, key, klen);
	c[0] = (uint8_t)(0x80 | (13 << 2) | (key[0] & 3));
	assert_int_equal(pgppkt_secret_fprs(c, klen, &f), CK_ERR_FORMAT);
	/* the secret key packet relabelled as a public key packet */
	c[0] = (uint8_t)(0x80 | (6 << 2) | (key[0] & 3));
	assert_int_equal(pgppkt_secret_fprs(c, klen, &f), CK_ERR_FORMAT);
	free(c);
	free(key);
}

/* RFC 9580's Ed25519 and Ed448 keys (algorithms 27, 28: fixed-size public
 * keys, which stock gpg 2.2 does not make): a v4 secret-key packet built
 * here, its fingerprint over the public part only. */
static void
native_ed_secret_keys(void **state)
{
	static const struct { uint8_t algo; size_t n; } k[] = {
		{ 27, 32 }, { 28, 57 },
	};
	uint8_t pkt[2 + 6 + 57 + 1 + 57], want[SHA1_BYTES], hdr[3];
	struct pgppkt_fprs f;
	struct sha1 c;
	size_t i, pub;

	(void)state;
	for (i = 0; i < 2; i++) {
		pub = 6 + k[i].n;
		pkt[0] = 0xc0 | 5;	/* new format, secret key */
		pkt[1] = (uint8_t)(pub + 1 + k[i].n);
		pkt[2] = 4;
		memcpy(pkt + 3, "\x60\x00\x00\x01", 4);
		pkt[7] = k[i].algo;
		memset(pkt + 8, 0x11 + (int)i, k[i].n);	/* public key */
		pkt[2 + pub] = 0;	/* S2K usage: unprotected */
		memset(pkt + 3 + pub, 0x77, k[i].n);	/* secret key */
		hdr[0] = 0x99;
		hdr[1] = 0;
		hdr[2] = (uint8_t)pub;
		sha1_init(&c);
		sha1_update(&c, hdr, 3);
		sha1_update(&c, pkt + 2, pub);
		sha1_final(&c, want);
		assert_int_equal(pgppkt_secret_fprs(pkt, 2 + pkt[1], &f), CK_OK);
		assert_int_equal(f.n, 1);
		assert_memory_equal(f.fpr[0], want, sizeof(want));
		/* the public key alone, no S2K usage octet */
		pkt[1] = (uint8_t)pub;
		assert_int_equal(pgppkt_secret_fprs(pkt, 2 + pub, &f),
		    CK_ERR_TRUNCATED);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha1_known_answers),
		cmocka_unit_test(fingerprints_match_gpg),
		cmocka_unit_test(bad_armor_refused),
		cmocka_unit_test(secret_key_fingerprints_match_gpg),
		cmocka_unit_test(secret_key_files_with_several_keys),
		cmocka_unit_test(bad_secret_key_files_refused),
		cmocka_unit_test(native_ed_secret_keys),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
