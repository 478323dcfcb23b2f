/*
 * media/png: the writer's files read back; every colour type, bit depth
 * and row filter of the reader against PNGs built here from the spec (the
 * forward filters and chunk layout written out again, independently of
 * media/png.c); and each refusal with its error. libpng's own files are
 * read in tests/regress/qr.sh (qrencode(1) writes them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "crypto/errors.h"
#include "media/png.h"

/* A PNG under construction. */
struct pb {
	uint8_t buf[1 << 16];
	size_t len;
};

static void
be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
chunk(struct pb *b, const char *type, const void *data, size_t n)
{
	uLong crc;

	assert_true(b->len + n + 12 <= sizeof(b->buf));
	be32(b->buf + b->len, (uint32_t)n);
	memcpy(b->buf + b->len + 4, type, 4);
	if (n > 0)
		memcpy(b->buf + b->len + 8, data, n);
	crc = crc32(0, b->buf + b->len + 4, (uInt)(n + 4));
	be32(b->buf + b->len + 8 + n, (uint32_t)crc);
	b->len += n + 12;
}

static void
start(struct pb *b, uint32_t w, uint32_t h, uint8_t depth, uint8_t ctype,
    uint8_t interlace)
{
	uint8_t ihdr[13];

	memcpy(b->buf, "\x89PNG\r\n\x1a\n", 8);
	b->len = 8;
	be32(ihdr, w);
	be32(ihdr + 4, h);
	ihdr[8] = depth;
	ihdr[9] = ctype;
	ihdr[10] = ihdr[11] = 0;
	ihdr[12] = interlace;
	chunk(b, "IHDR", ihdr, sizeof(ihdr));
}

static uint8_t
paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Append the rows of raw (h rows of rb bytes) filtered with f to out. */
static size_t
filter_rows(uint8_t *out, size_t o, const uint8_t *raw, size_t rb, size_t h,
    size_t bpp, int f)
{
	size_t y, i;

	for (y = 0; y < h; y++) {
		const uint8_t *cur = raw + y * rb, *up = y > 0 ? cur - rb : NULL;

		out[o++] = (uint8_t)f;
		for (i = 0; i < rb; i++) {
			int a = i >= bpp ? cur[i - bpp] : 0, u = up ? up[i] : 0,
			    c = i >= bpp && up ? up[i - bpp] : 0, pred;

			pred = f == 0 ? 0 : f == 1 ? a : f == 2 ? u :
			    f == 3 ? (a + u) / 2 : paeth(a, u, c);
			out[o++] = (uint8_t)(cur[i] - pred);
		}
	}
	return o;
}

static void
compressed_idat(struct pb *b, const uint8_t *out, size_t o)
{
	uint8_t z[8192];
	uLongf zl = sizeof(z);

	assert_int_equal(compress(z, &zl, out, o), Z_OK);
	chunk(b, "IDAT", z, zl);
}

/* Filter rows of raw (h rows of rb bytes) with filter f, compress, IDAT. */
static void
idat(struct pb *b, const uint8_t *raw, size_t rb, size_t h, size_t bpp, int f)
{
	uint8_t out[8192];

	compressed_idat(b, out, filter_rows(out, 0, raw, rb, h, bpp, f));
}

static int
decode(const struct pb *b, uint8_t **pix, int *w, int *h)
{
	return png_gray_decode(b->buf, b->len, 64, pix, w, h);
}

static void
written_files_read_back(void **state)
{
	static const int sizes[][2] = { { 1, 1 }, { 3, 7 }, { 100, 37 }, { 64, 64 } };
	uint8_t *pix, *png = NULL, *back = NULL;
	size_t i, n, len;
	int w, h;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = (size_t)sizes[i][0] * sizes[i][1];
		assert_non_null(pix = malloc(n));
		for (size_t k = 0; k < n; k++)
			pix[k] = (uint8_t)(k * 37 + 11);
		assert_int_equal(png_gray_encode(pix, sizes[i][0], sizes[i][1], &png,
		    &len), CK_OK);
		assert_int_equal(png_gray_decode(png, len, 100, &back, &w, &h), CK_OK);
		assert_int_equal(w, sizes[i][0]);
		assert_int_equal(h, sizes[i][1]);
		assert_memory_equal(back, pix, n);
		free(pix);
		free(png);
		free(back);
	}
	assert_int_equal(png_gray_encode((const uint8_t *)"", 0, 1, &png, &len),
	    CK_ERR_INVALID_ARG);
	assert_null(png);
}

