#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>
#include <zbar.h>

#include "crypto/errors.h"
#include "media/fountain.h"
#include "media/png.h"
#include "media/qr.h"
#include "media/qrstream.h"
#include "protocol/envelope.h"
#include "tests/unit/helper_camsim.h"

static char tmpdir[] = "/tmp/test_qr.XXXXXX";

static struct qr_scanner *
scanner(void)
{
	struct qr_scanner *s = NULL;

	assert_int_equal(qr_scanner_new(&s), CK_OK);
	return s;
}

static void
fill_binary(uint8_t *buf, size_t n)
{
	size_t i;

	/* Every byte value, NULs and invalid UTF-8 included. */
	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 167 + 3);
}

static void
assert_scans_to(struct qr_scanner *s, const struct qr_image *img,
    const uint8_t *want, size_t len)
{
	struct qr_symbols syms;

	assert_int_equal(qr_scan(s, img, &syms), CK_OK);
	assert_int_equal(syms.n, 1);
	assert_int_equal(syms.len[0], len);
	assert_memory_equal(syms.data[0], want, len);
	qr_symbols_clear(&syms);
}

static void
binary_round_trip_through_png(void **state)
{
	static const size_t lens[] = { 1, 17, 300, 585, 1500, QR_MAX_PAYLOAD };
	struct qr_scanner *s = scanner();
	uint8_t data[QR_MAX_PAYLOAD + 1];
	char path[64];
	size_t i;
	int dfd;

	(void)state;
	fill_binary(data, sizeof(data));
	snprintf(path, sizeof(path), "%s/code.png", tmpdir);
	assert_true((dfd = open(tmpdir, O_RDONLY | O_DIRECTORY)) >= 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct qr_code *c = NULL;
		struct qr_image *img = NULL, *back = NULL;

		assert_int_equal(qr_encode(data, lens[i], QR_ECC_L, &c), CK_OK);
		assert_int_equal(qr_render_image(c, 3, &img), CK_OK);
		assert_int_equal(img->w, (c->width + 2 * QR_QUIET) * 3);
		assert_int_equal(qr_png_write(img, dfd, "code.png"), CK_OK);
		assert_int_equal(qr_png_read(path, &back), CK_OK);
		assert_int_equal(back->w, img->w);
		assert_memory_equal(back->pix, img->pix, (size_t)img->w * img->h);
		assert_scans_to(s, back, data, lens[i]);
		qr_image_free(img);
		qr_image_free(back);
		qr_code_free(c);
	}
	close(dfd);
	qr_scanner_free(s);
}

static void
huge_images_still_scan_once_shrunk(void **state)
{
	struct qr_scanner *s = scanner();
	uint8_t data[300];
	struct qr_code *c = NULL;
	struct qr_image *img = NULL;

	(void)state;
	fill_binary(data, sizeof(data));
	assert_int_equal(qr_encode(data, sizeof(data), QR_ECC_L, &c), CK_OK);
	/* (61 + 8) * 60 = 4140 pixels a side: zbar sees it shrunk by 3, and a
	 * shrink that garbled the image would fail here. */
	assert_int_equal(qr_render_image(c, 60, &img), CK_OK);
	assert_true(img->w > 4096);
	assert_scans_to(s, img, data, sizeof(data));
	qr_image_free(img);
	qr_code_free(c);
	qr_scanner_free(s);
}

static void
encoding_limits_and_read_back(void **state)
{
	struct qr_scanner *s = scanner();
	uint8_t data[QR_MAX_PAYLOAD + 1];
	struct qr_code *c = NULL;

	(void)state;
	fill_binary(data, sizeof(data));
	assert_int_equal(qr_encode(data, QR_MAX_PAYLOAD + 1, QR_ECC_L, &c),
	    CK_ERR_TOO_LARGE);
	/* 2953 bytes need ECC L; at H the most is 1273. */
	assert_int_equal(qr_encode(data, 1300, QR_ECC_H, &c), CK_ERR_TOO_LARGE);
	assert_int_equal(qr_encode(data, 0, QR_ECC_L, &c), CK_ERR_INVALID_ARG);
	assert_null(c);
	assert_int_equal(qr_encode_verified(s, data, 500, QR_ECC_M, &c), CK_OK);
	assert_true(c->version >= 1 && c->version <= 40);
	assert_int_equal(c->width, 17 + 4 * c->version);
	qr_code_free(c);
	qr_scanner_free(s);
}

/* EAN-13 digit patterns (L, G, R codes) and the first digit's parity. */
static const char *const ean_l[10] = { "0001101", "0011001", "0010011",
    "0111101", "0100011", "0110001", "0101111", "0111011", "0110111",
    "0001011" };
static const char *const ean_parity[10] = { "LLLLLL", "LLGLGG", "LLGGLG",
    "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL" };

static void
ean_bits(const char *pat, int kind, char *out)
{
	int i;

	for (i = 0; i < 7; i++) {
		int b = pat[i] == '1';

		if (kind == 'G')	/* G: the R pattern reversed */
			b = !(pat[6 - i] == '1');
		else if (kind == 'R')
			b = !b;
		out[i] = b ? '1' : '0';
	}
}

/* An EAN-13 barcode for "4006381333931", drawn module by module. */
static struct qr_image *
draw_ean13(void)
{
	static const char digits[] = "4006381333931";
	char bars[96] = "101", *p = bars + 3;
	struct qr_image *img = NULL;
	int i, x, y, first = digits[0] - '0';

	for (i = 1; i <= 6; i++, p += 7)
		ean_bits(ean_l[digits[i] - '0'], ean_parity[first][i - 1], p);
	memcpy(p, "01010", 5);
	p += 5;
	for (i = 7; i <= 12; i++, p += 7)
		ean_bits(ean_l[digits[i] - '0'], 'R', p);
	memcpy(p, "101", 3);
	assert_int_equal(qr_image_new(95 * 3 + 60, 120, &img), CK_OK);
	for (y = 10; y < 110; y++)
		for (x = 0; x < 95 * 3; x++)
			if (bars[x / 3] == '1')
				img->pix[y * img->w + 30 + x] = 0;
	return img;
}

