/*
 * media/stick.
 *
 * Detection runs against a fake sysfs tree built in a temp directory:
 * that tests the parsing and the selection rules, not hot-plug. Real
 * hot-plug (a virtual USB stick appearing in a booted image) is exercised
 * by the QEMU image test under image/.
 *
 * Mounting runs against real loop devices when this process may create
 * them (root, /dev/loop-control, losetup, mkfs): a fresh image is mounted
 * read-only through stick_mount, made writable for an export written with
 * exch_*, unmounted and read back; then the backing store is cut away
 * under the mounted filesystem to stand in for a yanked stick. Without
 * loop devices those tests are reported as SKIPPED (never as passed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "crypto/errors.h"
#include "media/exchange.h"
#include "media/stick.h"

#define USB_A	"devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host0/" \
		"target0:0:0/0:0:0:0"
#define USB_B	"devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/host1/" \
		"target1:0:0/1:0:0:0"
#define ATA	"devices/pci0000:00/0000:00:1f.2/ata1/host2/target2:0:0/" \
		"2:0:0:0"

static char tmp[64];
static char loopdev[64];	/* attached by the running test, if any */

/* ---- fake sysfs ---- */

static void
mkp(const char *rel)
{
	char p[512];
	size_t i;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	for (i = strlen(tmp) + 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
		p[i] = '/';
	}
	assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
}

static void
wr(const char *dir, const char *file, const char *content)
{
	char p[512];
	FILE *f;

	mkp(dir);
	snprintf(p, sizeof(p), "%s/%s/%s", tmp, dir, file);
	assert_non_null(f = fopen(p, "w"));
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static void
ln(const char *rel, const char *target)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	assert_int_equal(symlink(target, p), 0);
}

/*
 * A disk as the kernel shows it: the device directory under devices/ with
 * its block node, /sys/block/<name> a relative link to it, and the SCSI
 * device's vendor and model beside it. size NULL leaves the size out.
 */
static void
disk(const char *devpath, const char *name, const char *size,
    const char *removable)
{
	char d[400], link[400];

	snprintf(d, sizeof(d), "%s/block/%s", devpath, name);
	mkp(d);
	if (size != NULL)
		wr(d, "size", size);
	wr(d, "removable", removable);
	wr(d, "ro", "0\n");
	mkp("block");
	snprintf(link, sizeof(link), "block/%s", name);
	snprintf(d, sizeof(d), "../%s/block/%s", devpath, name);
	ln(link, d);
	snprintf(d, sizeof(d), "%s/block/%s/device", devpath, name);
	ln(d, "../..");
}

static void
part(const char *devpath, const char *disk, const char *name,
    const char *num, const char *size)
{
	char d[400];

	snprintf(d, sizeof(d), "%s/block/%s/%s", devpath, disk, name);
	wr(d, "partition", num);
	wr(d, "size", size);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "%s", "/tmp/test_stick.XXXXXX");
	return mkdtemp(tmp) == NULL ? -1 : 0;
}

/* Also after a failed assertion: no mount or loop device outlives a test. */
static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s/mnt", tmp);
	(void)umount2(cmd, MNT_DETACH);
	if (loopdev[0] != '\0') {
		/* The kernel ro flag would outlive the loop device's use. */
		snprintf(cmd, sizeof(cmd), "blockdev --setrw '%s'; losetup -d '%s'",
		    loopdev, loopdev);
		loopdev[0] = '\0';
		if (system(cmd) != 0)
			return -1;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- detection ---- */

static void
finds_usb_sticks_and_their_partitions(void **state)
{
	struct stick_list *l = malloc(sizeof(*l));
	const struct stick *s;

	(void)state;
	assert_non_null(l);
	disk(USB_A, "sda", "15633408\n", "1\n");
	wr(USB_A, "vendor", "SanDisk \n");
	wr(USB_A, "model", "Cruzer Blade    \n");
	part(USB_A, "sda", "sda1", "1\n", "2048\n");
	part(USB_A, "sda", "sda10", "10\n", "4096\n");
	part(USB_A, "sda", "sda2", "2\n", "1024\n");
	mkp(USB_A "/block/sda/queue");		/* not partitions */
	mkp(USB_A "/block/sda/power");
	wr(USB_A "/block/sda/holders", "size", "7\n");

	assert_int_equal(stick_scan(tmp, l), CK_OK);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->skipped, 0);
	s = &l->v[0];
	assert_string_equal(s->name, "sda");
	assert_string_equal(s->dev, "/dev/sda");
	assert_int_equal(s->bytes, 15633408ULL * 512);
	assert_int_equal(s->removable, 1);
	assert_int_equal(s->ro, 0);
	assert_string_equal(s->vendor, "SanDisk");
	assert_string_equal(s->model, "Cruzer Blade");
	assert_int_equal(s->nparts, 3);
	assert_string_equal(s->parts[0].name, "sda1");
	assert_string_equal(s->parts[0].dev, "/dev/sda1");
	assert_int_equal(s->parts[0].bytes, 2048 * 512);
	assert_string_equal(s->parts[1].name, "sda2");
	assert_string_equal(s->parts[2].name, "sda10");
	assert_int_equal(s->parts[2].number, 10);
	free(l);
}

