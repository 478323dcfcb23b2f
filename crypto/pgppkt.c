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

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "crypto/sha1.h"

#define PGPPKT_SUBPACKETS_MAX	64

/* Packet tags (RFC 9580 §5). */
#define TAG_PKESK	1
#define TAG_SIG	2
#define TAG_SKESK	3
#define TAG_SECKEY	5
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

/*
 * The packets of a binary key file in order, each to visit with its
 * index: every one must have a body, the first one must be tagged first.
 * CK_ERR_TRUNCATED when there is none.
 */
static int
walk_key(const uint8_t *key, size_t len, uint8_t first,
    int (*visit)(uint8_t tag, const uint8_t *body, size_t blen, size_t npkt,
    void *arg), void *arg)
{
	const uint8_t *body;
	size_t blen, npkt;
	uint8_t tag;
	struct rd r;
	int e;

	rd_init(&r, key, len);
	for (npkt = 0; rd_left(&r) > 0; npkt++) {
		if (npkt == PGPPKT_PACKETS_MAX)
			return CK_ERR_TOO_LARGE;
		if ((e = pkt_next(&r, &tag, &body, &blen)) != CK_OK)
			return e;
		if (body == NULL || (npkt == 0 && tag != first))
			return CK_ERR_FORMAT;
		if ((e = visit(tag, body, blen, npkt, arg)) != CK_OK)
			return e;
	}
	return npkt == 0 ? CK_ERR_TRUNCATED : CK_OK;
}

/* pgppkt_subkeys' walk: the subkeys so far, and the one a signature
 * binds (SIZE_MAX: none). */
struct subkey_walk {
	struct pgppkt_subkeys sk;
	size_t cur;
};

static int
visit_subkeys(uint8_t tag, const uint8_t *body, size_t blen, size_t npkt,
    void *arg)
{
	struct subkey_walk *w = arg;
	int e;

	switch (tag) {
	case TAG_PUBKEY:
		if (npkt != 0)	/* a second key */
			return CK_ERR_TRAILING;
		break;
	case TAG_PUBSUBKEY:
		if ((e = add_subkey(body, blen, &w->sk)) != CK_OK)
			return e;
		w->cur = w->sk.n - 1;
		break;
	case TAG_SIG:
		if (w->cur != SIZE_MAX &&
		    (e = note_binding(body, blen, &w->sk, w->cur)) != CK_OK)
			return e;
		break;
	case TAG_UID:
	case TAG_UATTR:
		w->cur = SIZE_MAX;
		break;
	default:	/* trust and other packets: not ours to judge */
		break;
	}
	return CK_OK;
}

int
pgppkt_subkeys(const void *key, size_t len, struct pgppkt_subkeys *out)
{
	struct subkey_walk w;
	int e;

	memset(out, 0, sizeof(*out));
	if (isolated.subkeys != NULL)
		return isolated.subkeys(key, len, out);
	if (len > PGPPKT_KEY_MAX)
		return CK_ERR_TOO_LARGE;
	memset(&w, 0, sizeof(w));
	w.cur = SIZE_MAX;
	if ((e = walk_key(key, len, TAG_PUBKEY, visit_subkeys, &w)) == CK_OK)
		*out = w.sk;
	return e;
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

/* The armor blocks a key file may be (RFC 9580 §6.2). */
static const char *const armor_begin[] = {
	"-----BEGIN PGP PUBLIC KEY BLOCK-----",
	"-----BEGIN PGP PRIVATE KEY BLOCK-----",
};
static const char *const armor_end[] = {
	"-----END PGP PUBLIC KEY BLOCK-----",
	"-----END PGP PRIVATE KEY BLOCK-----",
};
enum armor_block { ARMOR_PUBLIC, ARMOR_PRIVATE };

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

/* pgppkt_dearmor_key for block kind; the base64 copy is wiped (a
 * secret key's may be unprotected). */
static int
dearmor(enum armor_block kind, const void *in, size_t len, uint8_t *out,
    size_t outmax, size_t *outlen)
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
			if (line_is(line, llen, armor_begin[kind]))
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
			if (line_is(line, llen, armor_end[kind])) {
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
		sodium_memzero(out, *outlen);
		*outlen = 0;
	}
	if (b64 != NULL)
		sodium_memzero(b64, len + 1);
	free(b64);
	return e;
}

