#include "bridge/cmd_status.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "bridge/opts.h"
#include "client/vault.h"
#include "crypto/errors.h"
#include "media/tty.h"

/* One node's answer, or why there is none. */
struct node {
	const char *address;
	int err;
	char detail[HTTP_MAX_DETAIL + 1];
	struct vault_seal_status st;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: conclave-bridge status [OPTIONS]\n"
	    "\n"
	    "Shows the seal status of each node: seal type, initialised, sealed,\n"
	    "threshold/shares, unseal progress, version and cluster. Exits 1 if any\n"
	    "node cannot be reached or answers with an error.\n"
	    "\n"
	    "Options:\n"
	    OPTS_HELP_TEXT);
}

static void
query(const struct bridge_opts *o, size_t i, struct node *nd)
{
	struct http_client *c = NULL;

	memset(nd, 0, sizeof(*nd));
	nd->address = o->addresses[i];
	if ((nd->err = opts_client(o, i, &c)) != CK_OK) {
		if (nd->err == CK_ERR_INVALID_ARG)
			snprintf(nd->detail, sizeof(nd->detail),
			    "not an http:// or https:// address, or a bad namespace");
		return;
	}
	nd->err = vault_seal_status(c, &nd->st);
	snprintf(nd->detail, sizeof(nd->detail), "%s", http_error_detail(c));
	http_client_free(c);
}

static void
print_error(const struct node *nd)
{
	tty_printw(stderr, "conclave-bridge: status: %s: %s%s%s\n", nd->address,
	    ck_strerror(nd->err), nd->detail[0] != '\0' ? ": " : "", nd->detail);
}

static const char *
yesno(int v)
{
	return v ? "yes" : "no";
}

static void
print_table(const struct node *nodes, size_t n)
{
	size_t i;

	printf("%-28s %-8s %-5s %-6s %-7s %-8s %-10s %s\n", "ADDRESS", "TYPE",
	    "INIT", "SEALED", "T/N", "PROGRESS", "VERSION", "CLUSTER");
	for (i = 0; i < n; i++) {
		const struct node *nd = &nodes[i];
		char tn[16];

		if (nd->err != CK_OK) {
			printf("%-28s error: %s\n", nd->address, ck_strerror(nd->err));
			continue;
		}
		snprintf(tn, sizeof(tn), "%u/%u", nd->st.t, nd->st.n);
		printf("%-28s %-8s %-5s %-6s %-7s %-8u %-10s %s\n", nd->address,
		    nd->st.type, yesno(nd->st.initialized), yesno(nd->st.sealed), tn,
		    nd->st.progress, nd->st.version,
		    nd->st.cluster_name[0] != '\0' ? nd->st.cluster_name : "-");
	}
}

static json_t *
node_json(const struct node *nd)
{
	const struct vault_seal_status *s = &nd->st;

	if (nd->err != CK_OK)
		return json_pack("{s:s, s:s, s:s, s:s}", "address", nd->address,
		    "error", ck_errname(nd->err), "message", ck_strerror(nd->err),
		    "detail", nd->detail);
	return json_pack("{s:s, s:s, s:b, s:b, s:i, s:i, s:i, s:s, s:s, s:s, s:s,"
	    " s:s, s:b, s:s}",
	    "address", nd->address, "type", s->type,
	    "initialized", s->initialized, "sealed", s->sealed,
	    "t", (int)s->t, "n", (int)s->n, "progress", (int)s->progress,
	    "nonce", s->nonce, "version", s->version, "build_date", s->build_date,
	    "cluster_name", s->cluster_name, "cluster_id", s->cluster_id,
	    "recovery_seal", s->recovery_seal, "storage_type", s->storage_type);
}

static int
print_json(const struct node *nodes, size_t n)
{
	json_t *arr, *e;
	size_t i;
	int r = -1;

	if ((arr = json_array()) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if ((e = node_json(&nodes[i])) == NULL || json_array_append_new(arr, e) != 0)
			goto out;
	if (json_dumpf(arr, stdout, JSON_INDENT(2)) != 0)
		goto out;
	putchar('\n');
	r = 0;
out:
	json_decref(arr);
	return r;
}

int
status_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		OPTS_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct node nodes[OPTS_MAX_ADDRESSES];
	struct bridge_opts o;
	size_t i;
	int ch, e, rc = 2;

	opts_init(&o, "status");
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if ((e = opts_handle(&o, ch, optarg)) == CK_OK)
			continue;
		if (e == CK_ERR_INVALID_ARG)
			tty_printw(stderr,
			    "conclave-bridge: status: bad value for an option"
			    " (format is table or json; at most %d addresses)\n",
			    OPTS_MAX_ADDRESSES);
		usage(stderr);
		goto out;
	}
	if (o.help) {
		usage(stdout);
		rc = 0;
		goto out;
	}
	if (optind != argc || opts_finish(&o) != CK_OK) {
		usage(stderr);
		goto out;
	}
	opts_warn(&o, stderr);
	rc = 0;
	for (i = 0; i < o.naddresses; i++) {
		query(&o, i, &nodes[i]);
		if (nodes[i].err != CK_OK) {
			print_error(&nodes[i]);
			rc = 1;
		}
	}
	if (o.format == OPTS_FORMAT_JSON) {
		if (print_json(nodes, o.naddresses) != 0)
			rc = 1;
	} else
		print_table(nodes, o.naddresses);
out:
	opts_free(&o);
	return rc;
}