static void
selection_rules(void **state)
{
	struct stick_list *l = malloc(sizeof(*l));

	(void)state;
	assert_non_null(l);
	/* USB, removable=0 (some real sticks): listed. */
	disk(USB_B, "sdc", "1000\n", "0\n");
	/* USB card reader without a card: not listed. */
	disk(USB_A, "sdb", "0\n", "1\n");
	/* USB, but its size vanished mid-scan: not listed, no error. */
	disk(USB_A, "sdd", NULL, "1\n");
	/* Removable but not on USB (SATA optical drive): not listed. */
	disk(ATA, "sr0", "2000\n", "1\n");
	/* Not on a bus at all, and a "usb" component without a number. */
	disk("devices/virtual", "loop0", "2000\n", "0\n");
	disk("devices/virtual/usb/x", "zram0", "2000\n", "0\n");
	disk("devices/virtual/usbmisc/x", "zram1", "2000\n", "0\n");
	/* Names sort the kernel's way: sdz before sdaa. */
	disk(USB_B, "sdaa", "1000\n", "1\n");
	disk(USB_B, "sdz", "1000\n", "1\n");
	/* A name that is not a kernel name is not used in a path. */
	disk(USB_B, "sd;rm", "1000\n", "1\n");

	assert_int_equal(stick_scan(tmp, l), CK_OK);
	assert_int_equal(l->n, 3);
	assert_string_equal(l->v[0].name, "sdc");
	assert_int_equal(l->v[0].removable, 0);
	assert_int_equal(l->v[0].nparts, 0);	/* whole-disk filesystem */
	assert_string_equal(l->v[0].vendor, "");
	assert_string_equal(l->v[1].name, "sdz");
	assert_string_equal(l->v[2].name, "sdaa");
	free(l);
}

static void
labels_are_sanitised(void **state)
{
	struct stick_list *l = malloc(sizeof(*l));

	(void)state;
	assert_non_null(l);
	disk(USB_A, "sda", "100\n", "1\n");
	wr(USB_A, "vendor", "Zo\xc3\xab\n");		/* printable UTF-8 */
	wr(USB_A, "model", "Evil\x1b[2J\x9b" "1m\n");	/* escapes */
	disk(USB_B, "sdb", "100\n", "1\n");
	wr(USB_B, "vendor", "\xff\xfe");		/* not UTF-8 */
	wr(USB_B, "model", "0123456789012345678901234567890123456789"
	    "012345678901234567890123456789");		/* 70 bytes */
	assert_int_equal(stick_scan(tmp, l), CK_OK);
	assert_int_equal(l->n, 2);
	assert_string_equal(l->v[0].vendor, "Zo\xc3\xab");
	assert_string_equal(l->v[0].model, "Evil?[2J?1m");
	assert_int_equal(rd_printable_utf8(l->v[0].model,
	    strlen(l->v[0].model), 0), CK_OK);
	assert_string_equal(l->v[1].vendor, "??");
	assert_int_equal(strlen(l->v[1].model), STICK_LABEL_MAX);
	free(l);
}

