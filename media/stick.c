/*
 * USB stick detection (sysfs polling) and safe mounting (see stick.h).
 *
 * Limits: at most STICK_MAX sticks and STICK_PARTS_MAX partitions each;
 * sysfs attributes are read up to STICK_ATTR_MAX bytes; kernel names up to
 * STICK_NAME_MAX characters of [A-Za-z0-9_-] (others are not listed);
 * sysfs links up to PATH_MAX; paths given to stick_mount up to
 * STICK_PATH_MAX.
 *
 * sysfs is the kernel's, but what it reports about a device (vendor, model)
 * comes from the device, which is untrusted.
 */
#include "media/stick.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "crypto/errors.h"
#include "crypto/reader.h"
#include "media/file.h"

#define SECTOR_BYTES	512ULL	/* sysfs sizes are in 512-byte units */
#define MOUNT_FLAGS	(MS_NODEV | MS_NOSUID | MS_NOEXEC | MS_NOATIME)

/*
 * Tried in this order. Files owner-only: the appliance is the only user
 * and nothing on a stick is meant for anyone else.
 */
static const struct fs_try {
	const char *type;
	const char *data;
} fs_tries[] = {
	{ "vfat", "fmask=0177,dmask=0077" },
	{ "exfat", "fmask=0177,dmask=0077" },
	{ "ext4", NULL },
};

static int
valid_kname(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= STICK_NAME_MAX)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	}
	return i > 0;
}

/* name and "/dev/"name from a kernel name that passed valid_kname. */
static void
set_names(char name[STICK_NAME_MAX + 1], char dev[STICK_DEV_MAX + 1],
    const char *kname)
{
	size_t len = strnlen(kname, STICK_NAME_MAX);

	memcpy(name, kname, len);
	name[len] = '\0';
	memcpy(dev, "/dev/", 5);
	memcpy(dev + 5, kname, len);
	dev[5 + len] = '\0';
}

