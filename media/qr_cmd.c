/*
 * qr-encode, qr-show, qr-decode, qr-scan, and the text armor's armor and
 * dearmor (see qr_cmd.h). Argument parsing and reporting only; the work is
 * in media/qrstream.c and protocol/envelope.c.
 */
#include "media/qr_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "crypto/errors.h"
#include "media/exchange.h"
#include "media/file.h"
#include "media/qrstream.h"
#include "media/tty.h"
#include "protocol/envelope.h"

#define QRCMD_MAX_FRAMES 100000		/* --frames upper bound */
#define QRCMD_MAX_STALL 3600		/* --stall upper bound, seconds */
#define QRCMD_POLL_MS 250		/* camera wait per attempt */
#define QRCMD_LINK_EVERY 3		/* seconds between read-rate reports */
#define QRCMD_OUT_MODE 0600

static int
fail(const char *prog, const char *what, int err)
{
	tty_printw(stderr, "%s: %s: %s (%s)\n", prog, what, ck_strerror(err),
	    ck_errname(err));
	return 1;
}

static int
bad_usage(const char *prog, const char *cmd, const char *msg)
{
	tty_printw(stderr,
	    "%s %s: %s (try %s %s --help)\n", prog, cmd, msg, prog, cmd);
	return 2;
}

static int
want_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static int
read_message(const char *path, uint8_t **msg, size_t *len)
{
	return file_read(AT_FDCWD, path, FTN_MAX_MESSAGE, msg, len);
}

/*
 * Write the message atomically as path (directory part + file name). A
 * bare file name is in ".": the write fsyncs the folder, so it needs a
 * descriptor of it (AT_FDCWD is none, and the write failed after it).
 */
static int
write_message(const char *path, const uint8_t *msg, size_t len)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int dfd = -1, r;

	dir = slash == NULL ? strdup(".") :
	    strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (dir == NULL)
		return CK_ERR_ALLOC;
	if ((r = file_open_dir(AT_FDCWD, dir, 0, 0, &dfd)) == CK_OK) {
		r = file_write_atomic(dfd, slash != NULL ? slash + 1 : path, msg,
		    len, QRCMD_OUT_MODE, FILE_REPLACE);
		close(dfd);
	}
	free(dir);
	return r;
}

static int
parse_count(const char *s, unsigned long long max, unsigned long long *v)
{
	return rd_parse_uint(s, 1, max, v);
}

static int parse_size(const char *s, int *cols, int *rows);

/* What qr-encode and qr-show take: FILE, --frames, QR options, and more. */
struct sender_args {
	struct qrs_opts o;
	const char *file;
	const char *place;	/* the value of --png-dir or --fb */
	const char *readback;	/* --readback CAMERA, qr-show only */
	unsigned long long frames;
	int cols, rows;		/* --size, qr-show only */
};

/*
 * Parse argv for qr-encode (place_opt "--png-dir") or qr-show ("--fb",
 * which also takes --size). 0 on success, else the usage exit status.
 */
static int
parse_sender(int argc, char **argv, const char *place_opt, struct sender_args *a)
{
	const char *prog = program_invocation_short_name;
	int i, e, show = strcmp(place_opt, "--fb") == 0;

	memset(a, 0, sizeof(*a));
	qrs_opts_init(&a->o);
	for (i = 1; i < argc; i++) {
		if ((e = qrs_opts_parse(&a->o, argc, argv, &i)) == CK_OK)
			continue;
		if (e != CK_ERR_NOT_FOUND)
			return bad_usage(prog, argv[0], "bad option value");
		if (strcmp(argv[i], place_opt) == 0 && i + 1 < argc)
			a->place = argv[++i];
		else if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc) {
			if (parse_count(argv[++i], QRCMD_MAX_FRAMES, &a->frames) != CK_OK)
				return bad_usage(prog, argv[0], "bad --frames");
		} else if (show && strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &a->cols, &a->rows) != CK_OK)
				return bad_usage(prog, argv[0], "bad --size");
		} else if (show && strcmp(argv[i], "--readback") == 0 && i + 1 < argc)
			a->readback = argv[++i];
		else if (argv[i][0] != '-' && a->file == NULL)
			a->file = argv[i];
		else
			return bad_usage(prog, argv[0], "unexpected argument");
	}
	if (a->file == NULL)
		return bad_usage(prog, argv[0], "need FILE");
	return 0;
}

/* ---- qr-encode ---- */

