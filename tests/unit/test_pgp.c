/*
 * crypto/pgp against real gpg: the committed fixture keys
 * (tests/vectors/keys), stock gpg as the oracle for fingerprints, subkey
 * choice, exports, encryption and signature checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/pgp.h"
#include "crypto/secmem.h"
#include "tests/unit/helper_keys.h"

static const char share[] =
    "2b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef3";

static const char *const fixtures[] = {
	"holder1", "holder2", "holder3", "holder4", "holder5", "holder6",
	"holder7", "operator", "witness", "multisub", "rebound", "signonly",
	"expiredsub", "expired", "revoked", "revokedsub", "certonly", "dsaelg",
	"nistp384", "brainpoolp512", "secp256k1", "twinsub", "mixedsub",
	"rsaprimary",
};
#define NFIX (sizeof(fixtures) / sizeof(fixtures[0]))

struct fx {
	char *base;
	struct pgp_home *h;
	char *pass;
	char fpr[NFIX][PGP_FPR_LEN + 1];
};

static struct fx *F;

static const char *
fpr(const char *name)
{
	size_t i;

	for (i = 0; i < NFIX; i++)
		if (strcmp(fixtures[i], name) == 0)
			return F->fpr[i];
	abort();
}

static int
setup(void **state)
{
	struct pgp_fprs got;
	size_t i;

	(void)state;
	if (secmem_init() != CK_OK)
		return -1;
	F = calloc(1, sizeof(*F));
	F->base = tk_tmpdir();
	F->pass = tk_passphrase();
	if (pgp_home_open(F->base, &F->h) != CK_OK)
		return -1;
	for (i = 0; i < NFIX; i++) {
		tk_fpr(fixtures[i], F->fpr[i]);
		if (pgp_import_file(F->h, tk_key(fixtures[i], 0), &got) != CK_OK ||
		    got.n != 1 || strcmp(got.fpr[0], F->fpr[i]) != 0)
			return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pgp_home_close(F->h);
	tk_rmrf(F->base);
	free(F->base);
	secmem_free(F->pass);
	free(F);
	return 0;
}

/* gpg's own encryption of s to the given fingerprints; binary or armored. */
static unsigned char *
gpg_encrypt(const char *s, const char *fpr1, const char *fpr2, int armor,
    size_t *len)
{
	char cmd[PGP_PLAINTEXT_MAX + 2048], out[512];
	unsigned char *msg;

	snprintf(out, sizeof(out), "%s/msg.gpg", F->base);
	snprintf(cmd, sizeof(cmd), "printf %%s '%s' | gpg --homedir %s --batch "
	    "--quiet --yes --trust-model always %s -e -r %s %s%s -o %s", s,
	    pgp_home_dir(F->h), armor ? "--armor" : "", fpr1,
	    fpr2 != NULL ? "-r " : "", fpr2 != NULL ? fpr2 : "", out);
	assert_int_equal(tk_run(cmd, NULL, 0, NULL), 0);
	msg = tk_slurp(out, len);
	unlink(out);
	return msg;
}

