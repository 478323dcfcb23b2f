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
 * A request's untrusted input is its last field, unprefixed. A request
 * with WIRE_FD set in its type carries that input as an open file
 * instead: its descriptor rides with the header (SCM_RIGHTS), the payload
 * ends before the input, and the child reads the file with rd_fd
 * (crypto/reader.h) up to wire_input_max. A transcript request may carry
 * its signature file first (two descriptors): the child appends that one
 * as a blob (up to wire_lead_max), then the transcript. The monitor opens
 * them (media/file.h file_open_read: no symlink, a regular file) and never
 * reads them. Descriptors travel to the child only.
 *
 * Payloads are built from a few field kinds, each with one encoder and
 * one decoder below: u8, u32, u64, bool, result (a CK_* code), blob (u32
 * length and bytes), text (a blob of printable UTF-8), a minisign key, a
 * count (u8, bounded) before a list, and a JSON tree (an envelope's
 * payload, rebuilt by the monitor from typed nodes, never parsed as text).
 *
 * Nothing secret ever crosses: requests carry untrusted input (envelopes,
 * images, transcripts, OpenPGP packets), answers what was parsed from it.
 */
#ifndef CONCLAVE_WIRE_H
#define CONCLAVE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ceremony/audit.h"
#include "ceremony/quorum.h"
#include "ceremony/record.h"
#include "ceremony/transcript.h"
#include "crypto/errors.h"
#include "crypto/pgppkt.h"
#include "media/qr.h"
#include "protocol/envelope.h"
#include "protocol/minisig.h"

#define WIRE_HEADER_BYTES	5
/* The largest image a request or answer carries: QR_MAX_IMAGE_SIDE^2. */
#define WIRE_IMAGE_MAX		(8 + (size_t)QR_MAX_IMAGE_SIDE * QR_MAX_IMAGE_SIDE)
/* The payload of an envelope as typed nodes: a one-byte JSON value such
 * as "1," becomes 9 bytes (kind and a u64), so five times the envelope. */
#define WIRE_JSON_MAX		(5 * ENVELOPE_MAX_BYTES)
/* How deep a payload may nest (the engine's are at most 4). */
#define WIRE_JSON_DEPTH		32
/* A transcript's record (ceremony/record.h): facts of at most 780 bytes,
 * a few for each transcript record of at least 150. */
#define WIRE_RECORD_MAX		(8 * (size_t)TRANSCRIPT_MAX_BYTES)
/* A transcript and its signature file (ceremony/transcript.c limits). */
#define WIRE_TRANSCRIPT_MAX	(TRANSCRIPT_MAX_BYTES + MINISIG_MAX_SIGFILE + 64)
/* The flag of a request whose input is an open file (see above). */
#define WIRE_FD			0x80

enum wire_type {
	WIRE_ERROR = 1,		/* answer to anything: i32 CK_ERR_* */
	WIRE_ENVELOPE = 2,		/* input: binary envelope */
	WIRE_ENVELOPE_OK = 3,		/* blob binary | JSON tree */
	WIRE_QR_SCAN = 4,		/* u8 reader | u8 flags | image:
					 * u32 w | u32 h | w*h gray */
	WIRE_QR_SCAN_OK = 5,		/* count | n * blob */
	WIRE_PNG = 6,			/* input: PNG file bytes */
	WIRE_PNG_OK = 7,		/* image */
	WIRE_TRANSCRIPT = 8,		/* bool has_expect | key | bool has_sig |
					 * blob signature (a file first) |
					 * input: transcript */
	WIRE_TRANSCRIPT_OK = 9,	/* result | report */
	WIRE_PGP_RECIPIENTS = 10,	/* input: an OpenPGP message */
	WIRE_PGP_RECIPIENTS_OK = 11,	/* count | n * (keyid[16] | u8 algo) */
	WIRE_PGP_SUBKEYS = 12,		/* input: a transferable public key */
	WIRE_PGP_SUBKEYS_OK = 13,	/* count | n * (u32 | u32 | u8) */
	WIRE_READY = 15,		/* empty: the child is in its sandbox */
	WIRE_AUDIT = 16,		/* input: a verified transcript */
	WIRE_AUDIT_OK = 17,		/* result | report */
	WIRE_MINISIG_PUB = 18,		/* input: a minisign .pub file */
	WIRE_MINISIG_PUB_OK = 19,	/* key */
	WIRE_RECORD = 20,		/* as WIRE_TRANSCRIPT */
	WIRE_RECORD_OK = 21,		/* verdict (result | report | bool
					 * built) | record */
	WIRE_HANDOUT = 22,		/* as WIRE_TRANSCRIPT */
	WIRE_HANDOUT_OK = 23,		/* verdict | bool verified | JSON tree */
	WIRE_PGP_KEYFILE = 24,		/* input: a secret key file */
	WIRE_PGP_KEYFILE_OK = 25,	/* count | n * fingerprint[20] */
};

/* The payload limit of a type (WIRE_FD ignored): 0 for an unknown or an
 * empty one. */
size_t wire_max(uint8_t type);

