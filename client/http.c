/*
 * Limits (see http.h): response bodies HTTP_MAX_RESPONSE bytes, error text
 * HTTP_MAX_DETAIL bytes, address HTTP_MAX_ADDRESS, namespace
 * HTTP_MAX_NAMESPACE, API path HTTP_MAX_PATH, token HTTP_MAX_TOKEN.
 * Only http and https are spoken; libcurl follows no redirect by itself:
 * http_request follows a standby's 307/308 only to a checked target (see
 * http.h), at most HTTP_MAX_REDIRECTS times. No proxy, cookie or netrc
 * state is kept between requests beyond libcurl's connection cache.
 */
#include "client/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "media/file.h"

#define TOKEN_HEADER		"X-Vault-Token: "
#define NAMESPACE_HEADER	"X-Vault-Namespace: "
#define NO_FORWARD_HEADER	"X-Vault-No-Request-Forwarding: true"

struct http_client {
	CURL *curl;
	char address[HTTP_MAX_ADDRESS + 1];
	char members[HTTP_MAX_MEMBERS][HTTP_MAX_ADDRESS + 1];
	size_t nmembers;
	char node[HTTP_MAX_ADDRESS + 1];	/* answered the last request */
	char start[HTTP_MAX_ADDRESS + 1];	/* where requests go first */
	int no_forwarding;
	char *ca_cert;
	char *ca_path;
	char ns_header[sizeof(NAMESPACE_HEADER) + HTTP_MAX_NAMESPACE];
	int insecure;
	long connect_timeout;
	long timeout;
	char *token_header;	/* secmem: "X-Vault-Token: <token>" */
	struct secbuf resp;	/* the body being received; may hold secrets */
	int resp_overflow;
	char errbuf[CURL_ERROR_SIZE];
	char detail[HTTP_MAX_DETAIL + 1];
	long long date;		/* the last answer's Date, unix seconds; 0: none */
};

/*
 * The wiping allocator. libcurl builds requests (headers with the token,
 * bodies with shares) in its own heap, and jansson holds parsed responses
 * (root tokens, unencrypted shares) in its heap: every block is zeroed when
 * freed. Blocks are plain malloc blocks wiped to malloc_usable_size, so a
 * block jansson hands out (json_dumps) may still be released with free()
 * by code that does not know this allocator is installed.
 */
static void *
w_malloc(size_t n)
{
	return malloc(n);
}

static void
w_free(void *q)
{
	if (q == NULL)
		return;
	secmem_wipe(q, malloc_usable_size(q));
	free(q);
}

static void *
w_realloc(void *q, size_t n)
{
	unsigned char *np;
	size_t old;

	if (q == NULL)
		return w_malloc(n);
	if ((np = w_malloc(n)) == NULL)
		return NULL;
	old = malloc_usable_size(q);
	memcpy(np, q, old < n ? old : n);
	w_free(q);
	return np;
}

static char *
w_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d;

	if ((d = w_malloc(n)) != NULL)
		memcpy(d, s, n);
	return d;
}

static void *
w_calloc(size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	if ((p = w_malloc(nmemb * size)) != NULL)
		memset(p, 0, nmemb * size);
	return p;
}

int
http_global_init(void)
{
	json_set_alloc_funcs(w_malloc, w_free);
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, w_malloc, w_free,
	    w_realloc, w_strdup, w_calloc) != CURLE_OK)
		return CK_ERR_INTERNAL;
	return CK_OK;
}

