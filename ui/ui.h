/*
 * The guided ncurses application (`conclave` without a subcommand, or
 * `conclave ui`): what key holders and witnesses see in the room.
 *
 * One module per screen (ui/scr_*.c), each with X_init (entering the
 * screen), X_draw and X_key (one key; the dispatcher has already handled
 * help, deviations and the lock), and an optional X_tick (called about
 * four times a second while no key arrives: polling the exchange folder).
 * ui.c owns getch(), KEY_RESIZE, the frame every screen is drawn in (the
 * REHEARSAL banner, title, status line, key hints), the overlays (help,
 * deviation, lock) and the one fatal path, which calls endwin() first.
 *
 * The screens add no ceremony logic: they call the engine
 * (ceremony/init.h) and show what it returns. Everything untrusted (names
 * from key files and file names, server fields) goes through
 * rd_printable_utf8 before it is drawn (ui_safe).
 */
#ifndef CONCLAVE_UI_H
#define CONCLAVE_UI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "ceremony/roster.h"
#include "ceremony/session.h"
#include "crypto/pgp.h"

#define UI_COLS		80	/* every screen is laid out for 80x24 */
#define UI_ROWS		24
#define UI_TOP		3	/* first content row */
#define UI_BOTTOM	21	/* last content row */
/* A status message wraps within 80 columns onto at most this many rows,
 * from row 22 upward over the content's last rows. */
#define UI_STATUS_ROWS	5
#define UI_WAIT_SECS	120	/* default ui.wait_secs */
#define UI_RELOCK_SECS	300	/* default inactivity relock */
#define UI_TICK_MS	250
#define UI_SCAN_MS	10	/* a key, between camera frames while scanning */
#define UI_CONSOLE_FB	"/dev/fb0"	/* fbcon draws the virtual consoles here */
#define UI_FIELD_MAX	256	/* names, paths, free text */
#define UI_MAX_PENDING	64	/* records made before the ceremony exists */
#define UI_MAX_KEYFILES	64

/* Control keys that work on every terminal (TERM=linux, xterm, tmux). */
#define UI_CTRL(c)	((c) & 0x1f)
#define UI_KEY_DEVIATION	UI_CTRL('e')
#define UI_KEY_QUIT		UI_CTRL('q')
#define UI_KEY_STATUS		UI_CTRL('a')	/* the appliance's status page */

enum ui_screen_id {
	UI_SCR_START,
	UI_SCR_ROSTER,
	UI_SCR_THRESHOLD,
	UI_SCR_FPR,
	UI_SCR_BEGIN,
	UI_SCR_RESULT,
	UI_SCR_HANDOUT,
	UI_SCR_REVIEW,
	UI_SCR_CLOSE,
	UI_SCR_SUMMARY,
	UI_SCR_QUORUM_BEGIN,
	UI_SCR_SAS,
	UI_SCR_QUORUM_SHARE,
	UI_SCR_QUORUM_RESULT,
	UI_SCR_CHECK,
	UI_SCR_ARCHIVE,
	UI_SCR_RESUME,
	UI_SCR_PREVIOUS,
	UI_NSCREENS,
};

struct ui_screen {
	const char *title;
	/* the step id in protocol/steps.h: the title line shows its number */
	const char *step;
	const char *help;	/* shown by F1 / ? */
	void (*init)(void);
	void (*draw)(void);
	void (*key)(int ch);
	void (*tick)(void);	/* may be NULL */
	/*
	 * May be NULL. While the screen waits for the other machine: what to
	 * do there (e.g. "run conclave-bridge unseal"); NULL when it does not
	 * wait. After ui.wait_secs without an answer the wait screen offers
	 * to keep waiting or to abandon the ceremony, and says this.
	 */
	const char *(*waiting)(void);
};

/* A line of input; masked fields live in secmem and are never drawn. */
struct ui_field {
	char *buf;		/* UI_FIELD_MAX + 1 bytes */
	size_t len;
	int masked;
};

struct ui_pending {
	char event[32];
	char actor[ROSTER_NAME_MAX + 1];
	json_t *details;
};

enum ui_kind {
	UI_KIND_INIT,
	UI_KIND_UNSEAL,
	UI_KIND_REKEY,
	UI_KIND_GENERATE_ROOT,	/* generate-root, OTP mode */
	UI_KIND_MIGRATE,	/* seal migration: unseal with "migrate" */
	UI_KIND_DR_TOKEN,	/* Vault Enterprise DR operation token */
};

