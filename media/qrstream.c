/*
 * Envelopes as QR streams: glue between media/fountain.c (frames) and
 * media/qr.c (symbols). No parsing of its own: every byte scanned goes
 * through ftn_frame_parse, with that file's limits.
 */
#include "media/qrstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/errors.h"

#define QRS_PNG_NAME "qr-%04u.png"
#define QRS_PNG_SCALE 6		/* pixels per module in exported PNGs */

struct qrs_sender {
	struct ftn_encoder *enc;
	enum qr_ecc ecc;
	uint32_t next;
	uint8_t frame[FTN_MAX_FRAME];
};

struct qrs_receiver {
	struct ftn_decoder *dec;
	struct qrs_link link;
	uint8_t skip[QRS_SKIP_MAX][FTN_ID_LEN];	/* messages passed over */
	size_t nskip;
	uint32_t max_len;
};

int
qrs_sender_new(const uint8_t *msg, size_t len, size_t fraglen,
    enum qr_ecc ecc, struct qrs_sender **out)
{
	struct qrs_sender *s;
	int r;

	*out = NULL;
	if ((unsigned)ecc > QR_ECC_H)
		return CK_ERR_INVALID_ARG;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CK_ERR_ALLOC;
	if ((r = ftn_encoder_new(msg, len, fraglen, &s->enc)) != CK_OK) {
		free(s);
		return r;
	}
	s->ecc = ecc;
	*out = s;
	return CK_OK;
}

void
qrs_sender_free(struct qrs_sender *s)
{
	if (s == NULL)
		return;
	ftn_encoder_free(s->enc);
	free(s);
}

uint32_t
qrs_sender_fragments(const struct qrs_sender *s)
{
	return ftn_encoder_fragments(s->enc);
}

int
qrs_sender_next(struct qrs_sender *s, struct qr_scanner *sc,
    struct qr_code **out)
{
	uint32_t index = ftn_encoder_fragments(s->enc) == 1 ? 0 : s->next;
	int r;

	*out = NULL;
	if ((r = ftn_encoder_frame(s->enc, index, s->frame, sizeof(s->frame))) != CK_OK)
		return r;
	if ((r = qr_encode_verified(sc, s->frame, ftn_encoder_frame_len(s->enc),
	    s->ecc, out)) != CK_OK)
		return r;
	/* After 2^32 frames the stream wraps; any k of them still decode. */
	s->next++;
	return CK_OK;
}

int
qrs_receiver_new(uint32_t max_len, struct qrs_receiver **out)
{
	struct qrs_receiver *r;
	int e;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return CK_ERR_ALLOC;
	if ((e = ftn_decoder_new(&r->dec)) != CK_OK) {
		free(r);
		return e;
	}
	ftn_decoder_set_limit(r->dec, max_len);
	r->max_len = max_len;
	*out = r;
	return CK_OK;
}

void
qrs_receiver_free(struct qrs_receiver *r)
{
	if (r == NULL)
		return;
	ftn_decoder_free(r->dec);
	free(r);
}

/* A frame of a message passed over is refused before the decoder sees it,
 * so it can never lock onto it. */
static int
add_frame(struct qrs_receiver *r, const uint8_t *frame, size_t len)
{
	struct ftn_frame f;
	size_t i;

	if (r->nskip > 0 && ftn_frame_parse(frame, len, &f) == CK_OK)
		for (i = 0; i < r->nskip; i++)
			if (memcmp(f.id, r->skip[i], FTN_ID_LEN) == 0)
				return CK_ERR_QR_OTHER_MESSAGE;
	return ftn_decoder_add(r->dec, frame, len);
}

int
qrs_receiver_frame(struct qrs_receiver *r, const uint8_t *frame, size_t len)
{
	return add_frame(r, frame, len);
}

int
qrs_receiver_pass_over(struct qrs_receiver *r)
{
	uint8_t id[FTN_ID_LEN];
	struct ftn_decoder *fresh = NULL;
	int e;

	if ((e = ftn_decoder_id(r->dec, id)) != CK_OK)
		return e;
	if ((e = ftn_decoder_new(&fresh)) != CK_OK)
		return e;
	ftn_decoder_set_limit(fresh, r->max_len);
	ftn_decoder_free(r->dec);
	r->dec = fresh;
	/* the oldest is forgotten first: the screen moved on from it */
	if (r->nskip == QRS_SKIP_MAX)
		memmove(r->skip[0], r->skip[1], (QRS_SKIP_MAX - 1) * FTN_ID_LEN);
	else
		r->nskip++;
	memcpy(r->skip[r->nskip - 1], id, FTN_ID_LEN);
	return CK_OK;
}

