/*
 * `conclave-bridge init`: the online side of the init ceremony (DESIGN
 * §4.1). One process, one session key: it answers the appliance's
 * init-request with the server's response, then waits for the operator to
 * finish the initial configuration and hand back the initial root token,
 * which it revokes and proves revoked in a closing-result.
 */
#ifndef CONCLAVE_BRIDGE_CMD_INIT_H
#define CONCLAVE_BRIDGE_CMD_INIT_H

int bridge_init_main(int argc, char **argv);

#endif
