/*
 * The envelope for the bridge as QR codes on the appliance's own screen:
 * the optical crossing beside the exchange stick. While a screen waits for
 * the bridge, c (or F3) shows the envelope the appliance last wrote as an
 * animated stream (media/qrstream.h, docs/qr.md) drawn in half blocks over
 * the whole terminal, white on black; + and - change the rate, s and d the
 * density. The envelope is on the exchange folder as always: the stick
 * still works, and the codes carry exactly its bytes.
 *
 * The bytes are copied when the appliance writes them (ui_qr_follow runs
 * before the exchange stick's tick), because with --sticks auto the stick
 * is unmounted as soon as the bridge's turn comes. Envelopes are signed,
 * not secret: a plain heap copy is fine.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/errors.h"
#include "media/exchange.h"
#include "media/fountain.h"
#include "media/qr.h"
#include "media/qrstream.h"
#include "protocol/envelope.h"
#include "ui/ui.h"

#define QR_PAIR		7	/* white on black: the theme cannot invert it */

static struct {
	uint8_t *msg;		/* the appliance's last envelope for the bridge */
	size_t len;
	uint64_t seq;		/* its sequence number; 0: none */
	int on;			/* the codes are on the screen */
	struct qr_scanner *sc;
	struct qrs_sender *snd;
	struct qrs_opts o;
	uint32_t k, n;		/* fragments; codes shown */
	char *text;		/* the code on screen, as qr_render_text drew it */
	int cols, rows;		/* the terminal it was drawn for */
	struct timespec due;	/* when the next code is due */
} q;

static void
forget(void)
{
	free(q.msg);
	q.msg = NULL;
	q.len = 0;
	q.seq = 0;
}

void
ui_qr_follow(void)
{
	struct exch_list l;
	struct exch_dir *x;
	enum envelope_type t;
	size_t i;

	if (ui.s == NULL || ui.s->last_seq == q.seq)
		return;
	if (session_exchange(ui.s, &x) != CK_OK || exch_list(x, &l) != CK_OK)
		return;
	for (i = 0; i < l.n; i++) {
		if (l.v[i].seq != ui.s->last_seq)
			continue;
		/* Only what the appliance sends: the bridge's answers are not
		 * for showing back. */
		forget();
		if (envelope_type_from_name(l.v[i].type, strlen(l.v[i].type),
		    &t) == CK_OK && envelope_type_dir(t) == ENVELOPE_A_TO_B &&
		    exch_read(x, l.v[i].name, ENVELOPE_MAX_BYTES, &q.msg,
		    &q.len) != CK_OK) {
			q.msg = NULL;
			q.len = 0;
		}
		q.seq = ui.s->last_seq;
	}
	exch_list_free(&l);
}

int
ui_qr_offer(void)
{
	return q.msg != NULL;
}

int
ui_qr_on(void)
{
	return q.on;
}

/* The densest fragment whose code fits this terminal, the last row kept
 * for the hints (CK_ERR_QR_NO_FIT: none does). */
static int
max_fragment(size_t *f)
{
	int side = COLS < 2 * (LINES - 1) ? COLS : 2 * (LINES - 1);

	return qrs_fragment_for_width(side - 2 * QR_QUIET, q.o.ecc, f);
}

/* A new stream at the density in q.o: the receiver starts over too. */
static int
restart(void)
{
	qrs_sender_free(q.snd);
	q.snd = NULL;
	q.n = 0;
	clock_gettime(CLOCK_MONOTONIC, &q.due);
	return qrs_sender_new(q.msg, q.len, q.o.fragment, q.o.ecc, &q.snd);
}

void
ui_qr_close(void)
{
	qrs_sender_free(q.snd);
	q.snd = NULL;
	qr_scanner_free(q.sc);
	q.sc = NULL;
	free(q.text);
	q.text = NULL;
	q.on = 0;
	clear();
}

int
ui_qr_open(void)
{
	size_t max;
	int r;

	if (q.msg == NULL) {
		ui_say(1, "There is no envelope for the bridge to show as a code "
		    "(it could not be read from the exchange folder).");
		return CK_ERR_NOT_FOUND;
	}
	qrs_opts_init(&q.o);
	if ((r = max_fragment(&max)) != CK_OK) {
		ui_say_err("The code does not fit this screen", r,
		    "use the exchange stick");
		return r;
	}
	if (q.o.fragment > max)
		q.o.fragment = max;
	if ((r = qr_scanner_new(&q.sc)) != CK_OK || (r = restart()) != CK_OK) {
		ui_qr_close();
		ui_say_err("The codes could not be made", r, "use the exchange stick");
		return r;
	}
	if (has_colors() && start_color() == OK)
		init_pair(QR_PAIR, COLOR_WHITE, COLOR_BLACK);
	q.k = qrs_sender_fragments(q.snd);
	q.on = 1;
	clear();
	ui_qr_tick();
	return CK_OK;
}