static void
encode_usage(const char *prog)
{
	printf("usage: %s qr-encode FILE --png-dir DIR [--frames N] [OPTIONS]\n"
	    "\n"
	    "Write the envelope FILE as QR codes, qr-0000.png, qr-0001.png, ... in\n"
	    "DIR (created if missing). A small envelope is one code; a larger one a\n"
	    "fountain-coded stream of which any large enough subset decodes. Every\n"
	    "code is read back before it is written.\n"
	    "\n"
	    "  --frames N     how many codes to write (default: the fragments plus a\n"
	    "                 quarter for codes lost on the way, plus 2)\n"
	    QRS_OPTS_HELP, prog);
}

int
qrcmd_encode(int argc, char **argv)
{
	const char *prog = program_invocation_short_name;
	struct sender_args a;
	struct qr_scanner *sc = NULL;
	unsigned long long frames;
	uint8_t *msg = NULL;
	size_t len = 0;
	uint32_t k = 0;
	int e, dfd = -1, rc = 1;

	if (want_help(argc, argv)) {
		encode_usage(prog);
		return 0;
	}
	if ((rc = parse_sender(argc, argv, "--png-dir", &a)) != 0)
		return rc;
	rc = 1;
	if (a.place == NULL)
		return bad_usage(prog, argv[0], "need --png-dir DIR");
	if ((e = read_message(a.file, &msg, &len)) != CK_OK ||
	    (e = ftn_fragment_count(len, a.o.fragment, &k)) != CK_OK) {
		rc = fail(prog, a.file, e);
		goto out;
	}
	frames = a.frames != 0 ? a.frames : qrs_png_frames(k);
	if ((e = file_open_dir(AT_FDCWD, a.place, FILE_CREATE, 0755, &dfd)) != CK_OK) {
		rc = fail(prog, a.place, e);
		goto out;
	}
	if ((e = qr_scanner_new(&sc)) != CK_OK ||
	    (e = qrs_export_png(msg, len, &a.o, sc, dfd, (uint32_t)frames, &k)) != CK_OK) {
		rc = fail(prog, "writing QR codes", e);
		goto out;
	}
	tty_printw(stdout, "%s: %llu code(s) in %s: %zu bytes, %u fragment(s) "
	    "of %zu bytes%s\n",
	    prog, frames, a.place, len, k, a.o.fragment,
	    k == 1 ? " (one static code)" : "; any large enough subset decodes");
	rc = 0;
out:
	if (dfd >= 0)
		close(dfd);
	qr_scanner_free(sc);
	free(msg);
	return rc;
}

/* ---- qr-show ---- */

static void
show_usage(const char *prog)
{
	printf("usage: %s qr-show FILE [--fb DEVICE] [--frames N]\n"
	    "          [--size COLSxROWS] [--readback CAMERA] [OPTIONS]\n"
	    "\n"
	    "Show the envelope FILE as QR codes: in this terminal (half-block\n"
	    "characters, as large as the terminal allows) or, with --fb, as pixels\n"
	    "on a framebuffer such as /dev/fb0. A stream runs until interrupted or\n"
	    "until N codes were shown. Every code is read back before it is shown.\n"
	    "On a terminal, + and - change the rate of a stream while it runs.\n"
	    "\n"
	    "  --size CxR     terminal size to assume when it cannot be asked\n"
	    "  --readback CAMERA  first show test codes of a few densities and read\n"
	    "                 them with this camera (e.g. /dev/video0, seeing this\n"
	    "                 screen): the stream then uses the density read best\n"
	    "                 (without a camera the check is skipped)\n"
	    QRS_OPTS_HELP, prog);
}

static int
parse_size(const char *s, int *cols, int *rows)
{
	unsigned long long c, r;

	if (rd_parse_size(s, 10000, &c, &r) != CK_OK)
		return CK_ERR_INVALID_ARG;
	*cols = (int)c;
	*rows = (int)r;
	return CK_OK;
}

/* The side, in modules with the quiet zone, of the largest code a terminal
 * of cols x rows holds as qr_render_text draws it (status line off). */
static int
terminal_side(int cols, int rows)
{
	return cols < 2 * (rows - 1) ? cols : 2 * (rows - 1);
}

/* Say what would fit this terminal instead. */
static void
no_fit(const char *prog, const struct sender_args *a)
{
	int w = terminal_side(a->cols, a->rows);
	size_t f = 0;
	char less[48] = "";

	if (qrs_fragment_for_width(w - 2 * QR_QUIET, a->o.ecc, &f) == CK_OK)
		snprintf(less, sizeof(less), ", use --fragment %zu or less", f);
	tty_printw(stderr, "%s: the code does not fit on this %dx%d terminal: "
	    "enlarge it%s, or use the USB stick\n", prog, a->cols, a->rows,
	    less);
}

