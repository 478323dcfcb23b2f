/*
 * One quorum ceremony session, bridge side (see bsession.h).
 *
 * Limits: envelopes as courier_receive bounds them; a wait polls the
 * exchange folder every POLL_MS milliseconds.
 *
 * The ceremony folder is opened for each read or write and closed after it:
 * between crossings the exchange stick leaves the workstation (unmounted,
 * pulled out) and comes back as a new mount at the same path. A folder held
 * open would keep the old mount busy and never show the new one.
 */
#include "bridge/bsession.h"
#include "bridge/opts.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bridge/bqr.h"
#include "crypto/codec.h"
#include "crypto/errors.h"
#include "client/revoke.h"
#include "crypto/secmem.h"
#include "media/courier.h"
#include "media/tty.h"
#include "protocol/minisig.h"

#define POLL_MS	50

static int
dir_open(struct bsession *b)
{
	return exch_open(b->root, b->id, 0, &b->x);
}

static void
dir_close(struct bsession *b)
{
	exch_close(b->x);
	b->x = NULL;
}

static int
set_root(struct bsession *b, const char *exchange)
{
	return (b->root = strdup(exchange)) == NULL ? CK_ERR_ALLOC : CK_OK;
}

/*
 * An envelope that came by QR code, onto the exchange folder as the
 * record (what the stick would have carried): a file already there under
 * its name must hold the same bytes.
 */
static int
record(struct bsession *b, const struct envelope *env, const uint8_t *msg,
    size_t len)
{
	char name[ENVELOPE_FILE_NAME_MAX];
	uint8_t *old = NULL;
	size_t oldlen = 0;
	int r;

	if ((r = envelope_file_name(env->seq, env->type, name)) != CK_OK ||
	    (r = exch_open(b->root, b->id, EXCH_CREATE, &b->x)) != CK_OK)
		return r;
	r = exch_write(b->x, name, msg, len, 0);
	if (r == CK_ERR_EXISTS && exch_read(b->x, name, ENVELOPE_MAX_BYTES, &old,
	    &oldlen) == CK_OK && oldlen == len && memcmp(old, msg, len) == 0)
		r = CK_OK;
	free(old);
	dir_close(b);
	if (r != CK_OK)
		opts_fail(b->o->cmd, "the scanned envelope's copy on the exchange "
		    "folder", r, r == CK_ERR_EXISTS ? "a different file holds its "
		    "name there" : NULL);
	return r;
}

/*
 * A scan that stalled or whose camera is gone: on a terminal, the
 * exchange folder is offered instead (the operator copies the stick
 * there); 1 when taken. Without one the command ends, nothing written.
 */
static int
offer_folder(const struct bsession *b, int r)
{
	char line[16];

	if ((r != CK_ERR_QR_STALLED && r != CK_ERR_MEDIA_GONE) ||
	    !isatty(STDIN_FILENO) ||
	    tty_ask("Use the exchange stick instead: copy it into the exchange "
	    "folder, then press\nEnter to read the envelope from there "
	    "(q and Enter: stop) ", line, sizeof(line)) != CK_OK ||
	    strcmp(line, "q") == 0) {
		if (r == CK_ERR_QR_STALLED || r == CK_ERR_MEDIA_GONE) {
			tty_printw(stderr,
			    "Carry this envelope on the exchange "
			    "stick (%s) instead: on a terminal the bridge offers "
			    "that in place; here it stops.\n", b->root);
		}
		return 0;
	}
	return 1;
}

/* Which way the folder entry e crossed (0: a type not known). */
static enum envelope_dir
entry_dir(const struct exch_entry *e)
{
	enum envelope_type t;

	return envelope_type_from_name(e->type, strlen(e->type), &t) == CK_OK ?
	    envelope_type_dir(t) : 0;
}

/*
 * Did a bridge finish the session on folder list l: its last envelope the
 * bridge's last answer (courier_session_over), which the appliance may
 * not have taken yet?
 */
static int
finished(const struct exch_list *l)
{
	return l->n > 1 && courier_session_over(&l->v[l->n - 1]) &&
	    entry_dir(&l->v[l->n - 1]) == ENVELOPE_B_TO_A;
}

/*
 * A first scan that stalled or whose camera is gone (r), when the
 * exchange folder shows this bridge's ceremony under way already (the
 * one named, or the one folder whose request was answered): a bridge
 * started again after it stopped, while the appliance shows no code (it
 * waits for the bridge's next one). CK_OK, said: the command goes on
 * from the folder as on the stick. CK_ERR_NOT_FOUND when the named
 * ceremony's session is finished (bsession_finished). Either way the
 * scan's failure held in f is no refusal, and dropped. Otherwise r.
 */
