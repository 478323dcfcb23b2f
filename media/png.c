#include "media/png.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "crypto/reader.h"

#define SIG		"\x89PNG\r\n\x1a\n"
#define SIG_BYTES	8
#define CHUNK_MAX	0x7fffffffu		/* PNG's own limit */

enum ctype { GRAY = 0, RGB = 2, PALETTE = 3, GRAY_ALPHA = 4, RGBA = 6 };

struct dec {
	uint32_t w, h;
	uint8_t depth, ctype, interlace;
	size_t channels, bits, rowbytes, bpp;	/* bpp: filter distance in bytes */
	uint8_t pal[256][3];
	uint8_t pal_alpha[256];
	size_t npal;
	int has_key;
	uint16_t key[3];		/* tRNS colour key, as stored */
	const uint8_t *idat;		/* the first IDAT chunk's length field */
	size_t idat_left;		/* bytes from there to the end */
};

/* ---- writing ---- */

static uint8_t *
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

/* length | type | data | CRC of type and data */
static uint8_t *
put_chunk(uint8_t *p, const char *type, const uint8_t *data, uint32_t len)
{
	uLong crc = crc32(0, (const Bytef *)type, 4);

	p = put_u32(p, len);
	memcpy(p, type, 4);
	if (len > 0) {
		memcpy(p + 4, data, len);
		crc = crc32(crc, data, len);
	}
	return put_u32(p + 4 + len, (uint32_t)crc);
}

int
png_gray_encode(const uint8_t *pix, int w, int h, uint8_t **out, size_t *outlen)
{
	uint8_t ihdr[13], *raw = NULL, *z = NULL, *buf = NULL, *p;
	size_t rawlen, y;
	uLongf zlen;
	int r = CK_ERR_ALLOC;

	*out = NULL;
	*outlen = 0;
	if (w <= 0 || h <= 0 || w > 65535 || h > 65535)
		return CK_ERR_INVALID_ARG;
	rawlen = (size_t)h * ((size_t)w + 1);
	if ((raw = malloc(rawlen)) == NULL)
		goto out;
	for (y = 0; y < (size_t)h; y++) {	/* filter 0 (None) on every row */
		raw[y * ((size_t)w + 1)] = 0;
		memcpy(raw + y * ((size_t)w + 1) + 1, pix + y * (size_t)w, (size_t)w);
	}
	zlen = compressBound(rawlen);
	if ((z = malloc(zlen)) == NULL)
		goto out;
	if (compress2(z, &zlen, raw, rawlen, Z_BEST_COMPRESSION) != Z_OK ||
	    zlen > CHUNK_MAX) {
		r = CK_ERR_INTERNAL;
		goto out;
	}
	put_u32(put_u32(ihdr, (uint32_t)w), (uint32_t)h);
	ihdr[8] = 8;		/* bit depth */
	ihdr[9] = GRAY;
	ihdr[10] = ihdr[11] = ihdr[12] = 0;	/* deflate, filter set 0, no interlace */
	if ((buf = malloc(SIG_BYTES + 3 * 12 + sizeof(ihdr) + zlen)) == NULL)
		goto out;
	memcpy(buf, SIG, SIG_BYTES);
	p = put_chunk(buf + SIG_BYTES, "IHDR", ihdr, sizeof(ihdr));
	p = put_chunk(p, "IDAT", z, (uint32_t)zlen);
	p = put_chunk(p, "IEND", NULL, 0);
	*out = buf;
	*outlen = (size_t)(p - buf);
	buf = NULL;
	r = CK_OK;
out:
	free(raw);
	free(z);
	free(buf);
	return r;
}

/* ---- reading: the chunks ---- */

struct chunk {
	uint8_t type[4];
	const uint8_t *data;
	uint32_t len;
};

