/*
 * make bench-qr: the optical channel simulated end to end, per camera
 * condition and per reader path. The sender shows the codes of a
 * fountain-coded 10 KB message at FPS codes per second (each code drawn by
 * media/qrstream.c, read back before it is shown); a 30 fps webcam films the
 * screen (tests/unit/helper_camsim.c: perspective, defocus, motion blur,
 * glare, moire, dim light with gain, JPEG, rolling shutter); a fifth of its
 * frames are lost; every path scans the frames it has time for and feeds
 * its own receiver until the message is complete.
 *
 * Per condition and path: share of camera frames read, scan CPU ms per
 * frame (mean and slowest), fountain overhead (distinct frames received /
 * k), goodput (message bytes per second of showing). Then one line each:
 *   qr-bench: CONDITION PATH goodput=N overhead=X decode_ms=Y
 * Prints figures; it is not a test and asserts nothing.
 *
 * usage: bench_qr [quick] [FPS [FRAGMENT]]
 *   quick: 1 transfer per condition instead of 2; FPS, FRAGMENT: other
 *   defaults for the conditions that use the defaults
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "media/fountain.h"
#include "media/qr.h"
#include "media/qrstream.h"
#include "tests/unit/helper_camsim.h"

#define MSG_LEN (10 * 1024)
#define CAM_FPS 30.0
#define LOSS_PCT 20		/* camera frames lost (USB, a busy receiver) */
#define READOUT 0.025		/* rolling shutter: top to bottom row, seconds */
#define EXPOSURE 0.010		/* per row, seconds */
#define MAX_CODES 512

/*
 * The readers each camera frame goes through once (qr_scan with a single
 * reader); the paths are these alone or one after the other, as qr_scan
 * runs them: a fallback runs only when the first found nothing, and its
 * time adds to the first's.
 */
enum { R_ZBAR, R_ZBAR_THR, R_ZXING, NREADERS };
static const struct {
	enum qr_reader reader;
	int flags;
} readers[NREADERS] = {
	[R_ZBAR] = { QR_READ_ZBAR, 0 },
	[R_ZBAR_THR] = { QR_READ_ZBAR, QR_PRE_THRESHOLD },
	[R_ZXING] = { QR_READ_ZXING, 0 },
};

struct path {
	const char *name;
	int first, then;	/* readers; then -1 for none */
};

static const struct path paths[] = {
	{ "zbar", R_ZBAR, -1 },
	{ "zbar-thr", R_ZBAR_THR, -1 },
	{ "zxing", R_ZXING, -1 },
	{ "zbar+zxing", R_ZBAR, R_ZXING },
	{ "zxing+zbar", R_ZXING, R_ZBAR },
	{ "zxing+zbar-thr", R_ZXING, R_ZBAR_THR },
};
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

struct cond {
	const char *name;
	int w, h;
	size_t fragment;
	double fps;
	double tilt, motion, glare, moire, gain, dark, light, noise;
	int blur, jpeg, rolling;
};

/*
 * 640x480 unless said; every condition also has roll -5..5 deg and drops.
 * fragment and fps 0: the defaults (QRS_DEFAULT_*, or the command line's).
 */
#define BASE(n) n, 640, 480, 0, 0
#define CLEAN 0, 0, 0, 0, 1, 45, 215, 8, 1, 0
#define COMBINED 10, 3, 0, 0, 2, 22, 105, 5, 1, 60, 1
static const struct cond conds[] = {
	{ BASE("clean"), CLEAN, 0 },
	{ BASE("tilt10"), 10, 0, 0, 0, 1, 45, 215, 8, 1, 0, 0 },
	{ BASE("tilt25"), 25, 0, 0, 0, 1, 45, 215, 8, 1, 0, 0 },
	{ BASE("tilt30"), 30, 0, 0, 0, 1, 45, 215, 8, 1, 0, 0 },
	{ BASE("defocus"), 0, 0, 0, 0, 1, 45, 215, 8, 3, 0, 0 },
	{ BASE("blur5"), 0, 5, 0, 0, 1, 45, 215, 8, 1, 0, 0 },
	{ BASE("blur7"), 0, 7, 0, 0, 1, 45, 215, 8, 1, 0, 0 },
	{ BASE("glare"), 0, 0, 140, 0, 1, 45, 215, 8, 1, 0, 0 },
	{ BASE("moire"), 0, 0, 0, 0.35, 1, 45, 215, 8, 1, 0, 0 },
	{ BASE("lowlight"), 0, 0, 0, 0, 3.4, 10, 60, 4.5, 1, 0, 0 },
	{ BASE("jpeg"), 0, 0, 0, 0, 1, 45, 215, 8, 1, 50, 0 },
	{ BASE("rolling"), CLEAN, 1 },
	{ BASE("combined"), COMBINED },
	/* a 1280x720 camera, and other rates and densities */
	{ "clean-720p", 1280, 720, 0, 0, CLEAN, 0 },
	{ "combined-720p", 1280, 720, 0, 0, COMBINED },
	{ "rolling-8fps", 640, 480, 0, 8, CLEAN, 1 },
	{ "rolling-15fps", 640, 480, 0, 15, CLEAN, 1 },
	{ "combined-15fps", 640, 480, 0, 15, COMBINED },
	{ "rolling-720p-f900", 1280, 720, 900, 0, CLEAN, 1 },
};

