/*
 * Script and holder cards (see script.h). The layout is paper/doc.h's;
 * this file decides what goes on which page.
 */
#include "paper/script.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "crypto/pgppkt.h"
#include "crypto/words.h"

#define FPR_WORDS_MAX	WORDS_TEXT_MAX(PGPPKT_FPR_BYTES)

void
script_fpr_text(const char *fpr_hex, char out[SCRIPT_FPR_TEXT])
{
	size_t i, o = 0;

	for (i = 0; fpr_hex[i] != '\0' && i < PLAN_FPR_HEX; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = (char)toupper((unsigned char)fpr_hex[i]);
	}
	out[o] = '\0';
}

static int
fpr_words(const char *hex, char *out, size_t outmax)
{
	uint8_t bin[PGPPKT_FPR_BYTES];
	size_t n;

	if (sodium_hex2bin(bin, sizeof(bin), hex, strlen(hex), NULL, &n,
	    NULL) != 0 || n != sizeof(bin))
		return CK_ERR_FORMAT;
	return words_encode(bin, sizeof(bin), out, outmax);
}

/* Initials boxes on a tick row: one per witness (the operator's if none). */
static unsigned
n_initials(const struct plan *pl)
{
	return pl->n_witnesses == 0 ? 1 :
	    pl->n_witnesses > 6 ? 6 : (unsigned)pl->n_witnesses;
}

static int
member_words(struct paper *p, const struct plan *pl, const char *role,
    const struct plan_member *m)
{
	char fpr[SCRIPT_FPR_TEXT], words[FPR_WORDS_MAX], label[160];
	int e;

	if (m->fpr[0] == '\0')
		return CK_OK;
	if ((e = fpr_words(m->fpr, words, sizeof(words))) != CK_OK)
		return e;
	paper_need(p, 150);	/* name, hex, words and tick on one page */
	script_fpr_text(m->fpr, fpr);
	snprintf(label, sizeof(label), "%s, %s", m->name, role);
	paper_strong(p, label);
	paper_mono(p, fpr);
	paper_words(p, words);
	snprintf(label, sizeof(label), "%s read the words; they match this "
	    "page and the screen", m->name);
	paper_tick(p, label, n_initials(pl));
	return CK_OK;
}

static void
cover(struct paper *p, const struct plan *pl)
{
	char buf[512], fpr[SCRIPT_FPR_TEXT];
	size_t i;

	snprintf(buf, sizeof(buf), "%s: ceremony script", pl->kind->title);
	paper_title(p, buf);
	paper_field(p, "Ceremony", pl->kind->kind);
	paper_field(p, "Server", pl->server);
	paper_field(p, "Date", pl->date);
	paper_field(p, "Place", pl->place);
	snprintf(buf, sizeof(buf), "any %u of the %zu holders below",
	    pl->threshold, pl->n_holders);
	paper_field(p, "Threshold", buf);
	paper_field(p, "Operator", pl->has_operator ? pl->operator.name :
	    "(not named)");
	paper_heading(p, "Roster");
	for (i = 0; i < pl->n_holders; i++) {
		snprintf(buf, sizeof(buf), "Holder %zu", i + 1);
		script_fpr_text(pl->holders[i].fpr, fpr);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "\n%s",
		    pl->holders[i].name);
		paper_field(p, buf, fpr);
	}
	for (i = 0; i < pl->n_witnesses; i++) {
		script_fpr_text(pl->witnesses[i].fpr, fpr);
		snprintf(buf, sizeof(buf), "Witness\n%s", pl->witnesses[i].name);
		paper_field(p, buf, fpr[0] != '\0' ? fpr : "(no key)");
	}
	if (pl->has_operator) {
		script_fpr_text(pl->operator.fpr, fpr);
		snprintf(buf, sizeof(buf), "Operator\n%s", pl->operator.name);
		paper_field(p, buf, fpr[0] != '\0' ? fpr : "(no key)");
	}
	paper_heading(p, "How to use this script");
	paper_text(p, "Follow the steps in order. The appliance shows the same "
	    "step number in its title line. At each step, tick the box, write "
	    "the time and initial it. Words to read aloud are printed where "
	    "they are known before the day (fingerprints); the rest (the "
	    "ceremony key, the short authentication string, the transcript "
	    "head) are written in the blanks on the day. Anything that does "
	    "not go as written goes on the exceptions page, and on the "
	    "appliance with Ctrl-E.");
	paper_heading(p, "Before the day");
	paper_tick(p, "Each holder has their card (or key), their stick and "
	    "their holder card", n_initials(pl));
	paper_tick(p, "The appliance image's checksum was compared with the "
	    "published one", n_initials(pl));
	paper_tick(p, "The bridge reaches the server; the exchange stick is "
	    "empty", n_initials(pl));
}

