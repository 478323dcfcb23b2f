/*
 * Ceremony rules over a verified transcript (see audit.h).
 * Limits: those of the transcript (TRANSCRIPT_MAX_LINE per record), which
 * transcript_verify has enforced already.
 */
#include "ceremony/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ceremony/init.h"
#include "ceremony/transcript.h"
#include "crypto/errors.h"
#include "media/file.h"

struct init_tally {
	unsigned char seen[KIND_MAX_SHARES + 1];
	unsigned dup;
};

static int
kind_of(json_t *rec, struct audit_report *rep)
{
	const json_t *d = json_object_get(rec, "details");
	const char *kind = json_string_value(json_object_get(d, "kind"));
	json_int_t n = json_integer_value(json_object_get(d, "n"));
	json_int_t t = json_integer_value(json_object_get(d, "t"));

	if (kind == NULL)
		return CK_OK;	/* not a ceremony engine's transcript */
	if (strlen(kind) > AUDIT_KIND_MAX)
		return CK_ERR_FORMAT;
	strcpy(rep->kind, kind);
	if (n > 0 && n <= KIND_MAX_SHARES && t > 0 && t <= n) {
		rep->n = (unsigned)n;
		rep->t = (unsigned)t;
	}
	return CK_OK;
}

static void
tally_init(json_t *rec, const char *type, struct init_tally *it,
    struct audit_report *rep)
{
	const json_t *d = json_object_get(rec, "details");
	const json_t *acc = json_object_get(d, "accessor");
	json_int_t k;

	/*
	 * A claim counts only with its evidence: a handout with the keyed
	 * commitment of the decrypt proof, a revocation with the accessor and
	 * the refused lookup that proves it (the appliance records nothing
	 * less, so anything less was not written by it).
	 */
	if (strcmp(type, "share-handed-out") == 0) {
		k = json_integer_value(json_object_get(d, "share"));
		if (k < 1 || k > KIND_MAX_SHARES ||
		    !json_is_string(json_object_get(d, "commitment")))
			return;
		if (it->seen[k]++ == 0)
			rep->proven++;
		else
			it->dup++;
	} else if (strcmp(type, "root-token-revoked") == 0 &&
	    json_is_true(json_object_get(d, "lookup_refused")) &&
	    json_is_string(acc) && json_string_length(acc) > 0)
		rep->revoked = 1;
}

static int
judge_init(const struct init_tally *it, struct audit_report *rep)
{
	unsigned k;
	size_t used = 0;

	rep->rules = 1;
	if (rep->n == 0) {
		snprintf(rep->problem, sizeof(rep->problem),
		    "the opening record names no share count");
		return CK_ERR_FORMAT;
	}
	if (it->dup > 0) {
		snprintf(rep->problem, sizeof(rep->problem),
		    "a share was handed out twice");
		return CK_ERR_INCOMPLETE;
	}
	for (k = 1; k <= rep->n && used < sizeof(rep->problem); k++)
		if (!it->seen[k])
			used += (size_t)snprintf(rep->problem + used,
			    sizeof(rep->problem) - used, "%s%u",
			    used == 0 ? "no handout with proof for share " : ", ", k);
	if (rep->proven != rep->n || used > 0)
		return CK_ERR_INCOMPLETE;
	if (!rep->revoked) {
		snprintf(rep->problem, sizeof(rep->problem),
		    "the initial root token is not shown revoked (a revocation "
		    "counts only with an accessor and a refused lookup)");
		return CK_ERR_INCOMPLETE;
	}
	return CK_OK;
}

int
audit_is_exception(const char *type)
{
	static const char *const also[] = { "refused", "deviation", "resume",
	    "endpoint-disabled", "retry-requested", "root-token-not-revoked",
	    NULL };
	size_t i, n = strlen(type);

	for (i = 0; also[i] != NULL; i++)
		if (strcmp(type, also[i]) == 0)
			return 1;
	return (n > 7 && strcmp(type + n - 7, "-failed") == 0) ||
	    (n > 10 && strcmp(type + n - 10, "-abandoned") == 0);
}

void
audit_tally_text(const struct audit_report *rep, char *out, size_t outlen)
{
	snprintf(out, outlen, "%u refusal%s, %u deviation%s, %u exception%s in "
	    "all on the record", rep->refused, rep->refused == 1 ? "" : "s",
	    rep->deviations, rep->deviations == 1 ? "" : "s", rep->exceptions,
	    rep->exceptions == 1 ? "" : "s");
}

int
audit_tally_file(const char *path, char *out, size_t outlen)
{
	struct audit_report rep;
	uint8_t *buf = NULL;
	size_t len = 0;
	int e;

	if ((e = file_read_path(path, TRANSCRIPT_MAX_BYTES, &buf, &len)) != CK_OK)
		return e;
	e = audit_transcript(buf, len, &rep);
	free(buf);
	/* Counted either way: an incomplete ceremony has exceptions too. */
	if (e != CK_OK && e != CK_ERR_INCOMPLETE)
		return e;
	audit_tally_text(&rep, out, outlen);
	return CK_OK;
}

/* Where audit_transcript runs (audit_set_isolation). */
static audit_fn isolated;

void
audit_set_isolation(audit_fn fn)
{
	isolated = fn;
}

int
audit_transcript(const void *buf, size_t len, struct audit_report *rep)
{
	struct init_tally it;
	const uint8_t *line;
	json_t *rec = NULL;
	const char *type;
	size_t llen;
	struct rd r;
	int e = CK_OK, first = 1;

	memset(rep, 0, sizeof(*rep));
	if (isolated != NULL)
		return isolated(buf, len, rep);
	memset(&it, 0, sizeof(it));
	rd_init(&r, buf, len);
	while (rd_left(&r) > 0) {
		if ((e = rd_line(&r, TRANSCRIPT_MAX_LINE, &line, &llen)) != CK_OK ||
		    (e = rd_json(line, llen, TRANSCRIPT_MAX_LINE, &rec)) != CK_OK)
			return e;
		if ((type = json_string_value(json_object_get(rec, "type"))) == NULL)
			e = CK_ERR_FORMAT;
		else if (first)
			e = kind_of(rec, rep);
		else {
			rep->refused += strcmp(type, "refused") == 0;
			rep->deviations += strcmp(type, "deviation") == 0;
			rep->exceptions += audit_is_exception(type) != 0;
			tally_init(rec, type, &it, rep);
		}
		json_decref(rec);
		first = 0;
		if (e != CK_OK)
			return e;
	}
	if (strcmp(rep->kind, KIND_INIT) == 0)
		return judge_init(&it, rep);
	return CK_OK;
}