/* Feed every scanned symbol; the result rule is in qrstream.h. */
static int
feed_symbols(struct qrs_receiver *r, struct qr_symbols *syms)
{
	int e, first = CK_OK, good = 0;
	size_t i;

	for (i = 0; i < syms->n; i++) {
		e = add_frame(r, syms->data[i], syms->len[i]);
		if (e == CK_OK) {
			good = 1;
			/* a frame the decoder took is well formed: L is its length */
			r->link.fragment = (uint32_t)(syms->len[i] - FTN_OVERHEAD);
		} else if (first == CK_OK)
			first = e;
	}
	qr_symbols_clear(syms);
	r->link.read += good;
	return good ? CK_OK : first;
}

int
qrs_receiver_image(struct qrs_receiver *r, struct qr_scanner *sc,
    const struct qr_image *img)
{
	struct qr_symbols syms;
	int e;

	r->link.scanned++;
	if ((e = qr_scan(sc, img, &syms)) != CK_OK)
		return e;
	return feed_symbols(r, &syms);
}

int
qrs_receiver_png(struct qrs_receiver *r, struct qr_scanner *sc,
    const char *path)
{
	struct qr_image *img = NULL;
	int e;

	if ((e = qr_png_read(path, &img)) != CK_OK)
		return e;
	e = qrs_receiver_image(r, sc, img);
	qr_image_free(img);
	return e;
}

int
qrs_receiver_camera(struct qrs_receiver *r, struct qr_scanner *sc,
    struct qr_camera *cam, int timeout_ms)
{
	struct qr_image *img = NULL;
	int e;

	if ((e = qr_camera_grab(cam, timeout_ms, &img)) != CK_OK)
		return e;
	e = qrs_receiver_image(r, sc, img);
	qr_image_free(img);
	return e;
}

void
qrs_receiver_progress(const struct qrs_receiver *r, struct ftn_progress *p)
{
	ftn_decoder_progress(r->dec, p);
}

int
qrs_receiver_message(const struct qrs_receiver *r, uint8_t **msg, size_t *len)
{
	return ftn_decoder_message(r->dec, msg, len);
}

void
qrs_opts_init(struct qrs_opts *o)
{
	o->fragment = QRS_DEFAULT_FRAGMENT;
	o->ecc = QRS_DEFAULT_ECC;
	o->fps = QRS_DEFAULT_FPS;
}

int
qrs_opts_parse(struct qrs_opts *o, int argc, char **argv, int *i)
{
	unsigned long long v;
	const char *opt = argv[*i], *val;

	if (strcmp(opt, "--fragment") != 0 && strcmp(opt, "--ecc") != 0 &&
	    strcmp(opt, "--fps") != 0)
		return CK_ERR_NOT_FOUND;
	if (*i + 1 >= argc)
		return CK_ERR_INVALID_ARG;
	val = argv[++*i];
	if (strcmp(opt, "--ecc") == 0) {
		static const char levels[] = "LMQH";
		const char *p = strchr(levels, val[0]);

		if (p == NULL || val[0] == '\0' || val[1] != '\0')
			return CK_ERR_INVALID_ARG;
		o->ecc = (enum qr_ecc)(p - levels);
	} else if (strcmp(opt, "--fps") == 0) {
		if (rd_parse_uint(val, QRS_MIN_FPS, QRS_MAX_FPS, &v) != CK_OK)
			return CK_ERR_INVALID_ARG;
		o->fps = (unsigned int)v;
	} else {
		if (rd_parse_uint(val, FTN_MIN_FRAGMENT, FTN_MAX_FRAGMENT, &v) != CK_OK)
			return CK_ERR_INVALID_ARG;
		o->fragment = (size_t)v;
	}
	return CK_OK;
}

uint32_t
qrs_png_frames(uint32_t k)
{
	return k == 1 ? 1 : k + k / 4 + 2;
}

