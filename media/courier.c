#include "media/courier.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/errors.h"

int
courier_seal(enum envelope_type type,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES], uint64_t seq,
    const json_t *payload, const uint8_t sk[ENVELOPE_SK_BYTES],
    char name[ENVELOPE_FILE_NAME_MAX], uint8_t **bin, size_t *binlen)
{
	char *text = NULL;
	int r;

	*bin = NULL;
	*binlen = 0;
	if ((r = envelope_file_name(seq, type, name)) != CK_OK)
		return r;
	if ((text = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		return CK_ERR_ALLOC;
	r = envelope_build(type, ceremony_id, seq, (uint64_t)time(NULL), text,
	    strlen(text), sk, bin, binlen);
	free(text);
	return r;
}

int
courier_send(struct exch_dir *d, enum envelope_type type,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES], uint64_t seq,
    const json_t *payload, const uint8_t sk[ENVELOPE_SK_BYTES],
    uint8_t hash[ENVELOPE_HASH_BYTES])
{
	char name[ENVELOPE_FILE_NAME_MAX];
	uint8_t *bin = NULL;
	size_t binlen = 0;
	int r;

	if ((r = courier_seal(type, ceremony_id, seq, payload, sk, name, &bin,
	    &binlen)) == CK_OK &&
	    (r = exch_write(d, name, bin, binlen, 0)) == CK_OK && hash != NULL)
		envelope_hash(bin, binlen, hash);
	free(bin);
	return r;
}

/* The listed entry with seq want_seq, or why there is none. */
static int
find_entry(const struct exch_list *l, uint64_t want_seq, const char **name)
{
	size_t i;
	int later = 0;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].seq == want_seq) {
			*name = l->v[i].name;
			return CK_OK;
		}
		if (l->v[i].seq > want_seq)
			later = 1;
	}
	return later ? CK_ERR_OUT_OF_ORDER : CK_ERR_NOT_FOUND;
}

/*
 * The listing skips what is not a regular file. When the envelope expected
 * next is missing, say so specifically if something else stands under its
 * name: a symlink (CK_ERR_SYMLINK), a FIFO, directory, device or socket
 * (CK_ERR_NOT_REGULAR). Otherwise err (not found, or out of order) stands.
 */
static int
why_missing(struct exch_dir *d, uint64_t seq, enum envelope_type want, int err)
{
	char name[ENVELOPE_FILE_NAME_MAX];
	int fd = -1, r;

	if (envelope_file_name(seq, want, name) != CK_OK)
		return err;
	if ((r = exch_open_file(d, name, ENVELOPE_MAX_BYTES, &fd)) == CK_OK)
		close(fd);
	return r == CK_ERR_SYMLINK || r == CK_ERR_NOT_REGULAR ? r : err;
}

/*
 * The binding rules on a parsed envelope (courier_receive's order): the
 * ceremony, the signer (NULL: a first contact, bound to the one it
 * names), the seq, the file name it came under (NULL: none, it came by
 * QR code), the type.
 */
static int
check_received(const struct envelope *e,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES],
    const uint8_t *signer_pk, uint64_t last_seq, const char *name,
    enum envelope_type want)
{
	int r;

	if ((r = envelope_check_binding(e, ceremony_id,
	    signer_pk != NULL ? signer_pk : e->signer_pk, last_seq)) != CK_OK)
		return r;
	/* The name is unsigned: it must agree with what is signed. */
	if (name != NULL &&
	    (r = envelope_file_name_matches(e, name, strlen(name))) != CK_OK)
		return r;
	return e->type == want ? CK_OK : CK_ERR_BAD_TYPE;
}

int
courier_accept(const uint8_t *msg, size_t len,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES],
    const uint8_t *signer_pk, uint64_t last_seq, enum envelope_type want,
    struct envelope *env)
{
	int r;

	memset(env, 0, sizeof(*env));
	if ((r = envelope_parse(msg, len, env)) != CK_OK)
		return r;
	/* kept on a failed check too: the caller names what it was */
	return check_received(env, ceremony_id != NULL ? ceremony_id :
	    env->ceremony_id, signer_pk, last_seq, NULL, want);
}