/* The most a request's input may be when it comes as a file; 0 for a
 * request that takes none (a QR scan, an answer, an unknown type). */
size_t wire_input_max(uint8_t type);

/* The most the first of two files may be (a transcript's signature
 * file); 0 for a request that takes one file at most. */
size_t wire_lead_max(uint8_t type);

/* The most files a request carries. */
#define WIRE_MAX_FILES	2

/* A message being built (malloc'd; nothing secret goes in one). */
struct wire_buf {
	uint8_t *p;
	size_t len, cap;
	int err;		/* the first failure; the send reports it */
};

void wire_buf_free(struct wire_buf *b);
void wire_put_bytes(struct wire_buf *b, const void *p, size_t n);

/*
 * Send one message of type with b's bytes as its payload (b may be NULL
 * for an empty one). CK_OK, CK_ERR_TOO_LARGE (over wire_max), CK_ERR_IO,
 * CK_ERR_CHILD_TIMEOUT (the monitor's socket has a send timeout).
 */
int wire_send(int fd, uint8_t type, const struct wire_buf *b) CK_WUR;

/* The same for a request type | WIRE_FD with its n files (see above). */
int wire_send_fd(int fd, uint8_t type, const struct wire_buf *b,
    const int *files, size_t n) CK_WUR;

/*
 * Receive one message, waiting at most timeout_ms for all of it (-1:
 * forever). *payload is malloc'd (free it), NULL when empty. Errors:
 * CK_ERR_TRUNCATED (the peer closed, at a message boundary or not),
 * CK_ERR_CHILD_TIMEOUT, CK_ERR_BAD_TYPE (unknown type), CK_ERR_TOO_LARGE
 * (length over the type's limit), CK_ERR_IO. The monitor reads answers
 * with it; a descriptor sent along is discarded by the kernel.
 */
int wire_recv(int fd, int timeout_ms, uint8_t *type, uint8_t **payload,
    size_t *len) CK_WUR;

/*
 * The child's receive: wire_recv without a deadline, and files[0..*n) the
 * descriptors that came with a WIRE_FD request (none with any other;
 * close them). A WIRE_FD request without a descriptor, with two for a
 * type that takes one, more than two, or a descriptor with any other
 * message is CK_ERR_FORMAT; nothing is left open then.
 */
int wire_recv_req(int fd, uint8_t *type, uint8_t **payload, size_t *len,
    int files[WIRE_MAX_FILES], size_t *n) CK_WUR;

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
 * payload as a JSON tree (at most WIRE_JSON_DEPTH deep; a deeper one sets
 * b->err to CK_ERR_JSON). The monitor checks the binary's frame and
 * signature itself (envelope_verify) and builds the payload from the
 * tree's nodes: strings valid UTF-8 without NUL, no duplicate key, finite
 * numbers, one object at the top.
 */
void wire_put_envelope(struct wire_buf *b, const uint8_t *bin, size_t binlen,
    const json_t *payload);
int wire_get_envelope(const uint8_t *p, size_t len, struct envelope *env)
    CK_WUR;

/* What comes before the files of a transcript request: whether a
 * signature file comes (first), and the key it must be by, if any. */
void wire_put_transcript_req(struct wire_buf *b, int has_sig,
    const struct minisig_pubkey *expect);
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

/*
 * A record (record_build's answer): the verdict, the report, and the
 * record exactly when the verdict is CK_OK. The monitor rebuilds it fact
 * by fact (record_add); its kind is looked up by name (steps_for).
 */
void wire_put_record(struct wire_buf *b, int result,
    const struct transcript_report *rep, const struct record *rec);
int wire_get_record(const uint8_t *p, size_t len, int *result,
    struct transcript_report *rep, struct record **out) CK_WUR;

/*
 * A handout (quorum_handout_build's answer): the verdict, whether the
 * records verified, the report, and the handout exactly when the verdict
 * is CK_OK, one that quorum_handout_check accepts.
 */
void wire_put_handout(struct wire_buf *b, int result, int verified,
    const struct transcript_report *rep, const json_t *handout);
int wire_get_handout(const uint8_t *p, size_t len, int *result,
    int *verified, struct transcript_report *rep, json_t **out) CK_WUR;

void wire_put_recipients(struct wire_buf *b, const struct pgppkt_recipients *rc);
int wire_get_recipients(const uint8_t *p, size_t len,
    struct pgppkt_recipients *out) CK_WUR;
void wire_put_subkeys(struct wire_buf *b, const struct pgppkt_subkeys *sk);
int wire_get_subkeys(const uint8_t *p, size_t len, struct pgppkt_subkeys *out)
    CK_WUR;

void wire_put_fprs(struct wire_buf *b, const struct pgppkt_fprs *f);
int wire_get_fprs(const uint8_t *p, size_t len, struct pgppkt_fprs *out)
    CK_WUR;

void wire_put_pubkey(struct wire_buf *b, const struct minisig_pubkey *k);
int wire_get_pubkey(const uint8_t *p, size_t len, struct minisig_pubkey *out)
    CK_WUR;

#endif
