#include "appliance/wire.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto/reader.h"

/* What the monitor accepts in a transcript report's reason (the child's
 * copy is a char[128]; the monitor shows it, so printable UTF-8 only). */
#define WIRE_REASON_MAX	(sizeof(((struct transcript_report *)0)->reason) - 1)

/* The payload limit of a known type; CK_ERR_BAD_TYPE for any other. */
static int
limit(uint8_t type, size_t *max)
{
	switch (type) {
	case WIRE_ERROR:		*max = 4; break;
	case WIRE_ENVELOPE:		*max = ENVELOPE_MAX_BYTES; break;
	case WIRE_ENVELOPE_OK:		*max = 8 + ENVELOPE_MAX_BYTES + WIRE_JSON_MAX; break;
	case WIRE_QR_SCAN:		*max = 2 + WIRE_IMAGE_MAX; break;
	case WIRE_QR_SCAN_OK:		*max = 1 + QR_MAX_SYMBOLS * (4 + QR_MAX_PAYLOAD); break;
	case WIRE_PNG:			*max = QR_MAX_PNG_BYTES; break;
	case WIRE_PNG_OK:		*max = WIRE_IMAGE_MAX; break;
	case WIRE_TRANSCRIPT:		*max = WIRE_TRANSCRIPT_MAX; break;
	case WIRE_TRANSCRIPT_OK:	*max = 160 + WIRE_REASON_MAX + TRANSCRIPT_REASON_MAX; break;
	case WIRE_PGP_RECIPIENTS:	*max = PGPPKT_MSG_MAX; break;
	case WIRE_PGP_RECIPIENTS_OK:	*max = 1 + PGPPKT_RECIPIENTS_MAX * (PGPPKT_KEYID_LEN + 1); break;
	case WIRE_PGP_SUBKEYS:		*max = PGPPKT_KEY_MAX; break;
	case WIRE_PGP_SUBKEYS_OK:	*max = 1 + PGPPKT_SUBKEYS_MAX * 9; break;
	case WIRE_AUDIT:		*max = TRANSCRIPT_MAX_BYTES; break;
	case WIRE_AUDIT_OK:		*max = 48 + sizeof(((struct audit_report *)0)->kind) +
					    sizeof(((struct audit_report *)0)->problem); break;
	case WIRE_READY:		*max = 0; break;	/* the child is ready */
	default:			return CK_ERR_BAD_TYPE;
	}
	return CK_OK;
}

size_t
wire_max(uint8_t type)
{
	size_t max = 0;

	return limit(type, &max) == CK_OK ? max : 0;
}