static void
home_is_private_and_removed(void **state)
{
	struct pgp_home *h = NULL;
	char dir[PATH_MAX], conf[PATH_MAX + 32], buf[PATH_MAX + 64];
	struct stat st;
	size_t len;
	unsigned char *c;

	(void)state;
	assert_int_equal(pgp_home_open(F->base, &h), CK_OK);
	snprintf(dir, sizeof(dir), "%s", pgp_home_dir(h));
	assert_int_equal(strncmp(dir, F->base, strlen(F->base)), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(conf, sizeof(conf), "%s/gpg-agent.conf", dir);
	c = tk_slurp(conf, &len);
	assert_non_null(memmem(c, len, "allow-loopback-pinentry\n", 24));
	/* No passphrase stays in the agent after the operation that needs it. */
	assert_non_null(memmem(c, len, "\ndefault-cache-ttl 0\n", 21));
	assert_non_null(memmem(c, len, "\nmax-cache-ttl 0\n", 17));
	/* The imported key's throwaway copy is not re-protected for seconds. */
	assert_non_null(memmem(c, len, "\ns2k-count 65536\n", 17));
	free(c);
	/* Start the agent, then close: the directory and the agent go. */
	snprintf(buf, sizeof(buf), "gpg-connect-agent --homedir %s /bye", dir);
	assert_int_equal(tk_run(buf, NULL, 0, NULL), 0);
	/* Its socket is in a directory only we may enter: the home itself, or
	 * gpg's per-home directory under the user's runtime folder. */
	snprintf(buf, sizeof(buf), "dirname \"$(gpgconf --homedir %s "
	    "--list-dirs agent-socket)\"", dir);
	assert_int_equal(tk_run(buf, conf, sizeof(conf), &len), 0);
	assert_true(len > 1);
	conf[len - 1] = '\0';			/* the newline */
	assert_int_equal(stat(conf, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	assert_int_equal(st.st_uid, geteuid());
	snprintf(buf, sizeof(buf), "pgrep -f 'gpg-agen[t] --homedir %s' >/dev/null",
	    dir);
	assert_int_equal(tk_run(buf, NULL, 0, NULL), 0);
	pgp_home_close(h);
	assert_int_not_equal(stat(dir, &st), 0);
	assert_int_not_equal(tk_run(buf, NULL, 0, NULL), 0);
	assert_int_equal(pgp_home_open("/nonexistent/dir", &h), CK_ERR_IO);
	assert_null(h);
}

static void
import_refuses_bad_files_and_secret_keys(void **state)
{
	struct pgp_home *h = NULL;
	struct pgp_fprs got;
	char path[PATH_MAX], cmd[PATH_MAX + 128], out[4096];
	unsigned char *big;

	(void)state;
	assert_int_equal(pgp_home_open(F->base, &h), CK_OK);
	snprintf(path, sizeof(path), "%s/link.asc", F->base);
	assert_int_equal(symlink("../holder1.asc", path), 0);
	assert_int_equal(pgp_import_file(h, path, &got), CK_ERR_SYMLINK);
	unlink(path);
	assert_int_equal(pgp_import_file(h, F->base, &got), CK_ERR_NOT_REGULAR);
	assert_int_equal(pgp_import_file(h, "tests/vectors/keys/none.asc",
	    &got), CK_ERR_NOT_FOUND);
	big = calloc(1, PGP_KEYFILE_MAX + 1);
	snprintf(path, sizeof(path), "%s/big.asc", F->base);
	tk_spit(path, big, PGP_KEYFILE_MAX + 1);
	assert_int_equal(pgp_import_file(h, path, &got), CK_ERR_TOO_LARGE);
	unlink(path);
	free(big);
	assert_int_equal(pgp_import(h, "garbage", 7, &got), CK_ERR_FORMAT);
	assert_int_equal(got.n, 0);
	/* A secret key handed in as a public one is refused and removed. */
	assert_int_equal(pgp_import_file(h, tk_key("holder3", 1), &got),
	    CK_ERR_FORMAT);
	snprintf(cmd, sizeof(cmd), "gpg --homedir %s --batch --with-colons "
	    "--list-secret-keys 2>/dev/null", pgp_home_dir(h));
	tk_run(cmd, out, sizeof(out), NULL);
	assert_null(strstr(out, "sec:"));
	/* The secret import path does accept it. */
	assert_int_equal(pgp_import_secret_file(h, tk_key("holder3", 1), &got),
	    CK_OK);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.fpr[0], fpr("holder3"));
	assert_int_equal(pgp_import_secret_file(h, tk_key("holder4", 0), &got),
	    CK_ERR_FORMAT);
	pgp_home_close(h);
}

static void
bad_keys_give_their_specific_error(void **state)
{
	static const struct {
		const char *name;
		int err;
	} bad[] = {
		{ "signonly", CK_ERR_KEY_NO_ENCRYPT },
		{ "expiredsub", CK_ERR_KEY_EXPIRED },
		{ "expired", CK_ERR_KEY_EXPIRED },
		{ "revoked", CK_ERR_KEY_REVOKED },
		{ "revokedsub", CK_ERR_KEY_REVOKED },
	};
	struct pgp_keyinfo ki;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pgp_key_validate(F->h, fpr(bad[i].name), &ki),
		    bad[i].err);
		assert_string_equal(ki.fpr, "");
	}
	assert_int_equal(pgp_key_validate(F->h,
	    "0000000000000000000000000000000000000000", &ki), CK_ERR_NOT_FOUND);
	assert_int_equal(pgp_key_validate(F->h, "xyz", &ki), CK_ERR_ENCODING);
}