/* The one ceremony this process runs, shared by the screens. */
struct ui_ctx {
	enum ui_kind kind;
	const char *state_dir;
	const char *exchange;
	const char *keys_dir;	/* where the roster's key files are */
	const char *sticks_dir;	/* holders' sticks as folders (rehearsal) */
	int sticks_auto;	/* --sticks auto: real sticks (ui/sticks.c) */
	/* --sticks auto without --exchange: the exchange stick by the
	 * appliance, mounted on ui.exchange between crossings */
	int exchange_auto;
	const char *sysfs;	/* where sticks are looked for (/sys) */
	const char *stick_mount;	/* where a holder's stick is mounted */
	const char *archive_dir;	/* --archive DIR: the archive as a folder */
	const char *camera;	/* the V4L2 camera that scans the bridge's codes */
	/* --camera-frames DIR: recorded frames instead (rehearsals, tests) */
	const char *camera_frames;
	/* where c draws the codes: a framebuffer (NULL: text half blocks);
	 * fb_file_w x fb_file_h: a file stands in for it (tests) */
	const char *framebuffer;
	uint32_t fb_file_w, fb_file_h;
	int archived;		/* the closing archive step was done */
	char first_screen[24];	/* uptime (s) when the first screen was drawn */
	const char *gnupg_base;
	const char *previous;	/* the cluster's previous transcript, verified */
	int has_prev;
	uint8_t prev[TRANSCRIPT_HASH_BYTES];	/* its head hash */
	json_t *handout;	/* who holds which share (quorum_read_handout) */
	int prev_no_handout;	/* why prev gives no handout (quorum_read_handout), or 0 */
	int rehearsal;
	unsigned relock_secs;
	unsigned wait_secs;	/* a wait this long offers retry or abandon */
	struct pgp_home *home;
	struct roster *roster;
	unsigned threshold;
	int recovery;
	int pgp_mode;		/* generate-root: the token encrypted to a key */
	/* PGP mode: the one member (an operator) the token is encrypted to */
	struct roster *recipient;
	struct session *s;	/* NULL until the ceremony has begun */
	int closed;		/* the transcript is closed and signed */
	uint8_t head[TRANSCRIPT_HASH_BYTES];	/* its head hash, once closed */
	/* the review's and summary's first lines: how it ended, what was
	 * done (or empty), the exceptions on the record (audit_tally_file) */
	char outcome[3][UI_COLS];
	unsigned handed_out;	/* new shares handed out and proven */
	unsigned quorum_given;	/* holders whose share was sealed to the bridge */
	unsigned deviations;
	struct ui_pending pending[UI_MAX_PENDING];
	size_t npending;
	int typing;		/* a field has the keys: '?' is text, not help */
	struct ui_field *secret;	/* a masked field open now: wiped on relock */
	char status[UI_STATUS_ROWS * UI_COLS];	/* message under the content */
	int status_bad;
};

extern struct ui_ctx ui;

/* The whole application; returns the exit status. */
int ui_run(void);

void ui_goto(enum ui_screen_id id);
/* 1 when dir holds a ceremony not closed: the UI starts at scr_resume. */
int ui_resume_pending(const char *dir);
void ui_quit(void);
/*
 * 1 when the exchange folder holds the ceremony's next envelope (the one
 * the engine would read now), 0 when not yet. Only looks: the engine
 * reads and checks it.
 */
int ui_envelope_waiting(void);
/*
 * A secret key file in folder (a holder's or witness's stick): the first
 * *.sec.asc or *.sec.gpg by name, malloc'd path in *out; CK_ERR_NOT_FOUND.
 */
int ui_find_secret_key(const char *folder, char **out);
/* The same for a share file: the one the open ceremony's handout (the
 * init or rekey its shares come from) wrote there, else the newest *.gpg
 * that is not *.sec.gpg. */
int ui_find_share_file(const char *folder, char **out);
/* The share file this ceremony's handout wrote there (rekey verification). */
int ui_find_new_share(const char *folder, char **out);
/* A public key file in ui.keys_dir and the role and name its file name
 * suggests (ROLE-NAME.asc; any other file: a holder named after it). */
struct ui_keyfile {
	char file[256];
	char name[ROSTER_NAME_MAX + 1];
	int role;		/* enum roster_role, or -1: left out */
};
/* The key files (*.asc, *.gpg, *.pgp; never *.sec.*), sorted by name; at
 * most max. A folder that cannot be opened is said on the status line. */
