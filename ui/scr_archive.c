/*
 * The archive, the closing step (from the summary, a): the transcript, its
 * signature and public key (and the witnesses' signatures) copied to the
 * archive stick, or to the --archive folder, and verified there
 * (ceremony/archive.h). With --sticks auto the stick that goes in is
 * mounted read-write, written, synced and unmounted, mounted again
 * read-only so the copy is read back from the stick itself, checked, and
 * unmounted before the screen says to remove it. The ceremony is closed
 * by now: a failure is said on the screen, not recorded.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ceremony/archive.h"
#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/words.h"
#include "protocol/minisig.h"
#include "ui/ui.h"

static enum { STICK, DONE } step;
static struct archive_report rep;
static const char *where;	/* the stick, or the folder */

/* Write and check on root; the check on a stick after reading it anew. */
static int
archive(const char *root)
{
	int r;

	if ((r = archive_write(ui.state_dir, root, &rep)) != CK_OK) {
		if (ui.sticks_auto && ui.archive_dir == NULL)
			(void)ui_sticks_release();
		return r;
	}
	if (ui.sticks_auto && ui.archive_dir == NULL) {
		if ((r = ui_sticks_release()) != CK_OK ||
		    (r = ui_archive_reread()) != CK_OK) {
			snprintf(rep.why, sizeof(rep.why), "the archive stick "
			    "could not be read back");
			return r;
		}
		r = archive_check(root, &rep);
		if (ui_sticks_release() != CK_OK && r == CK_OK)
			r = CK_ERR_MEDIA_GONE;
		return r;
	}
	return archive_check(root, &rep);
}

static void
finish(int r)
{
	if (r == CK_OK) {
		ui.status[0] = '\0';	/* the screen says it */
		ui.archived = 1;
		step = DONE;
		return;
	}
	/* One line: the status row is 80 columns; why names the file. */
	ui_say_err(r == CK_ERR_NO_SPACE ? "The archive stick is full" :
	    "Not archived", r, rep.why);
}

static void
archive_init(void)
{
	step = STICK;
	memset(&rep, 0, sizeof(rep));
	where = ui.archive_dir != NULL ? "folder" : "stick";
	if (ui.archive_dir != NULL) {
		finish(archive(ui.archive_dir));
		return;
	}
	ui_sticks_wait();
}

static void
archive_tick(void)
{
	if (step != STICK || ui.archive_dir != NULL || !ui_archive_take(1))
		return;
	ui_say(0, "Archive stick %s: writing...", ui_safe(ui_sticks_label()));
	ui_redraw();
	finish(archive(ui.stick_mount));
}

static void
archive_draw(void)
{
	char id[17], words[WORDS_TEXT_MAX(TRANSCRIPT_HEAD_WORDS)];
	int y = UI_TOP + 1;

	if (step == STICK) {
		if (ui.archive_dir != NULL) {
			ui_text(y, 2, "Archive folder %s", ui_safe(ui.archive_dir));
			ui_para(y + 2, "The copy failed (below). Enter tries again, "
			    "Esc goes back to the summary.");
			ui_hints("Enter try again  Esc back");
			return;
		}
		ui_bold(y, 2, "Insert the archive stick now.");
		ui_para(y + 2, "The transcript, its signature and the public key "
		    "are copied to conclave-archive/ on it, one folder per "
		    "ceremony; the stick is then read back and the copy verified "
		    "as conclave verify does. It is synced and unmounted before "
		    "the screen says to remove it. A holder's stick is refused.");
		ui_hints("Esc back to the summary");
		return;
	}
	minisig_keyid_hex(&rep.key, id);
	if (transcript_head_words(rep.head, words, sizeof(words)) != CK_OK)
		words[0] = '\0';
	ui_bold(y, 2, "Archived and verified on the archive ");
	ui_bold(y, 39, where);
	ui_text(y + 2, 2, "Folder   %s/%.32s/", ARCHIVE_FOLDER, rep.id);
	ui_text(y + 3, 2, "Files    %zu (transcript, signature, public key%s)",
	    rep.files, rep.files > 3 ? ", witnesses'" : "");
	ui_text(y + 4, 2, "Records  %llu, signed by key %s",
	    (unsigned long long)rep.records, id);
	ui_text(y + 5, 2, "Head, as the witnesses wrote it down:");
	attron(A_BOLD);
	y = ui_para(y + 6, words);
	attroff(A_BOLD);
	if (ui.archive_dir == NULL)
		ui_para(y + 1, "The archive stick is synced and unmounted: remove "
		    "it now. `conclave verify` and `minisign -V` check the copy "
		    "on any computer.");
	ui_hints("Enter back to the summary");
}

static void
archive_key(int ch)
{
	if (step == STICK && ui.archive_dir != NULL &&
	    (ch == '\n' || ch == '\r' || ch == KEY_ENTER)) {
		finish(archive(ui.archive_dir));
		return;
	}
	if (ch == 27 || (step == DONE &&
	    (ch == '\n' || ch == '\r' || ch == KEY_ENTER)))
		ui_goto(UI_SCR_SUMMARY);
}

const struct ui_screen scr_archive = {
	.title = "Archive the transcript",
	.step = "summary",
	.help = "The closing step: the archive stick keeps every ceremony's "
	    "transcript of this cluster, each in its own folder, so the next "
	    "ceremony can chain to it and an auditor can check the history. "
	    "The copy is verified where it landed, against the ceremony key. "
	    "A stick that is full or write-protected is said so; another "
	    "stick can be tried.",
	.init = archive_init,
	.draw = archive_draw,
	.key = archive_key,
	.tick = archive_tick,
};