/* gpg --with-colons: the newest valid subkey with 'e' capability. */
static void
colons_enc_keyid(const char *fp, char out[PGP_KEYID_LEN + 1])
{
	char cmd[512], buf[16384], *line, *save = NULL;
	long best = -1;
	size_t i;

	snprintf(cmd, sizeof(cmd), "gpg --homedir %s --batch --with-colons "
	    "--fixed-list-mode --list-keys %s 2>/dev/null", pgp_home_dir(F->h),
	    fp);
	assert_int_equal(tk_run(cmd, buf, sizeof(buf), NULL), 0);
	out[0] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *f[13] = { 0 }, *p = line;
		int n = 0;

		while (n < 13 && (f[n++] = strsep(&p, ":")) != NULL)
			;
		if (n < 12 || strcmp(f[0], "sub") != 0 ||
		    strchr("erid", f[1][0]) != NULL || f[1][0] == '\0' ||
		    strchr(f[11], 'e') == NULL || atol(f[5]) < best)
			continue;
		best = atol(f[5]);
		for (i = 0; i < PGP_KEYID_LEN; i++)
			out[i] = (char)(f[4][i] >= 'A' && f[4][i] <= 'F' ?
			    f[4][i] - 'A' + 'a' : f[4][i]);
		out[PGP_KEYID_LEN] = '\0';
	}
}

static void
good_keys_choose_the_subkey_gpg_and_openbao_use(void **state)
{
	static const char *const good[] = {
		"holder1", "holder2", "holder3", "holder4", "holder5",
		"holder6", "holder7", "operator", "witness", "multisub",
		"certonly", "dsaelg",
	};
	struct pgppkt_recipients rc;
	struct pgp_keyinfo ki;
	char want[PGP_KEYID_LEN + 1];
	unsigned char *msg;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(pgp_key_validate(F->h, fpr(good[i]), &ki),
		    CK_OK);
		assert_string_equal(ki.fpr, fpr(good[i]));
		colons_enc_keyid(fpr(good[i]), want);
		assert_string_equal(ki.enc_keyid, want);
		assert_string_equal(ki.enc_keyid, ki.enc_fpr + 24);
		/* gpg's own encryption names the same subkey. */
		msg = gpg_encrypt(share, fpr(good[i]), NULL, 0, &len);
		assert_int_equal(pgppkt_recipients(msg, len, &rc), CK_OK);
		assert_int_equal(rc.n, 1);
		assert_string_equal(rc.keyid[0], ki.enc_keyid);
		free(msg);
	}
	/* Not the oldest (2021) nor the newest, expired (2023) subkey. */
	assert_int_equal(pgp_key_validate(F->h, fpr("multisub"), &ki), CK_OK);
	assert_int_equal(ki.enc_created, 1640995200);	/* 2022-01-01 */
	assert_int_equal(ki.enc_bound, 1640995200);
	assert_int_equal(pgp_key_validate(F->h, fpr("holder2"), &ki), CK_OK);
	assert_string_equal(ki.enc_algo, "rsa4096");
	assert_string_equal(ki.uid, "Holder Two <holder2@conclave.test>");
}

/*
 * rebound: the 2021 subkey's binding was re-issued in 2023, after the 2022
 * subkey was added. go-crypto (OpenBao) ranks by binding time and picks the
 * 2021 subkey (tests/integration/pgp_init.sh checks that against a real
 * server); gpg ranks by creation and picks the 2022 one.
 */
