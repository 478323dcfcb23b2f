/*
 * QR symbols: encode (libqrencode, byte mode), render (terminal half
 * blocks, grayscale images and PNG files, the Linux framebuffer) and scan
 * (zbar, QR symbology only, binary mode, from images and V4L2 cameras).
 * The payloads are opaque bytes here; media/fountain.h gives them meaning.
 */
#ifndef CONCLAVE_QR_H
#define CONCLAVE_QR_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/reader.h"

#define QR_QUIET 4			/* light modules around every rendering */
#define QR_MAX_PAYLOAD 2953		/* version 40-L, byte mode */
#define QR_MAX_SYMBOLS 8		/* QR codes taken from one image */
#define QR_MAX_IMAGE_SIDE 8192		/* pixels, for images read from files */
#define QR_MAX_PNG_BYTES (32 * 1024 * 1024)
#define QR_VERIFY_SCALE 3		/* pixels per module for read-back */
#define QR_SCAN_MAX_SIDE 2048		/* larger images are shrunk before zbar */

enum qr_ecc { QR_ECC_L, QR_ECC_M, QR_ECC_Q, QR_ECC_H };

/* A QR symbol: width x width modules, dark[y * width + x] is 1 or 0. */
struct qr_code {
	int version;
	int width;
	uint8_t *dark;
};

/* An 8-bit grayscale image, 0 black, 255 white, rows packed. */
struct qr_image {
	int w, h;
	uint8_t *pix;
};

/* The payloads of the QR codes found in one image, each malloc'd. */
struct qr_symbols {
	size_t n;
	uint8_t *data[QR_MAX_SYMBOLS];
	size_t len[QR_MAX_SYMBOLS];
};

struct qr_scanner;
struct qr_camera;

/*
 * Encode len bytes in byte mode at the given ECC level, in the smallest
 * version that holds them. CK_ERR_TOO_LARGE if no version does.
 */
int qr_encode(const uint8_t *data, size_t len, enum qr_ecc ecc,
    struct qr_code **out) CK_WUR;
/*
 * qr_encode, then render the symbol and scan it back with s; the symbol is
 * handed out only if it decodes to exactly the same bytes
 * (CK_ERR_QR_VERIFY otherwise). Every code conclave shows goes through here.
 */
int qr_encode_verified(struct qr_scanner *s, const uint8_t *data, size_t len,
    enum qr_ecc ecc, struct qr_code **out) CK_WUR;
void qr_code_free(struct qr_code *c);

/* The symbol at scale pixels per module with a QR_QUIET module border. */
int qr_render_image(const struct qr_code *c, int scale,
    struct qr_image **out) CK_WUR;
/* An empty w x h image (all white), for drawing into. */
int qr_image_new(int w, int h, struct qr_image **out) CK_WUR;
void qr_image_free(struct qr_image *img);

/* qr_render_text flags */
#define QR_TEXT_ANSI 0x1	/* wrap each line in white-on-black SGR escapes */

/*
 * The symbol as text for a terminal of cols x rows character cells: Unicode
 * half blocks (two module rows per line, light modules drawn as the glyph),
 * a QR_QUIET border, each module scaled up as far as the terminal allows.
 * With QR_TEXT_ANSI each line sets white on black explicitly, so the
 * terminal's theme cannot invert the code; without it the caller must draw
 * the lines white on black itself (an ncurses screen, with a colour pair).
 * CK_ERR_QR_NO_FIT if even one column per module does not fit. *out is a
 * NUL-terminated malloc'd string of newline-terminated lines.
 */
int qr_render_text(const struct qr_code *c, int cols, int rows, int flags,
    char **out) CK_WUR;

/*
 * Write img as an 8-bit grayscale PNG named name in directory dirfd,
 * atomically and replacing an older file (media/file.h).
 */
int qr_png_write(const struct qr_image *img, int dirfd, const char *name) CK_WUR;
/*
 * Read a PNG as grayscale with media/png.h (what it reads and each of its
 * refusals are stated there). The file is read through media/file.h (no
 * symlinks, regular files only, at most QR_MAX_PNG_BYTES); larger files and
 * images over QR_MAX_IMAGE_SIDE are CK_ERR_QR_IMAGE_TOO_LARGE (an image's
 * limit, not the stream's CK_ERR_TOO_LARGE).
 */
int qr_png_read(const char *path, struct qr_image **out) CK_WUR;
int qr_png_decode(const uint8_t *buf, size_t len, struct qr_image **out) CK_WUR;

/*
 * A framebuffer's geometry and memory (what FBIOGET_*SCREENINFO report),
 * so drawing can be checked against memory that is not a device.
 */
struct qr_fb {
	uint8_t *mem;
	size_t size;
	uint32_t xres, yres;
	uint32_t line_length;		/* bytes per row */
	uint32_t bits_per_pixel;	/* 16, 24 or 32 */
	uint32_t red_off, red_len, green_off, green_len, blue_off, blue_len;
	void *map;			/* qr_fb_open's mapping, for qr_fb_close */
	size_t map_len;
};
/*
 * Clear the visible screen to white and draw the symbol centred, each module
 * an integer number of pixels (crisp edges), as large as fits.
 * CK_ERR_QR_NO_FIT if one pixel per module does not fit,
 * CK_ERR_UNSUPPORTED for other pixel depths.
 */
int qr_fb_draw(struct qr_fb *fb, const struct qr_code *c) CK_WUR;
/*
 * qr_fb_draw within the rectangle of w x h pixels at x, y (cleared to
 * white), the rest of the screen untouched: the guided UI keeps text rows
 * of the console above and below the code. CK_ERR_INVALID_ARG for a
 * rectangle outside the screen.
 */
