/*
 * Test-only: photographs of a QR stream as a webcam takes them.
 *   qr_camshot FILE DIR TILT N   write N codes of FILE's stream, each
 *                                photographed by the simulated 640x480
 *                                camera of tests/unit/helper_camsim.c with
 *                                the screen turned TILT degrees away, as
 *                                DIR/cam-0000.png, cam-0001.png, ...
 * So the shell tests can hand the programs (and zbarimg) camera frames.
 * Never part of either program.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "media/file.h"
#include "media/fountain.h"
#include "media/qr.h"
#include "media/qrstream.h"
#include "tests/unit/helper_camsim.h"

int
main(int argc, char **argv)
{
	struct qr_scanner *sc = NULL;
	struct qrs_sender *snd = NULL;
	uint8_t *msg = NULL;
	size_t len = 0;
	long n, i;
	int dfd = -1, r = CK_ERR_INVALID_ARG;

	if (argc != 5 || (n = strtol(argv[4], NULL, 10)) <= 0 || n > 1000) {
		fprintf(stderr, "usage: qr_camshot FILE DIR TILT N\n");
		return 2;
	}
	if (sodium_init() < 0 ||
	    (r = file_read(AT_FDCWD, argv[1], FTN_MAX_MESSAGE, &msg, &len)) != CK_OK ||
	    (r = file_open_dir(AT_FDCWD, argv[2], FILE_CREATE, 0755, &dfd)) != CK_OK ||
	    (r = qr_scanner_new(&sc)) != CK_OK ||
	    (r = qrs_sender_new(msg, len, QRS_DEFAULT_FRAGMENT, QRS_DEFAULT_ECC,
	    &snd)) != CK_OK)
		goto out;
	for (i = 0; i < n && r == CK_OK; i++) {
		struct qr_code *c = NULL;
		struct qr_image *img = NULL;
		struct camsim cam;
		char name[32];

		camsim_defaults(&cam, (uint64_t)i + 1);
		cam.fill = 0.75;
		cam.tilt_deg = strtod(argv[3], NULL);
		snprintf(name, sizeof(name), "cam-%04ld.png", i);
		if ((r = qrs_sender_next(snd, sc, &c)) == CK_OK &&
		    (r = camsim_shoot(c, &cam, &img)) == CK_OK)
			r = qr_png_write(img, dfd, name);
		qr_image_free(img);
		qr_code_free(c);
	}
out:
	if (r != CK_OK)
		fprintf(stderr, "qr_camshot: %s\n", ck_strerror(r));
	if (dfd >= 0)
		close(dfd);
	qrs_sender_free(snd);
	qr_scanner_free(sc);
	free(msg);
	return r == CK_OK ? 0 : 1;
}
