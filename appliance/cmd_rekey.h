/*
 * `conclave rekey STEP ...`: the rekey ceremony's appliance steps (begin,
 * accept, share, submit, result, handout, verify, finish, status). The
 * engine is ceremony/rekey.h, ceremony/quorum.h and init's handout.
 */
#ifndef CONCLAVE_CMD_REKEY_H
#define CONCLAVE_CMD_REKEY_H

int cmd_rekey_main(int argc, char **argv);

#endif
