/*
 * The wire between the monitor and its parser child (README "Process
 * architecture"), in one place: both sides build and read every message
 * here, and the monitor reads the child's answers only through these
 * functions (tests/fuzz/fuzz_wire.c feeds them arbitrary bytes).
 *
 * A message on the socket (the framing):
 *   u8 type | u32 length (big-endian) | length bytes of payload
 * Requests (monitor -> child) have even types, answers odd ones. Every
 * type has its own payload limit (wire_max); a length over it, an unknown
 * type, an answer that does not match the request, or a payload that does
 * not parse exactly (trailing bytes included) is out of protocol.
 *
 * Nothing secret ever crosses: requests carry untrusted input (envelopes,
 * images, transcripts, OpenPGP packets), answers what was parsed from it.
 */
#ifndef CONCLAVE_WIRE_H
#define CONCLAVE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ceremony/audit.h"
#include "ceremony/transcript.h"
#include "crypto/errors.h"
#include "crypto/pgppkt.h"
#include "media/qr.h"
#include "protocol/envelope.h"

#define WIRE_HEADER_BYTES	5
/* The largest image a request or answer carries: QR_MAX_IMAGE_SIDE^2. */
#define WIRE_IMAGE_MAX		(8 + (size_t)QR_MAX_IMAGE_SIDE * QR_MAX_IMAGE_SIDE)
/* The payload of an envelope as the child re-serialises it (compact
 * JSON); numbers can grow in the round trip, so more than the envelope. */
#define WIRE_JSON_MAX		(4 * ENVELOPE_MAX_BYTES)
/* A transcript and its signature file (ceremony/transcript.c limits). */
#define WIRE_TRANSCRIPT_MAX	(TRANSCRIPT_MAX_BYTES + MINISIG_MAX_SIGFILE + 64)

enum wire_type {
	WIRE_ERROR = 1,		/* answer to anything: i32 CK_ERR_* */
	WIRE_ENVELOPE = 2,		/* binary envelope */
	WIRE_ENVELOPE_OK = 3,		/* u32 len | binary | u32 len | JSON */
	WIRE_QR_SCAN = 4,		/* u8 reader | u8 flags | image:
					 * u32 w | u32 h | w*h gray */
	WIRE_QR_SCAN_OK = 5,		/* u8 n | n * (u32 len | bytes) */
	WIRE_PNG = 6,			/* PNG file bytes */
	WIRE_PNG_OK = 7,		/* image */
	WIRE_TRANSCRIPT = 8,		/* u8 has_expect | key | u32 len |
					 * transcript | u8 has_sig | u32 len |
					 * signature */
	WIRE_TRANSCRIPT_OK = 9,	/* i32 result | report */
	WIRE_PGP_RECIPIENTS = 10,	/* an OpenPGP message */
	WIRE_PGP_RECIPIENTS_OK = 11,	/* u8 n | n * (keyid[16] | u8 algo) */
	WIRE_PGP_SUBKEYS = 12,		/* a transferable public key */
	WIRE_PGP_SUBKEYS_OK = 13,	/* u8 n | n * (u32 | u32 | u8) */
	WIRE_READY = 15,		/* empty: the child is in its sandbox */
	WIRE_AUDIT = 16,		/* a verified transcript */
	WIRE_AUDIT_OK = 17,		/* i32 result | report */
};

/* The payload limit of a type: 0 for an unknown or an empty one. */
size_t wire_max(uint8_t type);

/* A message being built (malloc'd; nothing secret goes in one). */
struct wire_buf {
	uint8_t *p;
	size_t len, cap;
	int err;		/* the first failure; the send reports it */
};

void wire_buf_free(struct wire_buf *b);
void wire_put_u8(struct wire_buf *b, uint8_t v);
void wire_put_u32(struct wire_buf *b, uint32_t v);
void wire_put_bytes(struct wire_buf *b, const void *p, size_t n);
/* u32 length, then the bytes. */
void wire_put_blob(struct wire_buf *b, const void *p, size_t n);