static void
ranking_is_by_binding_signature_time(void **state)
{
	struct pgppkt_recipients rc;
	struct pgppkt_subkeys sk;
	struct pgp_keyinfo ki;
	uint8_t *bin;
	unsigned char *msg;
	size_t len, cut;

	(void)state;
	assert_int_equal(pgp_key_validate(F->h, fpr("rebound"), &ki), CK_OK);
	assert_int_equal(ki.enc_created, 1609459200);	/* 2021-01-01 */
	assert_int_equal(ki.enc_bound, 1672531200);	/* 2023-01-01 */
	msg = gpg_encrypt(share, fpr("rebound"), NULL, 0, &len);
	assert_int_equal(pgppkt_recipients(msg, len, &rc), CK_OK);
	assert_string_not_equal(rc.keyid[0], ki.enc_keyid);
	free(msg);

	assert_int_equal(pgp_export(F->h, fpr("rebound"), &bin, &len), CK_OK);
	assert_int_equal(pgppkt_subkeys(bin, len, &sk), CK_OK);
	assert_int_equal(sk.n, 2);
	assert_int_equal(sk.k[0].created, 1609459200);
	assert_int_equal(sk.k[0].bound, 1672531200);
	assert_int_equal(sk.k[1].created, 1640995200);
	assert_int_equal(sk.k[1].bound, 1640995200);
	assert_int_equal(sk.k[1].algo, 18);	/* ECDH */
	/* Cut inside a packet: truncated; at a boundary: a shorter key. */
	for (cut = 0; cut < len; cut++)
		if (pgppkt_subkeys(bin, cut, &sk) == CK_OK)
			assert_true(sk.n <= 2 && cut > 0);
	assert_int_equal(pgppkt_subkeys(bin, len - 1, &sk), CK_ERR_TRUNCATED);
	assert_int_equal(pgppkt_subkeys(bin, 0, &sk), CK_ERR_TRUNCATED);
	bin = realloc(bin, 2 * len);
	memcpy(bin + len, bin, len);
	assert_int_equal(pgppkt_subkeys(bin, 2 * len, &sk), CK_ERR_TRAILING);
	assert_int_equal(sk.n, 0);
	assert_int_equal(pgppkt_subkeys(bin + 1, len - 1, &sk), CK_ERR_FORMAT);
	free(bin);
}

/*
 * twinsub: two encryption subkeys bound in the same second. go-crypto
 * keeps the first (it replaces a candidate only when a binding is strictly
 * newer); OpenBao 2.6.2 encrypted to it (tests/integration/key_matrix.sh).
 * mixedsub: the newer subkeys are revoked and expired; rsaprimary has no
 * subkey and its primary may encrypt.
 */
static void
ties_go_to_the_first_subkey_and_dead_ones_are_skipped(void **state)
{
	struct pgppkt_subkeys sk;
	struct pgp_keyinfo ki;
	uint8_t *bin;
	size_t len;

	(void)state;
	assert_int_equal(pgp_export(F->h, fpr("twinsub"), &bin, &len), CK_OK);
	assert_int_equal(pgppkt_subkeys(bin, len, &sk), CK_OK);
	free(bin);
	assert_int_equal(sk.n, 2);
	assert_int_equal(sk.k[0].bound, sk.k[1].bound);
	assert_int_equal(pgp_key_validate(F->h, fpr("twinsub"), &ki), CK_OK);
	assert_string_equal(ki.enc_keyid, "4fc9ce081d322bd4");	/* the first */

	assert_int_equal(pgp_key_validate(F->h, fpr("mixedsub"), &ki), CK_OK);
	assert_string_equal(ki.enc_keyid, "4c290fabb21c2f3d");	/* 2021 */
	assert_int_equal(ki.enc_created, 1609459200);

	assert_int_equal(pgp_key_validate(F->h, fpr("rsaprimary"), &ki), CK_OK);
	assert_string_equal(ki.enc_fpr, ki.fpr);
	assert_int_equal(ki.enc_bound, 0);
}

static void
warnings_flag_ecdh_and_dsa_elgamal(void **state)
{
	struct pgp_keyinfo ki;
	char w[PGP_WARNING_MAX];

	(void)state;
	assert_int_equal(pgp_key_validate(F->h, fpr("holder1"), &ki), CK_OK);
	assert_int_equal(ki.warnings, 0);
	assert_int_equal(pgp_key_validate(F->h, fpr("holder3"), &ki), CK_OK);
	assert_int_equal(ki.warnings, PGP_WARN_ECDH);	/* GnuPG 2.2.40 here */
	assert_string_equal(ki.primary_algo, "ed25519");
	assert_string_equal(ki.enc_algo, "cv25519");
	assert_int_equal(pgp_key_validate(F->h, fpr("dsaelg"), &ki), CK_OK);
	assert_int_equal(ki.warnings, PGP_WARN_DSA_ELGAMAL);
	assert_null(pgp_warning_text(0x8000, "cv25519", w));
}