int qr_fb_draw_at(struct qr_fb *fb, const struct qr_code *c, uint32_t x,
    uint32_t y, uint32_t w, uint32_t h) CK_WUR;
/*
 * Map a framebuffer for drawing until qr_fb_close: a device such as
 * /dev/fb0 (its geometry from FBIOGET_VSCREENINFO and FBIOGET_FSCREENINFO;
 * the visible part of its virtual screen) or, with file_w and file_h not 0,
 * a regular file standing in for one in rehearsals and tests (file_w x
 * file_h pixels of XRGB8888, rows packed, the file at least that long).
 * CK_ERR_UNSUPPORTED: not a framebuffer (or a stand-in file too short).
 */
int qr_fb_open(const char *path, uint32_t file_w, uint32_t file_h,
    struct qr_fb *fb) CK_WUR;
void qr_fb_close(struct qr_fb *fb);
/* qr_fb_open, qr_fb_draw, qr_fb_close. */
int qr_fb_show(const char *dev, const struct qr_code *c) CK_WUR;

/*
 * The readers qr_scan runs on an image. zbar reads an upright, evenly lit
 * code; zxing-cpp (media/qr_zxing.h) also reads one filmed at an angle, dim
 * or noisy. QR_READ_DEFAULT was chosen with `make bench-qr` (docs/qr.md).
 */
enum qr_reader {
	QR_READ_ZBAR,		/* zbar alone */
	QR_READ_ZXING,		/* zxing-cpp alone */
	QR_READ_ZBAR_ZXING,	/* zbar; zxing-cpp when zbar finds nothing */
	QR_READ_ZXING_ZBAR,	/* zxing-cpp; zbar when zxing-cpp finds nothing */
};
/* qr_scanner_set_reader flags */
#define QR_PRE_THRESHOLD 0x1	/* zbar reads a copy binarized by local mean */
/* zxing-cpp first (fast, reads tilted and dim frames), then zbar on the
 * binarized frame (reads motion blur and defocus better) */
#define QR_READ_DEFAULT QR_READ_ZXING_ZBAR
#define QR_READ_DEFAULT_FLAGS QR_PRE_THRESHOLD

/*
 * A scanner: zbar with every symbology off except QR, in binary mode, and
 * zxing-cpp, QR only, running QR_READ_DEFAULT with QR_READ_DEFAULT_FLAGS.
 */
int qr_scanner_new(struct qr_scanner **out) CK_WUR;
void qr_scanner_free(struct qr_scanner *s);
/* Other readers or preprocessing (QR_PRE_*), for measurements. */
void qr_scanner_set_reader(struct qr_scanner *s, enum qr_reader rd, int flags);
/*
 * Scan a grayscale image with the scanner's readers. CK_ERR_QR_NOT_FOUND if
 * it holds no QR code (other barcodes are not even looked for). out is
 * cleared first. An image over QR_SCAN_MAX_SIDE a side is first shrunk by an
 * integer factor (box average), which bounds the readers' time on a huge
 * photo or a hostile file. Touches nothing but memory (no files, no
 * threads): the appliance can run it in a sandboxed parser.
 */
int qr_scan(struct qr_scanner *s, const struct qr_image *img,
    struct qr_symbols *out) CK_WUR;
void qr_symbols_clear(struct qr_symbols *syms);

/*
 * Where qr_scan and qr_png_decode run. NULL members (the default) decode
 * in this process; the appliance's monitor installs its parser child's
 * client (appliance/monitor.h), which answers exactly as they do.
 */
struct qr_isolation {
	int (*scan)(enum qr_reader rd, int flags, const struct qr_image *img,
	    struct qr_symbols *out);
	/* fd >= 0: the PNG is that open file (buf is NULL). */
	int (*png_decode)(const uint8_t *buf, size_t len, int fd,
	    struct qr_image **out);
};
void qr_set_isolation(const struct qr_isolation *iso);

/*
 * A V4L2 camera through zbar's video API (e.g. "/dev/video0").
 * qr_camera_grab waits at most timeout_ms for a frame (CK_ERR_QR_NOT_FOUND
 * when none came) and hands it out as a grayscale image, for qr_scan in
 * another process if need be; qr_camera_scan is both, CK_ERR_QR_NOT_FOUND
 * also when the frame held no QR code. A device that reports an error
 * while waiting (unplugged) is CK_ERR_MEDIA_GONE.
 */
int qr_camera_open(const char *dev, struct qr_camera **out) CK_WUR;
int qr_camera_grab(struct qr_camera *cam, int timeout_ms,
    struct qr_image **out) CK_WUR;
int qr_camera_scan(struct qr_camera *cam, struct qr_scanner *s, int timeout_ms,
    struct qr_symbols *out) CK_WUR;
void qr_camera_close(struct qr_camera *cam);
/*
 * A recorded camera, for rehearsals and tests where no camera can be had:
 * the *.png files of folder dir (at most QR_RECORDED_MAX, by name) handed
 * out by qr_camera_grab one a call, round and round, as a camera keeps
 * filming a screen; the folder is read again at each round, so frames
 * added meanwhile (the screen's next codes) join the next one.
 * qr_camera_scan and qr_camera_close as for a device. A frame that is no
 * longer there (the folder or the file removed, or a round that finds no
 * frames) is CK_ERR_MEDIA_GONE: the camera is gone. Open: CK_ERR_NOT_FOUND for a
 * missing folder or one without frames.
 */
#define QR_RECORDED_MAX 4096
int qr_camera_open_recorded(const char *dir, struct qr_camera **out) CK_WUR;

#endif
