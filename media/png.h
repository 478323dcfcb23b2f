/*
 * PNG files, just what QR codes need, on zlib alone (no libpng: neither
 * program hands a PNG to a general-purpose image library, and the
 * appliance decodes them in its parser child).
 *
 * Writing: 8-bit grayscale, not interlaced.
 * Reading: every colour type and bit depth of PNG 1.2 (gray 1/2/4/8/16,
 * RGB 8/16, palette 1/2/4/8, gray+alpha and RGBA 8/16), plain or Adam7
 * interlaced, turned into 8-bit gray: RGB by luma (Rec. 709 weights on the stored
 * values), alpha and tRNS transparency composited on white, 16-bit
 * samples by their high byte.
 *
 * Limits and refusals (each with its error): the 8-byte signature
 * (CK_ERR_BAD_MAGIC); every chunk's length within the file and its CRC
 * (CK_ERR_TRUNCATED, CK_ERR_FORMAT); IHDR first and valid, at most max_side
 * pixels a side (CK_ERR_TOO_LARGE); PLTE where and as the colour type wants it; IDAT chunks consecutive,
 * decompressing to exactly the image's bytes, every filter byte 0..4
 * (CK_ERR_FORMAT); IEND last with nothing after it (CK_ERR_TRAILING); an
 * unknown critical chunk (CK_ERR_UNSUPPORTED); ancillary chunks are
 * skipped. Memory: two rows and the gray image, whatever the input.
 */
#ifndef CONCLAVE_PNG_H
#define CONCLAVE_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/errors.h"

/*
 * An 8-bit grayscale PNG of the w x h pixels pix (row after row). *out is
 * malloc'd (free it), *outlen bytes. CK_ERR_INVALID_ARG for an empty or
 * absurd size, CK_ERR_ALLOC.
 */
int png_gray_encode(const uint8_t *pix, int w, int h, uint8_t **out,
    size_t *outlen) CK_WUR;

/*
 * Decode buf[0..len) as described above into *pix (malloc'd, w * h bytes,
 * free it), *w and *h. On failure *pix is NULL.
 */
int png_gray_decode(const uint8_t *buf, size_t len, int max_side,
    uint8_t **pix, int *w, int *h) CK_WUR;

#endif
