/*
 * QR symbols: libqrencode to encode, zbar to scan, media/png for files.
 *
 * Limits on untrusted input: PNG files at most QR_MAX_PNG_BYTES and
 * QR_MAX_IMAGE_SIDE pixels a side, read without following symlinks; at most
 * QR_MAX_SYMBOLS codes of at most QR_MAX_PAYLOAD bytes each are taken from
 * one image (zbar's own decoder bounds a QR payload anyway). zbar and
 * zxing-cpp (media/qr_zxing.cpp) look for QR codes only: a second symbology is a second parser and, as Glacier
 * found, a source of false alarms from barcodes hidden inside a QR image.
 */
#include "media/qr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qrencode.h>
#include <zbar.h>

#include "crypto/errors.h"
#include "media/file.h"
#include "media/png.h"
#include "media/qr_zxing.h"

struct qr_scanner {
	zbar_image_scanner_t *zs;
	enum qr_reader reader;
	int flags;			/* QR_PRE_* */
};

struct qr_camera {
	zbar_video_t *video;	/* a V4L2 device; NULL: recorded frames */
	int enabled;
	char *dir;		/* recorded: the folder of PNG frames */
	char **names;		/* its *.png files, sorted */
	size_t n, next;
};

static const QRecLevel ecc_levels[] = {
	[QR_ECC_L] = QR_ECLEVEL_L, [QR_ECC_M] = QR_ECLEVEL_M,
	[QR_ECC_Q] = QR_ECLEVEL_Q, [QR_ECC_H] = QR_ECLEVEL_H,
};

/* ---- encoding ---- */

int
qr_encode(const uint8_t *data, size_t len, enum qr_ecc ecc,
    struct qr_code **out)
{
	struct qr_code *c = NULL;
	QRcode *q = NULL;
	size_t n, i;
	int r = CK_ERR_INTERNAL;

	*out = NULL;
	if ((unsigned)ecc > QR_ECC_H || len == 0)
		return CK_ERR_INVALID_ARG;
	if (len > QR_MAX_PAYLOAD)
		return CK_ERR_TOO_LARGE;
	errno = 0;
	if ((q = QRcode_encodeData((int)len, data, 0, ecc_levels[ecc])) == NULL) {
		r = errno == ERANGE ? CK_ERR_TOO_LARGE : CK_ERR_ALLOC;
		goto out;
	}
	n = (size_t)q->width * (size_t)q->width;
	r = CK_ERR_ALLOC;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->dark = malloc(n)) == NULL)
		goto out;
	c->version = q->version;
	c->width = q->width;
	/* libqrencode: bit 0 of each byte is the module's colour. */
	for (i = 0; i < n; i++)
		c->dark[i] = q->data[i] & 1;
	*out = c;
	c = NULL;
	r = CK_OK;
out:
	qr_code_free(c);
	if (q != NULL)
		QRcode_free(q);
	return r;
}

int
qr_encode_verified(struct qr_scanner *s, const uint8_t *data, size_t len,
    enum qr_ecc ecc, struct qr_code **out)
{
	struct qr_code *c = NULL;
	struct qr_image *img = NULL;
	struct qr_symbols syms = { 0 };
	int r;