/*
 * Two pixels, black then white (or opaque then transparent), in every
 * colour type and depth, through every filter: gray 0 then 255.
 */
static void
every_type_depth_and_filter(void **state)
{
	struct {
		uint8_t ctype, depth;
		size_t rb, bpp;
		uint8_t row[16];
	} c[] = {
		{ 0, 1, 1, 1, { 0x40 } },			/* 0, 1 */
		{ 0, 2, 1, 1, { 0x30 } },			/* 0, 3 */
		{ 0, 4, 1, 1, { 0x0f } },
		{ 0, 8, 2, 1, { 0, 255 } },
		{ 0, 16, 4, 2, { 0, 0, 255, 255 } },
		{ 2, 8, 6, 3, { 0, 0, 0, 255, 255, 255 } },
		{ 2, 16, 12, 6, { 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255 } },
		{ 3, 1, 1, 1, { 0x40 } },			/* index 0, 1 */
		{ 3, 2, 1, 1, { 0x10 } },
		{ 3, 4, 1, 1, { 0x01 } },
		{ 3, 8, 2, 1, { 0, 1 } },
		{ 4, 8, 4, 2, { 0, 255, 0, 0 } },		/* black; black, clear */
		{ 4, 16, 8, 4, { 0, 0, 255, 255, 0, 0, 0, 0 } },
		{ 6, 8, 8, 4, { 0, 0, 0, 255, 0, 0, 0, 0 } },
		{ 6, 16, 16, 8, { 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0 } },
	};
	static const uint8_t plte[6] = { 0, 0, 0, 255, 255, 255 };
	uint8_t raw[32], *pix;
	struct pb b;
	size_t i;
	int f, w, h;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		for (f = 0; f <= 4; f++) {
			start(&b, 2, 2, c[i].depth, c[i].ctype, 0);
			if (c[i].ctype == 3)
				chunk(&b, "PLTE", plte, sizeof(plte));
			chunk(&b, "tEXt", "Comment\0skipped", 15);
			memcpy(raw, c[i].row, c[i].rb);		/* two equal rows */
			memcpy(raw + c[i].rb, c[i].row, c[i].rb);
			idat(&b, raw, c[i].rb, 2, c[i].bpp, f);
			chunk(&b, "IEND", NULL, 0);
			assert_int_equal(decode(&b, &pix, &w, &h), CK_OK);
			assert_int_equal(w, 2);
			assert_int_equal(h, 2);
			assert_int_equal(pix[0], 0);
			assert_int_equal(pix[1], 255);
			assert_int_equal(pix[3], 255);
			free(pix);
		}
}

/*
 * Adam7: a 7x5 8-bit gray image, pixel (x, y) = 16y + x, split into its
 * seven passes (the spec's table, written out here), each filtered on its
 * own, one pass with every filter type.
 */
static void
interlaced(void **state)
{
	static const int x0[7] = { 0, 4, 0, 2, 0, 1, 0 }, y0[7] = { 0, 0, 4, 0, 2, 0, 1 },
	    dx[7] = { 8, 8, 4, 4, 2, 2, 1 }, dy[7] = { 8, 8, 8, 4, 4, 2, 2 };
	uint8_t out[1024], sub[64], *pix;
	size_t o = 0, n, x, y;
	struct pb b;
	int p, w, h;

	(void)state;
	start(&b, 7, 5, 8, 0, 1);
	for (p = 0; p < 7; p++) {
		n = 0;
		for (y = (size_t)y0[p]; y < 5; y += (size_t)dy[p])
			for (x = (size_t)x0[p]; x < 7; x += (size_t)dx[p])
				sub[n++] = (uint8_t)(16 * y + x);
		if (n == 0)
			continue;	/* an empty pass has no rows */
		w = (7 - x0[p] + dx[p] - 1) / dx[p];
		o = filter_rows(out, o, sub, (size_t)w, n / (size_t)w, 1, p % 5);
	}
	compressed_idat(&b, out, o);
	chunk(&b, "IEND", NULL, 0);
	assert_int_equal(decode(&b, &pix, &w, &h), CK_OK);
	assert_int_equal(w, 7);
	assert_int_equal(h, 5);
	for (y = 0; y < 5; y++)
		for (x = 0; x < 7; x++)
			assert_int_equal(pix[y * 7 + x], 16 * y + x);
	free(pix);
}

/* A valid 2x1 8-bit gray PNG, for breaking. */
static void
small(struct pb *b)
{
	static const uint8_t raw[2] = { 7, 9 };

	start(b, 2, 1, 8, 0, 0);
	idat(b, raw, 2, 1, 1, 0);
	chunk(b, "IEND", NULL, 0);
}

