/*
 * A camera pointed at a screen, for tests and the QR benchmark: the screen
 * (turned away by a tilt, so the code is a trapezoid; rolled in the image)
 * is seen through a pinhole lens, defocused, smeared by motion, with glare
 * and moire from the screen's pixel grid; the sensor adds noise, a dim room
 * needs gain (which amplifies the noise), the webcam compresses as JPEG; a
 * rolling shutter may catch the switch from one code to the next. Crude but
 * deterministic for a given seed; it ranks readers and settings.
 */
#ifndef CONCLAVE_HELPER_CAMSIM_H
#define CONCLAVE_HELPER_CAMSIM_H

#include <stdint.h>

#include "media/qr.h"

struct camsim {
	int w, h;		/* camera image, e.g. 640 x 480 */
	double fill;		/* code side incl. quiet zone / image height, head-on */
	double angle_deg;	/* roll: rotation of the code in the image */
	double tilt_deg;	/* screen turned about its vertical axis (perspective) */
	double fov_deg;		/* horizontal field of view of the lens */
	int blur;		/* defocus: passes of a 3x3 box blur */
	int motion;		/* motion blur: horizontal smear in pixels (0: none) */
	double glare;		/* brightness a reflection adds at its centre (0: none) */
	double moire;		/* depth 0..1 of the screen grid beating with the sensor */
	double noise;		/* standard deviation of the sensor noise, before gain */
	double gain;		/* the camera's gain in a dim room (1: none) */
	double dark, light;	/* screen black and white at the sensor, before gain */
	int jpeg;		/* JPEG quality 1..100 of the webcam's stream (0: raw) */
	/* Rolling shutter: rows below mix_row show more and more of next. */
	const struct qr_code *next;	/* the code shown after this one, or NULL */
	double mix_row;		/* row where the exposure is half one, half the other */
	double mix_band;	/* rows over which the mix goes from 0 to 1 */
	uint64_t seed;
};

/* A good camera (640 x 480, 4 degrees roll, slight blur, noise 8). */
void camsim_defaults(struct camsim *p, uint64_t seed);
/* Photograph code c; *out is a new w x h image. */
int camsim_shoot(const struct qr_code *c, const struct camsim *p,
    struct qr_image **out);

#endif