	*out = NULL;
	if ((r = qr_encode(data, len, ecc, &c)) != CK_OK ||
	    (r = qr_render_image(c, QR_VERIFY_SCALE, &img)) != CK_OK)
		goto out;
	r = qr_scan(s, img, &syms);
	if (r == CK_ERR_QR_NOT_FOUND || (r == CK_OK && (syms.n != 1 ||
	    syms.len[0] != len || memcmp(syms.data[0], data, len) != 0)))
		r = CK_ERR_QR_VERIFY;
	if (r != CK_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	qr_symbols_clear(&syms);
	qr_image_free(img);
	qr_code_free(c);
	return r;
}

void
qr_code_free(struct qr_code *c)
{
	if (c == NULL)
		return;
	free(c->dark);
	free(c);
}

/* ---- images and PNG ---- */

int
qr_image_new(int w, int h, struct qr_image **out)
{
	struct qr_image *img;

	*out = NULL;
	if (w <= 0 || h <= 0 || w > QR_MAX_IMAGE_SIDE || h > QR_MAX_IMAGE_SIDE)
		return CK_ERR_INVALID_ARG;
	if ((img = calloc(1, sizeof(*img))) == NULL)
		return CK_ERR_ALLOC;
	if ((img->pix = malloc((size_t)w * (size_t)h)) == NULL) {
		free(img);
		return CK_ERR_ALLOC;
	}
	memset(img->pix, 255, (size_t)w * (size_t)h);
	img->w = w;
	img->h = h;
	*out = img;
	return CK_OK;
}

void
qr_image_free(struct qr_image *img)
{
	if (img == NULL)
		return;
	free(img->pix);
	free(img);
}

int
qr_render_image(const struct qr_code *c, int scale, struct qr_image **out)
{
	struct qr_image *img = NULL;
	int side, x, y, r;

	*out = NULL;
	if (scale < 1 || scale > QR_MAX_IMAGE_SIDE)
		return CK_ERR_INVALID_ARG;
	side = (c->width + 2 * QR_QUIET) * scale;
	if ((r = qr_image_new(side, side, &img)) != CK_OK)
		return r;
	for (y = 0; y < side; y++)
		for (x = 0; x < side; x++) {
			int mx = x / scale - QR_QUIET, my = y / scale - QR_QUIET;

			if (mx >= 0 && my >= 0 && mx < c->width && my < c->width &&
			    c->dark[my * c->width + mx])
				img->pix[(size_t)y * side + x] = 0;
		}
	*out = img;
	return CK_OK;
}

int
qr_png_write(const struct qr_image *img, int dirfd, const char *name)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	int r;

	if ((r = png_gray_encode(img->pix, img->w, img->h, &buf, &n)) != CK_OK)
		return r;
	r = file_write_atomic(dirfd, name, buf, n, 0644, FILE_REPLACE);
	free(buf);
	return r;
}

/* Where qr_scan and qr_png_decode run (qr_set_isolation). */
static struct qr_isolation isolated;

void
qr_set_isolation(const struct qr_isolation *iso)
{
	memset(&isolated, 0, sizeof(isolated));
	if (iso != NULL)
		isolated = *iso;
}

int
qr_png_decode(const uint8_t *buf, size_t len, struct qr_image **out)
{
	struct qr_image *img;
	uint8_t *pix = NULL;
	int w, h, r;

	*out = NULL;
	if (isolated.png_decode != NULL)
		return isolated.png_decode(buf, len, -1, out);
	/* An image's limits are not a stream's: named apart from CK_ERR_TOO_LARGE. */
	if (len > QR_MAX_PNG_BYTES)
		return CK_ERR_QR_IMAGE_TOO_LARGE;
	if ((r = png_gray_decode(buf, len, QR_MAX_IMAGE_SIDE, &pix, &w, &h)) != CK_OK)
		return r == CK_ERR_TOO_LARGE ? CK_ERR_QR_IMAGE_TOO_LARGE : r;
	if ((img = malloc(sizeof(*img))) == NULL) {
		free(pix);
		return CK_ERR_ALLOC;
	}
	img->w = w;
	img->h = h;
	img->pix = pix;
	*out = img;
	return CK_OK;
}

int
qr_png_read(const char *path, struct qr_image **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd = -1, r;

	*out = NULL;
	/* Opened and checked here; read only where it is decoded. */
	if ((r = file_open_read(AT_FDCWD, path, QR_MAX_PNG_BYTES, &fd)) != CK_OK)
		return r == CK_ERR_TOO_LARGE ? CK_ERR_QR_IMAGE_TOO_LARGE : r;
	if (isolated.png_decode != NULL)
		r = isolated.png_decode(NULL, 0, fd, out);
	else if ((r = rd_fd(fd, QR_MAX_PNG_BYTES, &buf, &len)) == CK_OK)
		r = qr_png_decode(buf, len, out);
	close(fd);
	free(buf);
	return r == CK_ERR_TOO_LARGE ? CK_ERR_QR_IMAGE_TOO_LARGE : r;
}

/* ---- terminal ---- */

/* Light modules are drawn as glyphs in white on an explicit black ground. */
#define TXT_ON "\x1b[97;40m"
#define TXT_OFF "\x1b[0m\n"

static int
module_light(const struct qr_code *c, int scale, int x, int y)
{
	int mx = x / scale - QR_QUIET, my = y / scale - QR_QUIET;

	if (mx < 0 || my < 0 || mx >= c->width || my >= c->width)
		return 1;
	return !c->dark[my * c->width + mx];
}

