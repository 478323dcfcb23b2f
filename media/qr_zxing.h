/*
 * zxing-cpp (C++) as conclave's second QR reader, behind a C interface.
 * It finds codes zbar does not (a screen filmed at an angle, in a dim room:
 * docs/qr.md has the figures). A pure function of the pixels: no files, no
 * threads (zxing-cpp 1.4 starts none), no C++ exception crosses this line.
 */
#ifndef CONCLAVE_QR_ZXING_H
#define CONCLAVE_QR_ZXING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read the QR codes (QR only, other symbologies off) in a w x h 8-bit
 * grayscale image, rows packed. At most max codes of at most max_len bytes
 * are taken: data[i] (malloc'd) and len[i], their count in *n.
 * CK_OK with *n >= 1, CK_ERR_QR_NOT_FOUND, CK_ERR_ALLOC, or CK_ERR_INTERNAL
 * for anything the library threw; nothing is handed out on error.
 */
int qr_zxing_read(const uint8_t *pix, int w, int h, size_t max,
    size_t max_len, uint8_t **data, size_t *len, size_t *n)
    __attribute__((warn_unused_result));

#ifdef __cplusplus
}
#endif

#endif