/*
 * qr-show's keys: on a terminal, + and - change the display rate while
 * the stream runs (the person at the sender acting on what the receiver
 * reports). The terminal is put in single-key mode without echo; Ctrl-C
 * and the like end the stream, the terminal is restored, and the signal is
 * raised again so the exit status is the signal's, as without keys.
 */
struct keys {
	int on;
	struct termios saved;
};

static volatile sig_atomic_t stop_signal;

static void
on_stop(int sig)
{
	stop_signal = sig;
}

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void
keys_start(struct keys *k)
{
	struct sigaction sa;
	struct termios t;
	size_t i;

	k->on = 0;
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &k->saved) != 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: the wait ends early */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		(void)sigaction(stop_signals[i], &sa, NULL);
	t = k->saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	k->on = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
}

static void
keys_end(struct keys *k)
{
	size_t i;

	if (!k->on)
		return;
	(void)tcsetattr(STDIN_FILENO, TCSANOW, &k->saved);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		(void)signal(stop_signals[i], SIG_DFL);
	if (stop_signal != 0)
		(void)raise(stop_signal);
}

/* A key changes the rate: + (or =) one code per second more, - one less. */
static void
key_rate(char c, unsigned int *fps)
{
	if ((c == '+' || c == '=') && *fps < QRS_MAX_FPS)
		(*fps)++;
	else if (c == '-' && *fps > QRS_MIN_FPS)
		(*fps)--;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait one code's time, taking keys meanwhile when k->on: 1 when Enter
 * or q was pressed (the receiver has the envelope), else 0. */
static int
pause_frame(unsigned int *fps, const struct keys *k)
{
	double end = now_s() + 1.0 / *fps, left;
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	char buf[16];
	ssize_t got, i;
	int listen = k->on;

	while (stop_signal == 0 && (left = end - now_s()) > 0) {
		if (!listen) {
			struct timespec ts = { (time_t)left,
			    (long)((left - (time_t)left) * 1e9) };

			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		if ((got = read(STDIN_FILENO, buf, sizeof(buf))) <= 0) {
			listen = 0;	/* the terminal went away: just wait */
			continue;
		}
		for (i = 0; i < got; i++) {
			if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == 'q')
				return 1;
			key_rate(buf[i], fps);
		}
	}
	return 0;
}

/* show_text's keys: 0 none, 1 the rate, SHOW_UNTIL_ENTER the rate and Enter */
#define SHOW_UNTIL_ENTER 2

/* One code on the terminal, with a status line under it (one row). */
static int
show_text(const struct qr_code *c, int cols, int rows, uint32_t n, uint32_t k,
    unsigned int fps, int keys)
{
	char *t = NULL;
	int e;

	if ((e = qr_render_text(c, cols, rows - 1, QR_TEXT_ANSI, &t)) != CK_OK)
		return e;
	/* Clear once it is known to fit, then redraw in place. */
	fputs(n == 0 ? "\x1b[2J\x1b[H" : "\x1b[H", stdout);
	fputs(t, stdout);
	if (k == 0)
		printf("read-back test code %u: hold the camera on it\x1b[K\n", n);
	else if (keys == SHOW_UNTIL_ENTER)
		printf("code %u of %u, %u/s: + faster, - slower, Enter once the "
		    "appliance has it\x1b[K\n", n, k, fps);
	else if (k == 1)
		printf("conclave envelope: one code\x1b[K\n");
	else if (keys)
		printf("code %u, stream of %u fragments, %u codes/s: + faster, "
		    "- slower, Ctrl-C to stop\x1b[K\n", n, k, fps);
	else
		printf("code %u, stream of %u fragments: Ctrl-C to stop\x1b[K\n",
		    n, k);
	fflush(stdout);
	free(t);
	return CK_OK;
}

/* Where qr-show draws, for qrs_readback's callbacks. */
struct show_place {
	const struct sender_args *a;
	struct qr_camera *cam;
	uint32_t n;
};

static int
readback_show(const struct qr_code *c, void *ctx)
{
	struct show_place *sp = ctx;

	return sp->a->place != NULL ? qr_fb_show(sp->a->place, c) :
	    show_text(c, sp->a->cols, sp->a->rows, sp->n++, 0, 0, 0);
}

static int
readback_grab(struct qr_image **img, void *ctx)
{
	struct show_place *sp = ctx;

	return qr_camera_grab(sp->cam, QRCMD_POLL_MS, img);
}

/*
 * qr-show --readback: pick the density this screen and camera read best
 * (qrs_readback); without a camera, keep a's settings and say so.
 */
static int
readback(const char *prog, struct sender_args *a, struct qr_scanner *sc)
{
	struct show_place sp = { a, NULL, 0 };
	struct qrs_readback_io io = { readback_show, readback_grab, &sp };
	struct qrs_opts pick;
	struct qrs_link best;
	size_t max = FTN_MAX_FRAGMENT;
	int e, w;

	if ((e = qr_camera_open(a->readback, &sp.cam)) != CK_OK) {
		tty_printw(stderr,
		    "%s: read-back skipped: no camera at %s (%s)\n",
		    prog, a->readback, ck_strerror(e));
		return CK_OK;
	}
	if (a->place == NULL) {
		/* what the terminal holds, as qr_render_text draws (status line off) */
		w = terminal_side(a->cols, a->rows);
		if ((e = qrs_fragment_for_width(w - 2 * QR_QUIET, a->o.ecc, &max)) != CK_OK)
			goto out;
	}
	e = qrs_readback(sc, &a->o, max, QRS_READBACK_FRAMES, &io, &pick, &best);
	if (e == CK_OK) {
		tty_printw(stderr,
		    "%s: read-back: %u-byte codes read in %u of %u frames; "
		    "showing with --fragment %zu\n", prog, best.fragment, best.read,
		    best.scanned, pick.fragment);
		a->o = pick;
	} else if (e == CK_ERR_QR_NOT_FOUND) {
		tty_printw(stderr,
		    "%s: read-back: the camera read no test code; keeping "
		    "--fragment %zu\n", prog, a->o.fragment);
		e = CK_OK;
	}
out:
	qr_camera_close(sp.cam);
	return e;
}

int
qrcmd_show(int argc, char **argv)
{
	const char *prog = program_invocation_short_name;
	struct sender_args a;
	struct qr_scanner *sc = NULL;
	struct qrs_sender *snd = NULL;
	struct winsize ws;
	unsigned long long frames;
	uint8_t *msg = NULL;
	size_t len = 0;
	struct keys keys = { 0 };
	uint32_t n, k;
	int e, rc;

	if (want_help(argc, argv)) {
		show_usage(prog);
		return 0;
	}
	if ((rc = parse_sender(argc, argv, "--fb", &a)) != 0)
		return rc;
	rc = 1;
	if (a.cols == 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0 && ws.ws_row > 0) {
		a.cols = ws.ws_col;
		a.rows = ws.ws_row;
	}
	if (a.place == NULL && a.cols == 0)
		return bad_usage(prog, argv[0],
		    "not a terminal: give --size COLSxROWS or --fb DEVICE");
	if ((e = read_message(a.file, &msg, &len)) != CK_OK ||
	    (e = qr_scanner_new(&sc)) != CK_OK) {
		rc = fail(prog, a.file, e);
		goto out;
	}
	if (a.readback != NULL && (e = readback(prog, &a, sc)) != CK_OK) {
		if (e == CK_ERR_QR_NO_FIT)
			no_fit(prog, &a);
		else
			rc = fail(prog, "read-back", e);
		goto out;
	}
	if ((e = qrs_sender_new(msg, len, a.o.fragment, a.o.ecc, &snd)) != CK_OK) {
		rc = fail(prog, a.file, e);
		goto out;
	}
	k = qrs_sender_fragments(snd);
	frames = a.frames == 0 && k == 1 ? 1 : a.frames;
	if (k > 1)
		keys_start(&keys);
	for (n = 0; (frames == 0 || n < frames) && stop_signal == 0; n++) {
		struct qr_code *c = NULL;

		if ((e = qrs_sender_next(snd, sc, &c)) == CK_OK)
			e = a.place != NULL ? qr_fb_show(a.place, c) :
			    show_text(c, a.cols, a.rows, n, k, a.o.fps, keys.on);
		qr_code_free(c);
		if (e == CK_ERR_QR_NO_FIT) {
			no_fit(prog, &a);
			goto out;
		}
		if (e != CK_OK) {
			rc = fail(prog, a.place != NULL ? a.place : "showing a code", e);
			goto out;
		}
		if (frames == 0 || n + 1 < frames)
			(void)pause_frame(&a.o.fps, &keys);
	}
	rc = 0;
out:
	qrs_sender_free(snd);
	qr_scanner_free(sc);
	free(msg);
	keys_end(&keys);
	return rc;
}

int
qrcmd_show_until_enter(const uint8_t *msg, size_t len)
{
	struct qr_scanner *sc = NULL;
	struct qrs_sender *snd = NULL;
	struct qrs_opts o;
	struct winsize ws;
	struct keys keys = { 0 };
	uint32_t n, k;
	int e, done = 0;

	size_t max;

	qrs_opts_init(&o);
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 ||
	    ws.ws_row == 0)
		return CK_ERR_IO;
	/* the densest code this terminal holds, as the appliance's screen does */
	if ((e = qrs_fragment_for_width(terminal_side(ws.ws_col, ws.ws_row) -
	    2 * QR_QUIET, o.ecc, &max)) != CK_OK)
		return e;
	if (o.fragment > max)
		o.fragment = max;
	if ((e = qr_scanner_new(&sc)) != CK_OK ||
	    (e = qrs_sender_new(msg, len, o.fragment, o.ecc, &snd)) != CK_OK)
		goto out;
	k = qrs_sender_fragments(snd);
	keys_start(&keys);
	if (!keys.on) {
		e = CK_ERR_IO;
		goto out;
	}
	/* the codes on the alternate screen: what was printed before (the
	 * words to compare) is there again after */
	fputs("\x1b[?1049h", stdout);
	for (n = 0; !done && stop_signal == 0; n++) {
		struct qr_code *c = NULL;

		if ((e = qrs_sender_next(snd, sc, &c)) == CK_OK)
			e = show_text(c, ws.ws_col, ws.ws_row, n, k, o.fps,
			    SHOW_UNTIL_ENTER);
		qr_code_free(c);
		if (e != CK_OK)
			break;
		done = pause_frame(&o.fps, &keys);
	}
	fputs("\x1b[?1049l", stdout);
	fflush(stdout);
out:
	keys_end(&keys);
	qrs_sender_free(snd);
	qr_scanner_free(sc);
	return e;
}

