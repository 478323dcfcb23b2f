/*
 * Frame parser and reassembler (media/fountain.c). The input is a sequence
 * of frames, each prefixed by a 2-byte big-endian length. A first byte with
 * its low bit set makes the harness recompute each frame's checksum, so the
 * reassembler behind the checksum gets exercised too, not only the parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "media/fountain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
reseal(uint8_t *buf, size_t len)
{
	uint8_t h[16];

	if (len < FTN_CHECK_LEN)
		return;
	crypto_generichash(h, sizeof(h), buf, len - FTN_CHECK_LEN, NULL, 0);
	memcpy(buf + len - FTN_CHECK_LEN, h, FTN_CHECK_LEN);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[FTN_MAX_FRAME + 64];
	struct ftn_decoder *d = NULL;
	struct ftn_progress p;
	uint8_t *msg = NULL;
	size_t n, mlen;
	int fix;

	if (size < 1 || sodium_init() < 0 || ftn_decoder_new(&d) != CK_OK)
		return 0;
	fix = data[0] & 1;
	data++, size--;
	while (size >= 2) {
		n = (size_t)data[0] << 8 | data[1];
		data += 2, size -= 2;
		if (n > size)
			n = size;
		if (n > sizeof(frame))
			n = sizeof(frame);
		memcpy(frame, data, n);
		if (fix)
			reseal(frame, n);
		(void)ftn_decoder_add(d, frame, n);
		data += n, size -= n;
	}
	ftn_decoder_progress(d, &p);
	if (p.recovered > p.fragments)
		abort();
	if (ftn_decoder_message(d, &msg, &mlen) == CK_OK) {
		if (!p.complete || mlen == 0 || mlen > FTN_MAX_MESSAGE)
			abort();
		free(msg);
	}
	ftn_decoder_free(d);
	return 0;
}
