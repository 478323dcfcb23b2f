/*
 * `conclave ui` (and `conclave` alone): the guided ncurses ceremony.
 * See ui/ui.h for the screens and conclave(1) for the options.
 */
#ifndef CONCLAVE_CMD_UI_H
#define CONCLAVE_CMD_UI_H

int cmd_ui_main(int argc, char **argv);

#endif