/* One chunk, its CRC checked. */
static int
next_chunk(struct rd *r, struct chunk *c)
{
	const uint8_t *type;
	uint32_t crc;
	size_t i;
	int e;

	if ((e = rd_u32be(r, &c->len)) != CK_OK)
		return e;
	if (c->len > CHUNK_MAX)
		return CK_ERR_FORMAT;
	if ((e = rd_ptr(r, &type, 4)) != CK_OK ||
	    (e = rd_ptr(r, &c->data, c->len)) != CK_OK ||
	    (e = rd_u32be(r, &crc)) != CK_OK)
		return e;
	memcpy(c->type, type, 4);
	for (i = 0; i < 4; i++)
		if (!((type[i] >= 'A' && type[i] <= 'Z') ||
		    (type[i] >= 'a' && type[i] <= 'z')))
			return CK_ERR_FORMAT;
	if (crc32(crc32(0, type, 4), c->data, c->len) != crc)
		return CK_ERR_FORMAT;
	return CK_OK;
}

static int
is(const struct chunk *c, const char *type)
{
	return memcmp(c->type, type, 4) == 0;
}

static int
read_ihdr(const struct chunk *c, int max_side, struct dec *d)
{
	static const uint8_t ok_depths[7] = {
		[GRAY] = 1 | 2 | 4 | 8 | 16, [RGB] = 8 | 16,
		[PALETTE] = 1 | 2 | 4 | 8, [GRAY_ALPHA] = 8 | 16, [RGBA] = 8 | 16 };
	static const uint8_t channels[7] = { 1, 0, 3, 1, 2, 0, 4 };
	const uint8_t *p = c->data;
	size_t bits;

	if (!is(c, "IHDR") || c->len != 13)
		return CK_ERR_FORMAT;
	d->w = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	d->h = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	d->depth = p[8];
	d->ctype = p[9];
	/* depth is one of 1, 2, 4, 8, 16: one bit, which the mask must have */
	if (d->w == 0 || d->h == 0 || d->w > CHUNK_MAX || d->h > CHUNK_MAX ||
	    d->ctype > RGBA || channels[d->ctype] == 0 || d->depth == 0 ||
	    (d->depth & (d->depth - 1)) != 0 || (d->depth & ok_depths[d->ctype]) == 0 ||
	    p[10] != 0 || p[11] != 0 || p[12] > 1)
		return CK_ERR_FORMAT;
	if (d->w > (uint32_t)max_side || d->h > (uint32_t)max_side)
		return CK_ERR_TOO_LARGE;
	d->interlace = p[12];
	d->channels = channels[d->ctype];
	bits = d->channels * d->depth;
	d->bits = bits;
	d->rowbytes = ((size_t)d->w * bits + 7) / 8;
	d->bpp = bits >= 8 ? bits / 8 : 1;
	memset(d->pal_alpha, 255, sizeof(d->pal_alpha));
	return CK_OK;
}

static int
read_plte(const struct chunk *c, struct dec *d)
{
	size_t i;

	if (d->npal != 0 || d->ctype == GRAY || d->ctype == GRAY_ALPHA ||
	    c->len == 0 || c->len % 3 != 0 || c->len / 3 > 256 ||
	    (d->ctype == PALETTE && c->len / 3 > (1u << d->depth)))
		return CK_ERR_FORMAT;
	d->npal = c->len / 3;
	for (i = 0; i < d->npal; i++)
		memcpy(d->pal[i], c->data + 3 * i, 3);
	return CK_OK;
}

static int
read_trns(const struct chunk *c, struct dec *d)
{
	size_t i;

	if (d->has_key)
		return CK_ERR_FORMAT;
	switch (d->ctype) {
	case PALETTE:
		if (d->npal == 0 || c->len > d->npal)
			return CK_ERR_FORMAT;
		memcpy(d->pal_alpha, c->data, c->len);
		break;
	case GRAY:
	case RGB:
		if (c->len != (d->ctype == GRAY ? 2u : 6u))
			return CK_ERR_FORMAT;
		for (i = 0; i < c->len / 2; i++)
			d->key[i] = (uint16_t)(c->data[2 * i] << 8 | c->data[2 * i + 1]);
		break;
	default:
		return CK_ERR_FORMAT;	/* alpha types have their own */
	}
	d->has_key = 1;
	return CK_OK;
}

