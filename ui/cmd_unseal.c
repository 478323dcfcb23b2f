/*
 * `conclave unseal`: exit 0 on success, 1 when the step was refused (the
 * reason is printed and, where a ceremony exists, recorded in its
 * transcript), 2 on a usage error, 3 when `result` leaves nodes sealed.
 */
#include "ui/cmd_unseal.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony/unseal.h"
#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/pgp.h"
#include "crypto/secmem.h"
#include "crypto/words.h"
#include "media/file.h"
#include "media/tty.h"
#include "ui/cmd_init.h"

struct unseal_args {
	const char *state;
	const char *exchange;
	const char *previous;
	const char *confirm;
	const char *witness;
	const char *holder;
	const char *share_file;
	const char *secret_key;
	const char *gnupg_base;
	int passphrase_fd;
};

enum {
	OPT_STATE = 0x100, OPT_EXCHANGE, OPT_PREVIOUS, OPT_CONFIRM, OPT_WITNESS,
	OPT_HOLDER, OPT_SHARE_FILE, OPT_SECRET_KEY, OPT_PASSPHRASE_FD,
	OPT_GNUPG_BASE, OPT_HELP,
};

static const struct option longopts[] = {
	{ "state", required_argument, NULL, OPT_STATE },
	{ "exchange", required_argument, NULL, OPT_EXCHANGE },
	{ "previous-transcript", required_argument, NULL, OPT_PREVIOUS },
	{ "confirm-sas", required_argument, NULL, OPT_CONFIRM },
	{ "witness", required_argument, NULL, OPT_WITNESS },
	{ "holder", required_argument, NULL, OPT_HOLDER },
	{ "share-file", required_argument, NULL, OPT_SHARE_FILE },
	{ "secret-key", required_argument, NULL, OPT_SECRET_KEY },
	{ "passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD },
	{ "gnupg-base", required_argument, NULL, OPT_GNUPG_BASE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
    "usage: conclave unseal begin --state DIR --exchange DIR\n"
    "                             [--previous-transcript FILE]\n"
    "       conclave unseal accept --state DIR [--confirm-sas \"W1 W2 W3 W4 W5\"]\n"
    "                             [--witness NAME]\n"
    "       conclave unseal share --state DIR --holder NAME --share-file FILE\n"
    "                             [--secret-key FILE] [--passphrase-fd N]\n"
    "       conclave unseal submit --state DIR\n"
    "       conclave unseal result --state DIR\n"
    "       conclave unseal retry --state DIR\n"
    "       conclave unseal abandon --state DIR\n"
    "       conclave unseal status --state DIR\n"
    "\n"
    "The appliance's side of unsealing every node of a cluster with one quorum:\n"
    "  begin    a fresh ceremony key and the unseal request (signed) in the\n"
    "           exchange folder, for conclave-bridge unseal.\n"
    "  accept   read the bridge's session offer (its session key, the nodes\n"
    "           and their seal status, the threshold) and show the 5 words of\n"
    "           the short authentication string. Both screens must show the\n"
    "           same words: a witness compares them and the step is run again\n"
    "           with --confirm-sas \"the five words\". Different words are\n"
    "           refused (CK_ERR_SAS_MISMATCH) and recorded; nothing is ever\n"
    "           sealed to an unconfirmed bridge.\n"
    "  share    one holder: their encrypted share (the .gpg file from their\n"
    "           stick) is decrypted here with their key (--secret-key FILE, else\n"
    "           a smartcard; passphrase or PIN asked on the terminal or read\n"
    "           from --passphrase-fd), checked, sealed to the bridge session\n"
    "           and wiped. The same holder or the same share twice is refused.\n"
    "  submit   the threshold's worth of sealed shares in one share submission.\n"
    "  result   read the bridge's per-node results; when every node is unsealed\n"
    "           the transcript is closed and signed.\n"
    "  retry    nodes still sealed (unreachable, died mid-unseal): the same\n"
    "           bridge session, still running, tries them again with the\n"
    "           shares it holds in locked memory; then `result` again.\n"
    "  abandon  give up on the nodes still sealed: the bridge wipes the\n"
    "           shares and stops; the transcript is closed and says so.\n"
    "  status   where the ceremony stands.\n"
    "\n"
    "Exit status: 0 done, 1 refused (the reason is printed and recorded),\n"
    "2 usage, 3 `result` with nodes still sealed.\n"
    "--state DIR must be on RAM (tmpfs): it holds the ceremony's signing key\n"
    "until the ceremony closes. Plaintext shares never reach it.\n";

static int
usage(FILE *f)
{
	fputs(usage_text, f);
	return f == stdout ? 0 : 2;
}

static int
parse_args(int argc, char **argv, struct unseal_args *a)
{
	unsigned long long v;
	int c;

	memset(a, 0, sizeof(*a));
	a->passphrase_fd = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_STATE: a->state = optarg; break;
		case OPT_EXCHANGE: a->exchange = optarg; break;
		case OPT_PREVIOUS: a->previous = optarg; break;
		case OPT_CONFIRM: a->confirm = optarg; break;
		case OPT_WITNESS: a->witness = optarg; break;
		case OPT_HOLDER: a->holder = optarg; break;
		case OPT_SHARE_FILE: a->share_file = optarg; break;
		case OPT_SECRET_KEY: a->secret_key = optarg; break;
		case OPT_GNUPG_BASE: a->gnupg_base = optarg; break;
		case OPT_HELP: return 1;
		case OPT_PASSPHRASE_FD:
			if (rd_parse_uint(optarg, 0, 1023, &v) != CK_OK)
				return 2;
			a->passphrase_fd = (int)v;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc || a->state == NULL)
		return 2;
	return 0;
}

static int
refuse(const char *step, int err, const char *why)
{
	return cmd_refuse("unseal", step, err, why);
}

static void
print_head(const struct unseal_args *a, const uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	char hex[2 * TRANSCRIPT_HASH_BYTES + 1], words[WORDS_TEXT_MAX(8)];

	if (codec_hex_encode(head, TRANSCRIPT_HASH_BYTES, hex, sizeof(hex)) != CK_OK ||
	    words_encode(head, 8, words, sizeof(words)) != CK_OK)
		hex[0] = words[0] = '\0';
	printf("Transcript %s/%s (signed: .minisig, key: .pub)\nHead %s\n  %s\n"
	    "Witnesses: write the head words down and initial them.\n",
	    a->state, SESSION_TRANSCRIPT, hex, words);
}

static int
step_begin(const struct unseal_args *a)
{
	struct session *s = NULL;
	uint8_t prev[TRANSCRIPT_HASH_BYTES];
	int r;

	if (a->exchange == NULL)
		return usage(stderr);
	if (a->previous != NULL &&
	    cmd_load_prev("unseal begin", a->previous, prev) != CK_OK)
		return 1;
	if ((r = unseal_begin(a->state, a->exchange,
	    a->previous != NULL ? prev : NULL, &s)) != CK_OK)
		return refuse("begin", r, NULL);
	cmd_print_ceremony_key(s);
	printf("\nUnseal request written to %s.\n"
	    "Next: conclave-bridge unseal on the operator's workstation, then\n"
	    "conclave unseal accept here.\n", a->exchange);
	session_free(s);
	return 0;
}

static void
print_nodes(const json_t *nodes)
{
	const json_t *n;
	size_t i;

	json_array_foreach(nodes, i, n) {
		const char *addr = json_string_value(json_object_get(n, "address"));
		const char *res = json_string_value(json_object_get(n, "result"));
		const char *err = json_string_value(json_object_get(n, "error"));
		json_t *sealed = json_object_get(n, "sealed");

		/* Printed only after check_nodes / the envelope parser's
		 * printable-UTF-8 rule has passed over the payload. */
		if (res != NULL)
			printf("  %-32s %s%s%s\n", addr != NULL ? addr : "?", res,
			    err != NULL ? ": " : "", err != NULL ? err : "");
		else
			printf("  %-32s %s\n", addr != NULL ? addr : "?",
			    !json_is_true(json_object_get(n, "reachable")) ?
			    "unreachable" : json_is_true(sealed) ? "sealed" :
			    "unsealed");
	}
}

static int
step_accept(const struct unseal_args *a)
{
	struct session *s = NULL;
	json_t *offer = NULL;
	char sas[QUORUM_SAS_MAX], why[256];
	int r, rc = 1;

	if ((r = session_load(a->state, UNSEAL_KIND, a->exchange, &s)) != CK_OK)
		return refuse("accept", r, NULL);
	r = quorum_accept_offer(s, "requested", a->confirm, a->witness, sas,
	    &offer, why, sizeof(why));
	if (sas[0] != '\0')
		printf("Short authentication string (compare with the bridge's "
		    "screen):\n  %s\n", sas);
	if (r == CK_ERR_INCOMPLETE) {
		printf("Not accepted yet: when a witness has seen the same words on "
		    "both screens, run\n  conclave unseal accept --state %s "
		    "--confirm-sas \"%s\"\n", a->state, sas);
		goto out;
	}
	if (r != CK_OK) {
		refuse("accept", r, why);
		goto out;
	}
	printf("Session offer accepted; the witness confirmed the words.\n"
	    "Threshold %u. Nodes:\n", quorum_threshold(s));
	print_nodes(json_object_get(offer, "nodes"));
	printf("Next: conclave unseal share, for %u holders.\n", quorum_threshold(s));
	rc = 0;
out:
	json_decref(offer);
	session_free(s);
	return rc;
}

/* file_read takes a directory and a name. */
static int
read_share_file(const char *path, uint8_t **msg, size_t *len)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int fd = -1, r;

	if (slash == NULL)
		return file_read(AT_FDCWD, path, PGP_MSG_MAX, msg, len);
	if ((dir = strndup(path, (size_t)(slash - path))) == NULL)
		return CK_ERR_ALLOC;
	r = file_open_dir(AT_FDCWD, dir[0] != '\0' ? dir : "/", 0, 0, &fd);
	if (r == CK_OK) {
		r = file_read(fd, slash + 1, PGP_MSG_MAX, msg, len);
		close(fd);
	}
	free(dir);
	return r;
}

static int
step_share(const struct unseal_args *a)
{
	struct session *s = NULL;
	struct pgp_home *h = NULL;
	uint8_t *msg = NULL;
	size_t len = 0;
	char *pass = NULL, why[256];
	int r, rc = 1;

	if (a->holder == NULL || a->share_file == NULL)
		return usage(stderr);
	if ((r = session_load(a->state, UNSEAL_KIND, a->exchange, &s)) != CK_OK)
		return refuse("share", r, NULL);
	if ((r = read_share_file(a->share_file, &msg, &len)) != CK_OK) {
		refuse("share", r, a->share_file);
		goto out;
	}
	if ((r = pgp_home_open(cmd_gnupg_base(a->gnupg_base), &h)) != CK_OK) {
		refuse("share", r, NULL);
		goto out;
	}
	if ((r = tty_read_secret(a->secret_key != NULL ? "Passphrase: " : "PIN: ",
	    a->passphrase_fd, &pass)) != CK_OK) {
		refuse("share", r, "no passphrase or PIN was given");
		goto out;
	}
	if ((r = quorum_add_share(s, h, a->holder, a->secret_key, pass, msg, len,
	    why, sizeof(why))) != CK_OK) {
		refuse("share", r, why);
		goto out;
	}
	printf("%s's share is sealed to the bridge session and wiped here "
	    "(%zu of %u).\n", a->holder, quorum_sealed_count(s),
	    quorum_threshold(s));
	if (quorum_sealed_count(s) >= quorum_threshold(s))
		printf("Next: conclave unseal submit.\n");
	rc = 0;
out:
	secmem_free(pass);
	free(msg);
	pgp_home_close(h);
	session_free(s);
	return rc;
}

static int
step_submit(const struct unseal_args *a)
{
	struct session *s = NULL;
	char why[256];
	int r;

	if ((r = session_load(a->state, UNSEAL_KIND, a->exchange, &s)) != CK_OK)
		return refuse("submit", r, NULL);
	if ((r = unseal_submit(s, why, sizeof(why))) != CK_OK) {
		session_free(s);
		return refuse("submit", r, why);
	}
	printf("Sealed shares submitted. Next: conclave unseal result, once the "
	    "bridge has answered.\n");
	session_free(s);
	return 0;
}

static int
step_result(const struct unseal_args *a)
{
	struct session *s = NULL;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	unsigned pending = 0;
	char why[256];
	int r, closed = 0;

	if ((r = session_load(a->state, UNSEAL_KIND, a->exchange, &s)) != CK_OK)
		return refuse("result", r, NULL);
	if ((r = unseal_result(s, &closed, &pending, head, why,
	    sizeof(why))) != CK_OK) {
		session_free(s);
		return refuse("result", r, why);
	}
	printf("Node results:\n");
	print_nodes(json_object_get(s->ext, "nodes"));
	if (closed) {
		printf("Every node is unsealed. Ceremony closed.\n");
		print_head(a, head);
	} else {
		printf("%u node(s) still sealed. When they are back: conclave unseal "
		    "retry (the bridge must still be running), or conclave unseal "
		    "abandon.\n", pending);
	}
	session_free(s);
	return closed ? 0 : 3;
}

static int
step_retry(const struct unseal_args *a)
{
	struct session *s = NULL;
	int r;

	if ((r = session_load(a->state, UNSEAL_KIND, a->exchange, &s)) != CK_OK)
		return refuse("retry", r, NULL);
	if ((r = unseal_retry(s)) != CK_OK) {
		session_free(s);
		return refuse("retry", r, r == CK_ERR_STATE ?
		    "only nodes left sealed by a result can be retried" : NULL);
	}
	printf("Retry requested. Next: conclave unseal result.\n");
	session_free(s);
	return 0;
}

static int
step_abandon(const struct unseal_args *a)
{
	struct session *s = NULL;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	int r;

	if ((r = session_load(a->state, UNSEAL_KIND, a->exchange, &s)) != CK_OK)
		return refuse("abandon", r, NULL);
	if ((r = unseal_abandon(s, head)) != CK_OK) {
		session_free(s);
		return refuse("abandon", r, NULL);
	}
	printf("Abandoned: the bridge is told to wipe the shares. Ceremony "
	    "closed with nodes left sealed.\n");
	print_head(a, head);
	session_free(s);
	return 0;
}

static int
step_status(const struct unseal_args *a)
{
	struct session *s = NULL;
	int r;

	if ((r = session_load(a->state, UNSEAL_KIND, a->exchange, &s)) != CK_OK) {
		if (r == CK_ERR_CLOSED) {
			printf("closed\n");
			return 0;
		}
		return refuse("status", r, NULL);
	}
	printf("%s\nceremony %s, %zu of %u shares sealed\n", session_phase(s),
	    s->id_hex, quorum_sealed_count(s), quorum_threshold(s));
	session_free(s);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(const struct unseal_args *);
} steps[] = {
	{ "begin", step_begin }, { "accept", step_accept },
	{ "share", step_share }, { "submit", step_submit },
	{ "result", step_result }, { "retry", step_retry },
	{ "abandon", step_abandon }, { "status", step_status },
};

int
cmd_unseal_main(int argc, char **argv)
{
	struct unseal_args a;
	size_t i;
	int r;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)
		return usage(stdout);
	if ((r = parse_args(argc - 1, argv + 1, &a)) != 0)
		return r == 1 ? usage(stdout) : usage(stderr);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (strcmp(argv[1], steps[i].name) == 0)
			return steps[i].run(&a);
	fprintf(stderr, "conclave unseal: unknown step '%s'\n", argv[1]);
	return usage(stderr);
}
