/*
 * The QR commands, the same in both programs (conclave and conclave-bridge
 * put them in their command tables): an envelope file to QR codes (PNG
 * files, the terminal, the framebuffer) and QR codes (PNG files, a camera)
 * back to the envelope file. cli/ holds front-end code shared by the two
 * programs; like ui/ and bridge/ it may print, and nothing below uses it.
 * Each function takes the command's argv (argv[0] is the command name) and
 * returns the exit status; messages name the running program.
 */
#ifndef CONCLAVE_QR_CMD_H
#define CONCLAVE_QR_CMD_H

#include <stddef.h>
#include <stdint.h>

#define QRCMD_EXIT_INCOMPLETE 3	/* not enough codes yet: show more or use a stick */

int qrcmd_encode(int argc, char **argv);
int qrcmd_show(int argc, char **argv);
int qrcmd_decode(int argc, char **argv);
int qrcmd_scan(int argc, char **argv);

/*
 * An envelope's bytes as an animated stream on this terminal (stdout), as
 * qr-show draws it at the densest code the terminal holds (at most the
 * default fragment), on the alternate screen so that what was printed
 * before is back after, until Enter or q is typed on it (+ and - change
 * the rate meanwhile): for the bridge's ceremony commands (--qr-show).
 * CK_ERR_IO when stdout or stdin is not a terminal, CK_ERR_QR_NO_FIT when
 * the code does not fit it.
 */
int qrcmd_show_until_enter(const uint8_t *msg, size_t len)
    __attribute__((warn_unused_result));

/*
 * The text armor (docs/envelope.md §6), the airgap's last resort when
 * neither codes nor a stick will do: armor prints an envelope file as
 * armored text; dearmor reads armored text (a file or stdin) and writes
 * the envelope like qr-decode. dearmor is the bridge's only: on the
 * appliance every untrusted byte is parsed in the parser child, and the
 * armor decoder has no place there yet.
 */
int qrcmd_armor(int argc, char **argv);
int qrcmd_dearmor(int argc, char **argv);

#endif
