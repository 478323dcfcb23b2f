#include "appliance/wire.h"

#include <errno.h>
#include <math.h>
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
/* A minisign key on the wire: its id and its public key. */
#define WIRE_KEY_BYTES	(MINISIG_KEYID_BYTES + MINISIG_PK_BYTES)

/* The payload limit of a known type; CK_ERR_BAD_TYPE for any other. */
static int
limit(uint8_t type, size_t *max)
{
	switch (type) {
	case WIRE_ERROR:		*max = 4; break;
	case WIRE_ENVELOPE:		*max = ENVELOPE_MAX_BYTES; break;
	case WIRE_ENVELOPE_OK:		*max = 4 + ENVELOPE_MAX_BYTES + WIRE_JSON_MAX; break;
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
	case WIRE_MINISIG_PUB:		*max = MINISIG_MAX_PUBFILE; break;
	case WIRE_RECORD:		*max = WIRE_TRANSCRIPT_MAX; break;
	case WIRE_RECORD_OK:		*max = WIRE_RECORD_MAX; break;
	case WIRE_HANDOUT:		*max = WIRE_TRANSCRIPT_MAX; break;
	case WIRE_HANDOUT_OK:		*max = 256 + WIRE_REASON_MAX +
					    TRANSCRIPT_REASON_MAX + WIRE_JSON_MAX; break;
	case WIRE_MINISIG_PUB_OK:	*max = WIRE_KEY_BYTES; break;
	case WIRE_PGP_KEYFILE:		*max = PGPPKT_ARMOR_MAX; break;
	case WIRE_PGP_KEYFILE_OK:	*max = 1 + PGPPKT_KEYS_MAX * PGPPKT_FPR_BYTES; break;
	case WIRE_READY:		*max = 0; break;	/* the child is ready */
	default:			return CK_ERR_BAD_TYPE;
	}
	return CK_OK;
}

size_t
wire_max(uint8_t type)
{
	size_t max = 0;

	return limit(type & ~WIRE_FD, &max) == CK_OK ? max : 0;
}

size_t
wire_input_max(uint8_t type)
{
	switch (type & ~WIRE_FD) {
	case WIRE_TRANSCRIPT:
	case WIRE_RECORD:
	case WIRE_HANDOUT:	return TRANSCRIPT_MAX_BYTES;
	case WIRE_ENVELOPE:
	case WIRE_PNG:
	case WIRE_PGP_RECIPIENTS:
	case WIRE_PGP_SUBKEYS:
	case WIRE_AUDIT:
	case WIRE_MINISIG_PUB:
	case WIRE_PGP_KEYFILE:	return wire_max(type);
	default:		return 0;
	}
}

size_t
wire_lead_max(uint8_t type)
{
	switch (type & ~WIRE_FD) {
	case WIRE_TRANSCRIPT:
	case WIRE_RECORD:
	case WIRE_HANDOUT:	return MINISIG_MAX_SIGFILE;
	default:		return 0;
	}
}

