/*
 * `conclave record TRANSCRIPT --out FILE.pdf`: the paper record of a
 * ceremony (docs/paper.md), from its signed transcript alone and only
 * after it verifies. Exit 0 written; 1 refused (nothing written); 2 usage.
 */
#ifndef CONCLAVE_CMD_RECORD_H
#define CONCLAVE_CMD_RECORD_H

int cmd_record_main(int argc, char **argv);

#endif
