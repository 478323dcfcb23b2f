/*
 * What every appliance command shares (see cmd.h).
 */
#include "appliance/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceremony/init.h"
#include "crypto/reader.h"
#include "protocol/kinds.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "crypto/words.h"
#include "media/file.h"
#include "media/tty.h"
#include "protocol/minisig.h"

const char *
cmd_gnupg_base(const char *opt)
{
	const char *t = getenv("TMPDIR");

	if (opt != NULL)
		return opt;
	return t != NULL && t[0] != '\0' ? t : "/tmp";
}

int
cmd_pgp_home(const char *step, const char *opt, struct pgp_home **h)
{
	const char *base = cmd_gnupg_base(opt);
	int r;

	if ((r = pgp_home_open(base, h)) != CK_OK)
		tty_printw(stderr,
		    "conclave %s: cannot make a private GnuPG home in "
		    "%s (%s): %s (%s)\n", step, base, opt != NULL ? "--gnupg-base" :
		    getenv("TMPDIR") != NULL && getenv("TMPDIR")[0] != '\0' ?
		    "TMPDIR" : "the default", ck_strerror(r), ck_errname(r));
	return r;
}

int
cmd_refuse(const char *cmd, const char *step, int err, const char *why)
{
	char *line = NULL;

	if (asprintf(&line, "conclave %s%s%s: %s (%s)", cmd, step[0] != '\0' ?
	    " " : "", step, ck_strerror(err), ck_errname(err)) < 0)
		line = NULL;
	tty_printw(stderr, "%s\n", line != NULL ? line : ck_errname(err));
	free(line);
	if (why != NULL && why[0] != '\0') {
		if (asprintf(&line, "  %s", why) < 0)
			return 1;
		tty_printw(stderr, "%s\n", line);
		free(line);
	}
	return 1;
}

/* /proc/PID/cmdline: the whole command line, NUL-separated */
#define CMDLINE_MAX	4096

/* What process pid is, for people: the guided UI, a conclave command, or
 * just its number (another program, or its command line unreadable). */
static void
describe_holder(long pid, char *out, size_t outlen)
{
	char path[64];
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *argv0, *arg1, *arg2, *base;

	snprintf(out, outlen, "process %ld", pid);
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if (file_read_proc(path, CMDLINE_MAX, &buf, &len) != CK_OK ||
	    len == 0 || rd_printable_utf8((const char *)buf, strnlen((const char *)buf,
	    len), 0) != CK_OK) {
		free(buf);
		return;
	}
	buf[len] = '\0';	/* file_read_proc leaves room for it */
	argv0 = (const char *)buf;
	arg1 = argv0 + strlen(argv0) + 1;
	arg2 = arg1 < (const char *)buf + len ? arg1 + strlen(arg1) + 1 : arg1;
	if (arg1 >= (const char *)buf + len)
		arg1 = "";
	if (arg2 >= (const char *)buf + len)
		arg2 = "";
	if (rd_printable_utf8(arg1, strlen(arg1), 0) != CK_OK ||
	    rd_printable_utf8(arg2, strlen(arg2), 0) != CK_OK)
		arg1 = arg2 = "?";
	base = strrchr(argv0, '/') != NULL ? strrchr(argv0, '/') + 1 : argv0;
	if (strcmp(base, "conclave") == 0 && (arg1[0] == '\0' ||
	    arg1[0] == '-' || strcmp(arg1, "ui") == 0))
		snprintf(out, outlen, "the guided UI (conclave ui, pid %ld)",
		    pid);
	else if (strcmp(base, "conclave") == 0)
		snprintf(out, outlen, "conclave %.24s%s%.24s (pid %ld)", arg1,
		    arg2[0] == '-' || arg2[0] == '\0' ? "" : " ",
		    arg2[0] == '-' ? "" : arg2, pid);
	free(buf);
}

/*
 * s as one shell word: as it is when it holds only characters no shell
 * reads specially, else double-quoted with " $ ` \\ escaped. malloc'd.
 */
