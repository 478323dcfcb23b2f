/*
 * The bridge's common command-line flags, shared by every command:
 *   --address A        server address; repeatable and/or comma-separated
 *   --ca-cert FILE     PEM CA bundle to trust
 *   --ca-path DIR      directory of hashed CA certificates
 *   --namespace NS     X-Vault-Namespace
 *   --token-file FILE  read the token from FILE instead of VAULT_TOKEN
 *   --format F         "table" (default) or "json"
 *   --exchange DIR     the exchange folder (USB stick) for envelopes
 *   --insecure-skip-verify  no TLS verification (warned about loudly)
 *   --no-forwarding    standbys redirect instead of forwarding
 * Environment defaults, as the vault CLI: VAULT_ADDR/BAO_ADDR,
 * VAULT_CACERT/BAO_CACERT, VAULT_CAPATH/BAO_CAPATH,
 * VAULT_NAMESPACE/BAO_NAMESPACE. VAULT_SKIP_VERIFY is deliberately not
 * honoured: turning verification off takes the explicit flag.
 *
 * A command builds its getopt_long table with OPTS_LONGOPTS, passes every
 * option to opts_handle() first, and calls opts_finish() after the loop.
 */
#ifndef CONCLAVE_BRIDGE_OPTS_H
#define CONCLAVE_BRIDGE_OPTS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "client/http.h"
#include "crypto/reader.h"
#include "media/qrstream.h"

/* --stall upper bound, seconds (as qr-scan's) */
#define OPTS_MAX_STALL		3600
/* Most nodes one command talks to (a Raft cluster is typically 3 or 5). */
#define OPTS_MAX_ADDRESSES	16
/* What the vault CLI assumes when nothing is set. */
#define OPTS_DEFAULT_ADDRESS	"https://127.0.0.1:8200"

enum opts_format {
	OPTS_FORMAT_TABLE,
	OPTS_FORMAT_JSON,
};

enum {
	OPTS_ADDRESS = 0x100,
	OPTS_CA_CERT,
	OPTS_CA_PATH,
	OPTS_NAMESPACE,
	OPTS_TOKEN_FILE,
	OPTS_FORMAT,
	OPTS_EXCHANGE,
	OPTS_INSECURE,
	OPTS_NO_FORWARDING,
	OPTS_HELP,
	OPTS_CAMERA,
	OPTS_CAMERA_FRAMES,
	OPTS_STALL,
	OPTS_PNG_DIR,
	OPTS_QR_SHOW,
};

#define OPTS_LONGOPTS \
	{ "address", required_argument, NULL, OPTS_ADDRESS }, \
	{ "ca-cert", required_argument, NULL, OPTS_CA_CERT }, \
	{ "ca-path", required_argument, NULL, OPTS_CA_PATH }, \
	{ "namespace", required_argument, NULL, OPTS_NAMESPACE }, \
	{ "token-file", required_argument, NULL, OPTS_TOKEN_FILE }, \
	{ "format", required_argument, NULL, OPTS_FORMAT }, \
	{ "exchange", required_argument, NULL, OPTS_EXCHANGE }, \
	{ "insecure-skip-verify", no_argument, NULL, OPTS_INSECURE }, \
	{ "no-forwarding", no_argument, NULL, OPTS_NO_FORWARDING }, \
	{ "help", no_argument, NULL, OPTS_HELP }

/*
 * The optical crossing, for the ceremony commands (docs/qr.md, "The
 * bridge's ceremony commands"): the appliance's envelopes scanned from a
 * camera, the bridge's shown on this terminal or written as PNG codes.
 * The exchange folder keeps every envelope either way (the record).
 */
#define OPTS_QR_LONGOPTS \
	{ "camera", required_argument, NULL, OPTS_CAMERA }, \
	{ "camera-frames", required_argument, NULL, OPTS_CAMERA_FRAMES }, \
	{ "stall", required_argument, NULL, OPTS_STALL }, \
	{ "png-dir", required_argument, NULL, OPTS_PNG_DIR }, \
	{ "qr-show", no_argument, NULL, OPTS_QR_SHOW }

