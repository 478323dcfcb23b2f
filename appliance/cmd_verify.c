/*
 * conclave verify: the command-line face of transcript_verify(). It only
 * parses arguments and reports; all checking is in ceremony/transcript.c.
 */
#include "appliance/cmd_verify.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ceremony/record.h"
#include "ceremony/transcript.h"
#include "crypto/errors.h"
#include "crypto/words.h"
#include "media/tty.h"
#include "protocol/minisig.h"

static int
usage(FILE *f)
{
	fprintf(f,
	    "usage: conclave verify FILE [--pubkey FILE.pub] [--facts]\n"
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
	    "  --facts            then every fact of the paper record (conclave\n"
	    "                     record) as text: outcome, roster, steps with\n"
	    "                     their times, shares, exceptions, revocation,\n"
	    "                     head and chain, every record, signers.\n"
	    "\n"
	    "On success it prints one OK line (records, signing key id, head hash)\n"
	    "and the head hash as PGP words, as witnesses read it aloud, then the\n"
	    "ceremony's outcome and its exceptions counted from the records\n"
	    "(record: N refusals, N deviations, N exceptions in all). A ceremony\n"
	    "closed as abandoned or failed is valid too and says so, with why:\n"
	    "its record goes on in the chain like any other.\n"
	    "\n"
	    "Exit status: 0 valid, 1 invalid (the first bad record is named),\n"
	    "2 usage error.\n");
	return f == stdout ? 0 : 2;
}

/* "WHO: PATH: line N (seq S): why [CK_ERR_...]", one line to wrap. */
static void
report_failure(const char *who, const char *path,
    const struct transcript_report *rep, int e)
{
	char where[64] = "";

	if (rep->bad_line > 0 && rep->has_bad_seq)
		snprintf(where, sizeof(where), "line %" PRIu64 " (seq %" PRIu64
		    "): ", rep->bad_line, rep->bad_seq);
	else if (rep->bad_line > 0)
		snprintf(where, sizeof(where), "line %" PRIu64 ": ",
		    rep->bad_line);
	tty_printw(stderr, "%s: %s: %s%s [%s]\n", who, path, where,
	    rep->reason[0] != '\0' ? rep->reason : ck_strerror(e),
	    ck_errname(e));
}

int
cmd_verify_read(const char *who, const char *path, const char *pubpath,
    struct record **out)
{
	struct minisig_pubkey expect;
	struct transcript_report rep;
	int e;

	if (pubpath != NULL &&
	    (e = transcript_load_pubkey(pubpath, &expect)) != CK_OK) {
		tty_printw(stderr,
		    "%s: %s: not a minisign public key file: %s [%s]\n",
		    who, pubpath, ck_strerror(e), ck_errname(e));
		return 2;
	}
	if ((e = record_read(path, pubpath != NULL ? &expect : NULL, out, &rep))
	    != CK_OK) {
		report_failure(who, path, &rep, e);
		return 1;
	}
	return 0;
}

/* Every fact of the record, as text (conclave record sets them on paper). */
static void
facts(const struct record *r)
{
	unsigned sec;
	size_t i;

	for (sec = 0; sec < RECORD_NSECTIONS; sec++) {
		tty_printw(stdout,
		    "\n== %s\n",
		    record_section_title((enum record_section)sec));
		for (i = 0; i < r->n; i++)
			if (r->item[i].section == sec)
				tty_printw(stdout,
				    "%s: %s\n", r->item[i].label,
				    r->item[i].value);
	}
}

int
cmd_verify_main(int argc, char **argv)
{
	struct transcript_report rep;
	const char *path = NULL, *pubpath = NULL;
	char hex[TRANSCRIPT_HEX_LEN + 1], id[17];
	char words[WORDS_TEXT_MAX(TRANSCRIPT_HEAD_WORDS)], tally[AUDIT_TALLY_MAX];
	struct record *r = NULL;
	int i, all = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout);
		if (strcmp(argv[i], "--pubkey") == 0 && i + 1 < argc &&
		    pubpath == NULL)
			pubpath = argv[++i];
		else if (strcmp(argv[i], "--facts") == 0)
			all = 1;
		else if (argv[i][0] != '-' && path == NULL)
			path = argv[i];
		else
			return usage(stderr);
	}
	if (path == NULL)
		return usage(stderr);
	if ((rc = cmd_verify_read("conclave verify", path, pubpath, &r)) != 0)
		return rc;
	rep = r->rep;
	/*
	 * The ceremony's own rules (ceremony/audit.h) over the verified file,
	 * before anything goes to stdout: OK appears only when every check held.
	 */
	if (r->audit_err != CK_OK) {
		tty_printw(stderr,
		    "conclave verify: %s: the ceremony is not complete: "
		    "%s [%s]\n", path, r->audit.problem[0] != '\0' ? r->audit.problem :
		    ck_strerror(r->audit_err), ck_errname(r->audit_err));
		record_free(r);
		return 1;
	}
	sodium_bin2hex(hex, sizeof(hex), rep.head, sizeof(rep.head));
	minisig_keyid_hex(&rep.key, id);
	/* The head on a line of its own: a wrapped line never parts it from
	 * its name. */
	tty_printw(stdout, "OK %s: %" PRIu64 " records, signed by key %s%s\n"
	    "head %s\n", path, rep.records, id,
	    pubpath != NULL ? " (as given)" :
	    " (named in the transcript: compare with the paper record)", hex);
	if (rep.resumes > 0)
		tty_printw(stdout,
		    "note: resumed %" PRIu64 " time(s) after a restart, each "
		    "with a new key; the paper record must name key %s\n",
		    rep.resumes, id);
	tty_printw(stdout, "ceremony: %s\n", r->outcome);
	audit_tally_text(&r->audit, tally, sizeof(tally));
	tty_printw(stdout, "record: %s\n", tally);
	/* The same hash as the witnesses read it aloud and initial it. */
	if (transcript_head_words(rep.head, words, sizeof(words)) == CK_OK)
		tty_printw(stdout, "head as words: %s\n", words);
	if (all)
		facts(r);
	record_free(r);
	return 0;
}
