/*
 * The roster (DESIGN §7): who takes part in a ceremony, with which
 * OpenPGP key. Holders come in share order: holder k (share_index k, from
 * 1) is entry k-1 of `pgp_keys` in sys/init or rekey, so the server
 * encrypts keys[k-1] to that holder's encryption subkey (enc_keyid), and
 * the appliance checks exactly that in the result before any handout.
 * The operator (at most one) may receive the root token; witnesses only
 * sign. Fingerprints are unique across the whole roster, names too.
 *
 * The roster is saved as JSON beside the transcript (format in
 * docs/roster.md) with a fixed key order, and parsed back strictly: every
 * key present, no other key, every value checked, holders' share indexes
 * 1..n in order. roster_import_keys() then re-imports every key and checks
 * that it still has the recorded fingerprint and encryption subkey.
 */
#ifndef CONCLAVE_ROSTER_H
#define CONCLAVE_ROSTER_H

#include <stddef.h>

#include "crypto/pgp.h"
#include "crypto/reader.h"
#include "crypto/words.h"

#define ROSTER_FORMAT	"conclave-roster/1"
#define ROSTER_NAME_MAX	64	/* bytes of printable UTF-8 */
#define ROSTER_MAX_MEMBERS	300	/* Vault allows 255 shares; plus others */
#define ROSTER_KEY_B64_MAX	(PGP_EXPORT_MAX / 3 * 4 + 4)
#define ROSTER_JSON_MAX	(8u << 20)	/* whole roster file */

enum roster_role {
	ROSTER_HOLDER,
	ROSTER_WITNESS,
	ROSTER_OPERATOR,
};

struct roster_member {
	char name[ROSTER_NAME_MAX + 1];
	enum roster_role role;
	unsigned share_index;	/* holders: 1..n in roster order; else 0 */
	char fpr[PGP_FPR_LEN + 1];	/* primary, lowercase hex */
	char enc_keyid[PGP_KEYID_LEN + 1];	/* "" for witnesses */
	char *key_b64;	/* base64 of the binary export (pgp_keys entry) */
	unsigned warnings;	/* PGP_WARN_*; not saved, set on add/import */
	char enc_algo[PGP_ALGO_MAX];	/* the same: "cv25519", "rsa3072" ... */
};

struct roster {
	size_t n;
	struct roster_member *m;	/* in the order added */
	size_t n_holders;
};

int roster_new(struct roster **out) CK_WUR __attribute__((nonnull));
void roster_free(struct roster *r);	/* NULL-safe */

/*
 * Add a member from a key file (one public key, armored or binary) via
 * the home h: imported, validated (holders and the operator as share
 * recipients with pgp_key_validate; witnesses with pgp_key_can_sign),
 * exported. Holders get the next share index. Errors: the pgp_* key
 * errors; CK_ERR_NOT_PRINTABLE or CK_ERR_INVALID_ARG for a bad name;
 * CK_ERR_FORMAT unless the file holds exactly one key;
 * CK_ERR_KEY_DUPLICATE for a fingerprint already on the roster;
 * CK_ERR_EXISTS for a taken name or a second operator; CK_ERR_TOO_LARGE
 * beyond ROSTER_MAX_MEMBERS. The roster is unchanged on error.
 */
int roster_add_keyfile(struct roster *r, struct pgp_home *h,
    const char *name, enum roster_role role, const char *keyfile) CK_WUR
    __attribute__((nonnull));

/* Holder with share index k (1..n_holders), or NULL. */
const struct roster_member *roster_holder(const struct roster *r,
    unsigned k) __attribute__((nonnull));
/* The operator, or NULL. */
const struct roster_member *roster_operator(const struct roster *r)
    __attribute__((nonnull));
const char *roster_role_name(enum roster_role role);

/* The roster as JSON text (malloc'd, NUL-terminated, fixed key order). */
int roster_dump(const struct roster *r, char **out, size_t *outlen) CK_WUR
    __attribute__((nonnull));
/* Strict parse of roster_dump()'s format (at most ROSTER_JSON_MAX bytes). */
int roster_parse(const void *buf, size_t len, struct roster **out) CK_WUR
    __attribute__((nonnull));
/*
 * Import every member's key into h and check it: the fingerprint is the
 * recorded one (CK_ERR_WRONG_KEY otherwise) and it validates to the
 * recorded encryption subkey (CK_ERR_WRONG_KEY if another one now).
 * Sets each member's warnings.
 */
int roster_import_keys(struct roster *r, struct pgp_home *h) CK_WUR
    __attribute__((nonnull));

/*
 * The appliance's check on a server result, before anyone decrypts: msg
 * (a binary OpenPGP message: keys_base64[k-1] decoded, or the root token)
 * must be encrypted to m's encryption subkey and to nobody else.
 * CK_ERR_WRONG_RECIPIENT if it names another key, or more keys than m's; the
 * crypto/pgppkt errors for a malformed message; CK_ERR_INVALID_ARG for a
 * witness (no encryption subkey on record).
 */
int roster_check_recipient(const struct roster_member *m, const void *msg,
    size_t len) CK_WUR __attribute__((nonnull));

/*
 * A member's fingerprint for reading aloud: 20 PGP words (words_encode)
 * into out, outmax >= ROSTER_FPR_WORDS_MAX.
 */
#define ROSTER_FPR_WORDS_MAX	WORDS_TEXT_MAX(PGP_FPR_LEN / 2)
int roster_fpr_words(const struct roster_member *m, char *out,
    size_t outmax) CK_WUR __attribute__((nonnull));

#endif
