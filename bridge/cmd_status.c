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

/* The table's columns; a node's row is its cells in this order. */
enum { COL_ADDRESS, COL_TYPE, COL_INIT, COL_SEALED, COL_TN, COL_PROGRESS,
    COL_VERSION, COL_CLUSTER, NCOLS };
static const char *const heads[NCOLS] = { "ADDRESS", "TYPE", "INIT",
    "SEALED", "T/N", "PROGRESS", "VERSION", "CLUSTER" };

struct row {
	const char *cell[NCOLS];
	size_t ncells;		/* NCOLS, or 2 for a node that did not answer */
	/* "error: " and a ck_strerror, for a node that did not answer */
	char tn[16], progress[8], error[160];
};

static void
row_of(const struct node *nd, struct row *r)
{
	r->cell[COL_ADDRESS] = nd->address;
	if (nd->err != CK_OK) {
		snprintf(r->error, sizeof(r->error), "error: %s",
		    ck_strerror(nd->err));
		r->cell[1] = r->error;
		r->ncells = 2;
		return;
	}
	snprintf(r->tn, sizeof(r->tn), "%u/%u", nd->st.t, nd->st.n);
	snprintf(r->progress, sizeof(r->progress), "%u", nd->st.progress);
	r->cell[COL_TYPE] = nd->st.type;
	r->cell[COL_INIT] = yesno(nd->st.initialized);
	r->cell[COL_SEALED] = yesno(nd->st.sealed);
	r->cell[COL_TN] = r->tn;
	r->cell[COL_PROGRESS] = r->progress;
	r->cell[COL_VERSION] = nd->st.version;
	r->cell[COL_CLUSTER] = nd->st.cluster_name[0] != '\0' ?
	    nd->st.cluster_name : "-";
	r->ncells = NCOLS;
}

/* One row, each cell but the last padded to its column's width. */
static void
print_row(const char *const cell[], size_t ncells, const size_t width[])
{
	size_t i;

	for (i = 0; i < ncells; i++)
		printf("%s%*s", cell[i], i + 1 < ncells ?
		    (int)(width[i] - tty_cols(cell[i]) + 1) : 0, "");
	putchar('\n');
}

/* A node as a block: its address, then its cells in prose, each line
 * wrapped by tty_printw. */
static void
print_block(const struct node *nd, const struct row *r)
{
	tty_printw(stdout, "%s\n", nd->address);
	if (r->ncells != NCOLS) {
		tty_printw(stdout, "  %s\n", r->error);
		return;
	}
	tty_printw(stdout, "  type %s, initialized %s, sealed %s, t/n %s,"
	    " progress %s\n  version %s, cluster %s\n", r->cell[COL_TYPE],
	    r->cell[COL_INIT], r->cell[COL_SEALED], r->tn, r->progress,
	    r->cell[COL_VERSION], r->cell[COL_CLUSTER]);
}

/*
 * Each column as wide as its widest cell: the table when every row fits
 * TTY_COLS, otherwise (long addresses, cluster names or versions) a block
 * per node, wrapped within TTY_COLS: no value is ever cut.
 */
static void
print_table(const struct node *nodes, size_t n)
{
	struct row rows[OPTS_MAX_ADDRESSES];
	size_t width[NCOLS], total = NCOLS - 1, widest = 0, i, c;

	for (c = 0; c < NCOLS; c++)
		width[c] = tty_cols(heads[c]);
	for (i = 0; i < n; i++) {
		row_of(&nodes[i], &rows[i]);
		for (c = 0; c < rows[i].ncells; c++) {
			/* An error spans the columns after the address. */
			size_t *w = rows[i].ncells == NCOLS ||
			    c == COL_ADDRESS ? &width[c] : &widest;

			if (tty_cols(rows[i].cell[c]) > *w)
				*w = tty_cols(rows[i].cell[c]);
		}
	}
	for (c = 0; c < NCOLS; c++)
		total += width[c];
	if (total <= TTY_COLS && width[COL_ADDRESS] + 1 + widest <= TTY_COLS) {
		print_row(heads, NCOLS, width);
		for (i = 0; i < n; i++)
			print_row(rows[i].cell, rows[i].ncells, width);
		return;
	}
	for (i = 0; i < n; i++)
		print_block(&nodes[i], &rows[i]);
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