static char *
shell_word(const char *s)
{
	static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_./-+,:=@%";
	char *out, *o;

	if (s[0] != '\0' && s[strspn(s, plain)] == '\0')
		return strdup(s);
	if ((out = o = malloc(2 * strlen(s) + 3)) == NULL)
		return NULL;
	*o++ = '"';
	for (; *s != '\0'; s++) {
		if (strchr("\"$`\\", *s) != NULL)
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

void
cmd_print_confirm(const char *cmd, const char *step, const char *state,
    const char *sas, const char *not_yet)
{
	char *line = NULL, *st = shell_word(state);

	tty_printw(stdout, "%s: when a witness has seen the same words on both "
	    "screens, run\n", not_yet);
	if (st == NULL || asprintf(&line, "conclave %s %s --state %s "
	    "--confirm-sas \"%s\"", cmd, step, st, sas) < 0)
		printf("  conclave %s %s --state %s --confirm-sas \"%s\"\n", cmd,
		    step, state, sas);
	else
		tty_print_command(stdout, line);
	free(line);
	free(st);
}

const char *
cmd_load_why(const char *state, int err)
{
	static char why[320];
	char who[96], *path = NULL;
	long pid = 0;

	if (err != CK_ERR_BUSY)
		return NULL;
	if (asprintf(&path, "%s/%s", state, SESSION_TRANSCRIPT) >= 0 &&
	    transcript_lock_holder(path, &pid) == CK_OK)
		describe_holder(pid, who, sizeof(who));
	else
		snprintf(who, sizeof(who), "another conclave (the guided UI "
		    "or a command)");
	free(path);
	snprintf(why, sizeof(why), "%s holds this state folder's ceremony; "
	    "nothing was changed. Leave the UI there (Ctrl-Q) or let the "
	    "command end, then run this again: one process at a time "
	    "writes a ceremony.", who);
	return why;
}

int
cmd_begin_refused(const char *cmd, const char *state, const char *exchange,
    int err)
{
	char kind[SESSION_PEEK_MAX], phase[SESSION_PEEK_MAX];

	if (err != CK_ERR_EXISTS ||
	    session_peek(state, kind, phase) != CK_OK)
		return cmd_refuse(cmd, "begin", err, session_begin_why(exchange,
		    err));
	tty_printw(stderr, "conclave %s begin: a %s ceremony is in %s (%s).\n",
	    cmd, kind, state, phase);
	if (strcmp(phase, "closed") == 0)
		tty_printw(stderr,
		    "  It is closed: archive its transcript, then begin "
		    "in an empty folder.\n");
	else
		tty_printw(stderr,
		    "  Go on with it:  conclave %s status --state %s\n"
		    "  or give it up: conclave %s abandon --state %s\n", kind,
		    state, kind, state);
	return 1;
}

#define NO_CARD	"no OpenPGP smartcard found: insert the holder's card, or " \
	"give --secret-key"
#define WRONG_CARD	"the card in the reader holds another key, not " \
	"this holder's: no PIN was asked of it; insert the holder's own card"
#define BLOCKED	"unblock it with the reset code or the admin PIN " \
	"(gpg --card-edit, passwd) before the ceremony goes on"

void
cmd_holder_member(struct session *s, unsigned k, char name[ROSTER_NAME_MAX + 1],
    char enc_keyid[PGP_KEYID_LEN + 1])
{
	const struct roster_member *m;
	struct roster *ro = NULL;

	name[0] = enc_keyid[0] = '\0';
	if (init_load_roster(s, &ro) == CK_OK &&
	    (m = roster_holder(ro, k)) != NULL) {
		memcpy(name, m->name, sizeof(m->name));
		memcpy(enc_keyid, m->enc_keyid, sizeof(m->enc_keyid));
	}
	roster_free(ro);
}

int
cmd_holder_key(struct pgp_home *h, const char *cmd, const char *step,
    const char *keyfile, char enc_keyid[PGP_KEYID_LEN + 1])
{
	struct pgp_keyinfo ki;
	struct pgp_fprs f;
	int r;

	enc_keyid[0] = '\0';
	if (keyfile == NULL) {
		cmd_refuse(cmd, step, CK_ERR_INVALID_ARG, "a share decrypted by a "
		    "card needs the holder's public key: --holder-key FILE "
		    "(or --secret-key FILE for a key file)");
		return CK_ERR_INVALID_ARG;
	}
	if ((r = pgp_import_file(h, keyfile, &f)) == CK_OK && f.n != 1)
		r = CK_ERR_FORMAT;
	if (r == CK_OK && (r = pgp_key_validate(h, f.fpr[0], &ki)) == CK_OK)
		memcpy(enc_keyid, ki.enc_keyid, sizeof(ki.enc_keyid));
	if (r != CK_OK)
		cmd_refuse(cmd, step, r, keyfile);
	return r;
}

/* A card refused before the PIN: printed and on the record, once. */
static int
card_refused(const struct cmd_step *st, int err, const char *why)
{
	const char *who = st->actor;

	cmd_refuse(st->cmd, st->step, err, why);
	/* A name the operator typed is recorded only if it could be a name. */
	if (who[0] == '\0' || strlen(who) > ROSTER_NAME_MAX ||
	    rd_printable_utf8(who, strlen(who), 0) != CK_OK)
		who = KIND_ACTOR_APPLIANCE;
	session_reject(st->s, st->what, err, who);
	return err;
}

int
cmd_holder_secret(struct pgp_home *h, const struct cmd_step *st,
    const char *keyfile, int fd, char **secret)
{
	struct pgp_card card;
	char prompt[40] = "Passphrase: ";
	int r;

	*secret = NULL;
	if (keyfile == NULL) {
		if ((r = pgp_card_learn(h, &card)) != CK_OK)
			return card_refused(st, r, NO_CARD);
		if (st->enc_keyid[0] != '\0' &&
		    !pgp_card_holds(&card, st->enc_keyid))
			return card_refused(st, CK_ERR_WRONG_KEY, WRONG_CARD);
		if (card.pin_tries == 0)
			return card_refused(st, CK_ERR_PIN_BLOCKED, BLOCKED);
		if (card.pin_tries > 0)
			snprintf(prompt, sizeof(prompt), "PIN (%d %s left): ",
			    card.pin_tries, card.pin_tries == 1 ? "try" : "tries");
		else
			snprintf(prompt, sizeof(prompt), "PIN: ");
	}
	if ((r = tty_read_secret(prompt, fd, secret)) != CK_OK)
		cmd_refuse(st->cmd, st->step, r, "no passphrase or PIN was given");
	return r;
}

const char *
cmd_decrypt_why(struct pgp_home *h, const char *keyfile, int err, char *buf,
    size_t buflen)
{
	struct pgp_card card;

	if (keyfile != NULL)
		return err == CK_ERR_BAD_PASSPHRASE ? "wrong passphrase: nothing "
		    "was written or sealed; run the step again to retry" : NULL;
	switch (err) {
	case CK_ERR_BAD_PASSPHRASE:
		if (pgp_card_learn(h, &card) != CK_OK || card.pin_tries < 0)
			return "wrong PIN";
		snprintf(buf, buflen, "wrong PIN: the card has %d %s left "
		    "before it blocks; run the step again to retry",
		    card.pin_tries, card.pin_tries == 1 ? "try" : "tries");
		return buf;
	case CK_ERR_WRONG_KEY:
		return WRONG_CARD;
	case CK_ERR_PIN_BLOCKED:
		return BLOCKED;
	case CK_ERR_CARD_REMOVED:
		return "the card was pulled out or stopped answering during the "
		    "decryption: nothing was recorded; insert it and run the step again";
	case CK_ERR_NOT_FOUND:
		return NO_CARD;
	default:
		return NULL;
	}
}

int
cmd_handout(const char *kind, const struct cmd_handout_args *a, char **file)
{
	struct session *s = NULL;
	struct pgp_home *h = NULL;
	char *pass = NULL, step[32], why[160];
	char actor[ROSTER_NAME_MAX + 1], enc_keyid[PGP_KEYID_LEN + 1];
	struct cmd_step st;
	int r, rc = 1;

	*file = NULL;
	if ((r = session_load(a->state, kind, a->exchange, &s)) != CK_OK)
		return cmd_refuse(kind, "handout", r,
		    cmd_load_why(a->state, r));
	snprintf(step, sizeof(step), "%s handout", kind);
	if ((r = cmd_pgp_home(step, a->gnupg_base, &h)) != CK_OK)
		goto out;
	cmd_holder_member(s, a->holder, actor, enc_keyid);
	st = (struct cmd_step){ s, kind, "handout", "decrypt-proof", actor,
	    enc_keyid };
	if (cmd_holder_secret(h, &st, a->secret_key, a->passphrase_fd,
	    &pass) != CK_OK)
		goto out;
	if ((r = init_handout(s, h, a->holder, a->stick, a->secret_key, pass,
	    file)) != CK_OK) {
		cmd_refuse(kind, "handout", r, cmd_decrypt_why(h,
		    a->secret_key, r, why, sizeof(why)));
		goto out;
	}
	rc = 0;
out:
	secmem_free(pass);
	pgp_home_close(h);
	session_free(s);
	return rc;
}

int
cmd_roster_add(struct roster *ro, struct pgp_home *h, const char *step,
    const char *spec, enum roster_role role)
{
	char name[ROSTER_NAME_MAX + 1];
	const char *eq;
	int r;

	if ((eq = strchr(spec, '=')) == NULL || eq == spec ||
	    (size_t)(eq - spec) > ROSTER_NAME_MAX) {
		tty_printw(stderr,
		    "conclave %s: expected NAME=KEYFILE, got '%s'\n",
		    step, spec);
		return CK_ERR_INVALID_ARG;
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	if ((r = roster_add_keyfile(ro, h, name, role, eq + 1)) != CK_OK)
		tty_printw(stderr,
		    "conclave %s: key of %s (%s): %s (%s)\n", step,
		    name, eq + 1, ck_strerror(r), ck_errname(r));
	return r;
}

const char *
cmd_closed_text(const struct session *s)
{
	return session_in_review(s) ? "Complete: the transcript stays open for "
	    "the witnesses' review." : "Ceremony closed.";
}

int
cmd_review_option(const char *step)
{
	if (strcmp(step, "begin") != 0) {
		tty_printw(stderr,
		    "conclave: --review is an option of begin only\n");
		return 2;
	}
	return 0;
}

int
cmd_review_begin(const char *const *witnesses, size_t n)
{
	size_t i, j, len;

	if (witnesses != NULL && n == 0) {
		tty_printw(stderr,
		    "conclave: --review names the witnesses who will "
		    "answer at the review: --witness NAME (one or more)\n");
		return 2;
	}
	for (i = 0; witnesses != NULL && i < n; i++) {
		len = strlen(witnesses[i]);
		if (len == 0 || len > ROSTER_NAME_MAX ||
		    rd_printable_utf8(witnesses[i], len, 0) != CK_OK) {
			tty_printw(stderr,
			    "conclave: a witness's name must be 1 to "
			    "%d printable characters on one line\n",
			    ROSTER_NAME_MAX);
			return 2;
		}
		for (j = 0; j < i; j++)
			if (strcmp(witnesses[i], witnesses[j]) == 0) {
				tty_printw(stderr,
				    "conclave: --witness %s is given "
				    "twice\n", witnesses[i]);
				return 2;
			}
	}
	session_review_all(1, witnesses, n);
	return 0;
}

void
cmd_review_next(const char *state)
{
	tty_printw(stdout,
	    "In review: each witness checks the record against what happened "
	    "in the room.\nNext: conclave review --state %s --witness NAME...\n"
	    "  (--not-confirmed NAME --reason TEXT for a witness who does not "
	    "confirm)\n", state);
}

int
cmd_abandon_refused(const char *cmd, const char *state, int err,
    const char *why)
{
	char *text = NULL;

	if (err != CK_ERR_IN_REVIEW)
		return cmd_refuse(cmd, "abandon", err, why);
	if (asprintf(&text, "its shares are out, its token revoked or its "
	    "nodes unsealed: it is not abandoned but closed by its review. "
	    "conclave review --state %s --witness NAME..., and a witness who "
	    "saw something go wrong: --not-confirmed NAME --reason TEXT (on "
	    "the record as a deviation).", state) < 0)
		text = NULL;
	cmd_refuse(cmd, "abandon", err, text);
	free(text);
	return 1;
}

void
cmd_print_ceremony_key(const struct session *s)
{
	struct minisig_pubkey pk;
	char id[17], words[WORDS_TEXT_MAX(MINISIG_KEYID_BYTES)];

	minisig_pubkey_from_sk(&pk, s->sk);
	minisig_keyid_hex(&pk, id);
	if (minisig_keyid_words(&pk, words, sizeof(words)) != CK_OK)
		words[0] = '\0';
	tty_printw(stdout,
	    "Ceremony %s\nCeremony key %s\n  %s\n", s->id_hex, id, words);
}

int
cmd_load_prev(const char *step, const char *path,
    uint8_t head[TRANSCRIPT_HASH_BYTES])
{
	struct transcript_report rep;
	int r;

	if ((r = transcript_verify(path, NULL, &rep)) != CK_OK) {
		tty_printw(stderr, "conclave %s: previous transcript %s does "
		    "not verify: %s (%s)\n", step, path, ck_strerror(r), rep.reason);
		return r;
	}
	memcpy(head, rep.head, TRANSCRIPT_HASH_BYTES);
	return CK_OK;
}