struct tally {
	double frames, read, scan_ms, scan_max, bytes, secs, distinct, k;
	int stalled, transfers;
};

static struct tally tallies[sizeof(conds) / sizeof(conds[0])][NPATHS];

/* bench_qr [quick] [FPS [FRAGMENT]]: other defaults, for choosing them */
static double opt_fps;
static size_t opt_frag;

/* Condition ci with the defaults given on the command line. */
static struct cond
effective(size_t ci)
{
	struct cond c = conds[ci];

	if (c.fps == 0)
		c.fps = opt_fps > 0 ? opt_fps : QRS_DEFAULT_FPS;
	if (c.fragment == 0)
		c.fragment = opt_frag > 0 ? opt_frag : QRS_DEFAULT_FRAGMENT;
	return c;
}

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t rng_s;

static double
rnd(void)	/* uniform 0..1 */
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return (double)(rng_s >> 11) / 9007199254740992.0;
}

/* The codes of one transfer, drawn once and shared by every path. */
struct show {
	struct qrs_sender *snd;
	struct qr_code *codes[MAX_CODES];
	int n;
};

static int
code_at(struct show *sh, struct qr_scanner *sc, int i, struct qr_code **c)
{
	int r;

	while (sh->n <= i) {
		if (sh->n == MAX_CODES)
			return CK_ERR_TOO_LARGE;
		if ((r = qrs_sender_next(sh->snd, sc, &sh->codes[sh->n])) != CK_OK)
			return r;
		sh->n++;
	}
	*c = sh->codes[i];
	return CK_OK;
}

struct receiver {
	struct qrs_receiver *rcv;
	uint8_t seen[MAX_CODES];	/* frame indices received */
	double busy_until;		/* still scanning the previous frame */
	int done;
};

/* What one reader made of a camera frame. */
struct reading {
	int done, found;
	double ms;
	struct qr_symbols syms;
};

static int
read_with(struct qr_scanner *sc, int rd, const struct qr_image *img,
    struct reading *rg)
{
	int r;

	if (rg[rd].done)
		return CK_OK;
	qr_scanner_set_reader(sc, readers[rd].reader, readers[rd].flags);
	rg[rd].ms = cpu_ms();
	r = qr_scan(sc, img, &rg[rd].syms);
	rg[rd].ms = cpu_ms() - rg[rd].ms;
	rg[rd].done = 1;
	rg[rd].found = r == CK_OK;
	return r == CK_ERR_QR_NOT_FOUND ? CK_OK : r;
}

/* Path p on one camera frame arriving at time t: scan, feed what it read. */
static int
scan_frame(struct qr_scanner *sc, const struct path *p, struct receiver *rx,
    const struct qr_image *img, struct reading *rg, double t, struct tally *ty)
{
	const struct qr_symbols *syms;
	struct ftn_frame f;
	double ms;
	size_t i;
	int r, good = 0, used = p->first;

	if (t < rx->busy_until)
		return CK_OK;	/* the receiver is still on an older frame */
	if ((r = read_with(sc, p->first, img, rg)) != CK_OK)
		return r;
	ms = rg[p->first].ms;
	if (!rg[p->first].found && p->then >= 0) {
		if ((r = read_with(sc, p->then, img, rg)) != CK_OK)
			return r;
		ms += rg[p->then].ms;
		used = p->then;
	}
	rx->busy_until = t + ms / 1e3;
	ty->frames++;
	ty->scan_ms += ms;
	if (ms > ty->scan_max)
		ty->scan_max = ms;
	syms = &rg[used].syms;
	for (i = 0; i < syms->n; i++) {
		if (ftn_frame_parse(syms->data[i], syms->len[i], &f) != CK_OK ||
		    qrs_receiver_frame(rx->rcv, syms->data[i], syms->len[i]) != CK_OK)
			continue;	/* a misread: the check refuses it */
		good = 1;
		if (f.index < MAX_CODES)
			rx->seen[f.index] = 1;
	}
	ty->read += good;
	return CK_OK;
}

