/*
 * Packet walking without keys. Limits: PGPPKT_MSG_MAX bytes of message,
 * PGPPKT_KEY_MAX bytes of key, PGPPKT_PACKETS_MAX packets,
 * PGPPKT_PARTIAL_MAX partial-length chunks in one packet,
 * PGPPKT_RECIPIENTS_MAX PKESK packets, PGPPKT_SUBKEYS_MAX subkeys,
 * PGPPKT_SUBPACKETS_MAX hashed subpackets in one signature. Every length
 * is checked against the bytes left by crypto/reader.h before use.
 */
#include "crypto/pgppkt.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/sha1.h"

#define PGPPKT_SUBPACKETS_MAX	64

/* Packet tags (RFC 9580 §5). */
#define TAG_PKESK	1
#define TAG_SIG	2
#define TAG_SKESK	3
#define TAG_PUBKEY	6
#define TAG_SED	9
#define TAG_UID	13
#define TAG_PUBSUBKEY	14
#define TAG_UATTR	17
#define TAG_SEIPD	18
#define TAG_AEAD	20

#define SIG_SUBKEY_BINDING	0x18
#define SUBPKT_CREATED	2

/* Old-format body length (RFC 9580 §4.2.2): 1, 2, 4 octets or to the end. */
static int
old_len(struct rd *r, uint8_t ltype, size_t *len)
{
	uint8_t a;
	uint16_t l16;
	uint32_t l32;
	int e;

	switch (ltype) {
	case 0:
		e = rd_u8(r, &a);
		*len = a;
		return e;
	case 1:
		e = rd_u16be(r, &l16);
		*len = l16;
		return e;
	case 2:
		e = rd_u32be(r, &l32);
		*len = l32;
		return e;
	default:	/* indeterminate: to the end */
		*len = rd_left(r);
		return CK_OK;
	}
}

/*
 * One packet header (RFC 9580 §4.2: old and new formats). For a body with
 * partial lengths, the chunks are walked and *body is NULL: only data
 * packets may use them, and we never need their contents.
 */
static int
pkt_next(struct rd *r, uint8_t *tag, const uint8_t **body, size_t *blen)
{
	uint8_t ctb, a, b;
	uint32_t l32;
	size_t len, chunks = 0;
	int e;

	*body = NULL;
	*blen = 0;
	if ((e = rd_u8(r, &ctb)) != CK_OK)
		return e;
	if ((ctb & 0x80) == 0)
		return CK_ERR_FORMAT;
	if ((ctb & 0x40) == 0) {	/* old format */
		*tag = (ctb >> 2) & 0x0f;
		if ((e = old_len(r, ctb & 3, &len)) != CK_OK)
			return e;
		*blen = len;
		return rd_ptr(r, body, len);
	}
	*tag = ctb & 0x3f;
	for (;;) {
		if ((e = rd_u8(r, &a)) != CK_OK)
			return e;
		if (a < 192) {
			len = a;
		} else if (a < 224) {
			if ((e = rd_u8(r, &b)) != CK_OK)
				return e;
			len = ((size_t)(a - 192) << 8) + b + 192;
		} else if (a == 255) {
			if ((e = rd_u32be(r, &l32)) != CK_OK)
				return e;
			len = l32;
		} else {	/* partial: 2^(a & 0x1f) bytes, more follow */
			if (*tag != TAG_SEIPD && *tag != TAG_AEAD)
				return CK_ERR_FORMAT;
			if (++chunks > PGPPKT_PARTIAL_MAX)
				return CK_ERR_TOO_LARGE;
			if ((e = rd_ptr(r, body, (size_t)1 << (a & 0x1f))) != CK_OK)
				return e;
			continue;
		}
		if ((e = rd_ptr(r, body, len)) != CK_OK)
			return e;
		if (chunks > 0)
			*body = NULL;
		else
			*blen = len;
		return CK_OK;
	}
}

static int
parse_pkesk(const uint8_t *body, size_t blen, struct pgppkt_recipients *rc)
{
	uint8_t ver, keyid[8], algo;
	struct rd r;
	int e;

	rd_init(&r, body, blen);
	if ((e = rd_u8(&r, &ver)) != CK_OK)
		return e;
	if (ver == 6)
		return CK_ERR_UNSUPPORTED;
	if (ver != 3)
		return CK_ERR_BAD_VERSION;
	if ((e = rd_bytes(&r, keyid, sizeof(keyid))) != CK_OK ||
	    (e = rd_u8(&r, &algo)) != CK_OK)
		return e;
	if (rd_left(&r) == 0)	/* no encrypted session key */
		return CK_ERR_TRUNCATED;
	if (rc->n == PGPPKT_RECIPIENTS_MAX)
		return CK_ERR_TOO_LARGE;
	if ((e = codec_hex_encode(keyid, sizeof(keyid), rc->keyid[rc->n],
	    PGPPKT_KEYID_LEN + 1)) != CK_OK)
		return e;
	rc->algo[rc->n] = algo;
	rc->n++;
	return CK_OK;
}

