/*
 * HTTP client for the Vault/OpenBao API (libcurl + jansson), shaped like the
 * vault CLI: one base address per client, TLS verification on by default,
 * X-Vault-Token and X-Vault-Namespace headers, JSON in and out.
 *
 * Everything the server sends is untrusted: the body is capped at
 * HTTP_MAX_RESPONSE bytes and parsed with rd_json (strict: no duplicate
 * keys, no trailing data); server error messages are kept for display only
 * after rd_printable_utf8, clipped to HTTP_MAX_DETAIL bytes.
 *
 * Secrets: the token lives in secmem; request bodies that carry secrets are
 * built by the caller in secmem and passed by pointer (CURLOPT_POSTFIELDS
 * does not copy). libcurl still assembles each request in its own heap
 * buffers, so http_global_init() routes libcurl's and jansson's allocations
 * through an allocator that wipes every block on free; nothing is written
 * to disk.
 */
#ifndef CONCLAVE_HTTP_H
#define CONCLAVE_HTTP_H

#include <stddef.h>

#include <jansson.h>

#include "crypto/reader.h"

/* Largest response accepted: an init or rekey answer with 255 PGP-encrypted
 * shares (hex + base64 of each message) stays well below this. */
#define HTTP_MAX_RESPONSE	(4u * 1024 * 1024)
/* Longest server error text kept for display. */
#define HTTP_MAX_DETAIL		512
/* Longest address, namespace and API path accepted. */
#define HTTP_MAX_ADDRESS	512
#define HTTP_MAX_NAMESPACE	256
#define HTTP_MAX_PATH		256
/* An HTTP Date header: "Sun, 06 Nov 1994 08:49:37 GMT" is 29. */
#define HTTP_MAX_DATE		64
/* Longest token accepted (Vault batch tokens are the longest, < 200). */
#define HTTP_MAX_TOKEN		1024
/* Redirects followed for one request (a standby to the active node is one;
 * a leader change while it is under way may add another). */
#define HTTP_MAX_REDIRECTS	2
/* Cluster members an operator may name as redirect targets. */
#define HTTP_MAX_MEMBERS	16
/* Default timeouts in seconds. */
#define HTTP_CONNECT_TIMEOUT	10
#define HTTP_TIMEOUT		60

struct http_client;

struct http_config {
	const char *address;	/* "https://host:8200"; a trailing '/' is dropped */
	const char *ca_cert;	/* PEM file of trusted CAs, or NULL for the system's */
	const char *ca_path;	/* directory of hashed CA certificates, or NULL */
	const char *namespace;	/* X-Vault-Namespace, or NULL */
	int insecure;		/* skip TLS verification: callers must warn */
	long connect_timeout;	/* seconds; 0 for HTTP_CONNECT_TIMEOUT */
	long timeout;		/* seconds for a whole request; 0 for HTTP_TIMEOUT */
	/* Redirect targets besides the address itself: the other cluster
	 * members the operator named (at most HTTP_MAX_MEMBERS). */
	const char *const *members;
	size_t nmembers;
	/* Ask standbys to redirect instead of forwarding to the active node
	 * (X-Vault-No-Request-Forwarding). */
	int no_forwarding;
};

/*
 * Once per process, before any other libcurl or jansson call: installs the
 * wiping allocator for both and initialises libcurl. CK_ERR_INTERNAL if
 * libcurl refuses (for instance because it was already initialised).
 */
int http_global_init(void) CK_WUR;

/*
 * A client for one server. The address (and each member) must be http:// or
 * https:// with a host; the namespace must be printable without spaces.
 * CK_ERR_INVALID_ARG otherwise.
 *
 * HA: a standby forwards most requests to the active node itself (request
 * forwarding, left on unless no_forwarding). Where it cannot, it answers
 * 307 with the active node's address in Location, as the vault CLI expects;
 * the client then repeats the request there (same method, body, token, TLS
 * settings and CA), at most HTTP_MAX_REDIRECTS times, and only when the
 * target keeps the scheme and the request path and is either a member the
 * operator named (the address, cfg->members) or the leader_address that the
 * redirecting node announces in sys/leader. Anything else is
 * CK_ERR_REDIRECT, and the token is not sent there.
 */
int http_client_new(const struct http_config *cfg, struct http_client **out)
    CK_WUR;
void http_client_free(struct http_client *c);	/* NULL-safe; wipes the token */

/*
 * Forgets everything libcurl kept from earlier requests by replacing its
 * handle, so that the wiping allocator clears every buffer the old one
 * held; the next request opens a new connection. libcurl 7.88 already
 * frees its receive buffer after each transfer (test_vault's residue check
 * passes without this), but other versions keep buffers and spare chunks
 * per connection: called after every request or answer that carries a
 * secret (an init answer, an unseal key, a token lookup).
 */
