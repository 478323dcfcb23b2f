/*
 * Printed pages for the room (docs/paper.md): a small typesetter on
 * cairo's PDF surface with pango for text, used for the ceremony script
 * and holder cards (paper/script.h) and the paper record (conclave
 * record). Pages are A4 or US Letter, black on white, no text under
 * 10 pt, fonts embedded (cairo subsets the DejaVu fonts into the file), so
 * that a photocopy of a photocopy still reads.
 *
 * Reproducible: the PDF's creation date is the one given (never the
 * clock), and cairo 1.16 writes no random ids, so the same content gives
 * the same bytes (tests/integration/paper.sh rebuilds and compares).
 *
 * Text goes in as plain UTF-8, never as pango markup, so a name on a
 * roster cannot change the layout; callers pass text that
 * rd_printable_utf8 accepted. Drawing calls return nothing: cairo keeps the
 * first error, and paper_finish() reports it.
 */
#ifndef CONCLAVE_PAPER_DOC_H
#define CONCLAVE_PAPER_DOC_H

#include <stddef.h>

#include "crypto/errors.h"

enum paper_size {
	PAPER_A4,
	PAPER_LETTER,
};

#define PAPER_DATE_MAX	32

struct paper;

/*
 * Start a document at path, a new file (CK_ERR_EXISTS if there is one:
 * nothing is overwritten; a symlink is refused too); paper_finish()
 * removes it again if anything failed. footer: a short text printed at the foot of every page beside
 * the page number (the ceremony id, or the plan's title). date: the
 * creation date as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DD"
 * (CK_ERR_FORMAT otherwise). size: from paper_size_parse.
 * CK_ERR_IO (or file_errno's) if the file cannot be created.
 */
int paper_open(const char *path, enum paper_size size, const char *title,
    const char *footer, const char *date, struct paper **out) CK_WUR
    __attribute__((nonnull));
/* Finish the last page, write the file, free p (NULL-safe: CK_OK).
 * CK_ERR_IO for any drawing or write error along the way. */
int paper_finish(struct paper *p) CK_WUR;

/* A date as paper_open takes it: CK_OK or CK_ERR_FORMAT. */
int paper_date_check(const char *date) CK_WUR __attribute__((nonnull));

/* "a4" or "letter" (CK_ERR_INVALID_ARG otherwise). */
int paper_size_parse(const char *name, enum paper_size *out) CK_WUR
    __attribute__((nonnull));

/* A new page (nothing happens at the top of an empty page). */
void paper_page(struct paper *p) __attribute__((nonnull));
/* Break the page unless height points are left. */
void paper_need(struct paper *p, double height) __attribute__((nonnull));
/* Vertical space in points. */
void paper_skip(struct paper *p, double height) __attribute__((nonnull));

void paper_title(struct paper *p, const char *text) __attribute__((nonnull));
void paper_heading(struct paper *p, const char *text) __attribute__((nonnull));
/* A paragraph, wrapped to the text width. */
void paper_text(struct paper *p, const char *text) __attribute__((nonnull));
/* The same in bold. */
void paper_strong(struct paper *p, const char *text) __attribute__((nonnull));
/* Monospace (hex digits, commands), wrapped at any character. */
void paper_mono(struct paper *p, const char *text) __attribute__((nonnull));
/* Words to read aloud: large, bold, in groups of four per line. */
void paper_words(struct paper *p, const char *words) __attribute__((nonnull));
/* "label  value" in two columns (value wrapped in its column). */
void paper_field(struct paper *p, const char *label, const char *value)
    __attribute__((nonnull));
/* The same with the value in monospace (hex digits). */
void paper_field_mono(struct paper *p, const char *label, const char *value)
    __attribute__((nonnull));
/* label, then n ruled lines to write on. */
void paper_blank(struct paper *p, const char *label, unsigned lines)
    __attribute__((nonnull));
/* A step's heading: a boxed number, who acts, and a second line (where
 * it happens: "Screen: ..."). */
void paper_step(struct paper *p, unsigned number, const char *who,
    const char *where) __attribute__((nonnull));
/*
 * One row to tick: a checkbox, label, a time box and n_initials boxes
 * (at most 8) for initials.
 */
void paper_tick(struct paper *p, const char *label, unsigned n_initials)
    __attribute__((nonnull));
/* A signature line: name and role under it (name "": a blank to fill
 * in), date line beside it. */
void paper_signature(struct paper *p, const char *name, const char *role)
    __attribute__((nonnull));
/* A horizontal rule across the text width. */
void paper_rule(struct paper *p) __attribute__((nonnull));

#endif