int
qr_render_text(const struct qr_code *c, int cols, int rows, int flags,
    char **out)
{
	static const char *cell[4] = { " ", "\xe2\x96\x84", "\xe2\x96\x80",
	    "\xe2\x96\x88" };	/* none, lower, upper, full block */
	int side = c->width + 2 * QR_QUIET, scale, lines, x, y;
	size_t cap, n = 0;
	char *s;

	*out = NULL;
	for (scale = 1; (scale + 1) * side <= cols &&
	    ((scale + 1) * side + 1) / 2 <= rows; scale++)
		;
	if (side > cols || (side + 1) / 2 > rows)
		return CK_ERR_QR_NO_FIT;
	lines = (scale * side + 1) / 2;
	cap = (size_t)lines * ((size_t)scale * side * 3 + sizeof(TXT_ON) +
	    sizeof(TXT_OFF)) + 1;
	if ((s = malloc(cap)) == NULL)
		return CK_ERR_ALLOC;
	for (y = 0; y < lines; y++) {
		if (flags & QR_TEXT_ANSI) {
			memcpy(s + n, TXT_ON, sizeof(TXT_ON) - 1);
			n += sizeof(TXT_ON) - 1;
		}
		for (x = 0; x < scale * side; x++) {
			int top = module_light(c, scale, x, 2 * y);
			int bot = 2 * y + 1 < scale * side &&
			    module_light(c, scale, x, 2 * y + 1);
			const char *g = cell[top << 1 | bot];
			size_t gl = strlen(g);

			memcpy(s + n, g, gl);
			n += gl;
		}
		if (flags & QR_TEXT_ANSI) {
			memcpy(s + n, TXT_OFF, sizeof(TXT_OFF) - 1);
			n += sizeof(TXT_OFF) - 1;
		} else {
			s[n++] = '\n';
		}
	}
	s[n] = '\0';
	*out = s;
	return CK_OK;
}

/* ---- framebuffer ---- */

static uint32_t
fb_channel_max(uint32_t off, uint32_t len)
{
	return len == 0 || len > 16 ? 0 : ((1u << len) - 1) << off;
}

static void
fb_put(struct qr_fb *fb, uint32_t x, uint32_t y, uint32_t v)
{
	uint8_t *p = fb->mem + (size_t)y * fb->line_length +
	    (size_t)x * (fb->bits_per_pixel / 8);
	uint32_t i;

	for (i = 0; i < fb->bits_per_pixel / 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));		/* little-endian pixels */
}

int
qr_fb_draw_at(struct qr_fb *fb, const struct qr_code *c, uint32_t rx,
    uint32_t ry, uint32_t rw, uint32_t rh)
{
	uint32_t side = (uint32_t)(c->width + 2 * QR_QUIET), scale, x0, y0, x, y;
	uint32_t white, bpp = fb->bits_per_pixel;

	if (bpp != 16 && bpp != 24 && bpp != 32)
		return CK_ERR_UNSUPPORTED;
	if ((size_t)fb->line_length * fb->yres > fb->size ||
	    (size_t)fb->xres * (bpp / 8) > fb->line_length ||
	    rx > fb->xres || ry > fb->yres || rw > fb->xres - rx ||
	    rh > fb->yres - ry)
		return CK_ERR_INVALID_ARG;
	scale = (rw < rh ? rw : rh) / side;
	if (scale == 0)
		return CK_ERR_QR_NO_FIT;
	white = fb_channel_max(fb->red_off, fb->red_len) |
	    fb_channel_max(fb->green_off, fb->green_len) |
	    fb_channel_max(fb->blue_off, fb->blue_len);
	x0 = rx + (rw - side * scale) / 2;
	y0 = ry + (rh - side * scale) / 2;
	for (y = ry; y < ry + rh; y++)
		for (x = rx; x < rx + rw; x++) {
			int dark = 0;

			if (x >= x0 && y >= y0 && x < x0 + side * scale &&
			    y < y0 + side * scale)
				dark = !module_light(c, (int)scale, (int)(x - x0),
				    (int)(y - y0));
			fb_put(fb, x, y, dark ? 0 : white);
		}
	return CK_OK;
}

int
qr_fb_draw(struct qr_fb *fb, const struct qr_code *c)
{
	return qr_fb_draw_at(fb, c, 0, 0, fb->xres, fb->yres);
}

