/*
 * `conclave unseal STEP ...`: the unseal ceremony's appliance steps from
 * the command line (begin, accept, share, submit, result, retry, abandon,
 * status). The engine is ceremony/unseal.h and ceremony/quorum.h.
 */
#ifndef CONCLAVE_CMD_UNSEAL_H
#define CONCLAVE_CMD_UNSEAL_H

int cmd_unseal_main(int argc, char **argv);
/* `conclave migrate STEP ...`: the same steps for a seal migration. */
int cmd_migrate_main(int argc, char **argv);

#endif