/* ---- qr-decode and qr-scan ---- */

/* What one image or camera frame gave, for the operator. */
static void
report(const char *prog, const char *src, int e, const struct qrs_receiver *r)
{
	struct ftn_progress p;
	char line[160];
	const char *what;

	switch (e) {
	case CK_OK:
		what = "ok";
		break;
	case CK_ERR_QR_NOT_FOUND:
		what = "no QR code";
		break;
	case CK_ERR_BAD_MAGIC:
		what = "a QR code that is not a conclave envelope frame, ignored";
		break;
	case CK_ERR_TOO_LARGE:
		what = "a frame of a stream larger than any envelope, ignored";
		break;
	case CK_ERR_QR_IMAGE_TOO_LARGE:
		what = "an image over the reader's limits (8192 pixels a side, "
		    "32 MiB), ignored";
		break;
	case CK_ERR_QR_OTHER_MESSAGE:
		what = "a frame of a different envelope, ignored: is the right "
		    "code on screen?";
		break;
	default:
		what = ck_strerror(e);
		break;
	}
	qrs_receiver_progress(r, &p);
	qrs_progress_text(&p, line, sizeof(line));
	tty_printw(stderr, "%s: %s: %s; %s\n", prog, src, what, line);
}

/*
 * Put a received envelope where the ceremony steps look for it: the
 * exchange folder root/<ceremony id>/NNNNNN-<type>.env, named from its
 * signed header (so only a well-formed, signed envelope is placed; the
 * ceremony step still checks whose signature and which seq it expects).
 */
