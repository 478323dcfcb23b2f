/*
 * The printed ceremony script and the holder cards (docs/paper.md), made
 * before the day from a plan (paper/plan.h) by the online side, which
 * holds no secrets. The script's step numbers are protocol/steps.h's, so
 * they match the appliance's screens.
 */
#ifndef CONCLAVE_SCRIPT_H
#define CONCLAVE_SCRIPT_H

#include "paper/doc.h"
#include "paper/plan.h"

/*
 * The script as a PDF at path: a cover (kind, server, date, place,
 * threshold, roles and roster with fingerprints), every step (who acts,
 * what they do, what the screen shows, a checkbox, a time box and
 * initials boxes; each member's fingerprint words where they are read;
 * blanks for the words made on the day), an exceptions page and an
 * attestation page with a signature line for every participant.
 */
int script_write(const struct plan *pl, const char *path,
    enum paper_size size) CK_WUR __attribute__((nonnull));

/* One page per holder: their fingerprint as hex and as words. */
int script_holder_cards(const struct plan *pl, const char *path,
    enum paper_size size) CK_WUR __attribute__((nonnull));

/* The fingerprint in groups of four, as the appliance shows it:
 * "60AC 0000 ... C408". */
#define SCRIPT_FPR_TEXT	50
void script_fpr_text(const char *fpr_hex, char out[SCRIPT_FPR_TEXT])
    __attribute__((nonnull));

#endif
