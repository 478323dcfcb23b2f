/*
 * `conclave-bridge generate-root`: the bridge's side of the break-glass
 * ceremony (DESIGN §4.4, docs/ceremonies.md).
 */
#ifndef CONCLAVE_BRIDGE_CMD_GENERATE_ROOT_H
#define CONCLAVE_BRIDGE_CMD_GENERATE_ROOT_H

int bridge_generate_root_main(int argc, char **argv);
/* `conclave-bridge dr-token`: the same for a Vault Enterprise DR
 * operation token, optionally promoting the DR secondary with it. */
int bridge_dr_token_main(int argc, char **argv);

#endif
