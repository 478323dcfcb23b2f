/*
 * make bench-qr: the optical channel simulated end to end. Each frame of a
 * fountain-coded message is encoded (verified read-back included), projected
 * into a 640x480 camera image (tests/unit/helper_camsim.c: scaled, rotated,
 * blurred, noisy), 20% of frames are dropped at random, the rest are scanned
 * with zbar and fed to the decoder until the message is complete.
 * Prints figures; it is not a test and asserts nothing.
 *
 * usage: bench_qr [FRAGMENT [ECC(L|M) [FPS]]]    (default: the built-in defaults)
 *        bench_qr sweep                          (fragment sizes x ECC at 10 KB)
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

#define TRIALS 5
#define TRIALS_SMALL 40	/* for messages of a few frames, where luck weighs more */
#define LOSS_PCT 20

struct result {
	double displayed, received, k, scans, scan_ms, scan_max_ms, misses;
	double decode_ms;
	int version, failed;
};

/* 0: the default camera of helper_camsim.c; 1: a worse one. */
static int harsh;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t rng_s;

static uint32_t
rng(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return (uint32_t)(rng_s >> 20);
}

/* One transfer of msg; adds its counts to res. */
static int
transfer(const uint8_t *msg, size_t len, size_t frag, enum qr_ecc ecc,
    struct qr_scanner *sc, uint64_t seed, struct result *res)
{
	struct qrs_sender *snd = NULL;
	struct qrs_receiver *rcv = NULL;
	struct ftn_progress p = { 0 };
	struct qr_symbols syms;
	struct camsim cam;
	uint32_t shown = 0;
	size_t i;
	int r;

	rng_s = seed * 0x9e3779b97f4a7c15ULL + 7;
	if ((r = qrs_sender_new(msg, len, frag, ecc, &snd)) != CK_OK ||
	    (r = qrs_receiver_new(FTN_MAX_MESSAGE, &rcv)) != CK_OK)
		goto out;
	/* Beyond 3k+10 codes shown the channel is useless: count a stall. */
	while (!p.complete && shown < 3 * qrs_sender_fragments(snd) + 10) {
		struct qr_code *code = NULL;
		struct qr_image *img = NULL;
		double t;

		if ((r = qrs_sender_next(snd, sc, &code)) != CK_OK)
			goto out;
		res->version = code->version;
		shown++;
		if (rng() % 100 < LOSS_PCT) {
			qr_code_free(code);
			continue;
		}
		camsim_defaults(&cam, seed * 1000 + shown);
		cam.angle_deg = (double)(rng() % 1000) / 100.0 - 5.0;
		cam.fill = 0.80 + (double)(rng() % 100) / 1000.0;
		if (harsh) {	/* farther away, noisier, less contrast */
			cam.fill -= 0.15;
			cam.noise = 10;
			cam.dark = 60;
			cam.light = 200;
		}
		r = camsim_shoot(code, &cam, &img);
		qr_code_free(code);
		if (r != CK_OK)
			goto out;
		t = now_ms();
		r = qr_scan(sc, img, &syms);
		t = now_ms() - t;
		qr_image_free(img);
		res->scans++;
		res->scan_ms += t;
		if (t > res->scan_max_ms)
			res->scan_max_ms = t;
		if (r == CK_ERR_QR_NOT_FOUND) {
			res->misses++;
			continue;
		}
		if (r != CK_OK)
			goto out;
		t = now_ms();
		for (i = 0; i < syms.n && r == CK_OK; i++)
			r = qrs_receiver_frame(rcv, syms.data[i], syms.len[i]);
		res->decode_ms += now_ms() - t;
		qr_symbols_clear(&syms);
		if (r != CK_OK)
			goto out;
		qrs_receiver_progress(rcv, &p);
	}
	r = CK_OK;
	if (!p.complete) {
		res->failed++;
		goto out;
	}
	res->displayed += shown;
	res->received += p.frames_seen;
	res->k += p.fragments;
out:
	qrs_sender_free(snd);
	qrs_receiver_free(rcv);
	return r;
}

static int
run(size_t len, size_t frag, enum qr_ecc ecc, double fps, struct qr_scanner *sc)
{
	struct result res = { 0 };
	uint8_t *msg = malloc(len);
	double good, secs;
	int t, r = CK_OK, trials = len < 4 * frag ? TRIALS_SMALL : TRIALS;

	if (msg == NULL)
		return CK_ERR_ALLOC;
	randombytes_buf(msg, len);
	for (t = 0; t < trials && r == CK_OK; t++)
		r = transfer(msg, len, frag, ecc, sc, (uint64_t)t + 1, &res);
	free(msg);
	if (r != CK_OK)
		return r;
	if (res.failed == trials) {
		printf("%7zu %6zu %c %3d   all %d transfers stalled\n", len, frag,
		    "LMQH"[ecc], res.version, trials);
		return CK_OK;
	}
	secs = res.displayed / (trials - res.failed) / fps;
	good = len / secs;
	printf("%7zu %5zu %c %3d %4.1f %8.0f %8.2f %7.2f %6.1f%% %7.2f %6.2f %7.2f %d\n",
	    len, frag, "LMQH"[ecc], res.version, fps, good,
	    res.displayed / res.k, res.received / res.k,
	    100.0 * res.misses / res.scans, res.scan_ms / res.scans,
	    res.scan_max_ms, res.decode_ms / (res.scans - res.misses),
	    res.failed);
	return CK_OK;
}

static void
header(void)
{
	printf("%d transfers each (%d for messages under 4 fragments), %d%% of "
	    "frames dropped,\n640x480 camera images; ms are CPU time\n",
	    TRIALS, TRIALS_SMALL, LOSS_PCT);
	printf("  bytes  frag E ver  fps  goodput  shown/k  recv/k unread"
	    " ms/scan max_ms ms/feed stalled\n");
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 1024, 10 * 1024, 40 * 1024 };
	static const size_t frags[] = { 200, 300, 400, 500, 560, 700, 900, 1100 };
	struct qr_scanner *sc = NULL;
	size_t frag = QRS_DEFAULT_FRAGMENT, i, e;
	enum qr_ecc ecc = QRS_DEFAULT_ECC;
	double fps = QRS_DEFAULT_FPS;
	int r = CK_OK;

	if (sodium_init() < 0 || qr_scanner_new(&sc) != CK_OK)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	header();
	if (argc == 2 && strcmp(argv[1], "sweep") == 0) {
		for (harsh = 0; harsh <= 1 && r == CK_OK; harsh++) {
			printf("%s camera\n", harsh ? "worse" : "default");
			for (e = QR_ECC_L; e <= QR_ECC_M && r == CK_OK; e++)
				for (i = 0; i < sizeof(frags) / sizeof(frags[0]) &&
				    r == CK_OK; i++)
					r = run(10 * 1024, frags[i], (enum qr_ecc)e,
					    fps, sc);
		}
		goto out;
	}
	if (argc > 1)
		frag = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		ecc = argv[2][0] == 'M' ? QR_ECC_M : QR_ECC_L;
	if (argc > 3)
		fps = strtod(argv[3], NULL);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && r == CK_OK; i++)
		r = run(sizes[i], frag, ecc, fps, sc);
out:
	qr_scanner_free(sc);
	if (r != CK_OK)
		fprintf(stderr, "bench_qr: %s\n", ck_strerror(r));
	return r == CK_OK ? 0 : 1;
}
