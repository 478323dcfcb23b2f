#include "tests/unit/helper_camsim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "crypto/errors.h"

#define SUPERSAMPLE 2	/* sub-pixels per pixel side: the sensor integrates */

void
camsim_defaults(struct camsim *p, uint64_t seed)
{
	memset(p, 0, sizeof(*p));
	p->w = 640;
	p->h = 480;
	p->fill = 0.85;
	p->angle_deg = 4.0;
	p->fov_deg = 60.0;
	p->blur = 1;
	p->noise = 8.0;
	p->gain = 1.0;
	p->dark = 45;
	p->light = 215;
	p->seed = seed;
}

static double
uniform(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return ((*s >> 11) + 0.5) / 9007199254740992.0;
}

/* About normal (Irwin-Hall, 4 terms): close enough for sensor noise, cheap. */
static double
gauss(uint64_t *s)
{
	return (uniform(s) + uniform(s) + uniform(s) + uniform(s) - 2.0) * 1.7320508;
}

/* 1 where the screen shows a dark module, for a point in module units. */
static int
dark_at(const struct qr_code *c, double mx, double my)
{
	int x = (int)floor(mx) - QR_QUIET, y = (int)floor(my) - QR_QUIET;

	if (x < 0 || y < 0 || x >= c->width || y >= c->width)
		return 0;
	return c->dark[y * c->width + x];
}

/*
 * The screen as the lens sees it: for each pixel, the share of its area
 * that shows a dark module of c. A pinhole camera on the screen's axis; the
 * screen turned by tilt about its vertical axis, the camera rolled by angle.
 */
static void
project(const struct qr_code *c, const struct camsim *p, float *cover)
{
	double side = c->width + 2 * QR_QUIET, a = p->angle_deg * M_PI / 180.0;
	double t = p->tilt_deg * M_PI / 180.0, ct = cos(t), st = sin(t);
	double f = p->w / 2.0 / tan(p->fov_deg * M_PI / 360.0);
	/* screen distance in module units: head-on, fill * h pixels a side */
	double dist = f * side / (p->fill * p->h);
	double ca = cos(a), sa = sin(a);
	int x, y, i, j;

	for (y = 0; y < p->h; y++)
		for (x = 0; x < p->w; x++) {
			int darks = 0;

			for (j = 0; j < SUPERSAMPLE; j++)
				for (i = 0; i < SUPERSAMPLE; i++) {
					double u0 = x + (i + 0.5) / SUPERSAMPLE - p->w / 2.0;
					double v0 = y + (j + 0.5) / SUPERSAMPLE - p->h / 2.0;
					double u = ca * u0 + sa * v0, v = -sa * u0 + ca * v0;
					/* the ray (u, v, f) meets the screen plane at k */
					double k = dist * ct / (f * ct - u * st);
					double sx = k * u * ct + (k * f - dist) * st;
					double sy = k * v;

					darks += dark_at(c, sx + side / 2, sy + side / 2);
				}
			cover[y * p->w + x] = (float)darks / (SUPERSAMPLE * SUPERSAMPLE);
		}
}

static void
box_blur(float *img, float *tmp, int w, int h)
{
	int x, y, dx, dy;

	memcpy(tmp, img, sizeof(*img) * (size_t)w * h);
	for (y = 1; y < h - 1; y++)
		for (x = 1; x < w - 1; x++) {
			float sum = 0;

			for (dy = -1; dy <= 1; dy++)
				for (dx = -1; dx <= 1; dx++)
					sum += tmp[(y + dy) * w + x + dx];
			img[y * w + x] = sum / 9;
		}
}

/* The camera moved sideways by len pixels while the shutter was open. */
static void
motion_blur(float *img, float *tmp, int w, int h, int len)
{
	int x, y, i;

	memcpy(tmp, img, sizeof(*img) * (size_t)w * h);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			float sum = 0;

			for (i = 0; i < len; i++) {
				int xi = x - len / 2 + i;

				sum += tmp[y * w + (xi < 0 ? 0 : xi >= w ? w - 1 : xi)];
			}
			img[y * w + x] = sum / len;
		}
}

