/*
 * The zxing-cpp shim (media/qr_zxing.h). C++ stays in this file: results
 * are copied into malloc'd buffers and every exception (std::bad_alloc from
 * the library's containers, anything else it may throw) becomes an error
 * code here.
 */
#include "media/qr_zxing.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include <ZXing/ReadBarcode.h>

#include "crypto/errors.h"

static void
drop(uint8_t **data, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free(data[i]);
		data[i] = nullptr;
	}
	*n = 0;
}

extern "C" int
qr_zxing_read(const uint8_t *pix, int w, int h, size_t max, size_t max_len,
    uint8_t **data, size_t *len, size_t *n)
{
	int r = CK_ERR_QR_NOT_FOUND;

	*n = 0;
	if (pix == nullptr || w <= 0 || h <= 0 || max == 0)
		return CK_ERR_INVALID_ARG;
	try {
		/*
		 * QR only (a second symbology is a second parser); no 90/180/270
		 * degree retries (QR finder patterns are rotation invariant, the
		 * retries would only cost time); the default hybrid binarizer
		 * (a local threshold) is what reads dim and uneven frames.
		 */
		ZXing::DecodeHints hints;
		hints.setFormats(ZXing::BarcodeFormat::QRCode);
		hints.setTryRotate(false);
		hints.setTryHarder(true);
		hints.setMaxNumberOfSymbols(max > 255 ? 255 : (uint8_t)max);
		ZXing::ImageView view(pix, w, h, ZXing::ImageFormat::Lum);
		ZXing::Results found = ZXing::ReadBarcodes(view, hints);

		for (const ZXing::Result &res : found) {
			const ZXing::ByteArray &b = res.bytes();

			if (!res.isValid() || res.format() != ZXing::BarcodeFormat::QRCode ||
			    b.empty() || b.size() > max_len || *n == max)
				continue;
			if ((data[*n] = (uint8_t *)malloc(b.size())) == nullptr) {
				r = CK_ERR_ALLOC;
				break;
			}
			memcpy(data[*n], b.data(), b.size());
			len[(*n)++] = b.size();
			r = CK_OK;
		}
	} catch (const std::bad_alloc &) {
		r = CK_ERR_ALLOC;
	} catch (...) {
		r = CK_ERR_INTERNAL;
	}
	if (r != CK_OK)
		drop(data, n);
	return r;
}
