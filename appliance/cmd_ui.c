/*
 * `conclave ui`: options, then the guided application (ui/ui.c).
 */
#include "appliance/cmd_ui.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "appliance/cmd.h"
#include "ceremony/quorum.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "media/file.h"
#include "media/qr.h"
#include "media/stick.h"
#include "media/tty.h"
#include "ui/ui.h"

enum {
	OPT_STATE = 0x100, OPT_EXCHANGE, OPT_KEYS, OPT_STICKS, OPT_REHEARSAL,
	OPT_RELOCK, OPT_GNUPG_BASE, OPT_PREVIOUS, OPT_SYSFS, OPT_STICK_MOUNT,
	OPT_WAIT, OPT_EXCHANGE_MOUNT, OPT_ARCHIVE, OPT_CAMERA, OPT_CAMERA_FRAMES,
	OPT_FRAMEBUFFER, OPT_FRAMEBUFFER_SIZE, OPT_HELP,
};

static const struct option longopts[] = {
	{ "state", required_argument, NULL, OPT_STATE },
	{ "exchange", required_argument, NULL, OPT_EXCHANGE },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "sticks", required_argument, NULL, OPT_STICKS },
	{ "rehearsal", no_argument, NULL, OPT_REHEARSAL },
	{ "relock", required_argument, NULL, OPT_RELOCK },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "gnupg-base", required_argument, NULL, OPT_GNUPG_BASE },
	{ "previous-transcript", required_argument, NULL, OPT_PREVIOUS },
	{ "sysfs", required_argument, NULL, OPT_SYSFS },
	{ "stick-mount", required_argument, NULL, OPT_STICK_MOUNT },
	{ "exchange-mount", required_argument, NULL, OPT_EXCHANGE_MOUNT },
	{ "archive", required_argument, NULL, OPT_ARCHIVE },
	{ "camera", required_argument, NULL, OPT_CAMERA },
	{ "camera-frames", required_argument, NULL, OPT_CAMERA_FRAMES },
	{ "framebuffer", required_argument, NULL, OPT_FRAMEBUFFER },
	{ "framebuffer-size", required_argument, NULL, OPT_FRAMEBUFFER_SIZE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
    "usage: conclave [ui] [--state DIR] [--exchange DIR] [--keys DIR]\n"
    "                [--sticks DIR|auto] [--stick-mount DIR] [--exchange-mount DIR]\n"
    "                [--sysfs DIR] [--archive DIR]\n"
    "                [--previous-transcript FILE] [--rehearsal] [--relock SECONDS]\n"
    "                [--wait SECONDS] [--camera DEVICE | --camera-frames DIR]\n"
    "                [--framebuffer DEVICE|off] [--framebuffer-size WxH]\n"
    "\n"
    "The guided ceremony on the terminal (keyboard only, 80x24 or larger):\n"
    "init, unseal, rekey (with the optional check of all new shares after\n"
    "the handouts), a seal migration, root-token regeneration in OTP or PGP\n"
    "mode (the token encrypted to a key file picked from --keys) or a DR\n"
    "operation token; the last three record why and who authorised them\n"
    "before they begin. Init and rekey load the roster from the key files in --keys\n"
    "and each member confirms their fingerprint words; the others have a witness\n"
    "type the bridge's short authentication string before any share is sealed.\n"
    "The ceremony runs step by step with the bridge through the exchange\n"
    "folder, one holder at a time; a holder's stick holds their key file or\n"
    "share file (the newest *.gpg).\n"
    "F1 or ? shows help on every screen; F2 or Ctrl-E records a deviation.\n"
    "\n"
    "  --state DIR      the ceremony's state folder, on RAM (tmpfs: checked\n"
    "                   before the first screen); default\n"
    "                   /run/conclave/ceremony\n"
    "  --exchange DIR   the exchange folder (a rehearsal's, or a stick mounted\n"
    "                   by hand); without it, --sticks auto handles the\n"
    "                   exchange stick too: mounted on --exchange-mount\n"
    "                   (default /run/conclave/exchange) once it is the right\n"
    "                   stick, unmounted before it crosses to the bridge\n"
    "  --keys DIR       the folder holding the roster's public key files\n"
    "                   (*.asc, *.gpg; *.sec.* are skipped); default: the\n"
    "                   exchange folder or stick\n"
    "  --sticks DIR     holders' sticks as folders DIR/NAME (rehearsals): the\n"
    "                   share is written there and a secret key file found there\n"
    "                   (*.sec.asc) is used for the decrypt proof\n"
    "  --sticks auto    holders bring real USB sticks: the one inserted is found\n"
    "                   in sysfs, mounted (nodev,nosuid,noexec) on --stick-mount,\n"
    "                   read-write only for the handout, synced and unmounted\n"
    "                   before it is removed; the exchange stick as well,\n"
    "                   unless --exchange names a folder\n"
    "  --stick-mount DIR  where (default /run/conclave/stick); the archive\n"
    "                   stick too, at the summary (a: the closing step copies\n"
    "                   the transcript there and verifies the copy)\n"
    "  --archive DIR    the archive as a folder instead of a stick\n"
    "  --sysfs DIR      where sticks are looked for (default /sys)\n"
    "  --previous-transcript FILE\n"
    "                   the cluster's previous ceremony (from the archive\n"
    "                   stick): verified before anything starts, and its head\n"
    "                   hash chained into this ceremony's transcript (or p on\n"
    "                   the start screen: the chain's latest from the archive)\n"
    "  --rehearsal      a practice run: a REHEARSAL banner on every screen\n"
    "  --relock SECONDS lock the screen after this long without a key (300)\n"
    "  --wait SECONDS   a wait for the bridge this long offers to keep waiting\n"
    "                   or to abandon the ceremony, and says what to do on the\n"
    "                   operator's workstation (120); a abandons at any time\n"
    "  --camera DEVICE  the V4L2 camera that scans the bridge's QR codes\n"
    "                   (v on a screen waiting for the bridge; default\n"
    "                   /dev/video0)\n"
    "  --camera-frames DIR  rehearsals and tests without a camera: the PNG\n"
    "                   files in DIR, by name, stand in for its frames\n"
    "  --framebuffer DEVICE|off  where c draws the codes for the bridge's\n"
    "                   camera: a framebuffer (denser codes between the text\n"
    "                   rows), or off (text half blocks). Default: /dev/fb0\n"
    "                   when the UI runs on a Linux virtual console (/dev/ttyN)\n"
    "                   and /dev/fb0 exists, otherwise off\n"
    "  --framebuffer-size WxH  rehearsals and tests: --framebuffer names a\n"
    "                   file standing in for one, W x H pixels of XRGB8888\n"
    "The previous transcript of an init or rekey, or of a ceremony since that\n"
    "checked a handout (it carries it forward), also names who holds which\n"
    "share: each share is then taken only from the holder it was handed to.\n"
    "Without one, the begin screen says shares are not checked against holders.\n"
    CMD_GNUPG_BASE_HELP;

/*
 * The framebuffer under this terminal, if it is a Linux virtual console
 * (/dev/ttyN; fbcon draws every console on fb0) and /dev/fb0 is there to
 * write: the console's codes are drawn there. A serial line, a
 * pseudo-terminal (ssh, tmux) or a console in VGA text mode: none.
 */
static const char *
console_framebuffer(void)
{
	const char *t = ttyname(STDIN_FILENO);

	if (t == NULL || strncmp(t, "/dev/tty", 8) != 0 || t[8] < '0' ||
	    t[8] > '9' || strspn(t + 8, "0123456789") != strlen(t + 8))
		return NULL;
	return access(UI_CONSOLE_FB, W_OK) == 0 ? UI_CONSOLE_FB : NULL;
}

/*
 * One guided ceremony at a time handles a machine's sticks. The image
 * offers conclave ui on the screen and on the serial port; two of them
 * would both mount the stick put in, and the kernel refuses the second
 * mount (EBUSY: the first holds the device, or its file system is live
 * read-write while the second mounts read-only), besides sharing one
 * state folder. The lock is on the folder the sticks are mounted under
 * and dies with the process (the fd is not inherited: O_CLOEXEC). A
 * second one says so and waits until the first is left.
 */
static int
lock_sticks(const char *mountpoint, int *fdp)
{
	char *dir;
	int fd, r, e;

	if ((r = file_parent(mountpoint, &dir)) != CK_OK)
		return r;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = errno;
	free(dir);
	if (fd < 0)
		return file_errno(e);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK) {
			r = file_errno(errno);
			goto out;
		}
		tty_printw(stdout,
		    "The ceremony is running on another console of this "
		    "machine.\nThis console starts it when that one is left.\n");
		fflush(stdout);
		while (flock(fd, LOCK_EX) != 0)
			if (errno != EINTR) {
				r = file_errno(errno);
				goto out;
			}
	}
	*fdp = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static int
