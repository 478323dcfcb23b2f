/*
 * Fountain-coded frames (format in fountain.h and docs/qr.md).
 *
 * Parser limits, all checked before any allocation: a frame is exactly
 * FTN_OVERHEAD + fraglen bytes, fraglen in [FTN_MIN_FRAGMENT,
 * FTN_MAX_FRAGMENT], msglen in [1, FTN_MAX_MESSAGE], and the implied
 * fragment count at most FTN_MAX_FRAGMENTS. A decoder holds at most k pivot
 * rows of fraglen bytes plus, for mixed rows only, k coefficient bytes.
 *
 * Decoding is incremental Gaussian elimination over GF(256): each frame is
 * reduced against the pivot rows held so far (rows in echelon form, pivot
 * coefficient 1, nothing left of it) and kept if anything remains. Systematic
 * frames are unit rows and cost nothing to keep. At rank k the rows are
 * back-substituted into the fragments and the digest is checked.
 * Work per frame is O(k * (k + fraglen)), which the limits keep bounded.
 */
#include "media/fountain.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/errors.h"

static const uint8_t ftn_magic[2] = { 'C', 'Q' };
/* Domain separation for the coefficient seed of mixed frames. */
static const char ftn_mix_label[] = "conclave fountain v1 mix";

/* GF(256) with the polynomial x^8+x^4+x^3+x^2+1 (0x11d), generator 2. */
static uint8_t gf_exp[512];
static uint8_t gf_log[256];
static int gf_ready;

static void
gf_init(void)
{
	unsigned int i, x = 1;

	if (gf_ready)
		return;
	for (i = 0; i < 255; i++) {
		gf_exp[i] = (uint8_t)x;
		gf_log[x] = (uint8_t)i;
		x <<= 1;
		if (x & 0x100)
			x ^= 0x11d;
	}
	for (i = 255; i < 512; i++)
		gf_exp[i] = gf_exp[i - 255];
	gf_ready = 1;
}

static uint8_t
gf_inv(uint8_t a)
{
	return gf_exp[255 - gf_log[a]];
}

/* dst ^= f * src over n bytes. */
static void
gf_muladd(uint8_t *dst, const uint8_t *src, uint8_t f, size_t n)
{
	size_t i;
	unsigned int lf;

	if (f == 0)
		return;
	if (f == 1) {
		for (i = 0; i < n; i++)
			dst[i] ^= src[i];
		return;
	}
	lf = gf_log[f];
	for (i = 0; i < n; i++)
		if (src[i] != 0)
			dst[i] ^= gf_exp[lf + gf_log[src[i]]];
}

static void
gf_scale(uint8_t *buf, uint8_t f, size_t n)
{
	size_t i;
	unsigned int lf = gf_log[f];

	if (f == 1)
		return;
	for (i = 0; i < n; i++)
		if (buf[i] != 0)
			buf[i] = gf_exp[lf + gf_log[buf[i]]];
}

/* The nonzero coefficients of mixed frame index, same on both sides. */
static void
mix_coefficients(const uint8_t id[FTN_ID_LEN], uint32_t index, uint8_t *c,
    uint32_t k)
{
	uint8_t seed[randombytes_SEEDBYTES], ib[4];
	crypto_generichash_state st;
	uint32_t j;

	ib[0] = (uint8_t)(index >> 24);
	ib[1] = (uint8_t)(index >> 16);
	ib[2] = (uint8_t)(index >> 8);
	ib[3] = (uint8_t)index;
	crypto_generichash_init(&st, NULL, 0, sizeof(seed));
	crypto_generichash_update(&st, (const uint8_t *)ftn_mix_label,
	    sizeof(ftn_mix_label) - 1);
	crypto_generichash_update(&st, id, FTN_ID_LEN);
	crypto_generichash_update(&st, ib, sizeof(ib));
	crypto_generichash_final(&st, seed, sizeof(seed));
	randombytes_buf_deterministic(c, k, seed);
	for (j = 0; j < k; j++)
		c[j] = (uint8_t)(1 + c[j] % 255);
}

static void
frame_check(const uint8_t *buf, size_t len, uint8_t out[FTN_CHECK_LEN])
{
	uint8_t h[crypto_generichash_BYTES_MIN];

	crypto_generichash(h, sizeof(h), buf, len, NULL, 0);
	memcpy(out, h, FTN_CHECK_LEN);
}

int
ftn_fragment_count(size_t msglen, size_t fraglen, uint32_t *k)
{
	size_t n;

	*k = 0;
	if (fraglen < FTN_MIN_FRAGMENT || fraglen > FTN_MAX_FRAGMENT)
		return CK_ERR_INVALID_ARG;
	if (msglen > FTN_MAX_MESSAGE)
		return CK_ERR_TOO_LARGE;
	n = (msglen + FTN_DIGEST_LEN + fraglen - 1) / fraglen;
	if (n > FTN_MAX_FRAGMENTS)
		return CK_ERR_TOO_LARGE;
	*k = (uint32_t)n;
	return CK_OK;
}