/* Where the parsers run (pgppkt_set_isolation). */
static struct pgppkt_isolation isolated;

void
pgppkt_set_isolation(const struct pgppkt_isolation *iso)
{
	memset(&isolated, 0, sizeof(isolated));
	if (iso != NULL)
		isolated = *iso;
}

int
pgppkt_recipients(const void *msg, size_t len, struct pgppkt_recipients *out)
{
	struct pgppkt_recipients rc;
	const uint8_t *body;
	size_t blen, npkt;
	uint8_t tag;
	struct rd r;
	int e;

	memset(out, 0, sizeof(*out));
	if (isolated.recipients != NULL)
		return isolated.recipients(msg, len, out);
	memset(&rc, 0, sizeof(rc));
	if (len > PGPPKT_MSG_MAX)
		return CK_ERR_TOO_LARGE;
	rd_init(&r, msg, len);
	for (npkt = 0; npkt < PGPPKT_PACKETS_MAX; npkt++) {
		if ((e = pkt_next(&r, &tag, &body, &blen)) != CK_OK)
			return e;
		switch (tag) {
		case TAG_PKESK:
			if (body == NULL)
				return CK_ERR_FORMAT;
			if ((e = parse_pkesk(body, blen, &rc)) != CK_OK)
				return e;
			break;
		case TAG_SKESK:
		case TAG_SED:	/* no integrity protection */
			return CK_ERR_UNSUPPORTED;
		case TAG_SEIPD:
		case TAG_AEAD:
			if (rc.n == 0)
				return CK_ERR_FORMAT;
			if ((e = rd_end(&r)) != CK_OK)
				return e;
			*out = rc;
			return CK_OK;
		default:
			return CK_ERR_FORMAT;
		}
	}
	return CK_ERR_TOO_LARGE;
}

/* Signature subpacket length (RFC 9580 §5.2.3.7): no partial lengths. */
static int
subpkt_len(struct rd *r, size_t *len)
{
	uint8_t a, b;
	uint32_t l32;
	int e;

	if ((e = rd_u8(r, &a)) != CK_OK)
		return e;
	if (a < 192) {
		*len = a;
	} else if (a < 255) {
		if ((e = rd_u8(r, &b)) != CK_OK)
			return e;
		*len = ((size_t)(a - 192) << 8) + b + 192;
	} else {
		if ((e = rd_u32be(r, &l32)) != CK_OK)
			return e;
		*len = l32;
	}
	return CK_OK;
}

/* A signature's type and creation time (v3 inline, v4+ hashed subpacket). */
static int
sig_info(const uint8_t *body, size_t blen, uint8_t *type, uint32_t *created)
{
	const uint8_t *hashed, *sp;
	uint8_t ver, l5, pkalgo, hashalgo;
	uint16_t h16;
	uint32_t h32;
	size_t hlen, splen, n;
	struct rd r, h;
	int e;

	*created = 0;
	rd_init(&r, body, blen);
	if ((e = rd_u8(&r, &ver)) != CK_OK)
		return e;
	if (ver == 3) {
		if ((e = rd_u8(&r, &l5)) != CK_OK)
			return e;
		if (l5 != 5)
			return CK_ERR_FORMAT;
		if ((e = rd_u8(&r, type)) != CK_OK)
			return e;
		return rd_u32be(&r, created);
	}
	if (ver < 4 || ver > 6)
		return CK_ERR_BAD_VERSION;
	if ((e = rd_u8(&r, type)) != CK_OK ||
	    (e = rd_u8(&r, &pkalgo)) != CK_OK ||
	    (e = rd_u8(&r, &hashalgo)) != CK_OK)
		return e;
	if (ver == 4) {
		e = rd_u16be(&r, &h16);
		hlen = h16;
	} else {
		e = rd_u32be(&r, &h32);
		hlen = h32;
	}
	if (e != CK_OK || (e = rd_ptr(&r, &hashed, hlen)) != CK_OK)
		return e;
	rd_init(&h, hashed, hlen);
	for (n = 0; rd_left(&h) > 0; n++) {
		if (n == PGPPKT_SUBPACKETS_MAX)
			return CK_ERR_TOO_LARGE;
		if ((e = subpkt_len(&h, &splen)) != CK_OK ||
		    (e = rd_ptr(&h, &sp, splen)) != CK_OK)
			return e;
		if (splen == 0)
			return CK_ERR_FORMAT;	/* no type octet */
		if ((sp[0] & 0x7f) == SUBPKT_CREATED && splen == 5)
			*created = (uint32_t)sp[1] << 24 | (uint32_t)sp[2] << 16 |
			    (uint32_t)sp[3] << 8 | sp[4];
	}
	return CK_OK;
}