static int
place_envelope(const char *prog, const char *root, const uint8_t *msg,
    size_t len)
{
	struct envelope env;
	struct exch_dir *d = NULL;
	char name[ENVELOPE_FILE_NAME_MAX], hex[ENVELOPE_CEREMONY_ID_HEX + 1];
	int e;

	if ((e = envelope_parse(msg, len, &env)) != CK_OK)
		return fail(prog, "the codes carry no valid envelope", e);
	if ((e = envelope_file_name(env.seq, env.type, name)) == CK_OK &&
	    (e = exch_open(root, env.ceremony_id, EXCH_CREATE, &d)) == CK_OK)
		e = exch_write(d, name, msg, len, 0);
	envelope_ceremony_id_hex(env.ceremony_id, hex);
	envelope_free(&env);
	exch_close(d);
	if (e != CK_OK)
		return fail(prog, root, e);
	tty_printw(stderr,
	    "%s: envelope %s placed in %s/%s\n", prog, name, root, hex);
	return 0;
}

/*
 * What qr-decode and qr-scan share: where the envelope goes (--out FILE
 * or --exchange DIR) and the scanner and receiver that reassemble it.
 */
struct intake {
	const char *out, *exchange;
	struct qr_scanner *sc;
	struct qrs_receiver *r;
};

