/*
 * Limits: the reader itself has none beyond the buffer it is given; each
 * format names its own maxima next to its parser. rd_json refuses inputs
 * over the caller's cap before jansson sees a byte.
 */
#include "crypto/reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/errors.h"

void
rd_init(struct rd *r, const void *buf, size_t len)
{
	r->p = buf;
	r->left = buf != NULL ? len : 0;
}

size_t
rd_left(const struct rd *r)
{
	return r->left;
}

int
rd_ptr(struct rd *r, const uint8_t **out, size_t n)
{
	if (n > r->left)
		return CK_ERR_TRUNCATED;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return CK_OK;
}

int
rd_bytes(struct rd *r, void *dst, size_t n)
{
	const uint8_t *p;
	int e;

	if ((e = rd_ptr(r, &p, n)) != CK_OK)
		return e;
	if (n > 0)
		memcpy(dst, p, n);
	return CK_OK;
}

static int
rd_be(struct rd *r, size_t n, uint64_t *v)
{
	const uint8_t *p;
	size_t i;
	int e;

	if ((e = rd_ptr(r, &p, n)) != CK_OK)
		return e;
	*v = 0;
	for (i = 0; i < n; i++)
		*v = (*v << 8) | p[i];
	return CK_OK;
}

int
rd_u8(struct rd *r, uint8_t *v)
{
	uint64_t x;
	int e = rd_be(r, 1, &x);

	if (e == CK_OK)
		*v = (uint8_t)x;
	return e;
}

int
rd_u16be(struct rd *r, uint16_t *v)
{
	uint64_t x;
	int e = rd_be(r, 2, &x);

	if (e == CK_OK)
		*v = (uint16_t)x;
	return e;
}

int
rd_u32be(struct rd *r, uint32_t *v)
{
	uint64_t x;
	int e = rd_be(r, 4, &x);

	if (e == CK_OK)
		*v = (uint32_t)x;
	return e;
}

int
rd_u64be(struct rd *r, uint64_t *v)
{
	return rd_be(r, 8, v);
}

int
rd_line(struct rd *r, size_t max, const uint8_t **line, size_t *len)
{
	const uint8_t *nl;
	size_t n;

	nl = r->left > 0 ? memchr(r->p, '\n', r->left) : NULL;
	n = nl != NULL ? (size_t)(nl - r->p) : r->left;
	if (n > max)
		return CK_ERR_TOO_LARGE;
	if (nl == NULL)
		return CK_ERR_TRUNCATED;
	*line = r->p;
	*len = n;
	r->p += n + 1;
	r->left -= n + 1;
	return CK_OK;
}

int
rd_end(const struct rd *r)
{
	return r->left == 0 ? CK_OK : CK_ERR_TRAILING;
}

int
rd_fd(int fd, size_t max, uint8_t **out, size_t *len)
{
	uint8_t *buf = NULL, *nb;
	size_t got = 0, cap = 0;
	ssize_t n;
	int e = CK_ERR_IO;

	*out = NULL;
	*len = 0;
	if (max > SIZE_MAX / 2)
		return CK_ERR_INVALID_ARG;
	/* Up to one byte more than max, so that a larger file is noticed. */
	for (;;) {
		if (got == cap) {
			if (cap > max) {
				e = CK_ERR_TOO_LARGE;
				goto fail;
			}
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > max + 1)
				cap = max + 1;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				e = CK_ERR_ALLOC;
				goto fail;
			}
			buf = nb;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > max) {
		e = CK_ERR_TOO_LARGE;
		goto fail;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return CK_OK;
fail:
	free(buf);
	return e;
}

int
rd_json(const void *buf, size_t len, size_t maxlen, json_t **out)
{
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	if (len > maxlen)
		return CK_ERR_TOO_LARGE;
	if (memchr(buf, '\0', len) != NULL)
		return CK_ERR_JSON;
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return json_error_code(&jerr) == json_error_duplicate_key ?
		    CK_ERR_DUPLICATE_KEY : CK_ERR_JSON;
	*out = j;
	return CK_OK;
}

/* Length of the UTF-8 sequence at p, or 0 if it is not minimal and valid. */
static size_t
utf8_seq(const uint8_t *p, size_t left, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Valid UTF-8 throughout; when printable, no controls either. */
static int
utf8_check(const uint8_t *p, size_t len, int printable, int allow_newline)
{
	uint32_t cp;
	size_t n;

	while (len > 0) {
		if ((n = utf8_seq(p, len, &cp)) == 0)
			return CK_ERR_ENCODING;
		/* C0, DEL and C1 controls could drive a terminal. */
		if (printable && ((cp < 0x20 && !(allow_newline && cp == '\n')) ||
		    (cp >= 0x7f && cp < 0xa0)))
			return CK_ERR_NOT_PRINTABLE;
		p += n;
		len -= n;
	}
	return CK_OK;
}

int
rd_utf8(const void *buf, size_t len)
{
	return utf8_check(buf, len, 0, 0);
}

int
rd_printable_utf8(const void *buf, size_t len, int allow_newline)
{
	return utf8_check(buf, len, 1, allow_newline);
}

void
rd_utf8_cut(char *s)
{
	size_t n = strlen(s), k = n;

	while (k > 0 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
		k--;	/* continuation bytes at the end */
	if (k > 0 && (unsigned char)s[k - 1] >= 0xc0) {
		unsigned char lead = (unsigned char)s[k - 1];
		size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;

		if (n - (k - 1) < want)
			s[k - 1] = '\0';	/* the last character was cut */
	}
}

int
rd_parse_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return CK_ERR_FORMAT;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return CK_ERR_FORMAT;
	*out = v;
	return CK_OK;
}

int
rd_parse_size(const char *s, unsigned long long max, unsigned long long *w,
    unsigned long long *h)
{
	const char *x = strchr(s, 'x');
	char buf[24];

	if (x == NULL || (size_t)(x - s) >= sizeof(buf))
		return CK_ERR_FORMAT;
	memcpy(buf, s, (size_t)(x - s));
	buf[x - s] = '\0';
	if (rd_parse_uint(buf, 1, max, w) != CK_OK ||
	    rd_parse_uint(x + 1, 1, max, h) != CK_OK)
		return CK_ERR_FORMAT;
	return CK_OK;
}
