/*
 * The dispatcher and the frame of the guided UI (see ui.h): one loop owns
 * getch() and KEY_RESIZE; help (F1 or ?), a deviation (F2 or Ctrl-E) and
 * the inactivity lock are overlays over whatever screen is current.
 */
#include "ui/ui.h"

#include <curses.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ceremony/audit.h"
#include "ceremony/init.h"
#include "ceremony/unseal.h"
#include "ceremony/rekey.h"
#include "ceremony/generate_root.h"
#include "ceremony/quorum.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "crypto/secmem.h"
#include "crypto/words.h"
#include "media/exchange.h"
#include "protocol/kinds.h"
#include "media/tty.h"
#include "protocol/minisig.h"
#include "protocol/steps.h"

struct ui_ctx ui;

static time_t wait_since;
static const char *wait_what;

enum ov_kind { OV_NONE, OV_HELP, OV_DEVIATION, OV_LOCK, OV_QUIT, OV_WAIT,
    OV_WAIT_ABANDON };

static const struct ui_screen *const screens[UI_NSCREENS] = {
	[UI_SCR_START] = &scr_start,
	[UI_SCR_ROSTER] = &scr_roster,
	[UI_SCR_THRESHOLD] = &scr_threshold,
	[UI_SCR_FPR] = &scr_fpr,
	[UI_SCR_BEGIN] = &scr_begin,
	[UI_SCR_RESULT] = &scr_result,
	[UI_SCR_HANDOUT] = &scr_handout,
	[UI_SCR_REVIEW] = &scr_review,
	[UI_SCR_CLOSE] = &scr_close,
	[UI_SCR_SUMMARY] = &scr_summary,
	[UI_SCR_QUORUM_BEGIN] = &scr_quorum_begin,
	[UI_SCR_SAS] = &scr_sas,
	[UI_SCR_QUORUM_SHARE] = &scr_quorum_share,
	[UI_SCR_QUORUM_RESULT] = &scr_quorum_result,
	[UI_SCR_CHECK] = &scr_check,
	[UI_SCR_ARCHIVE] = &scr_archive,
	[UI_SCR_RESUME] = &scr_resume,
	[UI_SCR_PREVIOUS] = &scr_previous,
};

static enum ui_screen_id current;
static enum ov_kind ov;
static int curses_on, quitting, dev_stage;
static struct ui_field dev_who, dev_what;
static const char *hints_text;
static char hints_qr[UI_COLS + 1];
static const char *waits(void);

static const char deviation_help[] =
    "A deviation is anything that did not go as the script says: a late "
    "holder, a stick that would not mount, a fingerprint read wrongly, an "
    "interruption. Type who is recording it and what happened. It goes into "
    "the transcript with the time, and into the summary.";

const char *
ui_safe(const char *text)
{
	if (text == NULL)
		return "(none)";
	if (rd_printable_utf8(text, strlen(text), 0) != CK_OK)
		return "(unprintable)";
	return text;
}

/*
 * Every string reaches the screen here. A string too wide for the row is
 * cut, and the cut is marked with a reverse '>' in the last column so a
 * layout that does not fit 80x24 shows (tests/ui check for it).
 */
static void
put(int y, int x, const char *t)
{
	int room = COLS - x;

	if (room <= 0)
		return;
	/* addstr would wrap onto the next row: cut at the margin. */
	mvaddnstr(y, x, t, (int)tty_bytes_for(t, (size_t)room));
	if (tty_cols(t) > (size_t)room) {
		attron(A_REVERSE);
		mvaddch(y, COLS - 1, '>');
		attroff(A_REVERSE);
	}
}

void
ui_text(int y, int x, const char *fmt, ...)
{
	char line[4 * UI_COLS + 1];
	va_list ap;

	if (y < UI_TOP || y > UI_BOTTOM)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	put(y, x, line);
}

void
ui_bold(int y, int x, const char *text)
{
	attron(A_BOLD);
	ui_text(y, x, "%s", text);
	attroff(A_BOLD);
}

int
ui_para(int y, const char *text)
{
	int width = (COLS < UI_COLS ? COLS : UI_COLS) - 4;
	const char *p = text, *brk;
	int n;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		n = (int)strlen(p);
		if (n > width) {
			for (brk = p + width; brk > p && *brk != ' '; brk--)
				;
			n = brk > p ? (int)(brk - p) : width;
		}
		if (y <= UI_BOTTOM)
			mvaddnstr(y, 2, p, n);
		else if (y == UI_BOTTOM + 1)
			put(UI_BOTTOM, COLS - 1, "> ");	/* more than fits */
		y++;
		p += n;
	}
	return y;
}

void
ui_hints(const char *hints)
{
	hints_text = hints;
}

void
ui_progress(int y, const char *what, unsigned done, unsigned total)
{
	char bar[31];
	unsigned i, fill = total ? done * 30 / total : 0;

	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	ui_text(y, 2, "%s %u of %u  [%s]", what, done, total, bar);
}

void
ui_say(int bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ui.status, sizeof(ui.status), fmt, ap);
	va_end(ap);
	ui.status_bad = bad;
}

void
ui_say_err(const char *what, int err, const char *why)
{
	ui_say(1, "%s: %s (%s)%s%s", what, ck_strerror(err), ck_errname(err),
	    why != NULL && why[0] != '\0' ? ": " : "",
	    why != NULL ? ui_safe(why) : "");
}

int
ui_field_init(struct ui_field *f, int masked)
{
	f->buf = masked ? secmem_alloc(UI_FIELD_MAX + 1) :
	    calloc(1, UI_FIELD_MAX + 1);
	f->len = 0;
	f->masked = masked;
	if (f->buf == NULL)
		return CK_ERR_ALLOC;
	f->buf[0] = '\0';
	return CK_OK;
}

void
ui_field_set(struct ui_field *f, const char *text)
{
	size_t n = strlen(text);

	if (n > UI_FIELD_MAX)
		n = UI_FIELD_MAX;
	memcpy(f->buf, text, n);
	f->buf[n] = '\0';
	f->len = n;
}

void
ui_field_clear(struct ui_field *f)
{
	if (f->buf != NULL)
		memset(f->buf, 0, UI_FIELD_MAX + 1);
	f->len = 0;
}

