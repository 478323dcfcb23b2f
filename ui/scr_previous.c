/*
 * The previous ceremony from the archive (from the start screen, p): the
 * booted appliance starts the UI with fixed options, so the cluster's
 * previous transcript comes from the archive stick the closing step wrote
 * (ui/scr_archive.c), or from the --archive folder. Every ceremony
 * archived there is verified (archive_list); the chain's head, the one no
 * other archived transcript names as its previous, is proposed, and with
 * several heads the room picks one from a list that scrolls. One that
 * does not verify is listed as not usable and refused if picked, by name;
 * the others stay usable. It is taken exactly as
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

#define PICK_ROWS	11	/* the list's rows, above a status of 3 rows */
#define PICK_WHY_COLS	26	/* a row's error, after kind and id */

static enum { STICK, PICK, DONE } step;
static struct archive_list list;
static size_t sel;		/* PICK: the chosen one, an index in list */
static size_t top;		/* PICK: the first row shown */
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

/* PICK: sel moved by d rows (clamped), the list scrolled to show it. */
static void
pick_move(long d)
{
	long to = (long)sel + d, last = (long)list.n - 1;

	sel = (size_t)(to < 0 ? 0 : to > last ? last : to);
	if (sel < top)
		top = sel;
	else if (sel >= top + PICK_ROWS)
		top = sel - PICK_ROWS + 1;
}

/* PICK, Enter: a ceremony that does not verify is never taken. */
static void
pick(void)
{
	const struct archive_entry *e = &list.e[sel];
	char what[80];

	if (e->err == CK_OK) {
		take(sel);
		return;
	}
	snprintf(what, sizeof(what), "Archived ceremony %.32s is not usable",
	    ui_safe(e->id));
	ui_say_err(what, e->err, e->why);
}

static void
read_archive(void)
{
	int r;

	if ((r = archive_list(root(), &list)) != CK_OK) {
		done_with_stick();
		ui_say_err("No previous ceremony taken", r, list.why);
		return;
	}
	if (list.heads == 1 && list.bad == 0) {
		take(0);
		return;
	}
	/* The latest head chosen (the ones not usable are above it). */
	ui.status[0] = '\0';
	sel = top = 0;
	pick_move(list.bad < list.n ? (long)list.bad : 0);
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

/* The list from row y: PICK_ROWS rows of it, where sel is, and why. */
static void
draw_pick(int y)
{
	const struct archive_entry *e;
	char more[80];
	size_t i;

	if (list.bad == 0)
		ui_text(y, 2, "The archive holds %zu chains: which one is this "
		    "cluster's?", list.heads);
	else if (list.heads == 1)
		ui_text(y, 2, "The archive holds 1 chain and %zu not usable: "
		    "is it this cluster's?", list.bad);
	else if (list.heads == 0)
		ui_text(y, 2, "No ceremony in the archive verifies: none can be "
		    "taken.");
	else
		ui_text(y, 2, "The archive holds %zu chains and %zu not usable: "
		    "which is this cluster's?", list.heads, list.bad);
	ui_text(y + 1, 4, "%-14s %-32s  %s", "kind", "ceremony id", "closed");
	y += 2;
	for (i = top; i < list.n && i < top + PICK_ROWS; i++, y++) {
		e = &list.e[i];
		if (i == sel)
			attron(A_REVERSE);
		if (e->err == CK_OK)
			ui_text(y, 4, "%-14.14s %.32s  %.19s", ui_safe(e->kind),
			    e->id, ui_safe(e->closed));
		else	/* the message if it fits, else its name; Enter says all */
			ui_text(y, 4, "%-14.14s %.32s  %s", "NOT USABLE", e->id,
			    strlen(ck_strerror(e->err)) <= PICK_WHY_COLS ?
			    ck_strerror(e->err) : ck_errname(e->err));
		if (i == sel)
			attroff(A_REVERSE);
	}
	snprintf(more, sizeof(more), "%s%s", top > 0 ? "  more above" : "",
	    top + PICK_ROWS < list.n ? "  more below" : "");
	ui_text(UI_TOP + 3 + PICK_ROWS, 4, "%zu of %zu%s", sel + 1, list.n,
	    more);
	if (list.unlisted > 0)
		ui_text(UI_TOP + 4 + PICK_ROWS, 4, "%zu older not listed "
		    "(the latest %d are)", list.unlisted, ARCHIVE_LIST_MAX);
	ui_para(UI_TOP + 5 + PICK_ROWS, list.bad == 0 ? "Each is the latest "
	    "of its chain; take the one the room's paper record names." :
	    "Each is the latest of its chain; take the one the room's paper "
	    "record names. One NOT USABLE did not verify: it cannot be taken.");
	ui_hints("Up/Down PgUp/PgDn choose  Enter take  Esc back");
}

static void
previous_draw(void)
{
	int y = UI_TOP + 1;

	if (step == STICK && from_stick()) {
		ui_bold(y, 2, "Insert the archive stick now.");
		ui_para(y + 2, "The ceremonies archived on it (conclave-archive/) "
		    "are each verified; the latest of the chain, the one no "
		    "other names as its previous, becomes this ceremony's "
		    "previous transcript, as --previous-transcript does; one "
		    "that does not verify cannot be taken. The "
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
		draw_pick(y);
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
		pick_move(-1);
	else if (step == PICK && ch == KEY_DOWN)
		pick_move(1);
	else if (step == PICK && ch == KEY_PPAGE)
		pick_move(-PICK_ROWS);
	else if (step == PICK && ch == KEY_NPAGE)
		pick_move(PICK_ROWS);
	else if (step == PICK && ch == KEY_HOME)
		pick_move(-(long)list.n);
	else if (step == PICK && ch == KEY_END)
		pick_move((long)list.n);
	else if (step == PICK && enter)
		pick();
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
	    "the one the paper record of the last ceremony names (Up/Down, "
	    "PgUp/PgDn, Home/End). A transcript that does not verify is "
	    "listed as NOT USABLE and cannot be taken; a stick that holds no "
	    "archive is refused. Nothing changes either way.",
	.init = previous_init,
	.draw = previous_draw,
	.key = previous_key,
	.tick = previous_tick,
};
