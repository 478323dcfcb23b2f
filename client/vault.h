/*
 * Typed Vault/OpenBao calls on top of client/http.h: seal status, init,
 * unseal, and the token self-lookup and self-revocation that close an init
 * ceremony. Every string taken from a response is bounded (VAULT_MAX_*) and
 * printable (rd_printable_utf8) before it reaches a caller; a field that is
 * too long, of the wrong JSON type or unprintable is CK_ERR_FORMAT.
 * Errors from the transport are those of http_request(); the server's
 * message is in http_error_detail().
 */
#ifndef CONCLAVE_VAULT_H
#define CONCLAVE_VAULT_H

#include <stddef.h>

#include <jansson.h>

#include "client/http.h"
#include "crypto/reader.h"

/* Field limits, including the NUL. */
#define VAULT_MAX_TYPE		32	/* "shamir", "static", "awskms", ... */
#define VAULT_MAX_NONCE		64	/* go-uuid: 36 characters */
#define VAULT_MAX_VERSION	64	/* "2.6.2", "1.17.3+ent" */
#define VAULT_MAX_NAME		128	/* cluster_name, display_name */
#define VAULT_MAX_ID		64	/* cluster_id (uuid), token accessor */
#define VAULT_MAX_DATE		40	/* RFC 3339 */
#define VAULT_MAX_POLICIES	512	/* policy names joined with "," */
/* Longest unseal key accepted for submission: the hex of a 33-byte share
 * (66) or base64 of a 32-byte key (44); leave room for Vault's 16..33 byte
 * range in either form. */
#define VAULT_MAX_KEY		68
/* Shamir limits of both servers. */
#define VAULT_MAX_SHARES	255

/* GET sys/seal-status (and the answer of every sys/unseal). */
struct vault_seal_status {
	char type[VAULT_MAX_TYPE];
	int initialized;
	int sealed;
	unsigned t;		/* threshold (recovery config if recovery_seal) */
	unsigned n;		/* shares */
	unsigned progress;	/* unseal shares received so far */
	char nonce[VAULT_MAX_NONCE];	/* unseal attempt nonce, "" if none */
	char version[VAULT_MAX_VERSION];
	char build_date[VAULT_MAX_DATE];	/* Vault build_date / OpenBao commit_date */
	char cluster_name[VAULT_MAX_NAME];	/* "" while sealed */
	char cluster_id[VAULT_MAX_ID];		/* "" while sealed */
	int recovery_seal;	/* auto-unseal: shares are recovery shares */
	int migration;		/* a seal migration waits for the quorum */
	char storage_type[VAULT_MAX_TYPE];	/* "" if not reported */
};

/* GET sys/seal-status. */
int vault_seal_status(struct http_client *c, struct vault_seal_status *st)
    CK_WUR;

/*
 * Parses a seal-status object (as returned by sys/seal-status and
 * sys/unseal). Exposed for the callers that get one in another answer.
 */
int vault_parse_seal_status(const json_t *j, struct vault_seal_status *st)
    CK_WUR;

/*
 * A share count in an answer (progress, required, t, n, otp_length):
 * absent is 0, else an integer 0..VAULT_MAX_SHARES (CK_ERR_FORMAT).
 */
int vault_json_count(const json_t *j, const char *key, unsigned *out) CK_WUR;

/* GET sys/init: *initialized is 0 or 1. */
int vault_init_status(struct http_client *c, int *initialized) CK_WUR;

/*
 * PUT sys/init with the request object exactly as given (built from the
 * appliance's init-request envelope); *response is the server's answer
 * exactly as returned, not reinterpreted (it may hold a plaintext root token
 * and shares: jansson's heap wipes on free once http_global_init ran).
 * CK_ERR_ALREADY_INIT when the server says it is already initialised;
 * otherwise http_request()'s errors, or CK_ERR_FORMAT if the 200 answer is
 * not an object.
 */
