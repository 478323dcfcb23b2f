/*
 * `conclave-bridge status`: the seal status of one or more nodes, as a
 * table or as JSON. Exit status 0 when every node answered, 1 when any did
 * not, 2 for a usage error.
 */
#ifndef CONCLAVE_BRIDGE_CMD_STATUS_H
#define CONCLAVE_BRIDGE_CMD_STATUS_H

/* The command's entry point: argv[0] is "status". */
int status_main(int argc, char **argv);

#endif