static void
scan_is_bounded(void **state)
{
	struct stick_list *l = malloc(sizeof(*l));
	char name[16], dir[300];
	int i;

	(void)state;
	assert_non_null(l);
	for (i = 0; i < STICK_MAX + 2; i++) {
		snprintf(name, sizeof(name), "sd%c", 'a' + i);
		snprintf(dir, sizeof(dir), USB_A "%d", i);
		disk(dir, name, "100\n", "1\n");
	}
	assert_int_equal(stick_scan(tmp, l), CK_OK);
	assert_int_equal(l->n, STICK_MAX);
	assert_int_equal(l->skipped, 2);
	assert_int_equal(stick_scan("/nonexistent/sys", l), CK_ERR_NOT_FOUND);
	assert_int_equal(l->n, 0);
	free(l);
}

/* ---- real mounts on loop devices ---- */

static int
can_loop(void)
{
	if (geteuid() != 0 || access("/dev/loop-control", W_OK) != 0 ||
	    system("command -v losetup blockdev mkfs.ext4 mkfs.vfat truncate "
	    ">/dev/null 2>&1") != 0)
		return 0;
	return 1;
}

#define NEED_LOOP() do {						\
	if (!can_loop()) {						\
		print_message("SKIP: needs root, /dev/loop-control, "	\
		    "losetup, blockdev, mkfs.ext4, mkfs.vfat\n");		\
		skip();							\
	}								\
} while (0)

static void
run(const char *fmt, const char *a, const char *b)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	assert_int_equal(system(cmd), 0);
}

/* A fresh image of the given kind ("vfat", "ext4", "blank") on a loop. */
static void
attach(const char *kind, char *img, size_t imgmax, char *dev, size_t devmax)
{
	char cmd[256];
	FILE *p;

	snprintf(img, imgmax, "%s/%s.img", tmp, kind);
	run("truncate -s 8M '%s'%s", img, "");
	if (strcmp(kind, "vfat") == 0)
		run("mkfs.vfat '%s' >/dev/null%s", img, "");
	else if (strcmp(kind, "ext4") == 0 || strcmp(kind, "ext4-wp") == 0)
		run("mkfs.ext4 -q -F '%s'%s", img, "");
	/* ext4-wp: attached read-only, as a stick with its switch on. */
	snprintf(cmd, sizeof(cmd), "losetup -f --show %s '%s'",
	    strcmp(kind, "ext4-wp") == 0 ? "-r" : "", img);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(dev, (int)devmax, p));
	assert_int_equal(pclose(p), 0);
	dev[strcspn(dev, "\n")] = '\0';
	snprintf(loopdev, sizeof(loopdev), "%s", dev);
	/* Start from a known flag: a loop device keeps it across users. */
	if (strcmp(kind, "ext4-wp") != 0)
		run("blockdev --setrw '%s'%s", dev, "");
}

static void
detach(const char *dev)
{
	run("losetup -d '%s'%s", dev, "");
	loopdev[0] = '\0';
}

static int
kernel_has(const char *fstype)
{
	char line[128];
	FILE *f = fopen("/proc/filesystems", "r");
	int found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(strrchr(line, '\t') ? strrchr(line, '\t') + 1 :
		    line, fstype) == 0)
			found = 1;
	}
	fclose(f);
	return found;
}

/* The mount options of dir in /proc/self/mountinfo ("" if not mounted). */
static void
mount_opts(const char *dir, char *out, size_t max)
{
	char line[1024], mp[512], opts[256];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	assert_non_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*s %*s %*s %*s %511s %255s", mp, opts) == 2 &&
		    strcmp(mp, dir) == 0)
			snprintf(out, max, ",%s,", opts);
	fclose(f);
}

static int
blk_ro(const char *dev)
{
	int fd, ro = -1;

	assert_true((fd = open(dev, O_RDONLY)) >= 0);
	assert_int_equal(ioctl(fd, BLKROGET, &ro), 0);
	close(fd);
	return ro;
}

static const uint8_t ID[EXCH_ID_LEN] = { 0xc0, 0x0c, 0x1a, 0x7e };

/* Mount a fresh image: vfat where the kernel has it, else ext4. */
static void
mount_fresh(char *img, size_t imgmax, char *dev, size_t devmax,
    const char *mnt, struct stick_mount *m)
{
	const char *kind = kernel_has("vfat") ? "vfat" : "ext4";

	if (strcmp(kind, "vfat") != 0)
		print_message("this kernel has no vfat: using ext4 (vfat is "
		    "mounted by the QEMU image test)\n");
	attach(kind, img, imgmax, dev, devmax);
	assert_int_equal(stick_mount(dev, mnt, m), CK_OK);
	assert_string_equal(m->fstype, kind);
}

