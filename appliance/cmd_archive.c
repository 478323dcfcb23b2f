/*
 * conclave archive: arguments and report around archive_write and
 * archive_check (ceremony/archive.c), which do the work.
 */
#include "appliance/cmd_archive.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ceremony/archive.h"
#include "ceremony/session.h"
#include "crypto/errors.h"
#include "crypto/words.h"
#include "media/tty.h"
#include "protocol/minisig.h"

static int
usage(FILE *f)
{
	fprintf(f,
	    "usage: conclave archive --state DIR --to DIR\n"
	    "\n"
	    "The closing step of a ceremony: its transcript, the minisign\n"
	    "signature and public key (and any witness's OpenPGP signature) are\n"
	    "copied from the state folder to DIR/conclave-archive/CEREMONY-ID/ on\n"
	    "the archive stick (mounted read-write) or a folder, each file written\n"
	    "atomically, and the copy is then verified there as `conclave verify`\n"
	    "does, against the public key copied with it, which must be the\n"
	    "state's. A transcript that does not verify is not archived; a file\n"
	    "already archived with other bytes is left alone and refused; the\n"
	    "same bytes again are kept.\n"
	    "\n"
	    "  --state DIR   the ceremony's state folder (default\n"
	    "                /run/conclave/ceremony)\n"
	    "  --to DIR      the archive stick's mount point, or a folder\n"
	    "\n"
	    "Exit status: 0 archived and verified, 1 refused, 2 usage error.\n");
	return f == stdout ? 0 : 2;
}

int
cmd_archive_main(int argc, char **argv)
{
	struct archive_report rep;
	const char *state = "/run/conclave/ceremony", *to = NULL;
	char hex[2 * TRANSCRIPT_HASH_BYTES + 1], id[17];
	char words[WORDS_TEXT_MAX(TRANSCRIPT_HEAD_WORDS)];
	int i, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout);
		if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
			state = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else
			return usage(stderr);
	}
	if (to == NULL)
		return usage(stderr);
	if ((r = archive_write(state, to, &rep)) != CK_OK) {
		tty_printw(stderr, "conclave archive: not archived: %s [%s]\n",
		    rep.why[0] != '\0' ? rep.why : ck_strerror(r), ck_errname(r));
		return 1;
	}
	/* Named under --to first: a long --to wraps without cutting the id. */
	tty_printw(stdout,
	    "archived: %s/%s/ (%zu files) in %s\n", ARCHIVE_FOLDER,
	    rep.id, rep.files, to);
	if ((r = archive_check(to, &rep)) != CK_OK) {
		tty_printw(stderr,
		    "conclave archive: the copy does not verify: %s "
		    "[%s]\n", rep.why[0] != '\0' ? rep.why : ck_strerror(r),
		    ck_errname(r));
		return 1;
	}
	sodium_bin2hex(hex, sizeof(hex), rep.head, sizeof(rep.head));
	minisig_keyid_hex(&rep.key, id);
	tty_printw(stdout, "OK %s/%s/%s: %" PRIu64 " records, signed by key %s "
	    "(the state's)\nhead %s\n", ARCHIVE_FOLDER, rep.id,
	    SESSION_TRANSCRIPT, rep.records, id, hex);
	if (transcript_head_words(rep.head, words, sizeof(words)) == CK_OK)
		tty_printw(stdout, "head as words: %s\n", words);
	return 0;
}