/* Walk every chunk once: what they say, and where the IDATs are. */
static int
read_chunks(const uint8_t *buf, size_t len, int max_side, struct dec *d)
{
	enum { BEFORE, IN_IDAT, AFTER_IDAT } at = BEFORE;
	struct chunk c;
	struct rd r;
	size_t n;
	int e;

	if (len < SIG_BYTES || memcmp(buf, SIG, SIG_BYTES) != 0)
		return CK_ERR_BAD_MAGIC;
	rd_init(&r, buf + SIG_BYTES, len - SIG_BYTES);
	if ((e = next_chunk(&r, &c)) != CK_OK ||
	    (e = read_ihdr(&c, max_side, d)) != CK_OK)
		return e;
	for (;;) {
		const uint8_t *here = buf + (len - rd_left(&r));

		n = rd_left(&r);
		if ((e = next_chunk(&r, &c)) != CK_OK)
			return e;
		if (is(&c, "IDAT")) {
			if (at == AFTER_IDAT || (d->ctype == PALETTE && d->npal == 0))
				return CK_ERR_FORMAT;
			if (at == BEFORE) {
				d->idat = here;
				d->idat_left = n;
			}
			at = IN_IDAT;
			continue;
		}
		if (at == IN_IDAT)
			at = AFTER_IDAT;
		if (is(&c, "IEND"))
			break;
		if (is(&c, "PLTE") || is(&c, "tRNS")) {
			if (at != BEFORE)
				return CK_ERR_FORMAT;
			e = is(&c, "PLTE") ? read_plte(&c, d) : read_trns(&c, d);
			if (e != CK_OK)
				return e;
		} else if (is(&c, "IHDR")) {
			return CK_ERR_FORMAT;
		} else if (c.type[0] >= 'A' && c.type[0] <= 'Z') {
			return CK_ERR_UNSUPPORTED;	/* a critical chunk we do not know */
		}
	}
	if (c.len != 0 || at != AFTER_IDAT)
		return CK_ERR_FORMAT;
	return rd_end(&r);
}

/* ---- reading: the pixels ---- */

struct inflater {
	z_stream z;
	struct rd chunks;	/* from the first IDAT on */
	int ended;		/* the zlib stream has ended */
};

/* The next IDAT's bytes as input; CK_ERR_FORMAT when the IDATs are over
 * (next_chunk cannot fail: read_chunks walked them all). */
static int
feed(struct inflater *in)
{
	struct chunk c;

	if (next_chunk(&in->chunks, &c) != CK_OK || !is(&c, "IDAT"))
		return CK_ERR_FORMAT;
	in->z.next_in = (Bytef *)(uintptr_t)c.data;
	in->z.avail_in = c.len;
	return CK_OK;
}