/*
 * Send one message of type with b's bytes as its payload (b may be NULL
 * for an empty one). CK_OK, CK_ERR_TOO_LARGE (over wire_max), CK_ERR_IO.
 */
int wire_send(int fd, uint8_t type, const struct wire_buf *b) CK_WUR;

/*
 * Receive one message, waiting at most timeout_ms for all of it (-1:
 * forever). *payload is malloc'd (free it), NULL when empty. Errors:
 * CK_ERR_TRUNCATED (the peer closed, at a message boundary or not),
 * CK_ERR_CHILD_TIMEOUT, CK_ERR_BAD_TYPE (unknown type), CK_ERR_TOO_LARGE
 * (length over the type's limit), CK_ERR_IO.
 */
int wire_recv(int fd, int timeout_ms, uint8_t *type, uint8_t **payload,
    size_t *len) CK_WUR;

/* ---- payloads: one put and one get per type ---- */

void wire_put_image(struct wire_buf *b, const struct qr_image *img);
int wire_get_image(const uint8_t *p, size_t len, struct qr_image **out) CK_WUR;

/* A scan request: the monitor's scanner settings (qr_scanner_set_reader)
 * and the image. */
void wire_put_scan_req(struct wire_buf *b, enum qr_reader rd, int flags,
    const struct qr_image *img);
int wire_get_scan_req(const uint8_t *p, size_t len, enum qr_reader *rd,
    int *flags, struct qr_image **img) CK_WUR;

void wire_put_symbols(struct wire_buf *b, const struct qr_symbols *s);
int wire_get_symbols(const uint8_t *p, size_t len, struct qr_symbols *out) CK_WUR;

void wire_put_error(struct wire_buf *b, int err);
/* The child's error, which must be a CK_ERR_* code (never CK_OK). */
int wire_get_error(const uint8_t *p, size_t len, int *err) CK_WUR;

/*
 * The envelope answer: the binary envelope as the child read it and its
 * payload as compact JSON. The monitor checks the binary's frame and
 * signature itself (envelope_verify) and loads the JSON strictly.
 */
void wire_put_envelope(struct wire_buf *b, const uint8_t *bin, size_t binlen,
    const char *json, size_t jsonlen);
int wire_get_envelope(const uint8_t *p, size_t len, struct envelope *env)
    CK_WUR;

void wire_put_transcript_req(struct wire_buf *b, const void *buf, size_t len,
    const void *sig, size_t siglen, const struct minisig_pubkey *expect);
/* Borrows pointers into p; *expect points at key when the request has one. */
int wire_get_transcript_req(const uint8_t *p, size_t len, const uint8_t **buf,
    size_t *buflen, const uint8_t **sig, size_t *siglen,
    struct minisig_pubkey *key, const struct minisig_pubkey **expect) CK_WUR;
void wire_put_transcript(struct wire_buf *b, int result,
    const struct transcript_report *rep);
int wire_get_transcript(const uint8_t *p, size_t len, int *result,
    struct transcript_report *rep) CK_WUR;

void wire_put_audit(struct wire_buf *b, int result, const struct audit_report *rep);
/* The kind and the problem must be printable UTF-8: the monitor shows them. */
int wire_get_audit(const uint8_t *p, size_t len, int *result,
    struct audit_report *rep) CK_WUR;

void wire_put_recipients(struct wire_buf *b, const struct pgppkt_recipients *rc);
int wire_get_recipients(const uint8_t *p, size_t len,
    struct pgppkt_recipients *out) CK_WUR;
void wire_put_subkeys(struct wire_buf *b, const struct pgppkt_subkeys *sk);
int wire_get_subkeys(const uint8_t *p, size_t len, struct pgppkt_subkeys *out)
    CK_WUR;

#endif