/* The ECDH warning names the key's own curve (it said Curve25519 for all). */
static void
ecdh_warning_names_the_curve(void **state)
{
	static const char *const keys[][3] = {
		{ "holder3", "cv25519", "(Curve25519)" },
		{ "nistp384", "nistp384", "(NIST P-384)" },
		{ "brainpoolp512", "brainpoolP512r1", "(brainpoolP512r1)" },
		{ "secp256k1", "secp256k1", "(secp256k1)" },
	};
	struct pgp_keyinfo ki;
	char w[PGP_WARNING_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		assert_int_equal(pgp_key_validate(F->h, fpr(keys[i][0]), &ki),
		    CK_OK);
		assert_int_equal(ki.warnings, PGP_WARN_ECDH);
		assert_string_equal(ki.enc_algo, keys[i][1]);
		assert_non_null(pgp_warning_text(PGP_WARN_ECDH, ki.enc_algo, w));
		assert_non_null(strstr(w, keys[i][2]));
		if (i > 0)
			assert_null(strstr(w, "Curve25519"));
	}
	assert_non_null(pgp_warning_text(PGP_WARN_DSA_ELGAMAL, "elg2048", w));
	assert_non_null(strstr(w, "DSA/ElGamal"));
}

static void
export_is_gpg_export_and_round_trips(void **state)
{
	static const struct {
		const char *name, *prefix;
	} kinds[] = { { "holder1", "mQGN" }, { "holder3", "mDME" },
	    { "holder2", "mQINBG" } };
	struct pgp_home *h2 = NULL;
	struct pgp_keyinfo a, b;
	struct pgp_fprs got;
	char cmd[512], *b64 = NULL, ref[65536];
	uint8_t *bin = NULL, *dec;
	size_t i, len, reflen, declen;

	(void)state;
	assert_int_equal(pgp_home_open(F->base, &h2), CK_OK);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *fp = fpr(kinds[i].name);

		assert_int_equal(pgp_export(F->h, fp, &bin, &len), CK_OK);
		snprintf(cmd, sizeof(cmd), "gpg --homedir %s --batch --export "
		    "%s", pgp_home_dir(F->h), fp);
		assert_int_equal(tk_run(cmd, ref, sizeof(ref), &reflen), 0);
		assert_int_equal(len, reflen);
		assert_memory_equal(bin, ref, len);
		assert_int_equal(pgp_export_base64(F->h, fp, &b64), CK_OK);
		assert_int_equal(strncmp(b64, kinds[i].prefix,
		    strlen(kinds[i].prefix)), 0);
		dec = malloc(len);
		assert_int_equal(codec_b64_decode(CODEC_B64_PADDED, b64,
		    strlen(b64), dec, len, &declen), CK_OK);
		assert_int_equal(declen, len);
		assert_memory_equal(dec, bin, len);
		/* What the server receives imports to the same key. */
		assert_int_equal(pgp_import(h2, dec, declen, &got), CK_OK);
		assert_int_equal(got.n, 1);
		assert_string_equal(got.fpr[0], fp);
		assert_int_equal(pgp_key_validate(F->h, fp, &a), CK_OK);
		assert_int_equal(pgp_key_validate(h2, fp, &b), CK_OK);
		assert_string_equal(a.enc_keyid, b.enc_keyid);
		free(dec);
		free(bin);
		free(b64);
	}
	assert_int_equal(pgp_export(F->h,
	    "0000000000000000000000000000000000000000", &bin, &len),
	    CK_ERR_NOT_FOUND);
	assert_null(bin);
	pgp_home_close(h2);
}

