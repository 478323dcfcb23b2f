/*
 * `conclave verify FILE [--pubkey FILE.pub] [--facts]`: check a transcript's hash
 * chain, its close record and its minisign signature (DESIGN §8).
 * Exit 0 and one "OK" line when it holds; 1 naming the first bad record
 * otherwise; 2 on a usage error.
 */
#ifndef CONCLAVE_CMD_VERIFY_H
#define CONCLAVE_CMD_VERIFY_H

#include "ceremony/record.h"
#include "ceremony/transcript.h"

int cmd_verify_main(int argc, char **argv);

/*
 * The record of path for both commands (who: "conclave verify" ...): the
 * --pubkey file loaded (a bad one: a message and 2), the transcript
 * verified and read (a failure: a message and 1); 0 with *out set.
 */
int cmd_verify_read(const char *who, const char *path, const char *pubpath,
    struct record **out);

#endif