void http_client_scrub(struct http_client *c);

/*
 * The server's clock when it gave the last answer: its Date header, unix
 * seconds (whole: the header has no finer), 0 when it had none. Kept
 * across http_client_scrub().
 */
long long http_answer_date(const struct http_client *c);

/* The address the client talks to (normalised, for display and records). */
const char *http_client_address(const struct http_client *c);

/*
 * The node that answered the last request: the address, or the active node
 * a standby redirected to.
 */
const char *http_client_node(const struct http_client *c);

/*
 * For ceremonies whose state lives on the active node only and that a
 * standby does not forward (OpenBao 2.6 answers sys/rotate/... on a standby
 * itself): asks the address's sys/leader and, if it is a standby, sends
 * every later request to the active node it announces instead (same
 * scheme, TLS settings and CA). *moved is 1 then (http_client_node names
 * it), 0 if the address is active or not in an HA cluster.
 * CK_ERR_UNAVAILABLE if a standby knows no active node, CK_ERR_REDIRECT if
 * it announces one of another scheme, else the request's errors.
 */
int http_use_active_node(struct http_client *c, int *moved) CK_WUR;

/*
 * Sets the token sent as X-Vault-Token, copied into secmem (the caller wipes
 * its own copy). len must be 1..HTTP_MAX_TOKEN printable ASCII.
 */
int http_set_token(struct http_client *c, const char *tok, size_t len) CK_WUR;

/*
 * Loads the token from a file (first line, trailing newline dropped) or, if
 * path is NULL, from VAULT_TOKEN (then BAO_TOKEN); the environment copy is
 * wiped and unset. CK_ERR_NOT_FOUND when there is none.
 */
int http_load_token(struct http_client *c, const char *path) CK_WUR;

/*
 * One request: method "GET", "PUT", "POST" or "DELETE" on /v1/<path>, with
 * an optional JSON body (body == NULL for none; not copied, so secret bodies
 * stay in the caller's secmem until the call returns).
 * On 2xx: *status is set, *out is the parsed body or NULL for an empty body
 * (204). Errors:
 *   CK_ERR_UNREACHABLE  connection refused, no route, DNS failure, timeout
 *   CK_ERR_TLS          certificate or handshake failure
 *   CK_ERR_SEALED       503 from a node whose sys/seal-status says sealed
 *   CK_ERR_UNAVAILABLE  any other 503 (no active node, standby, overload)
 *   CK_ERR_DISABLED_ENDPOINT  405 (OpenBao answers "unsupported operation"
 *                       for disabled unauthenticated endpoints)
 *   CK_ERR_NO_ENDPOINT  404 (no such path on this server)
 *   CK_ERR_PERMISSION_DENIED  403
 *   CK_ERR_REDIRECT     a redirect refused (see http_client_new)
 *   CK_ERR_SERVER       any other 4xx/5xx; for a 5xx the detail names the
 *                       node that answered and the status
 *   CK_ERR_TOO_LARGE, CK_ERR_JSON, CK_ERR_DUPLICATE_KEY  bad response body
 *   CK_ERR_HTTP         any other transport failure
 * *status is the HTTP status when one was received (0 otherwise).
 * http_error_detail() then tells more.
 */
int http_request(struct http_client *c, const char *method, const char *path,
    const void *body, size_t bodylen, long *status, json_t **out) CK_WUR;

/*
 * http_request() with a JSON object body, serialised compactly into a
 * buffer wiped after the call (for bodies with no secrets in them, or with
 * secrets already held by a jansson heap that wipes). CK_ERR_INVALID_ARG if
 * body is not an object.
 */
int http_request_json(struct http_client *c, const char *method,
    const char *path, const json_t *body, long *status, json_t **out) CK_WUR;

/*
 * The last request's error text for people: the server's "errors" joined
 * with "; " (each checked printable, else replaced), or libcurl's message.
 * Empty string when there is none. Valid until the next request.
 */
const char *http_error_detail(const struct http_client *c);

/*
 * Puts back a detail saved from http_error_detail(): for a caller that
 * asked the server a follow-up question about a failure (sys/init after a
 * refused init) and reports the first answer's text.
 */
void http_restore_detail(struct http_client *c, const char *saved);

/*
 * The payload of a response in either style: the "data" object of a logical
 * (framework) envelope, or the body itself for raw handlers (sys/init,
 * sys/seal-status, sys/unseal, ...). Borrowed; NULL if body is not an object
 * or its "data" is not an object.
 */
json_t *http_body_data(json_t *body);

#endif
