/*
 * Envelopes: the one signed container that crosses the airgap between the
 * appliance (A) and the bridge (B), as a file in the exchange folder, as QR
 * frames or as armored text. docs/envelope.md specifies the format byte by
 * byte; this header is its API.
 *
 * Binary form v1 (all integers big-endian):
 *   "CKEV" | u8 version=1 | u8 type | ceremony id[16] | u64 seq |
 *   u64 created | signer Ed25519 pk[32] | u32 payload_len |
 *   payload (UTF-8 JSON object) | Ed25519 signature[64] over all before it
 *
 * Conventions others rely on:
 * - ceremony id: 16 random bytes; text form 32 lowercase hex digits.
 * - seq: one counter per ceremony shared by both directions, starting at 1;
 *   each envelope carries the previous highest seq + 1, whoever sends it.
 * - the exchange folder holds the binary form as
 *   <root>/<ceremony-id-hex>/NNNNNN-<type>.env (seq zero-padded to 6 digits).
 */
#ifndef CONCLAVE_ENVELOPE_H
#define CONCLAVE_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/reader.h"

#define ENVELOPE_MAGIC		"CKEV"
#define ENVELOPE_MAGIC_BYTES	4
#define ENVELOPE_VERSION	1
#define ENVELOPE_CEREMONY_ID_BYTES 16
#define ENVELOPE_CEREMONY_ID_HEX (2 * ENVELOPE_CEREMONY_ID_BYTES)
#define ENVELOPE_PK_BYTES	32	/* crypto_sign_PUBLICKEYBYTES */
#define ENVELOPE_SK_BYTES	64	/* crypto_sign_SECRETKEYBYTES */
#define ENVELOPE_SIG_BYTES	64	/* crypto_sign_BYTES */
#define ENVELOPE_HASH_BYTES	32	/* BLAKE2b-256 */
/* Bytes before the payload, and the fixed overhead around it. */
#define ENVELOPE_HEADER_BYTES	(ENVELOPE_MAGIC_BYTES + 1 + 1 + \
    ENVELOPE_CEREMONY_ID_BYTES + 8 + 8 + ENVELOPE_PK_BYTES + 4)
#define ENVELOPE_OVERHEAD	(ENVELOPE_HEADER_BYTES + ENVELOPE_SIG_BYTES)
/* Hard limit on a whole binary envelope (an init result for 7 RSA-4096
 * holders is about 10 KB), and so on its payload. */
#define ENVELOPE_MAX_BYTES	(256 * 1024)
#define ENVELOPE_MAX_PAYLOAD	(ENVELOPE_MAX_BYTES - ENVELOPE_OVERHEAD)
/* seq 0 is never valid; the top is what fits the 6-digit file name. */
#define ENVELOPE_SEQ_MIN	1
#define ENVELOPE_SEQ_MAX	999999
#define ENVELOPE_SEQ_DIGITS	6

/* Armored text form (see envelope_armor). */
#define ENVELOPE_ARMOR_BEGIN	"-----BEGIN CONCLAVE ENVELOPE "
#define ENVELOPE_ARMOR_DASHES	"-----"
#define ENVELOPE_ARMOR_END	"-----END CONCLAVE ENVELOPE-----"
#define ENVELOPE_ARMOR_LINE	64	/* base64 characters per full line */
#define ENVELOPE_TYPE_NAME_MAX	23	/* strlen("rekey-verify-submission") */
#define ENVELOPE_ARMOR_HEADER_MAX (sizeof(ENVELOPE_ARMOR_BEGIN) - 1 + \
    ENVELOPE_SEQ_DIGITS + 1 + ENVELOPE_TYPE_NAME_MAX + \
    sizeof(ENVELOPE_ARMOR_DASHES) - 1 + 1)
#define ENVELOPE_ARMOR_B64_MAX	(4 * ((ENVELOPE_MAX_BYTES + 2) / 3))
#define ENVELOPE_ARMOR_MAX	(ENVELOPE_ARMOR_HEADER_MAX + \
    ENVELOPE_ARMOR_B64_MAX + \
    (ENVELOPE_ARMOR_B64_MAX + ENVELOPE_ARMOR_LINE - 1) / ENVELOPE_ARMOR_LINE + \
    sizeof(ENVELOPE_ARMOR_END) - 1 + 1)

/* "NNNNNN-" + type name + ".env" + NUL */
#define ENVELOPE_FILE_NAME_SUFFIX ".env"
#define ENVELOPE_FILE_NAME_MAX	(ENVELOPE_SEQ_DIGITS + 1 + \
    ENVELOPE_TYPE_NAME_MAX + sizeof(ENVELOPE_FILE_NAME_SUFFIX))

/*
 * The type registry. The value is the wire byte; it never changes once
 * assigned (retire a type by leaving its byte unused). Names are stable,
 * lowercase [a-z-], and appear in armor headers and file names.
 */