static int
under_way(struct bsession *b, const char *ceremony, enum envelope_type want,
    int r, struct bqr_refusal *f)
{
	struct exch_list l = { 0 };
	int found, over;

	if (r != CK_ERR_QR_STALLED && r != CK_ERR_MEDIA_GONE)
		return r;
	if (ceremony == NULL &&
	    courier_find_under_way(b->root, want, b->id) != CK_OK)
		return r;
	envelope_ceremony_id_hex(b->id, b->id_hex);
	if (dir_open(b) != CK_OK)
		return r;
	found = exch_list(b->x, &l) == CK_OK && l.n > 1;
	over = found && finished(&l);
	exch_list_free(&l);
	dir_close(b);
	if (!found)
		return r;
	f->what = NULL;
	if (over)
		return CK_ERR_NOT_FOUND;
	tty_printw(stdout, "Ceremony %s:\nunder way on the exchange "
	    "folder (%s) when a bridge stopped: this bridge goes on "
	    "from there.\n", b->id_hex, b->root);
	return CK_OK;
}

/*
 * A later envelope of a ceremony in the scan of a first request (seen,
 * refused as out of order): the appliance shows its last
 * envelope, and when the exchange folder holds that ceremony's request,
 * signed by the same key and answered, a bridge that stopped left its
 * session there (under way, or finished): its ceremony is b's. Said; 1
 * when so.
 */
static int
seen_under_way(struct bsession *b, enum envelope_type want,
    const struct envelope *seen)
{
	struct envelope req = { 0 };
	struct exch_list l = { 0 };
	int found;

	if (exch_open(b->root, seen->ceremony_id, 0, &b->x) != CK_OK)
		return 0;
	found = courier_receive(b->x, seen->ceremony_id, seen->signer_pk, 0,
	    want, &req) == CK_OK && exch_list(b->x, &l) == CK_OK && l.n > 1;
	envelope_free(&req);
	exch_list_free(&l);
	dir_close(b);
	if (found) {
		memcpy(b->id, seen->ceremony_id, sizeof(b->id));
		envelope_ceremony_id_hex(b->id, b->id_hex);
		tty_printw(stdout, "Ceremony %s:\nthe appliance shows its "
		    "envelope %llu; the exchange folder holds the ceremony, "
		    "answered by a bridge that stopped.\n", b->id_hex,
		    (unsigned long long)seen->seq);
	}
	return found;
}

/* The first request by QR code: its ceremony learned from it. A failure
 * of the scan is held in f. */
static int
open_scanned(struct bsession *b, const char *ceremony, enum envelope_type want,
    struct envelope *req, struct bqr_refusal *f)
{
	uint8_t *msg = NULL;
	size_t len = 0;
	int r;
	struct exch_list l = { 0 };

	r = bqr_receive(b->o->cmd, b->o, ceremony != NULL ? b->id : NULL,
	    NULL, 0, want, 0, 0, req, &msg, &len, f);
	/* As for the request answered already, below: no refusal. */
	if (r == CK_ERR_OUT_OF_ORDER && f->seen.payload != NULL &&
	    seen_under_way(b, want, &f->seen)) {
		f->what = NULL;
		r = CK_ERR_NOT_FOUND;
	}
	envelope_free(&f->seen);
	if (r != CK_OK)
		return r;
	memcpy(b->id, req->ceremony_id, sizeof(b->id));
	envelope_ceremony_id_hex(b->id, b->id_hex);
	r = record(b, req, msg, len);
	free(msg);
	if (r != CK_OK || (r = dir_open(b)) != CK_OK)
		return r;
	r = exch_list(b->x, &l);
	dir_close(b);
	/* Answered already: a bridge that stopped left its session under way
	 * (the appliance still shows the request), which cannot go on. As
	 * for the stick, the command finds it and cancels its attempt. */
	if (r == CK_OK && l.n > 1) {
		envelope_free(req);
		r = CK_ERR_NOT_FOUND;
	}
	exch_list_free(&l);
	return r;
}