/* Rewrite gpg's old-format PKESK header as go-crypto's new format. */
static unsigned char *
to_new_format(const unsigned char *m, size_t len, size_t *outlen)
{
	unsigned char *o = malloc(len + 8);
	size_t hdr, body, n = 0;

	assert_int_equal(m[0] & 0xc0, 0x80);	/* old format */
	assert_int_equal((m[0] >> 2) & 0x0f, 1);	/* PKESK */
	switch (m[0] & 3) {
	case 0: hdr = 2; body = m[1]; break;
	case 1: hdr = 3; body = (size_t)m[1] << 8 | m[2]; break;
	default: fail(); return NULL;
	}
	o[n++] = 0xc1;
	if (body < 192) {
		o[n++] = (unsigned char)body;
	} else {
		o[n++] = (unsigned char)(((body - 192) >> 8) + 192);
		o[n++] = (unsigned char)((body - 192) & 0xff);
	}
	memcpy(o + n, m + hdr, len - hdr);
	*outlen = n + len - hdr;
	return o;
}

static void
recipients_are_read_without_a_key(void **state)
{
	struct pgppkt_recipients rc;
	struct pgp_keyinfo k1, k3;
	unsigned char *msg, *nf, *more;
	size_t len, nlen = 0, cut;
	char cmd[1200], out[512];

	(void)state;
	assert_int_equal(pgp_key_validate(F->h, fpr("holder1"), &k1), CK_OK);
	assert_int_equal(pgp_key_validate(F->h, fpr("holder3"), &k3), CK_OK);
	msg = gpg_encrypt(share, fpr("holder1"), fpr("holder3"), 0, &len);
	assert_int_equal(pgppkt_recipients(msg, len, &rc), CK_OK);
	assert_int_equal(rc.n, 2);
	assert_true((strcmp(rc.keyid[0], k1.enc_keyid) == 0 &&
	    strcmp(rc.keyid[1], k3.enc_keyid) == 0) ||
	    (strcmp(rc.keyid[1], k1.enc_keyid) == 0 &&
	    strcmp(rc.keyid[0], k3.enc_keyid) == 0));
	assert_true(rc.algo[0] == 1 || rc.algo[0] == 18);
	for (cut = 0; cut < len; cut++)
		assert_int_not_equal(pgppkt_recipients(msg, cut, &rc), CK_OK);
	more = malloc(len + 1);
	memcpy(more, msg, len);
	more[len] = 0xc1;
	assert_int_equal(pgppkt_recipients(more, len + 1, &rc), CK_ERR_TRAILING);
	assert_int_equal(rc.n, 0);
	free(more);
	free(msg);

	/* New-format headers, as OpenBao writes them, parse the same. */
	msg = gpg_encrypt(share, fpr("holder1"), NULL, 0, &len);
	nf = to_new_format(msg, len, &nlen);
	assert_int_equal(pgppkt_recipients(nf, nlen, &rc), CK_OK);
	assert_int_equal(rc.n, 1);
	assert_string_equal(rc.keyid[0], k1.enc_keyid);
	free(nf);
	msg[3] = 6;	/* PKESK version 6 */
	assert_int_not_equal(pgppkt_recipients(msg, len, &rc), CK_OK);
	free(msg);

	/* Armor, a passphrase-only message: refused. */
	msg = gpg_encrypt(share, fpr("holder1"), NULL, 1, &len);
	assert_int_equal(pgppkt_recipients(msg, len, &rc), CK_ERR_FORMAT);
	free(msg);
	snprintf(out, sizeof(out), "%s/sym.gpg", F->base);
	snprintf(cmd, sizeof(cmd), "printf x | gpg --homedir %s --batch "
	    "--quiet --yes --pinentry-mode loopback --passphrase p -c -o %s",
	    pgp_home_dir(F->h), out);
	assert_int_equal(tk_run(cmd, NULL, 0, NULL), 0);
	msg = tk_slurp(out, &len);
	assert_int_equal(pgppkt_recipients(msg, len, &rc), CK_ERR_UNSUPPORTED);
	free(msg);
	unlink(out);
}