usage(FILE *f)
{
	fputs(usage_text, f);
	return f == stdout ? 0 : 2;
}

int
cmd_ui_main(int argc, char **argv)
{
	unsigned long long v, v2;
	const char *tmp, *exchange = NULL, *fb = NULL;
	char why[512];
	int c, r, lock = -1;

	memset(&ui, 0, sizeof(ui));
	ui.state_dir = "/run/conclave/ceremony";
	ui.exchange = "/run/conclave/exchange";
	ui.sysfs = STICK_SYSROOT;
	ui.stick_mount = "/run/conclave/stick";
	ui.camera = "/dev/video0";
	tmp = getenv("TMPDIR");
	ui.gnupg_base = tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp";
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_STATE: ui.state_dir = optarg; break;
		case OPT_EXCHANGE: ui.exchange = exchange = optarg; break;
		case OPT_EXCHANGE_MOUNT: ui.exchange = optarg; break;
		case OPT_ARCHIVE: ui.archive_dir = optarg; break;
		case OPT_CAMERA: ui.camera = optarg; break;
		case OPT_CAMERA_FRAMES: ui.camera_frames = optarg; break;
		case OPT_FRAMEBUFFER: fb = optarg; break;
		case OPT_FRAMEBUFFER_SIZE:
			if (rd_parse_size(optarg, QR_MAX_IMAGE_SIDE, &v, &v2) != CK_OK)
				return usage(stderr);
			ui.fb_file_w = (uint32_t)v;
			ui.fb_file_h = (uint32_t)v2;
			break;
		case OPT_KEYS: ui.keys_dir = optarg; break;
		case OPT_STICKS:
			if (strcmp(optarg, "auto") == 0)
				ui.sticks_auto = 1;
			else
				ui.sticks_dir = optarg;
			break;
		case OPT_SYSFS: ui.sysfs = optarg; break;
		case OPT_STICK_MOUNT: ui.stick_mount = optarg; break;
		case OPT_REHEARSAL: ui.rehearsal = 1; break;
		case OPT_GNUPG_BASE: ui.gnupg_base = optarg; break;
		case OPT_PREVIOUS: ui.previous = optarg; break;
		case OPT_RELOCK:
			if (rd_parse_uint(optarg, 1, 86400, &v) != CK_OK)
				return usage(stderr);
			ui.relock_secs = (unsigned)v;
			break;
		case OPT_WAIT:
			if (rd_parse_uint(optarg, 1, 86400, &v) != CK_OK)
				return usage(stderr);
			ui.wait_secs = (unsigned)v;
			break;
		case OPT_HELP: return usage(stdout);
		default: return usage(stderr);
		}
	}
	if (optind != argc)
		return usage(stderr);
	/* --exchange names a folder; otherwise real sticks include it. */
	ui.exchange_auto = ui.sticks_auto && exchange == NULL;
	/* Its mount point exists only while it is mounted (ui/sticks.c). */
	if (ui.exchange_auto)
		(void)rmdir(ui.exchange);
	if (ui.keys_dir == NULL)
		ui.keys_dir = ui.exchange;
	ui.framebuffer = fb == NULL ? console_framebuffer() :
	    strcmp(fb, "off") == 0 ? NULL : fb;
	if (ui.fb_file_w != 0 && ui.framebuffer == NULL)
		return usage(stderr);
	/* The ceremony key will live in the state folder: a folder on disk
	 * is refused before the room has done anything, not at the begin. */
	if ((r = session_check_ram(ui.state_dir)) != CK_OK)
		return cmd_refuse("ui", "--state", r, NULL);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		tty_printw(stderr,
		    "conclave: the guided ceremony needs a terminal; "
		    "the command-line steps are `conclave init ...`\n");
		return 2;
	}
	if (ui.sticks_auto && (r = lock_sticks(ui.stick_mount, &lock)) != CK_OK)
		return cmd_refuse("ui", "--stick-mount", r, NULL);
	if (ui.previous != NULL &&
	    (r = ui_take_previous(ui.previous, why, sizeof(why))) != CK_OK) {
		tty_printw(stderr,
		    "conclave ui: previous transcript %s: %s (%s)\n"
		    "  %s\n", ui.previous, ck_strerror(r), ck_errname(r), why);
		return 1;
	}
	if ((r = pgp_home_open(ui.gnupg_base, &ui.home)) != CK_OK) {
		tty_printw(stderr,
		    "conclave: cannot open a keyring under %s: %s\n",
		    ui.gnupg_base, ck_strerror(r));
		return 1;
	}
	r = ui_run();
	if (lock >= 0)
		close(lock);
	return r;
}