size_t ui_scan_keyfiles(struct ui_keyfile *files, size_t max);
/* The ceremony id and key (hex and words) from row y; the next free row. */
int ui_ceremony_key(int y);
/*
 * The ceremony ended (completed, failed or abandoned: how says which;
 * did what was done, or NULL). Completed, it is still open: the
 * witnesses' review comes next, and closes it. Otherwise (closed): the
 * head hash taken from the transcript, the exceptions counted from its
 * records, the summary shown next.
 */
void ui_ended(const char *how, const char *did);
/* How a ceremony of ui.kind that completed ends (ui_ended's how): the
 * same words whether it ran unbroken or was resumed at its review. */
const char *ui_completed(void);
/* The transcript is closed: its head and counts, the summary next. */
void ui_summary(void);
/* The exceptions on the record so far (audit_tally_file), one line. */
void ui_tally(char out[UI_COLS]);

/* Give the open ceremony up (the kind's abandon) with reason; ui_ended. */
int ui_abandon(const char *reason);

/* The previous transcript's head as words (or that there is none). */
int ui_previous(int y);
/*
 * The cluster's previous transcript at path taken as --previous-transcript
 * and the archive (ui/scr_previous.c) give it: verified (transcript_verify,
 * its own key), its handout read (quorum_read_handout, in the parser
 * child); then ui.prev, ui.handout and ui.prev_no_handout are its. On an
 * error nothing changes and why says what.
 */
int ui_take_previous(const char *path, char *why, size_t whylen) CK_WUR;
/* ui.sticks_dir/name, or "" without --sticks (malloc'd, or NULL). */
char *ui_stick_path(const char *name);
/* The stick field filled in with that path for name (to edit or accept). */
void ui_stick_field(struct ui_field *f, const char *name);
/* Rekey: every new share handed out, t new shares verify it next. */
void ui_rekey_verify(void);
/*
 * A holder's turn, the same on every screen that decrypts a share
 * (handout, quorum, the check of all new shares): UI_TURN_ASK "is NAME at
 * the appliance?", UI_TURN_STICK their stick (a folder typed in, or with
 * --sticks auto the stick they insert), UI_TURN_PASS their passphrase or
 * PIN (masked, secmem, wiped right after use). The screen draws each step
 * and does what the turn is for with the passphrase.
 */
enum ui_turn_step { UI_TURN_PICK, UI_TURN_ASK, UI_TURN_STICK, UI_TURN_PASS,
    UI_TURN_OVER };
struct ui_turn {
	int step;		/* enum ui_turn_step */
	char who[ROSTER_NAME_MAX + 1];	/* the holder whose turn it is */
	unsigned k;		/* their share number; 0: they typed their name */
	unsigned sel;		/* UI_TURN_PICK: the holder highlighted */
	/*
	 * May be NULL (holders type their name). 1 while holder k (1-based)
	 * has yet to take their turn: holders go in any order, the room picks
	 * who is at the appliance (o at ASK: UI_TURN_PICK) and a late holder
	 * blocks nobody.
	 */
	int (*pending)(unsigned k);
	struct ui_field stick, pass;
	char *keyfile;		/* the secret key file on the stick; NULL: a card */
	int writable;		/* the stick is mounted read-write (handout) */
	/*
	 * May be NULL. The stick before the PIN: 1 when it is who's; else 0,
	 * the refusal said on the status line and the turn set where it goes
	 * on (ui_turn_start, or step).
	 */
	int (*stick_ok)(void);
};
#define UI_TURN_USE	1	/* ui_turn_key: the passphrase is in t->pass */
#define UI_TURN_BACK	(-1)	/* ui_turn_key: Escape while asking */
/* The fields (once) and an empty passphrase; the turn starts at ASK. */
void ui_turn_init(struct ui_turn *t, int writable, int (*stick_ok)(void),
    int (*pending)(unsigned k));
/* who's turn begins: asked whether they are at the appliance. */
void ui_turn_start(struct ui_turn *t, const char *who);
/* The first holder still pending (roster order) is asked; 0 when none is. */
int ui_turn_next(struct ui_turn *t);
/*
 * A turn's stick_ok for the screens that know the holder's share number
 * (handout, the check of all new shares): init_stick_check, the key on the
 * stick (or the card) must be holder t->k's; a refusal said, the stick
 * released, the turn back at the stick.
 */
