/*
 * The exchange directory: envelopes crossing the airgap as files (DESIGN §6).
 *
 * Layout on a stick (or any directory): one folder per ceremony,
 *     <root>/<ceremony id as 32 lowercase hex digits>/
 * holding envelope files named
 *     NNNNNN-<type>.env
 * NNNNNN: exactly 6 decimal digits, the envelope's sequence number;
 * <type>: 1 to 32 characters from [a-z-]. Nothing else is read or listed;
 * any other name is refused with CK_ERR_BAD_NAME (the envelope module owns
 * how names are formed; this module only checks the pattern).
 *
 * Writes are atomic and reads bounded and refusing, through media/file.h
 * (mode 0644: envelopes are signed, not secret), so a crash or a pulled
 * stick leaves the old file or the complete new one, never a torn one. Envelopes are immutable: an existing name is
 * CK_ERR_EXISTS unless EXCH_REPLACE is given. One writer per folder is
 * assumed: a leftover temp file of the same name is taken to be from a
 * crashed earlier attempt and removed.
 *
 * Reads refuse symlinks (CK_ERR_SYMLINK), anything but a regular file
 * (CK_ERR_NOT_REGULAR: devices, FIFOs, sockets, directories; opened
 * O_NONBLOCK so a FIFO cannot hang us), files above the caller's limit
 * (CK_ERR_TOO_LARGE) and foreign names (CK_ERR_BAD_NAME). A ceremony folder
 * that is a symlink is refused too. A medium that fails or vanishes
 * mid-operation gives CK_ERR_MEDIA_GONE, a read-only mount
 * CK_ERR_READ_ONLY, a full one CK_ERR_NO_SPACE.
 */
#ifndef CONCLAVE_EXCHANGE_H
#define CONCLAVE_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "crypto/reader.h"

#define EXCH_ID_LEN		16	/* ceremony id, bytes */
#define EXCH_ID_HEX_LEN		32	/* its folder name, characters */
#define EXCH_SEQ_DIGITS		6
#define EXCH_SEQ_MAX		999999
#define EXCH_TYPE_MAX		32
#define EXCH_SUFFIX		".env"
/* Longest envelope file name, without the NUL. */
#define EXCH_NAME_MAX		(EXCH_SEQ_DIGITS + 1 + EXCH_TYPE_MAX + 4)
/* Default read limit for one envelope; callers may pass a tighter one. */
#define EXCH_READ_MAX_DEFAULT	(1024 * 1024)
/* Most entries a listed folder (ceremony folder or root) may hold. */
#define EXCH_LIST_MAX		4096

/* exch_write flags */
#define EXCH_REPLACE		0x1	/* allow replacing an existing file */

/* exch_open flags */
#define EXCH_CREATE		0x1	/* create the ceremony folder if missing */

struct exch_dir;

struct exch_entry {
	uint32_t seq;
	char type[EXCH_TYPE_MAX + 1];
	char name[EXCH_NAME_MAX + 1];
};

struct exch_list {
	struct exch_entry *v;	/* sorted by seq, then name */
	size_t n;
	/*
	 * Entries that are not envelopes: foreign names, and envelope names
	 * that are not regular files (symlinks, directories, devices). The
	 * UI should warn: someone put them there. Our own temp files are
	 * not counted.
	 */
	size_t refused;
};

/*
 * CK_OK when name is exactly NNNNNN-<type>.env as above, else
 * CK_ERR_BAD_NAME. seq and type (EXCH_TYPE_MAX + 1 bytes) may be NULL.
 */
int exch_name_parse(const char *name, uint32_t *seq, char *type) CK_WUR;

/*
 * Open the folder of ceremony id under root (EXCH_CREATE: create it,
 * mode 0755, and fsync root). CK_ERR_NOT_FOUND if missing, CK_ERR_SYMLINK
 * if it is a symlink, CK_ERR_NOT_REGULAR if it is not a directory.
 */
int exch_open(const char *root, const uint8_t id[EXCH_ID_LEN], int flags,
    struct exch_dir **out) CK_WUR __attribute__((nonnull));
void exch_close(struct exch_dir *d);	/* NULL-safe */

/*
 * Remove the folder of ceremony id under root with the envelopes (and our
 * temp files) in it: the undo of a begin that was refused after it had
 * created the folder, so a refused begin leaves the stick as it was.
 * Anything else in the folder (someone else's file) is left, and so is
 * the folder then (CK_ERR_EXISTS).
 */
int exch_remove(const char *root, const uint8_t id[EXCH_ID_LEN])
    __attribute__((nonnull));

/* Atomically write len bytes as name (see above). */
int exch_write(struct exch_dir *d, const char *name, const void *buf,
    size_t len, int flags) CK_WUR __attribute__((nonnull));

/*
 * Open name for someone else to read (the appliance's parser child), with
 * the checks of exch_read (its name, media/file.h file_open_read).
 * *fdp: close it.
 */
int exch_open_file(struct exch_dir *d, const char *name, size_t max, int *fdp)
    CK_WUR __attribute__((nonnull));

/*
 * Read name, at most max bytes, into a malloc'd buffer (*out, free()).
 * Outputs are NULL/0 on failure. A file that grows while being read is
 * CK_ERR_IO.
 */
int exch_read(struct exch_dir *d, const char *name, size_t max,
    uint8_t **out, size_t *outlen) CK_WUR __attribute__((nonnull));

/*
 * An envelope whose writer stopped after writing it in full and before
 * its rename (media/file.h file_read_tmp, file_adopt_tmp): read the temp
 * of name for the caller to check, then put it in place.
 */
int exch_read_tmp(struct exch_dir *d, const char *name, size_t max,
    uint8_t **out, size_t *outlen) CK_WUR __attribute__((nonnull));
int exch_adopt_tmp(struct exch_dir *d, const char *name) CK_WUR
    __attribute__((nonnull));

/* The envelopes in the folder, in sequence order; free with exch_list_free. */
int exch_list(struct exch_dir *d, struct exch_list *out) CK_WUR
    __attribute__((nonnull));
void exch_list_free(struct exch_list *l);

/*
 * The ceremonies with a folder under root (e.g. a stick's mount point):
 * directories named by exactly 32 lowercase hex digits, sorted by id.
 * Everything else at root (other files, symlinks) is ignored: a stick's
 * top level is shared with other uses. Free with exch_ceremonies_free.
 */
struct exch_ceremonies {
	uint8_t (*ids)[EXCH_ID_LEN];
	size_t n;
};
int exch_list_ceremonies(const char *root, struct exch_ceremonies *out)
    CK_WUR __attribute__((nonnull));
void exch_ceremonies_free(struct exch_ceremonies *c);

#endif