int
courier_receive(struct exch_dir *d,
    const uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES],
    const uint8_t *signer_pk, uint64_t last_seq, enum envelope_type want,
    struct envelope *env)
{
	struct exch_list l = { 0 };
	struct envelope e = { 0 };
	const char *name = NULL;
	int fd = -1, r = CK_ERR_INTERNAL;

	memset(env, 0, sizeof(*env));
	if ((r = exch_list(d, &l)) != CK_OK)
		goto out;
	if ((r = find_entry(&l, last_seq + 1, &name)) != CK_OK) {
		r = why_missing(d, last_seq + 1, want, r);
		goto out;
	}
	/* The file goes to the parser, opened and checked here. */
	if ((r = exch_open_file(d, name, ENVELOPE_MAX_BYTES, &fd)) != CK_OK ||
	    (r = envelope_parse_fd(fd, &e)) != CK_OK)
		goto out;
	/* A first contact has no key to compare: bind to the one it names. */
	if ((r = check_received(&e, ceremony_id, signer_pk, last_seq, name,
	    want)) != CK_OK)
		goto out;
	*env = e;
	memset(&e, 0, sizeof(e));
	r = CK_OK;
out:
	envelope_free(&e);
	if (fd >= 0)
		close(fd);
	exch_list_free(&l);
	return r;
}

int
courier_session_over(const struct exch_entry *last)
{
	static const enum envelope_type over[] = { ENVELOPE_CLOSING_REQUEST,
	    ENVELOPE_SUBMISSION_RESULT, ENVELOPE_DR_TOKEN_RESULT,
	    ENVELOPE_CLOSING_RESULT };
	size_t i;

	for (i = 0; i < sizeof(over) / sizeof(over[0]); i++)
		if (strcmp(last->type, envelope_type_name(over[i])) == 0)
			return 1;
	return 0;
}

/*
 * Does the folder of ceremony id start with a request of type want, and
 * then: nothing else (under_way 0), or an answer and no closing-request
 * last (under_way 1)?
 */
static int
is_request(const char *root, const uint8_t id[ENVELOPE_CEREMONY_ID_BYTES],
    enum envelope_type want, int under_way)
{
	struct exch_dir *d = NULL;
	struct exch_list l = { 0 };
	int yes = 0;

	if (exch_open(root, id, 0, &d) != CK_OK)
		return 0;
	if (exch_list(d, &l) == CK_OK && l.n >= 1 && l.v[0].seq == 1 &&
	    strcmp(l.v[0].type, envelope_type_name(want)) == 0)
		yes = under_way ? l.n > 1 && !courier_session_over(&l.v[l.n - 1]) :
		    l.n == 1;
	exch_list_free(&l);
	exch_close(d);
	return yes;
}

static int
find_request(const char *root, enum envelope_type want, int under_way,
    uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES])
{
	struct exch_ceremonies c = { 0 };
	size_t i, found = 0;
	int r;

	if ((r = exch_list_ceremonies(root, &c)) != CK_OK)
		return r;
	for (i = 0; i < c.n; i++) {
		if (!is_request(root, c.ids[i], want, under_way))
			continue;
		if (found++ == 0)
			memcpy(ceremony_id, c.ids[i], ENVELOPE_CEREMONY_ID_BYTES);
	}
	exch_ceremonies_free(&c);
	if (found == 0)
		return CK_ERR_NOT_FOUND;
	return found == 1 ? CK_OK : CK_ERR_EXISTS;
}

int
courier_find_ceremony(const char *root, enum envelope_type want,
    uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES])
{
	return find_request(root, want, 0, ceremony_id);
}

int
courier_find_under_way(const char *root, enum envelope_type want,
    uint8_t ceremony_id[ENVELOPE_CEREMONY_ID_BYTES])
{
	return find_request(root, want, 1, ceremony_id);
}
