/*
 * `conclave archive --state DIR --to DIR`: the closing step that copies a
 * closed ceremony's transcript, its signature and public key (and the
 * witnesses' signatures) to the archive stick or folder and verifies the
 * copy there (ceremony/archive.h). Exit 0 when the copy verifies, 1 when
 * anything was refused (what and why on stderr), 2 on a usage error.
 */
#ifndef CONCLAVE_CMD_ARCHIVE_H
#define CONCLAVE_CMD_ARCHIVE_H

int cmd_archive_main(int argc, char **argv);

#endif