int
bsession_open(struct bsession *b, const struct bridge_opts *o,
    const char *ceremony, enum envelope_type want, struct envelope *req)
{
	struct bqr_refusal f;
	int r, scanned = 0;

	memset(b, 0, sizeof(*b));
	b->o = o;
	if (ceremony != NULL &&
	    (r = envelope_ceremony_id_parse(ceremony, strlen(ceremony), b->id)) !=
	    CK_OK)
		return r;
	if ((r = set_root(b, o->exchange)) != CK_OK)
		return r;
	/* The scan's failure is said after what the folder shows: a
	 * session a stopped bridge left is no refusal. */
	if (bqr_scanning(o) &&
	    (r = open_scanned(b, ceremony, want, req, &f)) == CK_OK)
		scanned = 1;
	else if (bqr_scanning(o) &&
	    (r = under_way(b, ceremony, want, r, &f)) != CK_OK) {
		bqr_refusal_say(o->cmd, &f);
		if (!offer_folder(b, r))
			return r;
	}
	if (!scanned) {
		if (ceremony == NULL &&
		    (r = courier_find_ceremony(o->exchange, want, b->id)) != CK_OK)
			return r;
		envelope_ceremony_id_hex(b->id, b->id_hex);
		if ((r = dir_open(b)) != CK_OK)
			return r;
		r = courier_receive(b->x, b->id, NULL, 0, want, req);
		dir_close(b);
		if (r != CK_OK)
			return r;
	}
	memcpy(b->appliance_pk, req->signer_pk, sizeof(b->appliance_pk));
	b->last_seq = req->seq;
	if ((b->sk = secmem_alloc(ENVELOPE_SK_BYTES)) == NULL ||
	    crypto_sign_keypair(b->pk, b->sk) != 0)
		return CK_ERR_ALLOC;
	return sealbox_keypair(b->box_pk, &b->box_sk);
}

int
bsession_orphan(struct bsession *b, const char *exchange, const char *ceremony,
    enum envelope_type want, struct envelope *req, json_t **offer)
{
	struct envelope env = { 0 };
	int r;

	memset(b, 0, sizeof(*b));
	*offer = NULL;
	if (ceremony != NULL)
		r = envelope_ceremony_id_parse(ceremony, strlen(ceremony), b->id);
	else
		r = courier_find_under_way(exchange, want, b->id);
	if (r != CK_OK)
		return r;
	envelope_ceremony_id_hex(b->id, b->id_hex);
	if ((r = set_root(b, exchange)) != CK_OK || (r = dir_open(b)) != CK_OK)
		return r;
	if ((r = courier_receive(b->x, b->id, NULL, 0, want, req)) != CK_OK) {
		dir_close(b);
		return r;
	}
	memcpy(b->appliance_pk, req->signer_pk, sizeof(b->appliance_pk));
	if (courier_receive(b->x, b->id, NULL, 1, ENVELOPE_SESSION_OFFER,
	    &env) == CK_OK)
		*offer = json_incref(env.payload);
	envelope_free(&env);
	dir_close(b);
	return CK_OK;
}

int
bsession_orphan_cancel(const struct bsession *b, const char *cmd,
    const char *what, const char *if_finished, const json_t *offer,
    const struct bsession_attempt *a)
{
	const char *old = json_string_value(json_object_get(offer, "nonce"));
	const char *ep = json_string_value(json_object_get(json_object_get(
	    offer, "unavailable"), "endpoint"));
	int r;

	if (ep != NULL) {
		tty_printw(stdout, "Ceremony %s is closed as failed: the "
		    "server's %s is disabled (its offer said so). Begin a new %s "
		    "ceremony.\n", b->id_hex, ep, cmd);
		return 1;
	}
	tty_printw(stdout,
	    "Ceremony %s: a session was under way when a bridge stopped. Its "
	    "session key died with it, so that session cannot go on.\n",
	    b->id_hex);
	if (old == NULL) {
		tty_printw(stdout,
		    "It had started no %s on the server: nothing to cancel.\n",
		    what);
	} else if ((r = opts_client(a->o, 0, a->client)) != CK_OK ||
	    (r = a->detect(a->ctx)) != CK_OK) {
		return opts_fail(cmd, "server", r, "it could not be looked up: "
		    "cancel it on the server if it is still there");
	} else if (!*a->started || strcmp(a->nonce, old) != 0) {
		tty_printw(stdout,
		    "The server has no %s of that session any more (it finished "
		    "or was cancelled): nothing to cancel.\n", what);
		if (if_finished != NULL)
			tty_printw(stdout, "%s\n", if_finished);
	} else if ((r = a->cancel(a->ctx)) != CK_OK) {
		return opts_fail(cmd, "cancelling it", r, NULL);
	} else {
		tty_printw(stdout,
		    "Its %s on the server (nonce %s) is cancelled.\n", what, old);
	}
	tty_printw(stdout,
	    "On the appliance: abandon that ceremony (conclave %s abandon, or "
	    "a on its wait screen), then begin again.\n", cmd);
	return 1;
}