void
ui_field_free(struct ui_field *f)
{
	if (f->buf == NULL)
		return;
	if (f->masked) {
		secmem_free(f->buf);
	} else {
		ui_field_clear(f);
		free(f->buf);
	}
	f->buf = NULL;
	f->len = 0;
}

int
ui_field_key(struct ui_field *f, int ch)
{
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
		return 1;
	if (ch == 27)
		return -1;
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		/* Back over a whole UTF-8 sequence. */
		while (f->len > 0 && ((unsigned char)f->buf[f->len - 1] & 0xc0) == 0x80)
			f->buf[--f->len] = '\0';
		if (f->len > 0)
			f->buf[--f->len] = '\0';
		return 0;
	}
	if (ch == UI_CTRL('u')) {
		ui_field_clear(f);
		return 0;
	}
	if (ch >= 0x20 && ch <= 0xff && ch != 0x7f && f->len < UI_FIELD_MAX) {
		f->buf[f->len++] = (char)ch;
		f->buf[f->len] = '\0';
	}
	return 0;
}

void
ui_words_start(struct ui_words *w)
{
	if ((w->who.buf == NULL && ui_field_init(&w->who, 0) != CK_OK) ||
	    (w->words.buf == NULL && ui_field_init(&w->words, 0) != CK_OK))
		ui_fatal("out of memory");
	w->step = UI_WORDS_WHO;
	ui.typing = 1;
}

int
ui_words_key(struct ui_words *w, int ch)
{
	int f;

	if (w->step == UI_WORDS_WHO) {
		if (ui_field_key(&w->who, ch) > 0 && w->who.len > 0 &&
		    w->who.len <= ROSTER_NAME_MAX &&
		    rd_printable_utf8(w->who.buf, w->who.len, 0) == CK_OK)
			w->step = UI_WORDS_WORDS;
		return 0;
	}
	if ((f = ui_field_key(&w->words, ch)) < 0) {
		w->step = UI_WORDS_WHO;
		return 0;
	}
	return f > 0 && w->words.len > 0;
}

void
ui_words_mismatch(struct ui_words *w)
{
	w->step = UI_WORDS_MISMATCH;
	ui_field_clear(&w->words);
}

void
ui_words_draw(int y, const struct ui_words *w, const char *intro,
    const char *stop)
{
	y = ui_para(y, intro);
	ui_text(y + 1, 2, "Witness (name):");
	ui_field_draw(y + 1, 20, 40, &w->who);
	ui_text(y + 3, 2, "The bridge's words:");
	ui_field_draw(y + 4, 2, 76, &w->words);
	if (w->step == UI_WORDS_MISMATCH) {
		attron(A_BOLD);
		ui_para(y + 6, stop);
		attroff(A_BOLD);
	}
	ui_hints(w->step == UI_WORDS_WHO ? "Type the witness's name, Enter" :
	    "Type the five words as you hear them, Enter");
}

void
ui_field_draw(int y, int x, int width, const struct ui_field *f)
{
	const char *shown;
	size_t off = 0;

	if (y < UI_TOP || y > UI_BOTTOM)
		return;
	attron(A_UNDERLINE);
	mvhline(y, x, ' ', width);
	if (f->masked) {
		/* Nothing of the secret, not even its length. */
		mvaddstr(y, x, "(hidden while you type)");
	} else {
		shown = f->buf;
		if (f->len > (size_t)width - 1)
			off = f->len - ((size_t)width - 1);
		/* A partly typed multibyte character is drawn when complete. */
		if (rd_printable_utf8(shown + off, f->len - off, 0) == CK_OK)
			mvaddnstr(y, x, shown + off, width - 1);
	}
	attroff(A_UNDERLINE);
}

void
ui_stick_keyfile(const struct ui_field *stick, char **keyfile)
{
	int r;

	free(*keyfile);
	r = ui_find_secret_key(stick->buf, keyfile);
	if (r != CK_OK && r != CK_ERR_NOT_FOUND)
		ui_fatal("out of memory");
}

void
ui_turn_init(struct ui_turn *t, int writable, int (*stick_ok)(void),
    int (*pending)(unsigned k))
{
	if ((t->stick.buf == NULL && ui_field_init(&t->stick, 0) != CK_OK) ||
	    (t->pass.buf == NULL && ui_field_init(&t->pass, 1) != CK_OK))
		ui_fatal("out of memory");
	ui_field_clear(&t->pass);
	free(t->keyfile);
	t->keyfile = NULL;
	t->writable = writable;
	t->stick_ok = stick_ok;
	t->pending = pending;
	t->who[0] = '\0';
	t->k = t->sel = 0;
	t->step = UI_TURN_ASK;
}

/* Holder k, if the roster has them and their turn is still to come. */
static int
turn_pending(const struct ui_turn *t, unsigned k)
{
	return k >= 1 && k <= ui.roster->n_holders && t->pending(k);
}

static void
turn_start_k(struct ui_turn *t, unsigned k)
{
	t->k = k;
	ui_turn_start(t, roster_holder(ui.roster, k)->name);
}

int
ui_turn_next(struct ui_turn *t)
{
	unsigned k;

	for (k = 1; k <= ui.roster->n_holders; k++)
		if (turn_pending(t, k)) {
			turn_start_k(t, k);
			return 1;
		}
	return 0;
}

int
ui_turn_holders_key(struct ui_turn *t)
{
	char why[160], said[sizeof(ui.status)];
	int r, bad = ui.status_bad;

	/* What the stick's mount said stays on the status line after. */
	memcpy(said, ui.status, sizeof(said));
	ui_say(0, "Checking the key your stick brings...");
	ui_redraw();
	if ((r = init_stick_check(ui.s, ui.home, t->k, t->keyfile, why,
	    sizeof(why))) == CK_OK) {
		memcpy(ui.status, said, sizeof(said));
		ui.status_bad = bad;
		return 1;
	}
	ui_say_err("Not this holder's key", r, why[0] != '\0' ? why : NULL);
	ui_sticks_done();
	return 0;
}