/* The attribute's text, whitespace trimmed at both ends. */
static int
read_attr(int dfd, const char *rel, char *buf, size_t max)
{
	char raw[STICK_ATTR_MAX + 1];
	size_t got = 0, a, b;
	ssize_t n = 0;
	int fd;

	if ((fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return file_errno(errno);
	while (got < STICK_ATTR_MAX) {
		n = read(fd, raw + got, STICK_ATTR_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (n < 0)
		return file_errno(errno);
	for (a = 0; a < got && (raw[a] == ' ' || raw[a] == '\n' ||
	    raw[a] == '\t'); a++)
		;
	for (b = got; b > a && (raw[b - 1] == ' ' || raw[b - 1] == '\n' ||
	    raw[b - 1] == '\t'); b--)
		;
	if (b - a >= max)
		b = a + max - 1;
	memcpy(buf, raw + a, b - a);
	buf[b - a] = '\0';
	return CK_OK;
}

static int
read_uint_attr(int dfd, const char *rel, unsigned long long max,
    unsigned long long *v)
{
	char buf[32];
	int r;

	if ((r = read_attr(dfd, rel, buf, sizeof(buf))) != CK_OK)
		return r;
	return rd_parse_uint(buf, 0, max, v);
}

/* Device-supplied text made safe to show: non-ASCII unless valid UTF-8. */
static void
sanitise(char *out)
{
	size_t i, len = strlen(out);

	if (rd_printable_utf8(out, len, 0) == CK_OK)
		return;
	for (i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = '?';
}

/* Vendor or model as safe display text ("" if the device has none). */
static void
read_label(int dfd, const char *rel, char out[STICK_LABEL_MAX + 1])
{

	if (read_attr(dfd, rel, out, STICK_LABEL_MAX + 1) != CK_OK) {
		out[0] = '\0';
		return;
	}
	sanitise(out);
}

/* Does the sysfs link <block>/<name> pass through a "usbN" node? */
static int
on_usb(int bfd, const char *name)
{
	char link[PATH_MAX];
	const char *seg, *end;
	ssize_t n;
	size_t i, len;

	n = readlinkat(bfd, name, link, sizeof(link));
	if (n <= 0 || (size_t)n >= sizeof(link))
		return 0;
	link[n] = '\0';
	for (seg = link; *seg != '\0'; seg = *end ? end + 1 : end) {
		end = strchr(seg, '/');
		if (end == NULL)
			end = seg + strlen(seg);
		len = (size_t)(end - seg);
		if (len < 4 || strncmp(seg, "usb", 3) != 0)
			continue;
		for (i = 3; i < len && seg[i] >= '0' && seg[i] <= '9'; i++)
			;
		if (i == len)
			return 1;
	}
	return 0;
}

/* One partition directory, or CK_ERR_NOT_FOUND if it is not one. */
static int
read_part(int dfd, const char *name, struct stick_part *p)
{
	unsigned long long num, sectors;
	int pfd, r;

	pfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return file_errno(errno);
	r = read_uint_attr(pfd, "partition", UINT_MAX, &num);
	if (r == CK_OK)
		r = read_uint_attr(pfd, "size", UINT64_MAX / SECTOR_BYTES,
		    &sectors);
	close(pfd);
	if (r != CK_OK)
		return r;
	memset(p, 0, sizeof(*p));
	set_names(p->name, p->dev, name);
	p->number = (unsigned int)num;
	p->bytes = sectors * SECTOR_BYTES;
	return CK_OK;
}

static int
part_cmp(const void *a, const void *b)
{
	const struct stick_part *x = a, *y = b;

	return x->number < y->number ? -1 : x->number > y->number;
}

static int
read_parts(int dfd, struct stick *s)
{
	struct dirent *e;
	DIR *dir;
	int fd;

	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return file_errno(errno);
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return CK_ERR_ALLOC;
	}
	while ((e = readdir(dir)) != NULL && s->nparts < STICK_PARTS_MAX) {
		if ((e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) ||
		    e->d_name[0] == '.' || !valid_kname(e->d_name))
			continue;
		if (read_part(dfd, e->d_name, &s->parts[s->nparts]) == CK_OK)
			s->nparts++;
	}
	closedir(dir);
	qsort(s->parts, s->nparts, sizeof(s->parts[0]), part_cmp);
	return CK_OK;
}

/* Fill s from <block>/<name>; CK_ERR_NOT_FOUND for an empty reader. */
static int
read_stick(int bfd, const char *name, struct stick *s)
{
	unsigned long long sectors, rem, ro;
	int dfd, r;

	memset(s, 0, sizeof(*s));
	dfd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return file_errno(errno);
	if ((r = read_uint_attr(dfd, "size", UINT64_MAX / SECTOR_BYTES,
	    &sectors)) != CK_OK ||
	    (r = read_uint_attr(dfd, "removable", 1, &rem)) != CK_OK ||
	    (r = read_uint_attr(dfd, "ro", 1, &ro)) != CK_OK)
		goto out;
	if (sectors == 0) {
		r = CK_ERR_NOT_FOUND;
		goto out;
	}
	set_names(s->name, s->dev, name);
	s->bytes = sectors * SECTOR_BYTES;
	s->removable = (int)rem;
	s->ro = (int)ro;
	read_label(dfd, "device/vendor", s->vendor);
	read_label(dfd, "device/model", s->model);
	r = read_parts(dfd, s);
out:
	close(dfd);
	return r;
}

/* Kernel order: sdz before sdaa. */
static int
stick_cmp(const void *a, const void *b)
{
	const struct stick *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->name, y->name);
}

int
stick_scan(const char *sysroot, struct stick_list *out)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir = NULL;
	int bfd = -1, fd, n, r = CK_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));
	n = snprintf(path, sizeof(path), "%s/block", sysroot);
	if (n < 0 || (size_t)n >= sizeof(path))
		return CK_ERR_INVALID_ARG;
	if ((bfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return CK_ERR_NOT_FOUND;
	if ((fd = dup(bfd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		r = CK_ERR_ALLOC;
		goto out;
	}
	while ((e = readdir(dir)) != NULL) {
		if (!valid_kname(e->d_name) || !on_usb(bfd, e->d_name))
			continue;
		if (out->n == STICK_MAX) {
			out->skipped++;
			continue;
		}
		/* Vanished or half-described devices: the next poll decides. */
		if (read_stick(bfd, e->d_name, &out->v[out->n]) == CK_OK)
			out->n++;
	}
	qsort(out->v, out->n, sizeof(out->v[0]), stick_cmp);
	r = CK_OK;
out:
	if (dir != NULL)
		closedir(dir);
	close(bfd);
	return r;
}

int
stick_arrived(const struct stick_list *before, const struct stick_list *now,
    size_t *idx)
{
	size_t i, j, found = 0;

	for (i = 0; i < now->n; i++) {
		for (j = 0; j < before->n; j++)
			if (strcmp(now->v[i].name, before->v[j].name) == 0)
				break;
		if (j < before->n)
			continue;
		if (found++ == 0)
			*idx = i;
	}
	if (found == 0)
		return CK_ERR_NOT_FOUND;
	return found == 1 ? CK_OK : CK_ERR_STATE;
}

const char *
stick_volume(const struct stick *s)
{
	return s->nparts == 0 ? s->dev : s->parts[0].dev;
}

#define ID_BYTES	2048	/* the boot sector and ext4's superblock */

/* A little-endian field at off in the first ID_BYTES, through the reader. */
static int
id_field(const uint8_t *buf, size_t off, void *dst, size_t n)
{
	struct rd r;
	const uint8_t *skip;

	rd_init(&r, buf, ID_BYTES);
	if (rd_ptr(&r, &skip, off) != CK_OK)
		return CK_ERR_TRUNCATED;
	return rd_bytes(&r, dst, n);
}

static uint16_t
le16(const uint8_t b[2])
{
	return (uint16_t)(b[0] | b[1] << 8);
}

/* A fixed-width, space- or NUL-padded label, trimmed and made safe. */
static void
set_fslabel(struct stick_id *id, const uint8_t *raw, size_t n)
{
	while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\0'))
		n--;
	memcpy(id->label, raw, n);
	id->label[n] = '\0';
	id->label[strnlen(id->label, n)] = '\0';	/* an inner NUL ends it */
	if (strcmp(id->label, "NO NAME") == 0)	/* mkfs.vfat without -n */
		id->label[0] = '\0';
	sanitise(id->label);
}

static int
identify(const uint8_t *buf, struct stick_id *id)
{
	uint8_t sig[2], magic[8], lab[16], fat16[2];
	int r;

	/* ext4 (and ext2/3, which the ext4 driver mounts): superblock at 1 KiB. */
	if ((r = id_field(buf, 1024 + 56, sig, 2)) != CK_OK)
		return r;
	if (le16(sig) == 0xef53) {
		if ((r = id_field(buf, 1024 + 120, lab, 16)) != CK_OK)
			return r;
		id->fstype = "ext4";
		set_fslabel(id, lab, 16);
		return CK_OK;
	}
	if ((r = id_field(buf, 3, magic, 8)) != CK_OK ||
	    (r = id_field(buf, 510, sig, 2)) != CK_OK)
		return r;
	if (memcmp(magic, "EXFAT   ", 8) == 0) {
		id->fstype = "exfat";
		return CK_OK;
	}
	if (sig[0] != 0x55 || sig[1] != 0xaa)
		return CK_ERR_MOUNT;
	/* FAT32 has no 16-bit FAT size; its extended BPB sits further on. */
	if ((r = id_field(buf, 22, fat16, 2)) != CK_OK)
		return r;
	if ((r = id_field(buf, le16(fat16) == 0 ? 82 : 54, magic, 8)) != CK_OK)
		return r;
	if (memcmp(magic, "FAT", 3) != 0)
		return CK_ERR_MOUNT;	/* an MBR: the partition holds the fs */
	if ((r = id_field(buf, le16(fat16) == 0 ? 71 : 43, lab, 11)) != CK_OK)
		return r;
	id->fstype = "vfat";
	set_fslabel(id, lab, 11);
	return CK_OK;
}

int
stick_identify(const char *dev, struct stick_id *id)
{
	uint8_t buf[ID_BYTES];
	ssize_t n;
	int fd, r;

	memset(id, 0, sizeof(*id));
	if ((fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return errno == ENOENT || errno == ENXIO || errno == ENODEV ?
		    CK_ERR_MEDIA_GONE : file_errno(errno);
	n = pread(fd, buf, sizeof(buf), 0);
	if (n < 0)
		r = errno == EIO || errno == ENXIO || errno == ENODEV ?
		    CK_ERR_MEDIA_GONE : file_errno(errno);
	else if (n == 0)	/* a detached device reads as empty */
		r = CK_ERR_MEDIA_GONE;
	else if ((size_t)n < sizeof(buf))
		r = CK_ERR_TRUNCATED;
	else
		r = identify(buf, id);
	close(fd);
	if (r != CK_OK)
		memset(id, 0, sizeof(*id));
	return r;
}

/*
 * Open dev, check it is a block device, and set its kernel read-only flag
 * to ro. With was: *was receives the flag as it was, and a device that is
 * read-only already is left alone. The flag outlives the mount (a loop
 * device keeps it across detach), so what we set is cleared on unmount.
 */
static int
set_blk_ro(const char *dev, int ro, int *was)
{
	struct stat st;
	int fd, r = CK_OK;

	if ((fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
			return CK_ERR_MEDIA_GONE;
		return file_errno(errno);
	}
	if (fstat(fd, &st) != 0)
		r = file_errno(errno);
	else if (!S_ISBLK(st.st_mode))
		r = CK_ERR_NOT_REGULAR;
	else if (was != NULL && ioctl(fd, BLKROGET, was) != 0)
		r = file_errno(errno);
	else if ((was == NULL || !*was) && ioctl(fd, BLKROSET, &ro) != 0)
		r = file_errno(errno);
	close(fd);
	return r;
}

static const struct fs_try *
fs_find(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(fs_tries) / sizeof(fs_tries[0]); i++)
		if (strcmp(fs_tries[i].type, type) == 0)
			return &fs_tries[i];
	abort();	/* m->fstype always comes from fs_tries */
}

static int
copy_path(char dst[STICK_PATH_MAX], const char *src)
{
	size_t len = strnlen(src, STICK_PATH_MAX);

	if (len == 0 || len >= STICK_PATH_MAX)
		return CK_ERR_INVALID_ARG;
	memcpy(dst, src, len + 1);
	return CK_OK;
}

int
stick_mount(const char *dev, const char *dir, struct stick_mount *m)
{
	const unsigned long fl = MOUNT_FLAGS | MS_RDONLY;
	size_t i;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = copy_path(m->dev, dev)) != CK_OK ||
	    (r = copy_path(m->dir, dir)) != CK_OK)
		return r;
	if ((r = set_blk_ro(dev, 1, &m->was_ro)) != CK_OK)
		return r;
	r = CK_ERR_MOUNT;
	for (i = 0; i < sizeof(fs_tries) / sizeof(fs_tries[0]); i++) {
		if (mount(dev, dir, fs_tries[i].type, fl, fs_tries[i].data) == 0) {
			m->fstype = fs_tries[i].type;
			return CK_OK;
		}
		/* EINVAL: not this type; ENODEV: type not in the kernel. */
		if (errno == EIO || errno == ENXIO)
			r = CK_ERR_MEDIA_GONE;
		else if (errno == EBUSY)
			r = CK_ERR_STATE;
		else if (errno == ENOENT || errno == ENOTDIR)
			r = CK_ERR_NOT_FOUND;
		if (r != CK_ERR_MOUNT)
			break;
	}
	if (!m->was_ro)
		(void)set_blk_ro(dev, 0, NULL);
	return r;
}

/* syncfs the mounted filesystem. */
static int
sync_mount(const struct stick_mount *m)
{
	int fd, r = CK_OK;

	if ((fd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return file_errno(errno);
	if (syncfs(fd) != 0)
		r = file_errno(errno);
	close(fd);
	return r;
}

int
stick_set_writable(struct stick_mount *m, int writable)
{
	const struct fs_try *fs = fs_find(m->fstype);
	unsigned long fl = MS_REMOUNT | MOUNT_FLAGS;
	int r;

	if (!!writable == m->writable)
		return CK_OK;
	if (writable) {
		/* Write-protect switch, or a device the kernel calls read-only. */
		if (m->was_ro)
			return CK_ERR_READ_ONLY;
		if ((r = set_blk_ro(m->dev, 0, NULL)) != CK_OK)
			return r;
		if (mount(m->dev, m->dir, fs->type, fl, fs->data) != 0) {
			r = file_errno(errno);
			(void)set_blk_ro(m->dev, 1, NULL);
			return r;
		}
		m->writable = 1;
		return CK_OK;
	}
	if ((r = sync_mount(m)) != CK_OK)
		return r;
	if (mount(m->dev, m->dir, fs->type, fl | MS_RDONLY, fs->data) != 0)
		return errno == EBUSY ? CK_ERR_STATE : file_errno(errno);
	m->writable = 0;
	return set_blk_ro(m->dev, 1, NULL);
}

int
stick_unmount(struct stick_mount *m)
{
	int rs = CK_OK;

	if (m->writable)
		rs = sync_mount(m);
	if (umount2(m->dir, 0) != 0)
		return errno == EBUSY ? CK_ERR_STATE : file_errno(errno);
	m->writable = 0;
	/* A pulled stick has no flag left to clear. */
	if (!m->was_ro)
		(void)set_blk_ro(m->dev, 0, NULL);
	return rs;
}