int
qrs_export_png(const uint8_t *msg, size_t len, const struct qrs_opts *o,
    struct qr_scanner *sc, int dirfd, uint32_t frames, uint32_t *k)
{
	struct qrs_sender *snd = NULL;
	struct qr_code *c = NULL;
	struct qr_image *img = NULL;
	char name[32];
	uint32_t i;
	int r;

	*k = 0;
	if ((r = qrs_sender_new(msg, len, o->fragment, o->ecc, &snd)) != CK_OK)
		return r;
	*k = qrs_sender_fragments(snd);
	for (i = 0; i < frames && r == CK_OK; i++) {
		snprintf(name, sizeof(name), QRS_PNG_NAME, i);
		if ((r = qrs_sender_next(snd, sc, &c)) == CK_OK &&
		    (r = qr_render_image(c, QRS_PNG_SCALE, &img)) == CK_OK)
			r = qr_png_write(img, dirfd, name);
		qr_image_free(img);
		qr_code_free(c);
		img = NULL;
		c = NULL;
	}
	qrs_sender_free(snd);
	return r;
}

void
qrs_progress_text(const struct ftn_progress *p, char *buf, size_t n)
{
	unsigned int pct = p->fragments == 0 ? 0 :
	    (unsigned int)(100ULL * p->recovered / p->fragments);

	snprintf(buf, n, "%u frames seen, %u useful, %u refused; "
	    "%u/%u fragments (%u%%)%s", p->frames_seen, p->frames_useful,
	    p->frames_rejected, p->recovered, p->fragments, pct,
	    p->complete ? ", complete" : "");
}

void
qrs_watch_start(struct qrs_watch *w, unsigned int stall_s, time_t now)
{
	w->useful = 0;
	w->last = now;
	w->stall_s = stall_s;
}

int
qrs_watch_stalled(struct qrs_watch *w, const struct ftn_progress *p, time_t now)
{
	if (p->frames_useful != w->useful) {
		w->useful = p->frames_useful;
		w->last = now;
	}
	/* A clock stepped backwards counts from now on, never as a stall. */
	if (now < w->last)
		w->last = now;
	return !p->complete && now - w->last >= (time_t)w->stall_s;
}

/* Does a frame with fragment length f fit max_width modules? */
static int
fragment_fits(size_t f, int max_width, enum qr_ecc ecc, int *fits)
{
	static uint8_t probe[FTN_MAX_FRAME];	/* content does not change the size in byte mode */
	struct qr_code *c = NULL;
	int r;

	r = qr_encode(probe, FTN_OVERHEAD + f, ecc, &c);
	if (r == CK_ERR_TOO_LARGE) {
		*fits = 0;
		return CK_OK;
	}
	if (r != CK_OK)
		return r;
	*fits = c->width <= max_width;
	qr_code_free(c);
	return CK_OK;
}

int
qrs_fragment_for_width(int max_width, enum qr_ecc ecc, size_t *fragment)
{
	size_t lo = FTN_MIN_FRAGMENT, hi = FTN_MAX_FRAGMENT, mid;
	int fits, r;

	*fragment = 0;
	if ((r = fragment_fits(lo, max_width, ecc, &fits)) != CK_OK)
		return r;
	if (!fits)
		return CK_ERR_QR_NO_FIT;
	/* Invariant: lo fits; everything above hi does not. */
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if ((r = fragment_fits(mid, max_width, ecc, &fits)) != CK_OK)
			return r;
		if (fits)
			lo = mid;
		else
			hi = mid - 1;
	}
	*fragment = lo;
	return CK_OK;
}

void
qrs_receiver_link(const struct qrs_receiver *r, struct qrs_link *l)
{
	*l = r->link;
}

enum qrs_hint
qrs_link_hint(const struct qrs_link *l)
{
	uint64_t pct;

	if (l->scanned < QRS_HINT_MIN_FRAMES)
		return QRS_HINT_NONE;
	pct = 100ULL * l->read / l->scanned;
	return pct >= 80 ? QRS_HINT_FASTER : pct < 5 ? QRS_HINT_SPARSER :
	    pct < 30 ? QRS_HINT_STEADIER : QRS_HINT_NONE;
}