void
ui_turn_draw_pick(const struct ui_turn *t, int y)
{
	unsigned k;

	ui_bold(y, 2, "Who is at the appliance now?");
	y += 2;
	for (k = 1; k <= ui.roster->n_holders && y <= UI_BOTTOM - 1; k++) {
		if (!turn_pending(t, k))
			continue;
		if (k == t->sel)
			attron(A_REVERSE);
		ui_text(y++, 4, "%2u  %s", k, ui_safe(roster_holder(ui.roster,
		    k)->name));
		if (k == t->sel)
			attroff(A_REVERSE);
	}
	ui_hints("Up/Down or the number choose  Enter this holder  Esc back");
}

/* UI_TURN_PICK: the next pending holder after (dir 1) or before sel. */
static void
turn_move(struct ui_turn *t, int dir)
{
	unsigned n = (unsigned)ui.roster->n_holders, k = t->sel, i;

	for (i = 0; i < n; i++) {
		k = dir > 0 ? k % n + 1 : (k + n - 2) % n + 1;
		if (turn_pending(t, k)) {
			t->sel = k;
			return;
		}
	}
}

void
ui_turn_start(struct ui_turn *t, const char *who)
{
	snprintf(t->who, sizeof(t->who), "%s", who);
	ui_field_clear(&t->pass);
	t->step = UI_TURN_ASK;
	ui.typing = 0;
}

/*
 * A typed stick folder that is not there (a typo, or the stick not in or
 * not mounted) is said as such: nothing of the holder's was checked.
 */