static int
add_subkey(const uint8_t *body, size_t blen, struct pgppkt_subkeys *sk)
{
	uint8_t ver, algo;
	uint32_t created;
	struct rd r;
	int e;

	rd_init(&r, body, blen);
	if ((e = rd_u8(&r, &ver)) != CK_OK)
		return e;
	if (ver < 4 || ver > 6)
		return CK_ERR_BAD_VERSION;
	if ((e = rd_u32be(&r, &created)) != CK_OK ||
	    (e = rd_u8(&r, &algo)) != CK_OK)
		return e;
	if (sk->n == PGPPKT_SUBKEYS_MAX)
		return CK_ERR_TOO_LARGE;
	sk->k[sk->n].created = created;
	sk->k[sk->n].bound = 0;
	sk->k[sk->n].algo = algo;
	sk->n++;
	return CK_OK;
}

/* A signature after subkey cur: keep the newest binding's time. */
static int
note_binding(const uint8_t *body, size_t blen, struct pgppkt_subkeys *sk,
    size_t cur)
{
	uint8_t type;
	uint32_t created;
	int e;

	e = sig_info(body, blen, &type, &created);
	if (e == CK_ERR_BAD_VERSION)	/* a signature nobody can use */
		return CK_OK;
	if (e != CK_OK)
		return e;
	if (type == SIG_SUBKEY_BINDING && created > sk->k[cur].bound)
		sk->k[cur].bound = created;
	return CK_OK;
}

int
pgppkt_subkeys(const void *key, size_t len, struct pgppkt_subkeys *out)
{
	struct pgppkt_subkeys sk;
	const uint8_t *body;
	size_t blen, npkt, cur = SIZE_MAX;
	uint8_t tag;
	struct rd r;
	int e;

	memset(out, 0, sizeof(*out));
	if (isolated.subkeys != NULL)
		return isolated.subkeys(key, len, out);
	memset(&sk, 0, sizeof(sk));
	if (len > PGPPKT_KEY_MAX)
		return CK_ERR_TOO_LARGE;
	rd_init(&r, key, len);
	for (npkt = 0; rd_left(&r) > 0; npkt++) {
		if (npkt == PGPPKT_PACKETS_MAX)
			return CK_ERR_TOO_LARGE;
		if ((e = pkt_next(&r, &tag, &body, &blen)) != CK_OK)
			return e;
		if (body == NULL || (npkt == 0 && tag != TAG_PUBKEY))
			return CK_ERR_FORMAT;
		switch (tag) {
		case TAG_PUBKEY:
			if (npkt != 0)	/* a second key */
				return CK_ERR_TRAILING;
			break;
		case TAG_PUBSUBKEY:
			if ((e = add_subkey(body, blen, &sk)) != CK_OK)
				return e;
			cur = sk.n - 1;
			break;
		case TAG_SIG:
			if (cur != SIZE_MAX &&
			    (e = note_binding(body, blen, &sk, cur)) != CK_OK)
				return e;
			break;
		case TAG_UID:
		case TAG_UATTR:
			cur = SIZE_MAX;
			break;
		default:	/* trust and other packets: not ours to judge */
			break;
		}
	}
	if (npkt == 0)
		return CK_ERR_TRUNCATED;
	*out = sk;
	return CK_OK;
}

/* CRC-24 of the armor checksum line (RFC 9580 §6.1). */
static uint32_t
crc24(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xb704ce;
	int i;

	while (len-- > 0) {
		crc ^= (uint32_t)*p++ << 16;
		for (i = 0; i < 8; i++) {
			crc <<= 1;
			if (crc & 0x1000000)
				crc ^= 0x1864cfb;
		}
	}
	return crc & 0xffffff;
}

#define ARMOR_BEGIN	"-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define ARMOR_END	"-----END PGP PUBLIC KEY BLOCK-----"

