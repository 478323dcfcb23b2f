/*
 * The facts of a verified transcript (see record.h). Limits: those of
 * the transcript, which transcript_verify has enforced before a single
 * record is read here; every field text is cut to its item's size.
 */
#include "ceremony/record.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "protocol/minisig.h"
#include "crypto/errors.h"
#include "crypto/reader.h"
#include "crypto/words.h"

#define TIME_LEN	20	/* 2026-12-05T00:00:41Z */

struct when {
	char first[TIME_LEN + 1], last[TIME_LEN + 1];
	unsigned count;
};

static int
add(struct record *r, enum record_section sec, enum record_style st,
    const char *label, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
add(struct record *r, enum record_section sec, enum record_style st,
    const char *label, const char *fmt, ...)
{
	struct record_item *it;
	va_list ap;

	if ((r->n & (r->n - 1)) == 0 || r->n == 0) {	/* grow at powers of 2 */
		it = realloc(r->item, (r->n == 0 ? 16 : 2 * r->n) * sizeof(*it));
		if (it == NULL)
			return CK_ERR_ALLOC;
		r->item = it;
	}
	it = &r->item[r->n++];
	it->section = sec;
	it->style = st;
	snprintf(it->label, sizeof(it->label), "%s", label);
	va_start(ap, fmt);
	vsnprintf(it->value, sizeof(it->value), fmt, ap);
	va_end(ap);
	/* A long field is cut to its item's size, never inside a character. */
	rd_utf8_cut(it->label);
	rd_utf8_cut(it->value);
	return CK_OK;
}

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* 32 hex digits of a hash as words (the head's first 16 bytes). */
static int
hex_words(const char *hex, char *out, size_t outmax)
{
	uint8_t bin[TRANSCRIPT_HASH_BYTES];
	size_t n;

	if (sodium_hex2bin(bin, sizeof(bin), hex, strlen(hex), NULL, &n,
	    NULL) != 0 || n != sizeof(bin))
		return CK_ERR_FORMAT;
	return transcript_head_words(bin, out, outmax);
}

static int
opening(struct record *r, json_t *d, const char *time)
{
	char words[WORDS_TEXT_MAX(TRANSCRIPT_HEAD_WORDS)];
	const char *prev = str(d, "previous_transcript");
	int e;

	snprintf(r->kind_name, sizeof(r->kind_name), "%s", str(d, "kind"));
	snprintf(r->ceremony_id, sizeof(r->ceremony_id), "%s",
	    str(d, "ceremony_id"));
	r->kind = steps_for(r->kind_name);
	if ((e = add(r, RECORD_OUTCOME, RECORD_TEXT, "Ceremony", "%s%s%s",
	    r->kind != NULL ? r->kind->title : r->kind_name[0] != '\0' ?
	    r->kind_name : "(no kind named)", r->kind != NULL ? ": " : "",
	    r->kind != NULL ? r->kind->kind : "")) != CK_OK ||
	    (e = add(r, RECORD_OUTCOME, RECORD_HEX, "Ceremony id", "%s",
	    r->ceremony_id[0] != '\0' ? r->ceremony_id : "(none)")) != CK_OK ||
	    (e = add(r, RECORD_OUTCOME, RECORD_TEXT, "Opened", "%s", time))
	    != CK_OK)
		return e;
	if (prev[0] == '\0')
		return add(r, RECORD_HEAD, RECORD_TEXT, "Previous ceremony",
		    "none named: the chain of this cluster starts here");
	if ((e = add(r, RECORD_HEAD, RECORD_HEX, RECORD_PREVIOUS_HEAD,
	    "%s", prev)) != CK_OK || (e = hex_words(prev, words, sizeof(words)))
	    != CK_OK)
		return e;
	return add(r, RECORD_HEAD, RECORD_WORDS, "Previous head as words", "%s",
	    words);
}

/* A signature line for name, once. */
static int
signer(struct record *r, const char *name, const char *role)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->item[i].section == RECORD_SIGNERS &&
		    strcmp(r->item[i].label, name) == 0)
			return CK_OK;
	return add(r, RECORD_SIGNERS, RECORD_TEXT, name, "%s", role);
}