void
qrs_link_text(const struct qrs_link *l, const struct ftn_progress *p,
    double secs, enum qrs_hint h, char *buf, size_t n)
{
	static const char *const hints[] = {
		[QRS_HINT_NONE] = "",
		[QRS_HINT_FASTER] = "; the sender may show codes faster (--fps "
		    QRS_STR(QRS_FAST_FPS) ")",
		[QRS_HINT_STEADIER] = "; hold the camera straighter and steadier, "
		    "light the room, avoid reflections",
		[QRS_HINT_SPARSER] = "; next to nothing is read: the sender should "
		    "use a smaller --fragment (e.g. 300)",
	};
	unsigned int pct = l->scanned == 0 ? 0 :
	    (unsigned int)(100ULL * l->read / l->scanned);
	double rate = secs > 0 ? (double)p->frames_useful * l->fragment / secs : 0;

	snprintf(buf, n, "read %u%% of %u frames, %.1f KB/s new%s", pct,
	    l->scanned, rate / 1000, hints[h]);
}

/* ---- read-back ---- */

/*
 * The chance that a code shown for 1/fps s is caught by a 30 fps camera
 * reading a share p of its frames, times its payload: the goodput to
 * expect from that density, up to a constant.
 */
static double
expected_goodput(size_t fragment, double p, unsigned int fps)
{
	double per_code = 30.0 / fps, miss = 1.0;
	int i;

	/* (1 - p)^per_code, for per_code between 1 and 30 */
	for (i = 0; i < (int)per_code; i++)
		miss *= 1.0 - p;
	miss *= 1.0 - p * (per_code - (int)per_code);
	return (double)fragment * (1.0 - miss);
}

/* One density: show a code of fragment + overhead random bytes, read it back. */
static int
probe(struct qr_scanner *sc, const struct qrs_opts *o, size_t fragment,
    unsigned int frames, const struct qrs_readback_io *io, struct qrs_link *l)
{
	uint8_t data[FTN_MAX_FRAME];
	size_t len = FTN_OVERHEAD + fragment;
	struct qr_code *c = NULL;
	struct qr_symbols syms;
	unsigned int i;
	int r;

	memset(l, 0, sizeof(*l));
	l->fragment = (uint32_t)fragment;
	randombytes_buf(data, len);
	if ((r = qr_encode_verified(sc, data, len, o->ecc, &c)) != CK_OK ||
	    (r = io->show(c, io->ctx)) != CK_OK)
		goto out;
	for (i = 0; i < QRS_READBACK_SETTLE + frames; i++) {
		struct qr_image *img = NULL;
		size_t j;

		if ((r = io->grab(&img, io->ctx)) == CK_ERR_QR_NOT_FOUND)
			continue;
		if (r != CK_OK)
			goto out;
		/* frames queued before the code was up, or while exposure settled */
		if (i < QRS_READBACK_SETTLE) {
			qr_image_free(img);
			continue;
		}
		l->scanned++;
		r = qr_scan(sc, img, &syms);
		qr_image_free(img);
		if (r == CK_ERR_QR_NOT_FOUND)
			continue;
		if (r != CK_OK)
			goto out;
		for (j = 0; j < syms.n; j++)
			if (syms.len[j] == len && memcmp(syms.data[j], data, len) == 0) {
				l->read++;
				break;
			}
		qr_symbols_clear(&syms);
	}
	r = CK_OK;
out:
	qr_code_free(c);
	return r;
}

int
qrs_readback(struct qr_scanner *sc, const struct qrs_opts *o,
    size_t max_fragment, unsigned int frames, const struct qrs_readback_io *io,
    struct qrs_opts *pick, struct qrs_link *best)
{
	/* the densities tried, densest first (docs/qr.md) */
	static const size_t densities[] = { 900, 700, 560, 400, 300, 200 };
	struct qrs_link l;
	double g, best_g = 0;
	size_t i;
	int r;

	*pick = *o;
	memset(best, 0, sizeof(*best));
	for (i = 0; i < sizeof(densities) / sizeof(densities[0]); i++) {
		if (densities[i] > max_fragment)
			continue;
		if ((r = probe(sc, o, densities[i], frames, io, &l)) != CK_OK)
			return r;
		g = l.scanned == 0 ? 0 : expected_goodput(densities[i],
		    (double)l.read / l.scanned, o->fps);
		if (g > best_g) {
			best_g = g;
			*best = l;
			pick->fragment = densities[i];
		}
	}
	return best_g > 0 ? CK_OK : CK_ERR_QR_NOT_FOUND;
}
