/*
 * An envelope (opaque bytes here) as a sequence of QR codes and back. A
 * message that fits in one fragment is one frame, shown as a static code;
 * a larger one is an endless fountain-coded stream (media/fountain.h).
 * Defaults were chosen with `make bench-qr`; see docs/qr.md.
 */
#ifndef CONCLAVE_QRSTREAM_H
#define CONCLAVE_QRSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto/reader.h"
#include "media/fountain.h"
#include "media/qr.h"

#define QRS_DEFAULT_FRAGMENT 560	/* payload bytes per frame */
#define QRS_DEFAULT_ECC QR_ECC_L
#define QRS_DEFAULT_FPS 12		/* frames shown per second */
#define QRS_MIN_FPS 1
#define QRS_MAX_FPS 30
/* Seconds without a new useful frame after which the UI offers the stick. */
#define QRS_STALL_SECONDS 20

/* Adjustable per transfer: density, error correction, speed. */
struct qrs_opts {
	size_t fragment;	/* FTN_MIN_FRAGMENT .. FTN_MAX_FRAGMENT */
	enum qr_ecc ecc;
	unsigned int fps;	/* QRS_MIN_FPS .. QRS_MAX_FPS */
};

#define QRS_STR_(x) #x
#define QRS_STR(x) QRS_STR_(x)
/* Help text for the options qrs_opts_parse takes, for --help screens. */
#define QRS_OPTS_HELP \
	"  --fragment N   payload bytes per code, " QRS_STR(FTN_MIN_FRAGMENT) ".." \
	QRS_STR(FTN_MAX_FRAGMENT) " (density; default " \
	QRS_STR(QRS_DEFAULT_FRAGMENT) ")\n" \
	"  --ecc L|M|Q|H  QR error correction level (default L)\n" \
	"  --fps N        codes shown per second, " QRS_STR(QRS_MIN_FPS) ".." \
	QRS_STR(QRS_MAX_FPS) " (default " QRS_STR(QRS_DEFAULT_FPS) ")\n"

struct qrs_sender;
struct qrs_receiver;

void qrs_opts_init(struct qrs_opts *o);
/*
 * If argv[*i] is one of the options in QRS_OPTS_HELP, take it and its value
 * (advancing *i past the value) and return CK_OK; CK_ERR_NOT_FOUND if it is
 * not one of them; CK_ERR_INVALID_ARG for a missing or bad value.
 */
int qrs_opts_parse(struct qrs_opts *o, int argc, char **argv, int *i) CK_WUR;

/*
 * How many PNG files qrs_export_png writes by default: 1 for a one-frame
 * message, else k plus a quarter for frames lost on the way plus 2.
 */
uint32_t qrs_png_frames(uint32_t k);
/*
 * Write frames 0 .. frames-1 of msg as "qr-0000.png", "qr-0001.png", ...
 * in directory dirfd (each verified before it is written). *k is the
 * message's fragment count.
 */
int qrs_export_png(const uint8_t *msg, size_t len, const struct qrs_opts *o,
    struct qr_scanner *sc, int dirfd, uint32_t frames, uint32_t *k) CK_WUR;
/*
 * Stall detection for a scanning screen: stalled once stall_s seconds pass
 * without a frame that added information (then offer the USB stick).
 */
struct qrs_watch {
	uint32_t useful;	/* frames_useful when last seen to change */
	time_t last;		/* when it last changed */
	unsigned int stall_s;
};
void qrs_watch_start(struct qrs_watch *w, unsigned int stall_s, time_t now);
/* Note progress p at time now; 1 if the transfer has stalled, else 0. */
int qrs_watch_stalled(struct qrs_watch *w, const struct ftn_progress *p,
    time_t now);

/*
 * The largest fragment length whose frames, at ECC level ecc, make codes of
 * at most max_width modules a side (quiet zone not included): what fits a
 * given screen. CK_ERR_QR_NO_FIT if not even FTN_MIN_FRAGMENT does.
 */
int qrs_fragment_for_width(int max_width, enum qr_ecc ecc, size_t *fragment) CK_WUR;

/* One line for a progress display: frames seen, useful, refused, fraction. */
void qrs_progress_text(const struct ftn_progress *p, char *buf, size_t n);

/* A sender for msg at fraglen payload bytes per frame (density). */
int qrs_sender_new(const uint8_t *msg, size_t len, size_t fraglen,
    enum qr_ecc ecc, struct qrs_sender **out) CK_WUR;
void qrs_sender_free(struct qrs_sender *s);
/* k: 1 means a single static code. */
uint32_t qrs_sender_fragments(const struct qrs_sender *s);
/*
 * The next code to show, read back with sc before it is handed out
 * (qr_encode_verified). A one-frame message repeats its frame; a stream
 * goes through the systematic frames, then mixed frames without end.
 */
int qrs_sender_next(struct qrs_sender *s, struct qr_scanner *sc,
    struct qr_code **out) CK_WUR;

/*
 * A receiver for messages of at most max_len bytes (e.g.
 * ENVELOPE_MAX_BYTES); a stream claiming more is refused frame by frame with
 * CK_ERR_TOO_LARGE before anything is allocated for it.
 */