int
ftn_frame_parse(const uint8_t *buf, size_t len, struct ftn_frame *f)
{
	struct rd r;
	const uint8_t *magic, *check;
	uint8_t ver, want[FTN_CHECK_LEN];
	uint32_t k;
	int e;

	memset(f, 0, sizeof(*f));
	rd_init(&r, buf, len);
	if ((e = rd_ptr(&r, &magic, sizeof(ftn_magic))) != CK_OK)
		return e;
	if (memcmp(magic, ftn_magic, sizeof(ftn_magic)) != 0)
		return CK_ERR_BAD_MAGIC;
	if ((e = rd_u8(&r, &ver)) != CK_OK)
		return e;
	if (ver != FTN_VERSION)
		return CK_ERR_BAD_VERSION;
	if ((e = rd_bytes(&r, f->id, FTN_ID_LEN)) != CK_OK ||
	    (e = rd_u32be(&r, &f->msglen)) != CK_OK ||
	    (e = rd_u16be(&r, &f->fraglen)) != CK_OK ||
	    (e = rd_u32be(&r, &f->index)) != CK_OK)
		return e;
	if (f->msglen > FTN_MAX_MESSAGE || f->fraglen > FTN_MAX_FRAGMENT)
		return CK_ERR_TOO_LARGE;
	if (f->msglen == 0 || f->fraglen < FTN_MIN_FRAGMENT)
		return CK_ERR_FORMAT;
	if ((e = ftn_fragment_count(f->msglen, f->fraglen, &k)) != CK_OK)
		return e;
	if ((e = rd_ptr(&r, &f->payload, f->fraglen)) != CK_OK ||
	    (e = rd_ptr(&r, &check, FTN_CHECK_LEN)) != CK_OK ||
	    (e = rd_end(&r)) != CK_OK)
		return e;
	frame_check(buf, len - FTN_CHECK_LEN, want);
	if (sodium_memcmp(want, check, FTN_CHECK_LEN) != 0)
		return CK_ERR_QR_CHECKSUM;
	return CK_OK;
}

/* ---- encoder ---- */

struct ftn_encoder {
	uint8_t id[FTN_ID_LEN];
	uint32_t msglen;
	uint32_t k;
	uint16_t fraglen;
	uint8_t *data;		/* k * fraglen: message, digest, zero padding */
	uint8_t *coef;		/* k bytes of scratch for mixed frames */
};

int
ftn_encoder_new(const uint8_t *msg, size_t len, size_t fraglen,
    struct ftn_encoder **out)
{
	struct ftn_encoder *e = NULL;
	uint32_t k;
	int r = CK_ERR_INTERNAL;

	*out = NULL;
	gf_init();
	if (len == 0)
		return CK_ERR_INVALID_ARG;
	if ((r = ftn_fragment_count(len, fraglen, &k)) != CK_OK)
		return r;
	r = CK_ERR_ALLOC;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->data = calloc(k, fraglen)) == NULL ||
	    (e->coef = malloc(k)) == NULL)
		goto out;
	e->msglen = (uint32_t)len;
	e->k = k;
	e->fraglen = (uint16_t)fraglen;
	memcpy(e->data, msg, len);
	crypto_generichash(e->data + len, FTN_DIGEST_LEN, msg, len, NULL, 0);
	memcpy(e->id, e->data + len, FTN_ID_LEN);
	*out = e;
	e = NULL;
	r = CK_OK;
out:
	ftn_encoder_free(e);
	return r;
}

void
ftn_encoder_free(struct ftn_encoder *e)
{
	if (e == NULL)
		return;
	free(e->data);
	free(e->coef);
	free(e);
}

uint32_t
ftn_encoder_fragments(const struct ftn_encoder *e)
{
	return e->k;
}

size_t
ftn_encoder_frame_len(const struct ftn_encoder *e)
{
	return FTN_OVERHEAD + (size_t)e->fraglen;
}

const uint8_t *
ftn_encoder_id(const struct ftn_encoder *e)
{
	return e->id;
}

