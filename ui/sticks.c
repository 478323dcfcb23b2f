/*
 * --sticks auto: the sticks by the appliance itself (media/stick). Two
 * slots, each a mount point and the sticks that were in when it began to
 * wait: the holder's slot (ui.stick_mount; the archive stick at the end
 * uses it too) and the exchange stick's (ui.exchange).
 *
 * A stick counts when it arrives: one that was in when the wait began does
 * not, until it is taken out and put in again. It is identified before it
 * is mounted (stick_identify), mounted read-only (nodev, nosuid, noexec:
 * stick_mount), looked at (the files it should hold: a holder's stick is
 * not the exchange stick, another ceremony's exchange stick is named as
 * such), and made writable only once accepted and only where the step
 * writes: a refused stick is never written to. Releasing syncs and
 * unmounts before any screen says it may be removed. A refusal is said on
 * the status line and, once the ceremony has begun, put on the transcript:
 * once, as the stick counts again only reinserted.
 *
 * The exchange stick (exchange_tick) crosses to the bridge and back: once
 * the screen waits for the bridge and its answer is not on the stick, the
 * ceremony's folder is closed (session_exchange_close), the stick synced
 * and unmounted, and the screen says to take it over; the stick that
 * comes back must hold this ceremony's folder. Its mount point exists only
 * while it is mounted, so nothing is ever written beside it into RAM.
 */
#include "ui/ui.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ceremony/session.h"
#include "crypto/errors.h"
#include "media/exchange.h"
#include "media/stick.h"
#include "protocol/kinds.h"

struct slot {
	struct stick_list seen;	/* the sticks in when the wait began */
	struct stick_mount mnt;
	int mounted;
	char name[STICK_NAME_MAX + 1];	/* the mounted stick's device */
	char label[2 * UI_COLS];
};

static struct slot holder, exch;

/* The exchange stick: in and mounted, synced and waiting to be pulled,
 * or away (at the bridge, or not brought yet). */
static enum { X_AWAY, X_IN, X_OUT } xstate;
static int started;	/* the sticks in at start looked at */

static int
release(struct slot *sl, const char *dir)
{
	int r;

	if (!sl->mounted)
		return CK_OK;
	r = stick_unmount(&sl->mnt);
	if (r != CK_ERR_STATE) {
		sl->mounted = 0;
		/* The exchange stick's mount point goes with it. */
		if (sl == &exch)
			(void)rmdir(dir);
	}
	if (stick_scan(ui.sysfs, &sl->seen) != CK_OK)
		sl->seen.n = 0;
	return r;
}

/* A holder's key or share file at the top of dir. */
static int
holder_files(const char *dir)
{
	char *f = NULL;
	int found = ui_find_secret_key(dir, &f) == CK_OK ||
	    ui_find_share_file(dir, &f) == CK_OK;

	free(f);
	return found;
}

/*
 * Is the stick mounted on dir the exchange stick? Before the ceremony any
 * stick but a holder's; once it has begun, only one with its folder.
 */
/*
 * At start every stick in counts as arriving (the exchange stick is often
 * in from power-on), except one with no file system the appliance knows:
 * the medium the appliance booted from (an ISO) stays in unnoticed.
 */
static void
ignore_unknown(void)
{
	struct stick_list now;
	struct stick_id id;
	size_t i;

	exch.seen.n = 0;
	if (stick_scan(ui.sysfs, &now) != CK_OK)
		return;
	for (i = 0; i < now.n; i++)
		if (stick_identify(stick_volume(&now.v[i]), &id) != CK_OK)
			exch.seen.v[exch.seen.n++] = now.v[i];
}

static int
exchange_accept(const char *dir, char *why, size_t whylen)
{
	struct exch_ceremonies c;
	size_t i;
	int mine = 0, r;

	if ((r = exch_list_ceremonies(dir, &c)) != CK_OK)
		return r;
	for (i = 0; ui.s != NULL && i < c.n; i++)
		mine |= memcmp(c.ids[i], ui.s->id, EXCH_ID_LEN) == 0;
	r = CK_OK;
	if (ui.s != NULL && !mine && c.n > 0) {
		snprintf(why, whylen, "the exchange stick of another ceremony "
		    "(%02x%02x%02x%02x...)", c.ids[0][0], c.ids[0][1],
		    c.ids[0][2], c.ids[0][3]);
		r = CK_ERR_WRONG_CEREMONY;
	} else if (!mine && holder_files(dir)) {
		snprintf(why, whylen, "a holder's stick (a key or share file "
		    "is on it)");
		r = CK_ERR_BAD_TYPE;
	} else if (ui.s != NULL && !mine) {
		snprintf(why, whylen, "not this ceremony's exchange stick (no "
		    "folder %.8s... on it)", ui.s->id_hex);
		r = CK_ERR_BAD_TYPE;
	}
	exch_ceremonies_free(&c);
	return r;
}