static void
decrypt_with_a_holders_key_file(void **state)
{
	static const char *const holders[] = { "holder1", "holder3" };
	struct secbuf pt = { 0 };
	struct pgp_card card;
	unsigned char *msg;
	char *bad, *big;
	size_t i, len;

	(void)state;
	for (i = 0; i < 2; i++) {
		msg = gpg_encrypt(share, fpr(holders[i]), NULL, i, &len);
		assert_int_equal(pgp_decrypt_keyfile(F->h,
		    tk_key(holders[i], 1), F->pass, msg, len, &pt), CK_OK);
		assert_int_equal(pt.len, strlen(share));
		assert_memory_equal(pt.p, share, pt.len);
		secbuf_free(&pt);
		free(msg);
	}
	msg = gpg_encrypt(share, fpr("holder1"), NULL, 0, &len);
	bad = secmem_alloc(32);
	strcpy(bad, "not the passphrase");
	assert_int_equal(pgp_decrypt_keyfile(F->h, tk_key("holder1", 1), bad,
	    msg, len, &pt), CK_ERR_BAD_PASSPHRASE);
	assert_null(pt.p);
	assert_int_equal(pt.len, 0);
	secmem_free(bad);
	assert_int_equal(pgp_decrypt_keyfile(F->h, tk_key("holder2", 1),
	    F->pass, msg, len, &pt), CK_ERR_WRONG_KEY);
	assert_null(pt.p);
	/* No card in this machine: learning one fails, nothing decrypts. */
	assert_int_equal(pgp_card_learn(F->h, &card), CK_ERR_NOT_FOUND);
	assert_int_equal(card.pin_tries, -1);
	assert_string_equal(card.enc_fpr, "");
	assert_false(pgp_card_holds(&card, ""));
	assert_false(pgp_card_holds(&card, "3c4b57f9a8fa88b2"));
	strcpy(card.enc_fpr, "4cc6520ab684c463409b5caa3c4b57f9a8fa88b2");
	assert_true(pgp_card_holds(&card, "3c4b57f9a8fa88b2"));
	assert_false(pgp_card_holds(&card, "d480a4c39b6657e2"));
	/* The roster's home never held a secret key. */
	assert_int_equal(pgp_decrypt(F->h, msg, len, F->pass, &pt),
	    CK_ERR_WRONG_KEY);
	msg[len - 5] ^= 1;
	assert_int_equal(pgp_decrypt_keyfile(F->h, tk_key("holder1", 1),
	    F->pass, msg, len, &pt), CK_ERR_DECRYPT);
	assert_null(pt.p);
	free(msg);
	/* More plaintext than a share or token can be: refused, wiped. */
	big = malloc(PGP_PLAINTEXT_MAX + 2);
	memset(big, 'a', PGP_PLAINTEXT_MAX + 1);
	big[PGP_PLAINTEXT_MAX + 1] = '\0';
	msg = gpg_encrypt(big, fpr("holder3"), NULL, 0, &len);
	free(big);
	assert_int_equal(pgp_decrypt_keyfile(F->h, tk_key("holder3", 1),
	    F->pass, msg, len, &pt), CK_ERR_TOO_LARGE);
	assert_null(pt.p);
	free(msg);
}