int
bsession_last(struct bsession *b, uint64_t *seq)
{
	struct exch_list l = { 0 };
	int r;

	*seq = 0;
	if ((r = dir_open(b)) != CK_OK)
		return r;
	if ((r = exch_list(b->x, &l)) == CK_OK && l.n > 0)
		*seq = l.v[l.n - 1].seq;
	exch_list_free(&l);
	dir_close(b);
	return r;
}

int
bsession_read(struct bsession *b, uint64_t seq, enum envelope_type type,
    struct envelope *env)
{
	int r;

	if ((r = dir_open(b)) != CK_OK)
		return r;
	r = courier_receive(b->x, b->id, NULL, seq - 1, type, env);
	dir_close(b);
	return r;
}

int
bsession_adopt(struct bsession *b, char name[ENVELOPE_FILE_NAME_MAX])
{
	struct envelope env = { 0 };
	enum envelope_type t;
	uint8_t *bin = NULL;
	uint64_t last;
	size_t len;
	unsigned w;
	int r, found = 0;

	name[0] = '\0';
	if ((r = bsession_last(b, &last)) != CK_OK || (r = dir_open(b)) !=
	    CK_OK)
		return r;
	for (w = 1; w < 256 && !found; w++) {
		if (envelope_type_from_byte((uint8_t)w, &t) != CK_OK ||
		    envelope_type_dir(t) != ENVELOPE_B_TO_A ||
		    envelope_file_name(last + 1, t, name) != CK_OK ||
		    exch_read_tmp(b->x, name, ENVELOPE_MAX_BYTES, &bin, &len) !=
		    CK_OK)
			continue;
		/* Whole and signed, this ceremony's, the next seq, of the type
		 * its name says, and not signed by the appliance's key. */
		found = envelope_parse(bin, len, &env) == CK_OK &&
		    envelope_check_binding(&env, b->id, env.signer_pk, last) ==
		    CK_OK && envelope_file_name_matches(&env, name,
		    strlen(name)) == CK_OK && sodium_memcmp(env.signer_pk,
		    b->appliance_pk, sizeof(b->appliance_pk)) != 0;
		envelope_free(&env);
		free(bin);
		bin = NULL;
	}
	r = found ? exch_adopt_tmp(b->x, name) : CK_ERR_NOT_FOUND;
	dir_close(b);
	if (r != CK_OK)
		name[0] = '\0';
	return r;
}

int
bsession_repin(struct bsession *b, const char *kind, char sas[BSESSION_SAS_MAX])
{
	int r;

	sas[0] = '\0';
	if ((r = bsession_last(b, &b->last_seq)) != CK_OK)
		return r;
	/* A fresh key, even when bsession_open made one: the room compares
	 * the words of the key this process holds, and no other. */
	secmem_free(b->sk);
	secmem_free(b->box_sk);
	b->box_sk = NULL;
	if ((b->sk = secmem_alloc(ENVELOPE_SK_BYTES)) == NULL ||
	    crypto_sign_keypair(b->pk, b->sk) != 0)
		return CK_ERR_ALLOC;
	if ((r = sealbox_keypair(b->box_pk, &b->box_sk)) != CK_OK ||
	    (r = words_sas(b->appliance_pk, b->pk, b->id, WORDS_SAS_DEFAULT, sas,
	    BSESSION_SAS_MAX)) != CK_OK)
		return r;
	return bsession_send_new(b, ENVELOPE_BRIDGE_REPIN, json_pack("{s:s, s:I}",
	    "kind", kind, "after_seq", (json_int_t)b->last_seq));
}

/* Does the command carry the bridge's envelopes as codes? */
static int
carries_codes(const struct bridge_opts *o)
{
	return o->png_dir != NULL || o->qr_show;
}

void
bsession_carry_again(struct bsession *b)
{
	struct exch_list l = { 0 };
	uint8_t *bin = NULL;
	uint64_t after = 0;
	size_t i, len = 0;
	int r;

	if (!carries_codes(b->o) || dir_open(b) != CK_OK)
		return;
	r = exch_list(b->x, &l);
	dir_close(b);
	/* The appliance took all before its own last envelope. */
	for (i = 0; r == CK_OK && i < l.n; i++)
		if (entry_dir(&l.v[i]) == ENVELOPE_A_TO_B)
			after = l.v[i].seq;
	for (i = 0; r == CK_OK && i < l.n; i++) {
		if (l.v[i].seq <= after || entry_dir(&l.v[i]) != ENVELOPE_B_TO_A ||
		    dir_open(b) != CK_OK)
			continue;
		r = exch_read(b->x, l.v[i].name, ENVELOPE_MAX_BYTES, &bin, &len);
		dir_close(b);
		if (r == CK_OK)
			bqr_send_again(b->o->cmd, b->o, l.v[i].name, bin, len);
		else
			opts_fail(b->o->cmd, l.v[i].name, r, "not carried as "
			    "codes: take it on the exchange stick");
		free(bin);
		bin = NULL;
		r = CK_OK;
	}
	exch_list_free(&l);
}