int
qr_fb_open(const char *path, uint32_t file_w, uint32_t file_h,
    struct qr_fb *fb)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	struct stat st;
	size_t skip;
	int fd, r = CK_ERR_UNSUPPORTED;

	memset(fb, 0, sizeof(*fb));
	fb->map = MAP_FAILED;
	memset(&var, 0, sizeof(var));
	memset(&fix, 0, sizeof(fix));
	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return file_errno(errno);
	if (file_w != 0 && file_h != 0) {
		/* a stand-in file: XRGB8888, rows packed, no ioctls */
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    file_w > QR_MAX_IMAGE_SIDE || file_h > QR_MAX_IMAGE_SIDE ||
		    (uint64_t)st.st_size < (uint64_t)file_w * file_h * 4)
			goto out;
		var.xres = file_w;
		var.yres = file_h;
		var.bits_per_pixel = 32;
		var.red.offset = 16, var.red.length = 8;
		var.green.offset = 8, var.green.length = 8;
		var.blue.length = 8;
		fix.line_length = file_w * 4;
		fix.smem_len = file_w * file_h * 4;
	} else if (ioctl(fd, FBIOGET_VSCREENINFO, &var) != 0 ||
	    ioctl(fd, FBIOGET_FSCREENINFO, &fix) != 0)
		goto out;
	/* Draw on the visible part of the virtual screen. */
	skip = (size_t)var.yoffset * fix.line_length +
	    (size_t)var.xoffset * (var.bits_per_pixel / 8);
	if (skip >= fix.smem_len) {
		r = CK_ERR_INVALID_ARG;
		goto out;
	}
	if ((fb->map = mmap(NULL, fix.smem_len, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) == MAP_FAILED) {
		r = CK_ERR_IO;
		goto out;
	}
	fb->map_len = fix.smem_len;
	fb->mem = (uint8_t *)fb->map + skip;
	fb->size = fix.smem_len - skip;
	fb->xres = var.xres;
	fb->yres = var.yres;
	fb->line_length = fix.line_length;
	fb->bits_per_pixel = var.bits_per_pixel;
	fb->red_off = var.red.offset;
	fb->red_len = var.red.length;
	fb->green_off = var.green.offset;
	fb->green_len = var.green.length;
	fb->blue_off = var.blue.offset;
	fb->blue_len = var.blue.length;
	r = CK_OK;
out:
	close(fd);
	return r;
}

void
qr_fb_close(struct qr_fb *fb)
{
	if (fb->map != NULL && fb->map != MAP_FAILED)
		munmap(fb->map, fb->map_len);
	memset(fb, 0, sizeof(*fb));
}

int
qr_fb_show(const char *dev, const struct qr_code *c)
{
	struct qr_fb fb;
	int r;

	if ((r = qr_fb_open(dev, 0, 0, &fb)) != CK_OK)
		return r;
	r = qr_fb_draw(&fb, c);
	qr_fb_close(&fb);
	return r;
}

/* ---- scanning ---- */

int
qr_scanner_new(struct qr_scanner **out)
{
	struct qr_scanner *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CK_ERR_ALLOC;
	if ((s->zs = zbar_image_scanner_create()) == NULL) {
		free(s);
		return CK_ERR_ALLOC;
	}
	if (zbar_image_scanner_set_config(s->zs, ZBAR_NONE, ZBAR_CFG_ENABLE, 0) != 0 ||
	    zbar_image_scanner_set_config(s->zs, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1) != 0 ||
	    zbar_image_scanner_set_config(s->zs, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1) != 0) {
		qr_scanner_free(s);
		return CK_ERR_UNSUPPORTED;
	}
	s->reader = QR_READ_DEFAULT;
	s->flags = QR_READ_DEFAULT_FLAGS;
	*out = s;
	return CK_OK;
}

void
qr_scanner_set_reader(struct qr_scanner *s, enum qr_reader rd, int flags)
{
	s->reader = rd;
	s->flags = flags;
}

void
qr_scanner_free(struct qr_scanner *s)
{
	if (s == NULL)
		return;
	zbar_image_scanner_destroy(s->zs);
	free(s);
}

void
qr_symbols_clear(struct qr_symbols *syms)
{
	size_t i;

	for (i = 0; i < syms->n; i++)
		free(syms->data[i]);
	memset(syms, 0, sizeof(*syms));
}

