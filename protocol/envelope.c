/*
 * Envelope format v1 (docs/envelope.md).
 *
 * Parser limits, all hard:
 * - binary form: at most ENVELOPE_MAX_BYTES (256 KiB) in total, a payload
 *   of at most ENVELOPE_MAX_PAYLOAD bytes, nothing after the signature;
 * - the signature is verified before a payload byte is interpreted; the
 *   payload must then be valid UTF-8 and one strict JSON object (rd_json:
 *   no duplicate keys, no NUL, jansson's nesting limit);
 * - seq in [ENVELOPE_SEQ_MIN, ENVELOPE_SEQ_MAX], registered types only,
 *   version 1 only;
 * - armored form: at most ENVELOPE_ARMOR_MAX bytes, exactly the canonical
 *   text envelope_armor writes (LF only, 64-column base64 lines, padded
 *   base64 with zero trailing bits, no blank lines or junk anywhere);
 * - file names: exactly "NNNNNN-<type>.env".
 */
#include "protocol/envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/reader.h"

static const struct {
	enum envelope_type type;
	const char *name;
	enum envelope_dir dir;
} types[] = {
	{ ENVELOPE_INIT_REQUEST, "init-request", ENVELOPE_A_TO_B },
	{ ENVELOPE_INIT_RESULT, "init-result", ENVELOPE_B_TO_A },
	{ ENVELOPE_SESSION_OFFER, "session-offer", ENVELOPE_B_TO_A },
	{ ENVELOPE_SHARE_SUBMISSION, "share-submission", ENVELOPE_A_TO_B },
	{ ENVELOPE_SUBMISSION_RESULT, "submission-result", ENVELOPE_B_TO_A },
	{ ENVELOPE_REKEY_REQUEST, "rekey-request", ENVELOPE_A_TO_B },
	{ ENVELOPE_REKEY_RESULT, "rekey-result", ENVELOPE_B_TO_A },
	{ ENVELOPE_REKEY_VERIFY_SUBMISSION, "rekey-verify-submission",
	    ENVELOPE_A_TO_B },
	{ ENVELOPE_GENERATE_ROOT_REQUEST, "generate-root-request",
	    ENVELOPE_A_TO_B },
	{ ENVELOPE_GENERATE_ROOT_RESULT, "generate-root-result",
	    ENVELOPE_B_TO_A },
	{ ENVELOPE_CLOSING_REQUEST, "closing-request", ENVELOPE_A_TO_B },
	{ ENVELOPE_CLOSING_RESULT, "closing-result", ENVELOPE_B_TO_A },
	{ ENVELOPE_DR_TOKEN_REQUEST, "dr-token-request", ENVELOPE_A_TO_B },
	{ ENVELOPE_DR_TOKEN_RESULT, "dr-token-result", ENVELOPE_B_TO_A },
	{ ENVELOPE_UNSEAL_REQUEST, "unseal-request", ENVELOPE_A_TO_B },
	{ ENVELOPE_BRIDGE_REPIN, "bridge-repin", ENVELOPE_B_TO_A },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* The fixed fields before the payload. */
struct header {
	enum envelope_type type;
	uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES];
	uint64_t seq;
	uint64_t created;
	uint8_t signer_pk[ENVELOPE_PK_BYTES];
	uint32_t payload_len;
};

/* One whole binary envelope, split but not yet verified. */
struct frame {
	struct header h;
	const uint8_t *payload;
	const uint8_t *sig;
};

const char *
envelope_type_name(enum envelope_type type)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (types[i].type == type)
			return types[i].name;
	return NULL;
}

enum envelope_dir
envelope_type_dir(enum envelope_type type)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (types[i].type == type)
			return types[i].dir;
	return 0;
}

int
envelope_type_from_byte(uint8_t wire, enum envelope_type *out)
{
	size_t i;

	for (i = 0; i < NTYPES; i++) {
		if ((uint8_t)types[i].type == wire) {
			*out = types[i].type;
			return CK_OK;
		}
	}
	return CK_ERR_BAD_TYPE;
}

