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

#include "crypto/reader.h"
#include "media/fountain.h"
#include "media/qr.h"

#define QRS_DEFAULT_FRAGMENT 500	/* payload bytes per frame */
#define QRS_DEFAULT_ECC QR_ECC_L
#define QRS_DEFAULT_FPS 8		/* frames shown per second */
#define QRS_MIN_FPS 1
#define QRS_MAX_FPS 30
/* Seconds without a new useful frame after which the UI offers the stick. */
#define QRS_STALL_SECONDS 20

struct qrs_sender;
struct qrs_receiver;

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

int qrs_receiver_new(struct qrs_receiver **out) CK_WUR;
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
/* The same for one camera frame, waiting at most timeout_ms. */
int qrs_receiver_camera(struct qrs_receiver *r, struct qr_scanner *sc,
    struct qr_camera *cam, int timeout_ms) CK_WUR;
void qrs_receiver_progress(const struct qrs_receiver *r, struct ftn_progress *p);
/* The message once complete (malloc'd copy); CK_ERR_STATE before. */
int qrs_receiver_message(const struct qrs_receiver *r, uint8_t **msg,
    size_t *len) CK_WUR;

#endif