void
wire_buf_free(struct wire_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
wire_put_bytes(struct wire_buf *b, const void *p, size_t n)
{
	uint8_t *np;
	size_t cap;

	if (b->err != CK_OK || n == 0)
		return;
	if (n > SIZE_MAX / 2 - b->len) {
		b->err = CK_ERR_TOO_LARGE;
		return;
	}
	if (b->len + n > b->cap) {
		for (cap = b->cap > 0 ? b->cap : 256; cap < b->len + n; cap *= 2)
			;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->err = CK_ERR_ALLOC;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
wire_put_u8(struct wire_buf *b, uint8_t v)
{
	wire_put_bytes(b, &v, 1);
}

void
wire_put_u32(struct wire_buf *b, uint32_t v)
{
	uint8_t be[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	wire_put_bytes(b, be, sizeof(be));
}

static void
put_u64(struct wire_buf *b, uint64_t v)
{
	wire_put_u32(b, (uint32_t)(v >> 32));
	wire_put_u32(b, (uint32_t)v);
}

void
wire_put_blob(struct wire_buf *b, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		if (b->err == CK_OK)
			b->err = CK_ERR_TOO_LARGE;
		return;
	}
	wire_put_u32(b, (uint32_t)n);
	wire_put_bytes(b, p, n);
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		/* MSG_NOSIGNAL: a dead peer is an error here, not a SIGPIPE. */
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			/* the monitor's socket has a send timeout */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return CK_ERR_CHILD_TIMEOUT;
			return CK_ERR_IO;
		}
		p += w;
		n -= (size_t)w;
	}
	return CK_OK;
}

int
wire_send(int fd, uint8_t type, const struct wire_buf *b)
{
	size_t len = b != NULL ? b->len : 0;
	uint8_t h[WIRE_HEADER_BYTES];
	int e;

	if (b != NULL && b->err != CK_OK)
		return b->err;
	if (len > wire_max(type))
		return CK_ERR_TOO_LARGE;
	h[0] = type;
	h[1] = (uint8_t)(len >> 24);
	h[2] = (uint8_t)(len >> 16);
	h[3] = (uint8_t)(len >> 8);
	h[4] = (uint8_t)len;
	if ((e = write_all(fd, h, sizeof(h))) != CK_OK)
		return e;
	return len > 0 ? write_all(fd, b->p, len) : CK_OK;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly n bytes before the deadline (-1: none). */
static int
read_all(int fd, uint8_t *p, size_t n, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t got;
	int wait, pr;

	while (n > 0) {
		if (deadline >= 0) {
			wait = (int)(deadline - now_ms());
			if (wait <= 0)
				return CK_ERR_CHILD_TIMEOUT;
			if ((pr = poll(&pfd, 1, wait)) < 0 && errno != EINTR)
				return CK_ERR_IO;
			if (pr <= 0)
				continue;
		}
		if ((got = read(fd, p, n)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return CK_ERR_IO;
		}
		if (got == 0)
			return CK_ERR_TRUNCATED;
		p += got;
		n -= (size_t)got;
	}
	return CK_OK;
}

int
wire_recv(int fd, int timeout_ms, uint8_t *type, uint8_t **payload,
    size_t *len)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	uint8_t h[WIRE_HEADER_BYTES];
	uint8_t *p = NULL;
	size_t n, max;
	int e;

	*payload = NULL;
	*len = 0;
	if ((e = read_all(fd, h, sizeof(h), deadline)) != CK_OK)
		return e;
	n = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
	if ((e = limit(h[0], &max)) != CK_OK)
		return e;
	if (n > max)
		return CK_ERR_TOO_LARGE;
	if (n > 0) {
		if ((p = malloc(n)) == NULL)
			return CK_ERR_ALLOC;
		if ((e = read_all(fd, p, n, deadline)) != CK_OK) {
			free(p);
			return e;
		}
	}
	*type = h[0];
	*payload = p;
	*len = n;
	return CK_OK;
}

/* ---- payloads ---- */

/* A u32 length and that many bytes, borrowed; at most max. */
static int
get_blob(struct rd *r, size_t max, const uint8_t **p, size_t *n)
{
	uint32_t len;
	int e;

	if ((e = rd_u32be(r, &len)) != CK_OK)
		return e;
	if (len > max)
		return CK_ERR_TOO_LARGE;
	*n = len;
	return rd_ptr(r, p, len);
}

/* A 0/1 byte. */
static int
get_bool(struct rd *r, int *v)
{
	uint8_t b;
	int e;

	if ((e = rd_u8(r, &b)) != CK_OK)
		return e;
	if (b > 1)
		return CK_ERR_FORMAT;
	*v = b;
	return CK_OK;
}

/* A known CK_* result (CK_OK included). */
static int
known_result(uint32_t v, int *result)
{
	*result = (int)v;
	if (*result > CK_OK || (*result < CK_OK &&
	    strcmp(ck_errname(*result), "CK_ERR_UNKNOWN") == 0))
		return CK_ERR_FORMAT;
	return CK_OK;
}

/* A printable string of at most cap - 1 bytes into out (NUL-terminated). */
static int
get_text(struct rd *r, char *out, size_t cap)
{
	const uint8_t *p;
	size_t n;
	int e;

	if ((e = get_blob(r, cap - 1, &p, &n)) != CK_OK)
		return e;
	if (n > 0 && (e = rd_printable_utf8(p, n, 0)) != CK_OK)
		return e;
	memcpy(out, p, n);
	out[n] = '\0';
	return CK_OK;
}

void
wire_put_image(struct wire_buf *b, const struct qr_image *img)
{
	wire_put_u32(b, (uint32_t)img->w);
	wire_put_u32(b, (uint32_t)img->h);
	wire_put_bytes(b, img->pix, (size_t)img->w * (size_t)img->h);
}

int
wire_get_image(const uint8_t *p, size_t len, struct qr_image **out)
{
	struct qr_image *img = NULL;
	uint32_t w, h;
	struct rd r;
	int e;

	*out = NULL;
	rd_init(&r, p, len);
	if ((e = rd_u32be(&r, &w)) != CK_OK || (e = rd_u32be(&r, &h)) != CK_OK)
		return e;
	if (w == 0 || h == 0)
		return CK_ERR_FORMAT;
	if (w > QR_MAX_IMAGE_SIDE || h > QR_MAX_IMAGE_SIDE)
		return CK_ERR_TOO_LARGE;
	if (rd_left(&r) != (size_t)w * h)
		return rd_left(&r) < (size_t)w * h ? CK_ERR_TRUNCATED : CK_ERR_TRAILING;
	if ((e = qr_image_new((int)w, (int)h, &img)) != CK_OK)
		return e;
	if ((e = rd_bytes(&r, img->pix, (size_t)w * h)) != CK_OK) {
		qr_image_free(img);
		return e;
	}
	*out = img;
	return CK_OK;
}

void
wire_put_scan_req(struct wire_buf *b, enum qr_reader rd, int flags,
    const struct qr_image *img)
{
	wire_put_u8(b, (uint8_t)rd);
	wire_put_u8(b, (uint8_t)flags);
	wire_put_image(b, img);
}

int
wire_get_scan_req(const uint8_t *p, size_t len, enum qr_reader *rd,
    int *flags, struct qr_image **img)
{
	*img = NULL;
	if (len < 2)
		return CK_ERR_TRUNCATED;
	if (p[0] > QR_READ_ZXING_ZBAR || (p[1] & ~QR_PRE_THRESHOLD) != 0)
		return CK_ERR_FORMAT;
	*rd = (enum qr_reader)p[0];
	*flags = p[1];
	return wire_get_image(p + 2, len - 2, img);
}

void
wire_put_symbols(struct wire_buf *b, const struct qr_symbols *s)
{
	size_t i;

	wire_put_u8(b, (uint8_t)s->n);
	for (i = 0; i < s->n; i++)
		wire_put_blob(b, s->data[i], s->len[i]);
}

int
wire_get_symbols(const uint8_t *p, size_t len, struct qr_symbols *out)
{
	const uint8_t *d;
	uint8_t n;
	size_t i, dl;
	struct rd r;
	int e;

	memset(out, 0, sizeof(*out));
	rd_init(&r, p, len);
	if ((e = rd_u8(&r, &n)) != CK_OK)
		return e;
	if (n > QR_MAX_SYMBOLS)
		return CK_ERR_TOO_LARGE;
	for (i = 0; i < n; i++) {
		if ((e = get_blob(&r, QR_MAX_PAYLOAD, &d, &dl)) != CK_OK)
			goto fail;
		/* malloc(0) may be NULL: one byte more, never read. */
		if ((out->data[i] = malloc(dl + 1)) == NULL) {
			e = CK_ERR_ALLOC;
			goto fail;
		}
		memcpy(out->data[i], d, dl);
		out->len[i] = dl;
		out->n = i + 1;
	}
	if ((e = rd_end(&r)) == CK_OK)
		return CK_OK;
fail:
	qr_symbols_clear(out);
	return e;
}

void
wire_put_error(struct wire_buf *b, int err)
{
	wire_put_u32(b, (uint32_t)err);
}

int
wire_get_error(const uint8_t *p, size_t len, int *err)
{
	uint32_t v;
	struct rd r;
	int e;

	rd_init(&r, p, len);
	if ((e = rd_u32be(&r, &v)) != CK_OK || (e = rd_end(&r)) != CK_OK)
		return e;
	/* Only a known error: a made-up code would reach the screen as "?". */
	*err = (int)v;
	if (*err >= CK_OK || strcmp(ck_errname(*err), "CK_ERR_UNKNOWN") == 0)
		return CK_ERR_FORMAT;
	return CK_OK;
}

void
wire_put_envelope(struct wire_buf *b, const uint8_t *bin, size_t binlen,
    const char *json, size_t jsonlen)
{
	wire_put_blob(b, bin, binlen);
	wire_put_blob(b, json, jsonlen);
}

int
wire_get_envelope(const uint8_t *p, size_t len, struct envelope *env)
{
	const uint8_t *bin, *json;
	size_t binlen, jsonlen;
	json_t *j = NULL;
	struct rd r;
	int e;

	memset(env, 0, sizeof(*env));
	rd_init(&r, p, len);
	if ((e = get_blob(&r, ENVELOPE_MAX_BYTES, &bin, &binlen)) != CK_OK ||
	    (e = get_blob(&r, WIRE_JSON_MAX, &json, &jsonlen)) != CK_OK ||
	    (e = rd_end(&r)) != CK_OK)
		return e;
	/* Authenticity never rests on the child: the frame and signature of
	 * the bytes it read are checked here again. */
	if ((e = envelope_verify(bin, binlen, env)) != CK_OK)
		return e;
	if ((e = rd_json(json, jsonlen, WIRE_JSON_MAX, &j)) != CK_OK)
		goto fail;
	if (!json_is_object(j)) {
		e = CK_ERR_FORMAT;
		goto fail;
	}
	env->payload = j;
	return CK_OK;
fail:
	json_decref(j);
	envelope_free(env);
	return e;
}

void
wire_put_transcript_req(struct wire_buf *b, const void *buf, size_t len,
    const void *sig, size_t siglen, const struct minisig_pubkey *expect)
{
	wire_put_u8(b, expect != NULL);
	if (expect != NULL) {
		wire_put_bytes(b, expect->key_id, sizeof(expect->key_id));
		wire_put_bytes(b, expect->pk, sizeof(expect->pk));
	}
	wire_put_blob(b, buf, len);
	wire_put_u8(b, sig != NULL);
	if (sig != NULL)
		wire_put_blob(b, sig, siglen);
}

static int
get_key(struct rd *r, struct minisig_pubkey *k)
{
	int e;

	if ((e = rd_bytes(r, k->key_id, sizeof(k->key_id))) != CK_OK)
		return e;
	return rd_bytes(r, k->pk, sizeof(k->pk));
}

int
wire_get_transcript_req(const uint8_t *p, size_t len, const uint8_t **buf,
    size_t *buflen, const uint8_t **sig, size_t *siglen,
    struct minisig_pubkey *key, const struct minisig_pubkey **expect)
{
	int has_expect, has_sig, e;
	struct rd r;

	*expect = NULL;
	*sig = NULL;
	*siglen = 0;
	rd_init(&r, p, len);
	if ((e = get_bool(&r, &has_expect)) != CK_OK)
		return e;
	if (has_expect) {
		if ((e = get_key(&r, key)) != CK_OK)
			return e;
		*expect = key;
	}
	if ((e = get_blob(&r, TRANSCRIPT_MAX_BYTES, buf, buflen)) != CK_OK ||
	    (e = get_bool(&r, &has_sig)) != CK_OK)
		return e;
	if (has_sig && (e = get_blob(&r, MINISIG_MAX_SIGFILE, sig, siglen)) != CK_OK)
		return e;
	return rd_end(&r);
}

void
wire_put_transcript(struct wire_buf *b, int result,
    const struct transcript_report *rep)
{
	size_t rl = strnlen(rep->reason, sizeof(rep->reason));
	size_t ol = strnlen(rep->outcome, sizeof(rep->outcome));
	size_t wl = strnlen(rep->outcome_reason, sizeof(rep->outcome_reason));

	wire_put_u32(b, (uint32_t)result);
	put_u64(b, rep->records);
	wire_put_u8(b, rep->closed != 0);
	wire_put_u8(b, rep->chain_ok != 0);
	wire_put_blob(b, rep->outcome, ol < sizeof(rep->outcome) ? ol : 0);
	wire_put_blob(b, rep->outcome_reason, wl < sizeof(rep->outcome_reason) ?
	    wl : 0);
	wire_put_bytes(b, rep->head, sizeof(rep->head));
	wire_put_u8(b, rep->has_key != 0);
	wire_put_bytes(b, rep->key.key_id, sizeof(rep->key.key_id));
	wire_put_bytes(b, rep->key.pk, sizeof(rep->key.pk));
	put_u64(b, rep->resumes);
	put_u64(b, rep->bad_line);
	put_u64(b, rep->bad_seq);
	wire_put_u8(b, rep->has_bad_seq != 0);
	wire_put_blob(b, rep->reason, rl < sizeof(rep->reason) ? rl : 0);
}

int
wire_get_transcript(const uint8_t *p, size_t len, int *result,
    struct transcript_report *rep)
{
	uint32_t res;
	struct rd r;
	int e;

	memset(rep, 0, sizeof(*rep));
	rd_init(&r, p, len);
	if ((e = rd_u32be(&r, &res)) != CK_OK ||
	    (e = rd_u64be(&r, &rep->records)) != CK_OK ||
	    (e = get_bool(&r, &rep->closed)) != CK_OK ||
	    (e = get_bool(&r, &rep->chain_ok)) != CK_OK ||
	    (e = get_text(&r, rep->outcome, sizeof(rep->outcome))) != CK_OK ||
	    (e = get_text(&r, rep->outcome_reason,
	    sizeof(rep->outcome_reason))) != CK_OK ||
	    (e = rd_bytes(&r, rep->head, sizeof(rep->head))) != CK_OK ||
	    (e = get_bool(&r, &rep->has_key)) != CK_OK ||
	    (e = get_key(&r, &rep->key)) != CK_OK ||
	    (e = rd_u64be(&r, &rep->resumes)) != CK_OK ||
	    (e = rd_u64be(&r, &rep->bad_line)) != CK_OK ||
	    (e = rd_u64be(&r, &rep->bad_seq)) != CK_OK ||
	    (e = get_bool(&r, &rep->has_bad_seq)) != CK_OK ||
	    (e = get_text(&r, rep->reason, sizeof(rep->reason))) != CK_OK ||
	    (e = rd_end(&r)) != CK_OK ||
	    (e = known_result(res, result)) != CK_OK) {
		memset(rep, 0, sizeof(*rep));
		return e;
	}
	return CK_OK;
}

void
wire_put_audit(struct wire_buf *b, int result, const struct audit_report *rep)
{
	size_t kl = strnlen(rep->kind, sizeof(rep->kind));
	size_t pl = strnlen(rep->problem, sizeof(rep->problem));

	wire_put_u32(b, (uint32_t)result);
	wire_put_blob(b, rep->kind, kl < sizeof(rep->kind) ? kl : 0);
	wire_put_u8(b, rep->rules != 0);
	wire_put_u32(b, rep->n);
	wire_put_u32(b, rep->t);
	wire_put_u32(b, rep->proven);
	wire_put_u32(b, rep->refused);
	wire_put_u32(b, rep->deviations);
	wire_put_u32(b, rep->exceptions);
	wire_put_u8(b, rep->revoked != 0);
	wire_put_blob(b, rep->problem, pl < sizeof(rep->problem) ? pl : 0);
}

int
wire_get_audit(const uint8_t *p, size_t len, int *result, struct audit_report *rep)
{
	uint32_t res;
	struct rd r;
	int e;

	memset(rep, 0, sizeof(*rep));
	rd_init(&r, p, len);
	if ((e = rd_u32be(&r, &res)) != CK_OK ||
	    (e = get_text(&r, rep->kind, sizeof(rep->kind))) != CK_OK ||
	    (e = get_bool(&r, &rep->rules)) != CK_OK ||
	    (e = rd_u32be(&r, &rep->n)) != CK_OK ||
	    (e = rd_u32be(&r, &rep->t)) != CK_OK ||
	    (e = rd_u32be(&r, &rep->proven)) != CK_OK ||
	    (e = rd_u32be(&r, &rep->refused)) != CK_OK ||
	    (e = rd_u32be(&r, &rep->deviations)) != CK_OK ||
	    (e = rd_u32be(&r, &rep->exceptions)) != CK_OK ||
	    (e = get_bool(&r, &rep->revoked)) != CK_OK ||
	    (e = get_text(&r, rep->problem, sizeof(rep->problem))) != CK_OK ||
	    (e = rd_end(&r)) != CK_OK ||
	    (e = known_result(res, result)) != CK_OK) {
		memset(rep, 0, sizeof(*rep));
		return e;
	}
	return CK_OK;
}

void
wire_put_recipients(struct wire_buf *b, const struct pgppkt_recipients *rc)
{
	size_t i;

	wire_put_u8(b, (uint8_t)rc->n);
	for (i = 0; i < rc->n; i++) {
		wire_put_bytes(b, rc->keyid[i], PGPPKT_KEYID_LEN);
		wire_put_u8(b, rc->algo[i]);
	}
}

int
wire_get_recipients(const uint8_t *p, size_t len, struct pgppkt_recipients *out)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t n;
	size_t i, k;
	struct rd r;
	int e;

	memset(out, 0, sizeof(*out));
	rd_init(&r, p, len);
	if ((e = rd_u8(&r, &n)) != CK_OK)
		return e;
	if (n > PGPPKT_RECIPIENTS_MAX)
		return CK_ERR_TOO_LARGE;
	for (i = 0; i < n; i++) {
		if ((e = rd_bytes(&r, out->keyid[i], PGPPKT_KEYID_LEN)) != CK_OK ||
		    (e = rd_u8(&r, &out->algo[i])) != CK_OK)
			goto fail;
		/* lowercase hex, as pgppkt writes it */
		for (k = 0; k < PGPPKT_KEYID_LEN; k++)
			if (out->keyid[i][k] == '\0' ||
			    strchr(hex, out->keyid[i][k]) == NULL) {
				e = CK_ERR_FORMAT;
				goto fail;
			}
		out->keyid[i][PGPPKT_KEYID_LEN] = '\0';
	}
	out->n = n;
	if ((e = rd_end(&r)) == CK_OK)
		return CK_OK;
fail:
	memset(out, 0, sizeof(*out));
	return e;
}

void
wire_put_subkeys(struct wire_buf *b, const struct pgppkt_subkeys *sk)
{
	size_t i;

	wire_put_u8(b, (uint8_t)sk->n);
	for (i = 0; i < sk->n; i++) {
		wire_put_u32(b, sk->k[i].created);
		wire_put_u32(b, sk->k[i].bound);
		wire_put_u8(b, sk->k[i].algo);
	}
}

int
wire_get_subkeys(const uint8_t *p, size_t len, struct pgppkt_subkeys *out)
{
	uint8_t n;
	size_t i;
	struct rd r;
	int e;

	memset(out, 0, sizeof(*out));
	rd_init(&r, p, len);
	if ((e = rd_u8(&r, &n)) != CK_OK)
		return e;
	if (n > PGPPKT_SUBKEYS_MAX)
		return CK_ERR_TOO_LARGE;
	for (i = 0; i < n; i++)
		if ((e = rd_u32be(&r, &out->k[i].created)) != CK_OK ||
		    (e = rd_u32be(&r, &out->k[i].bound)) != CK_OK ||
		    (e = rd_u8(&r, &out->k[i].algo)) != CK_OK)
			goto fail;
	out->n = n;
	if ((e = rd_end(&r)) == CK_OK)
		return CK_OK;
fail:
	memset(out, 0, sizeof(*out));
	return e;
}