/* Copy the QR results of a scanned zbar image. */
static int
collect(const zbar_image_t *zi, struct qr_symbols *out)
{
	const zbar_symbol_t *sym;
	unsigned int len;

	for (sym = zbar_image_first_symbol(zi); sym != NULL;
	    sym = zbar_symbol_next(sym)) {
		if (zbar_symbol_get_type(sym) != ZBAR_QRCODE)
			continue;
		len = zbar_symbol_get_data_length(sym);
		if (len == 0 || len > QR_MAX_PAYLOAD || out->n == QR_MAX_SYMBOLS)
			continue;
		if ((out->data[out->n] = malloc(len)) == NULL)
			return CK_ERR_ALLOC;
		memcpy(out->data[out->n], zbar_symbol_get_data(sym), len);
		out->len[out->n++] = len;
	}
	return out->n > 0 ? CK_OK : CK_ERR_QR_NOT_FOUND;
}

/* img shrunk by factor f (box average), for images too large to scan. */
static int
shrink(const struct qr_image *img, int f, struct qr_image **out)
{
	struct qr_image *o = NULL;
	int x, y, dx, dy, r;

	if ((r = qr_image_new(img->w / f, img->h / f, &o)) != CK_OK)
		return r;
	for (y = 0; y < o->h; y++)
		for (x = 0; x < o->w; x++) {
			unsigned int sum = 0;

			for (dy = 0; dy < f; dy++)
				for (dx = 0; dx < f; dx++)
					sum += img->pix[(size_t)(y * f + dy) * img->w +
					    x * f + dx];
			o->pix[(size_t)y * o->w + x] = (uint8_t)(sum / (unsigned)(f * f));
		}
	*out = o;
	return CK_OK;
}

/*
 * Binarize by the mean of a window around each pixel (an integral image, so
 * the cost does not depend on the window): light where a pixel is brighter
 * than its surroundings less a margin. zbar reads blurred, dim and glaring
 * frames far better so (docs/qr.md); zxing-cpp binarizes locally itself.
 */
static int
threshold(const struct qr_image *img, struct qr_image **out)
{
	struct qr_image *o = NULL;
	uint32_t *sum = NULL;
	size_t w = (size_t)img->w, h = (size_t)img->h, x, y;
	size_t rad = (img->w < img->h ? w : h) / 24 + 2;
	int r;

	*out = NULL;
	if ((r = qr_image_new(img->w, img->h, &o)) != CK_OK)
		return r;
	if ((sum = calloc((w + 1) * (h + 1), sizeof(*sum))) == NULL) {
		qr_image_free(o);
		return CK_ERR_ALLOC;
	}
	for (y = 0; y < h; y++) {
		uint32_t row = 0;

		for (x = 0; x < w; x++) {
			row += img->pix[y * w + x];
			sum[(y + 1) * (w + 1) + x + 1] = sum[y * (w + 1) + x + 1] + row;
		}
	}
	for (y = 0; y < h; y++) {
		size_t y0 = y > rad ? y - rad : 0, y1 = y + rad + 1 < h ? y + rad + 1 : h;

		for (x = 0; x < w; x++) {
			size_t x0 = x > rad ? x - rad : 0, x1 = x + rad + 1 < w ? x + rad + 1 : w;
			uint32_t s = sum[y1 * (w + 1) + x1] - sum[y0 * (w + 1) + x1] -
			    sum[y1 * (w + 1) + x0] + sum[y0 * (w + 1) + x0];
			uint32_t n = (uint32_t)((y1 - y0) * (x1 - x0));

			/* 5/256 below the mean: flat areas stay light. */
			o->pix[y * w + x] = (uint32_t)img->pix[y * w + x] * n * 256 <
			    (uint64_t)s * 251 ? 0 : 255;
		}
	}
	free(sum);
	*out = o;
	return CK_OK;
}

/* zbar, on a binarized copy with QR_PRE_THRESHOLD */
static int
scan_zbar(struct qr_scanner *s, const struct qr_image *img,
    struct qr_symbols *out)
{
	struct qr_image *bin = NULL;
	zbar_image_t *zi;
	int r;

	if ((s->flags & QR_PRE_THRESHOLD) &&
	    (r = threshold(img, &bin)) != CK_OK)
		return r;
	if (bin != NULL)
		img = bin;
	if ((zi = zbar_image_create()) == NULL) {
		qr_image_free(bin);
		return CK_ERR_ALLOC;
	}
	zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zi, (unsigned)img->w, (unsigned)img->h);
	zbar_image_set_data(zi, img->pix, (unsigned long)img->w * img->h, NULL);
	r = zbar_scan_image(s->zs, zi) < 0 ? CK_ERR_INTERNAL : collect(zi, out);
	zbar_image_destroy(zi);
	qr_image_free(bin);
	return r;
}