static void
other_barcodes_are_not_even_looked_for(void **state)
{
	struct qr_scanner *s = scanner();
	struct qr_image *img = draw_ean13();
	struct qr_symbols syms;
	zbar_image_scanner_t *any = zbar_image_scanner_create();
	zbar_image_t *zi = zbar_image_create();

	(void)state;
	/* A stock zbar does read it: the image really is a barcode. */
	zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zi, (unsigned)img->w, (unsigned)img->h);
	zbar_image_set_data(zi, img->pix, (unsigned long)img->w * img->h, NULL);
	assert_int_equal(zbar_scan_image(any, zi), 1);
	assert_int_equal(zbar_symbol_get_type(zbar_image_first_symbol(zi)), ZBAR_EAN13);
	assert_string_equal(zbar_symbol_get_data(zbar_image_first_symbol(zi)),
	    "4006381333931");
	zbar_image_destroy(zi);
	zbar_image_scanner_destroy(any);
	/* Ours does not see it. */
	assert_int_equal(qr_scan(s, img, &syms), CK_ERR_QR_NOT_FOUND);
	assert_int_equal(syms.n, 0);
	qr_image_free(img);
	qr_scanner_free(s);
}

static void
foreign_qr_codes_are_named(void **state)
{
	static const char url[] = "https://example.org/not-a-frame";
	struct qr_scanner *s = scanner();
	struct qrs_receiver *rcv = NULL;
	struct qr_code *c = NULL;
	struct qr_image *img = NULL;

	(void)state;
	assert_int_equal(qrs_receiver_new(FTN_MAX_MESSAGE, &rcv), CK_OK);
	assert_int_equal(qr_encode((const uint8_t *)url, strlen(url), QR_ECC_M, &c), CK_OK);
	assert_int_equal(qr_render_image(c, 4, &img), CK_OK);
	assert_int_equal(qrs_receiver_image(rcv, s, img), CK_ERR_BAD_MAGIC);
	qr_image_free(img);
	/* A blank image holds nothing at all. */
	assert_int_equal(qr_image_new(200, 200, &img), CK_OK);
	assert_int_equal(qrs_receiver_image(rcv, s, img), CK_ERR_QR_NOT_FOUND);
	qr_image_free(img);
	qr_code_free(c);
	qrs_receiver_free(rcv);
	qr_scanner_free(s);
}

/* Turn the terminal rendering back into pixels (3x3 per half cell). */
static struct qr_image *
text_to_image(const char *t)
{
	struct qr_image *img = NULL;
	int cols = 0, lines = 0, x = 0, y = 0, dx, dy, h;
	const char *p;

	for (p = t; *p; p++)
		if (*p == '\n')
			lines++;
	p = *t == '\x1b' ? strchr(t, 'm') + 1 : t;
	for (; *p != '\x1b' && *p != '\n'; cols++)
		p += *p == ' ' ? 1 : 3;
	assert_int_equal(qr_image_new(cols * 3, lines * 6, &img), CK_OK);
	memset(img->pix, 0, (size_t)img->w * img->h);
	for (p = t; *p; ) {
		int top = 0, bot = 0;

		if (*p == '\x1b') {
			p = strchr(p, 'm') + 1;
			continue;
		}
		if (*p == '\n') {
			p++, y++, x = 0;
			continue;
		}
		if (*p == ' ') {
			p++;
		} else {
			assert_int_equal((uint8_t)p[0], 0xe2);
			top = p[2] == '\x80' || p[2] == '\x88';
			bot = p[2] == '\x84' || p[2] == '\x88';
			p += 3;
		}
		for (h = 0; h < 2; h++)
			for (dy = 0; dy < 3; dy++)
				for (dx = 0; dx < 3; dx++)
					img->pix[(y * 6 + h * 3 + dy) * img->w + x * 3 + dx] =
					    (h ? bot : top) ? 255 : 0;
		x++;
	}
	return img;
}

static void
terminal_rendering_scans_and_refuses_to_overflow(void **state)
{
	struct qr_scanner *s = scanner();
	uint8_t data[120];
	struct qr_code *c = NULL;
	struct qr_image *img;
	char *t = NULL;
	int side;

	(void)state;
	fill_binary(data, sizeof(data));
	assert_int_equal(qr_encode(data, sizeof(data), QR_ECC_L, &c), CK_OK);
	side = c->width + 2 * QR_QUIET;
	assert_int_equal(qr_render_text(c, side - 1, 100, QR_TEXT_ANSI, &t), CK_ERR_QR_NO_FIT);
	assert_int_equal(qr_render_text(c, 200, side / 2, QR_TEXT_ANSI, &t), CK_ERR_QR_NO_FIT);
	assert_null(t);
	/* Exactly fitting: one column per module. */
	assert_int_equal(qr_render_text(c, side, (side + 1) / 2, QR_TEXT_ANSI, &t), CK_OK);
	img = text_to_image(t);
	assert_int_equal(img->w, side * 3);
	assert_scans_to(s, img, data, sizeof(data));
	qr_image_free(img);
	free(t);
	/* A big terminal gets bigger modules. */
	assert_int_equal(qr_render_text(c, 2 * side + 5, side + 3, QR_TEXT_ANSI, &t),
	    CK_OK);
	img = text_to_image(t);
	assert_int_equal(img->w, 2 * side * 3);
	assert_scans_to(s, img, data, sizeof(data));
	qr_image_free(img);
	free(t);
	/* Plain lines for an ncurses screen: no escapes, same glyphs. */
	assert_int_equal(qr_render_text(c, side, (side + 1) / 2, 0, &t), CK_OK);
	assert_null(strchr(t, '\x1b'));
	img = text_to_image(t);
	assert_scans_to(s, img, data, sizeof(data));
	qr_image_free(img);
	free(t);
	qr_code_free(c);
	qr_scanner_free(s);
}

