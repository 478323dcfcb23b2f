/*
 * A crude camera pointed at a screen, for tests and the QR benchmark: the
 * code is scaled into a camera image, rotated, seen through a slightly
 * blurred lens with reduced contrast and sensor noise. Deterministic for a
 * given seed.
 */
#ifndef CONCLAVE_HELPER_CAMSIM_H
#define CONCLAVE_HELPER_CAMSIM_H

#include <stdint.h>

#include "media/qr.h"

struct camsim {
	int w, h;		/* camera image, e.g. 640 x 480 */
	double fill;		/* code side incl. quiet zone / image height */
	double angle_deg;	/* rotation of the code in the image */
	int blur;		/* passes of a 3x3 box blur */
	double noise;		/* standard deviation of the sensor noise */
	uint8_t dark, light;	/* screen black and white as the camera sees them */
	uint64_t seed;
};

/* The defaults used by tests and the benchmark (640 x 480, 5 degrees...). */
void camsim_defaults(struct camsim *p, uint64_t seed);
/* Photograph code c; *out is a new w x h image. */
int camsim_shoot(const struct qr_code *c, const struct camsim *p,
    struct qr_image **out);

#endif