int
bsession_finished(struct bsession *b)
{
	struct exch_list l = { 0 };
	char last[EXCH_NAME_MAX + 1];
	int over, closing = 0;

	if (b->id_hex[0] == '\0' || dir_open(b) != CK_OK)
		return 0;
	over = exch_list(b->x, &l) == CK_OK && finished(&l);
	if (over) {
		snprintf(last, sizeof(last), "%s", l.v[l.n - 1].name);
		closing = strcmp(l.v[l.n - 1].type,
		    envelope_type_name(ENVELOPE_CLOSING_RESULT)) == 0;
	}
	exch_list_free(&l);
	dir_close(b);
	if (!over)
		return 0;
	tty_printw(stdout, "Ceremony %s:\nfinished on the server side: a bridge "
	    "that stopped wrote its last result (%s). %s Nothing else is left "
	    "for the bridge. Next: conclave %s %s on the appliance.\n",
	    b->id_hex, last, carries_codes(b->o) ? "Only the appliance's copy "
	    "is missing: it is carried again as codes." : "It is on the "
	    "exchange folder.", b->o->cmd, closing ? "close" : "result");
	bsession_carry_again(b);
	return 1;
}

static void
signer_words(const struct bsession *b, char id[17],
    char words[WORDS_TEXT_MAX(MINISIG_KEYID_BYTES)])
{
	struct minisig_pubkey mp;

	minisig_pubkey_from_pk(&mp, b->appliance_pk);
	minisig_keyid_hex(&mp, id);
	if (minisig_keyid_words(&mp, words, WORDS_TEXT_MAX(MINISIG_KEYID_BYTES))
	    != CK_OK)
		words[0] = '\0';
}

void
bsession_show_signer(const struct bsession *b, const char *what)
{
	char id[17], words[WORDS_TEXT_MAX(MINISIG_KEYID_BYTES)];

	signer_words(b, id, words);
	tty_printw(stdout, "%s signed by ceremony key %s\n  %s\n"
	    "Compare these words with the appliance's screen.\n", what, id, words);
	fflush(stdout);
}

int
bsession_confirm_signer(const struct bsession *b, const char *cmd,
    const char *given)
{
	char id[17], words[WORDS_TEXT_MAX(MINISIG_KEYID_BYTES)];
	char typed[4 * WORDS_TEXT_MAX(MINISIG_KEYID_BYTES)], why[128];
	unsigned tries;
	size_t differs = 0;
	int r;

	signer_words(b, id, words);
	for (tries = 1; tries <= (given != NULL ? 1 : BSESSION_WORDS_TRIES);
	    tries++) {
		if (given == NULL && (r = tty_ask("Type the ceremony key's words "
		    "as a witness reads them from the appliance:\n> ", typed,
		    sizeof(typed))) != CK_OK) {
			opts_fail(cmd, "ceremony key words", r, r == CK_ERR_TOO_LARGE ?
			    "that line is longer than the words" : "no terminal to "
			    "type them on, or the input ended: give them with "
			    "--key-words; nothing was sent to the server");
			return r == CK_ERR_TOO_LARGE ? CK_ERR_SAS_MISMATCH : CK_ERR_IO;
		}
		if (words_match(given != NULL ? given : typed, words, &differs) ==
		    CK_OK) {
			tty_printw(stdout,
			    "The ceremony key's words match the appliance's.\n");
			return CK_OK;
		}
		snprintf(why, sizeof(why), "word %zu of %d is not the request's: "
		    "the request may not be the appliance's%s", differs,
		    MINISIG_KEYID_BYTES, given != NULL || tries ==
		    BSESSION_WORDS_TRIES ? "; nothing was sent to the server" :
		    "; type them again");
		opts_fail(cmd, "ceremony key words", CK_ERR_SAS_MISMATCH, why);
	}
	return CK_ERR_SAS_MISMATCH;
}

int
bsession_offer(struct bsession *b, json_t *payload, char sas[BSESSION_SAS_MAX])
{
	int r;

	sas[0] = '\0';
	if (payload == NULL) {
		opts_fail(b->o->cmd, "offer", CK_ERR_ALLOC, NULL);
		return CK_ERR_ALLOC;
	}
	r = bsession_send(b, ENVELOPE_SESSION_OFFER, payload);
	json_decref(payload);
	if (r != CK_OK) {
		opts_fail(b->o->cmd, "writing the session offer", r, NULL);
		return r;
	}
	if ((r = words_sas(b->appliance_pk, b->box_pk, b->id, WORDS_SAS_DEFAULT,
	    sas, BSESSION_SAS_MAX)) != CK_OK)
		opts_fail(b->o->cmd, "short authentication string", r, NULL);
	return r;
}