/* Printable ASCII without spaces: what may go into a URL or a header. */
static int
is_token_text(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

/* An API base address, checked and without trailing '/', into out. */
static int
normalise_address(const char *addr, char out[HTTP_MAX_ADDRESS + 1])
{
	size_t len, skip;

	if (addr == NULL)
		return CK_ERR_INVALID_ARG;
	len = strlen(addr);
	if (strncmp(addr, "https://", 8) == 0)
		skip = 8;
	else if (strncmp(addr, "http://", 7) == 0)
		skip = 7;
	else
		return CK_ERR_INVALID_ARG;
	while (len > skip && addr[len - 1] == '/')
		len--;
	/* A host is required; userinfo, queries and fragments are not URLs
	 * of a Vault API base. */
	if (len == skip || len > HTTP_MAX_ADDRESS || addr[skip] == '/' ||
	    !is_token_text(addr, len) || memchr(addr, '@', len) != NULL ||
	    memchr(addr, '?', len) != NULL || memchr(addr, '#', len) != NULL)
		return CK_ERR_INVALID_ARG;
	memcpy(out, addr, len);
	out[len] = '\0';
	return CK_OK;
}

int
http_client_new(const struct http_config *cfg, struct http_client **out)
{
	struct http_client *c = NULL;
	size_t nslen, i;
	int r = CK_ERR_INTERNAL;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CK_ERR_ALLOC;
	if ((r = normalise_address(cfg->address, c->address)) != CK_OK)
		goto out;
	r = CK_ERR_INVALID_ARG;
	if (cfg->nmembers > HTTP_MAX_MEMBERS)
		goto out;
	for (i = 0; i < cfg->nmembers; i++)
		if (normalise_address(cfg->members[i], c->members[i]) != CK_OK)
			goto out;
	c->nmembers = cfg->nmembers;
	c->no_forwarding = cfg->no_forwarding;
	memcpy(c->start, c->address, sizeof(c->start));
	if (cfg->namespace != NULL && cfg->namespace[0] != '\0') {
		nslen = strlen(cfg->namespace);
		if (nslen > HTTP_MAX_NAMESPACE || !is_token_text(cfg->namespace, nslen))
			goto out;
		snprintf(c->ns_header, sizeof(c->ns_header), "%s%s",
		    NAMESPACE_HEADER, cfg->namespace);
	}
	r = CK_ERR_ALLOC;
	if ((cfg->ca_cert != NULL && (c->ca_cert = strdup(cfg->ca_cert)) == NULL) ||
	    (cfg->ca_path != NULL && (c->ca_path = strdup(cfg->ca_path)) == NULL))
		goto out;
	c->insecure = cfg->insecure;
	c->connect_timeout = cfg->connect_timeout > 0 ?
	    cfg->connect_timeout : HTTP_CONNECT_TIMEOUT;
	c->timeout = cfg->timeout > 0 ? cfg->timeout : HTTP_TIMEOUT;
	if ((c->curl = curl_easy_init()) == NULL)
		goto out;
	*out = c;
	c = NULL;
	r = CK_OK;
out:
	http_client_free(c);
	return r;
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	secmem_free(c->token_header);
	secbuf_free(&c->resp);
	free(c->ca_cert);
	free(c->ca_path);
	free(c);
}

void
http_client_scrub(struct http_client *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	/* NULL on failure: http_request tries again. */
	c->curl = curl_easy_init();
	/* The answer went through libc's string functions, and so through
	 * the vector registers. */
	secmem_wipe_registers();
}

long long
http_answer_date(const struct http_client *c)
{
	return c->date;
}

const char *
http_client_address(const struct http_client *c)
{
	return c->address;
}

const char *
http_client_node(const struct http_client *c)
{
	return c->node[0] != '\0' ? c->node : c->address;
}

const char *
http_error_detail(const struct http_client *c)
{
	return c->detail;
}

void
http_restore_detail(struct http_client *c, const char *saved)
{
	if (saved != c->detail)
		snprintf(c->detail, sizeof(c->detail), "%s", saved);
}

int
http_set_token(struct http_client *c, const char *tok, size_t len)
{
	size_t hlen = sizeof(TOKEN_HEADER) - 1;
	char *h;

	if (len == 0 || len > HTTP_MAX_TOKEN || !is_token_text(tok, len))
		return CK_ERR_INVALID_ARG;
	if ((h = secmem_alloc(hlen + len + 1)) == NULL)
		return CK_ERR_ALLOC;
	memcpy(h, TOKEN_HEADER, hlen);
	memcpy(h + hlen, tok, len);
	h[hlen + len] = '\0';
	secmem_free(c->token_header);
	c->token_header = h;
	return CK_OK;
}

/* The first line of a token file, read straight into secmem. */
static int
load_token_file(struct http_client *c, const char *path)
{
	char *buf = NULL;
	size_t len;
	FILE *f = NULL;
	int r = CK_ERR_INTERNAL;

	if ((buf = secmem_alloc(HTTP_MAX_TOKEN + 2)) == NULL)
		return CK_ERR_ALLOC;
	if ((f = fopen(path, "re")) == NULL) {
		r = CK_ERR_NOT_FOUND;
		goto out;
	}
	/* Unbuffered: no stdio buffer keeps a copy of the token. */
	setvbuf(f, NULL, _IONBF, 0);
	len = fread(buf, 1, HTTP_MAX_TOKEN + 1, f);
	if (ferror(f)) {
		r = CK_ERR_IO;
		goto out;
	}
	buf[len] = '\0';
	len = strcspn(buf, "\r\n");
	r = http_set_token(c, buf, len);
out:
	if (f != NULL)
		fclose(f);
	secmem_wipe(buf, HTTP_MAX_TOKEN + 2);
	secmem_free(buf);
	return r;
}

int
http_load_token(struct http_client *c, const char *path)
{
	static const char *const vars[] = { "VAULT_TOKEN", "BAO_TOKEN" };
	char *v;
	size_t i;
	int r;

	if (path != NULL)
		return load_token_file(c, path);
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if ((v = getenv(vars[i])) == NULL || *v == '\0')
			continue;
		r = http_set_token(c, v, strlen(v));
		/* The environment is readable in /proc/PID/environ: wipe it. */
		secmem_wipe(v, strlen(v));
		unsetenv(vars[i]);
		return r;
	}
	return CK_ERR_NOT_FOUND;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_client *c = arg;
	size_t n = size * nmemb;

	if (n > HTTP_MAX_RESPONSE - c->resp.len) {
		c->resp_overflow = 1;
		return 0;
	}
	if (secbuf_append(&c->resp, data, n) != CK_OK)
		return 0;
	return n;
}