static void
put_be(uint8_t *p, uint32_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int
ftn_encoder_frame(const struct ftn_encoder *e, uint32_t index, uint8_t *buf,
    size_t cap)
{
	size_t L = e->fraglen, flen = ftn_encoder_frame_len(e);
	uint8_t *p = buf + FTN_HEADER_LEN;
	uint32_t j;

	if (cap < flen)
		return CK_ERR_INVALID_ARG;
	memcpy(buf, ftn_magic, sizeof(ftn_magic));
	buf[2] = FTN_VERSION;
	memcpy(buf + 3, e->id, FTN_ID_LEN);
	put_be(buf + 11, e->msglen, 4);
	put_be(buf + 15, e->fraglen, 2);
	put_be(buf + 17, index, 4);
	if (index < e->k) {
		memcpy(p, e->data + (size_t)index * L, L);
	} else {
		memset(p, 0, L);
		mix_coefficients(e->id, index, e->coef, e->k);
		for (j = 0; j < e->k; j++)
			gf_muladd(p, e->data + (size_t)j * L, e->coef[j], L);
	}
	frame_check(buf, flen - FTN_CHECK_LEN, buf + flen - FTN_CHECK_LEN);
	return CK_OK;
}

/* ---- decoder ---- */

struct ftn_row {
	uint8_t *coef;		/* k coefficients, NULL for a unit row */
	uint8_t *data;		/* fraglen bytes; NULL while no pivot here */
};

struct ftn_decoder {
	uint32_t limit;		/* longest message accepted */
	int locked;
	uint8_t id[FTN_ID_LEN];
	uint32_t msglen;
	uint16_t fraglen;
	uint32_t k;
	struct ftn_row *rows;	/* rows[j]: the pivot row whose leading column is j */
	uint8_t *coef;		/* scratch: the incoming row */
	uint8_t *data;		/* scratch: the incoming payload */
	uint8_t *message;	/* msglen bytes once complete */
	struct ftn_progress prog;
};

int
ftn_decoder_new(struct ftn_decoder **out)
{
	*out = NULL;
	gf_init();
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return CK_ERR_ALLOC;
	(*out)->limit = FTN_MAX_MESSAGE;
	return CK_OK;
}

void
ftn_decoder_set_limit(struct ftn_decoder *d, uint32_t max)
{
	d->limit = max < FTN_MAX_MESSAGE ? max : FTN_MAX_MESSAGE;
}

/* Drop the locked message and everything learnt about it. */
static void
decoder_clear(struct ftn_decoder *d)
{
	uint32_t j;

	if (d->rows != NULL)
		for (j = 0; j < d->k; j++) {
			free(d->rows[j].coef);
			free(d->rows[j].data);
		}
	free(d->rows);
	free(d->coef);
	free(d->data);
	free(d->message);
	d->rows = NULL;
	d->coef = d->data = d->message = NULL;
	d->locked = 0;
	d->k = 0;
	d->prog.fragments = d->prog.recovered = 0;
	d->prog.complete = 0;
}

void
ftn_decoder_free(struct ftn_decoder *d)
{
	if (d == NULL)
		return;
	decoder_clear(d);
	free(d);
}

static int
decoder_lock(struct ftn_decoder *d, const struct ftn_frame *f)
{
	uint32_t k;
	int e;

	if ((e = ftn_fragment_count(f->msglen, f->fraglen, &k)) != CK_OK)
		return e;
	if ((d->rows = calloc(k, sizeof(*d->rows))) == NULL ||
	    (d->coef = malloc(k)) == NULL ||
	    (d->data = malloc(f->fraglen)) == NULL) {
		decoder_clear(d);
		return CK_ERR_ALLOC;
	}
	memcpy(d->id, f->id, FTN_ID_LEN);
	d->msglen = f->msglen;
	d->fraglen = f->fraglen;
	d->k = k;
	d->locked = 1;
	d->prog.fragments = k;
	return CK_OK;
}

/*
 * Reduce the scratch row against the pivots; return its leading column,
 * or k if nothing is left (the frame added no information).
 */
static uint32_t
decoder_reduce(struct ftn_decoder *d)
{
	uint32_t j;
	uint8_t c;

	for (j = 0; j < d->k; j++) {
		if ((c = d->coef[j]) == 0)
			continue;
		if (d->rows[j].data == NULL)
			return j;
		if (d->rows[j].coef != NULL)
			gf_muladd(d->coef + j, d->rows[j].coef + j, c, d->k - j);
		else
			d->coef[j] = 0;
		gf_muladd(d->data, d->rows[j].data, c, d->fraglen);
	}
	return d->k;
}

/* Keep the scratch row as the pivot of column lead (normalised to 1). */
static int
decoder_keep(struct ftn_decoder *d, uint32_t lead)
{
	struct ftn_row *row = &d->rows[lead];
	uint8_t inv = gf_inv(d->coef[lead]);
	uint32_t j;
	int unit = 1;

	for (j = lead + 1; j < d->k && unit; j++)
		unit = d->coef[j] == 0;
	gf_scale(d->data, inv, d->fraglen);
	if ((row->data = malloc(d->fraglen)) == NULL)
		return CK_ERR_ALLOC;
	memcpy(row->data, d->data, d->fraglen);
	if (!unit) {
		gf_scale(d->coef + lead, inv, d->k - lead);
		if ((row->coef = malloc(d->k)) == NULL) {
			free(row->data);
			row->data = NULL;
			return CK_ERR_ALLOC;
		}
		memcpy(row->coef, d->coef, d->k);
	}
	return CK_OK;
}

/* Back-substitute (all k pivots present), then check the digest. */
static int
decoder_finish(struct ftn_decoder *d)
{
	uint8_t digest[FTN_DIGEST_LEN], *all = NULL;
	size_t L = d->fraglen, j, l, end;
	int r = CK_ERR_INTERNAL;

	for (j = d->k; j-- > 0;) {
		if (d->rows[j].coef == NULL)
			continue;
		for (l = j + 1; l < d->k; l++)
			gf_muladd(d->rows[j].data, d->rows[l].data,
			    d->rows[j].coef[l], L);
	}
	if ((all = malloc((size_t)d->k * L)) == NULL)
		return CK_ERR_ALLOC;
	for (j = 0; j < d->k; j++)
		memcpy(all + j * L, d->rows[j].data, L);
	crypto_generichash(digest, sizeof(digest), all, d->msglen, NULL, 0);
	r = CK_ERR_QR_DIGEST;
	if (sodium_memcmp(digest, all + d->msglen, FTN_DIGEST_LEN) != 0 ||
	    memcmp(digest, d->id, FTN_ID_LEN) != 0)
		goto out;
	/* Padding must be zero so that one message has one encoding. */
	end = (size_t)d->k * L;
	for (l = d->msglen + FTN_DIGEST_LEN; l < end; l++)
		if (all[l] != 0)
			goto out;
	d->message = all;
	all = NULL;
	d->prog.complete = 1;
	r = CK_OK;
out:
	free(all);
	return r;
}

static int
decoder_take(struct ftn_decoder *d, const struct ftn_frame *f)
{
	uint32_t lead;
	int e;

	memcpy(d->data, f->payload, d->fraglen);
	if (f->index < d->k) {
		memset(d->coef, 0, d->k);
		d->coef[f->index] = 1;
	} else {
		mix_coefficients(d->id, f->index, d->coef, d->k);
	}
	lead = decoder_reduce(d);
	d->prog.frames_seen++;
	if (lead == d->k)
		return CK_OK;
	if ((e = decoder_keep(d, lead)) != CK_OK)
		return e;
	d->prog.frames_useful++;
	d->prog.recovered++;
	if (d->prog.recovered < d->k)
		return CK_OK;
	if ((e = decoder_finish(d)) != CK_OK) {
		/* Some frame with a valid checksum lied: start over. */
		decoder_clear(d);
		return e;
	}
	return CK_OK;
}

int
ftn_decoder_add(struct ftn_decoder *d, const uint8_t *frame, size_t len)
{
	struct ftn_frame f;
	int e;

	if ((e = ftn_frame_parse(frame, len, &f)) != CK_OK)
		goto bad;
	if (f.msglen > d->limit) {
		e = CK_ERR_TOO_LARGE;
		goto bad;
	}
	if (d->locked && memcmp(f.id, d->id, FTN_ID_LEN) != 0) {
		e = CK_ERR_QR_OTHER_MESSAGE;
		goto bad;
	}
	if (d->locked && (f.msglen != d->msglen || f.fraglen != d->fraglen)) {
		e = CK_ERR_QR_INCONSISTENT;
		goto bad;
	}
	if (!d->locked && (e = decoder_lock(d, &f)) != CK_OK)
		goto bad;
	if (d->prog.complete) {
		d->prog.frames_seen++;
		return CK_OK;
	}
	if ((e = decoder_take(d, &f)) != CK_OK)
		goto bad;
	return CK_OK;
bad:
	d->prog.frames_rejected++;
	return e;
}

void
ftn_decoder_progress(const struct ftn_decoder *d, struct ftn_progress *p)
{
	*p = d->prog;
}

int
ftn_decoder_id(const struct ftn_decoder *d, uint8_t id[FTN_ID_LEN])
{
	if (!d->locked)
		return CK_ERR_STATE;
	memcpy(id, d->id, FTN_ID_LEN);
	return CK_OK;
}

int
ftn_decoder_message(const struct ftn_decoder *d, uint8_t **msg, size_t *len)
{
	*msg = NULL;
	*len = 0;
	if (!d->prog.complete)
		return CK_ERR_STATE;
	if ((*msg = malloc(d->msglen)) == NULL)
		return CK_ERR_ALLOC;
	memcpy(*msg, d->message, d->msglen);
	*len = d->msglen;
	return CK_OK;
}
