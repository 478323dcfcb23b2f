/*
 * The bridge's optical crossing (see bqr.h).
 *
 * Limits: envelopes of at most ENVELOPE_MAX_BYTES (the receiver refuses a
 * stream claiming more before allocating for it); a camera frame waited
 * for at most POLL_MS; a folder of frames read at RECORDED_FPS, the pace
 * of a camera filming a screen, so a long wait costs little.
 */
#include "bridge/bqr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/errors.h"
#include "media/courier.h"
#include "media/file.h"
#include "media/qr.h"
#include "media/qr_cmd.h"
#include "media/qrstream.h"
#include "media/tty.h"

#define POLL_MS		250
#define RECORDED_FPS	QRS_DEFAULT_FPS

int
bqr_scanning(const struct bridge_opts *o)
{
	return o->camera != NULL || o->camera_frames != NULL;
}

static const char *
source(const struct bridge_opts *o)
{
	return o->camera_frames != NULL ? o->camera_frames : o->camera;
}

/* What the complete stream carried, checked as an envelope from the stick. */
static int
check_stream(const uint8_t *msg, size_t len, const uint8_t *ceremony_id,
    const uint8_t *signer_pk, uint64_t last_seq, enum envelope_type want,
    enum envelope_type want2, struct envelope *env)
{
	int r;

	r = courier_accept(msg, len, ceremony_id, signer_pk, last_seq, want, env);
	if (r == CK_ERR_BAD_TYPE && want2 != 0) {
		envelope_free(env);
		r = courier_accept(msg, len, ceremony_id, signer_pk, last_seq,
		    want2, env);
	}
	return r;
}

/* A failure of the scan, said, or held when the caller asks. */
static void
failed(const char *cmd, struct bqr_refusal *held, const char *what, int r,
    const char *why)
{
	if (held == NULL) {
		opts_fail(cmd, what, r, why);
		return;
	}
	held->what = what;
	held->err = r;
	snprintf(held->why, sizeof(held->why), "%s", why);
}

void
bqr_refusal_say(const char *cmd, struct bqr_refusal *f)
{
	if (f->what != NULL)
		opts_fail(cmd, f->what, f->err, f->why);
	f->what = NULL;
}

/* A refused stream, said (or held) by what it was. */
static void
refused(const char *cmd, int r, const struct envelope *env,
    const uint8_t *ceremony_id, struct bqr_refusal *held)
{
	char why[sizeof(held->why)], theirs[ENVELOPE_CEREMONY_ID_HEX + 1];
	char ours[ENVELOPE_CEREMONY_ID_HEX + 1];

	if (r == CK_ERR_WRONG_CEREMONY && ceremony_id != NULL) {
		envelope_ceremony_id_hex(env->ceremony_id, theirs);
		envelope_ceremony_id_hex(ceremony_id, ours);
		snprintf(why, sizeof(why), "the codes carry an envelope of another "
		    "ceremony (%s, this is %s); nothing was written", theirs, ours);
	} else if (env->payload != NULL) {
		snprintf(why, sizeof(why), "the codes carry %s number %llu, refused; "
		    "nothing was written", envelope_type_name(env->type) != NULL ?
		    envelope_type_name(env->type) : "an envelope",
		    (unsigned long long)env->seq);
	} else {
		snprintf(why, sizeof(why), "the codes carry no valid envelope; "
		    "nothing was written");
	}
	failed(cmd, held, "QR codes", r, why);
}

/* A pause between recorded frames; a device paces itself. */
static void
pace(const struct bridge_opts *o)
{
	struct timespec t = { 0, 1000000000L / RECORDED_FPS };

	if (o->camera_frames != NULL)
		nanosleep(&t, NULL);
}

int
bqr_receive(const char *cmd, const struct bridge_opts *o,
    const uint8_t *ceremony_id, const uint8_t *signer_pk, uint64_t last_seq,
    enum envelope_type want, enum envelope_type want2, unsigned wait_s,
    struct envelope *env, uint8_t **msg, size_t *len,
    struct bqr_refusal *held)
{
	struct qr_camera *cam = NULL;
	struct qr_scanner *sc = NULL;
	struct qrs_receiver *rcv = NULL;
	struct ftn_progress p;
	struct qrs_watch w;
	time_t deadline = time(NULL) + (time_t)wait_s;
	uint32_t shown = 0;
	int r, started = wait_s == 0;

