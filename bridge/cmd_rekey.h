/*
 * `conclave-bridge rekey`: the bridge's side of the rekey ceremony
 * (DESIGN §4.3, docs/ceremonies.md).
 */
#ifndef CONCLAVE_BRIDGE_CMD_REKEY_H
#define CONCLAVE_BRIDGE_CMD_REKEY_H

int bridge_rekey_main(int argc, char **argv);

#endif