static int
step(struct paper *p, const struct plan *pl, const struct steps_step *s)
{
	char label[160], where[200];
	size_t i;
	int e;

	/* Kinds without screens (dr-token, migrate) run from the command line. */
	snprintf(where, sizeof(where), "%s: %s", s->screen != NULL ? "Screen" :
	    "The command shows", s->shows);
	paper_step(p, steps_number(pl->kind, s), steps_who_name(s->who), where);
	paper_text(p, s->does);
	switch (s->words) {
	case STEPS_WORDS_FPR:
		for (i = 0; i < pl->n_holders; i++) {
			snprintf(label, sizeof(label), "holder %zu", i + 1);
			if ((e = member_words(p, pl, label, &pl->holders[i])) !=
			    CK_OK)
				return e;
		}
		for (i = 0; i < pl->n_witnesses; i++)
			if ((e = member_words(p, pl, "witness",
			    &pl->witnesses[i])) != CK_OK)
				return e;
		if (pl->has_operator &&
		    (e = member_words(p, pl, "operator", &pl->operator)) != CK_OK)
			return e;
		return CK_OK;
	case STEPS_WORDS_CEREMONY_KEY:
		paper_blank(p, "The ceremony key's words, as the screen shows them",
		    2);
		break;
	case STEPS_WORDS_SAS:
		paper_blank(p, "The five words (appliance screen)", 1);
		paper_tick(p, "The bridge's screen shows the same five words",
		    n_initials(pl));
		return CK_OK;
	case STEPS_WORDS_HEAD:
		paper_blank(p, "The transcript head as words (16 words)", 3);
		break;
	case STEPS_WORDS_NONE:
		break;
	}
	switch (s->who) {
	case STEPS_EACH_HOLDER:
		for (i = 0; i < pl->n_holders; i++) {
			snprintf(label, sizeof(label), "Holder %zu, %s: done",
			    i + 1, pl->holders[i].name);
			paper_tick(p, label, n_initials(pl));
		}
		break;
	case STEPS_QUORUM:
		for (i = 0; i < pl->threshold; i++)
			paper_tick(p, "Holder: ____________________",
			    n_initials(pl));
		break;
	default:
		paper_tick(p, "Done", n_initials(pl));
		break;
	}
	return CK_OK;
}

static void
exceptions(struct paper *p)
{
	unsigned i;

	paper_page(p);
	paper_title(p, "Exceptions");
	paper_text(p, "Everything that did not go as the script says: the step "
	    "and time, what happened, what was decided and by whom. The "
	    "appliance puts refusals and deviations on the transcript, and "
	    "the paper record lists them; this page is the room's own account.");
	for (i = 1; i <= 5; i++)
		paper_blank(p, "Step no.      time      what happened, what was "
		    "decided, initials", 3);
}

static void
attestation(struct paper *p, const struct plan *pl)
{
	char role[64];
	size_t i;

	paper_page(p);
	paper_title(p, "Attestation");
	paper_text(p, "We were present at this ceremony. It followed this "
	    "script except as written on the exceptions page, and the "
	    "transcript head words written at the last step are those the "
	    "appliance showed.");
	if (pl->has_operator)
		paper_signature(p, pl->operator.name, "operator");
	for (i = 0; i < pl->n_holders; i++) {
		snprintf(role, sizeof(role), "holder %zu", i + 1);
		paper_signature(p, pl->holders[i].name, role);
	}
	for (i = 0; i < pl->n_witnesses; i++)
		paper_signature(p, pl->witnesses[i].name, "witness");
}

