/*
 * transcript_verify_buf on arbitrary bytes: bytes 0-1 (big-endian) are
 * the length of the .minisig at the end, the rest before it the transcript. Besides memory safety: the report never
 * claims more records than lines, and whatever passes the record checks is
 * a closed transcript that starts with an open record.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/transcript.h"
#include "crypto/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transcript_report rep;
	size_t siglen, split, lines = 0, i;
	int e;

	if (size < 2)
		return 0;
	siglen = (size_t)data[0] << 8 | data[1];
	data += 2;
	size -= 2;
	if (siglen > size)
		siglen = size;
	split = size - siglen;
	for (i = 0; i < split; i++)
		lines += data[i] == '\n';
	e = transcript_verify_buf(data, split, data + split, size - split, NULL,
	    &rep);
	if (rep.records > lines)
		abort();
	if ((e == CK_OK || e == CK_ERR_BAD_SIGNATURE) &&
	    (!rep.closed || rep.records < 2 || memcmp(data, "{\"seq\":0,", 9) != 0))
		abort();
	return 0;
}
