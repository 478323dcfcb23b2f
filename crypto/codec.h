/*
 * Constant-time text encodings: hex and base64, on top of libsodium's
 * sodium_bin2hex/sodium_hex2bin/sodium_bin2base64/sodium_base642bin, whose
 * digit decoding does not branch on the data (house style rule 12), so the
 * decoders are safe for shares, OTPs and tokens.
 *
 * Encoders write a NUL-terminated string and need outmax >= encoded
 * length + 1 (CODEC_*_LEN below + 1); a smaller buffer is CK_ERR_INVALID_ARG.
 * Decoders consume the whole input (no whitespace, no trailing bytes) and
 * write only into the caller's buffer, which may be secmem memory; on any
 * failure that buffer is wiped. Errors:
 *   CK_ERR_ENCODING  a character outside the alphabet, an odd number of hex
 *                    digits, wrong or missing padding, non-zero trailing bits
 *   CK_ERR_TOO_LARGE the decoded bytes would not fit in outmax
 *   CK_ERR_FORMAT    (the _exact decoders) the input is not exactly the
 *                    encoding of the expected number of bytes
 */
#ifndef CONCLAVE_CODEC_H
#define CONCLAVE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/reader.h"

/* Characters (without the NUL) that n bytes encode to. */
#define CODEC_HEX_LEN(n)	((n) * 2)
#define CODEC_B64_LEN(n)	((((n) + 2) / 3) * 4)
#define CODEC_B64RAW_LEN(n)	(((n) / 3) * 4 + ((n) % 3 == 0 ? 0 : (n) % 3 + 1))

/*
 * The two base64 forms the servers use: standard alphabet (+/) with '='
 * padding (Go base64.StdEncoding: keys_base64, PGP-encrypted tokens), and
 * the same alphabet without padding (base64.RawStdEncoding: encoded_token).
 * Each decoder is strict about its own form: the padded decoder refuses
 * missing padding and the raw decoder refuses '='.
 */
enum codec_b64 {
	CODEC_B64_PADDED,
	CODEC_B64_RAW,
};

/* Lowercase hex of len bytes into out (outmax >= 2 * len + 1). */
int codec_hex_encode(const uint8_t *bin, size_t len, char *out, size_t outmax)
    CK_WUR;

/*
 * Hex digits (either case) into at most outmax bytes; *outlen is set to the
 * number written (0 on failure).
 */
int codec_hex_decode(const char *hex, size_t hexlen, uint8_t *out,
    size_t outmax, size_t *outlen) CK_WUR;

/* Exactly 2 * outlen hex digits into exactly outlen bytes. */
int codec_hex_decode_exact(const char *hex, size_t hexlen, uint8_t *out,
    size_t outlen) CK_WUR;

/* Base64 of len bytes in the given form into out (NUL-terminated). */
int codec_b64_encode(enum codec_b64 form, const uint8_t *bin, size_t len,
    char *out, size_t outmax) CK_WUR;

/* Base64 in the given form into at most outmax bytes; *outlen as above. */
int codec_b64_decode(enum codec_b64 form, const char *b64, size_t b64len,
    uint8_t *out, size_t outmax, size_t *outlen) CK_WUR;

/* Base64 in the given form that decodes to exactly outlen bytes. */
int codec_b64_decode_exact(enum codec_b64 form, const char *b64, size_t b64len,
    uint8_t *out, size_t outlen) CK_WUR;

#endif