static void
mount_read_only_export_and_read_back(void **state)
{
	char img[128], dev[64], mnt[128], opts[300], p[300];
	struct stick_mount m;
	struct exch_dir *d = NULL;
	struct exch_list l;
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd;

	(void)state;
	NEED_LOOP();
	snprintf(mnt, sizeof(mnt), "%s/mnt", tmp);
	assert_int_equal(mkdir(mnt, 0700), 0);
	mount_fresh(img, sizeof(img), dev, sizeof(dev), mnt, &m);

	/* Import mode: read-only all the way down. */
	mount_opts(mnt, opts, sizeof(opts));
	assert_non_null(strstr(opts, ",ro,"));
	assert_non_null(strstr(opts, ",nodev,"));
	assert_non_null(strstr(opts, ",nosuid,"));
	assert_non_null(strstr(opts, ",noexec,"));
	assert_int_equal(blk_ro(dev), 1);
	assert_int_equal(exch_open(mnt, ID, EXCH_CREATE, &d), CK_ERR_READ_ONLY);
	snprintf(p, sizeof(p), "%s/planted", mnt);
	assert_true(open(p, O_CREAT | O_WRONLY, 0600) < 0 && errno == EROFS);

	/* Export: writable only now, still nodev/nosuid/noexec. */
	assert_int_equal(stick_set_writable(&m, 1), CK_OK);
	mount_opts(mnt, opts, sizeof(opts));
	assert_non_null(strstr(opts, ",rw,"));
	assert_non_null(strstr(opts, ",nodev,"));
	assert_non_null(strstr(opts, ",nosuid,"));
	assert_non_null(strstr(opts, ",noexec,"));
	assert_int_equal(blk_ro(dev), 0);
	assert_int_equal(exch_open(mnt, ID, EXCH_CREATE, &d), CK_OK);
	assert_int_equal(exch_write(d, "000001-init-request.env", "first", 5,
	    0), CK_OK);
	assert_int_equal(exch_write(d, "000002-session-offer.env", "second",
	    6, 0), CK_OK);
	exch_close(d);
	d = NULL;

	/* Back to read-only, then off. */
	assert_int_equal(stick_set_writable(&m, 0), CK_OK);
	assert_int_equal(blk_ro(dev), 1);
	assert_true((fd = open(p, O_CREAT | O_WRONLY, 0600)) < 0 &&
	    errno == EROFS);
	assert_int_equal(stick_unmount(&m), CK_OK);
	mount_opts(mnt, opts, sizeof(opts));
	assert_string_equal(opts, "");
	assert_int_equal(blk_ro(dev), 0);	/* as we found it */

	/* Plugged in again: the envelopes are there, complete. */
	assert_int_equal(stick_mount(dev, mnt, &m), CK_OK);
	assert_int_equal(exch_open(mnt, ID, 0, &d), CK_OK);
	assert_int_equal(exch_list(d, &l), CK_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.refused, 0);
	exch_list_free(&l);
	assert_int_equal(exch_read(d, "000001-init-request.env",
	    EXCH_READ_MAX_DEFAULT, &buf, &len), CK_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "first", 5);
	free(buf);

	/*
	 * Yank: cut the device's backing store to nothing, as a pulled
	 * stick leaves the mounted filesystem. The envelope not read yet
	 * must come back as a specific error, and unmounting must work.
	 */
	run("truncate -s 0 '%s' && losetup -c '%s'", img, dev);
	assert_int_equal(exch_read(d, "000002-session-offer.env",
	    EXCH_READ_MAX_DEFAULT, &buf, &len), CK_ERR_MEDIA_GONE);
	assert_null(buf);
	exch_close(d);
	assert_int_equal(stick_unmount(&m), CK_OK);
	mount_opts(mnt, opts, sizeof(opts));
	assert_string_equal(opts, "");
	detach(dev);
}