#define OPTS_QR_HELP_TEXT \
	"\nQR codes instead of the exchange stick (the folder keeps a copy of each):\n" \
	"  --camera DEVICE      scan the appliance's envelopes with this V4L2 camera\n" \
	"                       (e.g. /dev/video0), progress on stderr\n" \
	"  --camera-frames DIR  the same from PNG images in DIR (photos of the\n" \
	"                       codes, or a camera's recorded frames), read round\n" \
	"                       and round, new files joining each round\n" \
	"  --stall S            stop a scan after S seconds without a new fragment\n" \
	"                       and offer the exchange folder (default " \
	QRS_STR(QRS_STALL_SECONDS) ")\n" \
	"  --qr-show            show each envelope of the bridge as animated QR\n" \
	"                       codes on this terminal until Enter is pressed\n" \
	"  --png-dir DIR        write each envelope of the bridge as QR codes,\n" \
	"                       DIR/NNNNNN-TYPE/qr-0000.png, ...\n"

/* The common part of every command's --help. */
#define OPTS_HELP_TEXT \
	"  --address A          server address (repeatable, or A,B,C);\n" \
	"                       default $VAULT_ADDR, $BAO_ADDR, " OPTS_DEFAULT_ADDRESS ".\n" \
	"                       A standby's redirect is followed to the active\n" \
	"                       node it announces or to another address given\n" \
	"                       here, same scheme and CA only\n" \
	"  --ca-cert FILE       trust this PEM CA bundle (default $VAULT_CACERT)\n" \
	"  --ca-path DIR        trust this CA directory (default $VAULT_CAPATH)\n" \
	"  --namespace NS       X-Vault-Namespace (default $VAULT_NAMESPACE)\n" \
	"  --token-file FILE    read the token from FILE (default $VAULT_TOKEN)\n" \
	"  --format table|json  output format (default table)\n" \
	"  --exchange DIR       exchange folder for envelopes\n" \
	"  --insecure-skip-verify\n" \
	"                       do NOT verify the server's TLS certificate\n" \
	"  --no-forwarding      ask standbys to redirect to the active node instead\n" \
	"                       of forwarding (when nodes cannot reach each\n" \
	"                       other's cluster port)\n" \
	"  --help               this text\n"

struct bridge_opts {
	const char *cmd;		/* the command, for messages */
	char *addresses[OPTS_MAX_ADDRESSES];	/* owned copies */
	size_t naddresses;
	const char *ca_cert;		/* borrowed from argv or the environment */
	const char *ca_path;
	const char *namespace;
	const char *token_file;
	const char *exchange;
	enum opts_format format;
	int insecure;
	int no_forwarding;
	int help;
	/* the QR crossing (OPTS_QR_LONGOPTS); borrowed from argv */
	const char *camera;		/* a V4L2 device */
	const char *camera_frames;	/* or a folder of PNG frames */
	const char *png_dir;
	unsigned stall_s;
	int qr_show;
};

/* Zeroes *o (table format, no addresses, the default stall) for command cmd. */
void opts_init(struct bridge_opts *o, const char *cmd);

/*
 * Takes one getopt_long result. CK_OK if it was a common option,
 * CK_ERR_NOT_FOUND if it is not one (the command's own, or '?'),
 * CK_ERR_INVALID_ARG for a bad value (unknown format, empty or too many
 * addresses), CK_ERR_ALLOC.
 */
int opts_handle(struct bridge_opts *o, int opt, const char *arg) CK_WUR;

/* Applies the environment defaults; CK_ERR_INVALID_ARG if an address from
 * the environment is unusable. */
int opts_finish(struct bridge_opts *o) CK_WUR;

/* A client for addresses[i] with the TLS, namespace and forwarding
 * settings; the other addresses are the cluster members it may be
 * redirected to. */
int opts_client(const struct bridge_opts *o, size_t i, struct http_client **out)
    CK_WUR;

/*
 * A second client for addresses[0], with the token (--token-file or
 * VAULT_TOKEN) when there is one: for reading an attempt's status after a
 * refusal, so the refusing client keeps the server's words for the report.
 */
int opts_status_client(const struct bridge_opts *o, struct http_client **out)
    CK_WUR;

/*
 * Prints the loud warning for --insecure-skip-verify to f, if it was given.
 * Front ends call it once before talking to any server.
 */
/*
 * The end of a ceremony command's getopt loop: 1 for --help, 2 for a
 * usage error (operands left over, a bad common option, no --exchange,
 * both --camera and --camera-frames), else 0 with opts_finish() done.
 */
int opts_done_exchange(struct bridge_opts *o, int next, int argc);

void opts_warn(const struct bridge_opts *o, FILE *f);

/*
 * "conclave-bridge CMD: what: error (CK_ERR_...): detail" on stderr;
 * returns 1 (the commands' exit status for a refusal).
 */
int opts_fail(const char *cmd, const char *what, int err, const char *detail);

void opts_free(struct bridge_opts *o);

#endif
