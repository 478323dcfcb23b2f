/*
 * Rateless fountain code for carrying one message across the airgap as a
 * stream of self-describing frames (one frame per QR code). The byte layout
 * is specified in docs/qr.md; in short:
 *
 *   "CQ" ver=1 | id[8] | msglen u32 | fraglen u16 | index u32 | payload | check[4]
 *
 * The message is extended with its BLAKE2b-256 digest and zero padding and
 * cut into k equal fragments. Frames 0..k-1 carry the fragments in order
 * (systematic); every later frame carries a dense random linear combination
 * of all k fragments over GF(256), its coefficients derived from the message
 * id and the frame index, so both sides agree without sending them. Any k
 * linearly independent frames decode, and k random frames almost always are
 * (each extra frame fails to add information with probability about 1/256).
 * The id is the first 8 bytes of the message digest; the whole digest is
 * checked after reassembly.
 */
#ifndef CONCLAVE_FOUNTAIN_H
#define CONCLAVE_FOUNTAIN_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/reader.h"

#define FTN_VERSION 1
#define FTN_ID_LEN 8
#define FTN_DIGEST_LEN 32
#define FTN_HEADER_LEN 21	/* magic 2, version 1, id 8, msglen 4, fraglen 2, index 4 */
#define FTN_CHECK_LEN 4
#define FTN_OVERHEAD (FTN_HEADER_LEN + FTN_CHECK_LEN)
/* Limits a frame is held to before anything is allocated. */
#define FTN_MAX_MESSAGE (1024 * 1024)
#define FTN_MIN_FRAGMENT 16
#define FTN_MAX_FRAGMENT 2900	/* fits a version 40-L code (2953 bytes) */
#define FTN_MAX_FRAGMENTS 4096
#define FTN_MAX_FRAME (FTN_OVERHEAD + FTN_MAX_FRAGMENT)

/* One parsed frame; payload points into the caller's buffer. */
struct ftn_frame {
	uint8_t id[FTN_ID_LEN];
	uint32_t msglen;
	uint16_t fraglen;
	uint32_t index;
	const uint8_t *payload;
};

/* What a decoder has seen so far, for a progress display. */
struct ftn_progress {
	uint32_t frames_seen;		/* frames accepted (checksum good, right message) */
	uint32_t frames_useful;		/* of those, frames that added information */
	uint32_t frames_rejected;	/* frames refused with an error */
	uint32_t fragments;		/* k, 0 until the first frame arrives */
	uint32_t recovered;		/* rank: fragments' worth of information held */
	int complete;			/* message reassembled and its digest checked */
};

/*
 * Number of fragments (k) for a message of msglen bytes at fraglen bytes per
 * fragment. CK_ERR_TOO_LARGE beyond FTN_MAX_MESSAGE or FTN_MAX_FRAGMENTS,
 * CK_ERR_INVALID_ARG for a fragment length outside the limits.
 */
int ftn_fragment_count(size_t msglen, size_t fraglen, uint32_t *k) CK_WUR;

/*
 * Parse and check one frame: magic, version, limits (an absurd length is
 * refused before anything else happens), exact length, checksum.
 * Errors: CK_ERR_BAD_MAGIC, CK_ERR_BAD_VERSION, CK_ERR_TOO_LARGE,
 * CK_ERR_FORMAT, CK_ERR_TRUNCATED, CK_ERR_TRAILING, CK_ERR_QR_CHECKSUM.
 */
int ftn_frame_parse(const uint8_t *buf, size_t len, struct ftn_frame *f) CK_WUR;

struct ftn_encoder;

/* An encoder for msg (copied) at fraglen bytes per fragment. */
int ftn_encoder_new(const uint8_t *msg, size_t len, size_t fraglen,
    struct ftn_encoder **out) CK_WUR;
void ftn_encoder_free(struct ftn_encoder *e);
uint32_t ftn_encoder_fragments(const struct ftn_encoder *e);
/* Every frame of an encoder has this length: FTN_OVERHEAD + fraglen. */
size_t ftn_encoder_frame_len(const struct ftn_encoder *e);
const uint8_t *ftn_encoder_id(const struct ftn_encoder *e);
/*
 * Write frame number index (systematic below k, mixed from k on) into buf,
 * which holds at least ftn_encoder_frame_len() bytes.
 */
int ftn_encoder_frame(const struct ftn_encoder *e, uint32_t index,
    uint8_t *buf, size_t cap) CK_WUR;

struct ftn_decoder;

int ftn_decoder_new(struct ftn_decoder **out) CK_WUR;
void ftn_decoder_free(struct ftn_decoder *d);
/*
 * Feed one frame. The decoder locks onto the message of the first good
 * frame; frames of any other message are refused with
 * CK_ERR_QR_OTHER_MESSAGE (the caller says so and may start a second
 * decoder), frames that contradict the locked message's length or fragment
 * size with CK_ERR_QR_INCONSISTENT. Duplicates and frames that add nothing
 * are accepted and ignored. When the k-th independent frame arrives the
 * message is reassembled and checked: CK_ERR_QR_DIGEST if it does not match
 * (the decoder then starts over, since some frame lied). Frames after
 * completion are accepted and ignored.
 */
int ftn_decoder_add(struct ftn_decoder *d, const uint8_t *frame, size_t len) CK_WUR;
void ftn_decoder_progress(const struct ftn_decoder *d, struct ftn_progress *p);
/* The id of the message being decoded; CK_ERR_STATE before the first frame. */
int ftn_decoder_id(const struct ftn_decoder *d, uint8_t id[FTN_ID_LEN]) CK_WUR;
/*
 * Refuse frames of messages longer than max bytes (CK_ERR_TOO_LARGE) from
 * now on, e.g. the envelope size limit; at most FTN_MAX_MESSAGE.
 */
void ftn_decoder_set_limit(struct ftn_decoder *d, uint32_t max);
/* A copy of the complete message (malloc'd); CK_ERR_STATE if incomplete. */
int ftn_decoder_message(const struct ftn_decoder *d, uint8_t **msg,
    size_t *len) CK_WUR;

#endif
