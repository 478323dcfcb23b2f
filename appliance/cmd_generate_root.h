/*
 * `conclave generate-root STEP ...`: the break-glass ceremony's appliance
 * steps (begin, accept, share, submit, result, close, status). The engine
 * is ceremony/generate_root.h and ceremony/quorum.h.
 */
#ifndef CONCLAVE_CMD_GENERATE_ROOT_H
#define CONCLAVE_CMD_GENERATE_ROOT_H

int cmd_generate_root_main(int argc, char **argv);
/* `conclave dr-token STEP ...`: the same steps for a DR operation token. */
int cmd_dr_token_main(int argc, char **argv);

#endif