/* An MBR with two partitions: 4 MiB at 1 MiB and 1 MiB at 5 MiB. */
static void
write_mbr(const char *img)
{
	static const uint32_t part[2][2] = { { 2048, 8192 }, { 10240, 2048 } };
	uint8_t mbr[512] = { 0 };
	int fd, i, k;

	for (i = 0; i < 2; i++) {
		uint8_t *e = mbr + 446 + 16 * i;

		e[4] = 0x83;	/* Linux */
		for (k = 0; k < 4; k++) {
			e[8 + k] = (uint8_t)(part[i][0] >> (8 * k));
			e[12 + k] = (uint8_t)(part[i][1] >> (8 * k));
		}
	}
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	assert_true((fd = open(img, O_WRONLY)) >= 0);
	assert_int_equal(write(fd, mbr, sizeof(mbr)), sizeof(mbr));
	close(fd);
}

/*
 * The kernel's own sysfs attributes, parsed: a partitioned loop device,
 * with only its USB-ness faked (a "usb1" link into the real tree).
 */
static void
real_sysfs_attributes_parse(void **state)
{
	char img[128], dev[64], cmd[256], p[160];
	struct stick_list *l = malloc(sizeof(*l));
	const char *name;
	FILE *f;

	(void)state;
	assert_non_null(l);
	if (!can_loop())
		free(l);
	NEED_LOOP();
	snprintf(img, sizeof(img), "%s/parts.img", tmp);
	run("truncate -s 8M '%s'%s", img, "");
	write_mbr(img);
	snprintf(cmd, sizeof(cmd), "losetup -f -P --show '%s'", img);
	assert_non_null(f = popen(cmd, "r"));
	assert_non_null(fgets(dev, sizeof(dev), f));
	assert_int_equal(pclose(f), 0);
	dev[strcspn(dev, "\n")] = '\0';
	snprintf(loopdev, sizeof(loopdev), "%s", dev);
	run("blockdev --setrw '%s'%s", dev, "");
	name = strrchr(dev, '/') + 1;

	mkp("sys/devices");
	mkp("sys/block");
	ln("sys/devices/usb1", "/sys/devices/virtual/block");
	snprintf(p, sizeof(p), "sys/block/%s", name);
	snprintf(cmd, sizeof(cmd), "../devices/usb1/%s", name);
	ln(p, cmd);
	snprintf(p, sizeof(p), "%s/sys", tmp);

	assert_int_equal(stick_scan(p, l), CK_OK);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->v[0].name, name);
	assert_string_equal(l->v[0].dev, dev);
	assert_int_equal(l->v[0].bytes, 8 << 20);
	assert_int_equal(l->v[0].ro, 0);
	snprintf(p, sizeof(p), "/sys/block/%s/%sp1/partition", name, name);
	if (access(p, F_OK) != 0) {
		print_message("this kernel did not scan the MBR (no msdos "
		    "partition support?): partitions are covered by the fake "
		    "tree only\n");
		assert_int_equal(l->v[0].nparts, 0);
		free(l);
		detach(dev);
		return;
	}
	assert_int_equal(l->v[0].nparts, 2);
	assert_int_equal(l->v[0].parts[0].number, 1);
	assert_int_equal(l->v[0].parts[0].bytes, 4 << 20);
	snprintf(p, sizeof(p), "%sp1", dev);
	assert_string_equal(l->v[0].parts[0].dev, p);
	assert_int_equal(l->v[0].parts[1].number, 2);
	assert_int_equal(l->v[0].parts[1].bytes, 1 << 20);
	free(l);
	detach(dev);
}

/* The stick is pulled in the middle of an export. */
static void
yanked_during_export(void **state)
{
	char img[128], dev[64], mnt[128], opts[300];
	struct stick_mount m;
	struct exch_dir *d = NULL;
	int r;

	(void)state;
	NEED_LOOP();
	snprintf(mnt, sizeof(mnt), "%s/mnt", tmp);
	assert_int_equal(mkdir(mnt, 0700), 0);
	mount_fresh(img, sizeof(img), dev, sizeof(dev), mnt, &m);
	assert_int_equal(stick_set_writable(&m, 1), CK_OK);
	assert_int_equal(exch_open(mnt, ID, EXCH_CREATE, &d), CK_OK);
	assert_int_equal(exch_write(d, "000001-a.env", "before", 6, 0), CK_OK);
	run("truncate -s 0 '%s' && losetup -c '%s'", img, dev);
	assert_int_equal(exch_write(d, "000002-a.env", "during", 6, 0),
	    CK_ERR_MEDIA_GONE);
	exch_close(d);
	/* The sync may or may not notice; either way the mount goes away. */
	r = stick_unmount(&m);
	assert_true(r == CK_OK || r == CK_ERR_MEDIA_GONE);
	mount_opts(mnt, opts, sizeof(opts));
	assert_string_equal(opts, "");
	detach(dev);
}