void
wire_buf_free(struct wire_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* The first failure stands. */
static void
fail(struct wire_buf *b, int err)
{
	if (b->err == CK_OK)
		b->err = err;
}

void
wire_put_bytes(struct wire_buf *b, const void *p, size_t n)
{
	uint8_t *np;
	size_t cap;

	if (b->err != CK_OK || n == 0)
		return;
	if (n > SIZE_MAX / 2 - b->len) {
		fail(b, CK_ERR_TOO_LARGE);
		return;
	}
	if (b->len + n > b->cap) {
		for (cap = b->cap > 0 ? b->cap : 256; cap < b->len + n; cap *= 2)
			;
		if ((np = realloc(b->p, cap)) == NULL) {
			fail(b, CK_ERR_ALLOC);
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
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

/* The header's first byte with files attached (SCM_RIGHTS), then the rest. */
static int
write_with_fds(int fd, const uint8_t *p, size_t n, const int *files,
    size_t nfiles)
{
	union {
		char buf[CMSG_SPACE(WIRE_MAX_FILES * sizeof(int))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = (void *)p, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = c.buf,
	    .msg_controllen = CMSG_SPACE(nfiles * sizeof(int)) };
	struct cmsghdr *cm;
	ssize_t w;

	memset(&c, 0, sizeof(c));
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfiles * sizeof(int));
	memcpy(CMSG_DATA(cm), files, nfiles * sizeof(int));
	while ((w = sendmsg(fd, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (w < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ?
		    CK_ERR_CHILD_TIMEOUT : CK_ERR_IO;
	return write_all(fd, p + 1, n - 1);
}

static int
send_msg(int fd, uint8_t type, const struct wire_buf *b, const int *files,
    size_t nfiles)
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
	e = nfiles > 0 ? write_with_fds(fd, h, sizeof(h), files, nfiles) :
	    write_all(fd, h, sizeof(h));
	if (e != CK_OK)
		return e;
	return len > 0 ? write_all(fd, b->p, len) : CK_OK;
}

int
wire_send(int fd, uint8_t type, const struct wire_buf *b)
{
	if ((type & WIRE_FD) != 0)
		return CK_ERR_INVALID_ARG;
	return send_msg(fd, type, b, NULL, 0);
}

/* Do n descriptors fit a request of type? */
static int
files_fit(uint8_t type, size_t n)
{
	return wire_input_max(type) > 0 &&
	    (n == 1 || (n == 2 && wire_lead_max(type) > 0));
}

int
wire_send_fd(int fd, uint8_t type, const struct wire_buf *b,
    const int *files, size_t n)
{
	size_t i;

	if (!files_fit(type, n))
		return CK_ERR_INVALID_ARG;
	for (i = 0; i < n; i++)
		if (files[i] < 0)
			return CK_ERR_INVALID_ARG;
	return send_msg(fd, type | WIRE_FD, b, files, n);
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

/*
 * The header's first byte and the descriptors that came with it (at most
 * WIRE_MAX_FILES). More, another kind of control message, or a truncated
 * one closes them all and is CK_ERR_FORMAT.
 */
static int
read_first(int fd, uint8_t *p, int files[WIRE_MAX_FILES], size_t *nfiles)
{
	union {
		char buf[CMSG_SPACE((WIRE_MAX_FILES + 1) * sizeof(int))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = p, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm;
	int fds[WIRE_MAX_FILES + 1];
	size_t n = 0, i, k;
	ssize_t got;
	int e = CK_OK;

	*nfiles = 0;
	while ((got = recvmsg(fd, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (got < 0)
		return CK_ERR_IO;
	if (got == 0)
		return CK_ERR_TRUNCATED;
	for (cm = CMSG_FIRSTHDR(&m); cm != NULL; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			e = CK_ERR_FORMAT;
			continue;
		}
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k && n < WIRE_MAX_FILES + 1; i++)
			memcpy(&fds[n++], CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
	}
	if ((m.msg_flags & MSG_CTRUNC) != 0 || n > WIRE_MAX_FILES)
		e = CK_ERR_FORMAT;
	if (e != CK_OK) {
		for (i = 0; i < n; i++)
			close(fds[i]);
		return e;
	}
	memcpy(files, fds, n * sizeof(int));
	*nfiles = n;
	return CK_OK;
}

/* The header and payload; with files non-NULL the first byte by recvmsg. */
static int
recv_msg(int fd, long long deadline, uint8_t *type, uint8_t **payload,
    size_t *len, int *files, size_t *nfiles)
{
	uint8_t h[WIRE_HEADER_BYTES];
	uint8_t *p = NULL;
	size_t n, max;
	int e;

	*payload = NULL;
	*len = 0;
	if (files != NULL)
		e = read_first(fd, h, files, nfiles);
	else
		e = read_all(fd, h, 1, deadline);
	if (e != CK_OK || (e = read_all(fd, h + 1, sizeof(h) - 1, deadline)) !=
	    CK_OK)
		return e;
	n = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
	if ((h[0] & WIRE_FD) != 0 && (files == NULL || wire_input_max(h[0]) == 0))
		return CK_ERR_BAD_TYPE;
	if ((e = limit(h[0] & ~WIRE_FD, &max)) != CK_OK)
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

int
wire_recv(int fd, int timeout_ms, uint8_t *type, uint8_t **payload,
    size_t *len)
{
	return recv_msg(fd, timeout_ms < 0 ? -1 : now_ms() + timeout_ms, type,
	    payload, len, NULL, NULL);
}

int
wire_recv_req(int fd, uint8_t *type, uint8_t **payload, size_t *len,
    int files[WIRE_MAX_FILES], size_t *n)
{
	size_t i;
	int e;

	*n = 0;
	e = recv_msg(fd, -1, type, payload, len, files, n);
	/* Files only with a request that says so, always with one, and two
	 * only where the first is a transcript's signature. */
	if (e == CK_OK && ((*type & WIRE_FD) != 0 ? !files_fit(*type, *n) :
	    *n != 0))
		e = CK_ERR_FORMAT;
	if (e != CK_OK) {
		for (i = 0; i < *n; i++)
			close(files[i]);
		*n = 0;
		free(*payload);
		*payload = NULL;
		*len = 0;
	}
	return e;
}

/* ---- field kinds: one encoder and one decoder each ---- */

static void
put_u8(struct wire_buf *b, uint8_t v)
{
	wire_put_bytes(b, &v, 1);
}

static void
put_u32(struct wire_buf *b, uint32_t v)
{
	uint8_t be[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	wire_put_bytes(b, be, sizeof(be));
}

static void
put_u64(struct wire_buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

static void
put_bool(struct wire_buf *b, int v)
{
	put_u8(b, v != 0);
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

/* A CK_* result (CK_OK included). */
static void
put_result(struct wire_buf *b, int result)
{
	put_u32(b, (uint32_t)result);
}

/* A known CK_* result: a made-up code would reach the screen as "?". */
static int
get_result(struct rd *r, int *result)
{
	uint32_t v;
	int e;

	if ((e = rd_u32be(r, &v)) != CK_OK)
		return e;
	if ((int)v > CK_OK || ((int)v < CK_OK &&
	    strcmp(ck_errname((int)v), "CK_ERR_UNKNOWN") == 0))
		return CK_ERR_FORMAT;
	*result = (int)v;
	return CK_OK;
}

/* A u32 length, then the bytes. */
static void
put_blob(struct wire_buf *b, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		fail(b, CK_ERR_TOO_LARGE);
		return;
	}
	put_u32(b, (uint32_t)n);
	wire_put_bytes(b, p, n);
}

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

/* A NUL-terminated string in a char[cap] (one that fills it goes empty). */
static void
put_text(struct wire_buf *b, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	put_blob(b, s, n < cap ? n : 0);
}

/*
 * A string of at most cap - 1 bytes into out (NUL-terminated): printable
 * UTF-8 (what a screen shows), else UTF-8 without NUL (a record's facts,
 * as the in-process builder leaves them).
 */
static int
get_text(struct rd *r, char *out, size_t cap, int printable)
{
	const uint8_t *p;
	size_t n;
	int e;

	if ((e = get_blob(r, cap - 1, &p, &n)) != CK_OK)
		return e;
	if (memchr(p, '\0', n) != NULL)
		return CK_ERR_FORMAT;
	if (n > 0 && (e = printable ? rd_printable_utf8(p, n, 0) :
	    rd_utf8(p, n)) != CK_OK)
		return e;
	memcpy(out, p, n);
	out[n] = '\0';
	return CK_OK;
}

static void
put_key(struct wire_buf *b, const struct minisig_pubkey *k)
{
	wire_put_bytes(b, k->key_id, sizeof(k->key_id));
	wire_put_bytes(b, k->pk, sizeof(k->pk));
}

static int
get_key(struct rd *r, struct minisig_pubkey *k)
{
	int e;

	if ((e = rd_bytes(r, k->key_id, sizeof(k->key_id))) != CK_OK)
		return e;
	return rd_bytes(r, k->pk, sizeof(k->pk));
}

/* The number of items of a list that follows: at most max. */
static void
put_count(struct wire_buf *b, size_t n)
{
	if (n > UINT8_MAX) {
		fail(b, CK_ERR_TOO_LARGE);
		return;
	}
	put_u8(b, (uint8_t)n);
}

static int
get_count(struct rd *r, size_t max, size_t *n)
{
	uint8_t v;
	int e;

	if ((e = rd_u8(r, &v)) != CK_OK)
		return e;
	if (v > max)
		return CK_ERR_TOO_LARGE;
	*n = v;
	return CK_OK;
}

/*
 * A JSON value as typed nodes: u8 kind, then for an object a u32 count
 * of (blob key, value), for an array a u32 count of values, for a string
 * a blob, for an integer or a real a u64 (two's complement; IEEE bits).
 */
#define NODE_OBJECT	'o'
#define NODE_ARRAY	'a'
#define NODE_STRING	's'
#define NODE_INTEGER	'i'
#define NODE_REAL	'r'
#define NODE_TRUE	't'
#define NODE_FALSE	'f'
#define NODE_NULL	'n'

static void
put_json(struct wire_buf *b, const json_t *j, int depth)
{
	const char *key;
	json_t *v;
	size_t i;
	double d;
	uint64_t bits;

	if (depth > WIRE_JSON_DEPTH) {
		fail(b, CK_ERR_JSON);
		return;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		put_u8(b, NODE_OBJECT);
		put_u32(b, (uint32_t)json_object_size(j));
		json_object_foreach((json_t *)j, key, v) {
			put_blob(b, key, strlen(key));
			put_json(b, v, depth + 1);
		}
		break;
	case JSON_ARRAY:
		put_u8(b, NODE_ARRAY);
		put_u32(b, (uint32_t)json_array_size(j));
		json_array_foreach(j, i, v)
			put_json(b, v, depth + 1);
		break;
	case JSON_STRING:
		put_u8(b, NODE_STRING);
		put_blob(b, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		put_u8(b, NODE_INTEGER);
		put_u64(b, (uint64_t)json_integer_value(j));
		break;
	case JSON_REAL:
		d = json_real_value(j);
		memcpy(&bits, &d, sizeof(bits));
		put_u8(b, NODE_REAL);
		put_u64(b, bits);
		break;
	case JSON_TRUE:		put_u8(b, NODE_TRUE); break;
	case JSON_FALSE:	put_u8(b, NODE_FALSE); break;
	case JSON_NULL:		put_u8(b, NODE_NULL); break;
	}
}

/* A string node's bytes: valid UTF-8, no NUL (a parsed payload has none). */
static int
get_string(struct rd *r, const uint8_t **p, size_t *n)
{
	int e;

	if ((e = get_blob(r, ENVELOPE_MAX_BYTES, p, n)) != CK_OK)
		return e;
	if (memchr(*p, '\0', *n) != NULL)
		return CK_ERR_JSON;
	return rd_utf8(*p, *n);
}

static int get_json(struct rd *r, int depth, json_t **out);

static int
get_members(struct rd *r, int depth, json_t *obj)
{
	const uint8_t *k;
	char *key;
	json_t *v;
	uint32_t n, i;
	size_t kl;
	int e;

	if ((e = rd_u32be(r, &n)) != CK_OK)
		return e;
	for (i = 0; i < n; i++) {
		if ((e = get_string(r, &k, &kl)) != CK_OK)
			return e;
		if ((key = strndup((const char *)k, kl)) == NULL)
			return CK_ERR_ALLOC;
		e = json_object_get(obj, key) != NULL ? CK_ERR_DUPLICATE_KEY :
		    get_json(r, depth + 1, &v);
		if (e == CK_OK && json_object_set_new_nocheck(obj, key, v) != 0)
			e = CK_ERR_ALLOC;
		free(key);
		if (e != CK_OK)
			return e;
	}
	return CK_OK;
}

static int
get_items(struct rd *r, int depth, json_t *arr)
{
	json_t *v;
	uint32_t n, i;
	int e;

	if ((e = rd_u32be(r, &n)) != CK_OK)
		return e;
	for (i = 0; i < n; i++) {
		if ((e = get_json(r, depth + 1, &v)) != CK_OK)
			return e;
		if (json_array_append_new(arr, v) != 0)
			return CK_ERR_ALLOC;
	}
	return CK_OK;
}

static int
get_json(struct rd *r, int depth, json_t **out)
{
	const uint8_t *s;
	json_t *j = NULL;
	uint64_t v;
	size_t n;
	uint8_t kind;
	double d;
	int e;

	*out = NULL;
	if (depth > WIRE_JSON_DEPTH)
		return CK_ERR_JSON;
	if ((e = rd_u8(r, &kind)) != CK_OK)
		return e;
	switch (kind) {
	case NODE_OBJECT:
		if ((j = json_object()) != NULL)
			e = get_members(r, depth, j);
		break;
	case NODE_ARRAY:
		if ((j = json_array()) != NULL)
			e = get_items(r, depth, j);
		break;
	case NODE_STRING:
		if ((e = get_string(r, &s, &n)) == CK_OK)
			j = json_stringn_nocheck((const char *)s, n);
		break;
	case NODE_INTEGER:
		if ((e = rd_u64be(r, &v)) == CK_OK)
			j = json_integer((json_int_t)v);
		break;
	case NODE_REAL:
		if ((e = rd_u64be(r, &v)) != CK_OK)
			break;
		memcpy(&d, &v, sizeof(d));
		if (!isfinite(d))
			return CK_ERR_JSON;
		j = json_real(d);
		break;
	case NODE_TRUE:		j = json_true(); break;
	case NODE_FALSE:	j = json_false(); break;
	case NODE_NULL:		j = json_null(); break;
	default:		return CK_ERR_JSON;
	}
	if (e == CK_OK && j == NULL)
		e = CK_ERR_ALLOC;
	if (e != CK_OK) {
		json_decref(j);
		return e;
	}
	*out = j;
	return CK_OK;
}

/* ---- payloads ---- */

void
wire_put_image(struct wire_buf *b, const struct qr_image *img)
{
	put_u32(b, (uint32_t)img->w);
	put_u32(b, (uint32_t)img->h);
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
	put_u8(b, (uint8_t)rd);
	put_u8(b, (uint8_t)flags);
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

	put_count(b, s->n);
	for (i = 0; i < s->n; i++)
		put_blob(b, s->data[i], s->len[i]);
}

int
wire_get_symbols(const uint8_t *p, size_t len, struct qr_symbols *out)
{
	const uint8_t *d;
	size_t i, n, dl;
	struct rd r;
	int e;

	memset(out, 0, sizeof(*out));
	rd_init(&r, p, len);
	if ((e = get_count(&r, QR_MAX_SYMBOLS, &n)) != CK_OK)
		return e;
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
	put_result(b, err);
}

int
wire_get_error(const uint8_t *p, size_t len, int *err)
{
	struct rd r;
	int e;

	rd_init(&r, p, len);
	if ((e = get_result(&r, err)) != CK_OK || (e = rd_end(&r)) != CK_OK)
		return e;
	return *err == CK_OK ? CK_ERR_FORMAT : CK_OK;
}

void
wire_put_envelope(struct wire_buf *b, const uint8_t *bin, size_t binlen,
    const json_t *payload)
{
	size_t start;

	put_blob(b, bin, binlen);
	start = b->len;
	put_json(b, payload, 1);
	if (b->err == CK_OK && b->len - start > WIRE_JSON_MAX)
		fail(b, CK_ERR_TOO_LARGE);
}

int
wire_get_envelope(const uint8_t *p, size_t len, struct envelope *env)
{
	const uint8_t *bin;
	size_t binlen;
	json_t *j = NULL;
	struct rd r;
	int e;

	memset(env, 0, sizeof(*env));
	rd_init(&r, p, len);
	if ((e = get_blob(&r, ENVELOPE_MAX_BYTES, &bin, &binlen)) != CK_OK)
		return e;
	/* Authenticity never rests on the child: the frame and signature of
	 * the bytes it read are checked here again. */
	if ((e = envelope_verify(bin, binlen, env)) != CK_OK)
		return e;
	if ((e = get_json(&r, 1, &j)) != CK_OK || (e = rd_end(&r)) != CK_OK)
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
wire_put_transcript_req(struct wire_buf *b, int has_sig,
    const struct minisig_pubkey *expect)
{
	put_bool(b, expect != NULL);
	if (expect != NULL)
		put_key(b, expect);
	put_bool(b, has_sig);
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
	if ((e = get_bool(&r, &has_sig)) != CK_OK)
		return e;
	if (has_sig && (e = get_blob(&r, MINISIG_MAX_SIGFILE, sig, siglen)) != CK_OK)
		return e;
	/* The rest is the transcript. */
	if (rd_left(&r) > TRANSCRIPT_MAX_BYTES)
		return CK_ERR_TOO_LARGE;
	*buflen = rd_left(&r);
	return rd_ptr(&r, buf, *buflen);
}

/* A transcript's report (transcript.h). */
static void
put_report(struct wire_buf *b, const struct transcript_report *rep)
{
	put_u64(b, rep->records);
	put_bool(b, rep->closed);
	put_bool(b, rep->chain_ok);
	put_text(b, rep->outcome, sizeof(rep->outcome));
	put_text(b, rep->outcome_reason, sizeof(rep->outcome_reason));
	wire_put_bytes(b, rep->head, sizeof(rep->head));
	put_bool(b, rep->has_key);
	put_key(b, &rep->key);
	put_u64(b, rep->resumes);
	put_u64(b, rep->bad_line);
	put_u64(b, rep->bad_seq);
	put_bool(b, rep->has_bad_seq);
	put_text(b, rep->reason, sizeof(rep->reason));
}

static int
get_report(struct rd *r, struct transcript_report *rep)
{
	int e;

	if ((e = rd_u64be(r, &rep->records)) != CK_OK ||
	    (e = get_bool(r, &rep->closed)) != CK_OK ||
	    (e = get_bool(r, &rep->chain_ok)) != CK_OK ||
	    (e = get_text(r, rep->outcome, sizeof(rep->outcome), 1)) != CK_OK ||
	    (e = get_text(r, rep->outcome_reason, sizeof(rep->outcome_reason),
	    1)) != CK_OK ||
	    (e = rd_bytes(r, rep->head, sizeof(rep->head))) != CK_OK ||
	    (e = get_bool(r, &rep->has_key)) != CK_OK ||
	    (e = get_key(r, &rep->key)) != CK_OK ||
	    (e = rd_u64be(r, &rep->resumes)) != CK_OK ||
	    (e = rd_u64be(r, &rep->bad_line)) != CK_OK ||
	    (e = rd_u64be(r, &rep->bad_seq)) != CK_OK ||
	    (e = get_bool(r, &rep->has_bad_seq)) != CK_OK)
		return e;
	return get_text(r, rep->reason, sizeof(rep->reason), 1);
}

/* What audit_transcript found (audit.h). */
static void
put_audit_report(struct wire_buf *b, const struct audit_report *rep)
{
	put_text(b, rep->kind, sizeof(rep->kind));
	put_bool(b, rep->rules);
	put_u32(b, rep->n);
	put_u32(b, rep->t);
	put_u32(b, rep->proven);
	put_u32(b, rep->refused);
	put_u32(b, rep->deviations);
	put_u32(b, rep->exceptions);
	put_bool(b, rep->revoked);
	put_text(b, rep->problem, sizeof(rep->problem));
}

/* The kind and the problem must be printable: the monitor shows them. */
static int
get_audit_report(struct rd *r, struct audit_report *rep)
{
	int e;

	if ((e = get_text(r, rep->kind, sizeof(rep->kind), 1)) != CK_OK ||
	    (e = get_bool(r, &rep->rules)) != CK_OK ||
	    (e = rd_u32be(r, &rep->n)) != CK_OK ||
	    (e = rd_u32be(r, &rep->t)) != CK_OK ||
	    (e = rd_u32be(r, &rep->proven)) != CK_OK ||
	    (e = rd_u32be(r, &rep->refused)) != CK_OK ||
	    (e = rd_u32be(r, &rep->deviations)) != CK_OK ||
	    (e = rd_u32be(r, &rep->exceptions)) != CK_OK ||
	    (e = get_bool(r, &rep->revoked)) != CK_OK)
		return e;
	return get_text(r, rep->problem, sizeof(rep->problem), 1);
}

void
wire_put_transcript(struct wire_buf *b, int result,
    const struct transcript_report *rep)
{
	put_result(b, result);
	put_report(b, rep);
}

int
wire_get_transcript(const uint8_t *p, size_t len, int *result,
    struct transcript_report *rep)
{
	struct rd r;
	int e;

	memset(rep, 0, sizeof(*rep));
	rd_init(&r, p, len);
	if ((e = get_result(&r, result)) != CK_OK ||
	    (e = get_report(&r, rep)) != CK_OK || (e = rd_end(&r)) != CK_OK)
		memset(rep, 0, sizeof(*rep));
	return e;
}

void
wire_put_audit(struct wire_buf *b, int result, const struct audit_report *rep)
{
	put_result(b, result);
	put_audit_report(b, rep);
}

int
wire_get_audit(const uint8_t *p, size_t len, int *result, struct audit_report *rep)
{
	struct rd r;
	int e;

	memset(rep, 0, sizeof(*rep));
	rd_init(&r, p, len);
	if ((e = get_result(&r, result)) != CK_OK ||
	    (e = get_audit_report(&r, rep)) != CK_OK || (e = rd_end(&r)) != CK_OK)
		memset(rep, 0, sizeof(*rep));
	return e;
}

/*
 * A verdict and its report, and whether what was built follows: exactly
 * when the verdict is CK_OK.
 */
static void
put_verdict(struct wire_buf *b, int result,
    const struct transcript_report *rep, int built)
{
	put_result(b, result);
	put_report(b, rep);
	put_bool(b, built);
}

static int
get_verdict(struct rd *r, int *result, struct transcript_report *rep)
{
	int built, e;

	if ((e = get_result(r, result)) != CK_OK ||
	    (e = get_report(r, rep)) != CK_OK || (e = get_bool(r, &built)) != CK_OK)
		return e;
	return built == (*result == CK_OK) ? CK_OK : CK_ERR_FORMAT;
}

/* One fact of a record: section, style, label, value. */
#define WIRE_ITEM_MIN	10

void
wire_put_record(struct wire_buf *b, int result,
    const struct transcript_report *rep, const struct record *rec)
{
	size_t i;

	put_verdict(b, result, rep, rec != NULL);
	if (rec == NULL)
		return;
	put_text(b, rec->kind_name, sizeof(rec->kind_name));
	put_text(b, rec->ceremony_id, sizeof(rec->ceremony_id));
	put_text(b, rec->closed, sizeof(rec->closed));
	put_result(b, rec->audit_err);
	put_text(b, rec->outcome, sizeof(rec->outcome));
	put_audit_report(b, &rec->audit);
	put_u32(b, (uint32_t)rec->n);
	for (i = 0; i < rec->n; i++) {
		put_u8(b, (uint8_t)rec->item[i].section);
		put_u8(b, (uint8_t)rec->item[i].style);
		put_text(b, rec->item[i].label, sizeof(rec->item[i].label));
		put_text(b, rec->item[i].value, sizeof(rec->item[i].value));
	}
}

static int
get_item(struct rd *r, struct record *rec)
{
	char label[RECORD_LABEL_MAX], value[RECORD_VALUE_MAX];
	uint8_t sec, st;
	int e;

	if ((e = rd_u8(r, &sec)) != CK_OK || (e = rd_u8(r, &st)) != CK_OK)
		return e;
	if (sec >= RECORD_NSECTIONS || st > RECORD_WORDS)
		return CK_ERR_FORMAT;
	if ((e = get_text(r, label, sizeof(label), 0)) != CK_OK ||
	    (e = get_text(r, value, sizeof(value), 0)) != CK_OK)
		return e;
	return record_add(rec, (enum record_section)sec,
	    (enum record_style)st, label, value);
}

static int
get_record(struct rd *r, struct record *rec)
{
	uint32_t n, i;
	int e;

	if ((e = get_text(r, rec->kind_name, sizeof(rec->kind_name), 1)) !=
	    CK_OK ||
	    (e = get_text(r, rec->ceremony_id, sizeof(rec->ceremony_id), 1)) !=
	    CK_OK ||
	    (e = get_text(r, rec->closed, sizeof(rec->closed), 1)) != CK_OK ||
	    (e = get_result(r, &rec->audit_err)) != CK_OK ||
	    (e = get_text(r, rec->outcome, sizeof(rec->outcome), 0)) != CK_OK ||
	    (e = get_audit_report(r, &rec->audit)) != CK_OK ||
	    (e = rd_u32be(r, &n)) != CK_OK)
		return e;
	/* No more facts than the bytes left can hold. */
	if (n > rd_left(r) / WIRE_ITEM_MIN)
		return CK_ERR_TRUNCATED;
	for (i = 0; i < n && e == CK_OK; i++)
		e = get_item(r, rec);
	rec->kind = steps_for(rec->kind_name);
	return e;
}

int
wire_get_record(const uint8_t *p, size_t len, int *result,
    struct transcript_report *rep, struct record **out)
{
	struct record *rec = NULL;
	struct rd r;
	int e;

	*out = NULL;
	memset(rep, 0, sizeof(*rep));
	rd_init(&r, p, len);
	if ((e = get_verdict(&r, result, rep)) != CK_OK)
		goto fail;
	if (*result == CK_OK) {
		if ((rec = calloc(1, sizeof(*rec))) == NULL) {
			e = CK_ERR_ALLOC;
			goto fail;
		}
		rec->rep = *rep;
		if ((e = get_record(&r, rec)) != CK_OK)
			goto fail;
	}
	if ((e = rd_end(&r)) != CK_OK)
		goto fail;
	*out = rec;
	return CK_OK;
fail:
	record_free(rec);
	memset(rep, 0, sizeof(*rep));
	return e;
}

void
wire_put_handout(struct wire_buf *b, int result, int verified,
    const struct transcript_report *rep, const json_t *handout)
{
	put_verdict(b, result, rep, handout != NULL);
	put_bool(b, verified);
	if (handout != NULL)
		put_json(b, handout, 1);
}

int
wire_get_handout(const uint8_t *p, size_t len, int *result, int *verified,
    struct transcript_report *rep, json_t **out)
{
	json_t *h = NULL;
	struct rd r;
	int e;

	*out = NULL;
	memset(rep, 0, sizeof(*rep));
	rd_init(&r, p, len);
	if ((e = get_verdict(&r, result, rep)) != CK_OK ||
	    (e = get_bool(&r, verified)) != CK_OK)
		goto fail;
	/* Built only from records that verified, and only of the shape
	 * quorum_read_handout's callers rely on. */
	if (*result == CK_OK && !*verified) {
		e = CK_ERR_FORMAT;
		goto fail;
	}
	if (*result == CK_OK && ((e = get_json(&r, 1, &h)) != CK_OK ||
	    (e = quorum_handout_check(h)) != CK_OK))
		goto fail;
	if ((e = rd_end(&r)) != CK_OK)
		goto fail;
	*out = h;
	return CK_OK;
fail:
	json_decref(h);
	memset(rep, 0, sizeof(*rep));
	return e;
}

void
wire_put_recipients(struct wire_buf *b, const struct pgppkt_recipients *rc)
{
	size_t i;

	put_count(b, rc->n);
	for (i = 0; i < rc->n; i++) {
		wire_put_bytes(b, rc->keyid[i], PGPPKT_KEYID_LEN);
		put_u8(b, rc->algo[i]);
	}
}

/* A key id as pgppkt writes it: PGPPKT_KEYID_LEN lowercase hex digits. */
static int
get_keyid(struct rd *r, char out[PGPPKT_KEYID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t k;
	int e;

	if ((e = rd_bytes(r, out, PGPPKT_KEYID_LEN)) != CK_OK)
		return e;
	for (k = 0; k < PGPPKT_KEYID_LEN; k++)
		if (out[k] == '\0' || strchr(hex, out[k]) == NULL)
			return CK_ERR_FORMAT;
	out[PGPPKT_KEYID_LEN] = '\0';
	return CK_OK;
}

/*
 * A counted list of at most max plain items into out (size bytes, its
 * count at *n), each read by item: all of it or nothing (out zeroed).
 */
static int
get_list(const uint8_t *p, size_t len, size_t max, void *out, size_t size,
    size_t *n, int (*item)(struct rd *r, void *out, size_t i))
{
	size_t i, count;
	struct rd r;
	int e;

	memset(out, 0, size);
	rd_init(&r, p, len);
	if ((e = get_count(&r, max, &count)) != CK_OK)
		return e;
	for (i = 0; i < count && e == CK_OK; i++)
		e = item(&r, out, i);
	if (e == CK_OK && (e = rd_end(&r)) == CK_OK) {
		*n = count;
		return CK_OK;
	}
	memset(out, 0, size);
	return e;
}

static int
get_recipient(struct rd *r, void *out, size_t i)
{
	struct pgppkt_recipients *rc = out;
	int e;

	if ((e = get_keyid(r, rc->keyid[i])) != CK_OK)
		return e;
	return rd_u8(r, &rc->algo[i]);
}

int
wire_get_recipients(const uint8_t *p, size_t len, struct pgppkt_recipients *out)
{
	return get_list(p, len, PGPPKT_RECIPIENTS_MAX, out, sizeof(*out),
	    &out->n, get_recipient);
}

void
wire_put_subkeys(struct wire_buf *b, const struct pgppkt_subkeys *sk)
{
	size_t i;

	put_count(b, sk->n);
	for (i = 0; i < sk->n; i++) {
		put_u32(b, sk->k[i].created);
		put_u32(b, sk->k[i].bound);
		put_u8(b, sk->k[i].algo);
	}
}

static int
get_subkey(struct rd *r, void *out, size_t i)
{
	struct pgppkt_subkeys *sk = out;
	int e;

	if ((e = rd_u32be(r, &sk->k[i].created)) != CK_OK ||
	    (e = rd_u32be(r, &sk->k[i].bound)) != CK_OK)
		return e;
	return rd_u8(r, &sk->k[i].algo);
}

int
wire_get_subkeys(const uint8_t *p, size_t len, struct pgppkt_subkeys *out)
{
	return get_list(p, len, PGPPKT_SUBKEYS_MAX, out, sizeof(*out),
	    &out->n, get_subkey);
}

void
wire_put_fprs(struct wire_buf *b, const struct pgppkt_fprs *f)
{
	size_t i;

	put_count(b, f->n);
	for (i = 0; i < f->n; i++)
		wire_put_bytes(b, f->fpr[i], PGPPKT_FPR_BYTES);
}

static int
get_fpr(struct rd *r, void *out, size_t i)
{
	return rd_bytes(r, ((struct pgppkt_fprs *)out)->fpr[i],
	    PGPPKT_FPR_BYTES);
}

int
wire_get_fprs(const uint8_t *p, size_t len, struct pgppkt_fprs *out)
{
	return get_list(p, len, PGPPKT_KEYS_MAX, out, sizeof(*out), &out->n,
	    get_fpr);
}

void
wire_put_pubkey(struct wire_buf *b, const struct minisig_pubkey *k)
{
	put_key(b, k);
}

int
wire_get_pubkey(const uint8_t *p, size_t len, struct minisig_pubkey *out)
{
	struct rd r;
	int e;

	rd_init(&r, p, len);
	if ((e = get_key(&r, out)) != CK_OK || (e = rd_end(&r)) != CK_OK)
		memset(out, 0, sizeof(*out));
	return e;
}
