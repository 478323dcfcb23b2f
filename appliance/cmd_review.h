/*
 * `conclave review --state DIR --witness NAME... [--not-confirmed NAME
 * --reason TEXT]...`: the witnesses' review on the command line, for a
 * ceremony begun with --review whose completing step held the transcript
 * open (session_review). Each answer goes on the record in the order
 * given, a witness-confirmation or a deviation with its reason; the
 * record's counts are printed and the transcript closed and signed. Exit
 * 0 closed, 1 refused (nothing changed), 2 on a usage error.
 */
#ifndef CONCLAVE_CMD_REVIEW_H
#define CONCLAVE_CMD_REVIEW_H

int cmd_review_main(int argc, char **argv);

#endif
