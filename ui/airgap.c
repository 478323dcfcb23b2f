/*
 * The airgap as the running kernel sees it, and the boot's timings: what
 * the appliance's status page (Ctrl-A) prints, one "airgap:" or "boot:"
 * line per fact (docs/image.md; image/boot_test.py reads them). It was the
 * image console's `status` command before conclave ui ran on the consoles
 * itself.
 *
 * The two module probes ask the kernel to load a module only where module
 * loading is locked (kernel.modules_disabled=1): the answer must be EPERM.
 * Anywhere else (a test machine) they are not tried. They are made once,
 * by ui_airgap_probe before the seccomp allow-list is installed (it does
 * not list finit_module and would answer ENOSYS itself, hiding the
 * kernel's own answer); the page prints what was found then.
 */
#include "ui/ui.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "crypto/errors.h"
#include "media/stick.h"

#define AIRGAP_LINE	512
#define AIRGAP_NAMES	64

/* The first line of path, without its newline; "" if unreadable. */
static void
first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Lines in path, or -1 if it cannot be read. */
static long
count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	long n = 0;
	int c;

	if (f == NULL)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
interfaces(FILE *out)
{
	char *names[AIRGAP_NAMES];
	struct dirent *e;
	size_t n = 0, i;
	DIR *d = opendir("/sys/class/net");

	fprintf(out, "airgap: interfaces:");
	while (d != NULL && (e = readdir(d)) != NULL && n < AIRGAP_NAMES)
		if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name)) != NULL)
			n++;
	if (d != NULL)
		closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (i = 0; i < n; i++) {
		fprintf(out, " %s", ui_safe(names[i]));
		free(names[i]);
	}
	fprintf(out, "\n");
}

/* Network controllers (PCI class 0x02xxxx), and how many have a driver. */
static void
nics(FILE *out)
{
	char path[AIRGAP_LINE], class[32];
	struct dirent *e;
	unsigned all = 0, bound = 0;
	DIR *d = opendir("/sys/bus/pci/devices");

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class",
		    e->d_name);
		first_line(path, class, sizeof(class));
		if (strncmp(class, "0x02", 4) != 0)
			continue;
		all++;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver",
		    e->d_name);
		bound += access(path, F_OK) == 0;
	}
	if (d != NULL)
		closedir(d);
	fprintf(out, "airgap: network controllers on the PCI bus: %u, with a "
	    "driver: %u\n", all, bound);
}

/* The probes' lines, made before the sandbox (ui_airgap_probe). */
static char probed[2][AIRGAP_LINE];

/* Ask the kernel to load the module file rel (under /lib/modules/KV). */
static void
probe(char *line, const char *what, const char *kv, const char *rel)
{
	char path[AIRGAP_LINE];
	int fd;

	snprintf(path, sizeof(path), "/lib/modules/%s/%s", kv, rel);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(line, AIRGAP_LINE, "%s: %s: %s", what, rel,
		    strerror(errno));
		return;
	}
	if (syscall(SYS_finit_module, fd, "", 0) == 0)
		snprintf(line, AIRGAP_LINE, "%s: %s: loaded", what, rel);
	else
		snprintf(line, AIRGAP_LINE, "%s: %s: %s", what, rel,
		    strerror(errno));
	close(fd);
}

/* e1000's file as modules.dep names it, or "" when the image has none. */
static void
find_module(const char *kv, const char *name, char *rel, size_t len)
{
	char path[AIRGAP_LINE], line[AIRGAP_LINE], *base;
	FILE *f;

	rel[0] = '\0';
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", kv);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, ":")] = '\0';
		base = strrchr(line, '/');
		base = base != NULL ? base + 1 : line;
		if (strncmp(base, name, strlen(name)) == 0 &&
		    strncmp(base + strlen(name), ".ko", 3) == 0) {
			snprintf(rel, len, "%s", line);
			break;
		}
	}
	fclose(f);
}

/* The USB sticks in, as the appliance finds them (media/stick). */
static void
sticks(FILE *out)
{
	struct stick_list l;
	size_t i;

	fprintf(out, "airgap: USB sticks:");
	if (stick_scan(ui.sysfs, &l) != CK_OK)
		l.n = 0;
	for (i = 0; i < l.n; i++)
		fprintf(out, " %s (%llu MB%s)", l.v[i].name,
		    (unsigned long long)(l.v[i].bytes >> 20), l.v[i].ro ?
		    ", read-only" : "");
	fprintf(out, "%s\n", l.n == 0 ? " none" : "");
}

void
ui_airgap_probe(void)
{
	char buf[AIRGAP_LINE], rel[AIRGAP_LINE];
	struct utsname u;

	first_line("/proc/sys/kernel/modules_disabled", buf, sizeof(buf));
	if (strcmp(buf, "1") != 0 || uname(&u) != 0) {
		snprintf(probed[0], AIRGAP_LINE, "module load probe: not tried "
		    "(loading is not locked)");
		return;
	}
	first_line("/etc/conclave/modules.load", rel, sizeof(rel));
	probe(probed[0], "module load probe", u.release, rel);
	find_module(u.release, "e1000", rel, sizeof(rel));
	if (rel[0] != '\0')
		probe(probed[1], "modprobe e1000", u.release, rel);
	else
		snprintf(probed[1], AIRGAP_LINE, "modprobe e1000: not in the "
		    "image");
}

void
ui_airgap(FILE *out)
{
	static const char *const net[] = { "tcp", "tcp6", "udp", "udp6", "raw",
	    "raw6" };
	char path[64], buf[AIRGAP_LINE];
	size_t i;
	long n;

	interfaces(out);
	for (i = 0; i < sizeof(net) / sizeof(net[0]); i++) {
		snprintf(path, sizeof(path), "/proc/net/%s", net[i]);
		if ((n = count_lines(path)) < 0)
			fprintf(out, "airgap: %s: absent\n", path);
		else
			fprintf(out, "airgap: %s: %ld sockets\n", path,
			    n > 0 ? n - 1 : 0);
	}
	nics(out);
	first_line("/proc/sys/kernel/modules_disabled", buf, sizeof(buf));
	fprintf(out, "airgap: kernel.modules_disabled=%s\n", buf);
	for (i = 0; i < 2; i++)
		if (probed[i][0] != '\0')
			fprintf(out, "airgap: %s\n", ui_safe(probed[i]));
	sticks(out);
	n = count_lines("/proc/swaps");
	fprintf(out, "airgap: swap devices: %ld\n", n > 0 ? n - 1 : 0);
	first_line("/proc/cmdline", buf, sizeof(buf));
	fprintf(out, "boot: command line: %s\n", ui_safe(buf));
	/* Whether c can draw dense codes on the screen: a kernel booted by
	 * UEFI has a framebuffer only if the boot loader handed it the
	 * firmware's graphics mode. */
	first_line("/sys/class/graphics/fb0/virtual_size", buf, sizeof(buf));
	if (buf[0] != '\0')
		buf[strcspn(buf, ",")] = 'x';
	fprintf(out, "boot: screen: %s%s\n", buf[0] != '\0' ?
	    "framebuffer /dev/fb0 " : "text only (no framebuffer: the QR "
	    "codes are drawn as text)", ui_safe(buf));
	first_line("/run/boot-times", buf, sizeof(buf));
	fprintf(out, "boot: uptimes (s): %s first-screen %s\n",
	    buf[0] != '\0' ? buf : "(not booted from the image)",
	    ui.first_screen);
}