int
bsession_unavailable(struct bsession *b, const char *kind,
    const char *endpoint, const char *setting, const char *alternative)
{
	return bsession_send_new(b, ENVELOPE_SESSION_OFFER,
	    json_pack("{s:s, s:{s:s, s:s, s:s}}", "kind", kind, "unavailable",
	    "endpoint", endpoint, "setting", setting, "alternative", alternative));
}

void
bsession_nonce(char out[2 * BSESSION_NONCE_BYTES + 1])
{
	uint8_t n[BSESSION_NONCE_BYTES];

	randombytes_buf(n, sizeof(n));
	/* Cannot fail: the buffer is sized for it. */
	if (codec_hex_encode(n, sizeof(n), out, 2 * BSESSION_NONCE_BYTES + 1) !=
	    CK_OK)
		out[0] = '\0';
}

void
bsession_box_pk_hex(const struct bsession *b, char out[2 * SEALBOX_PK_LEN + 1])
{
	if (codec_hex_encode(b->box_pk, sizeof(b->box_pk), out,
	    2 * SEALBOX_PK_LEN + 1) != CK_OK)
		out[0] = '\0';
}

int
bsession_send(struct bsession *b, enum envelope_type type,
    const json_t *payload)
{
	int r;
	char name[ENVELOPE_FILE_NAME_MAX];
	uint8_t *bin = NULL;
	size_t len = 0;

	if ((r = courier_seal(type, b->id, b->last_seq + 1, payload, b->sk, name,
	    &bin, &len)) != CK_OK || (r = dir_open(b)) != CK_OK) {
		free(bin);
		return r;
	}
	r = exch_write(b->x, name, bin, len, 0);
	dir_close(b);
	if (r == CK_OK) {
		b->last_seq++;
		/* A code that cannot be shown leaves the stick: said, not fatal. */
		bqr_send(b->o->cmd, b->o, name, bin, len);
	}
	free(bin);
	return r;
}

int
bsession_send_new(struct bsession *b, enum envelope_type type, json_t *payload)
{
	int r;

	if (payload == NULL)
		return CK_ERR_ALLOC;
	r = bsession_send(b, type, payload);
	json_decref(payload);
	return r;
}

int
bsession_wait(struct bsession *b, enum envelope_type want,
    enum envelope_type want2, unsigned timeout_s, struct envelope *env)
{
	struct timespec pause = { 0, POLL_MS * 1000000L };
	time_t deadline;
	uint8_t *msg = NULL;
	size_t len = 0;
	int r;

	if (bqr_scanning(b->o)) {
		r = bqr_receive(b->o->cmd, b->o, b->id, b->appliance_pk,
		    b->last_seq, want, want2, timeout_s, env, &msg, &len, NULL);
		if (r == CK_OK) {
			r = record(b, env, msg, len);
			free(msg);
			if (r != CK_OK) {
				envelope_free(env);
				return r;
			}
			b->last_seq = env->seq;
			return CK_OK;
		}
		if (!offer_folder(b, r))
			return r;
	}
	deadline = time(NULL) + (time_t)timeout_s;
	for (;;) {
		/* The folder is missing while the stick is out: not yet. */
		if ((r = dir_open(b)) == CK_OK) {
			r = courier_receive(b->x, b->id, b->appliance_pk,
			    b->last_seq, want, env);
			if (r == CK_ERR_BAD_TYPE && want2 != 0)
				r = courier_receive(b->x, b->id, b->appliance_pk,
				    b->last_seq, want2, env);
			dir_close(b);
		}
		if (r == CK_OK) {
			b->last_seq = env->seq;
			return CK_OK;
		}
		if (r != CK_ERR_NOT_FOUND || time(NULL) >= deadline)
			return r;
		nanosleep(&pause, NULL);
	}
}

/* The x-tag is the share's last byte: the box must hold what it claims. */
static int
x_tag_matches(const char *share, size_t len, json_int_t x)
{
	uint8_t b;

	return len >= 2 && codec_hex_decode_exact(share + len - 2, 2, &b, 1) ==
	    CK_OK && b == x;
}

