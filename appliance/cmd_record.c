/*
 * conclave record: ceremony/record.h's facts, set on paper with
 * paper/doc.h. The facts are the ones `conclave verify --facts` prints;
 * this file only lays them out.
 */
#include "appliance/cmd_record.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ceremony/record.h"
#include "ceremony/transcript.h"
#include "crypto/errors.h"
#include "media/tty.h"
#include "paper/doc.h"
#include "appliance/cmd_verify.h"

static int
usage(FILE *f)
{
	fprintf(f,
	    "usage: conclave record TRANSCRIPT --out FILE.pdf [--pubkey FILE.pub]\n"
	    "                      [--paper a4|letter]\n"
	    "\n"
	    "Print the paper record of a ceremony from its signed transcript:\n"
	    "the outcome, every numbered step with its time, every exception and\n"
	    "refusal, the shares handed out with their decrypt proofs, the root\n"
	    "token's revocation, the transcript head as hex and as words, the\n"
	    "link to the previous ceremony, and signature lines. The transcript\n"
	    "is verified first, as conclave verify does (--pubkey as there); a\n"
	    "transcript that does not verify gets no record. The file is made\n"
	    "from the transcript alone and dated by its close record, so anyone\n"
	    "can rebuild it and compare the bytes.\n"
	    "\n"
	    "  --out FILE.pdf       a new file (an existing one is not replaced)\n"
	    "  --paper a4|letter    page size (default a4)\n"
	    "\n"
	    "Exit status: 0 written, 1 refused (nothing written), 2 usage error.\n");
	return f == stdout ? 0 : 2;
}

static int
has_section(const struct record *r, enum record_section s)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->item[i].section == s)
			return 1;
	return 0;
}

static void
section(struct paper *p, const struct record *r, enum record_section s)
{
	const struct record_item *it;
	size_t i;

	if (s == RECORD_SIGNERS) {
		paper_page(p);
		paper_title(p, record_section_title(s));
		paper_text(p, "We were present at this ceremony. This record, "
		    "rebuilt from the signed transcript, matches what we saw, "
		    "and the head words above are those the appliance showed.");
	} else {
		if (s == RECORD_EVENTS)
			paper_page(p);
		paper_heading(p, record_section_title(s));
	}
	if (!has_section(r, s) && s != RECORD_SIGNERS)
		paper_text(p, s == RECORD_EXCEPTIONS ? "None on record." :
		    "Nothing on record.");
	for (i = 0; i < r->n; i++) {
		it = &r->item[i];
		if (it->section != s)
			continue;
		if (s == RECORD_SIGNERS)
			paper_signature(p, it->label, it->value);
		else if (it->style == RECORD_WORDS) {
			paper_strong(p, it->label);
			paper_words(p, it->value);
		} else if (it->style == RECORD_HEX)
			paper_field_mono(p, it->label, it->value);
		else
			paper_field(p, it->label, it->value);
	}
	if (s == RECORD_SIGNERS) {	/* witnesses nobody named in advance */
		paper_signature(p, "", "witness");
		paper_signature(p, "", "witness");
	}
}

int
cmd_record_main(int argc, char **argv)
{
	const char *path = NULL, *pubpath = NULL, *out = NULL;
	enum paper_size size = PAPER_A4;
	char title[160], footer[160];
	struct record *r = NULL;
	struct paper *p;
	unsigned s;
	int i, e;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout);
		if (strcmp(argv[i], "--pubkey") == 0 && i + 1 < argc &&
		    pubpath == NULL)
			pubpath = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc &&
		    out == NULL)
			out = argv[++i];
		else if (strcmp(argv[i], "--paper") == 0 && i + 1 < argc) {
			if (paper_size_parse(argv[++i], &size) != CK_OK)
				return usage(stderr);
		} else if (argv[i][0] != '-' && path == NULL)
			path = argv[i];
		else
			return usage(stderr);
	}
	if (path == NULL || out == NULL)
		return usage(stderr);
	if ((e = cmd_verify_read("conclave record", path, pubpath, &r)) != 0) {
		if (e == 1)
			tty_printw(stderr,
			    "conclave record: no record printed\n");
		return e;
	}
	snprintf(title, sizeof(title), "Ceremony record: %s",
	    r->kind != NULL ? r->kind->title : r->kind_name);
	snprintf(footer, sizeof(footer), "conclave record: ceremony %s",
	    r->ceremony_id);
	if ((e = paper_open(out, size, title, footer, r->closed, &p)) != CK_OK) {
		tty_printw(stderr, "conclave record: %s: %s [%s]\n", out,
		    ck_strerror(e), ck_errname(e));
		record_free(r);
		return 1;
	}
	paper_title(p, title);
	paper_text(p, "Made by conclave record from the signed transcript "
	    "alone: anyone with the transcript can rebuild this file with the "
	    "same conclave and compare it byte for byte.");
	for (s = 0; s < RECORD_NSECTIONS; s++)
		section(p, r, (enum record_section)s);
	e = paper_finish(p);
	if (e != CK_OK) {
		tty_printw(stderr, "conclave record: %s: %s [%s]\n", out,
		    ck_strerror(e), ck_errname(e));
		record_free(r);
		return 1;
	}
	tty_printw(stdout,
	    "%s: the record of %s ceremony %s (%" PRIu64 " records, %s)\n",
	    out, r->kind_name, r->ceremony_id, r->rep.records,
	    r->audit_err == CK_OK ? "complete" : "INCOMPLETE");
	record_free(r);
	return 0;
}
