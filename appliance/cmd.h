/*
 * What every appliance command (`conclave init`, `unseal`, `rekey`,
 * `generate-root`, `dr-token`, `verify`) shares: how a refusal is printed,
 * where throwaway GnuPG homes go, a roster member from NAME=KEYFILE, the
 * ceremony key on stdout, and a previous transcript verified for chaining.
 * These print: they are the front end, not the engine.
 */
#ifndef CONCLAVE_CMD_H
#define CONCLAVE_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "ceremony/roster.h"
#include "ceremony/session.h"
#include "ceremony/transcript.h"
#include "crypto/pgp.h"

/* Base directory for throwaway GnuPG homes: opt, else $TMPDIR, else /tmp. */
const char *cmd_gnupg_base(const char *opt);
/*
 * A throwaway GnuPG home under cmd_gnupg_base(opt). On failure (TMPDIR
 * missing or unwritable, no gpg) it says so, naming the folder and where
 * it came from, on stderr as "conclave STEP: ...", and returns the error.
 */
int cmd_pgp_home(const char *step, const char *opt, struct pgp_home **h)
    CK_WUR;
/* Verify a previous transcript and take its head hash (errors printed). */
int cmd_load_prev(const char *step, const char *path,
    uint8_t head[TRANSCRIPT_HASH_BYTES]);
/*
 * A refused begin: cmd_refuse (with session_begin_why on exchange), and
 * when the state folder holds a ceremony
 * already, what it is and the two ways on (go on with it, or abandon it)
 * instead of a bare "already exists". Returns 1.
 */
int cmd_begin_refused(const char *cmd, const char *state,
    const char *exchange, int err);
/*
 * Why a ceremony could not be loaded, for cmd_refuse: for CK_ERR_BUSY
 * (another process holds its transcript) who holds it (the guided UI or
 * a conclave command, with its pid where the kernel says it) and what to
 * do; NULL for any other error. Static text, until the next call.
 */
const char *cmd_load_why(const char *state, int err);
/* The help of every command that opens a GnuPG home: where it goes. */
#define CMD_GNUPG_BASE_HELP \
    "--gnupg-base DIR: where the throwaway GnuPG home is made (else $TMPDIR,\n" \
    "else /tmp); it is removed with its agent at the end.\n"
/*
 * Print "conclave CMD STEP: error (CK_ERR_...)" (STEP "": none) and why,
 * each wrapped within 80 columns; returns 1.
 */
int cmd_refuse(const char *cmd, const char *step, int err, const char *why);
/*
 * A new key's words not confirmed yet ("NOT_YET: when a witness ...") and
 * the command that confirms them, printed so it runs as copied (tty's
 * tty_print_command): conclave CMD STEP --state STATE --confirm-sas "SAS".
 */
void cmd_print_confirm(const char *cmd, const char *step, const char *state,
    const char *sas, const char *not_yet);
/* One NAME=KEYFILE member into ro (errors printed, prefixed "conclave STEP"). */
int cmd_roster_add(struct roster *ro, struct pgp_home *h, const char *step,
    const char *spec, enum roster_role role);
/*
 * A holder's secret for a decryption: the passphrase of their key file, or
 * (keyfile NULL) the PIN of the card in the reader. The card is looked at
 * first: no card, or a blocked PIN, is refused before anything is asked
 * (printed as "conclave CMD STEP", and on s's transcript as a refused
 * `what`, "decrypt-proof" or "share", by actor), and the prompt says how
 * many tries the PIN has left. *secret is in secmem.
 */
struct cmd_step {
	struct session *s;
	const char *cmd, *step, *what, *actor;
	/* The holder's encryption key id: a card holding another key is
	 * refused (CK_ERR_WRONG_KEY) before any PIN reaches it. "": unknown. */
	const char *enc_keyid;
};
int cmd_holder_secret(struct pgp_home *h, const struct cmd_step *st,
    const char *keyfile, int fd, char **secret);
/* Holder k's name and encryption key id on the ceremony's roster, or "". */
void cmd_holder_member(struct session *s, unsigned k,
    char name[ROSTER_NAME_MAX + 1], char enc_keyid[PGP_KEYID_LEN + 1]);
/*
 * For a share decrypted by a card: the holder's public key from keyfile
 * (one key) into h, so that gpg finds the card's key for it; enc_keyid
 * gets the key's encryption key id. Errors printed.
 */
int cmd_holder_key(struct pgp_home *h, const char *cmd, const char *step,
    const char *keyfile, char enc_keyid[PGP_KEYID_LEN + 1]);
/*
 * What to tell the room after a holder's decryption failed with err (NULL
 * when there is nothing to add); with a card, a wrong PIN reports the
 * tries left, read from the card again. buf holds the text.
 */
const char *cmd_decrypt_why(struct pgp_home *h, const char *keyfile, int err,
    char *buf, size_t buflen);
/* A handout step's arguments (conclave init handout, rekey handout). */
struct cmd_handout_args {
	const char *state, *exchange, *gnupg_base, *stick, *secret_key;
	int passphrase_fd;
	unsigned holder;
};
/*
 * conclave KIND handout (KIND_INIT or KIND_REKEY): holder a->holder's
 * share written onto their stick (a->stick) as *file (free it) and proven
 * with their key (a->secret_key, or their card) before anyone leaves with
 * it (ceremony/init.h init_handout). 0, or 1 refused (printed, and on the
 * record where the step got that far).
 */
int cmd_handout(const char *kind, const struct cmd_handout_args *a,
    char **file);
/*
 * After the completing step: "Ceremony closed.", or, for a ceremony begun
 * with --review, that it is held open for the witnesses' review.
 */
const char *cmd_closed_text(const struct session *s);
/* --review given to step: begin's only (else a usage error, 2). */
int cmd_review_option(const char *step);
/*
 * After a begin's options, with --review: the ceremony it begins is held
 * for the witnesses' review (session_review_all), and the witnesses who
 * will answer are declared: the --witness NAME given (witnesses, n), or
 * for init (witnesses NULL) its roster's own. None, an empty, overlong or
 * unprintable name, or one name twice is a usage error (printed, 2).
 */
int cmd_review_begin(const char *const *witnesses, size_t n);
/* For a ceremony in review: what to run next (conclave review), on stdout. */
void cmd_review_next(const char *state);
/*
 * A refused abandon: cmd_refuse with why, and for a ceremony in review
 * (CK_ERR_IN_REVIEW) what to do instead, its review. Returns 1.
 */
int cmd_abandon_refused(const char *cmd, const char *state, int err,
    const char *why);
/* The ceremony id and the ceremony key's id and words, on stdout. */
void cmd_print_ceremony_key(const struct session *s);

#endif
