/*
 * conclave verify: the command-line face of transcript_verify(). It only
 * parses arguments and reports; all checking is in ceremony/transcript.c.
 */
#include "appliance/cmd_verify.h"

#include <inttypes.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ceremony/audit.h"
#include "ceremony/transcript.h"
#include "crypto/errors.h"
#include "crypto/words.h"
#include "media/file.h"
#include "protocol/minisig.h"

static int
usage(FILE *f)
{
	fprintf(f,
	    "usage: conclave verify FILE [--pubkey FILE.pub]\n"
	    "\n"
	    "Check a ceremony transcript: every record well-formed, sequence\n"
	    "numbers consecutive, each record naming the hash of the one before,\n"
	    "a close record at the end, and FILE.minisig a valid minisign\n"
	    "signature of the whole file.\n"
	    "\n"
	    "  --pubkey FILE.pub  the ceremony key (minisign public key file) the\n"
	    "                     transcript must be signed with. Without it the\n"
	    "                     key named in the transcript is used: compare the\n"
	    "                     key id printed with the one on the paper record.\n"
	    "\n"
	    "On success it prints one OK line (records, signing key id, head hash)\n"
	    "and the head hash as PGP words, as witnesses read it aloud.\n"
	    "\n"
	    "Exit status: 0 valid, 1 invalid (the first bad record is named),\n"
	    "2 usage error.\n");
	return f == stdout ? 0 : 2;
}

static void
report_failure(const char *path, const struct transcript_report *rep, int e)
{
	fprintf(stderr, "conclave verify: %s: ", path);
	if (rep->bad_line > 0) {
		fprintf(stderr, "line %" PRIu64, rep->bad_line);
		if (rep->has_bad_seq)
			fprintf(stderr, " (seq %" PRIu64 ")", rep->bad_seq);
		fprintf(stderr, ": ");
	}
	fprintf(stderr, "%s [%s]\n", rep->reason[0] != '\0' ? rep->reason :
	    ck_strerror(e), ck_errname(e));
}

/*
 * The ceremony's own rules (ceremony/audit.h) over the verified file. On
 * success ar holds what to report; nothing is printed on stdout here, so
 * OK appears only when every check held.
 */
static int
audit(const char *path, struct audit_report *ar)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int e;

	if ((e = file_read(AT_FDCWD, path, TRANSCRIPT_MAX_BYTES, &buf, &len)) ==
	    CK_OK)
		e = audit_transcript(buf, len, ar);
	free(buf);
	if (e != CK_OK) {
		fprintf(stderr, "conclave verify: %s: the ceremony is not complete: "
		    "%s [%s]\n", path, e == CK_ERR_INCOMPLETE || e == CK_ERR_FORMAT ?
		    ar->problem : ck_strerror(e), ck_errname(e));
		return 1;
	}
	return 0;
}

static void
print_audit(const struct audit_report *ar)
{
	if (!ar->rules)
		printf("ceremony: %s (chain and signature only: no rules for "
		    "this kind)\n", ar->kind[0] != '\0' ? ar->kind : "none named");
	else
		printf("ceremony: %s, %u of %u shares handed out with a decrypt "
		    "proof, threshold %u, initial root token revoked, %u "
		    "refusal(s) on record\n", ar->kind, ar->proven, ar->n, ar->t,
		    ar->refused);
}

int
cmd_verify_main(int argc, char **argv)
{
	struct minisig_pubkey expect;
	struct transcript_report rep;
	struct audit_report ar;
	const char *path = NULL, *pubpath = NULL;
	char hex[TRANSCRIPT_HEX_LEN + 1], id[17];
	char words[WORDS_TEXT_MAX(TRANSCRIPT_HEAD_WORDS)];
	int i, e;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout);
		if (strcmp(argv[i], "--pubkey") == 0 && i + 1 < argc &&
		    pubpath == NULL)
			pubpath = argv[++i];
		else if (argv[i][0] != '-' && path == NULL)
			path = argv[i];
		else
			return usage(stderr);
	}
	if (path == NULL)
		return usage(stderr);
	if (pubpath != NULL &&
	    (e = transcript_load_pubkey(pubpath, &expect)) != CK_OK) {
		fprintf(stderr, "conclave verify: %s: not a minisign public key "
		    "file: %s [%s]\n", pubpath, ck_strerror(e), ck_errname(e));
		return 2;
	}
	e = transcript_verify(path, pubpath != NULL ? &expect : NULL, &rep);
	if (e != CK_OK) {
		report_failure(path, &rep, e);
		return 1;
	}
	if (audit(path, &ar) != 0)
		return 1;
	sodium_bin2hex(hex, sizeof(hex), rep.head, sizeof(rep.head));
	minisig_keyid_hex(&rep.key, id);
	printf("OK %s: %" PRIu64 " records, signed by key %s%s, head %s\n",
	    path, rep.records, id, pubpath != NULL ? " (as given)" :
	    " (named in the transcript: compare with the paper record)", hex);
	if (rep.resumes > 0)
		printf("note: resumed %" PRIu64 " time(s) after a restart, each "
		    "with a new key; the paper record must name key %s\n",
		    rep.resumes, id);
	print_audit(&ar);
	/* The same hash as the witnesses read it aloud and initial it. */
	if (transcript_head_words(rep.head, words, sizeof(words)) == CK_OK)
		printf("head as words: %s\n", words);
	return 0;
}