/* Read a fake framebuffer back as grayscale (any channel lit = white). */
static struct qr_image *
fb_to_image(const struct qr_fb *fb)
{
	struct qr_image *img = NULL;
	uint32_t x, y, i, bytes = fb->bits_per_pixel / 8;

	assert_int_equal(qr_image_new((int)fb->xres, (int)fb->yres, &img), CK_OK);
	for (y = 0; y < fb->yres; y++)
		for (x = 0; x < fb->xres; x++) {
			const uint8_t *p = fb->mem + y * fb->line_length + x * bytes;
			uint32_t v = 0;

			for (i = 0; i < bytes; i++)
				v |= (uint32_t)p[i] << (8 * i);
			img->pix[y * fb->xres + x] = v ? 255 : 0;
		}
	return img;
}

static void
framebuffer_drawing_is_crisp_and_scans(void **state)
{
	struct qr_scanner *s = scanner();
	uint8_t data[400];
	struct qr_code *c = NULL;
	struct qr_image *img;
	struct qr_fb fb;
	int bpp;

	(void)state;
	fill_binary(data, sizeof(data));
	assert_int_equal(qr_encode(data, sizeof(data), QR_ECC_L, &c), CK_OK);
	for (bpp = 16; bpp <= 32; bpp += 16) {
		memset(&fb, 0, sizeof(fb));
		fb.xres = 320;
		fb.yres = 240;
		fb.bits_per_pixel = (uint32_t)bpp;
		fb.line_length = fb.xres * (uint32_t)bpp / 8 + 64;	/* padded rows */
		fb.size = (size_t)fb.line_length * fb.yres;
		if (bpp == 16) {	/* RGB565 */
			fb.red_off = 11, fb.red_len = 5;
			fb.green_off = 5, fb.green_len = 6;
			fb.blue_len = 5;
		} else {
			fb.red_off = 16, fb.red_len = 8;
			fb.green_off = 8, fb.green_len = 8;
			fb.blue_len = 8;
		}
		assert_non_null(fb.mem = malloc(fb.size));
		memset(fb.mem, 0x5a, fb.size);
		assert_int_equal(qr_fb_draw(&fb, c), CK_OK);
		img = fb_to_image(&fb);
		/* Integer scale: 240 / (width + 8) pixels per module, centred. */
		assert_int_equal(img->pix[0], 255);
		assert_scans_to(s, img, data, sizeof(data));
		qr_image_free(img);
		fb.yres = (uint32_t)c->width;	/* no room for the quiet zone */
		assert_int_equal(qr_fb_draw(&fb, c), CK_ERR_QR_NO_FIT);
		fb.bits_per_pixel = 8;
		assert_int_equal(qr_fb_draw(&fb, c), CK_ERR_UNSUPPORTED);
		free(fb.mem);
	}
	assert_int_equal(qr_fb_show("/nonexistent/fb0", c), CK_ERR_NOT_FOUND);
	qr_code_free(c);
	qr_scanner_free(s);
}

/*
 * A file standing in for a framebuffer (the guided UI's tests): mapped,
 * the code drawn within a rectangle, the pixels outside it untouched; a
 * file too short, a regular file asked for its screen info and a
 * rectangle beyond the screen are refused.
 */
