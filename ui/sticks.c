/*
 * --sticks auto: a holder's stick by the appliance itself (media/stick).
 * While a screen waits for a stick, every tick scans sysfs; a stick that
 * was not there when the wait began is mounted read-only (nodev, nosuid,
 * noexec: stick_mount) on ui.stick_mount, read-write only for the handout
 * that writes the share to it, and its mount point stands in for the
 * folder a rehearsal types. Releasing syncs and unmounts it before the
 * screen says it may be removed. A stick in already when the wait began
 * (the exchange stick, the previous holder's) does not count: taking it out
 * and putting it in again does. A refused stick (blank, write-protected,
 * two at once) is said on the status line and, once the ceremony has
 * begun, put on the transcript: once, as it counts again only reinserted.
 */
#include "ui/ui.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ceremony/session.h"
#include "crypto/errors.h"
#include "media/stick.h"
#include "protocol/kinds.h"

static struct stick_list seen;	/* the sticks in when the wait began */
static struct stick_mount mnt;
static int mounted;
static char label[2 * UI_COLS];

int
ui_sticks_release(void)
{
	int r;

	if (!mounted)
		return CK_OK;
	r = stick_unmount(&mnt);
	if (r != CK_ERR_STATE)
		mounted = 0;
	ui_sticks_wait();
	return r;
}

void
ui_sticks_wait(void)
{
	if (stick_scan(ui.sysfs, &seen) != CK_OK)
		seen.n = 0;
	label[0] = '\0';
}

int
ui_sticks_poll(struct ui_field *folder, int writable)
{
	struct stick_list now;
	struct stick_id id;
	const struct stick *s;
	const char *dev;
	size_t i;
	int r;

	if (mounted)
		return CK_ERR_STATE;
	if ((r = stick_scan(ui.sysfs, &now)) != CK_OK)
		return r;
	r = stick_arrived(&seen, &now, &i);
	/* One that left counts again when it comes back; one that came and
	 * would not mount (or came with another) counts again only then too. */
	seen = now;
	if (r != CK_OK)
		return r;
	s = &now.v[i];
	dev = stick_volume(s);
	if ((r = stick_identify(dev, &id)) != CK_OK)
		return r;
	/* Cut to a line: vendor, model and label are the stick's own words. */
	snprintf(label, sizeof(label), "%.12s %.8s %.16s \"%s\", %llu MB",
	    dev, s->vendor, s->model, id.label,
	    (unsigned long long)(s->bytes >> 20));
	if (mkdir(ui.stick_mount, 0700) != 0 && errno != EEXIST)
		return CK_ERR_IO;
	if ((r = stick_mount(dev, ui.stick_mount, &mnt)) != CK_OK)
		return r;
	mounted = 1;
	/* Read-write only for the step that writes to it (the handout). */
	if (writable && (r = stick_set_writable(&mnt, 1)) != CK_OK) {
		(void)ui_sticks_release();
		return r;
	}
	ui_field_set(folder, ui.stick_mount);
	return CK_OK;
}

const char *
ui_sticks_label(void)
{
	return label;
}

int
ui_sticks_take(struct ui_field *folder, int writable, char **keyfile)
{
	int r;

	if (!ui.sticks_auto ||
	    (r = ui_sticks_poll(folder, writable)) == CK_ERR_NOT_FOUND)
		return 0;
	/* A refused stick counts again only once reinserted: recorded once. */
	if (r != CK_OK && ui.s != NULL)
		(void)session_reject(ui.s, "stick", r, KIND_ACTOR_APPLIANCE);
	if (r == CK_ERR_MOUNT) {
		ui_say(1, "No vfat, exFAT or ext4 file system on this stick "
		    "(CK_ERR_MOUNT): try another.");
		return 0;
	}
	if (r == CK_ERR_STATE) {
		ui_say(1, "Two sticks came in at once (CK_ERR_STATE): take both out, "
		    "then one.");
		return 0;
	}
	if (r == CK_ERR_READ_ONLY) {
		/* One line: the status row is 80 columns. */
		ui_say(1, "The stick is write-protected (CK_ERR_READ_ONLY): "
		    "slide its switch, reinsert.");
		return 0;
	}
	if (r != CK_OK) {
		ui_say(1, "The stick could not be mounted (%s): reinsert it, or "
		    "try another.", ck_errname(r));
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