/* API paths are ours, but a path segment may come from a roster or a
 * command line: keep them to what the API uses. */
static int
valid_path(const char *path)
{
	size_t i, len = strlen(path);

	if (len == 0 || len > HTTP_MAX_PATH || path[0] == '/' ||
	    strstr(path, "..") != NULL)
		return 0;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789/_-.", path[i]) == NULL)
			return 0;
	return 1;
}

static int
map_curl_error(const struct http_client *c, CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
		return CK_ERR_UNREACHABLE;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
		return CK_ERR_TLS;
	case CURLE_FILESIZE_EXCEEDED:
		return CK_ERR_TOO_LARGE;
	case CURLE_WRITE_ERROR:
		return c->resp_overflow ? CK_ERR_TOO_LARGE : CK_ERR_ALLOC;
	default:
		return CK_ERR_HTTP;
	}
}

/* The detail, formatted (clipped to HTTP_MAX_DETAIL, on a character
 * boundary: a server's message may be cut by the prefix put before it). */
static void
set_detail(struct http_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	rd_utf8_cut(c->detail);
}

/*
 * Appends one server message to the detail: tabs and newlines (Go's
 * multierror format) become spaces, the text is clipped on a character
 * boundary, and anything still unprintable is replaced wholesale.
 */
static void
add_detail(struct http_client *c, const char *msg)
{
	static const char sep[] = "; ";
	size_t used = strlen(c->detail), room, n, i;
	char *d;

	if (used > 0) {
		if (used + sizeof(sep) > sizeof(c->detail))
			return;
		memcpy(c->detail + used, sep, sizeof(sep));
		used += sizeof(sep) - 1;
	}
	room = sizeof(c->detail) - 1 - used;
	d = c->detail + used;
	n = strlen(msg);
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)msg[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		d[i] = (msg[i] == '\n' || msg[i] == '\t' || msg[i] == '\r') ? ' ' : msg[i];
	d[n] = '\0';
	if (rd_printable_utf8(d, n, 0) != CK_OK)
		snprintf(d, room + 1, "%s", "(unprintable server message)");
}