/* The archive stick: anything but a holder's stick. */
static int
archive_accept(const char *dir, char *why, size_t whylen)
{
	if (!holder_files(dir))
		return CK_OK;
	snprintf(why, whylen, "a holder's stick (a key or share file is on it)");
	return CK_ERR_BAD_TYPE;
}

/*
 * A stick that arrived in sl, mounted on dir: CK_OK, or why not (see
 * ui_sticks_poll). accept (may be NULL) looks at the read-only mount
 * first; a refused stick is unmounted with why said.
 */
static int
slot_poll(struct slot *sl, const char *dir, int writable,
    int (*accept)(const char *, char *, size_t), char *why, size_t whylen)
{
	struct stick_list now;
	struct stick_id id;
	const struct stick *s;
	const char *dev;
	size_t i;
	int r;

	why[0] = '\0';
	if (sl->mounted)
		return CK_ERR_STATE;
	if ((r = stick_scan(ui.sysfs, &now)) != CK_OK)
		return r;
	r = stick_arrived(&sl->seen, &now, &i);
	/* One that left counts again when it comes back; one that came and
	 * would not mount (or came with another) counts again only then too. */
	sl->seen = now;
	if (r != CK_OK)
		return r;
	s = &now.v[i];
	dev = stick_volume(s);
	if ((r = stick_identify(dev, &id)) != CK_OK)
		return r;
	/* Cut to a line: vendor, model and label are the stick's own words. */
	snprintf(sl->label, sizeof(sl->label), "%.12s %.8s %.16s \"%s\", %llu MB",
	    dev, s->vendor, s->model, id.label,
	    (unsigned long long)(s->bytes >> 20));
	snprintf(sl->name, sizeof(sl->name), "%s", s->name);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return CK_ERR_IO;
	if ((r = stick_mount(dev, dir, &sl->mnt)) != CK_OK) {
		if (sl == &exch)
			(void)rmdir(dir);
		/* Busy: mounted already, by something else than this process
		 * (one conclave ui per machine handles sticks: cmd_ui). */
		if (r == CK_ERR_STATE)
			snprintf(why, whylen, "a stick mounted elsewhere on this "
			    "machine");
		return r;
	}
	sl->mounted = 1;
	if ((accept != NULL && (r = accept(dir, why, whylen)) != CK_OK) ||
	    (writable && (r = stick_set_writable(&sl->mnt, 1)) != CK_OK)) {
		(void)release(sl, dir);
		sl->seen = now;
		return r;
	}
	return CK_OK;
}

/* A refusal: on the status line, and on the record once. */
static void
refused(const char *what, int r, const char *why)
{
	if (ui.s != NULL)
		(void)session_reject_why(ui.s, what, r, why, KIND_ACTOR_APPLIANCE);
	if (why[0] != '\0')
		ui_say(1, "This is %s (%s): take it out.", why, ck_errname(r));
	else if (r == CK_ERR_MOUNT)
		ui_say(1, "No vfat, exFAT or ext4 file system on this stick "
		    "(CK_ERR_MOUNT): try another.");
	else if (r == CK_ERR_STATE)
		ui_say(1, "Two sticks came in at once (CK_ERR_STATE): take both "
		    "out, then one.");
	else if (r == CK_ERR_READ_ONLY)
		/* One line: the status row is 80 columns. */
		ui_say(1, "The stick is write-protected (CK_ERR_READ_ONLY): "
		    "slide its switch, reinsert.");
	else
		ui_say(1, "The stick could not be mounted (%s): reinsert it, or "
		    "try another.", ck_errname(r));
}

int
ui_sticks_release(void)
{
	int r = release(&holder, ui.stick_mount);

	holder.label[0] = '\0';
	return r;
}

void
ui_sticks_wait(void)
{
	if (stick_scan(ui.sysfs, &holder.seen) != CK_OK)
		holder.seen.n = 0;
	holder.label[0] = '\0';
}

int
ui_sticks_poll(struct ui_field *folder, int writable)
{
	char why[UI_COLS];
	int r;

	if ((r = slot_poll(&holder, ui.stick_mount, writable, NULL, why,
	    sizeof(why))) != CK_OK)
		return r;
	ui_field_set(folder, ui.stick_mount);
	return CK_OK;
}

const char *
ui_sticks_label(void)
{
	return holder.label;
}

int
ui_sticks_take(struct ui_field *folder, int writable, char **keyfile)
{
	int r;

	if (!ui.sticks_auto ||
	    (r = ui_sticks_poll(folder, writable)) == CK_ERR_NOT_FOUND)
		return 0;
	if (r != CK_OK) {
		refused("stick", r, "");
		return 0;
	}
	ui_say(0, "Stick %s, mounted %s.", ui_safe(ui_sticks_label()),
	    writable ? "read-write" : "read-only");
	ui_stick_keyfile(folder, keyfile);
	return 1;
}

void
ui_sticks_done(void)
{
	int r;

	if (ui.sticks_auto && (r = ui_sticks_release()) != CK_OK)
		ui_say_err("The stick could not be unmounted", r,
		    r == CK_ERR_MEDIA_GONE ? "it was pulled too early" : NULL);
}