int
pgppkt_dearmor_key(const void *in, size_t len, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	return dearmor(ARMOR_PUBLIC, in, len, out, outmax, outlen);
}

/* A key packet's version: v4 is what the roster holds. */
static int
key_version(const uint8_t *body, size_t blen)
{
	if (blen == 0)
		return CK_ERR_FORMAT;
	if (body[0] == 6)
		return CK_ERR_UNSUPPORTED;
	return body[0] == 4 ? CK_OK : CK_ERR_BAD_VERSION;
}

/* The v4 fingerprint of a key's public part, pub[0..len) (§5.5.4). */
static int
fpr_v4(const uint8_t *pub, size_t len, uint8_t fpr[PGPPKT_FPR_BYTES])
{
	uint8_t hdr[3];
	struct sha1 c;

	if (len > 0xffff)
		return CK_ERR_TOO_LARGE;
	hdr[0] = 0x99;
	hdr[1] = (uint8_t)(len >> 8);
	hdr[2] = (uint8_t)len;
	sha1_init(&c);
	sha1_update(&c, hdr, sizeof(hdr));
	sha1_update(&c, pub, len);
	sha1_final(&c, fpr);
	return CK_OK;
}

int
pgppkt_fingerprint(const void *key, size_t len, uint8_t fpr[PGPPKT_FPR_BYTES])
{
	const uint8_t *body;
	uint8_t tag;
	size_t blen;
	struct rd r;
	int e;

	memset(fpr, 0, PGPPKT_FPR_BYTES);
	if (len > PGPPKT_KEY_MAX)
		return CK_ERR_TOO_LARGE;
	rd_init(&r, key, len);
	if ((e = pkt_next(&r, &tag, &body, &blen)) != CK_OK)
		return e;
	if (body == NULL || tag != TAG_PUBKEY)
		return CK_ERR_FORMAT;
	if ((e = key_version(body, blen)) != CK_OK)
		return e;
	return fpr_v4(body, blen, fpr);
}

/* An MPI (§3.2: a bit count, then its octets) or, oid set, a curve OID
 * (one length octet, 0 and 0xff reserved, then the octets). */
static int
skip_field(struct rd *r, int oid)
{
	const uint8_t *p;
	uint16_t bits;
	uint8_t n;
	size_t len;
	int e;

	if (oid && (e = rd_u8(r, &n)) == CK_OK) {
		len = n;
		if (n == 0 || n == 0xff)
			return CK_ERR_FORMAT;
	} else if (!oid && (e = rd_u16be(r, &bits)) == CK_OK) {
		len = ((size_t)bits + 7) / 8;
	} else {
		return e;
	}
	return rd_ptr(r, &p, len);
}

/*
 * The length of a v4 secret-key packet's public part (§5.5.2-5.5.3): the
 * version, creation time, algorithm and the algorithm's public fields
 * (§5.5.5), which is what the public key's fingerprint hashes. At least
 * the S2K usage octet must follow.
 */