static void
mount_refusals(void **state)
{
	char img[128], dev[64], mnt[128], p[200];
	struct stick_mount m;
	int fd;

	(void)state;
	NEED_LOOP();
	snprintf(mnt, sizeof(mnt), "%s/mnt", tmp);
	assert_int_equal(mkdir(mnt, 0700), 0);
	/* No filesystem on it: every type is tried, none mounts. */
	attach("blank", img, sizeof(img), dev, sizeof(dev));
	assert_int_equal(stick_mount(dev, mnt, &m), CK_ERR_MOUNT);
	assert_int_equal(blk_ro(dev), 0);
	detach(dev);
	/* A write-protected stick mounts for import but never for export. */
	attach("ext4-wp", img, sizeof(img), dev, sizeof(dev));
	assert_int_equal(stick_mount(dev, mnt, &m), CK_OK);
	assert_int_equal(stick_set_writable(&m, 1), CK_ERR_READ_ONLY);
	assert_int_equal(m.writable, 0);
	assert_int_equal(stick_unmount(&m), CK_OK);
	assert_int_equal(blk_ro(dev), 1);
	detach(dev);
	/* The stick went away between scan and mount. */
	assert_int_equal(stick_mount(dev, mnt, &m), CK_ERR_MEDIA_GONE);
	assert_int_equal(stick_mount("/dev/sdzz9", mnt, &m), CK_ERR_MEDIA_GONE);
	/* Only block devices are mounted. */
	snprintf(p, sizeof(p), "%s/file", tmp);
	assert_true((fd = open(p, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	assert_int_equal(stick_mount(p, mnt, &m), CK_ERR_NOT_REGULAR);
}

/*
 * A stick is the one that arrived, by kernel name; sticks with the same
 * vendor and model (or label) are told apart by that alone.
 */
static void
arrival_picks_the_new_stick(void **state)
{
	struct stick_list *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	size_t i = 99;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	disk(USB_A, "sda", "1000\n", "1\n");
	wr(USB_A, "model", "Same Stick\n");
	assert_int_equal(stick_scan(tmp, a), CK_OK);
	assert_int_equal(stick_arrived(a, a, &i), CK_ERR_NOT_FOUND);
	assert_int_equal(i, 99);

	disk(USB_B, "sdb", "1000\n", "1\n");
	wr(USB_B, "model", "Same Stick\n");
	part(USB_B, "sdb", "sdb1", "1\n", "900\n");
	assert_int_equal(stick_scan(tmp, b), CK_OK);
	assert_int_equal(b->n, 2);
	assert_int_equal(stick_arrived(a, b, &i), CK_OK);
	assert_string_equal(b->v[i].name, "sdb");
	assert_string_equal(stick_volume(&b->v[i]), "/dev/sdb1");
	assert_string_equal(stick_volume(&a->v[0]), "/dev/sda");
	/* Pulled out: nothing arrived. */
	assert_int_equal(stick_arrived(b, a, &i), CK_ERR_NOT_FOUND);
	/* Two at once: which is which is not guessed. */
	a->n = 0;
	assert_int_equal(stick_arrived(a, b, &i), CK_ERR_STATE);
	free(a);
	free(b);
}

/* Bytes of a file, for before/after comparisons (malloc'd). */
static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd;

	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_non_null(buf = malloc((size_t)st.st_size + 1));
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* stick_identify on an image, which must come through byte-for-byte. */
static int
identify_unchanged(const char *img, struct stick_id *id)
{
	uint8_t *before, *after;
	size_t lb, la;
	int r;

	before = slurp(img, &lb);
	r = stick_identify(img, id);
	after = slurp(img, &la);
	assert_int_equal(lb, la);
	assert_memory_equal(before, after, lb);
	free(before);
	free(after);
	return r;
}

static int
can_mkfs(void)
{
	return system("command -v mkfs.vfat mkfs.ext4 truncate "
	    ">/dev/null 2>&1") == 0;
}

/* A fresh image of size made by mkfs (options then the image), identified. */
static void
expect_fs(const char *img, const char *size, const char *mkfs,
    const char *fstype, const char *label)
{
	char cmd[400];
	struct stick_id id;

	snprintf(cmd, sizeof(cmd), "rm -f '%s' && truncate -s %s '%s' && "
	    "%s '%s' >/dev/null", img, size, img, mkfs, img);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(identify_unchanged(img, &id), CK_OK);
	assert_string_equal(id.fstype, fstype);
	assert_string_equal(id.label, label);
}

/* Filesystems made by the real mkfs tools, read without mounting. */
static void
identify_reads_type_and_label(void **state)
{
	char img[128], img2[128];
	struct stick_id id;
	int fd;

	(void)state;
	if (!can_mkfs()) {
		print_message("SKIP: needs mkfs.vfat, mkfs.ext4, truncate\n");
		skip();
	}
	snprintf(img, sizeof(img), "%s/a.img", tmp);
	snprintf(img2, sizeof(img2), "%s/b.img", tmp);
	/* FAT12/16 (a small stick), and FAT32, as most sticks come. */
	expect_fs(img, "8M", "mkfs.vfat -n HOLDER-ANA", "vfat", "HOLDER-ANA");
	expect_fs(img, "64M", "mkfs.vfat -F 32 -n EXCHANGE", "vfat",
	    "EXCHANGE");
	/* Two sticks with the same label read alike: labels do not choose. */
	expect_fs(img2, "8M", "mkfs.vfat -n EXCHANGE", "vfat", "EXCHANGE");
	/* ext4 with a label. */
	expect_fs(img2, "8M", "mkfs.ext4 -q -F -L archive", "ext4", "archive");
	/* No label: mkfs.vfat's "NO NAME" is no name. */
	expect_fs(img, "8M", "mkfs.vfat", "vfat", "");
	/* A hostile label is shown safely. */
	assert_true((fd = open(img, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, "EVIL\x1b[2J\xff ", 11, 43), 11);
	close(fd);
	assert_int_equal(identify_unchanged(img, &id), CK_OK);
	assert_string_equal(id.label, "EVIL?[2J?");
	/* A blank stick, and a partition table read as a whole disk. */
	run("rm -f '%s' && truncate -s 8M '%s'", img, img);
	assert_int_equal(identify_unchanged(img, &id), CK_ERR_MOUNT);
	assert_null(id.fstype);
	write_mbr(img);
	assert_int_equal(identify_unchanged(img, &id), CK_ERR_MOUNT);
	/* Shorter than a superblock; gone. */
	run("truncate -s 100 '%s'%s", img, "");
	assert_int_equal(identify_unchanged(img, &id), CK_ERR_TRUNCATED);
	snprintf(img, sizeof(img), "%s/none.img", tmp);
	assert_int_equal(stick_identify(img, &id), CK_ERR_MEDIA_GONE);
}

/*
 * A stick with no partition table on a real block device: the whole disk
 * is the volume, identified through the kernel's block layer.
 */
static void
identify_whole_disk_on_loop(void **state)
{
	char img[128], dev[64];
	struct stick_id id;

	(void)state;
	NEED_LOOP();
	attach("vfat", img, sizeof(img), dev, sizeof(dev));
	assert_int_equal(stick_identify(dev, &id), CK_OK);
	assert_string_equal(id.fstype, "vfat");
	assert_int_equal(blk_ro(dev), 0);	/* identifying sets nothing */
	detach(dev);
	assert_int_equal(stick_identify(dev, &id), CK_ERR_MEDIA_GONE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(finds_usb_sticks_and_their_partitions),
		T(selection_rules),
		T(labels_are_sanitised),
		T(scan_is_bounded),
		T(mount_read_only_export_and_read_back),
		T(real_sysfs_attributes_parse),
		T(yanked_during_export),
		T(mount_refusals),
		T(arrival_picks_the_new_stick),
		T(identify_reads_type_and_label),
		T(identify_whole_disk_on_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