int
envelope_type_from_name(const char *name, size_t len, enum envelope_type *out)
{
	size_t i;

	for (i = 0; i < NTYPES; i++) {
		if (strlen(types[i].name) == len &&
		    memcmp(types[i].name, name, len) == 0) {
			*out = types[i].type;
			return CK_OK;
		}
	}
	return CK_ERR_BAD_TYPE;
}

void
envelope_ceremony_id_new(uint8_t id[ENVELOPE_CEREMONY_ID_BYTES])
{
	randombytes_buf(id, ENVELOPE_CEREMONY_ID_BYTES);
}

void
envelope_ceremony_id_hex(const uint8_t id[ENVELOPE_CEREMONY_ID_BYTES],
    char out[ENVELOPE_CEREMONY_ID_HEX + 1])
{
	sodium_bin2hex(out, ENVELOPE_CEREMONY_ID_HEX + 1, id,
	    ENVELOPE_CEREMONY_ID_BYTES);
}

int
envelope_ceremony_id_parse(const char *s, size_t len,
    uint8_t id[ENVELOPE_CEREMONY_ID_BYTES])
{
	uint8_t tmp[ENVELOPE_CEREMONY_ID_BYTES];
	size_t i;

	if (s == NULL || len != ENVELOPE_CEREMONY_ID_HEX)
		return CK_ERR_FORMAT;
	/* Lowercase only: one id, one spelling (the hex codec takes both). */
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return CK_ERR_FORMAT;
	if (codec_hex_decode_exact(s, len, tmp, sizeof(tmp)) != CK_OK)
		return CK_ERR_FORMAT;
	memcpy(id, tmp, sizeof(tmp));
	return CK_OK;
}

/* Exactly ENVELOPE_SEQ_DIGITS ASCII digits at s, in range: 1 if so. */
static int
seq_digits(const char *s, uint64_t *seq)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < ENVELOPE_SEQ_DIGITS; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < ENVELOPE_SEQ_MIN || v > ENVELOPE_SEQ_MAX)
		return 0;
	*seq = v;
	return 1;
}

static int
read_header(struct rd *r, struct header *h)
{
	uint8_t magic[ENVELOPE_MAGIC_BYTES], version, wire;
	int e;

	if ((e = rd_bytes(r, magic, sizeof(magic))) != CK_OK)
		return e;
	if (memcmp(magic, ENVELOPE_MAGIC, sizeof(magic)) != 0)
		return CK_ERR_BAD_MAGIC;
	if ((e = rd_u8(r, &version)) != CK_OK)
		return e;
	if (version != ENVELOPE_VERSION)
		return CK_ERR_BAD_VERSION;
	if ((e = rd_u8(r, &wire)) != CK_OK)
		return e;
	if ((e = envelope_type_from_byte(wire, &h->type)) != CK_OK)
		return e;
	if ((e = rd_bytes(r, h->ceremony_id, sizeof(h->ceremony_id))) != CK_OK ||
	    (e = rd_u64be(r, &h->seq)) != CK_OK)
		return e;
	if (h->seq < ENVELOPE_SEQ_MIN || h->seq > ENVELOPE_SEQ_MAX)
		return CK_ERR_FORMAT;
	if ((e = rd_u64be(r, &h->created)) != CK_OK ||
	    (e = rd_bytes(r, h->signer_pk, sizeof(h->signer_pk))) != CK_OK ||
	    (e = rd_u32be(r, &h->payload_len)) != CK_OK)
		return e;
	if (h->payload_len > ENVELOPE_MAX_PAYLOAD)
		return CK_ERR_TOO_LARGE;
	return CK_OK;
}

