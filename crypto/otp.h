/*
 * The one-time password of Vault/OpenBao root (and DR operation) token
 * generation, and the encoded_token it protects
 * (vault-openbao-api.md section 3): the OTP is base62 text of the length the
 * server announces in otp_length (28 on Vault >= 1.10, 26 on OpenBao), and
 *   encoded_token = base64.RawStdEncoding(otp XOR token),  len(otp) == len(token).
 * The legacy otp_length == 0 scheme (Vault <= 0.11.1: base64 OTP, UUID
 * token) is not supported. OTPs and tokens live only in secmem memory.
 */
#ifndef CONCLAVE_OTP_H
#define CONCLAVE_OTP_H

#include <stddef.h>

#include "crypto/reader.h"

#define OTP_MAX_LEN	64
#define OTP_ALPHABET \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/*
 * A fresh OTP of len (1..OTP_MAX_LEN) base62 characters, sampled like the
 * server's go-secure-stdlib base62: random byte b, rejected unless b < 248,
 * character OTP_ALPHABET[b % 62] (computed without a table lookup).
 * *otpp is a NUL-terminated secmem string; free it with secmem_free().
 */
int otp_generate(size_t len, char **otpp) CK_WUR;

/*
 * encoded_token for token under otp: both of otp_len (1..OTP_MAX_LEN)
 * bytes, the OTP base62, the token printable ASCII without spaces.
 * Writes raw (unpadded) standard base64 and a NUL to out; outmax must be
 * at least CODEC_B64RAW_LEN(otp_len) + 1. For the bridge's fixtures and
 * tests: the servers do this in production.
 */
int otp_encode_token(const char *token, size_t token_len, const char *otp,
    size_t otp_len, char *out, size_t outmax) CK_WUR;

/*
 * The token inside encoded_token: raw standard base64 (no '=': the servers
 * never pad it), exactly otp_len bytes once decoded, XORed with the OTP,
 * and the result must be printable ASCII without spaces (0x21..0x7e), which
 * is what a wrong OTP almost always breaks. *tokenp is a NUL-terminated
 * secmem string of otp_len characters. Errors: CK_ERR_INVALID_ARG for an
 * OTP length outside 1..OTP_MAX_LEN, CK_ERR_ENCODING for bad base64 or a
 * non-base62 OTP, CK_ERR_FORMAT for a length that differs from the OTP's,
 * CK_ERR_NOT_PRINTABLE for a result that is no token.
 */
int otp_decode_token(const char *encoded, size_t enc_len, const char *otp,
    size_t otp_len, char **tokenp) CK_WUR;

#endif