int qrs_receiver_new(uint32_t max_len, struct qrs_receiver **out) CK_WUR;
void qrs_receiver_free(struct qrs_receiver *r);
/*
 * Feed one frame's bytes (e.g. a QR payload from elsewhere). Errors as
 * ftn_decoder_add.
 */
int qrs_receiver_frame(struct qrs_receiver *r, const uint8_t *frame,
    size_t len) CK_WUR;
/*
 * Scan an image and feed every QR code in it. CK_ERR_QR_NOT_FOUND when it
 * holds no QR code; otherwise CK_OK if any code was a good frame of the
 * message, else the first code's error (CK_ERR_BAD_MAGIC for a QR code that
 * is not a conclave frame, CK_ERR_QR_OTHER_MESSAGE, ...).
 */
int qrs_receiver_image(struct qrs_receiver *r, struct qr_scanner *sc,
    const struct qr_image *img) CK_WUR;
/* The same for a PNG file (errors of qr_png_read as well). */
int qrs_receiver_png(struct qrs_receiver *r, struct qr_scanner *sc,
    const char *path) CK_WUR;
/*
 * The same for one camera frame, waiting at most timeout_ms
 * (CK_ERR_QR_NOT_FOUND when none came).
 */
int qrs_receiver_camera(struct qrs_receiver *r, struct qr_scanner *sc,
    struct qr_camera *cam, int timeout_ms) CK_WUR;
void qrs_receiver_progress(const struct qrs_receiver *r, struct ftn_progress *p);
/*
 * Pass over the message decoded (or being decoded) so far: the receiver
 * starts again, and frames of that message are refused from now on with
 * CK_ERR_QR_OTHER_MESSAGE, so a code still on screen that was already
 * taken (the sender's last envelope, before its next) cannot hold the
 * receiver. The last QRS_SKIP_MAX messages are remembered. CK_ERR_STATE
 * before the first frame.
 */
#define QRS_SKIP_MAX 8
int qrs_receiver_pass_over(struct qrs_receiver *r) CK_WUR;
/* The message once complete (malloc'd copy); CK_ERR_STATE before. */
int qrs_receiver_message(const struct qrs_receiver *r, uint8_t **msg,
    size_t *len) CK_WUR;

/*
 * The link as a receiver sees it, for the person at the sender (the
 * optical link has no way back): how many images or camera frames were
 * scanned, and how many of them gave a good frame.
 */
struct qrs_link {
	uint32_t scanned;	/* images or camera frames scanned */
	uint32_t read;		/* of those, with a good frame of the message */
	uint32_t fragment;	/* the stream's fragment length, 0 before a frame */
};
void qrs_receiver_link(const struct qrs_receiver *r, struct qrs_link *l);

/* What the person at the sender could change (qrs_link_hint). */
enum qrs_hint {
	QRS_HINT_NONE,		/* too early to say, or nothing to change */
	QRS_HINT_FASTER,	/* nearly every frame is read: --fps up */
	QRS_HINT_STEADIER,	/* few frames read: straighter, steadier, lighter */
	QRS_HINT_SPARSER,	/* next to none read: a smaller --fragment */
};
#define QRS_HINT_MIN_FRAMES 60	/* two seconds of a 30 fps camera */
#define QRS_FAST_FPS 15		/* what QRS_HINT_FASTER suggests */
/*
 * From the share of frames read (docs/qr.md, "Adapting to the room"):
 * at least 80% FASTER, under 30% STEADIER, under 5% SPARSER; NONE before
 * QRS_HINT_MIN_FRAMES frames or in between.
 */
enum qrs_hint qrs_link_hint(const struct qrs_link *l);
/*
 * One line for the receiver's screen: the share of frames read and the
 * rate of new information over secs seconds, and the hint if any, e.g.
 * "read 62% of 150 frames, 4.1 KB/s new; hold the camera straighter...".
 */
void qrs_link_text(const struct qrs_link *l, const struct ftn_progress *p,
    double secs, enum qrs_hint h, char *buf, size_t n);

/*
 * Read-back: show codes of a few densities on this machine's screen, read
 * them with its camera, and pick the settings. show puts a code on the
 * screen; grab hands out the next camera frame (CK_ERR_QR_NOT_FOUND when
 * none came in time; any other error ends the check). Densities from
 * max_fragment (what the screen holds, qrs_fragment_for_width) down to
 * 200 bytes are each shown for QRS_READBACK_SETTLE + frames camera frames,
 * the first QRS_READBACK_SETTLE not counted. *pick gets o with the
 * fragment whose expected goodput (fragment x the chance that a code is
 * caught at o->fps with a 30 fps camera) was highest; its read share in
 * *best. CK_ERR_QR_NOT_FOUND if no density was read back at all.
 */
#define QRS_READBACK_FRAMES 30	/* camera frames per density: a second */
#define QRS_READBACK_SETTLE 5	/* frames skipped after each new code */
struct qrs_readback_io {
	int (*show)(const struct qr_code *c, void *ctx);
	int (*grab)(struct qr_image **img, void *ctx);
	void *ctx;
};
int qrs_readback(struct qr_scanner *sc, const struct qrs_opts *o,
    size_t max_fragment, unsigned int frames, const struct qrs_readback_io *io,
    struct qrs_opts *pick, struct qrs_link *best) CK_WUR;

#endif