/* Split a binary envelope into its parts; no signature check yet. */
static int
read_frame(const uint8_t *bin, size_t len, struct frame *f)
{
	struct rd r;
	int e;

	if (len > ENVELOPE_MAX_BYTES)
		return CK_ERR_TOO_LARGE;
	rd_init(&r, bin, len);
	if ((e = read_header(&r, &f->h)) != CK_OK ||
	    (e = rd_ptr(&r, &f->payload, f->h.payload_len)) != CK_OK ||
	    (e = rd_ptr(&r, &f->sig, ENVELOPE_SIG_BYTES)) != CK_OK)
		return e;
	return rd_end(&r);
}

/* The payload rules, shared by builder and parser. */
static int
payload_check(const void *p, size_t len, json_t **out)
{
	json_t *j = NULL;
	int e;

	*out = NULL;
	if (len > ENVELOPE_MAX_PAYLOAD)
		return CK_ERR_TOO_LARGE;
	if ((e = rd_utf8(p, len)) != CK_OK)
		return e;
	if ((e = rd_json(p, len, ENVELOPE_MAX_PAYLOAD, &j)) != CK_OK)
		return e;
	if (!json_is_object(j)) {
		json_decref(j);
		return CK_ERR_FORMAT;
	}
	*out = j;
	return CK_OK;
}

static uint8_t *
put_be(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return p + n;
}