int ui_turn_holders_key(struct ui_turn *t);
/* UI_TURN_PICK: the holders still pending, to choose who is next, from y. */
void ui_turn_draw_pick(const struct ui_turn *t, int y);
/* One key: 0 consumed, UI_TURN_BACK, UI_TURN_USE (then ui_turn_used). */
int ui_turn_key(struct ui_turn *t, int ch);
/* The screen's tick: --sticks auto takes the stick once it is in. */
void ui_turn_tick(struct ui_turn *t);
/*
 * After UI_TURN_USE, r what the engine said: the passphrase wiped; a
 * wrong one (CK_ERR_BAD_PASSPHRASE) said, the turn stays at PASS and 0
 * is returned; otherwise the stick released, the turn at UI_TURN_OVER
 * (r CK_OK) or back at STICK, and 1 (the screen says what happened).
 */
int ui_turn_used(struct ui_turn *t, int r);
/* *keyfile: the secret key file in the stick's folder, or NULL (a card). */
void ui_stick_keyfile(const struct ui_field *stick, char **keyfile);
/*
 * --sticks auto (ui/sticks.c). ui_sticks_wait: the sticks in now do not
 * count. ui_sticks_poll: CK_OK once a stick inserted since is mounted
 * on ui.stick_mount, read-only unless writable (folder then names it;
 * CK_ERR_READ_ONLY: a write-protected stick, not mounted); CK_ERR_NOT_FOUND
 * while none; CK_ERR_STATE if two went in at once; CK_ERR_MOUNT if no file
 * system it knows is on it; else stick_identify's or stick_mount's error
 * (it counts again once taken out and put back). ui_sticks_label: what was
 * found ("/dev/sdb "LABEL" vfat, vendor model, N MB"). ui_sticks_release: sync and unmount, before "remove the stick".
 */
void ui_sticks_wait(void);
int ui_sticks_poll(struct ui_field *folder, int writable);
const char *ui_sticks_label(void);
int ui_sticks_release(void);
/* A screen's tick while it waits for a holder's stick: 1 once it is
 * mounted and *keyfile looked up on it (ui_stick_keyfile); refusals said
 * on the status line. ui_sticks_done: released, a failure said. Both do
 * nothing without --sticks auto. */
int ui_sticks_take(struct ui_field *folder, int writable, char **keyfile);
void ui_sticks_done(void);
/*
 * The exchange stick with --sticks auto (ui/sticks.c), run by the
 * dispatcher every tick before the screen's own; waiting: the screen waits
 * for the bridge. Mounted read-write on ui.exchange once it is the right
 * stick (before the ceremony: any but a holder's; after: one holding this
 * ceremony's folder), synced and unmounted with "remove it now" when the
 * bridge's turn comes and its answer is not on it, or the ceremony has
 * closed. ui_exchange_in: 1 while it is mounted (always without auto).
 * ui_exchange_release: unmounted, leaving.
 */
void ui_exchange_tick(int waiting);
int ui_exchange_in(void);
void ui_exchange_release(void);
/*
 * The archive stick, at the summary (--sticks auto): 1 once a stick that
 * arrived is mounted read-write on ui.stick_mount (a holder's stick is
 * refused, said and recorded); ui_sticks_release unmounts it.
 */
int ui_archive_take(int writable);
/*
 * The archive stick read for the previous ceremony (ui/scr_previous.c),
 * mounted read-only by ui_archive_take(0): the exchange stick's slot does
 * not look at arrivals meanwhile (ui.c), and ui_archive_done unmounts it
 * with the sticks in then not counting for that slot either.
 */
int ui_archive_done(void);
/* The archive stick mounted again, read-only, to check the copy from the
 * medium (CK_ERR_MEDIA_GONE: it was pulled). */
int ui_archive_reread(void);
/*
 * The envelope for the bridge as QR codes (ui/qr.c), the optical crossing
 * beside the stick. ui_qr_follow, every tick before the exchange stick's:
 * a copy of the envelope the appliance last wrote, taken while it is on
 * the folder; ui_qr_offer: 1 when there is one (following first, so a key
 * before the tick never gets the one before). While a screen waits for
 * the bridge, c or F3 opens the codes (ui_qr_open; refusals said); while ui_qr_on, the dispatcher draws
 * ui_qr_draw instead of the screen, gives every key to ui_qr_key (+ -
 * rate, s d density, Esc back), waits at most ui_qr_wait_ms for a key and
 * calls ui_qr_tick (the next code when due). ui_qr_close: back to the
 * screen; ui_qr_free: leaving, the copy dropped too.
 */