	memset(env, 0, sizeof(*env));
	if (held != NULL)
		memset(held, 0, sizeof(*held));
	*msg = NULL;
	*len = 0;
	if ((r = o->camera_frames != NULL ?
	    qr_camera_open_recorded(o->camera_frames, &cam) :
	    qr_camera_open(o->camera, &cam)) != CK_OK) {
		failed(cmd, held, source(o), r, "no camera there; nothing was "
		    "written");
		/* as a camera gone: the stick is offered, and no missing request
		 * is taken for one a stopped bridge left under way */
		r = r == CK_ERR_ALLOC ? r : CK_ERR_MEDIA_GONE;
		goto out;
	}
	if ((r = qr_scanner_new(&sc)) != CK_OK ||
	    (r = qrs_receiver_new(ENVELOPE_MAX_BYTES, &rcv)) != CK_OK) {
		failed(cmd, held, "QR scan", r, "");
		goto out;
	}
	tty_printw(stderr,
	    "conclave-bridge %s: scanning the appliance's codes with "
	    "%s (envelope %llu)\n", cmd, source(o),
	    (unsigned long long)last_seq + 1);
	qrs_watch_start(&w, o->stall_s, time(NULL));
	for (;;) {
		pace(o);
		r = qrs_receiver_camera(rcv, sc, cam, POLL_MS);
		if (r == CK_ERR_MEDIA_GONE || r == CK_ERR_IO ||
		    r == CK_ERR_UNSUPPORTED || r == CK_ERR_ALLOC) {
			failed(cmd, held, source(o), r, "the camera is gone; "
			    "nothing was written");
			r = r == CK_ERR_ALLOC ? r : CK_ERR_MEDIA_GONE;
			goto out;
		}
		qrs_receiver_progress(rcv, &p);
		if (p.recovered != shown) {
			if (!started) {
				started = 1;
				qrs_watch_start(&w, o->stall_s, time(NULL));
			}
			shown = p.recovered;
			tty_printw(stderr,
			    "conclave-bridge %s: QR: %u of %u fragments\n",
			    cmd, p.recovered, p.fragments);
		}
		if (p.complete) {
			if ((r = qrs_receiver_message(rcv, msg, len)) != CK_OK)
				goto out;
			r = check_stream(*msg, *len, ceremony_id, signer_pk, last_seq, want,
			    want2, env);
			if (r == CK_OK)
				goto out;
			if (r == CK_ERR_REPLAY && signer_pk != NULL) {
				/* the appliance's last envelope, still on its screen */
				tty_printw(stderr,
				    "conclave-bridge %s: QR: that is envelope "
				    "%llu, already taken; waiting for %llu\n", cmd,
				    (unsigned long long)env->seq,
				    (unsigned long long)last_seq + 1);
				envelope_free(env);
				free(*msg);
				*msg = NULL;
				if ((r = qrs_receiver_pass_over(rcv)) != CK_OK)
					goto out;
				shown = 0;
				started = wait_s == 0;
				qrs_watch_start(&w, o->stall_s, time(NULL));
				continue;
			}
			refused(cmd, r, env, ceremony_id, held);
			if (held != NULL && env->payload != NULL) {
				held->seen = *env;
				memset(env, 0, sizeof(*env));
			}
			goto out;
		}
		if (started && qrs_watch_stalled(&w, &p, time(NULL))) {
			char why[160];

			snprintf(why, sizeof(why), "nothing new for %u s (%u of %u "
			    "fragments); nothing was written", o->stall_s,
			    p.recovered, p.fragments);
			r = CK_ERR_QR_STALLED;
			failed(cmd, held, "QR scan", r, why);
			goto out;
		}
		if (!started && time(NULL) >= deadline) {
			r = CK_ERR_NOT_FOUND;
			failed(cmd, held, "QR scan", r, "no code of the "
			    "appliance's next envelope in time; nothing was "
			    "written");
			goto out;
		}
	}
out:
	if (r != CK_OK) {
		envelope_free(env);
		free(*msg);
		*msg = NULL;
		*len = 0;
	}
	qrs_receiver_free(rcv);
	qr_scanner_free(sc);
	qr_camera_close(cam);
	return r;
}