/* A line without its "\n" and a trailing "\r" or blanks, as armor allows. */
static void
trim(const uint8_t **line, size_t *len)
{
	while (*len > 0 && ((*line)[*len - 1] == '\r' ||
	    (*line)[*len - 1] == ' ' || (*line)[*len - 1] == '\t'))
		(*len)--;
}

static int
line_is(const uint8_t *line, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(line, s, len) == 0;
}

int
pgppkt_dearmor_key(const void *in, size_t len, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	enum { BEFORE, HEADERS, BODY, CRC, DONE } at = BEFORE;
	const uint8_t *line, *crcline = NULL;
	uint8_t crcbin[3];
	char *b64 = NULL;
	size_t llen, n = 0, crclen = 0;
	struct rd r;
	int e;

	*outlen = 0;
	if (len > PGPPKT_ARMOR_MAX)
		return CK_ERR_TOO_LARGE;
	if (len > 0 && (((const uint8_t *)in)[0] & 0x80) != 0) {
		if (len > outmax)
			return CK_ERR_TOO_LARGE;
		memcpy(out, in, len);
		*outlen = len;
		return CK_OK;
	}
	if ((b64 = malloc(len + 1)) == NULL)
		return CK_ERR_ALLOC;
	rd_init(&r, in, len);
	e = CK_ERR_FORMAT;
	while (at != DONE && rd_left(&r) > 0) {
		if (rd_line(&r, len, &line, &llen) != CK_OK) {
			llen = rd_left(&r);	/* a last line without '\n' */
			if (rd_ptr(&r, &line, llen) != CK_OK)
				goto out;
		}
		trim(&line, &llen);
		switch (at) {
		case BEFORE:
			if (line_is(line, llen, ARMOR_BEGIN))
				at = HEADERS;
			break;
		case HEADERS:	/* "Key: value" lines up to an empty one */
			if (llen == 0)
				at = BODY;
			else if (memchr(line, ':', llen) == NULL)
				goto out;
			break;
		case BODY:
		case CRC:
			if (line_is(line, llen, ARMOR_END)) {
				at = DONE;
			} else if (at == CRC) {
				goto out;	/* only END may follow the checksum */
			} else if (llen > 0 && line[0] == '=') {
				crcline = line + 1;
				crclen = llen - 1;
				at = CRC;
			} else {
				memcpy(b64 + n, line, llen);
				n += llen;
			}
			break;
		case DONE:
			break;
		}
	}
	if (at != DONE || n == 0)
		goto out;
	if ((e = codec_b64_decode(CODEC_B64_PADDED, b64, n, out, outmax,
	    outlen)) != CK_OK) {
		if (e != CK_ERR_TOO_LARGE)
			e = CK_ERR_FORMAT;
		goto out;
	}
	if (crcline != NULL) {
		if (codec_b64_decode_exact(CODEC_B64_PADDED, (const char *)crcline,
		    crclen, crcbin, sizeof(crcbin)) != CK_OK) {
			e = CK_ERR_FORMAT;
			goto out;
		}
		if (crc24(out, *outlen) != ((uint32_t)crcbin[0] << 16 |
		    (uint32_t)crcbin[1] << 8 | crcbin[2])) {
			e = CK_ERR_CRYPTO;
			goto out;
		}
	}
	e = CK_OK;
out:
	if (e != CK_OK && *outlen > 0) {
		memset(out, 0, *outlen);
		*outlen = 0;
	}
	free(b64);
	return e;
}

int
pgppkt_fingerprint(const void *key, size_t len, uint8_t fpr[PGPPKT_FPR_BYTES])
{
	const uint8_t *body;
	uint8_t tag, hdr[3];
	size_t blen;
	struct sha1 c;
	struct rd r;
	int e;

	memset(fpr, 0, PGPPKT_FPR_BYTES);
	if (len > PGPPKT_KEY_MAX)
		return CK_ERR_TOO_LARGE;
	rd_init(&r, key, len);
	if ((e = pkt_next(&r, &tag, &body, &blen)) != CK_OK)
		return e;
	if (body == NULL || tag != TAG_PUBKEY || blen == 0)
		return CK_ERR_FORMAT;
	if (body[0] == 6)
		return CK_ERR_UNSUPPORTED;
	if (body[0] != 4)
		return CK_ERR_BAD_VERSION;
	if (blen > 0xffff)
		return CK_ERR_TOO_LARGE;
	hdr[0] = 0x99;
	hdr[1] = (uint8_t)(blen >> 8);
	hdr[2] = (uint8_t)blen;
	sha1_init(&c);
	sha1_update(&c, hdr, sizeof(hdr));
	sha1_update(&c, body, blen);
	sha1_final(&c, fpr);
	return CK_OK;
}