static int
turn_stick_missing(const struct ui_turn *t)
{
	struct stat st;

	if (stat(t->stick.buf, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	ui_say_err("No stick there", CK_ERR_NOT_FOUND, "no such folder: is "
	    "the stick in and mounted, and the path right?");
	return 1;
}

/* The stick given (typed, or mounted): checked before the PIN is asked. */
static void
turn_stick_taken(struct ui_turn *t)
{
	if (t->stick_ok != NULL && !t->stick_ok())
		return;
	t->step = UI_TURN_PASS;
	ui.typing = 1;
	ui.secret = &t->pass;
}

int
ui_turn_key(struct ui_turn *t, int ch)
{
	int f;

	switch (t->step) {
	case UI_TURN_PICK:
		if (ch == 27)
			t->step = UI_TURN_ASK;
		else if (ch == KEY_DOWN || ch == KEY_UP)
			turn_move(t, ch == KEY_DOWN ? 1 : -1);
		else if (ch >= '1' && ch <= '9' && turn_pending(t,
		    (unsigned)(ch - '0')))
			turn_start_k(t, (unsigned)(ch - '0'));
		else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			turn_start_k(t, t->sel);
		break;
	case UI_TURN_ASK:
		if (ch == 27)
			return UI_TURN_BACK;
		if ((ch == 'o' || ch == 'O') && t->pending != NULL) {
			t->sel = t->k;
			t->step = UI_TURN_PICK;
			break;
		}
		if (ch != 'y' && ch != 'Y')
			break;
		t->step = UI_TURN_STICK;
		if (ui.sticks_auto) {
			ui_sticks_wait();
			break;
		}
		ui_stick_field(&t->stick, t->who);
		ui.typing = 1;
		break;
	case UI_TURN_STICK:
		if (ui.sticks_auto) {
			if (ch == 27)
				t->step = UI_TURN_ASK;
			break;
		}
		if ((f = ui_field_key(&t->stick, ch)) < 0) {
			t->step = UI_TURN_ASK;
			ui.typing = 0;
		} else if (f > 0 && !turn_stick_missing(t)) {
			ui_stick_keyfile(&t->stick, &t->keyfile);
			turn_stick_taken(t);
		}
		break;
	case UI_TURN_PASS:
		if ((f = ui_field_key(&t->pass, ch)) < 0) {
			ui_field_clear(&t->pass);
			ui.secret = NULL;
			ui_sticks_done();
			t->step = UI_TURN_STICK;
		} else if (f > 0 && t->pass.len > 0)
			return UI_TURN_USE;
		break;
	}
	return 0;
}

void
ui_turn_tick(struct ui_turn *t)
{
	if (t->step == UI_TURN_STICK &&
	    ui_sticks_take(&t->stick, t->writable, &t->keyfile))
		turn_stick_taken(t);
}

int
ui_turn_used(struct ui_turn *t, int r)
{
	ui_field_clear(&t->pass);
	if (r == CK_ERR_BAD_PASSPHRASE) {
		ui_say(1, "Wrong %s. Nothing was revealed; type it again.",
		    t->keyfile != NULL ? "passphrase" : "PIN");
		return 0;
	}
	/* Read or written, synced and unmounted before anyone pulls it. */
	ui_sticks_done();
	ui.secret = NULL;
	ui.typing = r != CK_OK && !ui.sticks_auto;
	t->step = r == CK_OK ? UI_TURN_OVER : UI_TURN_STICK;
	return 1;
}

void
ui_quit(void)
{
	quitting = 1;
}

int
ui_envelope_waiting(void)
{
	return ui.s != NULL && session_envelope_waiting(ui.s);
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

static int
is_secret_key_name(const char *n)
{
	return has_suffix(n, ".sec.asc") || has_suffix(n, ".sec.gpg");
}

static int
is_share_name(const char *n)
{
	return has_suffix(n, ".gpg") && !has_suffix(n, ".sec.gpg");
}

/*
 * The regular file in folder that want() accepts: the first by name, or
 * with newest the last written (a stick keeps old shares after a rekey).
 */
static int
find_in(const char *folder, int (*want)(const char *), int newest, char **out)
{
	struct dirent *e;
	struct stat st;
	struct timespec best_t = { 0, 0 };
	DIR *d;
	char best[256] = "";
	int later;

	*out = NULL;
	if ((d = opendir(folder)) == NULL)
		return CK_ERR_NOT_FOUND;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(best) ||
		    !want(e->d_name))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		later = st.st_mtim.tv_sec > best_t.tv_sec ||
		    (st.st_mtim.tv_sec == best_t.tv_sec &&
		    st.st_mtim.tv_nsec > best_t.tv_nsec);
		if (best[0] == '\0' || (newest ? later :
		    strcmp(e->d_name, best) < 0)) {
			snprintf(best, sizeof(best), "%s", e->d_name);
			best_t = st.st_mtim;
		}
	}
	closedir(d);
	if (best[0] == '\0')
		return CK_ERR_NOT_FOUND;
	if (asprintf(out, "%s/%s", folder, best) < 0) {
		*out = NULL;
		return CK_ERR_ALLOC;
	}
	return CK_OK;
}

int
ui_find_secret_key(const char *folder, char **out)
{
	return find_in(folder, is_secret_key_name, 0, out);
}

static char share_prefix[32];

static int
is_share_of(const char *n)
{
	return strncmp(n, share_prefix, strlen(share_prefix)) == 0 &&
	    is_share_name(n);
}

/* The share file a ceremony (id_hex) handed out to the stick in folder. */
static int
find_share_of(const char *folder, const char *id_hex, char **out)
{
	/* init_handout's name: conclave-<first 8 of the id>-share-K.gpg */
	snprintf(share_prefix, sizeof(share_prefix), "conclave-%.8s-", id_hex);
	return find_in(folder, is_share_of, 0, out);
}

int
ui_find_share_file(const char *folder, char **out)
{
	const char *h = ui.s == NULL ? NULL : json_string_value(json_object_get(
	    json_object_get(ui.s->ext, "handout"), "ceremony_id"));

	/* The handout's own file first: after a rekey that did not complete
	 * the stick also holds that rekey's newer, void share. */
	if (h != NULL && find_share_of(folder, h, out) == CK_OK)
		return CK_OK;
	return find_in(folder, is_share_name, 1, out);
}

int
ui_find_new_share(const char *folder, char **out)
{
	return find_share_of(folder, ui.s->id_hex, out);
}

static int
cmp_keyfile(const void *a, const void *b)
{
	return strcmp(((const struct ui_keyfile *)a)->file,
	    ((const struct ui_keyfile *)b)->file);
}

static int
is_keyfile(const char *n)
{
	size_t len = strlen(n);

	if (n[0] == '.' || strstr(n, ".sec.") != NULL || len < 5)
		return 0;
	return strcmp(n + len - 4, ".asc") == 0 ||
	    strcmp(n + len - 4, ".gpg") == 0 || strcmp(n + len - 4, ".pgp") == 0;
}

/* The role and name a file name suggests: ROLE-NAME.asc, else a holder. */
static void
guess_role(struct ui_keyfile *k)
{
	static const struct { const char *prefix; int role; } pre[] = {
		{ "holder-", ROSTER_HOLDER },
		{ "operator-", ROSTER_OPERATOR },
		{ "witness-", ROSTER_WITNESS },
	};
	const char *stem = k->file;
	size_t i, n;

	k->role = ROSTER_HOLDER;
	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (strncmp(stem, pre[i].prefix, strlen(pre[i].prefix)) == 0) {
			k->role = pre[i].role;
			stem += strlen(pre[i].prefix);
		}
	n = strlen(stem) - 4;	/* the extension */
	if (n > ROSTER_NAME_MAX)
		n = ROSTER_NAME_MAX;
	memcpy(k->name, stem, n);
	k->name[n] = '\0';
}

size_t
ui_scan_keyfiles(struct ui_keyfile *files, size_t max)
{
	struct dirent *e;
	DIR *d;
	size_t n = 0, i;

	if ((d = opendir(ui.keys_dir)) == NULL) {
		ui_say(1, "Cannot open the key folder %s", ui_safe(ui.keys_dir));
		return 0;
	}
	while ((e = readdir(d)) != NULL && n < max) {
		if (!is_keyfile(e->d_name) || strlen(e->d_name) >= sizeof(files[0].file))
			continue;
		snprintf(files[n].file, sizeof(files[0].file), "%s", e->d_name);
		n++;
	}
	closedir(d);
	qsort(files, n, sizeof(files[0]), cmp_keyfile);
	for (i = 0; i < n; i++)
		guess_role(&files[i]);
	return n;
}

int
ui_ceremony_key(int y)
{
	struct minisig_pubkey pk;
	char id[17], words[WORDS_TEXT_MAX(MINISIG_KEYID_BYTES)];

	minisig_pubkey_from_sk(&pk, ui.s->sk);
	minisig_keyid_hex(&pk, id);
	if (minisig_keyid_words(&pk, words, sizeof(words)) != CK_OK)
		words[0] = '\0';
	ui_text(y++, 2, "Ceremony      %s", ui.s->id_hex);
	ui_text(y++, 2, "Ceremony key  %s", id);
	attron(A_BOLD);
	y = ui_para(y, words);
	attroff(A_BOLD);
	return y;
}

int
ui_take_previous(const char *path, char *why, size_t whylen)
{
	struct transcript_report rep;
	json_t *handout = NULL;
	int r;

	memset(&rep, 0, sizeof(rep));
	if ((r = transcript_verify(path, NULL, &rep)) != CK_OK) {
		snprintf(why, whylen, "does not verify: %s", rep.reason);
		return r;
	}
	/* An init or rekey before, or a ceremony since that carries its
	 * handout forward: its holders give their shares. A ceremony that
	 * checked none, an init abandoned or a rekey that did not complete
	 * (the shares are still those before it): chained to, no handout to
	 * check against, and the begin screen says so (ui_previous). */
	why[0] = '\0';
	r = quorum_read_handout(path, &handout, why, whylen);
	if (r != CK_OK && r != CK_ERR_BAD_TYPE && r != CK_ERR_STATE &&
	    r != CK_ERR_NOT_FOUND && r != CK_ERR_UNSUPPORTED) {
		json_decref(handout);
		return r;
	}
	json_decref(ui.handout);
	ui.handout = handout;
	ui.prev_no_handout = r;
	memcpy(ui.prev, rep.head, sizeof(ui.prev));
	ui.has_prev = 1;
	return CK_OK;
}

int
ui_previous(int y)
{
	char words[WORDS_TEXT_MAX(TRANSCRIPT_HEAD_WORDS)];

	if (!ui.has_prev) {
		ui_text(y++, 2, "Previous ceremony: none given (the chain starts "
		    "here)");
		return y;
	}
	if (transcript_head_words(ui.prev, words, sizeof(words)) != CK_OK)
		words[0] = '\0';
	ui_text(y++, 2, "Previous ceremony's transcript verified; its head:");
	y = ui_para(y, words);
	/* Init hands shares out; the others take them. */
	if (ui.prev_no_handout != CK_OK && ui.kind != UI_KIND_INIT)
		y = ui_para(y, ui.prev_no_handout == CK_ERR_STATE ? "The previous "
		    "ceremony handed out no share that counts; shares are not "
		    "checked against holders." : ui.prev_no_handout ==
		    CK_ERR_NOT_FOUND ? "The previous ceremony checked no handout; "
		    "shares are not checked against holders." : "The previous "
		    "ceremony gives no handout to check against; shares are not "
		    "checked against holders.");
	return y;
}

char *
ui_stick_path(const char *name)
{
	char *p;

	if (ui.sticks_dir == NULL)
		return strdup("");
	if (asprintf(&p, "%s/%s", ui.sticks_dir, name) < 0)
		return NULL;
	return p;
}

void
ui_stick_field(struct ui_field *f, const char *name)
{
	char *p = ui_stick_path(name);

	if (p == NULL)
		ui_fatal("out of memory");
	ui_field_set(f, p);
	free(p);
}

int
ui_record(const char *event, const char *actor, json_t *details)
{
	struct ui_pending *p;
	int r;

	if (ui.s != NULL) {
		r = session_record(ui.s, event, actor, details);
		json_decref(details);
		return r;
	}
	if (ui.npending == UI_MAX_PENDING) {
		json_decref(details);
		return CK_ERR_TOO_LARGE;
	}
	p = &ui.pending[ui.npending++];
	snprintf(p->event, sizeof(p->event), "%s", event);
	snprintf(p->actor, sizeof(p->actor), "%s", actor);
	p->details = details;
	return CK_OK;
}

int
ui_flush_pending(void)
{
	size_t i;
	int r = CK_OK;

	for (i = 0; i < ui.npending; i++) {
		if (r == CK_OK)
			r = session_record(ui.s, ui.pending[i].event,
			    ui.pending[i].actor, ui.pending[i].details);
		json_decref(ui.pending[i].details);
	}
	ui.npending = 0;
	return r;
}

static void
wipe_all(void)
{
	size_t i;

	ui_field_free(&dev_who);
	ui_field_free(&dev_what);
	if (ui.sticks_auto)
		(void)ui_sticks_release();	/* leaving: nothing left mounted */
	ui_exchange_release();
	if (ui.secret != NULL)
		ui_field_clear(ui.secret);
	for (i = 0; i < ui.npending; i++)
		json_decref(ui.pending[i].details);
	ui.npending = 0;
	session_free(ui.s);
	ui.s = NULL;
	roster_free(ui.roster);
	ui.roster = NULL;
	roster_free(ui.recipient);
	ui.recipient = NULL;
	pgp_home_close(ui.home);
	ui.home = NULL;
}

void
ui_fatal(const char *fmt, ...)
{
	va_list ap;

	if (curses_on)
		endwin();
	curses_on = 0;
	wipe_all();
	fputs("conclave: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/*
 * "Step N  title": the number the printed script gives this screen's step
 * in this ceremony (protocol/steps.h). Two screens serve two steps each in
 * a rekey: the quorum's shares and their submission come once for the old
 * shares and again, after every handout, to verify the new ones.
 */
static void
title_line(const struct ui_screen *sc, char *out, size_t outmax)
{
	static const char *const kinds[] = {
		[UI_KIND_INIT] = KIND_INIT,
		[UI_KIND_UNSEAL] = KIND_UNSEAL,
		[UI_KIND_REKEY] = KIND_REKEY,
		[UI_KIND_GENERATE_ROOT] = KIND_GENERATE_ROOT,
		[UI_KIND_MIGRATE] = KIND_MIGRATE,
		[UI_KIND_DR_TOKEN] = KIND_DR_TOKEN,
	};
	const struct steps_kind *k = steps_for(kinds[ui.kind]);
	const struct steps_step *st = NULL;
	const char *id = sc->step;
	int verifying = ui.kind == UI_KIND_REKEY && ui.roster != NULL &&
	    ui.roster->n_holders > 0 && ui.handed_out == ui.roster->n_holders;

	if (verifying && strcmp(id, "share") == 0)
		id = "verify";
	else if (verifying && strcmp(id, "submit") == 0)
		id = "verify-submit";
	if (k != NULL && (st = steps_on_screen(k, id)) != NULL)
		snprintf(out, outmax, "Step %u  %s", steps_number(k, st),
		    sc->title);
	else
		snprintf(out, outmax, "%s", sc->title);
}

static void
draw_frame(const struct ui_screen *sc)
{
	char title[UI_COLS];

	erase();
	if (ui.rehearsal) {
		attron(A_REVERSE | A_BOLD);
		mvhline(0, 0, ' ', COLS);
		mvaddnstr(0, 0, "  REHEARSAL  *  throwaway demo keys  *  "
		    "not a real ceremony  *  REHEARSAL", COLS);
		attroff(A_REVERSE | A_BOLD);
	} else {
		mvaddnstr(0, 0, "conclave  offline key ceremony", COLS);
	}
	title_line(sc, title, sizeof(title));
	attron(A_BOLD);
	put(1, 0, title);
	attroff(A_BOLD);
	mvaddnstr(1, COLS > 27 ? COLS - 27 : 0, "F1/? help  F2/^E deviation", 27);
	mvhline(2, 0, ACS_HLINE, COLS);
}

/*
 * The status line, row 22. A longer message is wrapped within 80 columns
 * and takes up to UI_STATUS_ROWS rows upward over the content, so an
 * error's name and its remedy are never cut off.
 */
static void
draw_status(void)
{
	char *w, *line, *nl;
	size_t n = 0;
	int y;

	if (ui.status[0] == '\0') {
		mvhline(22, 0, ACS_HLINE, COLS);
		return;
	}
	if ((w = tty_wrap(ui.status, UI_COLS, 2, &n)) == NULL) {
		put(22, 0, ui.status);
		return;
	}
	if (n > UI_STATUS_ROWS)
		n = UI_STATUS_ROWS;
	if (ui.status_bad)
		attron(A_REVERSE);
	for (y = 23 - (int)n, line = w; y <= 22 && line != NULL; y++) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		mvhline(y, 0, ' ', COLS);
		put(y, 0, line);
		line = nl != NULL ? nl + 1 : NULL;
	}
	if (ui.status_bad)
		attroff(A_REVERSE);
	free(w);
}

static void
draw_overlay(void)
{
	const struct ui_screen *sc = screens[current];
	int y;

	if (ov == OV_NONE)
		return;
	for (y = UI_TOP; y <= UI_BOTTOM; y++)
		mvhline(y, 0, ' ', COLS);
	switch (ov) {
	case OV_HELP:
		ui_bold(UI_TOP, 2, "Help");
		y = ui_para(UI_TOP + 2, sc->help);
		if (waits() != NULL)
			y = ui_para(y + 1, "QR code instead of the stick: c (or F3) "
			    "shows the envelope for the bridge's camera (+ - rate, s d "
			    "density), v (or F4) scans the bridge's codes; a stalled "
			    "scan offers the stick.");
		ui_para(y + 1, "Everywhere: F1 or ? help, F2 or Ctrl-E record a "
		    "deviation, Ctrl-A the appliance's status (airgap, power "
		    "off), Ctrl-Q leave. After a few minutes without a key the "
		    "screen locks and anything half-typed is wiped.");
		hints_text = "Any key: back to the step";
		break;
	case OV_DEVIATION:
		ui_bold(UI_TOP, 2, "Record a deviation");
		y = ui_para(UI_TOP + 2, deviation_help);
		ui_text(y + 1, 2, "Recorded by (name):");
		ui_field_draw(y + 1, 24, 40, &dev_who);
		ui_text(y + 3, 2, "What happened:");
		ui_field_draw(y + 3, 24, 54, &dev_what);
		ui_text(y + 5, 2, "%s", dev_stage == 0 ? "Type the name, Enter." :
		    "Type what happened, Enter to record it.");
		hints_text = "Enter next/record  Esc cancel";
		break;
	case OV_LOCK:
		ui_bold(UI_TOP + 4, 2, "Locked after inactivity.");
		ui_para(UI_TOP + 6, "Nothing was lost: the ceremony is where it was. "
		    "Anything half-typed (a passphrase, a PIN) has been wiped.");
		hints_text = "Enter: unlock";
		break;
	case OV_WAIT:
	case OV_WAIT_ABANDON:
		ui_bold(UI_TOP, 2, "No answer from the bridge yet.");
		ui_text(UI_TOP + 1, 2, "Waited %ld s.", (long)(time(NULL) - wait_since));
		y = ui_para(UI_TOP + 2, "On the operator's workstation:");
		y = ui_para(y, wait_what != NULL ? wait_what : "");
		y = ui_para(y + 1, "If the bridge has stopped, its session cannot go "
		    "on (its key died with it): abandon here and begin again. "
		    "Started again on this exchange folder, conclave-bridge rekey or "
		    "generate-root cancels that session's attempt on the server and "
		    "says so. Nothing here is lost by waiting.");
		if (ov == OV_WAIT_ABANDON) {
			ui_para(y + 1, "Abandon the ceremony? The transcript is closed "
			    "and signed as abandoned; the bridge is told to cancel.");
			hints_text = "y abandon  n back";
		} else {
			hints_text = "r keep waiting  a abandon the ceremony";
		}
		break;
	case OV_QUIT:
		ui_bold(UI_TOP + 2, 2, "Leave conclave?");
		ui_para(UI_TOP + 4, ui.s != NULL && !ui.closed ?
		    "The ceremony is not finished. Its state folder keeps the "
		    "transcript so far; leaving is recorded as a deviation." :
		    "No ceremony has begun yet. Nothing is recorded.");
		hints_text = "y leave  n stay";
		break;
	default:
		break;
	}
}

void
ui_redraw(void)
{
	const struct ui_screen *sc = screens[current];

	if (LINES < UI_ROWS || COLS < UI_COLS) {
		/* Nothing of the ceremony on a screen that cannot show it whole. */
		erase();
		mvaddnstr(0, 0, "conclave needs a terminal of at least 80x24.", COLS);
		mvaddnstr(1, 0, "Make this one larger (tmux: Ctrl-b z).", COLS);
		refresh();
		return;
	}
	if (ui_qr_on()) {
		ui_qr_draw();
		refresh();
		return;
	}
	hints_text = "";
	draw_frame(sc);
	if (ui_qrscan_on())
		ui_qrscan_draw();	/* the screen waits while the camera reads */
	else
		sc->draw();
	draw_overlay();
	draw_status();
	/* Hints go on the last row; a screen waiting for the bridge offers
	 * QR codes too: its envelope shown, the answer scanned. */
	if (ov == OV_NONE && !ui_qrscan_on() && waits() != NULL) {
		snprintf(hints_qr, sizeof(hints_qr), "%s%s%sv scan QR  a abandon",
		    hints_text, hints_text[0] != '\0' ? "  " : "",
		    ui_qr_offer() ? "c show QR  " : "");
		hints_text = hints_qr;
	}
	mvhline(23, 0, ' ', COLS);
	put(23, 0, hints_text);
	refresh();
}

void
ui_goto(enum ui_screen_id id)
{
	/* The completing step leaves the transcript open for the review
	 * (session_review); a resumed session too. */
	if (ui.s != NULL)
		session_review(ui.s, 1);
	current = id;
	ui.typing = 0;
	ui.secret = NULL;
	/* A new screen starts clean: nothing of the previous one remains. */
	clear();
	if (screens[id]->init != NULL)
		screens[id]->init();
}

/*
 * A screen that waits for the other machine: how long it has waited, and
 * after ui.wait_secs the wait screen (keep waiting, or abandon).
 */
static const char *
waits(void)
{
	const struct ui_screen *sc = screens[current];

	return sc->waiting != NULL && ui.s != NULL && !ui.closed ?
	    sc->waiting() : NULL;
}

static void
watch_wait(void)
{
	const char *w = waits();

	if (w == NULL) {
		wait_what = NULL;
		if (ov == OV_WAIT)
			ov = OV_NONE;
		return;
	}
	/* codes on the screen: the room is crossing, not waiting */
	if (wait_what != w || ui_qr_on() || ui_qrscan_on()) {
		wait_what = w;
		wait_since = time(NULL);
	}
	if (ov == OV_NONE && ui.wait_secs > 0 &&
	    time(NULL) - wait_since >= (time_t)ui.wait_secs)
		ov = OV_WAIT;
}

void
ui_tally(char out[UI_COLS])
{
	char *path = NULL;
	int r = CK_ERR_ALLOC;

	if (asprintf(&path, "%s/%s", ui.state_dir, SESSION_TRANSCRIPT) < 0)
		path = NULL;
	else
		r = audit_tally_file(path, out, UI_COLS);
	if (r != CK_OK)
		snprintf(out, UI_COLS, "The record could not be counted (%s).",
		    ck_errname(r));
	free(path);
}

const char *
ui_completed(void)
{
	const char *to;

	switch (ui.kind) {
	case UI_KIND_INIT:
		return "The initial root token is revoked.";
	case UI_KIND_REKEY:
		return "The new shares are verified; the old ones are void.";
	case UI_KIND_GENERATE_ROOT:
		return "The new root token is revoked.";
	case UI_KIND_DR_TOKEN:
		return "The DR operation token was issued.";
	case UI_KIND_MIGRATE:
		/* what the holders' shares are now, for the whole room */
		to = json_string_value(json_object_get(json_object_get(
		    json_object_get(ui.s->ext, "offer"), "seal"), "to"));
		return to != NULL && strcmp(to, "shamir") == 0 ?
		    "Back on Shamir: your shares are UNSEAL shares now." :
		    "Auto-unseal: your shares are RECOVERY shares now.";
	default:
		return "Every node is unsealed.";
	}
}

void
ui_ended(const char *how, const char *did)
{
	snprintf(ui.outcome[0], sizeof(ui.outcome[0]), "%s", how);
	snprintf(ui.outcome[1], sizeof(ui.outcome[1]), "%s", did != NULL ? did :
	    "");
	/* Completed: the witnesses review it before the transcript closes. */
	if (session_in_review(ui.s)) {
		ui_goto(UI_SCR_REVIEW);
		return;
	}
	ui_summary();
}

void
ui_summary(void)
{
	transcript_head(ui.s->t, ui.head, NULL);
	ui.closed = 1;
	ui_tally(ui.outcome[2]);
	ui_goto(UI_SCR_SUMMARY);
}

int
ui_abandon(const char *reason)
{
	int r;

	switch (ui.kind) {
	case UI_KIND_INIT:
		r = init_abandon(ui.s, reason, ui.head);
		break;
	case UI_KIND_UNSEAL:
		r = unseal_abandon(ui.s, reason, ui.head);
		break;
	case UI_KIND_REKEY:
		r = rekey_abandon(ui.s, reason, ui.head);
		break;
	case UI_KIND_MIGRATE:	/* as `conclave migrate abandon` */
		r = unseal_abandon(ui.s, reason, ui.head);
		break;
	default:
		r = generate_root_abandon(ui.s, reason, ui.head);
		break;
	}
	if (r != CK_OK) {
		ui_say_err("The ceremony could not be abandoned", r, r == CK_ERR_STATE ?
		    "the server may have acted on the shares already: wait for its "
		    "result" : r == CK_ERR_IN_REVIEW ? "its review closes it: a "
		    "witness who saw something go wrong answers n and says why "
		    "(F2)" : NULL);
		return r;
	}
	ui_ended("Abandoned: the transcript is signed and says why.", NULL);
	return CK_OK;
}

static void
overlay_key(int ch)
{
	json_t *d;
	int k;

	switch (ov) {
	case OV_HELP:
		ov = OV_NONE;
		break;
	case OV_LOCK:
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			ov = OV_NONE;
		break;
	case OV_WAIT:
		if (ch == 'r' || ch == 'R') {
			wait_since = time(NULL);
			ov = OV_NONE;
		} else if (ch == 'a' || ch == 'A') {
			ov = OV_WAIT_ABANDON;
		}
		break;
	case OV_WAIT_ABANDON:
		if (ch == 'y' || ch == 'Y') {
			ov = OV_NONE;
			if (ui_abandon("no answer from the bridge") != CK_OK)
				wait_since = time(NULL);
		} else if (ch == 'n' || ch == 'N' || ch == 27) {
			/* back to where a was pressed: the wait, or its screen */
			ov = time(NULL) - wait_since >= (time_t)ui.wait_secs ?
			    OV_WAIT : OV_NONE;
		}
		break;
	case OV_QUIT:
		if (ch == 'y' || ch == 'Y') {
			if (ui.s != NULL && !ui.closed && ui_record("deviation", "operator",
			    json_pack("{s:s}", "text",
			    "the appliance was left before the ceremony closed")) != CK_OK)
				ui_say(1, "could not record leaving");
			quitting = 1;
		}
		ov = OV_NONE;
		break;
	case OV_DEVIATION:
		k = ui_field_key(dev_stage == 0 ? &dev_who : &dev_what, ch);
		if (k < 0) {
			ov = OV_NONE;
			break;
		}
		if (k == 0)
			break;
		if (dev_stage == 0) {
			if (dev_who.len > 0 && rd_printable_utf8(dev_who.buf,
			    dev_who.len, 0) == CK_OK && dev_who.len <= ROSTER_NAME_MAX)
				dev_stage = 1;
			break;
		}
		if (dev_what.len == 0 ||
		    rd_printable_utf8(dev_what.buf, dev_what.len, 0) != CK_OK)
			break;
		d = json_pack("{s:s}", "text", dev_what.buf);
		if (d == NULL || ui_record("deviation", dev_who.buf, d) != CK_OK) {
			ui_say(1, "The deviation could not be recorded");
		} else {
			ui.deviations++;
			ui_say(0, "Deviation %u recorded%s.", ui.deviations,
			    ui.s != NULL ? " in the transcript" :
			    " (it goes into the transcript when the ceremony begins)");
		}
		ov = OV_NONE;
		break;
	default:
		break;
	}
}

static void
open_deviation(void)
{
	ui_field_clear(&dev_who);
	ui_field_clear(&dev_what);
	dev_stage = 0;
	ov = OV_DEVIATION;
}

static long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * The appliance's status page (Ctrl-A): the airgap facts as plain lines on
 * the terminal (curses set aside), then Enter goes back. On the appliance
 * (started by init) "p" powers off, but only with no ceremony open: its
 * state is in RAM. Sticks are unmounted first; init does the rest.
 */
static void
status_page(void)
{
	char line[16];
	int off;

	def_prog_mode();
	endwin();
	printf("\n");
	ui_airgap(stdout);
	printf("appliance: Enter goes back; p and Enter powers off\n");
	fflush(stdout);
	off = fgets(line, sizeof(line), stdin) != NULL && line[0] == 'p';
	reset_prog_mode();
	clear();
	if (!off)
		return;
	if (getppid() != 1) {
		ui_say(1, "Power off is for the appliance, where init started "
		    "conclave ui.");
		return;
	}
	if (ui.s != NULL && !ui.closed) {
		ui_say(1, "A ceremony is open: finish or abandon it before "
		    "powering off (its state is in memory).");
		return;
	}
	if (ui.sticks_auto)
		(void)ui_sticks_release();
	ui_exchange_release();
	endwin();
	printf("appliance: powering off\n");
	fflush(stdout);
	/* busybox init: SIGUSR2 is poweroff, after its shutdown actions. */
	if (kill(1, SIGUSR2) != 0)
		ui_fatal("cannot ask init to power off");
	for (;;)
		pause();
}

/* The first field of /proc/uptime, or "?" (not Linux, or no /proc). */
static void
read_uptime(char *buf, size_t len)
{
	FILE *f = fopen("/proc/uptime", "re");

	if (f == NULL || fscanf(f, "%15[0-9.]", buf) != 1)
		snprintf(buf, len, "?");
	if (f != NULL)
		fclose(f);
}

/* The one place that reads keys. */
static void
dispatch(void)
{
	time_t last = time(NULL);
	long ticked = 0;
	int ch;

	while (!quitting) {
		ui_redraw();
		/* QR codes change faster than the screens poll */
		timeout(ui_qr_on() ? ui_qr_wait_ms() : ui_qrscan_on() ?
		    UI_SCAN_MS : UI_TICK_MS);
		/* The boot's last figure (the status page prints it). */
		if (ui.first_screen[0] == '\0')
			read_uptime(ui.first_screen, sizeof(ui.first_screen));
		ch = getch();
		if (ch == ERR) {
			/* while codes are shown, the rest ticks as often as before */
			ui_qr_tick();
			ui_qrscan_tick();
			if ((ui_qr_on() || ui_qrscan_on()) &&
			    now_ms() - ticked < UI_TICK_MS)
				continue;
			ticked = now_ms();
			if (ov != OV_LOCK && ui.relock_secs > 0 &&
			    time(NULL) - last >= (time_t)ui.relock_secs) {
				if (ui.secret != NULL)
					ui_field_clear(ui.secret);
				if (ui_qr_on())
					ui_qr_close();
				ui_qrscan_close();
				ov = OV_LOCK;
			}
			ui_qr_follow();
			/* The archive stick read for the previous ceremony
			 * is not the exchange stick (ui_archive_done). */
			if (current != UI_SCR_PREVIOUS)
				ui_exchange_tick(waits() != NULL);
			if (ov == OV_NONE && screens[current]->tick != NULL)
				screens[current]->tick();
			watch_wait();
			/* the bridge answered (or the step moved on): no more codes */
			if (ui_qr_on() && waits() == NULL)
				ui_qr_close();
			if (ui_qrscan_on() && waits() == NULL)
				ui_qrscan_close();
			continue;
		}
		last = time(NULL);
		if (ch == KEY_RESIZE) {
			clear();
			continue;
		}
		if (LINES < UI_ROWS || COLS < UI_COLS)
			continue;	/* keys wait until the screen fits */
		if (ov != OV_NONE) {
			overlay_key(ch);
			continue;
		}
		if (ui_qr_on()) {
			ui_qr_key(ch);
			continue;
		}
		if (ui_qrscan_on()) {
			ui_qrscan_key(ch);
			continue;
		}
		if ((ch == 'v' || ch == KEY_F(4)) && !ui.typing && waits() != NULL) {
			ui_qrscan_open();
			continue;
		}
		if ((ch == 'c' || ch == KEY_F(3)) && !ui.typing && waits() != NULL &&
		    ui_qr_offer()) {
			ui_qr_open();
			continue;
		}
		/* A bridge known to have stopped (it says so when started
		 * again, and tells the room to abandon): no need to sit out
		 * the wait first. */
		if ((ch == 'a' || ch == 'A') && !ui.typing && waits() != NULL) {
			watch_wait();	/* since when: a before the first tick */
			ov = OV_WAIT_ABANDON;
			continue;
		}
		if (ch == KEY_F(1) || (ch == '?' && !ui.typing)) {
			ov = OV_HELP;
			continue;
		}
		if (ch == KEY_F(2) || ch == UI_KEY_DEVIATION) {
			open_deviation();
			continue;
		}
		if (ch == UI_KEY_STATUS) {
			status_page();
			continue;
		}
		if (ch == UI_KEY_QUIT || ch == KEY_F(10)) {
			ov = OV_QUIT;
			continue;
		}
		ui.status[0] = '\0';
		screens[current]->key(ch);
	}
}

int
ui_run(void)
{
	if (ui_field_init(&dev_who, 0) != CK_OK ||
	    ui_field_init(&dev_what, 0) != CK_OK)
		ui_fatal("out of memory");
	if (ui.relock_secs == 0)
		ui.relock_secs = UI_RELOCK_SECS;
	if (ui.wait_secs == 0)
		ui.wait_secs = UI_WAIT_SECS;
	setlocale(LC_ALL, "");
	if (initscr() == NULL)
		ui_fatal("cannot start the terminal UI");
	curses_on = 1;
	/* raw: Ctrl-C and Ctrl-Z are keys here, not a way out mid-ceremony. */
	raw();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	/* An open ceremony comes first: resumed or abandoned, never begun over. */
	ui_goto(ui_resume_pending(ui.state_dir) ? UI_SCR_RESUME : UI_SCR_START);
	dispatch();
	ui_qr_free();
	endwin();
	curses_on = 0;
	wipe_all();
	return 0;
}
