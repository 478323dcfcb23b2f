/*
 * USB sticks on the appliance (DESIGN §6): found by polling sysfs (no
 * udev), mounted read-only for import and made writable only for an
 * explicit export.
 *
 * A stick is a block device under <sysroot>/block whose sysfs link passes
 * through a USB bus ("usbN" path component). `removable` is reported but
 * not required: QEMU says 1, some real sticks say 0 (see
 * reference/boot-image.md §3). Devices of size 0 (a card reader without a
 * card) are left out. A device that vanishes while being scanned is simply
 * not listed: polling again is how hot-plug is followed.
 *
 * Vendor and model come from the device and are untrusted: they are
 * trimmed and checked with rd_printable_utf8; if that fails every byte
 * outside printable ASCII becomes '?', so they are always safe to show.
 */
#ifndef CONCLAVE_STICK_H
#define CONCLAVE_STICK_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/reader.h"

#define STICK_SYSROOT		"/sys"
#define STICK_NAME_MAX		31	/* kernel block device name */
#define STICK_DEV_MAX		(5 + STICK_NAME_MAX)	/* "/dev/" + name */
#define STICK_LABEL_MAX		64	/* vendor or model, bytes */
#define STICK_ATTR_MAX		256	/* bytes read from one sysfs attribute */
#define STICK_MAX		16	/* sticks listed by one scan */
#define STICK_PARTS_MAX		16	/* partitions listed per stick */
#define STICK_PATH_MAX		256	/* device and mount point paths */

struct stick_part {
	char name[STICK_NAME_MAX + 1];	/* "sda1" */
	char dev[STICK_DEV_MAX + 1];	/* "/dev/sda1" */
	unsigned int number;		/* partition number */
	uint64_t bytes;
};

struct stick {
	char name[STICK_NAME_MAX + 1];	/* "sda" */
	char dev[STICK_DEV_MAX + 1];	/* "/dev/sda" */
	uint64_t bytes;
	int removable;
	int ro;				/* write-protect switch or kernel ro */
	char vendor[STICK_LABEL_MAX + 1];	/* sanitised, may be "" */
	char model[STICK_LABEL_MAX + 1];	/* sanitised, may be "" */
	size_t nparts;			/* 0: a filesystem on the whole disk */
	struct stick_part parts[STICK_PARTS_MAX];	/* by number */
};

struct stick_list {
	size_t n;
	size_t skipped;		/* sticks beyond STICK_MAX, not listed */
	struct stick v[STICK_MAX];	/* sda, sdb, ..., sdz, sdaa */
};

/*
 * Scan <sysroot>/block (STICK_SYSROOT on the appliance; tests pass a fake
 * tree). CK_ERR_NOT_FOUND if <sysroot>/block cannot be opened.
 */
int stick_scan(const char *sysroot, struct stick_list *out) CK_WUR
    __attribute__((nonnull));

/*
 * Where a person inserts a stick, the stick is the one that arrived: the
 * device in now that was not in before (by kernel name). Labels do not
 * choose (two sticks may carry the same one); arrival does. *idx indexes
 * now->v. CK_ERR_NOT_FOUND if nothing arrived, CK_ERR_STATE if more than
 * one did (ask for one stick at a time).
 */
int stick_arrived(const struct stick_list *before,
    const struct stick_list *now, size_t *idx) CK_WUR
    __attribute__((nonnull));

/*
 * The device that holds the stick's filesystem: its first partition, or
 * the whole disk when it has no partition table (nparts 0).
 */
const char *stick_volume(const struct stick *s) __attribute__((nonnull));

#define STICK_FSLABEL_MAX	16	/* ext4's label; vfat's is 11 */

/* A stick's filesystem as its first sectors describe it, unmounted. */
struct stick_id {
	const char *fstype;	/* "vfat", "exfat", "ext4"; NULL: none known */
	char label[STICK_FSLABEL_MAX + 1];	/* sanitised, trimmed, may be "" */
};

/*
 * Read the filesystem type and label from dev's first 2 KiB, without
 * mounting and without writing (O_RDONLY): a person is shown what they
 * put in before anything is mounted. vfat's "NO NAME" reads as "".
 * exFAT keeps its label in the root directory, which is not read: its
 * label is "". The label is untrusted and sanitised as vendor and model
 * are. CK_ERR_MOUNT if no known filesystem is there (a blank stick, or a
 * partition table whose partition was not given), CK_ERR_MEDIA_GONE if the
 * device went away or reads as empty, CK_ERR_TRUNCATED if it is shorter
 * than 2 KiB.
 */
int stick_identify(const char *dev, struct stick_id *id) CK_WUR
    __attribute__((nonnull));

/* A mounted stick; filled by stick_mount, owned by the caller. */
struct stick_mount {
	char dev[STICK_PATH_MAX];
	char dir[STICK_PATH_MAX];
	const char *fstype;	/* "vfat", "exfat" or "ext4" */
	int writable;
	int was_ro;		/* the device's read-only flag before mounting */
};

/*
 * Mount block device dev on the existing directory dir, read-only, nodev,
 * nosuid, noexec, noatime, trying vfat, exFAT and ext4 in turn. The block
 * device itself is set read-only first (BLKROSET), so not even a journal
 * replay writes to the stick; stick_unmount (or a failed mount) clears
 * it again unless the device was read-only to begin with. CK_ERR_MEDIA_GONE if the device is gone,
 * CK_ERR_NOT_REGULAR if dev is not a block device, CK_ERR_MOUNT if no
 * filesystem type mounts.
 */
int stick_mount(const char *dev, const char *dir, struct stick_mount *m)
    CK_WUR __attribute__((nonnull));

/*
 * Make the mounted stick writable (for an explicit export) or read-only
 * again (after syncing it). Only the export step should call this with 1.
 * CK_ERR_READ_ONLY if the device was read-only before we mounted it (a
 * write-protect switch).
 */
int stick_set_writable(struct stick_mount *m, int writable) CK_WUR
    __attribute__((nonnull));

/*
 * Sync and unmount. CK_ERR_STATE if something still uses the mount (it
 * stays mounted), CK_ERR_MEDIA_GONE if the sync failed because the stick
 * went away (it is unmounted all the same).
 */
int stick_unmount(struct stick_mount *m) CK_WUR __attribute__((nonnull));

#endif
