/*
 * Test-only plumbing (never installed) so shell tests can hold crypto/pgp
 * and ceremony/roster against a real OpenBao server.
 *
 *   pgp_tool roster KEYFILE...   one line per key, as a holder in order:
 *                                "INDEX FINGERPRINT ENC_KEYID BASE64"
 *   pgp_tool recipients FILE     PKESK key ids of a binary message, one a line
 *   pgp_tool decrypt KEYFILE FILE   plaintext of FILE (binary or armored) to
 *                                stdout; the passphrase is read from stdin
 * Errors print the CK_ERR_* name on stderr and exit 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/roster.h"
#include "crypto/errors.h"
#include "crypto/pgp.h"
#include "crypto/secmem.h"

static int
die(int e)
{
	fprintf(stderr, "%s\n", ck_errname(e));
	return 1;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = malloc(PGP_MSG_MAX + 1);

	*len = 0;
	if (f == NULL || b == NULL)
		exit(die(CK_ERR_IO));
	*len = fread(b, 1, PGP_MSG_MAX + 1, f);
	fclose(f);
	return b;
}

static int
cmd_roster(struct pgp_home *h, int argc, char **argv)
{
	struct roster *r = NULL;
	char name[32];
	unsigned k;
	int i, e;

	if ((e = roster_new(&r)) != CK_OK)
		return die(e);
	for (i = 0; i < argc; i++) {
		snprintf(name, sizeof(name), "Holder %d", i + 1);
		if ((e = roster_add_keyfile(r, h, name, ROSTER_HOLDER,
		    argv[i])) != CK_OK)
			return die(e);
	}
	for (k = 1; k <= r->n_holders; k++) {
		const struct roster_member *m = roster_holder(r, k);

		printf("%u %s %s %s\n", k, m->fpr, m->enc_keyid, m->key_b64);
	}
	roster_free(r);
	return 0;
}

static int
cmd_recipients(const char *path)
{
	struct pgppkt_recipients rc;
	unsigned char *msg;
	size_t len, i;
	int e;

	msg = slurp(path, &len);
	e = pgppkt_recipients(msg, len, &rc);
	free(msg);
	if (e != CK_OK)
		return die(e);
	for (i = 0; i < rc.n; i++)
		printf("%s\n", rc.keyid[i]);
	return 0;
}

static int
cmd_decrypt(struct pgp_home *h, const char *keyfile, const char *path)
{
	struct secbuf pt = { 0 };
	unsigned char *msg;
	char *pass = secmem_alloc(256);
	size_t len;
	int e;

	if (pass == NULL || fgets(pass, 256, stdin) == NULL)
		return die(CK_ERR_IO);
	pass[strcspn(pass, "\r\n")] = '\0';
	msg = slurp(path, &len);
	e = pgp_decrypt_keyfile(h, keyfile, pass, msg, len, &pt);
	secmem_free(pass);
	free(msg);
	if (e != CK_OK)
		return die(e);
	fwrite(pt.p, 1, pt.len, stdout);
	secbuf_free(&pt);
	return 0;
}

int
main(int argc, char **argv)
{
	struct pgp_home *h = NULL;
	const char *tmp = getenv("TMPDIR");
	int e, rc = 2;

	if (secmem_init() != CK_OK || argc < 3)
		return 2;
	if ((e = pgp_home_open(tmp != NULL && *tmp ? tmp : "/tmp", &h)) != CK_OK)
		return die(e);
	if (strcmp(argv[1], "roster") == 0)
		rc = cmd_roster(h, argc - 2, argv + 2);
	else if (strcmp(argv[1], "recipients") == 0 && argc == 3)
		rc = cmd_recipients(argv[2]);
	else if (strcmp(argv[1], "decrypt") == 0 && argc == 4)
		rc = cmd_decrypt(h, argv[2], argv[3]);
	pgp_home_close(h);
	return rc;
}