enum envelope_type {
	ENVELOPE_INIT_REQUEST = 0x01,		/* A -> B */
	ENVELOPE_INIT_RESULT = 0x02,		/* B -> A */
	ENVELOPE_SESSION_OFFER = 0x03,		/* B -> A */
	ENVELOPE_SHARE_SUBMISSION = 0x04,	/* A -> B */
	ENVELOPE_SUBMISSION_RESULT = 0x05,	/* B -> A */
	ENVELOPE_REKEY_REQUEST = 0x06,		/* A -> B */
	ENVELOPE_REKEY_RESULT = 0x07,		/* B -> A */
	ENVELOPE_REKEY_VERIFY_SUBMISSION = 0x08, /* A -> B */
	ENVELOPE_GENERATE_ROOT_REQUEST = 0x09,	/* A -> B */
	ENVELOPE_GENERATE_ROOT_RESULT = 0x0a,	/* B -> A */
	ENVELOPE_CLOSING_REQUEST = 0x0b,	/* A -> B */
	ENVELOPE_CLOSING_RESULT = 0x0c,		/* B -> A */
	ENVELOPE_DR_TOKEN_REQUEST = 0x0d,	/* A -> B */
	ENVELOPE_DR_TOKEN_RESULT = 0x0e,	/* B -> A */
	ENVELOPE_UNSEAL_REQUEST = 0x0f,		/* A -> B */
	ENVELOPE_BRIDGE_REPIN = 0x10,		/* B -> A */
};

/* Which side sends a type. */
enum envelope_dir {
	ENVELOPE_A_TO_B = 1,	/* appliance to bridge */
	ENVELOPE_B_TO_A = 2,	/* bridge to appliance */
};

/* A parsed, signature-checked envelope. */
struct envelope {
	uint8_t version;
	enum envelope_type type;
	uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES];
	uint64_t seq;
	uint64_t created;		/* Unix time, seconds, UTC */
	uint8_t signer_pk[ENVELOPE_PK_BYTES];
	json_t *payload;		/* a JSON object; owned */
	/* BLAKE2b-256 of the whole binary envelope, for the transcript. */
	uint8_t hash[ENVELOPE_HASH_BYTES];
};

/* Stable name of a registered type, or NULL for an unregistered value. */
const char *envelope_type_name(enum envelope_type type);

/* The registered type with this wire byte: CK_OK or CK_ERR_BAD_TYPE. */
int envelope_type_from_byte(uint8_t wire, enum envelope_type *out) CK_WUR;

/* The registered type named by name[0..len): CK_OK or CK_ERR_BAD_TYPE. */
int envelope_type_from_name(const char *name, size_t len,
    enum envelope_type *out) CK_WUR;

/* Who sends a registered type; 0 for an unregistered value. */
enum envelope_dir envelope_type_dir(enum envelope_type type);

/* A fresh random ceremony id (libsodium randombytes). */
void envelope_ceremony_id_new(uint8_t id[ENVELOPE_CEREMONY_ID_BYTES]);

/* The id as 32 lowercase hex digits plus NUL. */
void envelope_ceremony_id_hex(const uint8_t id[ENVELOPE_CEREMONY_ID_BYTES],
    char out[ENVELOPE_CEREMONY_ID_HEX + 1]);

/*
 * Parse exactly 32 lowercase hex digits (s[0..len), no NUL needed):
 * CK_OK or CK_ERR_FORMAT. *id is untouched on failure.
 */
int envelope_ceremony_id_parse(const char *s, size_t len,
    uint8_t id[ENVELOPE_CEREMONY_ID_BYTES]) CK_WUR;

/*
 * Build and sign an envelope. payload[0..payload_len) must pass the same
 * checks the parser makes (UTF-8, strict JSON, an object, at most
 * ENVELOPE_MAX_PAYLOAD bytes), so nothing built here is refused on the
 * other side; those failures return the parser's error. sk is a libsodium
 * Ed25519 secret key (seed || pk; the caller keeps it in secmem) and is
 * only read. seq must lie in [ENVELOPE_SEQ_MIN, ENVELOPE_SEQ_MAX] and type
 * be registered, else CK_ERR_INVALID_ARG. On success *out (malloc'd, free()
 * it) holds *outlen bytes; on failure *out is NULL.
 */
int envelope_build(enum envelope_type type,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES], uint64_t seq,
    uint64_t created, const char *payload, size_t payload_len,
    const uint8_t sk[ENVELOPE_SK_BYTES], uint8_t **out, size_t *outlen) CK_WUR;

/*
 * Parse untrusted bytes. Checks, in this order, each with its error:
 * total size (CK_ERR_TOO_LARGE), magic (CK_ERR_BAD_MAGIC), version
 * (CK_ERR_BAD_VERSION), type (CK_ERR_BAD_TYPE), seq range (CK_ERR_FORMAT),
 * payload length (CK_ERR_TOO_LARGE), truncation (CK_ERR_TRUNCATED),
 * trailing bytes (CK_ERR_TRAILING), the signature by the embedded key
 * (CK_ERR_BAD_SIGNATURE); only then the payload: UTF-8 (CK_ERR_ENCODING),
 * strict JSON (CK_ERR_JSON, CK_ERR_DUPLICATE_KEY), an object
 * (CK_ERR_FORMAT). The signature proves only who holds the embedded key:
 * call envelope_check_binding before acting on it. On failure *env is
 * zeroed (payload NULL), so envelope_free is always safe.
 */