/* One transfer of msg under condition c, every path at once. */
static int
transfer(size_t ci, const uint8_t *msg, struct qr_scanner *sc, uint64_t seed)
{
	struct cond cv = effective(ci), *c = &cv;
	struct receiver rx[NPATHS];
	struct reading rg[NREADERS];
	struct show sh;
	struct ftn_progress pr;
	double phase, cam_fps, t = 0;
	int frame, left = NPATHS, r, i, j, cap;
	size_t pi;

	memset(rx, 0, sizeof(rx));
	memset(&sh, 0, sizeof(sh));
	rng_s = seed * 0x9e3779b97f4a7c15ULL + 7;
	phase = rnd() / CAM_FPS;
	/* The camera's clock drifts against the screen's, up to 1%. */
	cam_fps = CAM_FPS * (0.99 + rnd() * 0.02);
	if ((r = qrs_sender_new(msg, MSG_LEN, c->fragment, QRS_DEFAULT_ECC,
	    &sh.snd)) != CK_OK)
		return r;
	/* Beyond 3k+10 codes shown the channel is useless: a stall. */
	cap = 3 * (int)qrs_sender_fragments(sh.snd) + 10;
	for (pi = 0; pi < NPATHS; pi++)
		if ((r = qrs_receiver_new(FTN_MAX_MESSAGE, &rx[pi].rcv)) != CK_OK)
			goto out;
	for (frame = 0; left > 0; frame++) {
		struct qr_code *code, *next = NULL;
		struct qr_image *img = NULL;
		struct camsim cam;
		double start = phase + frame / cam_fps, sw;

		t = start + READOUT + EXPOSURE;		/* last row read */
		i = (int)(start * c->fps);
		if (i >= cap)
			break;
		if (rnd() * 100 < LOSS_PCT)
			continue;
		if ((r = code_at(&sh, sc, i, &code)) != CK_OK)
			goto out;
		camsim_defaults(&cam, seed * 100000 + (uint64_t)frame);
		cam.w = c->w;
		cam.h = c->h;
		cam.fill = 0.72 + rnd() * 0.08;
		cam.angle_deg = rnd() * 10 - 5;
		cam.tilt_deg = c->tilt > 0 ? (c->tilt - 1 + rnd() * 2) *
		    (rnd() < 0.5 ? -1 : 1) : 0;
		cam.blur = c->blur;
		cam.motion = (int)c->motion;
		cam.glare = c->glare;
		cam.moire = c->moire;
		cam.gain = c->gain;
		cam.dark = c->dark;
		cam.light = c->light;
		cam.noise = c->noise;
		cam.jpeg = c->jpeg;
		/* Rolling shutter: rows read after the switch see the next code. */
		j = (int)((start + READOUT + EXPOSURE) * c->fps);
		if (c->rolling && j > i && j < cap) {
			if ((r = code_at(&sh, sc, j, &next)) != CK_OK)
				goto out;
			sw = j / c->fps;	/* when the screen switched */
			cam.next = next;
			/* row y is exposed from start + y/h*READOUT for EXPOSURE */
			cam.mix_row = (sw - start - EXPOSURE / 2) / READOUT * c->h;
			cam.mix_band = EXPOSURE / READOUT * c->h;
		} else if (!c->rolling)
			t = start;	/* a global shutter, instant */
		if ((r = camsim_shoot(code, &cam, &img)) != CK_OK)
			goto out;
		memset(rg, 0, sizeof(rg));
		for (pi = 0; pi < NPATHS; pi++) {
			if (rx[pi].done)
				continue;
			r = scan_frame(sc, &paths[pi], &rx[pi], img, rg, t,
			    &tallies[ci][pi]);
			if (r != CK_OK)
				break;
			qrs_receiver_progress(rx[pi].rcv, &pr);
			if (pr.complete) {
				struct tally *ty = &tallies[ci][pi];
				int n;

				rx[pi].done = 1;
				left--;
				ty->bytes += MSG_LEN;
				ty->secs += t;
				for (n = 0; n < MAX_CODES; n++)
					ty->distinct += rx[pi].seen[n];
				ty->k += pr.fragments;
			}
		}
		qr_image_free(img);
		for (j = 0; j < NREADERS; j++)
			qr_symbols_clear(&rg[j].syms);
		if (r != CK_OK)
			goto out;
	}
	for (pi = 0; pi < NPATHS; pi++) {
		tallies[ci][pi].transfers++;
		if (!rx[pi].done) {
			tallies[ci][pi].stalled++;
			tallies[ci][pi].secs += cap / c->fps;
		}
	}
	r = CK_OK;
out:
	for (pi = 0; pi < NPATHS; pi++)
		qrs_receiver_free(rx[pi].rcv);
	for (i = 0; i < sh.n; i++)
		qr_code_free(sh.codes[i]);
	qrs_sender_free(sh.snd);
	return r;
}