static void
refusals(void **state)
{
	static const uint8_t raw[2] = { 7, 9 }, tr[2] = { 0, 7 };
	uint8_t *pix = (uint8_t *)1, z[64];
	uLongf zl = sizeof(z);
	struct pb b;
	size_t n;
	int w, h;

	(void)state;
	small(&b);
	assert_int_equal(decode(&b, &pix, &w, &h), CK_OK);
	free(pix);
	b.buf[0] = 'G';
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_BAD_MAGIC);
	assert_null(pix);
	small(&b);
	b.buf[8 + 8 + 3] ^= 1;				/* IHDR data, CRC stale */
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_FORMAT);
	small(&b);
	for (n = 0; n < b.len; n++)			/* every truncation */
		assert_int_not_equal(png_gray_decode(b.buf, n, 64, &pix, &w, &h), CK_OK);
	assert_int_equal(png_gray_decode(b.buf, b.len - 1, 64, &pix, &w, &h),
	    CK_ERR_TRUNCATED);
	b.buf[b.len++] = 0;
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_TRAILING);

	start(&b, 65, 1, 8, 0, 0);			/* over max_side */
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_TOO_LARGE);
	start(&b, 2, 1, 8, 0, 2);			/* no interlace method 2 */
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_FORMAT);
	start(&b, 2, 1, 3, 0, 0);			/* depth 3 */
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_FORMAT);
	start(&b, 2, 1, 16, 3, 0);			/* 16-bit palette */
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_FORMAT);

	start(&b, 2, 1, 8, 0, 0);			/* unknown critical chunk */
	chunk(&b, "ABCD", NULL, 0);
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_UNSUPPORTED);
	start(&b, 2, 1, 8, 3, 0);			/* palette image, no PLTE */
	idat(&b, raw, 2, 1, 1, 0);
	chunk(&b, "IEND", NULL, 0);
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_FORMAT);
	start(&b, 2, 1, 8, 3, 0);			/* index past the palette */
	chunk(&b, "PLTE", "\0\0\0", 3);
	idat(&b, tr, 2, 1, 1, 0);
	chunk(&b, "IEND", NULL, 0);
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_FORMAT);
	start(&b, 2, 1, 8, 0, 0);			/* filter type 5 */
	idat(&b, raw, 2, 1, 1, 5);
	chunk(&b, "IEND", NULL, 0);
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_FORMAT);
	start(&b, 2, 2, 8, 0, 0);			/* one row short */
	idat(&b, raw, 2, 1, 1, 0);
	chunk(&b, "IEND", NULL, 0);
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_FORMAT);
	start(&b, 1, 1, 8, 0, 0);			/* one row too many */
	idat(&b, raw, 1, 2, 1, 0);
	chunk(&b, "IEND", NULL, 0);
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_FORMAT);
	start(&b, 2, 1, 8, 0, 0);			/* IDATs not consecutive */
	assert_int_equal(compress(z, &zl, (const uint8_t *)"\0\7\11", 3), Z_OK);
	chunk(&b, "IDAT", z, 4);
	chunk(&b, "tEXt", "a\0b", 3);
	chunk(&b, "IDAT", z + 4, zl - 4);
	chunk(&b, "IEND", NULL, 0);
	assert_int_equal(decode(&b, &pix, &w, &h), CK_ERR_FORMAT);
	start(&b, 2, 1, 8, 0, 0);			/* split IDATs are fine */
	chunk(&b, "IDAT", z, 4);
	chunk(&b, "IDAT", z + 4, zl - 4);
	chunk(&b, "IEND", NULL, 0);
	assert_int_equal(decode(&b, &pix, &w, &h), CK_OK);
	assert_int_equal(pix[0], 7);
	assert_int_equal(pix[1], 9);
	free(pix);
	start(&b, 2, 1, 8, 0, 0);			/* transparent gray key */
	chunk(&b, "tRNS", "\0\7", 2);
	chunk(&b, "IDAT", z, zl);
	chunk(&b, "IEND", NULL, 0);
	assert_int_equal(decode(&b, &pix, &w, &h), CK_OK);
	assert_int_equal(pix[0], 255);			/* on white */
	assert_int_equal(pix[1], 9);
	free(pix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(written_files_read_back),
		cmocka_unit_test(every_type_depth_and_filter),
		cmocka_unit_test(interlaced),
		cmocka_unit_test(refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
