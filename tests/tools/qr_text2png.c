/*
 * Test-only: what a terminal shows, as the picture a camera would take.
 *   qr_text2png DIR SCREEN...   each SCREEN (a terminal's text, e.g. from
 *                               tmux capture-pane) as DIR/NAME.png
 * A cell is 4 pixels wide and 8 tall, its upper and lower halves lit as
 * the half-block glyphs say (light glyphs on a dark background, as the
 * appliance draws codes: ' ' dark, U+2580 upper, U+2584 lower, U+2588
 * both); any other character is dark (text is not part of a code). So
 * the shell tests can scan the codes the guided UI draws with the
 * programs' own readers. Never part of either program.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/errors.h"
#include "media/file.h"
#include "media/qr.h"

#define CELL_W	4
#define HALF_H	4
#define MAX_SCREEN	(1u << 20)
#define MAX_CELLS	1024

/* Lit halves of the cell starting at p (bit 1 upper, bit 0 lower) and its
 * length in bytes. */
static int
cell(const uint8_t *p, const uint8_t *end, size_t *n)
{
	if (end - p >= 3 && p[0] == 0xe2 && p[1] == 0x96) {
		*n = 3;
		return p[2] == 0x80 ? 2 : p[2] == 0x84 ? 1 : p[2] == 0x88 ? 3 : 0;
	}
	/* one cell of anything else: skip its UTF-8 continuation bytes */
	for (*n = 1; p + *n < end && (p[*n] & 0xc0) == 0x80; (*n)++)
		;
	return 0;
}

static int
convert(int dfd, const char *path)
{
	struct qr_image *img = NULL;
	uint8_t *t = NULL;
	size_t len = 0, n;
	int rows = 0, cols = 0, x, y, c, r;
	const uint8_t *p, *end;
	char name[256];
	const char *base = strrchr(path, '/');

	if ((r = file_read(AT_FDCWD, path, MAX_SCREEN, &t, &len)) != CK_OK)
		goto out;
	end = t + len;
	/* the picture's size: lines, and the widest line in cells */
	for (p = t, x = 0; p < end; p += n) {
		if (*p == '\n') {
			n = 1;
			rows++;
			x = 0;
			continue;
		}
		(void)cell(p, end, &n);
		if (++x > cols)
			cols = x;
	}
	if (x > 0)
		rows++;		/* a last line without its newline */
	if (rows == 0 || cols == 0 || cols > MAX_CELLS || rows > MAX_CELLS) {
		r = CK_ERR_FORMAT;
		goto out;
	}
	if ((r = qr_image_new(cols * CELL_W, rows * 2 * HALF_H, &img)) != CK_OK)
		goto out;
	memset(img->pix, 0, (size_t)img->w * (size_t)img->h);
	for (p = t, x = 0, y = 0; p < end && y < rows; p += n) {
		int dy, dx;

		if (*p == '\n') {
			n = 1;
			y++;
			x = 0;
			continue;
		}
		c = cell(p, end, &n);
		for (dy = 0; dy < 2 * HALF_H; dy++)
			for (dx = 0; dx < CELL_W; dx++)
				if (c & (dy < HALF_H ? 2 : 1))
					img->pix[(size_t)(y * 2 * HALF_H + dy) *
					    (size_t)img->w + (size_t)(x * CELL_W + dx)] = 255;
		x++;
	}
	snprintf(name, sizeof(name), "%s.png", base != NULL ? base + 1 : path);
	r = qr_png_write(img, dfd, name);
out:
	if (r != CK_OK)
		fprintf(stderr, "qr_text2png: %s: %s\n", path, ck_strerror(r));
	qr_image_free(img);
	free(t);
	return r;
}

int
main(int argc, char **argv)
{
	int dfd = -1, i, bad = 0, r;

	if (argc < 3) {
		fprintf(stderr, "usage: qr_text2png DIR SCREEN...\n");
		return 2;
	}
	if ((r = file_open_dir(AT_FDCWD, argv[1], FILE_CREATE, 0755, &dfd)) != CK_OK) {
		fprintf(stderr, "qr_text2png: %s: %s\n", argv[1], ck_strerror(r));
		return 1;
	}
	for (i = 2; i < argc; i++)
		bad |= convert(dfd, argv[i]) != CK_OK;
	close(dfd);
	return bad;
}
