/*
 * The numbered steps of each ceremony kind, defined once: the printed
 * script (paper/script.h) numbers its steps from these tables, the
 * appliance's screens show the same numbers in their title line, and the
 * paper record (ceremony/record.h) dates each step from the transcript
 * record that marks it done. Both programs link this; it holds no logic
 * beyond lookups.
 */
#ifndef CONCLAVE_STEPS_H
#define CONCLAVE_STEPS_H

#include <stddef.h>

/* Who acts. */
enum steps_who {
	STEPS_OPERATOR,
	STEPS_EACH_HOLDER,	/* every holder on the roster, one at a time */
	STEPS_QUORUM,		/* threshold holders, one at a time */
	STEPS_WITNESSES,
	STEPS_EVERYONE,
};

/* Words read aloud at this step. */
enum steps_words {
	STEPS_WORDS_NONE,
	STEPS_WORDS_FPR,	/* each member's key fingerprint: known before */
	STEPS_WORDS_CEREMONY_KEY,	/* made on the day: a blank on paper */
	STEPS_WORDS_SAS,	/* made on the day */
	STEPS_WORDS_HEAD,	/* made on the day */
};

struct steps_step {
	/* the appliance screen's step id (ui/ui.h), NULL: not on a screen */
	const char *screen;
	enum steps_who who;
	const char *does;	/* what they do, in a sentence or two */
	const char *shows;	/* what the screen (or command) shows */
	enum steps_words words;
	/* the transcript record type that marks the step done, or NULL */
	const char *record;
};

struct steps_kind {
	const char *kind;	/* as in the transcript's opening record */
	const char *title;	/* "Initialise a cluster" */
	size_t n;
	const struct steps_step *step;
};

/* The steps of kind ("init", "unseal", ...); NULL for an unknown kind. */
const struct steps_kind *steps_for(const char *kind);

/* The kinds in a fixed order: i = 0, 1, ... until NULL. */
const struct steps_kind *steps_kind_at(size_t i);

/* A step's number: 1 for the first. */
unsigned steps_number(const struct steps_kind *k, const struct steps_step *s)
    __attribute__((nonnull));

/* The step shown on screen id, or NULL. */
const struct steps_step *steps_on_screen(const struct steps_kind *k,
    const char *screen) __attribute__((nonnull));

/*
 * The step a transcript record of type marks done, searching from step
 * index from on (a type may mark two steps, e.g. shares sealed before and
 * after a rekey: the later one is found by searching past the earlier).
 * Returns the index, or k->n when none.
 */
size_t steps_marked_by(const struct steps_kind *k, const char *type,
    size_t from) __attribute__((nonnull));

/* "Operator", "Each holder", ... */
const char *steps_who_name(enum steps_who who);

#endif