int
bsession_open_share(const struct bsession *b, uint64_t seq, const char *nonce,
    const json_t *entry, char **share, size_t *len)
{
	const char *b64 = json_string_value(json_object_get(entry, "sealed"));
	int r;

	*share = NULL;
	*len = 0;
	if (b64 == NULL)
		return CK_ERR_FORMAT;
	if ((r = sealed_open(b->box_pk, b->box_sk, b->id, seq, nonce, b64, share,
	    len)) != CK_OK)
		return r;
	if (!x_tag_matches(*share, *len,
	    json_integer_value(json_object_get(entry, "x_tag")))) {
		secmem_wipe(*share, *len);
		secmem_free(*share);
		*share = NULL;
		*len = 0;
		return CK_ERR_BAD_SHARE;
	}
	return CK_OK;
}

int
bsession_check_submission(const json_t *p, const char *kind, const char *nonce,
    unsigned threshold, int retry, char *why, size_t whylen)
{
	const char *k = json_string_value(json_object_get(p, "kind"));
	const char *n = json_string_value(json_object_get(p, "nonce"));
	const json_t *shares = json_object_get(p, "shares"), *e;
	uint8_t seen[256] = { 0 };
	json_int_t x;
	size_t i;

	why[0] = '\0';
	if (k == NULL || strcmp(k, kind) != 0 || !json_is_array(shares))
		return CK_ERR_FORMAT;
	if (n == NULL || strcmp(n, nonce) != 0) {
		snprintf(why, whylen, "not sealed for this session's offer");
		return CK_ERR_WRONG_NONCE;
	}
	if (retry != json_is_true(json_object_get(p, "retry"))) {
		snprintf(why, whylen, retry ? "expected a retry request" :
		    "shares expected");
		return CK_ERR_FORMAT;
	}
	if (retry) {
		if (json_array_size(shares) != 0) {
			snprintf(why, whylen, "a retry carries no shares");
			return CK_ERR_FORMAT;
		}
		return CK_OK;
	}
	if (json_array_size(shares) < threshold) {
		snprintf(why, whylen, "nothing was submitted");
		return CK_ERR_TOO_FEW_SHARES;
	}
	if (json_array_size(shares) > 255)
		return CK_ERR_SHARE_COUNT;
	json_array_foreach(shares, i, e) {
		x = json_integer_value(json_object_get(e, "x_tag"));
		if (!json_is_string(json_object_get(e, "sealed")) ||
		    !json_is_integer(json_object_get(e, "x_tag")) || x < 1 || x > 255)
			return CK_ERR_FORMAT;
		if (seen[x]++) {
			snprintf(why, whylen, "nothing was submitted");
			return CK_ERR_DUPLICATE_SHARE;
		}
	}
	return CK_OK;
}

/* The signal that interrupted the wait for the token, or 0. */
static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	interrupted = sig;
}

/*
 * Ask for the token until one is revoked, the input ends or the tries run
 * out: CK_OK with *proof, else the last error with why.
 */
static int
take_token(const char *cmd, struct http_client *c, int fd, const char *accessor,
    long long init_time, json_t **proof, char *why, size_t whylen)
{
	char *tok = NULL, detail[HTTP_MAX_DETAIL + 160];
	unsigned tries;
	int r, last = CK_ERR_NOT_FOUND;

	snprintf(why, whylen, "the input ended before a token was given");
	for (tries = 1; tries <= BSESSION_TOKEN_TRIES; tries++) {
		if (interrupted ||
		    (r = tty_read_secret("Root token (hidden): ", fd, &tok)) ==
		    CK_ERR_IO) {
			if (interrupted)
				snprintf(why, whylen, "interrupted by signal %d before "
				    "the token was given back", (int)interrupted);
			else if (tries == 1 && fd < 0)
				snprintf(why, whylen, "no terminal to type the token "
				    "on (give it with --root-token-fd N)");
			else if (tries > 1)
				snprintf(why + strlen(why), whylen - strlen(why),
				    "; then the input ended");
			return last;
		}
		if (r == CK_OK)
			r = revoke_root_token(c, tok, accessor, init_time, proof,
			    detail,
			    sizeof(detail));
		else
			snprintf(detail, sizeof(detail), "the line is longer than "
			    "any token (%d characters or more)", TTY_SECRET_MAX - 1);
		secmem_free(tok);
		tok = NULL;
		if (r == CK_OK)
			return CK_OK;
		last = r;
		snprintf(why, whylen, "%s", detail);
		/* A sealed server can neither look a token up nor revoke it:
		 * the line may well be right, and giving it again cannot help
		 * until the server is unsealed (after a Shamir init it is
		 * sealed), so it is said and the try not counted. */
		if (r == CK_ERR_SEALED) {
			tries--;
			snprintf(detail + strlen(detail), sizeof(detail) -
			    strlen(detail), "; unseal the server first (an "
			    "unseal ceremony), then give the token again: "
			    "that was not counted as a try");
		} else if (tries < BSESSION_TOKEN_TRIES)
			snprintf(detail + strlen(detail), sizeof(detail) -
			    strlen(detail), "; give it again (%u more %s)",
			    BSESSION_TOKEN_TRIES - tries,
			    BSESSION_TOKEN_TRIES - tries == 1 ? "try" : "tries");
		opts_fail(cmd, "root token", r, detail);
	}
	return last;
}