/* argv[*i] is --out FILE or --exchange DIR: take it and its value (1). */
static int
intake_option(struct intake *in, int argc, char **argv, int *i)
{
	const char **to = strcmp(argv[*i], "--out") == 0 ? &in->out :
	    strcmp(argv[*i], "--exchange") == 0 ? &in->exchange : NULL;

	if (to == NULL || *i + 1 >= argc)
		return 0;
	*to = argv[++*i];
	return 1;
}

/* Exactly one of --out and --exchange (else bad usage, need saying
 * what), then the scanner and the receiver: 0 or the exit status.
 * intake_close either way. */
static int
intake_open(struct intake *in, const char *prog, const char *cmd,
    const char *need)
{
	int e;

	if ((in->out == NULL) == (in->exchange == NULL))
		return bad_usage(prog, cmd, need);
	if ((e = qr_scanner_new(&in->sc)) != CK_OK ||
	    (e = qrs_receiver_new(ENVELOPE_MAX_BYTES, &in->r)) != CK_OK)
		return fail(prog, "setting up", e);
	return 0;
}

static void
intake_close(struct intake *in)
{
	qrs_receiver_free(in->r);
	qr_scanner_free(in->sc);
}

/* Write the complete message to --out FILE or into --exchange ROOT. */
static int
finish(const char *prog, const struct intake *in)
{
	const struct qrs_receiver *r = in->r;
	const char *out = in->out, *exchange = in->exchange;
	uint8_t *msg = NULL;
	size_t len = 0;
	int e, rc;

	if ((e = qrs_receiver_message(r, &msg, &len)) != CK_OK)
		return fail(prog, "no message", e);
	if (exchange != NULL) {
		rc = place_envelope(prog, exchange, msg, len);
		free(msg);
		return rc;
	}
	e = write_message(out, msg, len);
	free(msg);
	if (e != CK_OK)
		return fail(prog, out, e);
	tty_printw(stderr,
	    "%s: envelope of %zu bytes written to %s\n", prog, len, out);
	return 0;
}

static void
decode_usage(const char *prog)
{
	printf("usage: %s qr-decode (--out FILE | --exchange DIR) IMAGE.png...\n"
	    "\n"
	    "Read QR codes from PNG images (in any order, any subset large enough)\n"
	    "and write the envelope they carry to FILE, or, with --exchange, into\n"
	    "the exchange folder DIR as the ceremony steps expect it\n"
	    "(DIR/<ceremony id>/NNNNNN-<type>.env, signature checked first).\n"
	    "Codes of another envelope, other barcodes and damaged codes are\n"
	    "reported and skipped.\n"
	    "Exit status: 0 written, %d not enough codes yet, 1 error.\n",
	    prog, QRCMD_EXIT_INCOMPLETE);
}

int
qrcmd_decode(int argc, char **argv)
{
	static const char need[] = "need images and --out FILE or --exchange DIR";
	const char *prog = program_invocation_short_name;
	struct intake in = { 0 };
	struct ftn_progress p;
	int i, e, images = 0, rc = 1;

	if (want_help(argc, argv)) {
		decode_usage(prog);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (intake_option(&in, argc, argv, &i))
			continue;
		if (argv[i][0] == '-')
			return bad_usage(prog, argv[0], "unexpected option");
		images++;
	}
	if (images == 0)
		return bad_usage(prog, argv[0], need);
	if ((rc = intake_open(&in, prog, argv[0], need)) != 0)
		goto out;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 || strcmp(argv[i], "--exchange") == 0) {
			i++;
			continue;
		}
		e = qrs_receiver_png(in.r, in.sc, argv[i]);
		report(prog, argv[i], e, in.r);
		qrs_receiver_progress(in.r, &p);
		if (p.complete)
			break;
	}
	qrs_receiver_progress(in.r, &p);
	if (!p.complete) {
		tty_printw(stderr,
		    "%s: incomplete: %u of %u fragments; scan more codes "
		    "or use the USB stick\n", prog, p.recovered, p.fragments);
		rc = QRCMD_EXIT_INCOMPLETE;
		goto out;
	}
	rc = finish(prog, &in);
