/*
 * Limits: at most OPTS_MAX_ADDRESSES addresses, each at most
 * HTTP_MAX_ADDRESS bytes (checked again by http_client_new).
 */
#include "bridge/opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/errors.h"
#include "media/tty.h"

void
opts_init(struct bridge_opts *o, const char *cmd)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->format = OPTS_FORMAT_TABLE;
	o->stall_s = QRS_STALL_SECONDS;
}

/* Adds each comma-separated address of list. */
static int
add_addresses(struct bridge_opts *o, const char *list)
{
	const char *p = list, *end;
	size_t len;

	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len > HTTP_MAX_ADDRESS ||
		    o->naddresses == OPTS_MAX_ADDRESSES)
			return CK_ERR_INVALID_ARG;
		if ((o->addresses[o->naddresses] = strndup(p, len)) == NULL)
			return CK_ERR_ALLOC;
		o->naddresses++;
		if (end == NULL)
			return CK_OK;
		p = end + 1;
	}
}

int
opts_handle(struct bridge_opts *o, int opt, const char *arg)
{
	unsigned long long v;

	switch (opt) {
	case OPTS_ADDRESS:
		return add_addresses(o, arg);
	case OPTS_CA_CERT:
		o->ca_cert = arg;
		return CK_OK;
	case OPTS_CA_PATH:
		o->ca_path = arg;
		return CK_OK;
	case OPTS_NAMESPACE:
		o->namespace = arg;
		return CK_OK;
	case OPTS_TOKEN_FILE:
		o->token_file = arg;
		return CK_OK;
	case OPTS_NO_FORWARDING:
		o->no_forwarding = 1;
		return CK_OK;
	case OPTS_EXCHANGE:
		o->exchange = arg;
		return CK_OK;
	case OPTS_INSECURE:
		o->insecure = 1;
		return CK_OK;
	case OPTS_HELP:
		o->help = 1;
		return CK_OK;
	case OPTS_CAMERA:
		o->camera = arg;
		return CK_OK;
	case OPTS_CAMERA_FRAMES:
		o->camera_frames = arg;
		return CK_OK;
	case OPTS_PNG_DIR:
		o->png_dir = arg;
		return CK_OK;
	case OPTS_QR_SHOW:
		o->qr_show = 1;
		return CK_OK;
	case OPTS_STALL:
		if (rd_parse_uint(arg, 1, OPTS_MAX_STALL, &v) != CK_OK)
			return CK_ERR_INVALID_ARG;
		o->stall_s = (unsigned)v;
		return CK_OK;
	case OPTS_FORMAT:
		if (strcmp(arg, "table") == 0)
			o->format = OPTS_FORMAT_TABLE;
		else if (strcmp(arg, "json") == 0)
			o->format = OPTS_FORMAT_JSON;
		else
			return CK_ERR_INVALID_ARG;
		return CK_OK;
	default:
		return CK_ERR_NOT_FOUND;
	}
}

/* The first of two environment variables that is set and not empty. */
static const char *
env2(const char *a, const char *b)
{
	const char *v;

	if ((v = getenv(a)) != NULL && *v != '\0')
		return v;
	if ((v = getenv(b)) != NULL && *v != '\0')
		return v;
	return NULL;
}

int
opts_finish(struct bridge_opts *o)
{
	const char *addr;

	if (o->naddresses == 0) {
		addr = env2("VAULT_ADDR", "BAO_ADDR");
		if (add_addresses(o, addr != NULL ? addr : OPTS_DEFAULT_ADDRESS) != CK_OK)
			return CK_ERR_INVALID_ARG;
	}
	if (o->ca_cert == NULL)
		o->ca_cert = env2("VAULT_CACERT", "BAO_CACERT");
	if (o->ca_path == NULL)
		o->ca_path = env2("VAULT_CAPATH", "BAO_CAPATH");
	if (o->namespace == NULL)
		o->namespace = env2("VAULT_NAMESPACE", "BAO_NAMESPACE");
	return CK_OK;
}

/* Every address may be a redirect target of the others. */
_Static_assert(OPTS_MAX_ADDRESSES <= HTTP_MAX_MEMBERS, "members fit the client");

int
opts_client(const struct bridge_opts *o, size_t i, struct http_client **out)
{
	struct http_config cfg = {
		.ca_cert = o->ca_cert,
		.ca_path = o->ca_path,
		.namespace = o->namespace,
		.insecure = o->insecure,
		.no_forwarding = o->no_forwarding,
		.members = (const char *const *)o->addresses,
		.nmembers = o->naddresses,
	};

	*out = NULL;
	if (i >= o->naddresses)
		return CK_ERR_INVALID_ARG;
	cfg.address = o->addresses[i];
	return http_client_new(&cfg, out);
}

int
opts_status_client(const struct bridge_opts *o, struct http_client **out)
{
	int r;

	if ((r = opts_client(o, 0, out)) != CK_OK)
		return r;
	r = http_load_token(*out, o->token_file);
	if (r != CK_OK && r != CK_ERR_NOT_FOUND) {
		http_client_free(*out);
		*out = NULL;
		return r;
	}
	return CK_OK;
}

void
opts_warn(const struct bridge_opts *o, FILE *f)
{
	if (!o->insecure)
		return;
	fprintf(f,
	    "************************************************************\n"
	    "WARNING: --insecure-skip-verify: the server's TLS certificate is\n"
	    "NOT verified. Anyone on the network path can impersonate the\n"
	    "server and read every share and token sent to it. Never use\n"
	    "this in a real ceremony.\n"
	    "************************************************************\n");
}

void
opts_free(struct bridge_opts *o)
{
	size_t i;

	for (i = 0; i < o->naddresses; i++)
		free(o->addresses[i]);
	o->naddresses = 0;
}

int
opts_fail(const char *cmd, const char *what, int err, const char *detail)
{
	char *line = NULL;

	/* Within 80 columns: the error's name and the remedy stay readable. */
	if (asprintf(&line, "conclave-bridge %s: %s: %s (%s)%s%s", cmd, what,
	    ck_strerror(err), ck_errname(err),
	    detail != NULL && detail[0] != '\0' ? ": " : "",
	    detail != NULL ? detail : "") < 0)
		line = NULL;
	tty_printw(stderr, "%s\n", line != NULL ? line : ck_errname(err));
	free(line);
	return 1;
}

int
opts_done_exchange(struct bridge_opts *o, int next, int argc)
{
	if (o->help)
		return 1;
	if (next != argc || opts_finish(o) != CK_OK || o->exchange == NULL ||
	    (o->camera != NULL && o->camera_frames != NULL))
		return 2;
	return 0;
}
