/*
 * The command-line steps every quorum ceremony shares (`conclave unseal`,
 * `conclave generate-root`, ...): arguments, the SAS confirmation, one
 * holder's share, the submission, status. Each prints its outcome and
 * returns the command's exit status (0 done, 1 refused, 2 usage).
 */
#ifndef CONCLAVE_CMD_QUORUM_H
#define CONCLAVE_CMD_QUORUM_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "ceremony/session.h"

struct quorum_cmd {
	const char *cmd;	/* "unseal", "generate-root" */
	const char *kind;	/* the ceremony kind in the state folder */
	const char *begun;	/* the phase before the offer is accepted */
};

#define QUORUM_ARGS_MAX_HOLDERS	64

struct quorum_args {
	const char *state;
	const char *exchange;
	const char *previous;
	const char *confirm;
	const char *witness;
	const char *holder;
	const char *share_file;
	const char *secret_key;
	const char *holder_key;	/* a card holder's public key file */
	const char *gnupg_base;
	const char *pgp_key;	/* NAME=KEYFILE */
	const char *stick;
	const char *handout_transcript;
	const char *reason;	/* abandon --reason */
	const char *holders[QUORUM_ARGS_MAX_HOLDERS];	/* every --holder */
	size_t nholders;
	/* every --witness: at begin --review, the witnesses who review */
	const char *witnesses[QUORUM_ARGS_MAX_HOLDERS];
	size_t nwitnesses;
	int review;		/* begin --review */
	unsigned threshold;
	int recovery;
	int passphrase_fd;
};

/* A quorum command's step (conclave CMD STEP [options]). */
struct quorum_step {
	const char *name;
	int (*run)(const struct quorum_args *);
};

/*
 * conclave CMD STEP [options]: the common options parsed and STEP (one of
 * the n steps) run with them. usage(stdout) for help; usage(stderr)
 * without a step, for an unknown one or for bad options.
 */
int cmd_quorum_run(const char *cmd, const struct quorum_step *steps, size_t n,
    int argc, char **argv, int (*usage)(FILE *));

/* The transcript's location and head hash as hex and words. */
void cmd_quorum_print_head(const struct session *s, const char *state,
    const uint8_t head[TRANSCRIPT_HASH_BYTES]);

/*
 * A step that closed the ceremony as failed (CK_ERR_SERVER from the
 * closing of a root token: NOT revoked, or never handed over): why (what
 * became of the token, what to do), then the transcript's head. Frees s;
 * returns 1.
 */
int cmd_quorum_closed_failed(const char *cmd, const char *step,
    struct session *s, const char *state, const char *why,
    const uint8_t head[TRANSCRIPT_HASH_BYTES]);

/* Node lists of an unseal offer or result (already checked printable). */
void cmd_quorum_print_nodes(const json_t *nodes);

/*
 * --handout-transcript FILE given to begin: who holds which share, read
 * before anything is written (*handout NULL without the option). 0, or 1
 * refused (printed).
 */
int cmd_quorum_handout(const char *cmd, const struct quorum_args *a,
    json_t **handout);

/* After begin: say whose handout the shares will be checked against. */
void cmd_quorum_print_handout(const struct session *s);

/*
 * A closing step (abandon): load the ceremony, run close(s, reason, head)
 * with --reason or CMD_ABANDON_REASON, print done and the transcript's
 * head.
 */
int cmd_quorum_close(const struct quorum_cmd *q, const struct quorum_args *a,
    const char *step,
    int (*close)(struct session *, const char *, uint8_t *),
    const char *done);

/* What an abandon records when no --reason is given. */
#define CMD_ABANDON_REASON	"abandoned by the operator"

int cmd_quorum_accept(const struct quorum_cmd *q, const struct quorum_args *a);
int cmd_quorum_share(const struct quorum_cmd *q, const struct quorum_args *a);
int cmd_quorum_submit(const struct quorum_cmd *q, const struct quorum_args *a);
int cmd_quorum_status(const struct quorum_cmd *q, const struct quorum_args *a);

#endif
