/*
 * Camera frames as the parser gets them: raw grayscale pixels of any size
 * up to 256 x 256, through the readers (zxing-cpp, then zbar on the
 * binarized frame) and the reassembler. The first byte is the width - 1;
 * the rest are pixels, rows packed (a partial last row is dropped).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "media/qr.h"
#include "media/qrstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qr_scanner *sc;
	struct qrs_receiver *r = NULL;
	struct qr_image *img = NULL;
	int w, h;

	if (sc == NULL && (sodium_init() < 0 || qr_scanner_new(&sc) != CK_OK))
		return 0;
	if (size < 2)
		return 0;
	w = data[0] + 1;
	h = (int)((size - 1) / (size_t)w);
	if (h == 0 || h > 256 || qr_image_new(w, h, &img) != CK_OK)
		return 0;
	memcpy(img->pix, data + 1, (size_t)w * h);
	if (qrs_receiver_new(FTN_MAX_MESSAGE, &r) == CK_OK)
		(void)qrs_receiver_image(r, sc, img);
	qrs_receiver_free(r);
	qr_image_free(img);
	return 0;
}
