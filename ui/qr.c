/*
 * The envelope for the bridge as QR codes on the appliance's own screen:
 * the optical crossing beside the exchange stick. While a screen waits for
 * the bridge, c (or F3) shows the envelope the appliance last wrote as an
 * animated stream (media/qrstream.h, docs/qr.md) drawn in half blocks over
 * the whole terminal, white on black, or, where the console has a
 * framebuffer (ui.framebuffer), in pixels on it between a text row above
 * and the hint row below: far denser codes than text cells allow. + and -
 * change the rate, s and d the density. The envelope is on the exchange folder as always: the stick
 * still works, and the codes carry exactly its bytes.
 *
 * The other way, v (or F4) scans the bridge's codes with the camera
 * (ui.camera, V4L2; or ui.camera_frames, a folder of PNG frames for
 * rehearsals and tests) with a progress bar; a complete envelope of this
 * ceremony's next step from the bridge is put on the exchange folder, where
 * the waiting screen reads and checks it as it reads the stick's. A stall
 * or a camera that is gone ends the scan and offers the stick.
 *
 * The bytes are copied when the appliance writes them (ui_qr_follow runs
 * before the exchange stick's tick), because with --sticks auto the stick
 * is unmounted as soon as the bridge's turn comes. Envelopes are signed,
 * not secret: a plain heap copy is fine.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "media/exchange.h"
#include "media/fountain.h"
#include "media/qr.h"
#include "media/qrstream.h"
#include "media/tty.h"
#include "protocol/envelope.h"
#include "protocol/kinds.h"
#include "ui/ui.h"

#define QR_PAIR		7	/* white on black: the theme cannot invert it */
#define UI_QRSCAN_FRAME_MS 40	/* at most this long for a camera frame */
/* Pixels a module at the densest code on a framebuffer: a camera across
 * the table still resolves 4-pixel modules of a laptop-sized screen. */
#define UI_QR_FB_MIN_PX	4

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
	int fb_on;		/* drawn on the framebuffer fb instead */
	struct qr_fb fb;
	struct qr_code *code;	/* the code for the framebuffer */
	uint32_t painted;	/* the code (q.n) last painted there */
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
	/* A key can come before the tick that takes the new envelope: the
	 * envelope offered (and shown) is always the one written last. */
	ui_qr_follow();
	return q.msg != NULL;
}

int
ui_qr_on(void)
{
	return q.on;
}

/*
 * Where the code goes on the framebuffer: below the first text row and
 * above the last (the hints), in pixels. The console's font cell is not
 * known here: the row heights are bounded by the screen's height over
 * LINES (at most) and over LINES + 1 (at least: the console fits no
 * further row), so no text row is drawn over.
 */
static void
fb_region(uint32_t *y, uint32_t *h)
{
	uint32_t rows = (uint32_t)LINES, top, bottom;

	top = (q.fb.yres + rows - 1) / rows;
	bottom = (rows - 1) * (q.fb.yres / (rows + 1));
	*y = top;
	*h = bottom > top ? bottom - top : 0;
}

/* The densest fragment whose code fits this terminal, the last row kept
 * for the hints, or the framebuffer's region at UI_QR_FB_MIN_PX pixels a
 * module (CK_ERR_QR_NO_FIT: none does). */
static int
max_fragment(size_t *f)
{
	uint32_t y, h, side;

	if (q.fb_on) {
		fb_region(&y, &h);
		side = (q.fb.xres < h ? q.fb.xres : h) / UI_QR_FB_MIN_PX;
		return qrs_fragment_for_width((int)side - 2 * QR_QUIET, q.o.ecc, f);
	}
	side = (uint32_t)(COLS < 2 * (LINES - 1) ? COLS : 2 * (LINES - 1));
	return qrs_fragment_for_width((int)side - 2 * QR_QUIET, q.o.ecc, f);
}