void ui_qr_follow(void);
int ui_qr_offer(void);
int ui_qr_open(void);
int ui_qr_on(void);
void ui_qr_draw(void);
void ui_qr_key(int ch);
int ui_qr_wait_ms(void);
void ui_qr_tick(void);
void ui_qr_close(void);
void ui_qr_free(void);
/*
 * The airgap as the running kernel sees it and the boot's timings, one
 * "airgap:"/"boot:" line each (ui/airgap.c): the status page, Ctrl-A.
 */
void ui_airgap(FILE *out);
/* The status page's module probes, made once before the seccomp allow-list
 * is installed (it would answer them itself); ui_airgap prints them. */
void ui_airgap_probe(void);
/*
 * The bridge's answer from its QR codes: v (or F4) on a screen waiting for
 * the bridge scans with ui.camera (or ui.camera_frames): ui_qrscan_tick
 * takes a frame at a time, the screen shows fragments received / needed
 * (ui_qrscan_draw, in the content rows). A complete envelope of this
 * ceremony, the next in sequence from the bridge, is put on the exchange
 * folder, where the screen reads it as it reads the stick's; another
 * ceremony's or another step's is refused (said, on the record once) and
 * nothing is written. A stall (QRS_STALL_SECONDS without a new fragment)
 * or a camera that is gone ends the scan and offers the stick. Esc stops.
 */
int ui_qrscan_open(void);
int ui_qrscan_on(void);
void ui_qrscan_draw(void);
void ui_qrscan_key(int ch);
void ui_qrscan_tick(void);
void ui_qrscan_close(void);
/* Screen-switch for the screens' own sub-states: redraw now. */
void ui_redraw(void);

/* Frame and text helpers (clipped to the content rows). */
void ui_text(int y, int x, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Word-wrapped paragraph from row y; returns the next free row. */
int ui_para(int y, const char *text);
void ui_bold(int y, int x, const char *text);
void ui_hints(const char *hints);
void ui_progress(int y, const char *what, unsigned done, unsigned total);
void ui_say(int bad, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An engine error on the status line: its message and CK_ERR_ name. */
void ui_say_err(const char *what, int err, const char *why);

/* text if it is printable UTF-8, else a placeholder (never raw bytes). */
const char *ui_safe(const char *text);

/* Fields. ui_field_key: 1 = Enter, 0 = consumed, -1 = Escape. */
int ui_field_init(struct ui_field *f, int masked);
void ui_field_set(struct ui_field *f, const char *text);
void ui_field_clear(struct ui_field *f);	/* wipes */
void ui_field_free(struct ui_field *f);
int ui_field_key(struct ui_field *f, int ch);
void ui_field_draw(int y, int x, int width, const struct ui_field *f);

/*
 * A witness types the words another screen shows (a bridge's short
 * authentication string, a restarted bridge's new key): their name, then
 * the words, which the caller compares. ui_words_start: fields ready, the
 * name asked (ui.typing). ui_words_key: 1 when words were entered (in
 * w->words.buf), 0 otherwise; Escape goes back to the name.
 * ui_words_mismatch: the words cleared, the STOP paragraph shown.
 * ui_words_draw from line y: intro, the two fields, stop after a mismatch.
 */
enum ui_words_step { UI_WORDS_WHO, UI_WORDS_WORDS, UI_WORDS_MISMATCH };
struct ui_words {
	struct ui_field who, words;
	enum ui_words_step step;
};
void ui_words_start(struct ui_words *w) __attribute__((nonnull));
int ui_words_key(struct ui_words *w, int ch) __attribute__((nonnull));
void ui_words_mismatch(struct ui_words *w) __attribute__((nonnull));
void ui_words_draw(int y, const struct ui_words *w, const char *intro,
    const char *stop) __attribute__((nonnull));

/*
 * Put an event on the record: into the transcript once the ceremony
 * exists, else queued until it does (ui_flush_pending after init_begin).
 * details is taken over (may be NULL).
 */
int ui_record(const char *event, const char *actor, json_t *details);
int ui_flush_pending(void);

/* Restore the terminal, wipe what we hold, print why, exit 1. */
void ui_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* The screens (ui/scr_*.c). */
extern const struct ui_screen scr_start, scr_roster, scr_threshold, scr_fpr,
    scr_begin, scr_result, scr_handout, scr_review, scr_close, scr_summary,
    scr_quorum_begin, scr_sas, scr_quorum_share, scr_quorum_result,
    scr_check, scr_archive, scr_resume, scr_previous;

#endif