static int
scan_zxing(const struct qr_image *img, struct qr_symbols *out)
{
	return qr_zxing_read(img->pix, img->w, img->h, QR_MAX_SYMBOLS,
	    QR_MAX_PAYLOAD, out->data, out->len, &out->n);
}

int
qr_scan(struct qr_scanner *s, const struct qr_image *img,
    struct qr_symbols *out)
{
	struct qr_image *small = NULL;
	int r, side = img->w > img->h ? img->w : img->h;

	memset(out, 0, sizeof(*out));
	if (isolated.scan != NULL)
		return isolated.scan(s->reader, s->flags, img, out);
	if (side > QR_SCAN_MAX_SIDE) {
		if ((r = shrink(img, (side + QR_SCAN_MAX_SIDE - 1) / QR_SCAN_MAX_SIDE,
		    &small)) != CK_OK)
			return r;
		img = small;
	}
	switch (s->reader) {
	case QR_READ_ZBAR:
		r = scan_zbar(s, img, out);
		break;
	case QR_READ_ZXING:
		r = scan_zxing(img, out);
		break;
	case QR_READ_ZBAR_ZXING:
		if ((r = scan_zbar(s, img, out)) == CK_ERR_QR_NOT_FOUND)
			r = scan_zxing(img, out);
		break;
	case QR_READ_ZXING_ZBAR:
		if ((r = scan_zxing(img, out)) == CK_ERR_QR_NOT_FOUND)
			r = scan_zbar(s, img, out);
		break;
	default:
		r = CK_ERR_INVALID_ARG;
	}
	qr_image_free(small);
	if (r != CK_OK)
		qr_symbols_clear(out);
	return r;
}

/* ---- camera (V4L2 through zbar's video API) ---- */

int
qr_camera_open(const char *dev, struct qr_camera **out)
{
	struct qr_camera *cam;
	int r = CK_ERR_IO;

	*out = NULL;
	if ((cam = calloc(1, sizeof(*cam))) == NULL)
		return CK_ERR_ALLOC;
	if ((cam->video = zbar_video_create()) == NULL) {
		free(cam);
		return CK_ERR_ALLOC;
	}
	/* Prefer a modest resolution: decode time grows with pixels. */
	(void)zbar_video_request_size(cam->video, 640, 480);
	if (zbar_video_open(cam->video, dev) != 0) {
		r = access(dev, F_OK) != 0 ? CK_ERR_NOT_FOUND : CK_ERR_IO;
		goto fail;
	}
	/* Let zbar pick a capture format it can convert to grayscale. */
	if (zbar_negotiate_format(cam->video, NULL) != 0 ||
	    zbar_video_enable(cam->video, 1) != 0) {
		r = CK_ERR_UNSUPPORTED;
		goto fail;
	}
	cam->enabled = 1;
	*out = cam;
	return CK_OK;
fail:
	qr_camera_close(cam);
	return r;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * (Re)read the recorded camera's folder: its *.png files, sorted by name.
 * CK_ERR_NOT_FOUND for a missing folder or one without frames.
 */
static int
recorded_list(struct qr_camera *cam)
{
	struct dirent *e;
	DIR *d;
	size_t len;
	char **v;
	int r = CK_ERR_ALLOC;

	while (cam->n > 0)
		free(cam->names[--cam->n]);
	cam->next = 0;
	if ((d = opendir(cam->dir)) == NULL)
		return errno == ENOENT ? CK_ERR_NOT_FOUND : CK_ERR_IO;
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len <= 4 || strcmp(e->d_name + len - 4, ".png") != 0)
			continue;
		if (cam->n == QR_RECORDED_MAX) {
			r = CK_ERR_TOO_LARGE;
			goto out;
		}
		if ((v = realloc(cam->names, (cam->n + 1) * sizeof(*v))) == NULL)
			goto out;
		cam->names = v;
		if ((v[cam->n] = strdup(e->d_name)) == NULL)
			goto out;
		cam->n++;
	}
	r = cam->n == 0 ? CK_ERR_NOT_FOUND : CK_OK;
	if (r == CK_OK)
		qsort(cam->names, cam->n, sizeof(*cam->names), by_name);