int
main(int argc, char **argv)
{
	struct qr_scanner *sc = NULL;
	uint8_t *msg = NULL;
	int trials = 2, t, a = 1, r = CK_OK;
	size_t ci, pi;
	double wall = (double)time(NULL);

	if (a < argc && strcmp(argv[a], "quick") == 0) {
		trials = 1;
		a++;
	}
	if (a < argc)
		opt_fps = strtod(argv[a++], NULL);
	if (a < argc)
		opt_frag = strtoul(argv[a++], NULL, 10);
	if (sodium_init() < 0 || qr_scanner_new(&sc) != CK_OK ||
	    (msg = malloc(MSG_LEN)) == NULL)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	randombytes_buf(msg, MSG_LEN);
	printf("%d KB message, %d transfers per condition, 30 fps camera, "
	    "%d%% of its frames lost;\nms are CPU time per camera frame scanned "
	    "(mean / slowest); goodput = bytes / seconds shown,\n"
	    "stalled transfers counted at their full time with no bytes\n",
	    MSG_LEN / 1024, trials, LOSS_PCT);
	printf("%-15s %-14s %5s %4s %4s %6s %6s %9s %8s %7s\n", "condition", "path",
	    "res", "frag", "fps", "read", "ms", "max_ms", "overhead", "goodput");
	for (ci = 0; ci < sizeof(conds) / sizeof(conds[0]) && r == CK_OK; ci++) {
		struct cond c = effective(ci);

		for (t = 0; t < trials && r == CK_OK; t++)
			r = transfer(ci, msg, sc, (uint64_t)t + 1 + ci * 1000);
		for (pi = 0; pi < NPATHS && r == CK_OK; pi++) {
			struct tally *ty = &tallies[ci][pi];
			double ov = ty->k > 0 ? ty->distinct / ty->k : 0;

			printf("%-15s %-14s %4dp %4zu %4.0f %5.1f%% %6.1f %9.1f %8.2f %7.0f%s\n",
			    c.name, paths[pi].name, c.h, c.fragment, c.fps,
			    100.0 * ty->read / ty->frames, ty->scan_ms / ty->frames,
			    ty->scan_max, ov, ty->bytes / ty->secs,
			    ty->stalled ? " stalled" : "");
		}
	}
	for (ci = 0; ci < sizeof(conds) / sizeof(conds[0]) && r == CK_OK; ci++)
		for (pi = 0; pi < NPATHS; pi++) {
			struct tally *ty = &tallies[ci][pi];

			printf("qr-bench: %s %s goodput=%.0f overhead=%.2f decode_ms=%.1f\n",
			    conds[ci].name, paths[pi].name, ty->bytes / ty->secs,
			    ty->k > 0 ? ty->distinct / ty->k : 0,
			    ty->scan_ms / ty->frames);
		}
	if (r == CK_OK)
		printf("(%.0f s wall, %.0f s CPU)\n", (double)time(NULL) - wall,
		    (double)clock() / CLOCKS_PER_SEC);
	free(msg);
	qr_scanner_free(sc);
	if (r != CK_OK)
		fprintf(stderr, "bench_qr: %s\n", ck_strerror(r));
	return r == CK_OK ? 0 : 1;
}