static int
due(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > q.due.tv_sec ||
	    (now.tv_sec == q.due.tv_sec && now.tv_nsec >= q.due.tv_nsec);
}

static void
period_on(struct timespec *t)
{
	t->tv_nsec += 1000000000L / q.o.fps;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

int
ui_qr_wait_ms(void)
{
	return 1000 / (int)q.o.fps;
}

void
ui_qr_tick(void)
{
	struct qr_code *c = NULL;
	char *t = NULL;
	size_t max;
	int r;

	if (!q.on || !due())
		return;
	/* the next code one period on; a slow terminal that fell behind
	 * counts again from now rather than rushing to catch up */
	period_on(&q.due);
	if (due()) {
		clock_gettime(CLOCK_MONOTONIC, &q.due);
		period_on(&q.due);
	}
	if ((r = qrs_sender_next(q.snd, q.sc, &c)) == CK_OK)
		r = qr_render_text(c, COLS, LINES - 1, 0, &t);
	qr_code_free(c);
	if (r == CK_ERR_QR_NO_FIT && max_fragment(&max) == CK_OK) {
		/* the terminal shrank: the densest code that still fits */
		q.o.fragment = max;
		if ((r = restart()) == CK_OK)
			q.k = qrs_sender_fragments(q.snd);
	}
	if (r != CK_OK) {
		free(t);
		ui_qr_close();
		ui_say_err("The codes could not be shown", r, "use the exchange stick");
		return;
	}
	free(q.text);
	q.text = t;
	q.cols = COLS;
	q.rows = LINES;
	q.n++;
}

void
ui_qr_draw(void)
{
	char hints[UI_COLS + 1];
	const char *p, *e;
	int y = 0, w = 0, lines = 0, x0, y0;

	erase();
	if (q.text == NULL)
		return;
	/* the block's size: lines, and cells a line (one glyph a cell) */
	for (p = q.text; *p != '\0'; p = e + 1) {
		if ((e = strchr(p, '\n')) == NULL)
			break;
		if (lines++ == 0)
			for (w = 0; p < e; p++)
				w += (*p & 0xc0) != 0x80;
	}
	x0 = (COLS - w) / 2;
	y0 = (LINES - 1 - lines) / 2;
	attron(COLOR_PAIR(QR_PAIR));
	for (p = q.text; *p != '\0' && (e = strchr(p, '\n')) != NULL; p = e + 1)
		mvaddnstr(y0 + y++, x0 < 0 ? 0 : x0, p, (int)(e - p));
	attroff(COLOR_PAIR(QR_PAIR));
	snprintf(hints, sizeof(hints), "%u/s %zuB k=%u%s  + - rate  s d "
	    "sparser/denser  Esc: back", q.o.fps, q.o.fragment, q.k,
	    q.k == 1 ? " (one code)" : "");
	mvaddnstr(LINES - 1, 0, hints, COLS);
}

void
ui_qr_key(int ch)
{
	size_t max, f = q.o.fragment;

	switch (ch) {
	case '+':
	case '=':
		if (q.o.fps < QRS_MAX_FPS)
			q.o.fps++;
		return;
	case '-':
		if (q.o.fps > QRS_MIN_FPS)
			q.o.fps--;
		return;
	case 's':
		f = f * 4 / 5;
		if (f < FTN_MIN_FRAGMENT)
			f = FTN_MIN_FRAGMENT;
		break;
	case 'd':
		f = f * 5 / 4 + 1;
		if (max_fragment(&max) == CK_OK && f > max)
			f = max;
		break;
	case 27:
	case 'c':
	case 'q':
	case KEY_F(3):
		ui_qr_close();
		return;
	default:
		return;
	}
	if (f == q.o.fragment)
		return;
	q.o.fragment = f;
	if (restart() != CK_OK) {
		ui_qr_close();
		ui_say(1, "The codes could not be made at that density: use the "
		    "exchange stick.");
		return;
	}
	q.k = qrs_sender_fragments(q.snd);
	ui_qr_tick();
}

void
ui_qr_free(void)
{
	ui_qr_close();
	forget();
}
