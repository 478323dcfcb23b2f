/*
 * The archive: the closing step that copies a closed ceremony's record
 * off the appliance (DESIGN §7) and checks the copy where it landed.
 *
 * From the state folder: transcript.jsonl, its minisign signature
 * (.minisig) and public key (.pub), and the witnesses' OpenPGP signatures
 * (transcript.jsonl.FINGERPRINT.asc) if any; to
 *     <root>/conclave-archive/<ceremony id>/
 * on the archive stick (or any folder), each file written atomically
 * (media/file.h: temp name, fsync, rename, folder fsync'd), so a pulled
 * stick keeps each file whole or absent. The source is verified first
 * (the checks of `conclave verify`, against the .pub beside it): a
 * transcript that does not verify is not archived and nothing is written.
 * A file already there with the same bytes is kept (archiving twice is
 * harmless); with other bytes it is CK_ERR_EXISTS and left alone.
 *
 * archive_check verifies the copy on its own: `conclave verify`'s checks
 * on the archived transcript against the archived .pub, whose key must be
 * the state's, and the same head hash. The UI remounts the stick before
 * it checks, so the copy is read back from the medium.
 *
 * archive_list reads an archive back for the next ceremony: every
 * ceremony archived under root, each verified as archive_check does, and
 * which of them are the chain's heads (no other archived transcript names
 * it as its previous): the one to chain to. A ceremony that does not
 * verify is listed as not usable, never as a head: the others stay usable.
 */
#ifndef CONCLAVE_ARCHIVE_H
#define CONCLAVE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "ceremony/audit.h"
#include "ceremony/transcript.h"
#include "crypto/reader.h"

#define ARCHIVE_FOLDER		"conclave-archive"
#define ARCHIVE_ID_HEX		32
#define ARCHIVE_WHY_MAX		256
#define ARCHIVE_LIST_MAX	64	/* ceremonies listed from one archive */

struct archive_report {
	char id[40];	/* the ceremony id (32 hex digits): its folder */
	size_t files;			/* files archived (written or kept) */
	uint64_t records;
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	struct minisig_pubkey key;	/* the ceremony key that signed it */
	char why[ARCHIVE_WHY_MAX];	/* on failure: which file, and why */
};

/*
 * Verify the state folder's closed transcript and copy it (see above) to
 * root's archive folder. rep->why names what failed.
 */
int archive_write(const char *state_dir, const char *root,
    struct archive_report *rep) CK_WUR __attribute__((nonnull));

/*
 * The copy written by archive_write (rep as it filled it) verified where
 * it is: CK_OK, or the verification's error (rep->why says which file and
 * what); CK_ERR_WRONG_KEY if it is signed by another key, CK_ERR_CHAIN if
 * its head is not the one written.
 */
int archive_check(const char *root, struct archive_report *rep) CK_WUR
    __attribute__((nonnull));

/* One archived ceremony (archive_list). */
struct archive_entry {
	char id[40];		/* its folder */
	char kind[AUDIT_KIND_MAX + 1];
	char closed[24];	/* the close record's time */
	uint8_t head[TRANSCRIPT_HASH_BYTES];
	uint8_t previous[TRANSCRIPT_HASH_BYTES];	/* if has_previous */
	int has_previous;
	int is_head;	/* no other archived transcript names it as previous */
	int err;	/* CK_OK, or why it is not usable: its verification's */
	char why[ARCHIVE_WHY_MAX];	/* if err: which file, and what */
};

struct archive_list {
	size_t n;		/* listed in e: bad ones, then heads */
	size_t heads;		/* the chains' heads: the usable ones */
	size_t bad;		/* ceremonies that do not verify */
	size_t unlisted;	/* of both, those past ARCHIVE_LIST_MAX */
	struct archive_entry e[ARCHIVE_LIST_MAX];
	char why[ARCHIVE_WHY_MAX];	/* on failure: which folder, and why */
};

/*
 * Every ceremony under root/conclave-archive/, each verified (see above),
 * into *l: those that do not verify first (err and why say why, by
 * folder), then the chains' heads, latest closed first; the ceremonies a
 * head chains past are not listed. Past ARCHIVE_LIST_MAX the oldest are
 * not listed (l->unlisted counts them); every folder is still verified,
 * so that the heads are the chains' and the listed ones the latest.
 * CK_OK with at least one listed; CK_ERR_NOT_FOUND if root holds no
 * archive or an empty one. A folder not named by a ceremony id is
 * skipped; one named by another ceremony's id than its transcript's is
 * not usable (CK_ERR_BAD_NAME).
 */
int archive_list(const char *root, struct archive_list *l) CK_WUR
    __attribute__((nonnull));

#endif
