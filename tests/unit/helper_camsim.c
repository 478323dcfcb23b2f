#include "tests/unit/helper_camsim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	p->blur = 1;
	p->noise = 8.0;
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

static double
gauss(uint64_t *s)
{
	return sqrt(-2.0 * log(uniform(s))) * cos(2.0 * M_PI * uniform(s));
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

static void
box_blur(struct qr_image *img, uint8_t *tmp)
{
	int x, y, dx, dy;

	memcpy(tmp, img->pix, (size_t)img->w * img->h);
	for (y = 1; y < img->h - 1; y++)
		for (x = 1; x < img->w - 1; x++) {
			int sum = 0;

			for (dy = -1; dy <= 1; dy++)
				for (dx = -1; dx <= 1; dx++)
					sum += tmp[(y + dy) * img->w + x + dx];
			img->pix[y * img->w + x] = (uint8_t)(sum / 9);
		}
}

int
camsim_shoot(const struct qr_code *c, const struct camsim *p,
    struct qr_image **out)
{
	struct qr_image *img = NULL;
	uint8_t *tmp = NULL;
	uint64_t s = p->seed * 2654435761u + 1;
	double side = c->width + 2 * QR_QUIET, a = p->angle_deg * M_PI / 180.0;
	double per_px = side / (p->fill * p->h), ca = cos(a), sa = sin(a);
	int x, y, i, j, r;

	*out = NULL;
	if ((r = qr_image_new(p->w, p->h, &img)) != CK_OK)
		return r;
	if ((tmp = malloc((size_t)p->w * p->h)) == NULL) {
		qr_image_free(img);
		return CK_ERR_ALLOC;
	}
	for (y = 0; y < p->h; y++)
		for (x = 0; x < p->w; x++) {
			int darks = 0;

			for (j = 0; j < SUPERSAMPLE; j++)
				for (i = 0; i < SUPERSAMPLE; i++) {
					double u = x + (i + 0.5) / SUPERSAMPLE - p->w / 2.0;
					double v = y + (j + 0.5) / SUPERSAMPLE - p->h / 2.0;
					double mx = (ca * u + sa * v) * per_px + side / 2;
					double my = (-sa * u + ca * v) * per_px + side / 2;

					darks += dark_at(c, mx, my);
				}
			img->pix[y * p->w + x] = (uint8_t)(p->light -
			    (p->light - p->dark) * darks / (SUPERSAMPLE * SUPERSAMPLE));
		}
	for (i = 0; i < p->blur; i++)
		box_blur(img, tmp);
	for (i = 0; i < p->w * p->h; i++) {
		double v = img->pix[i] + p->noise * gauss(&s);

		img->pix[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
	free(tmp);
	*out = img;
	return CK_OK;
}