static int
roster(struct record *r, json_t *d)
{
	char label[RECORD_LABEL_MAX];
	json_t *m;
	size_t i;
	int e;

	json_array_foreach(json_object_get(d, "holders"), i, m) {
		const char *role = str(m, "role");
		json_int_t k = json_integer_value(json_object_get(m, "share"));

		if (strcmp(role, "holder") == 0)
			snprintf(label, sizeof(label), "Holder %lld: %s",
			    (long long)k, str(m, "name"));
		else
			snprintf(label, sizeof(label), "%c%s: %s",
			    role[0] >= 'a' && role[0] <= 'z' ? role[0] - 32 : '?',
			    role[0] != '\0' ? role + 1 : "", str(m, "name"));
		if ((e = add(r, RECORD_ROSTER, RECORD_HEX, label, "%s",
		    str(m, "fingerprint"))) != CK_OK ||
		    (e = signer(r, str(m, "name"), role)) != CK_OK)
			return e;
	}
	return CK_OK;
}

static int
exception(struct record *r, const char *type, const char *actor,
    const char *time, json_t *d)
{
	char label[RECORD_LABEL_MAX], *dump = NULL;
	int e;

	snprintf(label, sizeof(label), "%s %s (%s)", time, type, actor);
	if (strcmp(type, "refused") == 0)
		return add(r, RECORD_EXCEPTIONS, RECORD_TEXT, label,
		    "%s refused: %s [%s]", str(d, "what"), str(d, "reason"),
		    str(d, "error"));
	if (strcmp(type, "deviation") == 0)
		return add(r, RECORD_EXCEPTIONS, RECORD_TEXT, label, "%s",
		    str(d, "text"));
	if (strcmp(type, "resume") == 0)
		return add(r, RECORD_EXCEPTIONS, RECORD_TEXT, label,
		    "the appliance restarted and signs from here with a new "
		    "ceremony key: %s", str(d, "pubkey"));
	if ((dump = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return CK_ERR_ALLOC;
	e = add(r, RECORD_EXCEPTIONS, RECORD_TEXT, label, "%s", dump);
	free(dump);
	return e;
}

/* Everything one record adds, besides the step times. */
static int
one(struct record *r, json_t *rec, const char *type, const char *time)
{
	json_t *d = json_object_get(rec, "details");
	const char *actor = str(rec, "actor");
	char label[RECORD_LABEL_MAX];
	json_int_t k;
	int e;

	if (audit_is_exception(type))
		return exception(r, type, actor, time, d);
	if (strcmp(type, "roster") == 0)
		return roster(r, d);
	if (strcmp(type, "share-handed-out") == 0) {
		k = json_integer_value(json_object_get(d, "share"));
		snprintf(label, sizeof(label), "Share %lld: %s", (long long)k,
		    str(d, "holder"));
		return add(r, RECORD_SHARES, RECORD_TEXT, label, "handed out at "
		    "%s with a decrypt proof (x-tag %lld); commitment %s", time,
		    (long long)json_integer_value(json_object_get(d, "x_tag")),
		    str(d, "commitment"));
	}
	if (strcmp(type, "share-sealed") == 0) {
		snprintf(label, sizeof(label), "Share of %s", str(d, "holder"));
		if ((e = add(r, RECORD_SHARES, RECORD_TEXT, label, "decrypted on "
		    "the appliance and sealed to the bridge at %s (x-tag %lld)",
		    time, (long long)json_integer_value(json_object_get(d,
		    "x_tag")))) != CK_OK)
			return e;
		/* Who gave a share signs, if the roster has not named them. */
		return signer(r, str(d, "holder"), "holder");
	}
	if (strcmp(type, "root-token-revoked") == 0)
		return add(r, RECORD_REVOCATION, RECORD_TEXT, "Root token",
		    "accessor %s revoked at %s%s%s%s; a lookup afterwards was %s",
		    str(d, "accessor"), time, str(d, "reason")[0] == '\0' ? "" :
		    json_is_false(json_object_get(d, "handed_over")) ?
		    " by the bridge, never handed over (" :
		    " by the bridge, not given back (", str(d, "reason"),
		    str(d, "reason")[0] != '\0' ? ")" : "",
		    json_is_true(json_object_get(d, "lookup_refused")) ?
		    "refused (the token is gone)" : "NOT refused");
	if (strcmp(type, "root-token-generated") == 0 ||
	    strcmp(type, "dr-token-generated") == 0)
		return add(r, RECORD_OUTCOME, RECORD_TEXT, "Token issued",
		    "at %s%s%s", time, str(d, "accessor")[0] != '\0' ?
		    ", accessor " : "", str(d, "accessor"));
	if (strcmp(type, "session-offer-accepted") == 0)
		return add(r, RECORD_OUTCOME, RECORD_WORDS,
		    "Short authentication string", "%s", str(d, "sas"));
	if (strcmp(type, "init-result-accepted") == 0) {
		json_t *sv = json_object_get(d, "server");

		return add(r, RECORD_OUTCOME, RECORD_TEXT, "Server", "%s (%s %s)",
		    str(sv, "address"), str(sv, "type"), str(sv, "version"));
	}
	if (strcmp(type, "unseal-result") == 0)
		return add(r, RECORD_OUTCOME, RECORD_TEXT, "Nodes still sealed",
		    "%lld, at %s", (long long)json_integer_value(json_object_get(d,
		    "still_sealed")), time);
	if (strcmp(type, "close") == 0)
		snprintf(r->closed, sizeof(r->closed), "%s", time);
	return CK_OK;
}

static int
steps(struct record *r, const struct when *w)
{
	char label[RECORD_LABEL_MAX];
	const struct steps_step *s;
	size_t i;
	int e;

	for (i = 0; r->kind != NULL && i < r->kind->n; i++) {
		s = &r->kind->step[i];
		snprintf(label, sizeof(label), "Step %u: %s",
		    steps_number(r->kind, s), s->shows);
		if (w[i].count == 0)
			e = add(r, RECORD_STEPS, RECORD_TEXT, label, "%s",
			    "not on the transcript");
		else if (w[i].count == 1)
			e = add(r, RECORD_STEPS, RECORD_TEXT, label, "%s", w[i].first);
		else
			e = add(r, RECORD_STEPS, RECORD_TEXT, label, "%s to %s (%u "
			    "times)", w[i].first, w[i].last, w[i].count);
		if (e != CK_OK)
			return e;
	}
	return CK_OK;
}

static int
closing(struct record *r)
{
	char hex[TRANSCRIPT_HEX_LEN + 1], id[17];
	char words[WORDS_TEXT_MAX(TRANSCRIPT_HEAD_WORDS)];
	char kwords[WORDS_TEXT_MAX(MINISIG_KEYID_BYTES)];
	const struct audit_report *a = &r->audit;
	int e;

	if (r->rep.outcome[0] != '\0' && r->audit_err == CK_OK)
		snprintf(r->outcome, sizeof(r->outcome), "%s, %s: %s; %u "
		    "refusal(s) on record", a->kind[0] != '\0' ? a->kind :
		    r->kind_name, r->rep.outcome, r->rep.outcome_reason, a->refused);
	else if (r->audit_err != CK_OK)
		snprintf(r->outcome, sizeof(r->outcome), "%s, INCOMPLETE: %s "
		    "[%s]", r->kind_name, a->problem, ck_errname(r->audit_err));
	else if (!a->rules)
		snprintf(r->outcome, sizeof(r->outcome), "%s (chain and "
		    "signature only: no rules for this kind)", a->kind[0] != '\0' ?
		    a->kind : "none named");
	else
		snprintf(r->outcome, sizeof(r->outcome), "%s, %u of %u shares "
		    "handed out with a decrypt proof, threshold %u, initial root "
		    "token revoked, %u refusal(s) on record", a->kind, a->proven,
		    a->n, a->t, a->refused);
	sodium_bin2hex(hex, sizeof(hex), r->rep.head, sizeof(r->rep.head));
	minisig_keyid_hex(&r->rep.key, id);
	if ((e = transcript_head_words(r->rep.head, words, sizeof(words))) !=
	    CK_OK ||
	    (e = minisig_keyid_words(&r->rep.key, kwords, sizeof(kwords))) !=
	    CK_OK)
		return e;
	if ((e = add(r, RECORD_OUTCOME, RECORD_TEXT, "Outcome", "%s",
	    r->outcome)) != CK_OK ||
	    (e = add(r, RECORD_OUTCOME, RECORD_TEXT, "Closed", "%s, %llu "
	    "records", r->closed, (unsigned long long)r->rep.records)) != CK_OK ||
	    (e = add(r, RECORD_OUTCOME, RECORD_HEX, "Signed by ceremony key",
	    "%s%s", id, r->rep.resumes > 0 ? " (the key of the last resume)" :
	    "")) != CK_OK ||
	    (e = add(r, RECORD_OUTCOME, RECORD_WORDS, "Ceremony key as words",
	    "%s", kwords)) != CK_OK ||
	    (e = add(r, RECORD_HEAD, RECORD_HEX, "Head hash", "%s", hex)) !=
	    CK_OK)
		return e;
	return add(r, RECORD_HEAD, RECORD_WORDS, "Head as words", "%s", words);
}

/* The whole walk over records that transcript_verify accepted. */
static int
walk(struct record *r, const uint8_t *buf, size_t len)
{
	struct when w[32];
	char label[RECORD_LABEL_MAX], step[32];
	const uint8_t *line;
	const char *type, *time;
	size_t llen, at = 0, idx;
	json_t *rec = NULL;
	struct rd rd;
	int e = CK_OK, first = 1;

	memset(w, 0, sizeof(w));
	rd_init(&rd, buf, len);
	while (e == CK_OK && rd_left(&rd) > 0) {
		if ((e = rd_line(&rd, TRANSCRIPT_MAX_LINE, &line, &llen)) !=
		    CK_OK ||
		    (e = rd_json(line, llen, TRANSCRIPT_MAX_LINE, &rec)) != CK_OK)
			break;
		type = str(rec, "type");
		time = str(rec, "time");
		if (first)
			e = opening(r, json_object_get(rec, "details"), time);
		step[0] = '\0';
		if (r->kind != NULL && r->kind->n <= 32 &&
		    (idx = steps_marked_by(r->kind, type, at)) < r->kind->n) {
			at = idx;
			if (w[idx].count++ == 0)
				memcpy(w[idx].first, time, strnlen(time, TIME_LEN));
			memcpy(w[idx].last, time, strnlen(time, TIME_LEN));
			snprintf(step, sizeof(step), ", step %u",
			    steps_number(r->kind, &r->kind->step[idx]));
		}
		snprintf(label, sizeof(label), "%lld  %s",
		    (long long)json_integer_value(json_object_get(rec, "seq")),
		    time);
		if (e == CK_OK)
			e = add(r, RECORD_EVENTS, RECORD_TEXT, label, "%s (%s%s)",
			    type, str(rec, "actor"), step);
		if (e == CK_OK)
			e = one(r, rec, type, time);
		json_decref(rec);
		rec = NULL;
		first = 0;
	}
	if (e == CK_OK)
		e = steps(r, w);
	return e;
}

int
record_build(const void *buf, size_t len, const void *sig, size_t siglen,
    const struct minisig_pubkey *expect, struct record **out,
    struct transcript_report *rep)
{
	struct record *r = NULL;
	int e;

	*out = NULL;
	/* Nothing is read for the record but the bytes that verified. */
	if ((e = transcript_verify_buf(buf, len, sig, siglen, expect, rep)) !=
	    CK_OK)
		return e;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return CK_ERR_ALLOC;
	r->rep = *rep;
	r->audit_err = audit_transcript(buf, len, &r->audit);
	/* What the rules found goes on the record; anything else (memory) is
	 * this run's failure, not a fact about the ceremony. */
	if (r->audit_err != CK_OK && r->audit_err != CK_ERR_INCOMPLETE &&
	    r->audit_err != CK_ERR_FORMAT) {
		e = r->audit_err;
		goto out;
	}
	/* Abandoned or failed: a valid outcome of its own, not incomplete. */
	if (r->rep.outcome[0] != '\0' && r->audit_err == CK_ERR_INCOMPLETE)
		r->audit_err = CK_OK;
	if ((e = walk(r, buf, len)) != CK_OK || (e = closing(r)) != CK_OK)
		goto out;
	*out = r;
	r = NULL;
out:
	record_free(r);
	return e;
}

/* Where record_read builds (record_set_isolation). */
static record_fn isolated;

void
record_set_isolation(record_fn fn)
{
	isolated = fn;
}

int
record_read(const char *path, const struct minisig_pubkey *expect,
    struct record **out, struct transcript_report *rep)
{
	struct transcript_files f;
	int e;

	*out = NULL;
	if ((e = transcript_files_open(path, isolated == NULL, &f, rep))
	    != CK_OK)
		return e;
	e = isolated != NULL ? isolated(f.fd, f.sigfd, expect, out, rep) :
	    record_build(f.buf, f.len, f.sig, f.siglen, expect, out, rep);
	transcript_files_close(&f);
	return e;
}

int
record_add(struct record *r, enum record_section sec, enum record_style st,
    const char *label, const char *value)
{
	return add(r, sec, st, label, "%s", value);
}

void
record_free(struct record *r)
{
	if (r == NULL)
		return;
	free(r->item);
	free(r);
}

const char *
record_section_title(enum record_section s)
{
	static const char *const t[RECORD_NSECTIONS] = {
		[RECORD_OUTCOME] = "Outcome",
		[RECORD_ROSTER] = "Roster",
		[RECORD_STEPS] = "Steps",
		[RECORD_SHARES] = "Shares",
		[RECORD_EXCEPTIONS] = "Exceptions and refusals",
		[RECORD_REVOCATION] = "Revocation",
		[RECORD_HEAD] = "Transcript head and chain",
		[RECORD_EVENTS] = "Every record",
		[RECORD_SIGNERS] = "Signatures",
	};

	return s < RECORD_NSECTIONS ? t[s] : "?";
}
