/*
 * The ceremony plan (docs/paper.md): what the room agrees before the day
 * (kind, server, date and place, threshold, who holds, witnesses and
 * operates, with their public key files), from which the online side
 * prints the script and the holder cards. Read strictly: exactly the
 * documented keys, every value checked, each key file read through
 * crypto/pgppkt (no gpgme: the bridge does not link it) for its v4
 * fingerprint. A plan holds only public facts.
 */
#ifndef CONCLAVE_PLAN_H
#define CONCLAVE_PLAN_H

#include <stddef.h>

#include "protocol/steps.h"
#include "crypto/errors.h"

#define PLAN_FORMAT	"conclave-plan/1"
#define PLAN_JSON_MAX	(1u << 20)
#define PLAN_NAME_MAX	64	/* bytes of printable UTF-8, as the roster */
#define PLAN_TEXT_MAX	200	/* server, place */
#define PLAN_MEMBERS_MAX	255	/* holders; witnesses too */
#define PLAN_FPR_HEX	40

struct plan_member {
	char name[PLAN_NAME_MAX + 1];
	char fpr[PLAN_FPR_HEX + 1];	/* lowercase hex; "" without a key */
};

struct plan {
	const struct steps_kind *kind;	/* NULL: a holder's own card */
	char server[PLAN_TEXT_MAX + 1];
	char place[PLAN_TEXT_MAX + 1];
	char date[32];	/* YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ */
	unsigned threshold;
	size_t n_holders, n_witnesses;
	struct plan_member holders[PLAN_MEMBERS_MAX];
	struct plan_member witnesses[PLAN_MEMBERS_MAX];
	struct plan_member operator;
	int has_operator;
};

/*
 * Read the plan at path; key paths in it are relative to its directory.
 * Errors: file_read_path's; CK_ERR_JSON/CK_ERR_DUPLICATE_KEY/
 * CK_ERR_TOO_LARGE for the JSON; CK_ERR_BAD_VERSION (format);
 * CK_ERR_BAD_TYPE (an unknown kind); CK_ERR_FORMAT (a missing, unknown
 * or mistyped key, a bad date, threshold outside 1..holders);
 * CK_ERR_NOT_PRINTABLE (a name or text); CK_ERR_EXISTS (a name twice);
 * CK_ERR_KEY_DUPLICATE (a key twice); a key file's pgppkt error. why
 * names the field at fault.
 */
int plan_load(const char *path, struct plan *out, char *why, size_t whylen)
    CK_WUR __attribute__((nonnull));

/*
 * A plan of one holder and nothing else (kind NULL), for the card a
 * holder prints from their own key before the day: name and keyfile (a
 * path, relative to the working directory) checked as in a plan; date as
 * paper_open takes it. The same errors as plan_load for those fields.
 */
int plan_one_holder(const char *name, const char *keyfile, const char *date,
    struct plan *out, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull));

#endif
