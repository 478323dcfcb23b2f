/*
 * `conclave-bridge script` and `conclave-bridge holder-cards`: the paper
 * made before the day from a ceremony plan (paper/plan.h), on the online
 * side because it needs no secret and no appliance.
 */
#ifndef CONCLAVE_BRIDGE_CMD_PAPER_H
#define CONCLAVE_BRIDGE_CMD_PAPER_H

int bridge_script_main(int argc, char **argv);
int bridge_holder_cards_main(int argc, char **argv);

#endif