/*
 * A round trip through libjpeg at the given quality, as a webcam's MJPEG.
 * (libjpeg's default error handler exits: acceptable in a test helper.)
 */
static void
jpeg_trip(struct qr_image *img, int quality)
{
	struct jpeg_compress_struct cc;
	struct jpeg_decompress_struct dc;
	struct jpeg_error_mgr jerr;
	unsigned char *buf = NULL;
	unsigned long len = 0;
	JSAMPROW row;

	cc.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&cc);
	jpeg_mem_dest(&cc, &buf, &len);
	cc.image_width = (JDIMENSION)img->w;
	cc.image_height = (JDIMENSION)img->h;
	cc.input_components = 1;
	cc.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&cc);
	jpeg_set_quality(&cc, quality, TRUE);
	jpeg_start_compress(&cc, TRUE);
	while (cc.next_scanline < cc.image_height) {
		row = img->pix + (size_t)cc.next_scanline * img->w;
		jpeg_write_scanlines(&cc, &row, 1);
	}
	jpeg_finish_compress(&cc);
	jpeg_destroy_compress(&cc);
	dc.err = jpeg_std_error(&jerr);
	jpeg_create_decompress(&dc);
	jpeg_mem_src(&dc, buf, len);
	(void)jpeg_read_header(&dc, TRUE);
	jpeg_start_decompress(&dc);
	while (dc.output_scanline < dc.output_height) {
		row = img->pix + (size_t)dc.output_scanline * img->w;
		jpeg_read_scanlines(&dc, &row, 1);
	}
	jpeg_finish_decompress(&dc);
	jpeg_destroy_decompress(&dc);
	free(buf);
}

int
camsim_shoot(const struct qr_code *c, const struct camsim *p,
    struct qr_image **out)
{
	struct qr_image *img = NULL;
	float *lum = NULL, *tmp = NULL;
	uint64_t s = p->seed * 2654435761u + 1;
	size_t n = (size_t)p->w * p->h;
	int x, y, i, r = CK_ERR_ALLOC;

	*out = NULL;
	if ((lum = malloc(n * sizeof(*lum))) == NULL ||
	    (tmp = malloc(n * sizeof(*tmp))) == NULL)
		goto out;
	project(c, p, lum);
	if (p->next != NULL) {
		project(p->next, p, tmp);
		for (y = 0; y < p->h; y++) {
			double m = (y - p->mix_row) / (p->mix_band > 1 ? p->mix_band : 1) + 0.5;

			m = m < 0 ? 0 : m > 1 ? 1 : m;
			for (x = 0; x < p->w; x++)
				lum[y * p->w + x] = (float)((1 - m) * lum[y * p->w + x] +
				    m * tmp[y * p->w + x]);
		}
	}
	for (y = 0; y < p->h; y++)
		for (x = 0; x < p->w; x++) {
			double v = p->light - (p->light - p->dark) * lum[y * p->w + x];

			/* the screen's pixel grid beats with the sensor's */
			if (p->moire > 0)
				v *= 1 - p->moire * (0.5 + 0.5 *
				    cos(2 * M_PI * (x * 0.13 + y * 0.045)));
			/* a lamp reflected in the upper right of the screen */
			if (p->glare > 0) {
				double gx = x - 0.7 * p->w, gy = y - 0.3 * p->h;

				v += p->glare * exp(-(gx * gx + gy * gy) /
				    (2.0 * p->h * p->h / 36));
			}
			lum[y * p->w + x] = (float)v;
		}
	for (i = 0; i < p->blur; i++)
		box_blur(lum, tmp, p->w, p->h);
	if (p->motion > 1)
		motion_blur(lum, tmp, p->w, p->h, p->motion);
	if ((r = qr_image_new(p->w, p->h, &img)) != CK_OK)
		goto out;
	for (i = 0; i < (int)n; i++) {
		double v = (lum[i] + p->noise * gauss(&s)) * (p->gain > 0 ? p->gain : 1);

		img->pix[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
	}
	if (p->jpeg > 0)
		jpeg_trip(img, p->jpeg);
	*out = img;
	img = NULL;
	r = CK_OK;
out:
	qr_image_free(img);
	free(lum);
	free(tmp);
	return r;
}