int envelope_parse(const uint8_t *bin, size_t len, struct envelope *env) CK_WUR;

/*
 * envelope_parse on the whole of an open file (a regular file its opener
 * checked, media/file.h file_open_read), read with rd_fd: more than
 * ENVELOPE_MAX_BYTES is CK_ERR_TOO_LARGE. fd stays open (its offset
 * moves).
 */
int envelope_parse_fd(int fd, struct envelope *env) CK_WUR;

/*
 * The binary half of envelope_parse alone: every check up to and including
 * the signature, with env->payload left NULL. The appliance's monitor runs
 * it on the bytes its parser child read, so that authenticity never rests
 * on the child's word.
 */
int envelope_verify(const uint8_t *bin, size_t len, struct envelope *env) CK_WUR;

/*
 * Where envelope_parse and envelope_parse_fd run. NULL (the default)
 * parses in this process; the appliance's monitor installs its parser
 * child's client (appliance/monitor.h), which must answer exactly as they
 * do. fd >= 0: the input is that file (bin is NULL); else bin[0..len).
 */
typedef int (*envelope_parse_fn)(const uint8_t *bin, size_t len, int fd,
    struct envelope *env);
void envelope_set_isolation(envelope_parse_fn fn);

/* Release env->payload and zero *env. NULL-safe, idempotent. */
void envelope_free(struct envelope *env);

/* BLAKE2b-256 of a binary envelope: what the transcript records. */
void envelope_hash(const uint8_t *bin, size_t len,
    uint8_t out[ENVELOPE_HASH_BYTES]);

/*
 * What a receiver checks after envelope_parse, in this order:
 * ceremony id (CK_ERR_WRONG_CEREMONY), signer key (CK_ERR_WRONG_KEY),
 * then seq against last_seq, the highest seq this side has sent or
 * accepted in the ceremony (0 before any): seq <= last_seq is
 * CK_ERR_REPLAY, seq > last_seq + 1 is CK_ERR_OUT_OF_ORDER (something in
 * between is missing). CK_OK means seq == last_seq + 1; the caller then
 * records env->seq as its new last_seq.
 */
int envelope_check_binding(const struct envelope *env,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES],
    const uint8_t signer_pk[ENVELOPE_PK_BYTES], uint64_t last_seq) CK_WUR;

/*
 * Armor a binary envelope (which must have a valid header: magic, version,
 * type, seq; else that parse error). *text is malloc'd, NUL-terminated,
 * *textlen bytes without the NUL:
 *   -----BEGIN CONCLAVE ENVELOPE NNNNNN <type>-----\n
 *   base64 (RFC 4648, padded) in lines of 64, the last 1..64\n
 *   -----END CONCLAVE ENVELOPE-----\n
 */
int envelope_armor(const uint8_t *bin, size_t len, char **text,
    size_t *textlen) CK_WUR;

/*
 * Strict inverse of envelope_armor: it accepts exactly what envelope_armor
 * writes (LF line ends, final LF, no blank lines, no whitespace, no text
 * before or after). Limits: ENVELOPE_ARMOR_MAX bytes in, at most
 * ENVELOPE_MAX_BYTES out. Errors: CK_ERR_TOO_LARGE; CK_ERR_BAD_MAGIC if the
 * first line does not start with ENVELOPE_ARMOR_BEGIN; CK_ERR_BAD_TYPE for
 * an unknown type name; CK_ERR_FORMAT for a malformed header, body line or
 * end line, or a header whose seq or type differs from the body's;
 * CK_ERR_ENCODING for bad base64; CK_ERR_TRUNCATED if the text stops
 * before the end line and its LF; CK_ERR_TRAILING for anything after it;
 * and the binary header errors of envelope_parse for the decoded bytes.
 * The signature is not checked here: envelope_parse the result.
 */
int envelope_dearmor(const char *text, size_t len, uint8_t **bin,
    size_t *binlen) CK_WUR;

/*
 * "NNNNNN-<type>.env" for the exchange folder into out (NUL-terminated).
 * CK_ERR_INVALID_ARG for a seq out of range or an unregistered type.
 */
int envelope_file_name(uint64_t seq, enum envelope_type type,
    char out[ENVELOPE_FILE_NAME_MAX]) CK_WUR;

/*
 * Strict inverse of envelope_file_name over name[0..len): exactly six
 * digits, a dash, a registered type name, ".env"; seq in range.
 * CK_OK or CK_ERR_BAD_NAME.
 */
int envelope_file_name_parse(const char *name, size_t len, uint64_t *seq,
    enum envelope_type *type) CK_WUR;

/*
 * The name a parsed envelope was read from must be the name it would be
 * written under: CK_OK, or CK_ERR_BAD_NAME when the name is malformed or
 * its seq or type differs from the envelope's (a renamed or misplaced file).
 */
int envelope_file_name_matches(const struct envelope *env, const char *name,
    size_t len) CK_WUR;

#endif
