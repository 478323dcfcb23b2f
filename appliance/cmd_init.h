/*
 * `conclave init STEP ...`: the init ceremony's appliance steps from the
 * command line (begin, accept, handout, close, status). The guided UI calls
 * the same engine (ceremony/init.h). See conclave(1).
 */
#ifndef CONCLAVE_CMD_INIT_H
#define CONCLAVE_CMD_INIT_H

int cmd_init_main(int argc, char **argv);

#endif
