/*
 * `conclave verify FILE [--pubkey FILE.pub]`: check a transcript's hash
 * chain, its close record and its minisign signature (DESIGN §8).
 * Exit 0 and one "OK" line when it holds; 1 naming the first bad record
 * otherwise; 2 on a usage error.
 */
#ifndef CONCLAVE_CMD_VERIFY_H
#define CONCLAVE_CMD_VERIFY_H

int cmd_verify_main(int argc, char **argv);

#endif