static int
set_options(struct http_client *c, const char *method, const char *url,
    const void *body, size_t bodylen, struct curl_slist *hdrs)
{
	CURL *h = c->curl;
	int bad = 0;

	curl_easy_reset(h);
	bad |= curl_easy_setopt(h, CURLOPT_URL, url);
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout);
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
	if (c->ca_cert != NULL)
		bad |= curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_cert);
	if (c->ca_path != NULL)
		bad |= curl_easy_setopt(h, CURLOPT_CAPATH, c->ca_path);
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	bad |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)HTTP_MAX_RESPONSE);
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, "conclave-bridge/" CONCLAVE_VERSION);
	bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(method, "GET") == 0)
		bad |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else {
		/* POSTFIELDS borrows the caller's (secmem) body: no copy. */
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(body != NULL ? bodylen : 0));
		bad |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	return bad ? CK_ERR_INTERNAL : CK_OK;
}

/* The Date header of the answer just received (unix seconds), 0 if none
 * or not an HTTP date: bounded and printable before curl_getdate reads it. */
static long long
answer_date(CURL *h)
{
	struct curl_header *hd;
	size_t n;
	time_t t;

	if (curl_easy_header(h, "Date", 0, CURLH_HEADER, -1, &hd) != CURLHE_OK ||
	    (n = strlen(hd->value)) == 0 || n > HTTP_MAX_DATE ||
	    rd_printable_utf8(hd->value, n, 0) != CK_OK ||
	    (t = curl_getdate(hd->value, NULL)) <= 0)
		return 0;
	return (long long)t;
}

/*
 * One exchange with base/v1/path. The body received is in c->resp; *status
 * is the HTTP status. Transport failures are mapped; libcurl's text is in
 * c->errbuf (transport_detail).
 */
static int
perform(struct http_client *c, const char *method, const char *base,
    const char *path, const void *body, size_t bodylen,
    struct curl_slist *hdrs, long *status)
{
	char url[HTTP_MAX_ADDRESS + HTTP_MAX_PATH + 8];
	CURLcode cc;
	int r;

