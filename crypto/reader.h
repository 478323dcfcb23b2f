/*
 * The one bounded reader for untrusted bytes (house style rule 14).
 * Everything that arrives from a stick, a QR code or the server passes
 * through these calls: every read checks the bytes left, numbers are
 * big-endian, and callers finish with rd_end() so trailing data is an error.
 * A reader never owns its buffer.
 */
#ifndef CONCLAVE_READER_H
#define CONCLAVE_READER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/errors.h"

struct rd {
	const uint8_t *p;
	size_t left;
};

void rd_init(struct rd *r, const void *buf, size_t len);
size_t rd_left(const struct rd *r);
int rd_u8(struct rd *r, uint8_t *v) CK_WUR;
int rd_u16be(struct rd *r, uint16_t *v) CK_WUR;
int rd_u32be(struct rd *r, uint32_t *v) CK_WUR;
int rd_u64be(struct rd *r, uint64_t *v) CK_WUR;
int rd_bytes(struct rd *r, void *dst, size_t n) CK_WUR;
/* Borrow n bytes in place (no copy); *out points into the buffer. */
int rd_ptr(struct rd *r, const uint8_t **out, size_t n) CK_WUR;
/*
 * Borrow the bytes up to the next '\n' (*line, *len, newline excluded) and
 * consume the newline too. CK_ERR_TOO_LARGE when the line is longer than
 * max; CK_ERR_TRUNCATED when no newline follows (a torn last line). The
 * cursor does not move on error.
 */
int rd_line(struct rd *r, size_t max, const uint8_t **line, size_t *len) CK_WUR;
/* CK_ERR_TRAILING unless every byte was consumed. */
int rd_end(const struct rd *r) CK_WUR;

/*
 * All of an open file handed over as untrusted input (the appliance's
 * parser child reads every file it is given here): at most max bytes into
 * a malloc'd buffer (*out, with one NUL byte after *len; free()).
 * CK_ERR_TOO_LARGE when there is more, CK_ERR_IO when the read fails.
 * The opener checked it regular (media/file.h file_open_read); fd stays
 * open.
 */
int rd_fd(int fd, size_t max, uint8_t **out, size_t *len) CK_WUR;

/*
 * Strict JSON: at most maxlen bytes, one value, no duplicate object keys,
 * no NUL, nothing after the value. Returns CK_ERR_TOO_LARGE,
 * CK_ERR_DUPLICATE_KEY or CK_ERR_JSON.
 */
int rd_json(const void *buf, size_t len, size_t maxlen, json_t **out) CK_WUR;

/* Valid, minimal UTF-8 (no surrogates, nothing above U+10FFFF): CK_OK or
 * CK_ERR_ENCODING. Control characters are allowed; see below for text. */
int rd_utf8(const void *buf, size_t len) CK_WUR;

/*
 * Valid UTF-8 with no control characters (newline allowed only when
 * allow_newline): what may reach a screen or a transcript's text fields.
 */
int rd_printable_utf8(const void *buf, size_t len, int allow_newline) CK_WUR;

/*
 * Drops a character that snprintf's clipping cut short at the end of s,
 * so a clipped valid string stays valid UTF-8.
 */
void rd_utf8_cut(char *s);

/* Decimal unsigned integer, whole string, within [min, max]. */
int rd_parse_uint(const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out) CK_WUR;
/* "WxH" (a terminal's cells, a screen's pixels), each within [1, max]. */
int rd_parse_size(const char *s, unsigned long long max,
    unsigned long long *w, unsigned long long *h) CK_WUR;

#endif
