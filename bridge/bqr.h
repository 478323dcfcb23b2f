/*
 * The optical crossing of the bridge's ceremony commands (docs/qr.md,
 * "The bridge's ceremony commands"): the appliance's envelopes scanned
 * from a camera (--camera, or --camera-frames for a folder of images), the
 * bridge's own shown on the operator's terminal (--qr-show) or written as
 * PNG codes (--png-dir). Every envelope scanned goes through the checks of
 * an envelope read from the stick (courier_accept); bsession.c keeps the
 * exchange folder as the record of both directions.
 */
#ifndef CONCLAVE_BQR_H
#define CONCLAVE_BQR_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/opts.h"
#include "crypto/reader.h"
#include "protocol/envelope.h"

/* Does the command take the appliance's envelopes by QR code? */
int bqr_scanning(const struct bridge_opts *o) __attribute__((nonnull));

/*
 * A first scan's failure, held for its caller rather than said: the
 * scan may have met a session a stopped bridge left (the appliance's
 * later envelope in view, or no code at all), which the caller says
 * instead; otherwise it says this (bqr_refusal_say), as bqr_receive
 * would have.
 */
struct bqr_refusal {
	struct envelope seen;	/* a whole, signed envelope refused (payload
				 * NULL: none); envelope_free it */
	const char *what;	/* what failed; NULL: nothing held */
	int err;
	char why[200];
};

/* Say f's refusal, if one is held, once. */
void bqr_refusal_say(const char *cmd, struct bqr_refusal *f)
    __attribute__((nonnull));

/*
 * Scan the appliance's next envelope: of type want (or want2, when not
 * 0), of ceremony ceremony_id (NULL: a first contact names it), signed
 * by signer_pk (NULL: a first contact), with seq last_seq + 1. Progress
 * (fragments received / needed) goes to stderr as it changes. An envelope
 * of this ceremony and signer already taken (its code still on the
 * appliance's screen) is passed over, said once. Before the first
 * fragment the scan waits up to wait_s seconds (0: the stall rule from
 * the start); from then on it stops after o->stall_s seconds without a
 * new fragment (CK_ERR_QR_STALLED). A camera that is gone is
 * CK_ERR_MEDIA_GONE, and so is none there to open (its own error said).
 * Any check of
 * courier_accept that fails is said (another ceremony's codes by both
 * ceremonies' ids) and returned. On CK_OK, *env and the envelope's bytes
 * (*msg, free()) are the caller's; on any error nothing is. With held
 * (not NULL) a failure is not said but held there, with a whole, signed
 * envelope refused by those checks (the caller's either way).
 */
int bqr_receive(const char *cmd, const struct bridge_opts *o,
    const uint8_t *ceremony_id, const uint8_t *signer_pk, uint64_t last_seq,
    enum envelope_type want, enum envelope_type want2, unsigned wait_s,
    struct envelope *env, uint8_t **msg, size_t *len,
    struct bqr_refusal *held) CK_WUR
    __attribute__((nonnull(1, 2, 9, 10, 11)));

/*
 * Carry the bridge's envelope msg (its file name: name) by QR, as o asks:
 * its codes written to o->png_dir/NNNNNN-TYPE/ (complete before the
 * folder appears under that name), and/or shown on the terminal until
 * Enter. Nothing to do without either. A failure is said on stderr and
 * is not the ceremony's: the envelope is on the exchange folder, for the
 * stick.
 */
void bqr_send(const char *cmd, const struct bridge_opts *o, const char *name,
    const uint8_t *msg, size_t len) __attribute__((nonnull));

/*
 * bqr_send of an envelope a bridge that stopped wrote (for the one started
 * again: bsession_carry_again): its codes folder, when that bridge wrote
 * one, is left as it is and named; on the terminal the operator is told
 * whose envelope it is, so Enter passes over one the appliance has taken.
 */
void bqr_send_again(const char *cmd, const struct bridge_opts *o,
    const char *name, const uint8_t *msg, size_t len)
    __attribute__((nonnull));

#endif
