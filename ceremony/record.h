/*
 * The facts of a ceremony as its signed transcript shows them, for the
 * paper record (`conclave record`) and for `conclave verify --facts`: one
 * list, built here once, which both print (docs/paper.md).
 *
 * record_read() verifies the transcript first (transcript_verify: chain,
 * close record, signature) and builds nothing from a transcript that
 * fails: a tampered transcript has no record. Then it applies the
 * ceremony's rules (ceremony/audit.h); an incomplete ceremony still has a
 * record, whose outcome says what is missing.
 */
#ifndef CONCLAVE_RECORD_H
#define CONCLAVE_RECORD_H

#include <stddef.h>

#include "ceremony/audit.h"
#include "ceremony/transcript.h"
#include "protocol/steps.h"

enum record_section {
	RECORD_OUTCOME,		/* kind, id, server, outcome, times, key */
	RECORD_ROSTER,		/* members and fingerprints */
	RECORD_STEPS,		/* each numbered step and when it was done */
	RECORD_SHARES,		/* handouts with decrypt proofs; sealed shares */
	RECORD_EXCEPTIONS,	/* refusals, deviations, failures, resumes */
	RECORD_REVOCATION,	/* the root token's revocation proof */
	RECORD_HEAD,		/* head hash, its words, the chain link */
	RECORD_EVENTS,		/* every record, one line each */
	RECORD_SIGNERS,		/* who signs the paper: label name, value role */
	RECORD_NSECTIONS,
};

enum record_style {
	RECORD_TEXT,
	RECORD_HEX,		/* hex digits: set in monospace */
	RECORD_WORDS,		/* words to read aloud */
};

#define RECORD_LABEL_MAX	128
#define RECORD_VALUE_MAX	640
/* The item that names the previous ceremony (RECORD_HEAD, hex): how the
 * archive finds the chain (ceremony/archive.h). */
#define RECORD_PREVIOUS_HEAD	"Previous ceremony's head"

struct record_item {
	enum record_section section;
	enum record_style style;
	char label[RECORD_LABEL_MAX];
	char value[RECORD_VALUE_MAX];
};

struct record {
	const struct steps_kind *kind;	/* NULL: a kind without steps */
	char kind_name[AUDIT_KIND_MAX + 1];
	char ceremony_id[40];
	char closed[24];	/* the close record's time: the PDF's date */
	int audit_err;		/* audit_transcript's answer: CK_OK, or what
				 * is missing in audit.problem */
	char outcome[RECORD_VALUE_MAX];	/* one line, as verify prints it */
	struct transcript_report rep;
	struct audit_report audit;
	size_t n;
	struct record_item *item;
};

/*
 * Verify path (with expect as transcript_verify takes it) and read its
 * facts into *out (record_free it). On a verification failure the error
 * is transcript_verify's and *rep says where; nothing is built. What the
 * ceremony's rules find (CK_ERR_INCOMPLETE, CK_ERR_FORMAT) is in
 * audit_err, on the record; any other error (CK_ERR_ALLOC ...) builds no
 * record.
 */
int record_read(const char *path, const struct minisig_pubkey *expect,
    struct record **out, struct transcript_report *rep) CK_WUR
    __attribute__((nonnull(1, 3, 4)));
void record_free(struct record *r);	/* NULL-safe */

/*
 * record_read's work on the bytes of a transcript and its signature file
 * (sig NULL: none), the same answers. The appliance's parser child runs
 * it on the file it is handed.
 */
int record_build(const void *buf, size_t len, const void *sig, size_t siglen,
    const struct minisig_pubkey *expect, struct record **out,
    struct transcript_report *rep) CK_WUR __attribute__((nonnull(1, 6, 7)));

/*
 * Where record_read builds. NULL (the default) builds in this process;
 * the appliance's monitor installs its parser child's client
 * (appliance/monitor.h), which answers exactly as record_build does on
 * the files transcript_files_open opened (sigfd -1: no signature file).
 */
typedef int (*record_fn)(int fd, int sigfd,
    const struct minisig_pubkey *expect, struct record **out,
    struct transcript_report *rep);
void record_set_isolation(record_fn fn);

/* One more fact (value copied, cut at RECORD_VALUE_MAX on a character):
 * how the monitor rebuilds a record the child sent. */
int record_add(struct record *r, enum record_section sec,
    enum record_style st, const char *label, const char *value) CK_WUR;

/* "Outcome", "Steps", ... */
const char *record_section_title(enum record_section s);

#endif
