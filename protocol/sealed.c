/*
 * Shares sealed to the bridge session (see sealed.h).
 *
 * Limits: a box of at most SEALED_BOX_MAX bytes (SEALED_B64_MAX of
 * base64); nonce 1..SEALED_NONCE_MAX printable ASCII; share
 * 1..SEALED_SHARE_MAX characters of [0-9A-Za-z+/=].
 */
#include "protocol/sealed.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"

#define SHARE_CHARS	"0123456789abcdefghijklmnopqrstuvwxyz" \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ+/="

static int
check_nonce(const char *nonce, size_t len)
{
	size_t i;

	if (len == 0 || len > SEALED_NONCE_MAX)
		return CK_ERR_WRONG_NONCE;
	for (i = 0; i < len; i++)
		if (nonce[i] < 0x21 || nonce[i] > 0x7e)
			return CK_ERR_WRONG_NONCE;
	return CK_OK;
}

static int
check_share(const char *share, size_t len)
{
	size_t i;

	if (len == 0 || len > SEALED_SHARE_MAX)
		return CK_ERR_BAD_SHARE;
	for (i = 0; i < len; i++)
		if (share[i] == '\0' || strchr(SHARE_CHARS, share[i]) == NULL)
			return CK_ERR_BAD_SHARE;
	return CK_OK;
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

int
sealed_seal(const uint8_t box_pk[SEALBOX_PK_LEN],
    const uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], uint64_t seq,
    const char *nonce, const char *share, size_t len, char **b64)
{
	uint8_t *plain = NULL, box[SEALED_BOX_MAX];
	size_t nlen = strlen(nonce), plen = 0, boxlen = 0;
	char *text = NULL;
	int r;

	*b64 = NULL;
	if (check_nonce(nonce, nlen) != CK_OK || seq < ENVELOPE_SEQ_MIN ||
	    seq > ENVELOPE_SEQ_MAX)
		return CK_ERR_INVALID_ARG;
	if ((r = check_share(share, len)) != CK_OK)
		return r;
	if ((plain = secmem_alloc(SEALED_PLAIN_MAX)) == NULL)
		return CK_ERR_ALLOC;
	memcpy(plain, SEALED_MAGIC, SEALED_MAGIC_BYTES);
	plen = SEALED_MAGIC_BYTES;
	plain[plen++] = SEALED_VERSION;
	memcpy(plain + plen, id, ENVELOPE_CEREMONY_ID_BYTES);
	plen += ENVELOPE_CEREMONY_ID_BYTES;
	put_u64(plain + plen, seq);
	plen += 8;
	plain[plen++] = (uint8_t)nlen;
	memcpy(plain + plen, nonce, nlen);
	plen += nlen;
	plain[plen++] = (uint8_t)len;
	memcpy(plain + plen, share, len);
	plen += len;
	if ((r = sealbox_seal(plain, plen, box_pk, box, sizeof(box),
	    &boxlen)) != CK_OK)
		goto out;
	if ((text = malloc(SEALED_B64_MAX)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = codec_b64_encode(CODEC_B64_PADDED, box, boxlen, text,
	    SEALED_B64_MAX)) != CK_OK)
		goto out;
	*b64 = text;
	text = NULL;
	r = CK_OK;
out:
	free(text);
	secmem_wipe(plain, SEALED_PLAIN_MAX);
	secmem_free(plain);
	return r;
}

/* The fields after the box is opened; nothing here is trusted yet. */
static int
check_plain(const uint8_t *p, size_t plen,
    const uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], uint64_t seq,
    const char *nonce, const uint8_t **share, size_t *len)
{
	uint8_t magic[SEALED_MAGIC_BYTES], ver, got_id[ENVELOPE_CEREMONY_ID_BYTES];
	uint8_t nlen, slen;
	const uint8_t *n;
	uint64_t got_seq;
	struct rd rd;
	int r;

	rd_init(&rd, p, plen);
	if ((r = rd_bytes(&rd, magic, sizeof(magic))) != CK_OK)
		return r;
	if (memcmp(magic, SEALED_MAGIC, SEALED_MAGIC_BYTES) != 0)
		return CK_ERR_BAD_MAGIC;
	if ((r = rd_u8(&rd, &ver)) != CK_OK)
		return r;
	if (ver != SEALED_VERSION)
		return CK_ERR_BAD_VERSION;
	if ((r = rd_bytes(&rd, got_id, sizeof(got_id))) != CK_OK ||
	    (r = rd_u64be(&rd, &got_seq)) != CK_OK)
		return r;
	if (memcmp(got_id, id, sizeof(got_id)) != 0)
		return CK_ERR_WRONG_CEREMONY;
	if (got_seq < seq)
		return CK_ERR_REPLAY;
	if (got_seq > seq)
		return CK_ERR_OUT_OF_ORDER;
	if ((r = rd_u8(&rd, &nlen)) != CK_OK || (r = rd_ptr(&rd, &n, nlen)) != CK_OK)
		return r;
	if (nlen != strlen(nonce) || memcmp(n, nonce, nlen) != 0)
		return CK_ERR_WRONG_NONCE;
	if ((r = rd_u8(&rd, &slen)) != CK_OK ||
	    (r = rd_ptr(&rd, share, slen)) != CK_OK ||
	    (r = rd_end(&rd)) != CK_OK)
		return r;
	*len = slen;
	return check_share((const char *)*share, slen);
}

int
sealed_open(const uint8_t box_pk[SEALBOX_PK_LEN], const uint8_t *box_sk,
    const uint8_t id[ENVELOPE_CEREMONY_ID_BYTES], uint64_t seq,
    const char *nonce, const char *b64, char **share, size_t *len)
{
	uint8_t box[SEALED_BOX_MAX], *plain = NULL;
	const uint8_t *s = NULL;
	size_t b64len = strlen(b64), boxlen = 0, plen = 0, slen = 0;
	char *out = NULL;
	int r;

	*share = NULL;
	*len = 0;
	if (b64len >= SEALED_B64_MAX)
		return CK_ERR_TOO_LARGE;
	if (codec_b64_decode(CODEC_B64_PADDED, b64, b64len, box, sizeof(box),
	    &boxlen) != CK_OK)
		return CK_ERR_FORMAT;
	if ((r = sealbox_open(box, boxlen, box_pk, box_sk, &plain, &plen)) != CK_OK)
		return r;
	if ((r = check_plain(plain, plen, id, seq, nonce, &s, &slen)) != CK_OK)
		goto out;
	if ((out = secmem_alloc(slen + 1)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	memcpy(out, s, slen);
	out[slen] = '\0';
	*share = out;
	*len = slen;
	r = CK_OK;
out:
	secmem_wipe(plain, plen);
	secmem_free(plain);
	return r;
}