int
bsession_close_root(struct bsession *b, const char *cmd, struct http_client *c,
    int token_fd, const char *held, const char *accessor, long long init_time)
{
	char why[HTTP_MAX_DETAIL + 256];
	json_t *p = NULL;
	int r, err, rc = 1;
	struct sigaction sa, old[3];
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	size_t i;

	/* Ctrl-C, a kill or a closed terminal while the token is out ends
	 * the wait (read fails with EINTR: no SA_RESTART) as the end of the
	 * input does, so the token is not left live: no exit from here. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	fflush(stdout);
	err = take_token(cmd, c, token_fd, accessor, init_time, &p, why,
	    sizeof(why));
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (err == CK_OK) {
		if ((r = bsession_send(b, ENVELOPE_CLOSING_RESULT, p)) != CK_OK) {
			opts_fail(cmd, "writing the closing result", r, NULL);
			goto out;
		}
		tty_printw(stdout,
		    "Root token (accessor %s) revoked; a lookup with it is "
		    "refused.\nClosing result written: next, conclave %s close on "
		    "the appliance.\n", json_string_value(json_object_get(p,
		    "accessor")), cmd);
		rc = 0;
		goto out;
	}
	/* Not given back: the bridge revokes the one it holds, if it does. */
	if ((rc = bsession_revoke_held(b, cmd, c, held, accessor, "was not "
	    "given back", err, why)) == 0)
		tty_printw(stdout,
		    "Next: conclave %s close on the appliance.\n", cmd);
out:
	json_decref(p);
	return rc;
}

int
bsession_revoke_held(struct bsession *b, const char *cmd, struct http_client *c,
    const char *held, const char *accessor, const char *what, int err,
    const char *why)
{
	char how[HTTP_MAX_DETAIL + 64], text[HTTP_MAX_DETAIL + 512];
	json_t *p = NULL;
	int r, rc = 1;

	snprintf(text, sizeof(text), "%s", why);
	if (held != NULL && (r = revoke_root_token(c, held, accessor, -1, &p,
	    how, sizeof(how))) == CK_OK) {
		if (json_object_set_new(p, "revoked_by", json_string("bridge")) != 0 ||
		    json_object_set_new(p, "reason", bsession_error_text(err,
		    why)) != 0 ||
		    (r = bsession_send(b, ENVELOPE_CLOSING_RESULT, p)) != CK_OK) {
			opts_fail(cmd, "writing the closing result", r, "the token "
			    "IS revoked");
			goto out;
		}
		tty_printw(stdout,
		    "The token %s (%s).\nThe bridge revoked it itself "
		    "(accessor %s); a lookup with it is refused.\nClosing result "
		    "written, saying so.\n", what, why,
		    json_string_value(json_object_get(p, "accessor")));
		rc = 0;
		goto out;
	}
	if (held != NULL)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "; the "
		    "bridge's own revocation failed too: %s", how);
	p = json_pack("{s:b, s:o}", "root_token_revoked", 0, "error",
	    bsession_error_text(err, text));
	if (p == NULL || (r = bsession_send(b, ENVELOPE_CLOSING_RESULT, p)) !=
	    CK_OK)
		opts_fail(cmd, "writing the closing result", p == NULL ?
		    CK_ERR_ALLOC : r, NULL);
	opts_fail(cmd, "the root token is NOT revoked", err, text);
	tty_printw(stderr, "Revoke it on the server yourself (bao token revoke "
	    "-self, with the token).\nThe closing result tells the appliance, "
	    "which records it.\n");
out:
	json_decref(p);
	return rc;
}

void
bsession_free(struct bsession *b)
{
	exch_close(b->x);
	free(b->root);
	secmem_free(b->sk);
	secmem_free(b->box_sk);
	memset(b, 0, sizeof(*b));
}

json_t *
bsession_error_text(int err, const char *detail)
{
	char buf[BSESSION_ERROR_MAX + 1];
	size_t i, n;

	n = (size_t)snprintf(buf, sizeof(buf), "%s%s%s", ck_errname(err),
	    detail != NULL && detail[0] != '\0' ? ": " : "",
	    detail != NULL ? detail : "");
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
			buf[i] = '?';
	return json_string(buf);
}
