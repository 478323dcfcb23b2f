/*
 * What a ceremony's transcript must show, beyond a sound chain and a good
 * signature (DESIGN §8): per ceremony kind, the rules an auditor checks.
 * init: every share handed out with its decrypt proof, each holder once,
 * and the initial root token revoked. A transcript of a kind without rules
 * here passes with audit_report.rules == 0, and says so.
 *
 * Call it only on a transcript that transcript_verify accepted: it trusts
 * the record layout and looks only at types and details.
 */
#ifndef CONCLAVE_AUDIT_H
#define CONCLAVE_AUDIT_H

#include <stddef.h>

#include "crypto/reader.h"

#define AUDIT_KIND_MAX	32

struct audit_report {
	char kind[AUDIT_KIND_MAX + 1];	/* from the opening record */
	int rules;			/* 1 if this kind has rules */
	unsigned n, t;			/* shares and threshold (init) */
	unsigned proven;		/* distinct shares handed out with a proof */
	unsigned refused;		/* refusals on record */
	unsigned deviations;		/* deviations on record */
	unsigned exceptions;		/* every exception (audit_is_exception) */
	int revoked;			/* the initial root token was revoked */
	char problem[160];		/* on CK_ERR_INCOMPLETE: what is missing */
};

/*
 * CK_OK when the transcript in buf shows what its kind requires;
 * CK_ERR_INCOMPLETE (rep->problem says what is missing); CK_ERR_FORMAT if
 * the records are not what the ceremony engine writes.
 */
int audit_transcript(const void *buf, size_t len, struct audit_report *rep)
    CK_WUR __attribute__((nonnull));

/*
 * 1 for a record that goes among a ceremony's exceptions: a refusal, a
 * deviation, a resume, a disabled endpoint, a retry, a step that failed
 * (*-failed) or a ceremony abandoned (*-abandoned).
 */
int audit_is_exception(const char *type) __attribute__((nonnull));

/*
 * The one line that counts a ceremony's exceptions, as the UI summary,
 * the CLI at each close and `conclave verify` print it: "N refusal(s),
 * N deviation(s), N exception(s) in all on the record".
 */
void audit_tally_text(const struct audit_report *rep, char *out,
    size_t outlen) __attribute__((nonnull));

#define AUDIT_TALLY_MAX	96

/*
 * audit_tally_text over the transcript file at path, open or closed (the
 * appliance's own, at a close or the witnesses' review): the records as
 * they are on the file system, read bounded. CK_OK, or why it could not
 * be read or counted.
 */
int audit_tally_file(const char *path, char *out, size_t outlen) CK_WUR
    __attribute__((nonnull));

/*
 * Where audit_transcript runs. NULL (the default) reads the records in
 * this process; the appliance's monitor installs its parser child's client
 * (appliance/monitor.h), which answers exactly as it does.
 */
typedef int (*audit_fn)(const void *buf, size_t len, struct audit_report *rep);
void audit_set_isolation(audit_fn fn);

#endif