int vault_init(struct http_client *c, const json_t *request, json_t **response)
    CK_WUR;

/*
 * The body {"key":"<key>"} or, with a nonce, {"key":"<key>","nonce":"<nonce>"},
 * with "migrate":true at the end when migrate (seal migration), in secmem (*body, *blen bytes, no NUL; wipe and secmem_free it). key:
 * 1..VAULT_MAX_KEY hex or base64 characters (CK_ERR_BAD_SHARE); nonce:
 * printable ASCII without quotes or backslashes (CK_ERR_WRONG_NONCE).
 */
int vault_key_body(const char *key, size_t len, const char *nonce,
    int migrate, char **body, size_t *blen) CK_WUR;

/*
 * PUT sys/unseal with one key share (hex or base64 text as the server takes
 * it, len <= VAULT_MAX_KEY, [0-9A-Za-z+/=] only). The body is built in
 * secmem and wiped after the call. *st is the status the server answers.
 * A key the server rejects is CK_ERR_SERVER (400). migrate: the server is
 * restarted with a new seal configuration and waits for the quorum's keys
 * with "migrate":true (seal migration; it must then be on every call).
 */
int vault_unseal(struct http_client *c, const char *key, size_t len,
    int migrate, struct vault_seal_status *st) CK_WUR;

/* PUT sys/unseal {"reset":true}: discards the keys submitted so far. */
int vault_unseal_reset(struct http_client *c, struct vault_seal_status *st)
    CK_WUR;

/* What auth/token/lookup-self says about the client's token (never the
 * token itself). */
struct vault_token_info {
	char accessor[VAULT_MAX_ID];
	char display_name[VAULT_MAX_NAME];
	char policies[VAULT_MAX_POLICIES];	/* joined with "," */
	long long ttl;				/* seconds; 0 = never expires */
	int is_root;				/* policies contain "root" */
	long long creation_time;	/* unix seconds, server clock; 0 if not said */
};

/*
 * GET auth/token/lookup-self with the client's token. After a revocation
 * this is CK_ERR_PERMISSION_DENIED (403): that failure is the proof the
 * closing step records.
 */
int vault_token_lookup_self(struct http_client *c, struct vault_token_info *ti)
    CK_WUR;

/* PUT auth/token/revoke-self: revokes the client's token (204). */
int vault_token_revoke_self(struct http_client *c) CK_WUR;

/* Who the server is, for an init-result: address, version, cluster. */
struct vault_identity {
	char address[HTTP_MAX_ADDRESS + 1];
	char version[VAULT_MAX_VERSION];
	char cluster_name[VAULT_MAX_NAME];	/* "" while sealed */
	char cluster_id[VAULT_MAX_ID];		/* "" while sealed */
	char type[VAULT_MAX_TYPE];
	int recovery_seal;
	/* The server's clock when it answered sys/init (http_answer_date):
	 * the initial root token was made before it. 0: not said. */
	long long init_time;
};

/*
 * The identity as a JSON object for an init-result payload:
 * {"address","version","cluster_name","cluster_id","type","recovery_seal",
 * "init_time"} (strings, cluster_* "" while sealed; recovery_seal a
 * boolean; init_time an integer).
 */
int vault_identity_json(const struct vault_identity *id, json_t **out) CK_WUR;

/*
 * The HTTP half of `conclave-bridge init`: reads seal-status for the
 * server's identity and checks it is not yet initialised
 * (CK_ERR_ALREADY_INIT), then PUTs sys/init with the request as given and
 * returns at once with its answer (*response as for vault_init()): the
 * shares exist only in that answer, so the caller's next act is its
 * durable write. The identity is the one before init: cluster_name and
 * cluster_id are "" (a server not yet initialised has none); init_time is
 * the Date of sys/init's answer.
 */
int vault_init_ceremony(struct http_client *c, const json_t *request,
    json_t **response, struct vault_identity *id) CK_WUR;

#endif