static void
footer_of(const struct plan *pl, const char *what, char *out, size_t outmax)
{
	if (pl->kind == NULL)
		snprintf(out, outmax, "conclave %s, %s", what, pl->date);
	else
		snprintf(out, outmax, "conclave %s %s, %s, %s", pl->kind->kind,
		    what, pl->date, pl->place);
}

int
script_write(const struct plan *pl, const char *path, enum paper_size size)
{
	struct paper *p;
	char title[256], footer[256];
	size_t i;
	int e, r;

	snprintf(title, sizeof(title), "%s: ceremony script", pl->kind->title);
	footer_of(pl, "script", footer, sizeof(footer));
	if ((e = paper_open(path, size, title, footer, pl->date, &p)) != CK_OK)
		return e;
	cover(p, pl);
	paper_page(p);
	paper_title(p, "Steps");
	for (i = 0; i < pl->kind->n && e == CK_OK; i++)
		e = step(p, pl, &pl->kind->step[i]);
	exceptions(p);
	attestation(p, pl);
	r = paper_finish(p);
	return e != CK_OK ? e : r;
}

int
script_holder_cards(const struct plan *pl, const char *path,
    enum paper_size size)
{
	char buf[512], fpr[SCRIPT_FPR_TEXT], words[FPR_WORDS_MAX], footer[256];
	const struct steps_step *s;
	struct paper *p;
	size_t i;
	int e, r;

	footer_of(pl, "holder card", footer, sizeof(footer));
	if ((e = paper_open(path, size, "Holder cards", footer, pl->date, &p))
	    != CK_OK)
		return e;
	s = pl->kind != NULL ? steps_on_screen(pl->kind, "fingerprints") : NULL;
	for (i = 0; i < pl->n_holders && e == CK_OK; i++) {
		if ((e = fpr_words(pl->holders[i].fpr, words, sizeof(words))) !=
		    CK_OK)
			break;
		paper_page(p);
		paper_title(p, "Holder card");
		paper_field(p, "Holder", pl->holders[i].name);
		if (pl->kind != NULL) {
			snprintf(buf, sizeof(buf), "%zu of %zu (any %u of them "
			    "reach the quorum)", i + 1, pl->n_holders,
			    pl->threshold);
			paper_field(p, "Share", buf);
			paper_field(p, "Ceremony", pl->kind->title);
			paper_field(p, "Place", pl->place);
			paper_field(p, "Server", pl->server);
		}
		paper_field(p, "Date", pl->date);
		paper_heading(p, "Your key's fingerprint");
		script_fpr_text(pl->holders[i].fpr, fpr);
		paper_mono(p, fpr);
		paper_heading(p, "The same as words, to read aloud");
		paper_words(p, words);
		paper_heading(p, "At the ceremony");
		if (s != NULL)
			snprintf(buf, sizeof(buf), "At step %u (\"%s\") read "
			    "these words aloud and compare them with the "
			    "appliance's screen and the script. If one word "
			    "differs, say so and stop: the key on the roster is "
			    "not yours.", steps_number(pl->kind, s), s->shows);
		else
			snprintf(buf, sizeof(buf), "When the appliance shows "
			    "your key's fingerprint, read these words aloud and "
			    "compare. If one word differs, say so and stop: the "
			    "key on the roster is not yours.");
		paper_text(p, buf);
		paper_text(p, pl->kind == NULL ? "You printed this card from "
		    "your own public key, so it does not depend on the "
		    "operator's plan. It holds nothing secret." : "This card "
		    "was printed from the operator's plan: compare the hex with "
		    "gpg --fingerprint on your own machine, or print your own "
		    "card with conclave-bridge holder-cards --key. It holds "
		    "nothing secret.");
	}
	r = paper_finish(p);
	return e != CK_OK ? e : r;
}