static void
framebuffer_file_region(void **state)
{
	struct qr_scanner *s = scanner();
	uint8_t data[300];
	struct qr_code *c = NULL;
	struct qr_image *img;
	struct qr_fb fb;
	char path[64];
	size_t i;
	int fd;

	(void)state;
	fill_binary(data, sizeof(data));
	assert_int_equal(qr_encode(data, sizeof(data), QR_ECC_L, &c), CK_OK);
	snprintf(path, sizeof(path), "%s/fb", tmpdir);
	assert_true((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(ftruncate(fd, 320 * 240 * 4 - 1), 0);
	assert_int_equal(qr_fb_open(path, 320, 240, &fb), CK_ERR_UNSUPPORTED);
	assert_int_equal(ftruncate(fd, 320 * 240 * 4), 0);
	close(fd);
	/* no ioctls answer on a regular file */
	assert_int_equal(qr_fb_open(path, 0, 0, &fb), CK_ERR_UNSUPPORTED);
	assert_int_equal(qr_fb_open(path, 320, 240, &fb), CK_OK);
	assert_int_equal(qr_fb_draw_at(&fb, c, 0, 20, 320, 221), CK_ERR_INVALID_ARG);
	assert_int_equal(qr_fb_draw_at(&fb, c, 0, 20, 320, 200), CK_OK);
	for (i = 0; i < 320 * 20 * 4; i++)	/* the rows above: as they were */
		assert_int_equal(fb.mem[i], 0);
	for (i = 320 * 220 * 4; i < 320 * 240 * 4; i++)	/* and below */
		assert_int_equal(fb.mem[i], 0);
	assert_int_equal(fb.mem[320 * 20 * 4], 0xff);	/* the quiet zone, white */
	img = fb_to_image(&fb);
	assert_scans_to(s, img, data, sizeof(data));
	qr_image_free(img);
	qr_fb_close(&fb);
	assert_null(fb.mem);
	assert_int_equal(unlink(path), 0);
	qr_code_free(c);
	qr_scanner_free(s);
}

/* A valid PNG of w x h gray pixels (media/png's writer). */
static uint8_t *
png_of_size(int w, int h, size_t *len)
{
	uint8_t *pix = calloc((size_t)w, (size_t)h), *buf = NULL;

	assert_non_null(pix);
	assert_int_equal(png_gray_encode(pix, w, h, &buf, len), CK_OK);
	free(pix);
	return buf;
}

static void
png_files_are_read_with_limits(void **state)
{
	struct qr_image *img = NULL;
	char path[64], link[64];
	uint8_t *png;
	size_t len;
	FILE *f;

	(void)state;
	png = png_of_size(QR_MAX_IMAGE_SIDE + 1, 2, &len);
	assert_int_equal(qr_png_decode(png, len, &img), CK_ERR_QR_IMAGE_TOO_LARGE);
	free(png);
	png = png_of_size(QR_MAX_IMAGE_SIDE, 2, &len);
	assert_int_equal(qr_png_decode(png, len, &img), CK_OK);
	qr_image_free(img);
	img = NULL;
	png[len / 2] ^= 0xff;	/* damaged image data */
	assert_int_equal(qr_png_decode(png, len, &img), CK_ERR_FORMAT);
	free(png);
	assert_int_equal(qr_png_decode((const uint8_t *)"GIF89a", 6, &img), CK_ERR_BAD_MAGIC);
	assert_null(img);
	snprintf(path, sizeof(path), "%s/junk.png", tmpdir);
	assert_non_null(f = fopen(path, "wb"));
	fputs("not a png", f);
	fclose(f);
	assert_int_equal(qr_png_read(path, &img), CK_ERR_BAD_MAGIC);
	snprintf(link, sizeof(link), "%s/link.png", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(qr_png_read(link, &img), CK_ERR_SYMLINK);
	assert_int_equal(qr_png_read(tmpdir, &img), CK_ERR_NOT_REGULAR);
	snprintf(path, sizeof(path), "%s/absent.png", tmpdir);
	assert_int_equal(qr_png_read(path, &img), CK_ERR_NOT_FOUND);
	assert_null(img);
}

/*
 * Stream msg through camera images of a screen turned tilt degrees away,
 * dropping loss_pct% of frames; return what the receiver decoded
 * (malloc'd, *outlen bytes).
 */
static uint8_t *
cross_camera(const uint8_t *msg, size_t len, size_t frag, int loss_pct,
    double tilt, uint32_t seed, size_t *outlen)
{
	struct qr_scanner *s = scanner();
	struct qrs_sender *snd = NULL;
	struct qrs_receiver *rcv = NULL;
	struct ftn_progress p = { 0 };
	uint8_t *got = NULL;
	size_t glen = 0;
	uint32_t shown = 0, k;
	int e;

	assert_int_equal(qrs_sender_new(msg, len, frag, QR_ECC_L, &snd), CK_OK);
	assert_int_equal(qrs_receiver_new(FTN_MAX_MESSAGE, &rcv), CK_OK);
	k = qrs_sender_fragments(snd);
	while (!p.complete) {
		struct qr_code *c = NULL;
		struct qr_image *img = NULL;
		struct camsim cam;

		assert_int_equal(qrs_sender_next(snd, s, &c), CK_OK);
		assert_true(++shown <= 3 * k + 10);
		if (randombytes_uniform(100) >= (uint32_t)loss_pct) {
			camsim_defaults(&cam, seed + shown);
			cam.angle_deg = (shown % 2 ? 1 : -1) * 3.0;
			cam.tilt_deg = tilt;
			cam.fill = tilt > 0 ? 0.75 : cam.fill;
			assert_int_equal(camsim_shoot(c, &cam, &img), CK_OK);
			e = qrs_receiver_image(rcv, s, img);
			/* at an angle some frames are unreadable, none misread */
			assert_true(e == CK_OK || (tilt > 0 && e == CK_ERR_QR_NOT_FOUND));
			qr_image_free(img);
		}
		qr_code_free(c);
		qrs_receiver_progress(rcv, &p);
		assert_true(p.recovered <= k);
	}
	assert_int_equal(p.fragments, k);
	assert_int_equal(qrs_receiver_message(rcv, &got, &glen), CK_OK);
	qrs_sender_free(snd);
	qrs_receiver_free(rcv);
	qr_scanner_free(s);
	*outlen = glen;
	return got;
}

static void
assert_crosses(const uint8_t *msg, size_t len, size_t frag, int loss_pct,
    double tilt, uint32_t seed)
{
	size_t glen = 0;
	uint8_t *got = cross_camera(msg, len, frag, loss_pct, tilt, seed, &glen);

	assert_int_equal(glen, len);
	assert_memory_equal(got, msg, len);
	free(got);
}

static void
lossy_camera_channel_delivers(void **state)
{
	uint8_t *msg = malloc(6000);

	(void)state;
	assert_non_null(msg);
	fill_binary(msg, 6000);
	assert_crosses(msg, 100, QRS_DEFAULT_FRAGMENT, 0, 0, 1);	/* one static code */
	assert_crosses(msg, 6000, QRS_DEFAULT_FRAGMENT, 20, 0, 2);
	assert_crosses(msg, 3000, 200, 50, 0, 3);
	/* a screen turned away, which zbar alone cannot read at all */
	assert_crosses(msg, 6000, QRS_DEFAULT_FRAGMENT, 20, 20, 4);
	free(msg);
}

/*
 * One default-density frame (version 16) photographed by camera cam: zbar
 * alone finds nothing in it, the default scanner reads exactly its bytes.
 */
static void
assert_only_the_pipeline_reads(struct camsim *cam)
{
	struct qr_scanner *zbar_only = scanner(), *s = scanner();
	uint8_t frame[QRS_DEFAULT_FRAGMENT + FTN_OVERHEAD];
	struct qr_code *c = NULL;
	struct qr_image *img = NULL;
	struct qr_symbols syms;

	fill_binary(frame, sizeof(frame));
	assert_int_equal(qr_encode(frame, sizeof(frame), QR_ECC_L, &c), CK_OK);
	assert_int_equal(c->version, 16);
	assert_int_equal(camsim_shoot(c, cam, &img), CK_OK);
	qr_scanner_set_reader(zbar_only, QR_READ_ZBAR, 0);
	assert_int_equal(qr_scan(zbar_only, img, &syms), CK_ERR_QR_NOT_FOUND);
	assert_scans_to(s, img, frame, sizeof(frame));
	qr_image_free(img);
	qr_code_free(c);
	qr_scanner_free(zbar_only);
	qr_scanner_free(s);
}

/* What zbar alone cannot read (docs/qr.md, make bench-qr), the scanner can. */
static void
tilted_dim_and_blurred_frames_are_read(void **state)
{
	struct camsim cam;

	(void)state;
	/* the screen turned 25 degrees away: one edge a quarter shorter */
	camsim_defaults(&cam, 4);
	cam.fill = 0.75;
	cam.tilt_deg = 25;
	assert_only_the_pipeline_reads(&cam);
	/* a dim room: the camera's gain amplifies the sensor noise */
	camsim_defaults(&cam, 5);
	cam.fill = 0.75;
	cam.dark = 10;
	cam.light = 60;
	cam.noise = 4.5;
	cam.gain = 3.4;
	assert_only_the_pipeline_reads(&cam);
	/* the hand moved 5 pixels while the shutter was open */
	camsim_defaults(&cam, 2);
	cam.fill = 0.75;
	cam.motion = 5;
	assert_only_the_pipeline_reads(&cam);
}

/* A signed envelope of type t with a JSON payload of about size bytes. */
static uint8_t *
make_envelope(enum envelope_type t, const uint8_t id[ENVELOPE_CEREMONY_ID_BYTES],
    uint64_t seq, const uint8_t *sk, size_t size, size_t *len)
{
	char *payload = malloc(size + 64);
	uint8_t *env = NULL;
	size_t n, i;

	assert_non_null(payload);
	n = (size_t)snprintf(payload, 64, "{\"type\":\"%s\",\"pad\":\"",
	    envelope_type_name(t));
	for (i = 0; i < size; i++)
		payload[n++] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[randombytes_uniform(32)];
	memcpy(payload + n, "\"}", 2);
	n += 2;
	assert_int_equal(envelope_build(t, id, seq, 1700000000, payload, n, sk,
	    &env, len), CK_OK);
	free(payload);
	return env;
}

static void
every_envelope_type_crosses_by_camera_both_ways(void **state)
{
	uint8_t id[ENVELOPE_CEREMONY_ID_BYTES];
	uint8_t apk[32], ask[64], bpk[32], bsk[64];
	unsigned int wire;
	uint64_t seq = 0;

	(void)state;
	envelope_ceremony_id_new(id);
	crypto_sign_keypair(apk, ask);
	crypto_sign_keypair(bpk, bsk);
	for (wire = 1; wire < 256; wire++) {
		struct envelope env;
		enum envelope_type t;
		uint8_t *bin, *got;
		size_t len, glen;
		int a2b;

		if (envelope_type_from_byte((uint8_t)wire, &t) != CK_OK)
			continue;
		a2b = envelope_type_dir(t) == ENVELOPE_A_TO_B;
		/* An init result for 7 RSA-4096 holders is about 10 KB. */
		bin = make_envelope(t, id, ++seq, a2b ? ask : bsk,
		    t == ENVELOPE_INIT_RESULT ? 10000 : a2b ? 1200 : 300, &len);
		got = cross_camera(bin, len, QRS_DEFAULT_FRAGMENT, 20, 0, wire, &glen);
		assert_int_equal(envelope_parse(got, glen, &env), CK_OK);
		assert_int_equal(env.type, t);
		assert_int_equal(envelope_check_binding(&env, id, a2b ? apk : bpk,
		    seq - 1), CK_OK);
		envelope_free(&env);
		free(got);
		free(bin);
	}
	assert_true(seq >= 14);
}

static void
frames_of_another_ceremony_are_refused(void **state)
{
	uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], other[ENVELOPE_CEREMONY_ID_BYTES];
	uint8_t pk[32], sk[64], *mine, *theirs, *got = NULL;
	struct qrs_sender *sm = NULL, *st = NULL;
	struct qrs_receiver *rcv = NULL;
	struct qr_scanner *s = scanner();
	struct ftn_progress p = { 0 };
	struct envelope env;
	size_t ml, tl, glen;
	int n = 0;

	(void)state;
	envelope_ceremony_id_new(id);
	envelope_ceremony_id_new(other);
	crypto_sign_keypair(pk, sk);
	mine = make_envelope(ENVELOPE_INIT_RESULT, id, 2, sk, 3000, &ml);
	theirs = make_envelope(ENVELOPE_INIT_RESULT, other, 2, sk, 3000, &tl);
	assert_int_equal(qrs_sender_new(mine, ml, 400, QR_ECC_L, &sm), CK_OK);
	assert_int_equal(qrs_sender_new(theirs, tl, 400, QR_ECC_L, &st), CK_OK);
	assert_int_equal(qrs_receiver_new(FTN_MAX_MESSAGE, &rcv), CK_OK);
	/* Two screens in view, codes alternating: ours completes, theirs is named. */
	while (!p.complete) {
		struct qr_code *c = NULL;
		struct qr_image *img = NULL;

		assert_true(++n < 100);
		assert_int_equal(qrs_sender_next(n % 2 ? sm : st, s, &c), CK_OK);
		assert_int_equal(qr_render_image(c, 2, &img), CK_OK);
		assert_int_equal(qrs_receiver_image(rcv, s, img),
		    n % 2 ? CK_OK : CK_ERR_QR_OTHER_MESSAGE);
		qr_image_free(img);
		qr_code_free(c);
		qrs_receiver_progress(rcv, &p);
	}
	assert_int_equal(p.frames_rejected, n / 2);
	assert_int_equal(qrs_receiver_message(rcv, &got, &glen), CK_OK);
	assert_int_equal(envelope_parse(got, glen, &env), CK_OK);
	assert_int_equal(envelope_check_binding(&env, id, pk, 1), CK_OK);
	/* Had the other screen been the only one, the binding names it. */
	assert_int_equal(envelope_check_binding(&env, other, pk, 1),
	    CK_ERR_WRONG_CEREMONY);
	envelope_free(&env);
	free(got);
	free(mine);
	free(theirs);
	qrs_sender_free(sm);
	qrs_sender_free(st);
	qrs_receiver_free(rcv);
	qr_scanner_free(s);
}

static void
stall_is_time_without_new_information(void **state)
{
	struct ftn_progress p = { 0 };
	struct qrs_watch w;

	(void)state;
	qrs_watch_start(&w, 20, 1000);
	assert_false(qrs_watch_stalled(&w, &p, 1019));
	assert_true(qrs_watch_stalled(&w, &p, 1020));
	/* New information resets the clock; seen or refused frames do not. */
	p.frames_useful = 1;
	assert_false(qrs_watch_stalled(&w, &p, 1030));
	p.frames_seen = p.frames_rejected = 50;
	assert_false(qrs_watch_stalled(&w, &p, 1049));
	assert_true(qrs_watch_stalled(&w, &p, 1050));
	/* A clock stepping back is not a stall; a complete message never is. */
	assert_false(qrs_watch_stalled(&w, &p, 900));
	assert_false(qrs_watch_stalled(&w, &p, 919));
	p.complete = 1;
	assert_false(qrs_watch_stalled(&w, &p, 5000));
}

/* The receiver counts frames scanned and read, and says what would help. */
static void
receiver_reports_its_read_rate(void **state)
{
	struct qr_scanner *s = scanner();
	struct qrs_sender *snd = NULL;
	struct qrs_receiver *rcv = NULL;
	struct qrs_link l = { 0 };
	struct ftn_progress p;
	struct qr_code *c = NULL;
	struct qr_image *img = NULL, *blank = NULL;
	uint8_t msg[3000];
	char line[256];
	int i;

	(void)state;
	fill_binary(msg, sizeof(msg));
	assert_int_equal(qrs_sender_new(msg, sizeof(msg), QRS_DEFAULT_FRAGMENT,
	    QR_ECC_L, &snd), CK_OK);
	assert_int_equal(qrs_receiver_new(FTN_MAX_MESSAGE, &rcv), CK_OK);
	assert_int_equal(qr_image_new(320, 240, &blank), CK_OK);
	/* 3 frames with a code, 1 without */
	for (i = 0; i < 3; i++) {
		assert_int_equal(qrs_sender_next(snd, s, &c), CK_OK);
		assert_int_equal(qr_render_image(c, 3, &img), CK_OK);
		assert_int_equal(qrs_receiver_image(rcv, s, img), CK_OK);
		qr_image_free(img);
		qr_code_free(c);
	}
	assert_int_equal(qrs_receiver_image(rcv, s, blank), CK_ERR_QR_NOT_FOUND);
	qrs_receiver_link(rcv, &l);
	assert_int_equal(l.scanned, 4);
	assert_int_equal(l.read, 3);
	assert_int_equal(l.fragment, QRS_DEFAULT_FRAGMENT);
	qrs_receiver_progress(rcv, &p);
	/* 3 useful frames of 560 bytes in 2 s */
	qrs_link_text(&l, &p, 2.0, qrs_link_hint(&l), line, sizeof(line));
	assert_string_equal(line, "read 75% of 4 frames, 0.8 KB/s new");
	/* The hints: none before two seconds of frames, then by the share read. */
	assert_int_equal(qrs_link_hint(&l), QRS_HINT_NONE);
	l.scanned = QRS_HINT_MIN_FRAMES * 10;
	l.read = l.scanned * 8 / 10;
	assert_int_equal(qrs_link_hint(&l), QRS_HINT_FASTER);
	l.read--;
	assert_int_equal(qrs_link_hint(&l), QRS_HINT_NONE);
	l.read = l.scanned * 3 / 10;
	assert_int_equal(qrs_link_hint(&l), QRS_HINT_NONE);
	l.read--;
	assert_int_equal(qrs_link_hint(&l), QRS_HINT_STEADIER);
	l.read = l.scanned / 20;
	assert_int_equal(qrs_link_hint(&l), QRS_HINT_STEADIER);
	l.read--;
	assert_int_equal(qrs_link_hint(&l), QRS_HINT_SPARSER);
	qrs_link_text(&l, &p, 2.0, QRS_HINT_SPARSER, line, sizeof(line));
	assert_non_null(strstr(line, "smaller --fragment"));
	qr_image_free(blank);
	qrs_sender_free(snd);
	qrs_receiver_free(rcv);
	qr_scanner_free(s);
}

/* The screen and camera of a read-back check, simulated. */
struct rb_room {
	struct qr_code *shown;	/* a copy of the code on screen */
	struct camsim cam;
	uint64_t frame;
	int fail_after;		/* grab fails with CK_ERR_IO after this many */
};

static int
rb_show(const struct qr_code *c, void *ctx)
{
	struct rb_room *rm = ctx;
	size_t n = (size_t)c->width * c->width;

	qr_code_free(rm->shown);
	assert_non_null(rm->shown = calloc(1, sizeof(*rm->shown)));
	assert_non_null(rm->shown->dark = malloc(n));
	memcpy(rm->shown->dark, c->dark, n);
	rm->shown->width = c->width;
	rm->shown->version = c->version;
	return CK_OK;
}

static int
rb_grab(struct qr_image **img, void *ctx)
{
	struct rb_room *rm = ctx;

	if (rm->fail_after >= 0 && rm->frame >= (uint64_t)rm->fail_after)
		return CK_ERR_IO;
	rm->cam.seed = ++rm->frame;
	return camsim_shoot(rm->shown, &rm->cam, img);
}

/* Read-back picks the density the camera reads, or says none was read. */
static void
readback_picks_what_the_camera_reads(void **state)
{
	struct qr_scanner *s = scanner();
	struct rb_room rm;
	struct qrs_readback_io io = { rb_show, rb_grab, &rm };
	struct qrs_opts o, pick;
	struct qrs_link best;

	(void)state;
	qrs_opts_init(&o);
	memset(&rm, 0, sizeof(rm));
	rm.fail_after = -1;
	/* A good camera near the screen: the densest the screen holds. */
	camsim_defaults(&rm.cam, 0);
	assert_int_equal(qrs_readback(s, &o, 700, 8, &io, &pick, &best), CK_OK);
	assert_int_equal(pick.fragment, 700);
	assert_int_equal(pick.fps, o.fps);
	assert_int_equal(best.fragment, 700);
	assert_int_equal(best.scanned, 8);
	assert_true(best.read >= 6);
	/* Far from the screen (code 40% of the height): sparser codes. */
	camsim_defaults(&rm.cam, 0);
	rm.cam.fill = 0.4;
	assert_int_equal(qrs_readback(s, &o, 900, 8, &io, &pick, &best), CK_OK);
	assert_true(pick.fragment < QRS_DEFAULT_FRAGMENT);
	assert_true(best.read > 0);
	/* A camera that sees no code: said so, settings unchanged. */
	rm.cam.fill = 0.05;
	assert_int_equal(qrs_readback(s, &o, 900, 8, &io, &pick, &best),
	    CK_ERR_QR_NOT_FOUND);
	assert_int_equal(pick.fragment, o.fragment);
	/* A camera that fails: its error, as is. */
	rm.fail_after = (int)rm.frame + 3;
	assert_int_equal(qrs_readback(s, &o, 900, 8, &io, &pick, &best), CK_ERR_IO);
	qr_code_free(rm.shown);
	qr_scanner_free(s);
}

static void
fragment_for_a_screen_is_the_largest_that_fits(void **state)
{
	uint8_t frame[FTN_MAX_FRAME] = { 0 };
	struct qr_code *c = NULL;
	size_t f = 0;

	(void)state;
	/* Version 16 is 81 modules: the default fragment fills it exactly. */
	assert_int_equal(qrs_fragment_for_width(81, QR_ECC_L, &f), CK_OK);
	assert_int_equal(f, QRS_DEFAULT_FRAGMENT + 1);
	assert_int_equal(qr_encode(frame, FTN_OVERHEAD + f, QR_ECC_L, &c), CK_OK);
	assert_int_equal(c->width, 81);
	qr_code_free(c);
	assert_int_equal(qr_encode(frame, FTN_OVERHEAD + f + 1, QR_ECC_L, &c), CK_OK);
	assert_true(c->width > 81);
	qr_code_free(c);
	/* An 80x24 terminal: 46 rows of modules, 38 without the quiet zone. */
	assert_int_equal(qrs_fragment_for_width(38, QR_ECC_L, &f), CK_OK);
	assert_true(f >= FTN_MIN_FRAGMENT && f < 100);
	assert_int_equal(qrs_fragment_for_width(20, QR_ECC_L, &f), CK_ERR_QR_NO_FIT);
	assert_int_equal(qrs_fragment_for_width(1000, QR_ECC_L, &f), CK_OK);
	assert_int_equal(f, FTN_MAX_FRAGMENT);
}

/*
 * The recorded camera: the folder's PNG files by name (others ignored),
 * one a grab, round and round; a frame removed is the camera gone; a
 * missing folder or one without frames is no camera.
 */
static void
recorded_frames_stand_in_for_a_camera(void **state)
{
	struct qr_camera *cam = NULL;
	struct qr_image *img = NULL, *got = NULL;
	char dir[96], path[128];
	int dfd, i, w[3] = { 11, 7, 9 };

	(void)state;
	snprintf(dir, sizeof(dir), "%s/cam", tmpdir);
	assert_int_equal(qr_camera_open_recorded(dir, &cam), CK_ERR_NOT_FOUND);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(qr_camera_open_recorded(dir, &cam), CK_ERR_NOT_FOUND);
	assert_true((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	/* written out of order, told apart by their widths */
	for (i = 2; i >= 0; i--) {
		snprintf(path, sizeof(path), "f%d.png", i);
		assert_int_equal(qr_image_new(w[i], 5, &img), CK_OK);
		assert_int_equal(qr_png_write(img, dfd, path), CK_OK);
		qr_image_free(img);
	}
	assert_int_equal(qr_image_new(3, 3, &img), CK_OK);
	assert_int_equal(qr_png_write(img, dfd, "notes.pngx"), CK_OK);
	qr_image_free(img);
	close(dfd);
	assert_int_equal(qr_camera_open_recorded(dir, &cam), CK_OK);
	for (i = 0; i < 7; i++) {
		assert_int_equal(qr_camera_grab(cam, 10, &got), CK_OK);
		assert_int_equal(got->w, w[i % 3]);
		qr_image_free(got);
	}
	snprintf(path, sizeof(path), "%s/f2.png", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(qr_camera_grab(cam, 10, &got), CK_OK);	/* f1 */
	qr_image_free(got);
	assert_int_equal(qr_camera_grab(cam, 10, &got), CK_ERR_MEDIA_GONE);
	assert_null(got);
	qr_camera_close(cam);
}

/* Feed sender snd's codes to rcv until it is complete or n codes were fed;
 * every feed must give want (CK_OK: any). */
static void
feed(struct qrs_receiver *rcv, struct qr_scanner *s, struct qrs_sender *snd,
    int n, int want)
{
	struct ftn_progress p = { 0 };
	int i, e;

	for (i = 0; i < n && !p.complete; i++) {
		struct qr_code *c = NULL;
		struct qr_image *img = NULL;

		assert_int_equal(qrs_sender_next(snd, s, &c), CK_OK);
		assert_int_equal(qr_render_image(c, 2, &img), CK_OK);
		e = qrs_receiver_image(rcv, s, img);
		if (want != CK_OK)
			assert_int_equal(e, want);
		qr_image_free(img);
		qr_code_free(c);
		qrs_receiver_progress(rcv, &p);
	}
}

/*
 * A message passed over (the sender's last envelope, still on its screen
 * while the next is awaited) cannot hold the receiver again: its frames
 * are refused as another message's, and the next message decodes.
 */
static void
receiver_passes_over_a_message_already_taken(void **state)
{
	uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], pk[32], sk[64];
	uint8_t *old, *next, *got = NULL;
	struct qrs_sender *so = NULL, *sn = NULL;
	struct qrs_receiver *rcv = NULL;
	struct qr_scanner *s = scanner();
	struct ftn_progress p;
	size_t ol, nl, glen;

	(void)state;
	envelope_ceremony_id_new(id);
	crypto_sign_keypair(pk, sk);
	old = make_envelope(ENVELOPE_SESSION_OFFER, id, 2, sk, 1500, &ol);
	next = make_envelope(ENVELOPE_SUBMISSION_RESULT, id, 4, sk, 1500, &nl);
	assert_int_equal(qrs_sender_new(old, ol, 300, QR_ECC_L, &so), CK_OK);
	assert_int_equal(qrs_sender_new(next, nl, 300, QR_ECC_L, &sn), CK_OK);
	assert_int_equal(qrs_receiver_new(FTN_MAX_MESSAGE, &rcv), CK_OK);
	assert_int_equal(qrs_receiver_pass_over(rcv), CK_ERR_STATE);
	feed(rcv, s, so, 100, CK_OK);
	qrs_receiver_progress(rcv, &p);
	assert_true(p.complete);
	assert_int_equal(qrs_receiver_pass_over(rcv), CK_OK);
	qrs_receiver_progress(rcv, &p);
	assert_false(p.complete);
	assert_int_equal(p.fragments, 0);
	/* the old codes again: refused, the receiver stays free */
	feed(rcv, s, so, 12, CK_ERR_QR_OTHER_MESSAGE);
	qrs_receiver_progress(rcv, &p);
	assert_int_equal(p.fragments, 0);
	feed(rcv, s, sn, 100, CK_OK);
	assert_int_equal(qrs_receiver_message(rcv, &got, &glen), CK_OK);
	assert_int_equal(glen, nl);
	assert_memory_equal(got, next, nl);
	free(got);
	free(old);
	free(next);
	qrs_sender_free(so);
	qrs_sender_free(sn);
	qrs_receiver_free(rcv);
	qr_scanner_free(s);
}

/*
 * The recorded camera reads its folder again at each round, as a camera
 * sees a screen's next codes: a frame added joins the next round.
 */
static void
recorded_frames_follow_the_folder(void **state)
{
	struct qr_camera *cam = NULL;
	struct qr_image *img = NULL, *got = NULL;
	char dir[96];
	int dfd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/follow", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_true((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	assert_int_equal(qr_image_new(5, 5, &img), CK_OK);
	assert_int_equal(qr_png_write(img, dfd, "a.png"), CK_OK);
	qr_image_free(img);
	assert_int_equal(qr_camera_open_recorded(dir, &cam), CK_OK);
	assert_int_equal(qr_image_new(6, 5, &img), CK_OK);
	assert_int_equal(qr_png_write(img, dfd, "b.png"), CK_OK);
	qr_image_free(img);
	close(dfd);
	assert_int_equal(qr_camera_grab(cam, 10, &got), CK_OK);	/* a */
	assert_int_equal(got->w, 5);
	qr_image_free(got);
	assert_int_equal(qr_camera_grab(cam, 10, &got), CK_OK);	/* a again */
	assert_int_equal(got->w, 5);
	qr_image_free(got);
	assert_int_equal(qr_camera_grab(cam, 10, &got), CK_OK);	/* b joined */
	assert_int_equal(got->w, 6);
	qr_image_free(got);
	qr_camera_close(cam);
}

static int
setup(void **state)
{
	(void)state;
	return sodium_init() < 0 || mkdtemp(tmpdir) == NULL;
}

static int
teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(binary_round_trip_through_png),
		cmocka_unit_test(encoding_limits_and_read_back),
		cmocka_unit_test(huge_images_still_scan_once_shrunk),
		cmocka_unit_test(other_barcodes_are_not_even_looked_for),
		cmocka_unit_test(foreign_qr_codes_are_named),
		cmocka_unit_test(terminal_rendering_scans_and_refuses_to_overflow),
		cmocka_unit_test(framebuffer_drawing_is_crisp_and_scans),
		cmocka_unit_test(framebuffer_file_region),
		cmocka_unit_test(png_files_are_read_with_limits),
		cmocka_unit_test(lossy_camera_channel_delivers),
		cmocka_unit_test(recorded_frames_stand_in_for_a_camera),
		cmocka_unit_test(recorded_frames_follow_the_folder),
		cmocka_unit_test(receiver_passes_over_a_message_already_taken),
		cmocka_unit_test(tilted_dim_and_blurred_frames_are_read),
		cmocka_unit_test(every_envelope_type_crosses_by_camera_both_ways),
		cmocka_unit_test(frames_of_another_ceremony_are_refused),
		cmocka_unit_test(stall_is_time_without_new_information),
		cmocka_unit_test(fragment_for_a_screen_is_the_largest_that_fits),
		cmocka_unit_test(receiver_reports_its_read_rate),
		cmocka_unit_test(readback_picks_what_the_camera_reads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