static int
public_part(const uint8_t *body, size_t blen, size_t *publen)
{
	const uint8_t *p;
	uint8_t ver, algo;
	uint32_t created;
	size_t mpis = 0, fixed = 0;
	struct rd r;
	int e, oid = 0;

	if ((e = key_version(body, blen)) != CK_OK)
		return e;
	rd_init(&r, body, blen);
	if ((e = rd_u8(&r, &ver)) != CK_OK ||
	    (e = rd_u32be(&r, &created)) != CK_OK ||
	    (e = rd_u8(&r, &algo)) != CK_OK)
		return e;
	/* The algorithms a primary key may sign with: a key whose primary
	 * cannot is no holder's (crypto/pgp.h CK_ERR_KEY_CANNOT_SIGN). */
	switch (algo) {
	case 1: case 3:		mpis = 2; break;	/* RSA: n, e */
	case 17:		mpis = 4; break;	/* DSA: p, q, g, y */
	case 19: case 22:	oid = 1; mpis = 1; break;	/* ECDSA, EdDSA */
	case 27:		fixed = 32; break;	/* Ed25519 */
	case 28:		fixed = 57; break;	/* Ed448 */
	default:		return CK_ERR_UNSUPPORTED;
	}
	if (oid && (e = skip_field(&r, 1)) != CK_OK)
		return e;
	for (; mpis > 0; mpis--)
		if ((e = skip_field(&r, 0)) != CK_OK)
			return e;
	if (fixed > 0 && (e = rd_ptr(&r, &p, fixed)) != CK_OK)
		return e;
	if (rd_left(&r) == 0)	/* no S2K usage octet */
		return CK_ERR_TRUNCATED;
	*publen = blen - rd_left(&r);
	return CK_OK;
}

/* One secret key's fingerprint into f, once. */
static int
add_fpr(const uint8_t *body, size_t blen, struct pgppkt_fprs *f)
{
	uint8_t fpr[PGPPKT_FPR_BYTES];
	size_t publen = 0, i;
	int e;

	if ((e = public_part(body, blen, &publen)) != CK_OK ||
	    (e = fpr_v4(body, publen, fpr)) != CK_OK)
		return e;
	for (i = 0; i < f->n; i++)
		if (memcmp(f->fpr[i], fpr, sizeof(fpr)) == 0)
			return CK_OK;
	if (f->n == PGPPKT_KEYS_MAX)
		return CK_ERR_TOO_LARGE;
	memcpy(f->fpr[f->n++], fpr, sizeof(fpr));
	return CK_OK;
}

/* A secret key file's packets: each secret key's fingerprint, once. */
static int
visit_secret(uint8_t tag, const uint8_t *body, size_t blen, size_t npkt,
    void *arg)
{
	(void)npkt;
	if (tag == TAG_PUBKEY)	/* a public key is not what a stick brings */
		return CK_ERR_FORMAT;
	return tag == TAG_SECKEY ? add_fpr(body, blen, arg) : CK_OK;
}

int
pgppkt_secret_fprs(const void *file, size_t len, struct pgppkt_fprs *out)
{
	struct pgppkt_fprs f;
	uint8_t *bin = NULL;
	size_t blen = 0;
	int e;

	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	if (len > PGPPKT_ARMOR_MAX)
		return CK_ERR_TOO_LARGE;
	if (len > 0 && (((const uint8_t *)file)[0] & 0x80) != 0)
		e = walk_key(file, len, TAG_SECKEY, visit_secret, &f);
	else if ((bin = malloc(PGPPKT_KEY_MAX)) == NULL)
		return CK_ERR_ALLOC;
	else if ((e = dearmor(ARMOR_PRIVATE, file, len, bin, PGPPKT_KEY_MAX,
	    &blen)) == CK_OK)
		e = walk_key(bin, blen, TAG_SECKEY, visit_secret, &f);
	if (bin != NULL)
		sodium_memzero(bin, blen);
	free(bin);
	if (e == CK_OK)
		*out = f;
	return e;
}

int
pgppkt_keyfile_fprs(int fd, size_t size, struct pgppkt_fprs *out)
{
	struct secbuf b = { 0 };
	int e;

	memset(out, 0, sizeof(*out));
	if (isolated.keyfile != NULL)
		return isolated.keyfile(fd, out);
	if (size > PGPPKT_ARMOR_MAX)
		return CK_ERR_TOO_LARGE;
	if ((e = secbuf_read_fd(&b, fd, size)) == CK_OK)
		e = pgppkt_secret_fprs(b.p, b.len, out);
	secbuf_free(&b);
	return e;
}
