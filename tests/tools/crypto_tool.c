/*
 * Test-only plumbing (never installed) so shell tests can run crypto/
 * against a real OpenBao server. Secrets come in on stdin, one per line,
 * never in argv.
 *
 *   crypto_tool shamir-check T      shares (66 hex) on stdin; prints CK_OK or
 *                                   the CK_ERR_* name of shamir_check_consistent
 *   crypto_tool shamir-resplit T N  >= T shares on stdin; combines them and
 *                                   prints N fresh shares of threshold T
 *   crypto_tool otp-new LEN         prints a fresh OTP
 *   crypto_tool otp-decode          encoded_token then OTP on stdin; prints
 *                                   the token or the CK_ERR_* name
 */
#include <stdio.h>
#include <string.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/otp.h"
#include "crypto/reader.h"
#include "crypto/secmem.h"
#include "crypto/shamir.h"

#define LINE_MAX_LEN	256

/* One line of stdin without its newline into line (secmem); 0 at EOF. */
static int
read_line(char *line, size_t *len)
{
	if (fgets(line, LINE_MAX_LEN, stdin) == NULL)
		return 0;
	*len = strcspn(line, "\n");
	line[*len] = '\0';
	return 1;
}

/* Every share on stdin into shares (secmem, SHAMIR_MAX_PARTS of them). */
static int
read_shares(uint8_t *shares, struct shamir_part *parts, size_t *n)
{
	char *line = secmem_alloc(LINE_MAX_LEN);
	size_t len;
	int r = CK_OK;

	*n = 0;
	if (line == NULL)
		return CK_ERR_ALLOC;
	while (r == CK_OK && read_line(line, &len)) {
		if (*n == SHAMIR_MAX_PARTS) {
			r = CK_ERR_TOO_LARGE;
			break;
		}
		r = shamir_share_from_hex(line, len,
		    shares + *n * SHAMIR_KEY_SHARE_LEN);
		parts[*n].p = shares + *n * SHAMIR_KEY_SHARE_LEN;
		parts[*n].len = SHAMIR_KEY_SHARE_LEN;
		(*n)++;
	}
	secmem_free(line);
	return r;
}

static int
uint_arg(const char *s, unsigned long long max, unsigned *v)
{
	unsigned long long x;

	if (rd_parse_uint(s, 1, max, &x) != CK_OK)
		return CK_ERR_INVALID_ARG;
	*v = (unsigned)x;
	return CK_OK;
}

static int
shamir_cmd(int resplit, int argc, char **argv)
{
	struct shamir_part parts[SHAMIR_MAX_PARTS];
	uint8_t *shares, *key = NULL, *out = NULL;
	char hex[SHAMIR_KEY_SHARE_HEX + 1];
	unsigned t, n = 0, i;
	size_t got, keylen;
	int r;

	if (argc != (resplit ? 4 : 3) ||
	    uint_arg(argv[2], SHAMIR_MAX_PARTS, &t) != CK_OK ||
	    (resplit && uint_arg(argv[3], SHAMIR_MAX_PARTS, &n) != CK_OK))
		return CK_ERR_INVALID_ARG;
	if ((shares = secmem_alloc(SHAMIR_MAX_PARTS * SHAMIR_KEY_SHARE_LEN)) ==
	    NULL)
		return CK_ERR_ALLOC;
	if ((r = read_shares(shares, parts, &got)) != CK_OK)
		goto out;
	if (!resplit) {
		r = shamir_check_consistent(parts, got, t);
		goto out;
	}
	if ((r = shamir_combine(parts, got, &key, &keylen)) != CK_OK ||
	    (r = shamir_split(key, keylen, t, n, &out)) != CK_OK)
		goto out;
	for (i = 0; i < n && r == CK_OK; i++)
		if ((r = codec_hex_encode(out + i * (keylen + 1), keylen + 1, hex,
		    sizeof(hex))) == CK_OK)
			printf("%s\n", hex);
	secmem_wipe(hex, sizeof(hex));
 out:
	secmem_free(key);
	secmem_free(out);
	secmem_free(shares);
	return r;
}

static int
otp_cmd(int decode, int argc, char **argv)
{
	char *enc = NULL, *otp = NULL, *tok = NULL;
	size_t elen, olen;
	unsigned len;
	int r = CK_ERR_ALLOC;

	if (!decode) {
		if (argc != 3 || uint_arg(argv[2], OTP_MAX_LEN, &len) != CK_OK)
			return CK_ERR_INVALID_ARG;
		if ((r = otp_generate(len, &otp)) == CK_OK)
			printf("%s\n", otp);
		secmem_free(otp);
		return r;
	}
	if ((enc = secmem_alloc(LINE_MAX_LEN)) == NULL ||
	    (otp = secmem_alloc(LINE_MAX_LEN)) == NULL)
		goto out;
	r = CK_ERR_TRUNCATED;
	if (!read_line(enc, &elen) || !read_line(otp, &olen))
		goto out;
	if ((r = otp_decode_token(enc, elen, otp, olen, &tok)) == CK_OK)
		printf("%s\n", tok);
 out:
	secmem_free(tok);
	secmem_free(otp);
	secmem_free(enc);
	return r;
}

int
main(int argc, char **argv)
{
	int r = CK_ERR_INVALID_ARG;

	if (secmem_init() != CK_OK || argc < 2)
		goto out;
	if (strcmp(argv[1], "shamir-check") == 0)
		r = shamir_cmd(0, argc, argv);
	else if (strcmp(argv[1], "shamir-resplit") == 0)
		r = shamir_cmd(1, argc, argv);
	else if (strcmp(argv[1], "otp-new") == 0)
		r = otp_cmd(0, argc, argv);
	else if (strcmp(argv[1], "otp-decode") == 0)
		r = otp_cmd(1, argc, argv);
 out:
	if (r != CK_OK || (argc >= 2 && strcmp(argv[1], "shamir-check") == 0))
		printf("%s\n", ck_errname(r));
	return r == CK_OK ? 0 : 1;
}
