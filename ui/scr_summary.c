/*
 * The summary: the transcript's head hash as words for the witnesses to
 * write down and initial, and OpenPGP signatures over the closed
 * transcript by witnesses whose key file is on their stick
 * (transcript.jsonl.FINGERPRINT.asc beside it in the state folder).
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "crypto/words.h"
#include "ui/ui.h"

static struct ui_field passf;
static size_t wi;		/* witness signing now (roster index) */
static int signing;
static char *keyfile;
static unsigned signatures;
static int unarchived_ok;	/* q was pressed once without the archive */

static void
summary_init(void)
{
	if (passf.buf == NULL && ui_field_init(&passf, 1) != CK_OK)
		ui_fatal("out of memory");
	signing = 0;
	wi = 0;
}

static void
summary_draw(void)
{
	char hex[2 * TRANSCRIPT_HASH_BYTES + 1], words[WORDS_TEXT_MAX(TRANSCRIPT_HEAD_WORDS)];
	int y = UI_TOP;

	if (codec_hex_encode(ui.head, sizeof(ui.head), hex, sizeof(hex)) != CK_OK ||
	    transcript_head_words(ui.head, words, sizeof(words)) != CK_OK)
		hex[0] = words[0] = '\0';
	ui_text(y++, 2, "Ceremony closed. %s", ui.outcome[0]);
	if (ui.outcome[1][0] != '\0')
		ui_text(y++, 2, "%s", ui.outcome[1]);
	ui_text(y++, 2, "%s.", ui.outcome[2]);
	y++;
	ui_text(y++, 2, "Transcript head %.32s", hex);
	ui_text(y++, 2, "                %s", hex + 32);
	attron(A_BOLD);
	y = ui_para(y, words);
	attroff(A_BOLD);
	y = ui_para(y + 1, "Witnesses: write the head words down on the paper "
	    "script and initial them. The transcript is signed by the ceremony "
	    "key (minisign format) in the state folder.");
	if (signatures > 0)
		ui_text(y++, 2, "%u witness signature(s) written beside the "
		    "transcript.", signatures);
	if (ui.archived)
		ui_text(y++, 2, "The transcript is archived and verified there.");
	if (signing) {
		ui_text(y + 1, 2, "%s, the passphrase of your key file:",
		    ui_safe(ui.roster->m[wi].name));
		ui_field_draw(y + 2, 2, 40, &passf);
		ui_hints("Enter sign  Esc cancel");
	} else {
		ui_hints(ui.roster != NULL ? "s witness signs with their key "
		    "file  a archive  q finish" : "a archive  q finish");
	}
}

/* The next witness from wi on with a key file on their stick. */
static int
next_signer(void)
{
	char *stick;

	for (; ui.roster != NULL && wi < ui.roster->n; wi++) {
		if (ui.roster->m[wi].role != ROSTER_WITNESS)
			continue;
		if ((stick = ui_stick_path(ui.roster->m[wi].name)) == NULL)
			ui_fatal("out of memory");
		free(keyfile);
		keyfile = NULL;
		if (ui_find_secret_key(stick, &keyfile) == CK_OK) {
			free(stick);
			return 1;
		}
		free(stick);
	}
	return 0;
}

static int
sign(void)
{
	const struct roster_member *m = &ui.roster->m[wi];
	struct pgp_fprs fprs;
	uint8_t *buf = NULL, *sig = NULL;
	size_t len, siglen;
	char name[sizeof(SESSION_TRANSCRIPT) + PGP_FPR_LEN + 8];
	int r;

	if ((r = pgp_import_secret_file(ui.home, keyfile, &fprs)) != CK_OK)
		return r;
	if ((r = session_read_file(ui.s, SESSION_TRANSCRIPT, TRANSCRIPT_MAX_BYTES,
	    &buf, &len)) != CK_OK)
		goto out;
	if ((r = pgp_sign_detached(ui.home, m->fpr, passf.buf, buf, len, 1,
	    &sig, &siglen)) != CK_OK)
		goto out;
	/* Named by fingerprint: a name may hold any printable character. */
	snprintf(name, sizeof(name), "%s.%s.asc", SESSION_TRANSCRIPT, m->fpr);
	r = session_write_file(ui.s, name, sig, siglen);
out:
	pgp_delete_key(ui.home, m->fpr);
	free(buf);
	free(sig);
	return r;
}

static void
summary_key(int ch)
{
	int f, r;

	if (!signing) {
		if (ch == 'q' || ch == 'Q') {
			/* The archive is the closing step: leaving without it
			 * takes a second q. */
			if (!ui.archived && !unarchived_ok &&
			    (ui.sticks_auto || ui.archive_dir != NULL)) {
				unarchived_ok = 1;
				ui_say(1, "The transcript is not archived yet: a "
				    "archives it, q again leaves without.");
				return;
			}
			ui_quit();
		} else if (ch == 'a' || ch == 'A') {
			if (ui.sticks_auto || ui.archive_dir != NULL)
				ui_goto(UI_SCR_ARCHIVE);
			else
				ui_say(1, "No archive stick or folder: start with "
				    "--sticks auto or --archive DIR, or run "
				    "conclave archive.");
		} else if (ui.roster != NULL && (ch == 's' || ch == 'S')) {
			if (!next_signer()) {
				wi = 0;
				ui_say(1, "No witness has a key file (*.sec.asc) on "
				    "their stick.");
				return;
			}
			signing = ui.typing = 1;
			ui.secret = &passf;
		}
		return;
	}
	if ((f = ui_field_key(&passf, ch)) == 0)
		return;
	if (f > 0) {
		ui_say(0, "Signing...");
		ui_redraw();
		r = sign();
		if (r == CK_ERR_BAD_PASSPHRASE) {
			ui_field_clear(&passf);
			ui_say(1, "Wrong passphrase; type it again.");
			return;
		}
		if (r != CK_OK)
			ui_say_err("The signature failed", r, NULL);
		else {
			signatures++;
			ui_say(0, "%s signed the transcript.",
			    ui_safe(ui.roster->m[wi].name));
		}
		wi++;
	}
	ui_field_clear(&passf);
	signing = ui.typing = 0;
	ui.secret = NULL;
}

const struct ui_screen scr_summary = {
	.title = "Summary",
	.step = "summary",
	.help = "The head hash fixes the whole transcript: any change to any "
	    "record changes it. Witnesses write the words down and initial "
	    "them; `conclave verify` and stock minisign check the file later. "
	    "A witness with an OpenPGP key file on their stick can also sign "
	    "the transcript (s). The closing step, a, copies the transcript "
	    "to the archive stick and verifies it there.",
	.init = summary_init,
	.draw = summary_draw,
	.key = summary_key,
};
