/*
 * The typesetter (see doc.h). Layout in PostScript points; one pango
 * layout per block, measured before it is drawn so that a block never
 * straddles a page. Sizes: body 11 pt, footer and labels 10 pt, words to
 * read aloud 13 pt bold; margins 18 mm.
 */
#include "paper/doc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "crypto/errors.h"
#include "crypto/reader.h"
#include "media/file.h"

#define MM	(72.0 / 25.4)
#define MARGIN	(18 * MM)
#define FOOT	(12 * MM)	/* reserved at the foot of each page */
#define FONT	"DejaVu Sans"
#define MONO	"DejaVu Sans Mono"
#define BODY_PT	11
#define SMALL_PT	10	/* nothing smaller, for photocopies */
#define WORDS_PT	13
#define LINE_W	0.8	/* rules and boxes */

struct paper {
	cairo_surface_t *surface;
	cairo_t *cr;
	double w, h;		/* page size */
	double y;		/* next free row */
	unsigned page;
	int blank;		/* nothing drawn on this page yet */
	char footer[160];
	int fd;
	int write_failed;
	char *path;		/* removed again if anything fails */
};

/* cairo's output, straight to the file we created. */
static cairo_status_t
write_out(void *closure, const unsigned char *data, unsigned int len)
{
	struct paper *p = closure;

	if (file_write_all(p->fd, data, len) != CK_OK) {
		p->write_failed = 1;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

static double
text_width(const struct paper *p)
{
	return p->w - 2 * MARGIN;
}

static double
bottom(const struct paper *p)
{
	return p->h - MARGIN - FOOT;
}

static void
foot(struct paper *p)
{
	PangoLayout *l = pango_cairo_create_layout(p->cr);
	PangoFontDescription *fd = pango_font_description_from_string(FONT);
	char num[32];
	int tw, th;

	pango_font_description_set_absolute_size(fd, SMALL_PT * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_layout_set_text(l, p->footer, -1);
	pango_layout_set_width(l, (int)(text_width(p) * 0.8 * PANGO_SCALE));
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	cairo_move_to(p->cr, MARGIN, p->h - MARGIN - SMALL_PT);
	pango_cairo_show_layout(p->cr, l);
	snprintf(num, sizeof(num), "page %u", p->page);
	pango_layout_set_text(l, num, -1);
	pango_layout_set_width(l, -1);
	pango_layout_get_size(l, &tw, &th);
	cairo_move_to(p->cr, p->w - MARGIN - (double)tw / PANGO_SCALE,
	    p->h - MARGIN - SMALL_PT);
	pango_cairo_show_layout(p->cr, l);
	pango_font_description_free(fd);
	g_object_unref(l);
}

void
paper_page(struct paper *p)
{
	if (p->blank)
		return;
	foot(p);
	cairo_show_page(p->cr);
	p->page++;
	p->y = MARGIN;
	p->blank = 1;
}

void
paper_need(struct paper *p, double height)
{
	if (p->y + height > bottom(p))
		paper_page(p);
}

void
paper_skip(struct paper *p, double height)
{
	p->y += height;
	if (p->y > bottom(p))
		paper_page(p);
}

/* A layout of text in font at size (points), wrapped to width. */
static PangoLayout *
layout(struct paper *p, const char *font, double size, int bold,
    const char *text, double width, PangoWrapMode wrap)
{
	PangoLayout *l = pango_cairo_create_layout(p->cr);
	PangoFontDescription *fd = pango_font_description_from_string(font);

	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	if (bold)
		pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_wrap(l, wrap);
	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	/* Callers pass checked text; anything else never reaches pango. */
	if (rd_printable_utf8(text, strlen(text), 1) != CK_OK)
		text = "(not shown: not printable text)";
	pango_layout_set_text(l, text, -1);
	return l;
}

static double
height_of(PangoLayout *l)
{
	int w, h;

	pango_layout_get_size(l, &w, &h);
	return (double)h / PANGO_SCALE;
}

/* Draw l at (x, p->y) after making room; returns its height. */
static double
place(struct paper *p, PangoLayout *l, double x, int advance)
{
	double h = height_of(l);

	paper_need(p, h);
	cairo_move_to(p->cr, x, p->y);
	pango_cairo_show_layout(p->cr, l);
	p->blank = 0;
	if (advance)
		p->y += h;
	return h;
}

static void
block(struct paper *p, const char *font, double size, int bold,
    const char *text, PangoWrapMode wrap, double after)
{
	PangoLayout *l = layout(p, font, size, bold, text, text_width(p), wrap);

	place(p, l, MARGIN, 1);
	g_object_unref(l);
	p->y += after;
}

void
paper_title(struct paper *p, const char *text)
{
	block(p, FONT, 20, 1, text, PANGO_WRAP_WORD, 10);
}

void
paper_heading(struct paper *p, const char *text)
{
	paper_need(p, 60);	/* no heading alone at the foot of a page */
	p->y += 6;
	block(p, FONT, 14, 1, text, PANGO_WRAP_WORD, 6);
}

void
paper_text(struct paper *p, const char *text)
{
	block(p, FONT, BODY_PT, 0, text, PANGO_WRAP_WORD, 4);
}

void
paper_strong(struct paper *p, const char *text)
{
	block(p, FONT, BODY_PT, 1, text, PANGO_WRAP_WORD, 4);
}

void
paper_mono(struct paper *p, const char *text)
{
	block(p, MONO, BODY_PT, 0, text, PANGO_WRAP_CHAR, 4);
}

void
paper_words(struct paper *p, const char *words)
{
	char buf[512];
	size_t i, o = 0, n = 0;

	/* Four words a line, so that a reader keeps their place. */
	for (i = 0; words[i] != '\0' && o + 2 < sizeof(buf); i++) {
		if (words[i] == ' ' && ++n % 4 == 0)
			buf[o++] = '\n';
		else
			buf[o++] = words[i];
	}
	buf[o] = '\0';
	block(p, MONO, WORDS_PT, 1, buf, PANGO_WRAP_WORD, 6);
}

static void
field(struct paper *p, const char *label, const char *value, const char *font)
{
	double lw = text_width(p) * 0.3, h1, h2;
	PangoLayout *a = layout(p, FONT, BODY_PT, 1, label, lw - 6,
	    PANGO_WRAP_WORD_CHAR);
	PangoLayout *b = layout(p, font, BODY_PT, 0, value,
	    text_width(p) - lw, PANGO_WRAP_WORD_CHAR);

	h1 = height_of(a);
	h2 = height_of(b);
	paper_need(p, h1 > h2 ? h1 : h2);
	place(p, a, MARGIN, 0);
	place(p, b, MARGIN + lw, 0);
	p->y += (h1 > h2 ? h1 : h2) + 3;
	g_object_unref(a);
	g_object_unref(b);
}

void
paper_field(struct paper *p, const char *label, const char *value)
{
	field(p, label, value, FONT);
}

void
paper_field_mono(struct paper *p, const char *label, const char *value)
{
	field(p, label, value, MONO);
}

static void
hline(struct paper *p, double x0, double x1, double y)
{
	cairo_set_line_width(p->cr, LINE_W);
	cairo_move_to(p->cr, x0, y);
	cairo_line_to(p->cr, x1, y);
	cairo_stroke(p->cr);
}

static void
box(struct paper *p, double x, double y, double w, double h)
{
	cairo_set_line_width(p->cr, LINE_W);
	cairo_rectangle(p->cr, x, y, w, h);
	cairo_stroke(p->cr);
}

void
paper_blank(struct paper *p, const char *label, unsigned lines)
{
	unsigned i;

	paper_need(p, 16 + 24.0 * lines);
	block(p, FONT, SMALL_PT, 1, label, PANGO_WRAP_WORD, 0);
	for (i = 0; i < lines; i++) {
		p->y += 24;
		hline(p, MARGIN, p->w - MARGIN, p->y);
	}
	p->y += 8;
}

void
paper_step(struct paper *p, unsigned number, const char *who,
    const char *where)
{
	char num[16], head[512];
	PangoLayout *n, *h;
	double nh;

	paper_need(p, 110);	/* the heading with some of its step */
	p->y += 8;
	paper_rule(p);
	snprintf(num, sizeof(num), "%u", number);
	snprintf(head, sizeof(head), "%s\n%s", who, where);
	n = layout(p, FONT, 18, 1, num, 40, PANGO_WRAP_WORD);
	h = layout(p, FONT, BODY_PT, 1, head, text_width(p) - 48,
	    PANGO_WRAP_WORD);
	nh = height_of(h);
	box(p, MARGIN, p->y, 36, 30);
	cairo_move_to(p->cr, MARGIN + 18 - height_of(n) * 0.35 *
	    (number > 9 ? 1.6 : 0.9), p->y + 2);
	pango_cairo_show_layout(p->cr, n);
	cairo_move_to(p->cr, MARGIN + 48, p->y);
	pango_cairo_show_layout(p->cr, h);
	p->blank = 0;
	p->y += (nh > 30 ? nh : 30) + 4;
	g_object_unref(n);
	g_object_unref(h);
}

void
paper_tick(struct paper *p, const char *label, unsigned n_initials)
{
	const double bs = 14, iw = 34, tw = 64;
	double x = MARGIN, right = p->w - MARGIN, lw;
	PangoLayout *l;
	unsigned i;

	if (n_initials > 8)
		n_initials = 8;
	lw = right - x - bs - 8 - tw - 40 - n_initials * (iw + 4) - 60;
	l = layout(p, FONT, SMALL_PT, 0, label, lw, PANGO_WRAP_WORD_CHAR);
	paper_need(p, height_of(l) > 22 ? height_of(l) + 6 : 28);
	box(p, x, p->y + 1, bs, bs);
	place(p, l, x + bs + 8, 0);
	g_object_unref(l);
	x = right - n_initials * (iw + 4) - 60 - tw;
	l = layout(p, FONT, SMALL_PT, 0, "time", 40, PANGO_WRAP_WORD);
	cairo_move_to(p->cr, x - 30, p->y + 3);
	pango_cairo_show_layout(p->cr, l);
	g_object_unref(l);
	box(p, x, p->y - 2, tw, 20);
	x += tw + 8;
	if (n_initials > 0) {
		l = layout(p, FONT, SMALL_PT, 0, "initials", 60, PANGO_WRAP_WORD);
		cairo_move_to(p->cr, x, p->y + 3);
		pango_cairo_show_layout(p->cr, l);
		g_object_unref(l);
		x += 52;
	}
	for (i = 0; i < n_initials; i++, x += iw + 4)
		box(p, x, p->y - 2, iw, 20);
	p->y += 26;
}

void
paper_signature(struct paper *p, const char *name, const char *role)
{
	char who[256];
	double sx = MARGIN + text_width(p) * 0.62;

	paper_need(p, 64);
	p->y += 34;
	hline(p, MARGIN, sx - 20, p->y);
	hline(p, sx, p->w - MARGIN, p->y);
	p->y += 3;
	if (name[0] == '\0')	/* someone not named in advance */
		snprintf(who, sizeof(who), "name: ____________________ (%s)", role);
	else
		snprintf(who, sizeof(who), "%s (%s)", name, role);
	block(p, FONT, SMALL_PT, 0, who, PANGO_WRAP_WORD_CHAR, 0);
	p->y -= SMALL_PT * 1.2;
	{
		PangoLayout *l = layout(p, FONT, SMALL_PT, 0, "date and time",
		    120, PANGO_WRAP_WORD);

		cairo_move_to(p->cr, sx, p->y);
		pango_cairo_show_layout(p->cr, l);
		p->y += height_of(l) + 4;
		g_object_unref(l);
	}
}

void
paper_rule(struct paper *p)
{
	hline(p, MARGIN, p->w - MARGIN, p->y);
	p->blank = 0;
	p->y += 6;
}

int
paper_size_parse(const char *name, enum paper_size *out)
{
	if (strcmp(name, "a4") == 0)
		*out = PAPER_A4;
	else if (strcmp(name, "letter") == 0)
		*out = PAPER_LETTER;
	else
		return CK_ERR_INVALID_ARG;
	return CK_OK;
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ", digits where digits belong. */
int
paper_date_check(const char *d)
{
	static const char full[] = "0000-00-00T00:00:00Z";
	size_t i, n = strlen(d);

	if (n != 10 && n != sizeof(full) - 1)
		return CK_ERR_FORMAT;
	for (i = 0; i < n; i++)
		if (full[i] == '0' ? (d[i] < '0' || d[i] > '9') : d[i] != full[i])
			return CK_ERR_FORMAT;
	return CK_OK;
}

int
paper_open(const char *path, enum paper_size size, const char *title,
    const char *footer, const char *date, struct paper **out)
{
	char when[PAPER_DATE_MAX];
	struct paper *p;
	int e;

	*out = NULL;
	if ((e = paper_date_check(date)) != CK_OK)
		return e;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CK_ERR_ALLOC;
	if ((p->path = strdup(path)) == NULL) {
		free(p);
		return CK_ERR_ALLOC;
	}
	/* Never over an existing file: a record is not silently replaced. */
	if ((p->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) < 0) {
		e = errno == EEXIST ? CK_ERR_EXISTS : file_errno(errno);
		free(p->path);
		free(p);
		return e;
	}
	p->w = size == PAPER_A4 ? 210 * MM : 612;
	p->h = size == PAPER_A4 ? 297 * MM : 792;
	p->y = MARGIN;
	p->page = 1;
	p->blank = 1;
	snprintf(p->footer, sizeof(p->footer), "%s", footer);
	snprintf(when, sizeof(when), "%s%s", date,
	    strlen(date) == 10 ? "T00:00:00Z" : "");
	p->surface = cairo_pdf_surface_create_for_stream(write_out, p, p->w, p->h);
	if (cairo_surface_status(p->surface) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(p->surface);
		close(p->fd);
		(void)unlink(p->path);
		free(p->path);
		free(p);
		return CK_ERR_IO;
	}
	/* Never the clock: the same content gives the same bytes. */
	cairo_pdf_surface_set_metadata(p->surface,
	    CAIRO_PDF_METADATA_CREATE_DATE, when);
	cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_TITLE,
	    title);
	cairo_pdf_surface_set_metadata(p->surface, CAIRO_PDF_METADATA_CREATOR,
	    "conclave " CONCLAVE_VERSION);
	p->cr = cairo_create(p->surface);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	*out = p;
	return CK_OK;
}

int
paper_finish(struct paper *p)
{
	int e = CK_OK;

	if (p == NULL)
		return CK_OK;
	p->blank = 0;	/* the last page gets its footer even if empty */
	foot(p);
	cairo_show_page(p->cr);
	if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS)
		e = CK_ERR_IO;
	cairo_destroy(p->cr);
	cairo_surface_finish(p->surface);
	if (cairo_surface_status(p->surface) != CAIRO_STATUS_SUCCESS)
		e = CK_ERR_IO;
	cairo_surface_destroy(p->surface);
	if (p->write_failed || fsync(p->fd) != 0)
		e = CK_ERR_IO;
	if (close(p->fd) != 0)
		e = CK_ERR_IO;
	if (e != CK_OK)
		(void)unlink(p->path);
	free(p->path);
	free(p);
	return e;
}