static void
detached_signatures(void **state)
{
	static const char data[] = "transcript head 1234\n";
	struct pgp_home *w = NULL;
	struct pgp_fprs got;
	uint8_t *sig = NULL;
	size_t siglen;
	char path[PATH_MAX], dpath[PATH_MAX], cmd[3 * PATH_MAX], *bad;

	(void)state;
	assert_int_equal(pgp_key_can_sign(F->h, fpr("witness")), CK_OK);
	assert_int_equal(pgp_key_can_sign(F->h, fpr("certonly")),
	    CK_ERR_KEY_CANNOT_SIGN);
	assert_int_equal(pgp_key_can_sign(F->h, fpr("revoked")),
	    CK_ERR_KEY_REVOKED);
	assert_int_equal(pgp_home_open(F->base, &w), CK_OK);
	assert_int_equal(pgp_import_secret_file(w, tk_key("witness", 1), &got),
	    CK_OK);
	bad = secmem_alloc(8);
	strcpy(bad, "wrong");
	assert_int_equal(pgp_sign_detached(w, fpr("witness"), bad, data,
	    strlen(data), 1, &sig, &siglen), CK_ERR_BAD_PASSPHRASE);
	assert_null(sig);
	secmem_free(bad);
	assert_int_equal(pgp_sign_detached(w, fpr("holder1"), F->pass, data,
	    strlen(data), 1, &sig, &siglen), CK_ERR_NOT_FOUND);
	assert_int_equal(pgp_sign_detached(w, fpr("witness"), F->pass, data,
	    strlen(data), 1, &sig, &siglen), CK_OK);
	assert_int_equal(memcmp(sig, "-----BEGIN PGP SIGNATURE-----", 29), 0);
	pgp_home_close(w);

	assert_int_equal(pgp_verify_detached(F->h, fpr("witness"), data,
	    strlen(data), sig, siglen), CK_OK);
	assert_int_equal(pgp_verify_detached(F->h, fpr("holder1"), data,
	    strlen(data), sig, siglen), CK_ERR_WRONG_KEY);
	assert_int_equal(pgp_verify_detached(F->h, fpr("witness"), "Transcript",
	    10, sig, siglen), CK_ERR_BAD_SIGNATURE);
	assert_int_equal(pgp_verify_detached(F->h, fpr("witness"), data,
	    strlen(data), "junk", 4), CK_ERR_BAD_SIGNATURE);
	/* Stock gpg agrees. */
	snprintf(path, sizeof(path), "%s/t.sig", F->base);
	snprintf(dpath, sizeof(dpath), "%s/t.txt", F->base);
	tk_spit(path, sig, siglen);
	tk_spit(dpath, data, strlen(data));
	snprintf(cmd, sizeof(cmd), "gpg --homedir %s --batch --quiet --verify "
	    "%s %s 2>/dev/null", pgp_home_dir(F->h), path, dpath);
	assert_int_equal(tk_run(cmd, NULL, 0, NULL), 0);
	unlink(path);
	unlink(dpath);
	free(sig);
}

static void
fingerprints_for_people(void **state)
{
	char out[PGP_FPR_GROUPED_LEN + 1], n[PGP_FPR_LEN + 1];

	(void)state;
	assert_int_equal(pgp_fpr_grouped(
	    "0123456789abcdefABCDEF0123456789abcdef01", out, sizeof(out)), CK_OK);
	assert_string_equal(out,
	    "0123 4567 89AB CDEF ABCD EF01 2345 6789 ABCD EF01");
	assert_int_equal(pgp_fpr_grouped("0123", out, sizeof(out)),
	    CK_ERR_ENCODING);
	assert_int_equal(pgp_fpr_grouped(fpr("holder1"), out, 10),
	    CK_ERR_INVALID_ARG);
	assert_int_equal(pgp_fpr_normalize(
	    "0123456789ABCDEF0123456789ABCDEF01234567", n), CK_OK);
	assert_string_equal(n, "0123456789abcdef0123456789abcdef01234567");
	assert_int_equal(pgp_fpr_normalize(
	    "0123456789ABCDEF0123456789ABCDEF012345678", n), CK_ERR_ENCODING);
	assert_int_equal(pgp_fpr_normalize(
	    "0123456789ABCDEF0123456789ABCDEF0123456g", n), CK_ERR_ENCODING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(home_is_private_and_removed),
		cmocka_unit_test(import_refuses_bad_files_and_secret_keys),
		cmocka_unit_test(bad_keys_give_their_specific_error),
		cmocka_unit_test(good_keys_choose_the_subkey_gpg_and_openbao_use),
		cmocka_unit_test(ranking_is_by_binding_signature_time),
		cmocka_unit_test(ties_go_to_the_first_subkey_and_dead_ones_are_skipped),
		cmocka_unit_test(warnings_flag_ecdh_and_dsa_elgamal),
		cmocka_unit_test(ecdh_warning_names_the_curve),
		cmocka_unit_test(export_is_gpg_export_and_round_trips),
		cmocka_unit_test(recipients_are_read_without_a_key),
		cmocka_unit_test(decrypt_with_a_holders_key_file),
		cmocka_unit_test(detached_signatures),
		cmocka_unit_test(fingerprints_for_people),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
