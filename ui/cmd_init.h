/*
 * `conclave init STEP ...`: the init ceremony's appliance steps from the
 * command line (begin, accept, handout, close, status). The guided UI calls
 * the same engine (ceremony/init.h). See conclave(1).
 */
#ifndef CONCLAVE_CMD_INIT_H
#define CONCLAVE_CMD_INIT_H

#include <stdint.h>

#include "ceremony/roster.h"
#include "ceremony/session.h"
#include "crypto/pgp.h"

int cmd_init_main(int argc, char **argv);

/* Helpers the other ceremony commands share. */
/* Base directory for throwaway GnuPG homes: opt, else $TMPDIR, else /tmp. */
const char *cmd_gnupg_base(const char *opt);
/* Verify a previous transcript and take its head hash (errors printed). */
int cmd_load_prev(const char *step, const char *path,
    uint8_t head[TRANSCRIPT_HASH_BYTES]);
/* Print "conclave CMD STEP: error (CK_ERR_...)" and why; returns 1. */
int cmd_refuse(const char *cmd, const char *step, int err, const char *why);
/* One NAME=KEYFILE member into ro (errors printed, prefixed "conclave STEP"). */
int cmd_roster_add(struct roster *ro, struct pgp_home *h, const char *step,
    const char *spec, enum roster_role role);
/* The ceremony id and the ceremony key's id and words, on stdout. */
void cmd_print_ceremony_key(const struct session *s);

#endif