static uint8_t *
put_bytes(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

int
envelope_build(enum envelope_type type,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES], uint64_t seq,
    uint64_t created, const char *payload, size_t payload_len,
    const uint8_t sk[ENVELOPE_SK_BYTES], uint8_t **out, size_t *outlen)
{
	uint8_t pk[ENVELOPE_PK_BYTES];
	uint8_t *buf = NULL, *p;
	json_t *j = NULL;
	size_t len;
	int r = CK_ERR_INTERNAL;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (ceremony_id == NULL || payload == NULL || sk == NULL ||
	    out == NULL || outlen == NULL || envelope_type_name(type) == NULL ||
	    seq < ENVELOPE_SEQ_MIN || seq > ENVELOPE_SEQ_MAX)
		return CK_ERR_INVALID_ARG;
	if ((r = payload_check(payload, payload_len, &j)) != CK_OK)
		goto out;
	len = ENVELOPE_OVERHEAD + payload_len;
	if ((buf = malloc(len)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if (crypto_sign_ed25519_sk_to_pk(pk, sk) != 0) {
		r = CK_ERR_CRYPTO;
		goto out;
	}
	p = put_bytes(buf, ENVELOPE_MAGIC, ENVELOPE_MAGIC_BYTES);
	p = put_be(p, ENVELOPE_VERSION, 1);
	p = put_be(p, type, 1);
	p = put_bytes(p, ceremony_id, ENVELOPE_CEREMONY_ID_BYTES);
	p = put_be(p, seq, 8);
	p = put_be(p, created, 8);
	p = put_bytes(p, pk, sizeof(pk));
	p = put_be(p, payload_len, 4);
	p = put_bytes(p, payload, payload_len);
	if (crypto_sign_detached(p, NULL, buf, (size_t)(p - buf), sk) != 0) {
		r = CK_ERR_CRYPTO;
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	r = CK_OK;
 out:
	json_decref(j);
	free(buf);
	return r;
}

void
envelope_hash(const uint8_t *bin, size_t len, uint8_t out[ENVELOPE_HASH_BYTES])
{
	crypto_generichash(out, ENVELOPE_HASH_BYTES, bin, len, NULL, 0);
}

/* Where envelope_parse runs; NULL: here (envelope_set_isolation). */
static envelope_parse_fn isolated;

void
envelope_set_isolation(envelope_parse_fn fn)
{
	isolated = fn;
}

int
envelope_verify(const uint8_t *bin, size_t len, struct envelope *env)
{
	struct frame f;
	int e;

	if (env == NULL)
		return CK_ERR_INVALID_ARG;
	memset(env, 0, sizeof(*env));
	if (bin == NULL)
		return CK_ERR_INVALID_ARG;
	if ((e = read_frame(bin, len, &f)) != CK_OK)
		return e;
	if (crypto_sign_verify_detached(f.sig, bin, len - ENVELOPE_SIG_BYTES,
	    f.h.signer_pk) != 0)
		return CK_ERR_BAD_SIGNATURE;
	env->version = ENVELOPE_VERSION;
	env->type = f.h.type;
	memcpy(env->ceremony_id, f.h.ceremony_id, sizeof(env->ceremony_id));
	env->seq = f.h.seq;
	env->created = f.h.created;
	memcpy(env->signer_pk, f.h.signer_pk, sizeof(env->signer_pk));
	envelope_hash(bin, len, env->hash);
	return CK_OK;
}

int
envelope_parse(const uint8_t *bin, size_t len, struct envelope *env)
{
	struct frame f;
	json_t *j = NULL;
	int e;

	if (isolated != NULL)
		return isolated(bin, len, -1, env);
	/* Nothing in the payload is looked at before the signature. */
	if ((e = envelope_verify(bin, len, env)) != CK_OK)
		return e;
	if ((e = read_frame(bin, len, &f)) != CK_OK ||
	    (e = payload_check(f.payload, f.h.payload_len, &j)) != CK_OK) {
		memset(env, 0, sizeof(*env));
		return e;
	}
	env->payload = j;
	return CK_OK;
}

int
envelope_parse_fd(int fd, struct envelope *env)
{
	uint8_t *bin;
	size_t len;
	int e;

	memset(env, 0, sizeof(*env));
	if (isolated != NULL)
		return isolated(NULL, 0, fd, env);
	if ((e = rd_fd(fd, ENVELOPE_MAX_BYTES, &bin, &len)) != CK_OK)
		return e;
	e = envelope_parse(bin, len, env);
	free(bin);
	return e;
}

void
envelope_free(struct envelope *env)
{
	if (env == NULL)
		return;
	json_decref(env->payload);
	memset(env, 0, sizeof(*env));
}

int
envelope_check_binding(const struct envelope *env,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES],
    const uint8_t signer_pk[ENVELOPE_PK_BYTES], uint64_t last_seq)
{
	if (env == NULL || ceremony_id == NULL || signer_pk == NULL)
		return CK_ERR_INVALID_ARG;
	if (memcmp(env->ceremony_id, ceremony_id, ENVELOPE_CEREMONY_ID_BYTES) != 0)
		return CK_ERR_WRONG_CEREMONY;
	if (memcmp(env->signer_pk, signer_pk, ENVELOPE_PK_BYTES) != 0)
		return CK_ERR_WRONG_KEY;
	if (env->seq <= last_seq)
		return CK_ERR_REPLAY;
	if (env->seq - last_seq > 1)
		return CK_ERR_OUT_OF_ORDER;
	return CK_OK;
}

/* "-----BEGIN CONCLAVE ENVELOPE NNNNNN <type>-----" without the LF. */
static int
armor_header(char *out, size_t cap, uint64_t seq, enum envelope_type type,
    size_t *len)
{
	int n = snprintf(out, cap, "%s%0*llu %s%s", ENVELOPE_ARMOR_BEGIN,
	    ENVELOPE_SEQ_DIGITS, (unsigned long long)seq,
	    envelope_type_name(type), ENVELOPE_ARMOR_DASHES);

	if (n < 0 || (size_t)n >= cap)
		return CK_ERR_INTERNAL;
	*len = (size_t)n;
	return CK_OK;
}

int
envelope_armor(const uint8_t *bin, size_t len, char **text, size_t *textlen)
{
	struct frame f;
	char *b64 = NULL, *buf = NULL, *p;
	size_t b64len, cap, hlen, i, n;
	int r = CK_ERR_INTERNAL;

	if (text != NULL)
		*text = NULL;
	if (textlen != NULL)
		*textlen = 0;
	if (bin == NULL || text == NULL || textlen == NULL)
		return CK_ERR_INVALID_ARG;
	if ((r = read_frame(bin, len, &f)) != CK_OK)
		return r;
	b64len = CODEC_B64_LEN(len);
	cap = ENVELOPE_ARMOR_MAX + 1;
	if ((b64 = malloc(b64len + 1)) == NULL || (buf = malloc(cap)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if ((r = codec_b64_encode(CODEC_B64_PADDED, bin, len, b64,
	    b64len + 1)) != CK_OK ||
	    (r = armor_header(buf, cap, f.h.seq, f.h.type, &hlen)) != CK_OK)
		goto out;
	p = buf + hlen;
	*p++ = '\n';
	for (i = 0; i < b64len; i += n) {
		n = b64len - i < ENVELOPE_ARMOR_LINE ? b64len - i :
		    ENVELOPE_ARMOR_LINE;
		memcpy(p, b64 + i, n);
		p += n;
		*p++ = '\n';
	}
	memcpy(p, ENVELOPE_ARMOR_END "\n", sizeof(ENVELOPE_ARMOR_END "\n"));
	p += sizeof(ENVELOPE_ARMOR_END "\n") - 1;
	*textlen = (size_t)(p - buf);
	*text = buf;
	buf = NULL;
	r = CK_OK;
 out:
	free(b64);
	free(buf);
	return r;
}

/* The next LF-terminated line, without its LF; CK_ERR_TRUNCATED if none. */
static int
next_line(struct rd *r, const char **line, size_t *linelen)
{
	const uint8_t *p, *nl;
	int e;

	if ((nl = memchr(r->p, '\n', rd_left(r))) == NULL)
		return CK_ERR_TRUNCATED;
	*linelen = (size_t)(nl - r->p);
	if ((e = rd_ptr(r, &p, *linelen + 1)) != CK_OK)
		return e;
	*line = (const char *)p;
	return CK_OK;
}

static int
parse_armor_header(const char *line, size_t len, uint64_t *seq,
    enum envelope_type *type)
{
	const size_t blen = sizeof(ENVELOPE_ARMOR_BEGIN) - 1;
	const size_t dlen = sizeof(ENVELOPE_ARMOR_DASHES) - 1;

	if (len < blen || memcmp(line, ENVELOPE_ARMOR_BEGIN, blen) != 0)
		return CK_ERR_BAD_MAGIC;
	line += blen;
	len -= blen;
	/* "NNNNNN " then a name of at least one character, then dashes. */
	if (len < ENVELOPE_SEQ_DIGITS + 2 + dlen ||
	    memcmp(line + len - dlen, ENVELOPE_ARMOR_DASHES, dlen) != 0 ||
	    !seq_digits(line, seq) || line[ENVELOPE_SEQ_DIGITS] != ' ')
		return CK_ERR_FORMAT;
	return envelope_type_from_name(line + ENVELOPE_SEQ_DIGITS + 1,
	    len - ENVELOPE_SEQ_DIGITS - 1 - dlen, type);
}

/* Gather the base64 lines up to the end line into b64 (cap >= text len). */
static int
read_armor_body(struct rd *r, char *b64, size_t *b64len)
{
	const size_t elen = sizeof(ENVELOPE_ARMOR_END) - 1;
	const char *line;
	size_t len;
	int e, short_seen = 0;

	*b64len = 0;
	for (;;) {
		if ((e = next_line(r, &line, &len)) != CK_OK)
			return e;
		if (len > 0 && line[0] == '-')
			break;
		/* Only the last line may be short, and none empty. */
		if (short_seen || len == 0 || len > ENVELOPE_ARMOR_LINE)
			return CK_ERR_FORMAT;
		short_seen = len < ENVELOPE_ARMOR_LINE;
		memcpy(b64 + *b64len, line, len);
		*b64len += len;
	}
	if (len != elen || memcmp(line, ENVELOPE_ARMOR_END, elen) != 0)
		return CK_ERR_FORMAT;
	return rd_end(r);
}

int
envelope_dearmor(const char *text, size_t len, uint8_t **bin, size_t *binlen)
{
	struct rd r;
	struct frame f;
	enum envelope_type htype;
	const char *line;
	char *b64 = NULL;
	uint8_t *buf = NULL;
	uint64_t hseq;
	size_t linelen, b64len, n, cap;
	int e = CK_ERR_INTERNAL;

	if (bin != NULL)
		*bin = NULL;
	if (binlen != NULL)
		*binlen = 0;
	if (text == NULL || bin == NULL || binlen == NULL)
		return CK_ERR_INVALID_ARG;
	if (len > ENVELOPE_ARMOR_MAX)
		return CK_ERR_TOO_LARGE;
	rd_init(&r, text, len);
	if ((e = next_line(&r, &line, &linelen)) != CK_OK ||
	    (e = parse_armor_header(line, linelen, &hseq, &htype)) != CK_OK)
		goto out;
	if ((b64 = malloc(len + 1)) == NULL) {
		e = CK_ERR_ALLOC;
		goto out;
	}
	if ((e = read_armor_body(&r, b64, &b64len)) != CK_OK)
		goto out;
	if (b64len > ENVELOPE_ARMOR_B64_MAX) {
		e = CK_ERR_TOO_LARGE;
		goto out;
	}
	cap = b64len / 4 * 3 + 1;
	if ((buf = malloc(cap)) == NULL) {
		e = CK_ERR_ALLOC;
		goto out;
	}
	if ((e = codec_b64_decode(CODEC_B64_PADDED, b64, b64len, buf, cap,
	    &n)) != CK_OK)
		goto out;
	if ((e = read_frame(buf, n, &f)) != CK_OK)
		goto out;
	/* The readable header must not tell a different story. */
	if (f.h.seq != hseq || f.h.type != htype) {
		e = CK_ERR_FORMAT;
		goto out;
	}
	*bin = buf;
	*binlen = n;
	buf = NULL;
	e = CK_OK;
 out:
	free(b64);
	free(buf);
	return e;
}

int
envelope_file_name(uint64_t seq, enum envelope_type type,
    char out[ENVELOPE_FILE_NAME_MAX])
{
	const char *name = envelope_type_name(type);
	int n;

	if (out == NULL || name == NULL ||
	    seq < ENVELOPE_SEQ_MIN || seq > ENVELOPE_SEQ_MAX)
		return CK_ERR_INVALID_ARG;
	n = snprintf(out, ENVELOPE_FILE_NAME_MAX, "%0*llu-%s%s",
	    ENVELOPE_SEQ_DIGITS, (unsigned long long)seq, name,
	    ENVELOPE_FILE_NAME_SUFFIX);
	if (n < 0 || (size_t)n >= ENVELOPE_FILE_NAME_MAX)
		return CK_ERR_INTERNAL;
	return CK_OK;
}

int
envelope_file_name_parse(const char *name, size_t len, uint64_t *seq,
    enum envelope_type *type)
{
	const size_t slen = sizeof(ENVELOPE_FILE_NAME_SUFFIX) - 1;
	enum envelope_type t;
	uint64_t s;

	if (name == NULL || seq == NULL || type == NULL)
		return CK_ERR_INVALID_ARG;
	if (len < ENVELOPE_SEQ_DIGITS + 2 + slen ||
	    !seq_digits(name, &s) || name[ENVELOPE_SEQ_DIGITS] != '-' ||
	    memcmp(name + len - slen, ENVELOPE_FILE_NAME_SUFFIX, slen) != 0 ||
	    envelope_type_from_name(name + ENVELOPE_SEQ_DIGITS + 1,
	    len - ENVELOPE_SEQ_DIGITS - 1 - slen, &t) != CK_OK)
		return CK_ERR_BAD_NAME;
	*seq = s;
	*type = t;
	return CK_OK;
}

int
envelope_file_name_matches(const struct envelope *env, const char *name,
    size_t len)
{
	enum envelope_type t;
	uint64_t seq;
	int e;

	if (env == NULL || name == NULL)
		return CK_ERR_INVALID_ARG;
	if ((e = envelope_file_name_parse(name, len, &seq, &t)) != CK_OK)
		return e;
	return seq == env->seq && t == env->type ? CK_OK : CK_ERR_BAD_NAME;
}