out:
	closedir(d);
	return r;
}

int
qr_camera_open_recorded(const char *dir, struct qr_camera **out)
{
	struct qr_camera *cam;
	int r;

	*out = NULL;
	if ((cam = calloc(1, sizeof(*cam))) == NULL ||
	    (cam->dir = strdup(dir)) == NULL) {
		free(cam);
		return CK_ERR_ALLOC;
	}
	if ((r = recorded_list(cam)) != CK_OK) {
		qr_camera_close(cam);
		return r;
	}
	*out = cam;
	return CK_OK;
}

/*
 * The next recorded frame, round and round as a camera keeps filming; the
 * folder is read again at each round, as a camera sees a screen's new
 * codes (frames added meanwhile join the next round).
 */
static int
recorded_grab(struct qr_camera *cam, struct qr_image **out)
{
	char *path = NULL;
	int r, l;

	if (cam->n == 0)	/* a round that found no frames */
		return CK_ERR_MEDIA_GONE;
	if (asprintf(&path, "%s/%s", cam->dir, cam->names[cam->next]) < 0)
		return CK_ERR_ALLOC;
	r = qr_png_read(path, out);
	free(path);
	/* a frame that was there and is not: the camera is gone */
	if (r == CK_ERR_NOT_FOUND)
		return CK_ERR_MEDIA_GONE;
	if (++cam->next == cam->n && (l = recorded_list(cam)) != CK_OK) {
		/* the folder, or every frame in it, is gone */
		qr_image_free(*out);
		*out = NULL;
		return l == CK_ERR_NOT_FOUND ? CK_ERR_MEDIA_GONE : l;
	}
	return r;
}

int
qr_camera_grab(struct qr_camera *cam, int timeout_ms, struct qr_image **out)
{
	struct pollfd pfd;
	zbar_image_t *raw, *gray;
	struct qr_image *img = NULL;
	int r;

	*out = NULL;
	if (cam->video == NULL)
		return recorded_grab(cam, out);
	pfd.fd = zbar_video_get_fd(cam->video);
	pfd.events = POLLIN;
	/* zbar_video_next_image blocks; wait on the device first. */
	if (pfd.fd >= 0) {
		r = poll(&pfd, 1, timeout_ms);
		if (r == 0)
			return CK_ERR_QR_NOT_FOUND;
		if (r < 0)
			return errno == EINTR ? CK_ERR_QR_NOT_FOUND : CK_ERR_IO;
		/* unplugged: V4L2 wakes poll with an error (ENODEV after) */
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			return CK_ERR_MEDIA_GONE;
	}
	if ((raw = zbar_video_next_image(cam->video)) == NULL)
		return CK_ERR_IO;
	gray = zbar_image_convert(raw, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_destroy(raw);
	if (gray == NULL)
		return CK_ERR_UNSUPPORTED;
	r = CK_ERR_FORMAT;
	if (zbar_image_get_width(gray) == 0 || zbar_image_get_height(gray) == 0 ||
	    zbar_image_get_width(gray) > QR_MAX_IMAGE_SIDE ||
	    zbar_image_get_height(gray) > QR_MAX_IMAGE_SIDE ||
	    zbar_image_get_data_length(gray) < (unsigned long)zbar_image_get_width(gray) *
	    zbar_image_get_height(gray))
		goto out;
	if ((r = qr_image_new((int)zbar_image_get_width(gray),
	    (int)zbar_image_get_height(gray), &img)) != CK_OK)
		goto out;
	memcpy(img->pix, zbar_image_get_data(gray), (size_t)img->w * img->h);
	*out = img;
out:
	zbar_image_destroy(gray);
	return r;
}

int
qr_camera_scan(struct qr_camera *cam, struct qr_scanner *s, int timeout_ms,
    struct qr_symbols *out)
{
	struct qr_image *img = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = qr_camera_grab(cam, timeout_ms, &img)) != CK_OK)
		return r;
	r = qr_scan(s, img, out);
	qr_image_free(img);
	return r;
}

void
qr_camera_close(struct qr_camera *cam)
{
	if (cam == NULL)
		return;
	if (cam->enabled)
		(void)zbar_video_enable(cam->video, 0);
	if (cam->video != NULL)
		zbar_video_destroy(cam->video);
	while (cam->n > 0)
		free(cam->names[--cam->n]);
	free(cam->names);
	free(cam->dir);
	free(cam);
}