int
ui_archive_take(int writable)
{
	char why[UI_COLS];
	int r;

	r = slot_poll(&holder, ui.stick_mount, writable, archive_accept, why,
	    sizeof(why));
	if (r == CK_ERR_NOT_FOUND)
		return 0;
	if (r != CK_OK) {
		refused("archive-stick", r, why);
		return 0;
	}
	return 1;
}

int
ui_archive_done(void)
{
	int r = ui_sticks_release();

	if (stick_scan(ui.sysfs, &exch.seen) != CK_OK)
		exch.seen.n = 0;
	return r;
}

int
ui_archive_reread(void)
{
	char dev[sizeof(holder.mnt.dev)];
	int r;

	if (holder.mounted)
		return CK_ERR_STATE;
	/* stick_mount fills the struct it is given: the name copied first. */
	memcpy(dev, holder.mnt.dev, sizeof(dev));
	if ((r = stick_mount(dev, ui.stick_mount, &holder.mnt)) != CK_OK)
		return r;
	holder.mounted = 1;
	return CK_OK;
}

/* Is the device named name still in? */
static int
still_in(const char *name)
{
	struct stick_list now;
	size_t i;

	if (stick_scan(ui.sysfs, &now) != CK_OK)
		return 1;	/* cannot tell: leave it be */
	for (i = 0; i < now.n; i++)
		if (strcmp(now.v[i].name, name) == 0)
			return 1;
	return 0;
}

static void
exchange_out(void)
{
	int r;

	if (ui.s != NULL)
		session_exchange_close(ui.s);
	r = release(&exch, ui.exchange);
	if (r == CK_ERR_STATE) {
		ui_say_err("The exchange stick could not be unmounted", r,
		    "something still has a file open on it");
		return;
	}
	if (r == CK_ERR_MEDIA_GONE) {
		ui_say(1, "The exchange stick was pulled before it was unmounted "
		    "(CK_ERR_MEDIA_GONE): put it back in. An envelope on it is "
		    "whole or absent, never torn.");
		xstate = X_AWAY;
		return;
	}
	xstate = X_OUT;
	/* Synced by the unmount; one line, the status row is 80 columns. */
	ui_say(0, ui.closed ? "The exchange stick is unmounted: remove it now." :
	    "The exchange stick is unmounted: remove it now and take it to the "
	    "bridge.");
}

void
ui_exchange_tick(int waiting)
{
	char why[UI_COLS];
	int r;

	if (!ui.exchange_auto)
		return;
	switch (xstate) {
	case X_IN:
		if (!still_in(exch.name)) {
			if (ui.s != NULL)
				session_exchange_close(ui.s);
			(void)release(&exch, ui.exchange);
			xstate = X_AWAY;
			ui_say(1, "The exchange stick was pulled before it was "
			    "unmounted (CK_ERR_MEDIA_GONE): put it back in. An "
			    "envelope on it is whole or absent, never torn.");
			return;
		}
		/* Done with it: the bridge's turn, and not answered yet. */
		if (ui.closed || (waiting && !ui_envelope_waiting()))
			exchange_out();
		return;
	case X_OUT:
		if (!still_in(exch.name)) {
			xstate = X_AWAY;
			if (stick_scan(ui.sysfs, &exch.seen) != CK_OK)
				exch.seen.n = 0;
			if (!ui.closed)
				ui_say(0, "Bring the exchange stick back once "
				    "conclave-bridge has written its answer.");
		}
		return;
	case X_AWAY:
		/* Before the ceremony, and while the bridge has it. */
		if (ui.closed || (ui.s != NULL && !waiting))
			return;
		if (!started) {
			started = 1;
			ignore_unknown();
		}
		r = slot_poll(&exch, ui.exchange, 0, exchange_accept, why,
		    sizeof(why));
		if (r == CK_ERR_NOT_FOUND)
			return;
		/* Checked read-only, written only once it is the right one. */
		if (r == CK_OK && (r = stick_set_writable(&exch.mnt, 1)) != CK_OK) {
			/* Said apart: a switch, or the kernel refusing the remount. */
			if (!exch.mnt.was_ro)
				snprintf(why, sizeof(why), "a stick the kernel will "
				    "not mount read-write");
			(void)release(&exch, ui.exchange);
		}
		if (r != CK_OK) {
			refused("exchange-stick", r, why);
			return;
		}
		xstate = X_IN;
		ui_say(0, "Exchange stick in, mounted read-write: %s.",
		    ui_safe(exch.label));
		return;
	}
}

int
ui_exchange_in(void)
{
	return !ui.exchange_auto || xstate == X_IN;
}

void
ui_exchange_release(void)
{
	if (ui.exchange_auto && exch.mounted) {
		if (ui.s != NULL)
			session_exchange_close(ui.s);
		(void)release(&exch, ui.exchange);
	}
}
