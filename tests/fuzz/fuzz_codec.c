/*
 * The text decoders of crypto/: hex, both base64 forms, the 66-hex share
 * form and encoded_token. Byte 0 picks the decoder, the rest is the input.
 * Besides memory safety this checks canonicity: whatever a decoder accepts
 * re-encodes to exactly the input (hex up to case), so no two texts decode
 * to the same bytes and nothing is silently skipped.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/otp.h"
#include "crypto/secmem.h"
#include "crypto/shamir.h"

#define MAXIN 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_b64(enum codec_b64 form, const char *in, size_t len)
{
	uint8_t bin[MAXIN];
	char back[MAXIN * 2];
	size_t n;

	if (codec_b64_decode(form, in, len, bin, sizeof(bin), &n) != CK_OK)
		return;
	if (codec_b64_encode(form, bin, n, back, sizeof(back)) != CK_OK ||
	    strlen(back) != len || memcmp(back, in, len) != 0)
		abort();
}

static void
check_hex(const char *in, size_t len)
{
	uint8_t bin[MAXIN];
	char back[MAXIN * 2 + 1];
	size_t n;

	if (codec_hex_decode(in, len, bin, sizeof(bin), &n) != CK_OK)
		return;
	if (codec_hex_encode(bin, n, back, sizeof(back)) != CK_OK ||
	    strlen(back) != len || strncasecmp(back, in, len) != 0)
		abort();
}

static void
check_share(const char *in, size_t len)
{
	uint8_t share[SHAMIR_KEY_SHARE_LEN];
	char back[SHAMIR_KEY_SHARE_HEX + 1];

	if (shamir_share_from_hex(in, len, share) != CK_OK)
		return;
	if (share[SHAMIR_KEY_LEN] == 0 ||
	    codec_hex_encode(share, sizeof(share), back, sizeof(back)) != CK_OK ||
	    len != SHAMIR_KEY_SHARE_HEX || memcmp(back, in, len) != 0)
		abort();
}

static void
check_token(const char *in, size_t len)
{
	static const char otp[] = "0123456789ABCDEFGHIJKLMNOP";
	char *tok = NULL, back[CODEC_B64RAW_LEN(OTP_MAX_LEN) + 1];
	size_t i;

	if (otp_decode_token(in, len, otp, sizeof(otp) - 1, &tok) != CK_OK)
		return;
	for (i = 0; i < sizeof(otp) - 1; i++)
		if (tok[i] < 0x21 || tok[i] > 0x7e)
			abort();
	if (otp_encode_token(tok, sizeof(otp) - 1, otp, sizeof(otp) - 1, back,
	    sizeof(back)) != CK_OK || strlen(back) != len ||
	    memcmp(back, in, len) != 0)
		abort();
	secmem_free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t len = size - 1;

	if (size < 1 || size > MAXIN || sodium_init() < 0)
		return 0;
	switch (data[0] % 5) {
	case 0:
		check_hex(in, len);
		break;
	case 1:
		check_b64(CODEC_B64_PADDED, in, len);
		break;
	case 2:
		check_b64(CODEC_B64_RAW, in, len);
		break;
	case 3:
		check_share(in, len);
		break;
	default:
		check_token(in, len);
		break;
	}
	return 0;
}
