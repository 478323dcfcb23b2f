/*
 * Each member in turn confirms their key: the fingerprint as words, read
 * aloud against the holder's own record. A key nobody recognises sends
 * the roster back for a replacement, and the refusal is recorded.
 */
#include <curses.h>
#include <stdio.h>

#include "crypto/errors.h"
#include "ui/ui.h"

static size_t idx;

static void
fpr_init(void)
{
	idx = 0;
}

static void
fpr_draw(void)
{
	const struct roster_member *m = &ui.roster->m[idx];
	char grouped[PGP_FPR_GROUPED_LEN + 1], words[ROSTER_FPR_WORDS_MAX];
	char warn[PGP_WARNING_MAX], line[PGP_WARNING_MAX + 16];
	unsigned bit;
	int y = UI_TOP;

	ui_text(y, 2, "Key %zu of %zu", idx + 1, ui.roster->n);
	y += 2;
	if (m->role == ROSTER_HOLDER)
		ui_text(y, 2, "%s, holder of share %u", ui_safe(m->name),
		    m->share_index);
	else
		ui_text(y, 2, "%s, %s", ui_safe(m->name), roster_role_name(m->role));
	y += 2;
	if (pgp_fpr_grouped(m->fpr, grouped, sizeof(grouped)) != CK_OK ||
	    roster_fpr_words(m, words, sizeof(words)) != CK_OK) {
		ui_text(y, 2, "(the fingerprint cannot be shown)");
		return;
	}
	ui_text(y++, 2, "Fingerprint  %s", grouped);
	y++;
	ui_text(y++, 2, "Read these words aloud:");
	attron(A_BOLD);
	y = ui_para(y, words);
	attroff(A_BOLD);
	for (bit = 1; bit != 0 && bit <= m->warnings; bit <<= 1)
		if ((m->warnings & bit) &&
		    pgp_warning_text(bit, m->enc_algo, warn) != NULL) {
			/* Wrapped: with a curve's name it is wider than 80. */
			snprintf(line, sizeof(line), "Warning: %s", warn);
			y = ui_para(y + 1, line) - 1;
		}
	ui_para(y + 2, "Does this match the fingerprint on your own card or "
	    "paper record?");
	ui_hints("y yes, it is mine  n no, not my key  Esc back to the roster");
}

static void
fpr_key(int ch)
{
	const struct roster_member *m = &ui.roster->m[idx];
	char text[ROSTER_NAME_MAX + PGP_FPR_LEN + 96];

	if (ch == 27) {
		ui_goto(UI_SCR_ROSTER);
	} else if (ch == 'n' || ch == 'N') {
		snprintf(text, sizeof(text), "%s did not recognise the key "
		    "fingerprint %s; it was set aside", m->name, m->fpr);
		if (ui_record("deviation", m->name, json_pack("{s:s}", "text",
		    text)) == CK_OK)
			ui.deviations++;
		ui_goto(UI_SCR_ROSTER);
		ui_say(1, "%s's key was not confirmed: replace the key file or "
		    "leave it out.", ui_safe(m->name));
	} else if (ch == 'y' || ch == 'Y') {
		if (++idx == ui.roster->n)
			ui_goto(UI_SCR_BEGIN);
		else
			clear();
	}
}

const struct ui_screen scr_fpr = {
	.title = "Fingerprints: each member confirms their key",
	.step = "fingerprints",
	.help = "Each member reads the words aloud and compares them with the "
	    "fingerprint they brought (on their card's sleeve or on paper). The "
	    "words encode the same fingerprint as the hex. If they differ, "
	    "press n: the key is not theirs and must not receive a share.",
	.init = fpr_init,
	.draw = fpr_draw,
	.key = fpr_key,
};