/* A new stream at the density in q.o: the receiver starts over too. */
static int
restart(void)
{
	qrs_sender_free(q.snd);
	q.snd = NULL;
	q.n = 0;
	q.painted = 0;
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
	qr_code_free(q.code);
	q.code = NULL;
	if (q.fb_on)
		qr_fb_close(&q.fb);
	q.fb_on = 0;
	q.on = 0;
	/* the whole console redrawn: its text over the code's pixels */
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
	if (ui.framebuffer != NULL) {
		if ((r = qr_fb_open(ui.framebuffer, ui.fb_file_w, ui.fb_file_h,
		    &q.fb)) == CK_OK)
			q.fb_on = 1;
		else
			ui_say(1, "The framebuffer %s cannot be drawn on (%s): the "
			    "codes are text.", ui_safe(ui.framebuffer),
			    ck_errname(r));
		if (q.fb_on && max_fragment(&max) != CK_OK) {
			qr_fb_close(&q.fb);
			q.fb_on = 0;
			ui_say(1, "The framebuffer %s is too small for a code: the "
			    "codes are text.", ui_safe(ui.framebuffer));
		}
	}
	if ((r = max_fragment(&max)) != CK_OK) {
		ui_qr_close();
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
	if ((r = qrs_sender_next(q.snd, q.sc, &c)) == CK_OK && q.fb_on) {
		/* painted by ui_qr_draw, after the text rows */
		qr_code_free(q.code);
		q.code = c;
		q.n++;
		return;
	}
	if (r == CK_OK)
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

/* The code's next line at *p (n bytes, without its '\n'): 0 after the
 * last. */
static int
next_line(const char **p, const char **line, int *n)
{
	const char *e = strchr(*p, '\n');

	if (e == NULL)
		return 0;
	*line = *p;
	*n = (int)(e - *p);
	*p = e + 1;
	return 1;
}

static void
draw_hints(void)
{
	char hints[UI_COLS + 1];

	snprintf(hints, sizeof(hints), "%u/s %zuB k=%u%s  + - rate  s d "
	    "sparser/denser  Esc: back", q.o.fps, q.o.fragment, q.k,
	    q.k == 1 ? " (one code)" : "");
	mvaddnstr(LINES - 1, 0, hints, COLS);
}

/* The text rows first (their cells in the middle stay blank, so the
 * console leaves the pixels there alone), then the code, once a code. */
static void
fb_draw(void)
{
	uint32_t y, h;
	int r;

	erase();
	mvprintw(0, 0, "%.*s", COLS, "The envelope for the bridge, drawn on the "
	    "framebuffer: film the code.");
	draw_hints();
	refresh();
	if (q.code == NULL || q.painted == q.n)
		return;
	fb_region(&y, &h);
	if ((r = qr_fb_draw_at(&q.fb, q.code, 0, y, q.fb.xres, h)) != CK_OK) {
		ui_qr_close();
		ui_say_err("The codes could not be drawn on the framebuffer", r,
		    "use the exchange stick");
		return;
	}
	q.painted = q.n;
}

void
ui_qr_draw(void)
{
	const char *p, *line;
	int y, n, w = 0, lines = 0, x0, y0;

	if (q.fb_on) {
		fb_draw();
		return;
	}
	erase();
	if (q.text == NULL)
		return;
	/* the block's size: lines, and cells a line (one glyph a cell) */
	for (p = q.text; next_line(&p, &line, &n); lines++)
		if (lines == 0)
			w = (int)tty_cols_n(line, (size_t)n);
	x0 = (COLS - w) / 2;
	y0 = (LINES - 1 - lines) / 2;
	attron(COLOR_PAIR(QR_PAIR));
	for (p = q.text, y = y0; next_line(&p, &line, &n); y++)
		mvaddnstr(y, x0 < 0 ? 0 : x0, line, n);
	attroff(COLOR_PAIR(QR_PAIR));
	draw_hints();
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

/* ---- the bridge's codes, from the camera ---- */

static struct {
	int on;
	struct qr_camera *cam;
	struct qr_scanner *sc;
	struct qrs_receiver *r;
	struct qrs_watch w;
	time_t start;
	int last;		/* what the last frame gave */
} v;

int
ui_qrscan_on(void)
{
	return v.on;
}

void
ui_qrscan_close(void)
{
	qr_camera_close(v.cam);
	v.cam = NULL;
	qrs_receiver_free(v.r);
	v.r = NULL;
	qr_scanner_free(v.sc);
	v.sc = NULL;
	v.on = 0;
}

int
ui_qrscan_open(void)
{
	const char *src = ui.camera_frames != NULL ? ui.camera_frames : ui.camera;
	int r;

	if ((r = ui.camera_frames != NULL ?
	    qr_camera_open_recorded(ui.camera_frames, &v.cam) :
	    qr_camera_open(ui.camera, &v.cam)) != CK_OK) {
		ui_say(1, "No camera at %s (%s): use the exchange stick.",
		    ui_safe(src), ck_errname(r));
		return r;
	}
	if ((r = qr_scanner_new(&v.sc)) != CK_OK ||
	    (r = qrs_receiver_new(ENVELOPE_MAX_BYTES, &v.r)) != CK_OK) {
		ui_qrscan_close();
		ui_say_err("The scan could not start", r, "use the exchange stick");
		return r;
	}
	v.start = time(NULL);
	qrs_watch_start(&v.w, QRS_STALL_SECONDS, v.start);
	v.last = CK_ERR_QR_NOT_FOUND;
	v.on = 1;
	return CK_OK;
}

/* A refusal of what the codes carried: said, on the record once. */
static void
refuse(int r, const char *why)
{
	(void)session_reject_why(ui.s, "qr-stream", r, why, KIND_ACTOR_APPLIANCE);
	ui_say(1, "The codes were refused: %s (%s). Nothing was written; "
	    "show the right codes, or use the exchange stick.", why, ck_errname(r));
}

/* The complete stream: this ceremony's next envelope onto the exchange
 * folder, where the waiting screen reads it (and checks it in full). */
static void
place(void)
{
	struct envelope env;
	struct exch_dir *x;
	char name[ENVELOPE_FILE_NAME_MAX], hex[ENVELOPE_CEREMONY_ID_HEX + 1];
	char why[160];
	uint8_t *msg = NULL;
	size_t len = 0;
	int r;

	memset(&env, 0, sizeof(env));
	if ((r = qrs_receiver_message(v.r, &msg, &len)) != CK_OK ||
	    (r = envelope_parse(msg, len, &env)) != CK_OK) {
		refuse(r, "the codes carry no valid envelope");
		goto out;
	}
	if (sodium_memcmp(env.ceremony_id, ui.s->id, sizeof(ui.s->id)) != 0) {
		envelope_ceremony_id_hex(env.ceremony_id, hex);
		snprintf(why, sizeof(why), "an envelope of another ceremony (%.8s..., "
		    "this is %.8s...)", hex, ui.s->id_hex);
		refuse(CK_ERR_WRONG_CEREMONY, why);
		goto out;
	}
	if (envelope_type_dir(env.type) != ENVELOPE_B_TO_A ||
	    env.seq != ui.s->last_seq + 1) {
		snprintf(why, sizeof(why), "not the bridge's next envelope "
		    "(%s, number %llu; this step waits for number %llu)",
		    envelope_type_name(env.type) != NULL ?
		    envelope_type_name(env.type) : "unknown type",
		    (unsigned long long)env.seq,
		    (unsigned long long)ui.s->last_seq + 1);
		refuse(CK_ERR_REPLAY, why);
		goto out;
	}
	if ((r = envelope_file_name(env.seq, env.type, name)) != CK_OK ||
	    (r = session_exchange(ui.s, &x)) != CK_OK ||
	    (r = exch_write(x, name, msg, len, 0)) != CK_OK) {
		ui_say_err("The envelope from the codes could not be put on the "
		    "exchange folder", r, ui.exchange_auto ?
		    "put the exchange stick in, or use it instead" : NULL);
		goto out;
	}
	ui_say(0, "The bridge's envelope came by QR code (%zu bytes): reading it.",
	    len);
out:
	envelope_free(&env);
	free(msg);
	ui_qrscan_close();
}

void
ui_qrscan_tick(void)
{
	struct ftn_progress p;

	if (!v.on)
		return;
	v.last = qrs_receiver_camera(v.r, v.sc, v.cam, UI_QRSCAN_FRAME_MS);
	if (v.last == CK_ERR_MEDIA_GONE || v.last == CK_ERR_IO ||
	    v.last == CK_ERR_UNSUPPORTED || v.last == CK_ERR_ALLOC) {
		ui_qrscan_close();
		ui_say(1, "The camera is gone (%s): use the exchange stick.",
		    ck_errname(v.last));
		return;
	}
	qrs_receiver_progress(v.r, &p);
	if (p.complete) {
		place();
		return;
	}
	if (qrs_watch_stalled(&v.w, &p, time(NULL))) {
		ui_qrscan_close();
		ui_say(1, "The scan stalled: nothing new for %d s (%u of %u "
		    "fragments). Use the exchange stick instead.",
		    QRS_STALL_SECONDS, p.recovered, p.fragments);
	}
}

void
ui_qrscan_draw(void)
{
	struct ftn_progress p;
	struct qrs_link l;
	char line[256];
	int y;

	qrs_receiver_progress(v.r, &p);
	qrs_receiver_link(v.r, &l);
	ui_bold(UI_TOP, 2, "Scanning the bridge's QR codes");
	y = ui_para(UI_TOP + 2, "Hold the camera on the codes the operator's "
	    "workstation shows. The stick works as well: Esc stops the scan.");
	ui_text(y + 1, 2, "Camera: %s", ui_safe(ui.camera_frames != NULL ?
	    ui.camera_frames : ui.camera));
	if (p.fragments > 0)
		ui_progress(y + 3, "Fragments", p.recovered, p.fragments);
	else
		ui_text(y + 3, 2, "Fragments: waiting for the first code");
	qrs_progress_text(&p, line, sizeof(line));
	ui_text(y + 5, 2, "%s", line);
	qrs_link_text(&l, &p, difftime(time(NULL), v.start), qrs_link_hint(&l),
	    line, sizeof(line));
	ui_para(y + 6, line);
	if (v.last == CK_ERR_QR_OTHER_MESSAGE)
		ui_text(y + 9, 2, "A code of another envelope: is the right one "
		    "on screen?");
	else if (v.last == CK_ERR_BAD_MAGIC)
		ui_text(y + 9, 2, "A QR code that is not a conclave code.");
	ui_hints("Esc: stop scanning (use the stick)");
}

void
ui_qrscan_key(int ch)
{
	if (ch == 27 || ch == 'v' || ch == KEY_F(4))
		ui_qrscan_close();
}
