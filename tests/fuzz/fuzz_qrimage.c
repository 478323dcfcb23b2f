/*
 * Images from a stick or a camera: PNG decoding (media/png.c through qr.c),
 * the readers' QR scan of whatever image results (zxing-cpp, then zbar on
 * the binarized image), and the frames they find fed to
 * the reassembler (media/qrstream.c). Images over 1024 pixels a side are
 * skipped here to keep executions fast; the size limit itself is unit-tested.
 */
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "media/qr.h"
#include "media/qrstream.h"

#define FUZZ_MAX_SIDE 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qr_scanner *sc;
	struct qrs_receiver *r = NULL;
	struct qr_image *img = NULL;

	if (sc == NULL && (sodium_init() < 0 || qr_scanner_new(&sc) != CK_OK))
		return 0;
	/* IHDR width and height sit at bytes 16..23 of a PNG. */
	if (size >= 24 && (be32(data + 16) > FUZZ_MAX_SIDE ||
	    be32(data + 20) > FUZZ_MAX_SIDE))
		return 0;
	if (qr_png_decode(data, size, &img) != CK_OK)
		return 0;
	if (qrs_receiver_new(FTN_MAX_MESSAGE, &r) == CK_OK)
		(void)qrs_receiver_image(r, sc, img);
	qrs_receiver_free(r);
	qr_image_free(img);
	return 0;
}