/* Exactly n bytes of the decompressed image into dst. */
static int
inflate_exact(struct inflater *in, uint8_t *dst, size_t n)
{
	int zr;

	in->z.next_out = dst;
	in->z.avail_out = (uInt)n;
	while (in->z.avail_out > 0) {
		if (in->ended)
			return CK_ERR_FORMAT;	/* the data ends early */
		if (in->z.avail_in == 0) {
			if (feed(in) != CK_OK)
				return CK_ERR_FORMAT;
			continue;
		}
		zr = inflate(&in->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			in->ended = 1;
		else if (zr != Z_OK)
			return CK_ERR_FORMAT;
	}
	return CK_OK;
}

/* After the last row: the stream ends, with no byte more, and nothing
 * but empty IDATs after it. */
static int
inflate_done(struct inflater *in)
{
	struct chunk c;
	uint8_t extra;
	int zr;

	while (!in->ended) {
		if (in->z.avail_in == 0) {
			if (feed(in) != CK_OK)
				return CK_ERR_FORMAT;	/* no end of stream */
			continue;
		}
		in->z.next_out = &extra;
		in->z.avail_out = 1;
		zr = inflate(&in->z, Z_NO_FLUSH);
		if (in->z.avail_out == 0 || (zr != Z_OK && zr != Z_STREAM_END))
			return CK_ERR_FORMAT;	/* more data, or an error */
		in->ended = zr == Z_STREAM_END;
	}
	if (in->z.avail_in != 0)
		return CK_ERR_FORMAT;
	while (next_chunk(&in->chunks, &c) == CK_OK && is(&c, "IDAT"))
		if (c.len != 0)
			return CK_ERR_FORMAT;
	return CK_OK;
}

static uint8_t
paeth(uint8_t a, uint8_t b, uint8_t c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

/* Undo row filter f on cur against prev (n bytes, bpp apart). */
static int
unfilter(uint8_t f, uint8_t *cur, const uint8_t *prev, size_t n, size_t bpp)
{
	size_t i;

	switch (f) {
	case 0:
		break;
	case 1:
		for (i = bpp; i < n; i++)
			cur[i] = (uint8_t)(cur[i] + cur[i - bpp]);
		break;
	case 2:
		for (i = 0; i < n; i++)
			cur[i] = (uint8_t)(cur[i] + prev[i]);
		break;
	case 3:
		for (i = 0; i < n; i++)
			cur[i] = (uint8_t)(cur[i] + (((i >= bpp ? cur[i - bpp] : 0) +
			    prev[i]) >> 1));
		break;
	case 4:
		for (i = 0; i < n; i++)
			cur[i] = (uint8_t)(cur[i] + paeth(i >= bpp ? cur[i - bpp] : 0,
			    prev[i], i >= bpp ? prev[i - bpp] : 0));
		break;
	default:
		return CK_ERR_FORMAT;
	}
	return CK_OK;
}

/* Sample k (counting every channel of every pixel) of a row, as stored. */
static unsigned
sample(const struct dec *d, const uint8_t *row, size_t k)
{
	size_t bit;

	if (d->depth == 16)
		return (unsigned)row[2 * k] << 8 | row[2 * k + 1];
	if (d->depth == 8)
		return row[k];
	bit = k * d->depth;
	return (row[bit / 8] >> (8 - d->depth - bit % 8)) & ((1u << d->depth) - 1);
}

/* A stored sample as 8 bits. */
static unsigned
to8(const struct dec *d, unsigned v)
{
	if (d->depth == 16)
		return v >> 8;
	return d->depth == 8 ? v : v * 255 / ((1u << d->depth) - 1);
}

/* One row of w pixels to gray on white, every step-th byte of out. */
static int
to_gray(const struct dec *d, const uint8_t *row, size_t w, uint8_t *out,
    size_t step)
{
	unsigned s[4], rgb[3], a, y, c;
	size_t x;

	for (x = 0; x < w; x++) {
		for (c = 0; c < d->channels; c++)
			s[c] = sample(d, row, x * d->channels + c);
		a = 255;
		switch (d->ctype) {
		case GRAY:
			rgb[0] = rgb[1] = rgb[2] = to8(d, s[0]);
			if (d->has_key && s[0] == d->key[0])
				a = 0;
			break;
		case RGB:
			for (c = 0; c < 3; c++)
				rgb[c] = to8(d, s[c]);
			if (d->has_key && s[0] == d->key[0] && s[1] == d->key[1] &&
			    s[2] == d->key[2])
				a = 0;
			break;
		case PALETTE:
			if (s[0] >= d->npal)
				return CK_ERR_FORMAT;
			for (c = 0; c < 3; c++)
				rgb[c] = d->pal[s[0]][c];
			a = d->pal_alpha[s[0]];
			break;
		case GRAY_ALPHA:
			rgb[0] = rgb[1] = rgb[2] = to8(d, s[0]);
			a = to8(d, s[1]);
			break;
		default:	/* RGBA */
			for (c = 0; c < 3; c++)
				rgb[c] = to8(d, s[c]);
			a = to8(d, s[3]);
			break;
		}
		y = (2126 * rgb[0] + 7152 * rgb[1] + 722 * rgb[2] + 5000) / 10000;
		out[x * step] = (uint8_t)((y * a + 255 * (255 - a) + 127) / 255);
	}
	return CK_OK;
}

/*
 * The passes of an image: one for a plain image, Adam7's seven (each a
 * sub-image of every xstep-th pixel from xstart on, of every ystep-th row
 * from ystart on) for an interlaced one.
 */
static const struct pass {
	uint8_t x0, y0, xstep, ystep;
} plain[1] = { { 0, 0, 1, 1 } }, adam7[7] = {
	{ 0, 0, 8, 8 }, { 4, 0, 8, 8 }, { 0, 4, 4, 8 }, { 2, 0, 4, 4 },
	{ 0, 2, 2, 4 }, { 1, 0, 2, 2 }, { 0, 1, 1, 2 },
};

/* Every row of one pass: inflate, unfilter (a pass starts with a zero
 * previous row), turn to gray into its pixels of img. */
static int
decode_pass(const struct dec *d, const struct pass *ps, struct inflater *in,
    uint8_t *cur, uint8_t *prev, uint8_t *img)
{
	size_t pw, ph, rb, y;
	uint8_t *t;
	int r;

	if (d->w <= ps->x0 || d->h <= ps->y0)
		return CK_OK;		/* an empty pass has no rows at all */
	pw = (d->w - ps->x0 + ps->xstep - 1) / ps->xstep;
	ph = (d->h - ps->y0 + ps->ystep - 1) / ps->ystep;
	rb = (pw * d->bits + 7) / 8;
	memset(prev, 0, rb + 1);
	for (y = 0; y < ph; y++) {
		/* byte 0: the filter type; prev[0] is never read */
		if ((r = inflate_exact(in, cur, rb + 1)) != CK_OK ||
		    (r = unfilter(cur[0], cur + 1, prev + 1, rb, d->bpp)) != CK_OK ||
		    (r = to_gray(d, cur + 1, pw, img + (ps->y0 + y * ps->ystep) *
		    (size_t)d->w + ps->x0, ps->xstep)) != CK_OK)
			return r;
		t = prev;
		prev = cur;
		cur = t;
	}
	return CK_OK;
}

int
png_gray_decode(const uint8_t *buf, size_t len, int max_side, uint8_t **pix,
    int *w, int *h)
{
	const struct pass *passes;
	struct dec d;
	struct inflater in;
	uint8_t *cur = NULL, *prev = NULL, *img = NULL;
	size_t i, npass;
	int zinit = 0, r;

	*pix = NULL;
	*w = *h = 0;
	memset(&d, 0, sizeof(d));
	memset(&in, 0, sizeof(in));
	if ((r = read_chunks(buf, len, max_side, &d)) != CK_OK)
		return r;
	r = CK_ERR_ALLOC;
	if ((cur = malloc(d.rowbytes + 1)) == NULL ||
	    (prev = calloc(1, d.rowbytes + 1)) == NULL ||
	    (img = malloc((size_t)d.w * d.h)) == NULL)
		goto out;
	if (inflateInit(&in.z) != Z_OK)
		goto out;
	zinit = 1;
	rd_init(&in.chunks, d.idat, d.idat_left);
	passes = d.interlace ? adam7 : plain;
	npass = d.interlace ? 7 : 1;
	for (i = 0; i < npass; i++)
		if ((r = decode_pass(&d, &passes[i], &in, cur, prev, img)) != CK_OK)
			goto out;
	if ((r = inflate_done(&in)) != CK_OK)
		goto out;
	*pix = img;
	*w = (int)d.w;
	*h = (int)d.h;
	img = NULL;
	r = CK_OK;
out:
	if (zinit)
		inflateEnd(&in.z);
	free(cur);
	free(prev);
	free(img);
	return r;
}
