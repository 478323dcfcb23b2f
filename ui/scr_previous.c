/*
 * The previous ceremony from the archive (from the start screen, p): the
 * booted appliance starts the UI with fixed options, so the cluster's
 * previous transcript comes from the archive stick the closing step wrote
 * (ui/scr_archive.c), or from the --archive folder. Every ceremony
 * archived there is verified (archive_list); the chain's head, the one no
 * other archived transcript names as its previous, is proposed, and with
 * several heads the room picks one. It is taken exactly as
 * --previous-transcript takes it (ui_take_previous). With --sticks auto
 * the stick is mounted read-only and unmounted before the screen says to
 * remove it. No ceremony is open yet: a refusal is said on the screen.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/archive.h"
#include "ceremony/session.h"
#include "crypto/errors.h"
#include "ui/ui.h"

static enum { STICK, PICK, DONE } step;
static struct archive_list list;
static size_t sel;		/* PICK: the chosen head, an index in list */
static const struct archive_entry *taken;

static int
from_stick(void)
{
	return ui.sticks_auto && ui.archive_dir == NULL;
}

static const char *
root(void)
{
	return from_stick() ? ui.stick_mount : ui.archive_dir;
}

/* The stick unmounted, or the folder left alone. */
static void
done_with_stick(void)
{
	int r;

	if (from_stick() && (r = ui_archive_done()) != CK_OK)
		ui_say_err("The archive stick could not be unmounted", r,
		    r == CK_ERR_MEDIA_GONE ? "it was pulled too early" : NULL);
}

static void
take(size_t i)
{
	char why[512], *path = NULL;
	int r;

	if (asprintf(&path, "%s/%s/%s/%s", root(), ARCHIVE_FOLDER,
	    list.e[i].id, SESSION_TRANSCRIPT) < 0) {
		path = NULL;
		r = CK_ERR_ALLOC;
		why[0] = '\0';
	} else
		r = ui_take_previous(path, why, sizeof(why));
	free(path);
	done_with_stick();
	if (r != CK_OK) {
		step = STICK;
		ui_say_err("Previous transcript refused", r, why);
		return;
	}
	taken = &list.e[i];
	step = DONE;
	ui_say(0, "Previous ceremony taken: %s %.8s...%s",
	    ui_safe(taken->kind), taken->id, from_stick() ?
	    " Remove the archive stick." : "");
}

/* The next head from i on (wrapping), for PICK. */
static size_t
next_head(size_t i, int dir)
{
	size_t k, n = list.n;

	for (k = 1; k <= n; k++) {
		size_t j = (i + n + (size_t)dir * k) % n;

		if (list.e[j].is_head)
			return j;
	}
	return i;
}

static void
read_archive(void)
{
	size_t i;
	int r;

	if ((r = archive_list(root(), &list)) != CK_OK) {
		done_with_stick();
		ui_say_err("No previous ceremony taken", r, list.why);
		return;
	}
	for (i = 0; !list.e[i].is_head; i++)
		;
	if (list.heads == 1) {
		take(i);
		return;
	}
	sel = i;
	step = PICK;
}

static void
previous_init(void)
{
	step = STICK;
	taken = NULL;
	memset(&list, 0, sizeof(list));
	if (from_stick())
		ui_sticks_wait();
	else
		read_archive();
}

static void
previous_tick(void)
{
	if (step != STICK || !from_stick() || !ui_archive_take(0))
		return;
	ui_say(0, "Archive stick %s: reading...", ui_safe(ui_sticks_label()));
	ui_redraw();
	read_archive();
}

static void
previous_draw(void)
{
	int y = UI_TOP + 1;
	size_t i;

	if (step == STICK && from_stick()) {
		ui_bold(y, 2, "Insert the archive stick now.");
		ui_para(y + 2, "The ceremonies archived on it (conclave-archive/) "
		    "are each verified; the latest of the chain, the one no "
		    "other names as its previous, becomes this ceremony's "
		    "previous transcript, as --previous-transcript does. The "
		    "stick is mounted read-only and unmounted before the screen "
		    "says to remove it. A holder's stick is refused.");
		ui_hints("Esc back to the start");
		return;
	}
	if (step == STICK) {
		ui_text(y, 2, "Archive folder %s", ui_safe(ui.archive_dir));
		ui_para(y + 2, "No previous ceremony was taken from it (below). "
		    "Enter reads it again, Esc goes back to the start.");
		ui_hints("Enter read again  Esc back");
		return;
	}
	if (step == PICK) {
		ui_text(y, 2, "The archive holds %zu chains: which one is this "
		    "cluster's?", list.heads);
		y += 2;
		for (i = 0; i < list.n && y < UI_TOP + 16; i++) {
			if (!list.e[i].is_head)
				continue;
			if (i == sel)
				attron(A_REVERSE);
			ui_text(y++, 4, "%-14.14s %.32s  %.19s",
			    ui_safe(list.e[i].kind), list.e[i].id,
			    ui_safe(list.e[i].closed));
			if (i == sel)
				attroff(A_REVERSE);
		}
		ui_para(y + 1, "Each is the latest of its chain (kind, ceremony "
		    "id, closed); take the one the room's paper record names.");
		ui_hints("Up/Down choose  Enter take  Esc back");
		return;
	}
	ui_bold(y, 2, "Previous ceremony taken from the archive");
	ui_text(y + 2, 2, "Ceremony  %s %s", ui_safe(taken->kind), taken->id);
	ui_text(y + 3, 2, "Closed    %s", ui_safe(taken->closed));
	y = ui_previous(y + 5);
	if (from_stick())
		ui_para(y + 1, "The archive stick is unmounted: remove it now.");
	ui_hints("Enter back to the start");
}

static void
previous_key(int ch)
{
	int enter = ch == '\n' || ch == '\r' || ch == KEY_ENTER;

	if (step == PICK && ch == KEY_UP)
		sel = next_head(sel, -1);
	else if (step == PICK && ch == KEY_DOWN)
		sel = next_head(sel, 1);
	else if (step == PICK && enter)
		take(sel);
	else if (step == STICK && !from_stick() && enter)
		read_archive();
	else if (ch == 27 || (step == DONE && enter)) {
		if (step == PICK)
			done_with_stick();
		ui_goto(UI_SCR_START);
	}
}

const struct ui_screen scr_previous = {
	.title = "Previous ceremony from the archive",
	.step = "start",
	.help = "The next ceremony chains to the cluster's previous one: its "
	    "transcript, verified, names the holders a share is accepted "
	    "from. On the appliance it comes from the archive stick the "
	    "closing step wrote. With several chains archived there, pick "
	    "the one the paper record of the last ceremony names. A stick "
	    "that holds no archive, or a transcript that does not verify, "
	    "is refused and nothing changes.",
	.init = previous_init,
	.draw = previous_draw,
	.key = previous_key,
	.tick = previous_tick,
};