	*status = 0;
	secbuf_free(&c->resp);
	c->resp_overflow = 0;
	c->errbuf[0] = '\0';
	snprintf(url, sizeof(url), "%s/v1/%s", base, path);
	if ((r = set_options(c, method, url, body, bodylen, hdrs)) != CK_OK)
		return r;
	if ((cc = curl_easy_perform(c->curl)) != CURLE_OK) {
		if (c->errbuf[0] == '\0')
			snprintf(c->errbuf, sizeof(c->errbuf), "%s",
			    curl_easy_strerror(cc));
		return map_curl_error(c, cc);
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	c->date = answer_date(c->curl);
	/* The server has acted on a request that changes something: the
	 * resume test's kill point before the bridge records the answer. */
	if (strcmp(method, "GET") != 0)
		file_crash_point();
	return CK_OK;
}

/*
 * An unauthenticated GET of one of node's status endpoints (sys/leader,
 * sys/seal-status) that answers a JSON object: *out on CK_OK.
 */
static int
node_status(struct http_client *c, const char *node, const char *path,
    json_t **out)
{
	struct curl_slist *hdrs;
	long status;
	int r;

	*out = NULL;
	if ((hdrs = curl_slist_append(NULL, "Expect:")) == NULL)
		return CK_ERR_ALLOC;
	r = perform(c, "GET", node, path, NULL, 0, hdrs, &status);
	if (r == CK_OK && status != 200)
		r = CK_ERR_SERVER;
	if (r == CK_OK)
		r = rd_json(c->resp.p, c->resp.len, HTTP_MAX_RESPONSE, out);
	if (r == CK_OK && !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		r = CK_ERR_FORMAT;
	}
	secbuf_free(&c->resp);
	curl_slist_free_all(hdrs);
	return r;
}

/* Whether a 503 comes from a sealed node, asked in the structured way. */
static int
node_is_sealed(struct http_client *c, const char *node)
{
	json_t *j = NULL;
	int sealed;

	if (node_status(c, node, "sys/seal-status", &j) != CK_OK)
		return 0;
	sealed = json_is_true(json_object_get(j, "sealed"));
	json_decref(j);
	return sealed;
}

/*
 * Maps an error status, keeping the server's "errors" as the detail: by
 * status and by what the node says in structured answers, never by the
 * wording of its messages (which differs between servers and versions).
 */
static int
map_status(struct http_client *c, long status, json_t *body)
{
	json_t *errs = json_is_object(body) ? json_object_get(body, "errors") : NULL;
	json_t *e;
	size_t i;

	json_array_foreach(errs, i, e) {
		if (json_is_string(e) && json_string_length(e) > 0)
			add_detail(c, json_string_value(e));
	}
	/* A 5xx names the node and status first: the cause may be another
	 * node's (a standby forwarding to an active node that fails). */
	if (status >= 500) {
		char msg[sizeof(c->detail)];

		memcpy(msg, c->detail, sizeof(msg));
		set_detail(c, "%s answered HTTP %ld%s%s", c->node, status,
		    msg[0] != '\0' ? ": " : "", msg);
	}
	if (c->detail[0] == '\0')
		snprintf(c->detail, sizeof(c->detail), "HTTP status %ld", status);
	switch (status) {
	case 503:
		return node_is_sealed(c, c->node) ? CK_ERR_SEALED : CK_ERR_UNAVAILABLE;
	case 405:
		return CK_ERR_DISABLED_ENDPOINT;
	case 404:
		return CK_ERR_NO_ENDPOINT;
	case 403:
		return CK_ERR_PERMISSION_DENIED;
	default:
		return CK_ERR_SERVER;
	}
}

static int
build_headers(const struct http_client *c, int has_body, struct curl_slist **out)
{
	struct curl_slist *l = NULL, *n;

	*out = NULL;
	/* No "Expect: 100-continue" round trip for larger bodies. */
	if ((l = curl_slist_append(l, "Expect:")) == NULL)
		return CK_ERR_ALLOC;
	if (has_body && (n = curl_slist_append(l, "Content-Type: application/json")) != NULL)
		l = n;
	else if (has_body)
		goto fail;
	if (c->no_forwarding) {
		if ((n = curl_slist_append(l, NO_FORWARD_HEADER)) == NULL)
			goto fail;
		l = n;
	}
	if (c->ns_header[0] != '\0') {
		if ((n = curl_slist_append(l, c->ns_header)) == NULL)
			goto fail;
		l = n;
	}
	if (c->token_header != NULL) {
		if ((n = curl_slist_append(l, c->token_header)) == NULL)
			goto fail;
		l = n;
	}
	*out = l;
	return CK_OK;
fail:
	curl_slist_free_all(l);
	return CK_ERR_ALLOC;
}

/* The redirect is refused: the detail says why, nothing is sent there. */
static int
refuse_redirect(struct http_client *c, const char *from, const char *to,
    const char *why)
{
	set_detail(c, "%s redirected to %s: %s", from, to, why);
	if (rd_printable_utf8(c->detail, strlen(c->detail), 0) != CK_OK)
		set_detail(c, "%s redirected to an unprintable address: refused",
		    from);
	return CK_ERR_REDIRECT;
}

/*
 * The target of a 307/308 from node `from` for /v1/path, into next (an API
 * base), if the rules of http_client_new allow it.
 */
static int
redirect_target(struct http_client *c, const char *from, const char *path,
    char next[HTTP_MAX_ADDRESS + 1])
{
	char loc[HTTP_MAX_ADDRESS + HTTP_MAX_PATH + 8], base[HTTP_MAX_ADDRESS + 1];
	char leader[HTTP_MAX_ADDRESS + 1];
	const char *l = NULL, *hostpart, *slash, *ls;
	json_t *j = NULL;
	size_t i, scheme;
	int r;

	if (curl_easy_getinfo(c->curl, CURLINFO_REDIRECT_URL, &l) != CURLE_OK ||
	    l == NULL)
		return refuse_redirect(c, from, "(no Location)", "refused");
	if (strlen(l) >= sizeof(loc))
		return refuse_redirect(c, from, "(an overlong Location)", "refused");
	/* Copied: the leader lookup below reuses the handle. */
	memcpy(loc, l, strlen(l) + 1);
	scheme = strstr(c->address, "://") - c->address + 3;
	if (strncmp(loc, c->address, scheme) != 0)
		return refuse_redirect(c, from, loc, "another scheme: refused");
	hostpart = loc + scheme;
	if ((slash = strchr(hostpart, '/')) == NULL ||
	    (size_t)(slash - loc) > HTTP_MAX_ADDRESS ||
	    strncmp(slash, "/v1/", 4) != 0 || strcmp(slash + 4, path) != 0)
		return refuse_redirect(c, from, loc, "not the same request: refused");
	memcpy(base, loc, (size_t)(slash - loc));
	base[slash - loc] = '\0';
	if (normalise_address(base, next) != CK_OK)
		return refuse_redirect(c, from, loc, "not an API address: refused");
	if (strcmp(next, c->address) == 0 || strcmp(next, c->start) == 0)
		return CK_OK;
	for (i = 0; i < c->nmembers; i++)
		if (strcmp(next, c->members[i]) == 0)
			return CK_OK;
	/* Not named by the operator: the active node the redirecting node
	 * itself announces is the one other target. */
	if ((r = node_status(c, from, "sys/leader", &j)) == CK_OK) {
		ls = json_string_value(json_object_get(j, "leader_address"));
		r = ls != NULL && normalise_address(ls, leader) == CK_OK &&
		    strcmp(leader, next) == 0 ? CK_OK : CK_ERR_REDIRECT;
	}
	json_decref(j);
	if (r != CK_OK)
		return refuse_redirect(c, from, next, "neither a member named with "
		    "--address nor the active node it announces: refused");
	return CK_OK;
}

int
http_request(struct http_client *c, const char *method, const char *path,
    const void *body, size_t bodylen, long *status, json_t **out)
{
	struct curl_slist *hdrs = NULL;
	char from[HTTP_MAX_ADDRESS + 1];
	json_t *j = NULL;
	unsigned hops;
	int r = CK_ERR_INTERNAL;

	*out = NULL;
	*status = 0;
	c->detail[0] = '\0';
	if (!valid_path(path) || (strcmp(method, "GET") != 0 &&
	    strcmp(method, "PUT") != 0 && strcmp(method, "POST") != 0 &&
	    strcmp(method, "DELETE") != 0))
		return CK_ERR_INVALID_ARG;
	if (c->curl == NULL && (c->curl = curl_easy_init()) == NULL)
		return CK_ERR_ALLOC;
	if ((r = build_headers(c, body != NULL, &hdrs)) != CK_OK)
		goto out;
	memcpy(c->node, c->start, sizeof(c->node));
	for (hops = 0;; hops++) {
		if ((r = perform(c, method, c->node, path, body, bodylen, hdrs,
		    status)) != CK_OK) {
			add_detail(c, c->errbuf);
			goto out;
		}
		if (*status != 307 && *status != 308)
			break;
		if (hops == HTTP_MAX_REDIRECTS) {
			set_detail(c, "more than %d redirects (the last from %s)",
			    HTTP_MAX_REDIRECTS, c->node);
			r = CK_ERR_REDIRECT;
			goto out;
		}
		memcpy(from, c->node, sizeof(from));
		if ((r = redirect_target(c, from, path, c->node)) != CK_OK) {
			memcpy(c->node, from, sizeof(c->node));
			goto out;
		}
	}
	if (c->resp.len > 0) {
		r = rd_json(c->resp.p, c->resp.len, HTTP_MAX_RESPONSE, &j);
		/* An error page from a proxy need not be JSON: keep the status. */
		if (r != CK_OK && *status < 400)
			goto out;
	}
	secbuf_free(&c->resp);
	if (*status < 200 || *status >= 300) {
		r = *status >= 400 ? map_status(c, *status, j) : CK_ERR_SERVER;
		if (r == CK_ERR_SERVER && c->detail[0] == '\0')
			snprintf(c->detail, sizeof(c->detail), "HTTP status %ld", *status);
		goto out;
	}
	*out = j;
	j = NULL;
	r = CK_OK;
out:
	json_decref(j);
	curl_slist_free_all(hdrs);
	secbuf_free(&c->resp);
	return r;
}

int
http_use_active_node(struct http_client *c, int *moved)
{
	char leader[HTTP_MAX_ADDRESS + 1];
	json_t *j = NULL;
	const char *ls;
	size_t scheme;
	int r;

	*moved = 0;
	c->detail[0] = '\0';
	if (c->curl == NULL && (c->curl = curl_easy_init()) == NULL)
		return CK_ERR_ALLOC;
	if ((r = node_status(c, c->address, "sys/leader", &j)) != CK_OK) {
		set_detail(c, "%s: sys/leader: %s", c->address, c->errbuf);
		goto out;
	}
	r = CK_OK;
	/* Not in an HA cluster, or the active node itself. */
	if (!json_is_true(json_object_get(j, "ha_enabled")) ||
	    json_is_true(json_object_get(j, "is_self")))
		goto out;
	ls = json_string_value(json_object_get(j, "leader_address"));
	if (ls == NULL || ls[0] == '\0') {
		set_detail(c, "%s is a standby and knows no active node", c->address);
		r = CK_ERR_UNAVAILABLE;
		goto out;
	}
	scheme = strstr(c->address, "://") - c->address + 3;
	if (normalise_address(ls, leader) != CK_OK ||
	    strncmp(leader, c->address, scheme) != 0) {
		r = refuse_redirect(c, c->address, ls, "another scheme or not an "
		    "API address: refused");
		goto out;
	}
	memcpy(c->start, leader, sizeof(c->start));
	memcpy(c->node, leader, sizeof(c->node));
	*moved = 1;
out:
	json_decref(j);
	return r;
}

int
http_request_json(struct http_client *c, const char *method, const char *path,
    const json_t *body, long *status, json_t **out)
{
	char *buf = NULL;
	size_t len;
	int r = CK_ERR_INTERNAL;

	*out = NULL;
	*status = 0;
	if (!json_is_object(body))
		return CK_ERR_INVALID_ARG;
	/* Sized first, then written into our own buffer, so nothing from
	 * jansson's allocator has to be freed here. */
	if ((len = json_dumpb(body, NULL, 0, JSON_COMPACT)) == 0)
		return CK_ERR_INVALID_ARG;
	if ((buf = malloc(len)) == NULL)
		return CK_ERR_ALLOC;
	if (json_dumpb(body, buf, len, JSON_COMPACT) == len)
		r = http_request(c, method, path, buf, len, status, out);
	secmem_wipe(buf, len);
	free(buf);
	return r;
}

json_t *
http_body_data(json_t *body)
{
	json_t *d;

	if (!json_is_object(body))
		return NULL;
	/* The logical envelope always carries request_id next to data. */
	if (json_object_get(body, "request_id") == NULL)
		return body;
	d = json_object_get(body, "data");
	return json_is_object(d) ? d : NULL;
}