out:
	intake_close(&in);
	return rc;
}

static void
scan_usage(const char *prog)
{
	printf("usage: %s qr-scan (--out FILE | --exchange DIR)\n"
	    "          [--camera DEVICE | --camera-frames DIR] [--stall SECONDS]\n"
	    "\n"
	    "Read QR codes from a camera (default /dev/video0) until the envelope\n"
	    "they carry is complete, then write it to FILE or into the exchange\n"
	    "folder DIR (as qr-decode does). Progress is shown as\n"
	    "frames arrive, and every few seconds the share of camera frames read,\n"
	    "with what the sender could change (faster, steadier, less dense).\n"
	    "When no new information has come for SECONDS\n"
	    "(default %d) it stops and says to use the USB stick instead.\n"
	    "--camera-frames DIR, for rehearsals and tests without a camera: the\n"
	    "PNG files in DIR, by name and round and round, are its frames; a\n"
	    "frame removed before its turn is a camera that is gone.\n"
	    "Exit status: 0 written, %d stalled, 1 error.\n",
	    prog, QRS_STALL_SECONDS, QRCMD_EXIT_INCOMPLETE);
}

static void
link_report(const char *prog, const struct qrs_receiver *r,
    const struct ftn_progress *p, double secs)
{
	struct qrs_link l;
	char line[256];

	qrs_receiver_link(r, &l);
	qrs_link_text(&l, p, secs, qrs_link_hint(&l), line, sizeof(line));
	tty_printw(stderr, "%s: %s\n", prog, line);
}

int
qrcmd_scan(int argc, char **argv)
{
	const char *prog = program_invocation_short_name;
	struct intake in = { 0 };
	struct qr_camera *cam = NULL;
	struct ftn_progress p;
	const char *dev = "/dev/video0", *frames = NULL;
	unsigned long long stall = QRS_STALL_SECONDS;
	struct qrs_watch w;
	uint32_t seen = 0, rejected = 0;
	time_t start, told;
	int i, e, rc = 1;

	if (want_help(argc, argv)) {
		scan_usage(prog);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (intake_option(&in, argc, argv, &i))
			continue;
		if (strcmp(argv[i], "--camera") == 0 && i + 1 < argc)
			dev = argv[++i];
		else if (strcmp(argv[i], "--camera-frames") == 0 && i + 1 < argc)
			dev = frames = argv[++i];
		else if (strcmp(argv[i], "--stall") == 0 && i + 1 < argc) {
			if (parse_count(argv[++i], QRCMD_MAX_STALL, &stall) != CK_OK)
				return bad_usage(prog, argv[0], "bad --stall");
		} else
			return bad_usage(prog, argv[0], "unexpected argument");
	}
	if ((rc = intake_open(&in, prog, argv[0],
	    "need --out FILE or --exchange DIR")) != 0)
		goto out;
	rc = 1;
	if ((e = frames != NULL ? qr_camera_open_recorded(frames, &cam) :
	    qr_camera_open(dev, &cam)) != CK_OK) {
		rc = fail(prog, dev, e);
		goto out;
	}
	tty_printw(stderr,
	    "%s: scanning with %s; hold the codes in view\n", prog, dev);
	qrs_watch_start(&w, (unsigned int)stall, time(NULL));
	start = told = time(NULL);
	for (;;) {
		e = qrs_receiver_camera(in.r, in.sc, cam, QRCMD_POLL_MS);
		if (e == CK_ERR_MEDIA_GONE) {
			tty_printw(stderr,
			    "%s: %s: the camera is gone (%s); use the USB "
			    "stick instead\n", prog, dev, ck_errname(e));
			goto out;
		}
		if (e == CK_ERR_IO || e == CK_ERR_UNSUPPORTED || e == CK_ERR_ALLOC) {
			rc = fail(prog, dev, e);
			goto out;
		}
		qrs_receiver_progress(in.r, &p);
		/* Report what changed: new information, or a refused code. */
		if (p.frames_useful != seen || p.frames_rejected != rejected) {
			seen = p.frames_useful;
			rejected = p.frames_rejected;
			report(prog, dev, e, in.r);
		}
		if (p.complete)
			break;
		/* The read rate, for the person at the sender, now and then. */
		if (time(NULL) - told >= QRCMD_LINK_EVERY) {
			told = time(NULL);
			link_report(prog, in.r, &p, (double)(told - start));
		}
		if (qrs_watch_stalled(&w, &p, time(NULL))) {
			link_report(prog, in.r, &p, (double)(time(NULL) - start));
			tty_printw(stderr,
			    "%s: stalled: nothing new for %llu s (%u of %u "
			    "fragments); use the USB stick instead\n", prog, stall,
			    p.recovered, p.fragments);
			rc = QRCMD_EXIT_INCOMPLETE;
			goto out;
		}
	}
	rc = finish(prog, &in);
out:
	qr_camera_close(cam);
	intake_close(&in);
	return rc;
}

