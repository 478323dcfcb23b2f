/*
 * `conclave-bridge unseal`: the bridge's side of the unseal ceremony
 * (DESIGN §4.2, docs/ceremonies.md).
 */
#ifndef CONCLAVE_BRIDGE_CMD_UNSEAL_H
#define CONCLAVE_BRIDGE_CMD_UNSEAL_H

int bridge_unseal_main(int argc, char **argv);
/* `conclave-bridge migrate`: the same for a seal migration
 * (docs/migration.md). */
int bridge_migrate_main(int argc, char **argv);

#endif
