/*
 * What every appliance command shares (see cmd.h).
 */
#include "appliance/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/errors.h"
#include "crypto/words.h"
#include "protocol/minisig.h"

const char *
cmd_gnupg_base(const char *opt)
{
	const char *t = getenv("TMPDIR");

	if (opt != NULL)
		return opt;
	return t != NULL && t[0] != '\0' ? t : "/tmp";
}

int
cmd_refuse(const char *cmd, const char *step, int err, const char *why)
{
	fprintf(stderr, "conclave %s %s: %s (%s)\n", cmd, step, ck_strerror(err),
	    ck_errname(err));
	if (why != NULL && why[0] != '\0')
		fprintf(stderr, "  %s\n", why);
	return 1;
}

int
cmd_roster_add(struct roster *ro, struct pgp_home *h, const char *step,
    const char *spec, enum roster_role role)
{
	char name[ROSTER_NAME_MAX + 1];
	const char *eq;
	int r;

	if ((eq = strchr(spec, '=')) == NULL || eq == spec ||
	    (size_t)(eq - spec) > ROSTER_NAME_MAX) {
		fprintf(stderr, "conclave %s: expected NAME=KEYFILE, got '%s'\n",
		    step, spec);
		return CK_ERR_INVALID_ARG;
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	if ((r = roster_add_keyfile(ro, h, name, role, eq + 1)) != CK_OK)
		fprintf(stderr, "conclave %s: key of %s (%s): %s (%s)\n", step,
		    name, eq + 1, ck_strerror(r), ck_errname(r));
	return r;
}

void
cmd_print_ceremony_key(const struct session *s)
{
	struct minisig_pubkey pk;
	char id[17], words[WORDS_TEXT_MAX(MINISIG_KEYID_BYTES)];

	minisig_pubkey_from_sk(&pk, s->sk);
	minisig_keyid_hex(&pk, id);
	if (minisig_keyid_words(&pk, words, sizeof(words)) != CK_OK)
		words[0] = '\0';
	printf("Ceremony %s\nCeremony key %s\n  %s\n", s->id_hex, id, words);
}

int
cmd_load_prev(const char *step, const char *path,
    uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	struct transcript_report rep;
	int r;

	if ((r = transcript_verify(path, NULL, &rep)) != CK_OK) {
		fprintf(stderr, "conclave %s: previous transcript %s does "
		    "not verify: %s (%s)\n", step, path, ck_strerror(r), rep.reason);
		return r;
	}
	memcpy(head, rep.head, TRANSCRIPT_HASH_BYTES);
	return CK_OK;
}