/* ---- armor and dearmor ---- */

int
qrcmd_armor(int argc, char **argv)
{
	const char *prog = program_invocation_short_name;
	uint8_t *msg = NULL;
	char *text = NULL;
	size_t len = 0, tlen = 0;
	int e;

	if (want_help(argc, argv)) {
		printf("usage: %s armor FILE\n"
		    "\n"
		    "Print the envelope FILE as armored text (docs/envelope.md §6), to\n"
		    "paste, print or read out when neither QR codes nor a stick will do;\n"
		    "conclave-bridge dearmor reads it back.\n", prog);
		return 0;
	}
	if (argc != 2)
		return bad_usage(prog, argv[0], "need one envelope FILE");
	if ((e = read_message(argv[1], &msg, &len)) != CK_OK)
		return fail(prog, argv[1], e);
	e = envelope_armor(msg, len, &text, &tlen);
	free(msg);
	if (e != CK_OK)
		return fail(prog, argv[1], e);
	fwrite(text, 1, tlen, stdout);
	free(text);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Armored text from path, or stdin for "-"; at most ENVELOPE_ARMOR_MAX bytes. */
static int
read_armor(const char *path, char **text, size_t *len)
{
	size_t n = 0;
	ssize_t got;

	if (strcmp(path, "-") != 0)
		return file_read(AT_FDCWD, path, ENVELOPE_ARMOR_MAX, (uint8_t **)text,
		    len);
	if ((*text = malloc(ENVELOPE_ARMOR_MAX + 2)) == NULL)
		return CK_ERR_ALLOC;
	while (n <= ENVELOPE_ARMOR_MAX) {
		got = read(STDIN_FILENO, *text + n, ENVELOPE_ARMOR_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	if (n > ENVELOPE_ARMOR_MAX || got < 0) {
		free(*text);
		*text = NULL;
		return n > ENVELOPE_ARMOR_MAX ? CK_ERR_TOO_LARGE : CK_ERR_IO;
	}
	*len = n;
	return CK_OK;
}

int
qrcmd_dearmor(int argc, char **argv)
{
	const char *prog = program_invocation_short_name;
	const char *out = NULL, *exchange = NULL, *in = "-";
	uint8_t *msg = NULL;
	char *text = NULL;
	size_t len = 0, tlen = 0;
	int i, e, rc;

	if (want_help(argc, argv)) {
		printf("usage: %s dearmor (--out FILE | --exchange DIR) [TEXT-FILE]\n"
		    "\n"
		    "Read an armored envelope (conclave armor's text) from TEXT-FILE or\n"
		    "standard input and write the envelope to FILE, or, with --exchange,\n"
		    "into the exchange folder DIR as the ceremony steps expect it\n"
		    "(signature checked first). The text must be exactly as armor wrote\n"
		    "it: each refusal names what was wrong.\n", prog);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && out == NULL)
			out = argv[++i];
		else if (strcmp(argv[i], "--exchange") == 0 && i + 1 < argc &&
		    exchange == NULL)
			exchange = argv[++i];
		else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)
			in = argv[i];
		else
			return bad_usage(prog, argv[0], "unknown option");
	}
	if ((out == NULL) == (exchange == NULL))
		return bad_usage(prog, argv[0], "need --out FILE or --exchange DIR");
	if ((e = read_armor(in, &text, &tlen)) != CK_OK)
		return fail(prog, in, e);
	e = envelope_dearmor(text, tlen, &msg, &len);
	free(text);
	if (e != CK_OK)
		return fail(prog, "not an armored envelope", e);
	if (exchange != NULL)
		rc = place_envelope(prog, exchange, msg, len);
	else if ((e = write_message(out, msg, len)) != CK_OK)
		rc = fail(prog, out, e);
	else {
		tty_printw(stderr,
		    "%s: envelope of %zu bytes written to %s\n", prog,
		    len, out);
		rc = 0;
	}
	free(msg);
	return rc;
}