/* The codes as PNG files in a folder that appears complete (again: one
 * there already, the stopped bridge's, is kept). */
static int
write_codes(const char *cmd, const struct bridge_opts *o, const char *name,
    const uint8_t *msg, size_t len, int again)
{
	struct qr_scanner *sc = NULL;
	struct qrs_opts qo;
	char base[ENVELOPE_FILE_NAME_MAX], tmp[ENVELOPE_FILE_NAME_MAX + 8];
	uint32_t k = 0;
	int r, dfd = -1, sub = -1;
	size_t n = strlen(name);

	/* NNNNNN-TYPE.env names the folder NNNNNN-TYPE */
	snprintf(base, sizeof(base), "%.*s", (int)(n > 4 ? n - 4 : n), name);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", base);
	qrs_opts_init(&qo);
	if ((r = ftn_fragment_count(len, qo.fragment, &k)) != CK_OK ||
	    (r = file_open_dir(AT_FDCWD, o->png_dir, FILE_CREATE, 0755, &dfd)) !=
	    CK_OK)
		goto out;
	if (again && faccessat(dfd, base, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		tty_printw(stderr, "conclave-bridge %s: its codes are in %s/%s "
		    "still: show them to the appliance's camera\n", cmd,
		    o->png_dir, base);
		goto out;
	}
	if ((r = file_open_dir(dfd, tmp, FILE_CREATE, 0755, &sub)) !=
	    CK_OK || (r = qr_scanner_new(&sc)) != CK_OK ||
	    (r = qrs_export_png(msg, len, &qo, sc, sub, qrs_png_frames(k),
	    &k)) != CK_OK)
		goto out;
	if (renameat(dfd, tmp, dfd, base) != 0) {
		r = file_errno(errno);
		goto out;
	}
	tty_printw(stderr, "conclave-bridge %s: its codes are in %s/%s (%u "
	    "fragment(s)): show them to the appliance's camera\n", cmd,
	    o->png_dir, base, k);
out:
	if (r != CK_OK)
		opts_fail(cmd, o->png_dir, r, "the codes could not be written; "
		    "the envelope is on the exchange folder");
	if (sub >= 0)
		close(sub);
	if (dfd >= 0)
		close(dfd);
	qr_scanner_free(sc);
	return r;
}

static void
send_codes(const char *cmd, const struct bridge_opts *o, const char *name,
    const uint8_t *msg, size_t len, int again)
{
	int r;

	if (o->png_dir != NULL && write_codes(cmd, o, name, msg, len, again) !=
	    CK_OK)
		return;
	if (!o->qr_show)
		return;
	if (again)
		tty_printw(stdout,
		    "%s, written by a bridge that stopped, as QR "
		    "codes: Enter passes over it when the appliance has it.\n",
		    name);
	fflush(stdout);
	if ((r = qrcmd_show_until_enter(msg, len)) != CK_OK)
		opts_fail(cmd, "showing the codes", r, r == CK_ERR_QR_NO_FIT ?
		    "enlarge the terminal; the envelope is on the exchange folder" :
		    "no terminal; the envelope is on the exchange folder");
	else
		tty_printw(stdout, "%s shown as QR codes.\n", name);
}

void
bqr_send(const char *cmd, const struct bridge_opts *o, const char *name,
    const uint8_t *msg, size_t len)
{
	send_codes(cmd, o, name, msg, len, 0);
}

void
bqr_send_again(const char *cmd, const struct bridge_opts *o, const char *name,
    const uint8_t *msg, size_t len)
{
	send_codes(cmd, o, name, msg, len, 1);
}
