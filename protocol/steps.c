/*
 * The step tables. The wording is what a room reads from paper: short,
 * imperative, naming the screen's title as the appliance shows it
 * (ui/scr_*.c) so that people can match paper and screen.
 */
#include "protocol/steps.h"

#include <string.h>

#include "protocol/kinds.h"

#define START(what) { "start", STEPS_OPERATOR, \
	"Start the appliance from its image (no network cable) and choose " \
	what ".", "Choose the ceremony", STEPS_WORDS_NONE, NULL }
#define SUMMARY { "summary", STEPS_WITNESSES, \
	"The ceremony closes and the transcript is signed. Everyone writes " \
	"the head words below and initials them; the transcript is copied " \
	"to the archive stick and `conclave record` prints the paper record.", \
	"Summary", \
	STEPS_WORDS_HEAD, "close" }
/* Every ceremony that completes ends so: after its irreversible steps,
 * before the transcript closes (ui/scr_review.c). */
#define REVIEW(what) { "review", STEPS_WITNESSES, \
	"Everything irreversible is done: " what ". One witness or several " \
	"check the review against what happened in the room and this script, " \
	"and each confirms on the appliance (or records why not); then the " \
	"transcript closes.", \
	"Review and witness sign-off", STEPS_WORDS_NONE, \
	"witness-confirmation" }
#define SAS { "sas", STEPS_WITNESSES, \
	"The operator brings the bridge's session offer. Both screens show " \
	"five words; a witness reads the appliance's aloud and the operator " \
	"compares the bridge's. Confirm only if every word matches.", \
	"Short authentication string", STEPS_WORDS_SAS, \
	"session-offer-accepted" }
#define QUORUM_SHARES(screen, what, rec) { screen, STEPS_QUORUM, \
	"One holder at a time: " what " share is decrypted with their card on " \
	"the appliance, sealed to the bridge's session and wiped. The next " \
	"holder steps up only when the screen asks.", \
	"Quorum: one holder at a time", STEPS_WORDS_NONE, rec }
#define FINGERPRINTS { "fingerprints", STEPS_EVERYONE, \
	"Each member reads their key's fingerprint aloud as words; everyone " \
	"compares with this script and with the member's own holder card.", \
	"Fingerprints: each member confirms their key", STEPS_WORDS_FPR, \
	"fingerprint-confirmed" }
#define ROSTER(who) { "roster", STEPS_OPERATOR, \
	"Add the public key of " who ", each witness and the operator from " \
	"their sticks, in the order of the roster on the cover.", \
	"Roster: who takes part", STEPS_WORDS_NONE, "roster" }

static const struct steps_step init_steps[] = {
	START("\"Initialise a cluster\""),
	ROSTER("each holder"),
	{ "threshold", STEPS_OPERATOR,
	  "Set the number of shares (one per holder) and the threshold as "
	  "on the cover; witnesses check both.", "Quorum", STEPS_WORDS_NONE,
	  NULL },
	FINGERPRINTS,
	{ "begin", STEPS_WITNESSES,
	  "The appliance makes this ceremony's key. A witness reads its words "
	  "aloud and writes them down. The operator carries the init request "
	  "on the exchange stick to the bridge.", "Begin the ceremony",
	  STEPS_WORDS_CEREMONY_KEY, "init-request-sent" },
	{ "result", STEPS_OPERATOR,
	  "On the bridge: conclave-bridge init shows the words of the key "
	  "that signed the request; the operator types them as the witness "
	  "reads them from the appliance, and only when they match is the "
	  "request sent to the server. Bring the result back; the appliance "
	  "checks that share k "
	  "is encrypted to holder k's key and to no one else.",
	  "The server's answer", STEPS_WORDS_NONE, "init-result-accepted" },
	{ "handout", STEPS_EACH_HOLDER,
	  "One holder at a time: their encrypted share is written to their "
	  "own stick, and they decrypt it with their card on the appliance "
	  "(the decrypt proof). The screen is cleared between holders.",
	  "Handout: one holder at a time", STEPS_WORDS_NONE,
	  "share-handed-out" },
	{ "close", STEPS_OPERATOR,
	  "The operator configures the server with the initial root token, "
	  "then gives it back: the bridge revokes it and proves the "
	  "revocation (a wrong line is named and the token asked again; one "
	  "never given back is recorded as NOT revoked); bring the closing "
	  "result back to the appliance.",
	  "Closing: the initial root token is revoked", STEPS_WORDS_NONE,
	  "root-token-revoked" },
	REVIEW("every holder was handed a share with a proof and the initial "
	    "root token is revoked"),
	SUMMARY,
};

static const struct steps_step unseal_steps[] = {
	START("\"Unseal\""),
	{ "request", STEPS_OPERATOR,
	  "The appliance makes this ceremony's key (a witness reads its words "
	  "aloud) and writes the unseal request to the exchange stick; on the "
	  "bridge, conclave-bridge unseal answers with the nodes' seal status.",
	  "Begin the ceremony", STEPS_WORDS_CEREMONY_KEY,
	  "unseal-request-sent" },
	SAS,
	QUORUM_SHARES("share", "their", "share-sealed"),
	{ "submit", STEPS_OPERATOR,
	  "Carry the sealed shares to the bridge, which unseals every sealed "
	  "node; bring its answer back. The screen shows each node's state.",
	  "Submit the shares, and the results", STEPS_WORDS_NONE,
	  "unseal-result" },
	REVIEW("every node is unsealed"),
	SUMMARY,
};

static const struct steps_step rekey_steps[] = {
	START("\"Rekey\""),
	ROSTER("each new holder"),
	{ "threshold", STEPS_OPERATOR,
	  "Set the new number of shares and the new threshold as on the "
	  "cover; witnesses check both.", "Quorum", STEPS_WORDS_NONE, NULL },
	FINGERPRINTS,
	{ "begin", STEPS_WITNESSES,
	  "The appliance makes this ceremony's key; a witness reads its words "
	  "aloud. The operator carries the rekey request to the bridge.",
	  "Begin the ceremony", STEPS_WORDS_CEREMONY_KEY, "rekey-request-sent" },
	SAS,
	QUORUM_SHARES("share", "an OLD holder's", "share-sealed"),
	{ "submit", STEPS_OPERATOR,
	  "Carry the sealed old shares to the bridge; it completes the rekey "
	  "and returns the new shares, encrypted to the new holders.",
	  "Submit the shares, and the results", STEPS_WORDS_NONE,
	  "rekey-result-accepted" },
	{ "handout", STEPS_EACH_HOLDER,
	  "One new holder at a time: the new share goes to their stick and "
	  "they prove it by decrypting it on the appliance.",
	  "Handout: one holder at a time", STEPS_WORDS_NONE,
	  "share-handed-out" },
	{ "check-all", STEPS_EACH_HOLDER,
	  "Optional, only if the room chose it: each new holder decrypts "
	  "once more and the appliance checks that all new shares belong "
	  "together. The new key is in the appliance's memory for a moment; "
	  "the screen says so and the record too.",
	  "Rekey: check all new shares", STEPS_WORDS_NONE,
	  "all-shares-check-started" },
	QUORUM_SHARES("verify", "a NEW holder's new", "verification-started"),
	{ "verify-submit", STEPS_OPERATOR,
	  "Carry the new shares to the bridge, which verifies the rekey; only "
	  "then do the old shares stop working.",
	  "Submit the shares, and the results", STEPS_WORDS_NONE,
	  "rekey-verified" },
	REVIEW("the new shares are handed out and verified, the old ones "
	    "void"),
	SUMMARY,
};

static const struct steps_step generate_root_steps[] = {
	START("\"Regenerate a root token\""),
	{ "request", STEPS_OPERATOR,
	  "The appliance makes this ceremony's key (a witness reads its words "
	  "aloud) and writes the request; on the bridge, conclave-bridge "
	  "generate-root starts the attempt and makes the one-time password.",
	  "Begin the ceremony", STEPS_WORDS_CEREMONY_KEY, "request-sent" },
	SAS,
	QUORUM_SHARES("share", "their", "share-sealed"),
	{ "submit", STEPS_OPERATOR,
	  "Carry the sealed shares to the bridge; it completes the attempt and "
	  "decodes the token for the operator. The token never crosses the "
	  "airgap; the appliance records its accessor.",
	  "Submit the shares, and the results", STEPS_WORDS_NONE,
	  "root-token-generated" },
	{ "revoke", STEPS_OPERATOR,
	  "The operator does the break-glass task with the token, then gives "
	  "it back: the bridge revokes it and proves the revocation (a token "
	  "not given back, the bridge revokes itself where it holds it, and "
	  "the record says so); bring the closing result back.",
	  "Submit the shares, and the results",
	  STEPS_WORDS_NONE, "root-token-revoked" },
	REVIEW("the root token was used and is revoked"),
	SUMMARY,
};

static const struct steps_step dr_token_steps[] = {
	START("\"DR operation token\""),
	{ "request", STEPS_OPERATOR,
	  "The room records why (the incident) and who authorised it; the "
	  "appliance makes this ceremony's key (a witness reads its words "
	  "aloud) and writes the request; on the bridge, conclave-bridge "
	  "dr-token starts the attempt on the DR secondary.",
	  "Begin the ceremony", STEPS_WORDS_CEREMONY_KEY, "request-sent" },
	SAS,
	QUORUM_SHARES("share", "their", "share-sealed"),
	{ "submit", STEPS_OPERATOR,
	  "Carry the sealed shares to the bridge; it completes the attempt "
	  "and decodes the DR operation token for the operator (and promotes "
	  "the secondary when asked). The token never crosses the airgap; it "
	  "has no accessor and is not revoked here.",
	  "Submit the shares, and the results", STEPS_WORDS_NONE,
	  "dr-token-generated" },
	REVIEW("the DR operation token is issued"),
	SUMMARY,
};

/* The unseal ceremony with "migrate": true: the same screens as unseal,
 * after the server-side change that only the operator can make. */
static const struct steps_step migrate_steps[] = {
	{ NULL, STEPS_OPERATOR,
	  "Before: the storage is backed up, every node has its new seal "
	  "configuration and was restarted; conclave-bridge status shows each "
	  "node sealed and migrating to the same seal.",
	  "Seal Migration in Progress: true, on every node", STEPS_WORDS_NONE,
	  NULL },
	START("\"Migrate the seal\""),
	{ "request", STEPS_OPERATOR,
	  "The appliance makes this ceremony's key (a witness reads its words "
	  "aloud) and writes the migrate request to the exchange stick; on the "
	  "bridge, conclave-bridge migrate checks that every node is migrating "
	  "and answers with the seal before and after.",
	  "Begin the ceremony", STEPS_WORDS_CEREMONY_KEY,
	  "unseal-request-sent" },
	SAS,
	QUORUM_SHARES("share", "their (unseal shares leaving Shamir, recovery "
	    "shares returning to it)", "share-sealed"),
	{ "submit", STEPS_OPERATOR,
	  "Carry the sealed shares to the bridge: it sends each with "
	  "\"migrate\": true to every node and waits until none is still "
	  "migrating; bring its answer back. The summary says what the "
	  "holders' shares are now.",
	  "Submit the shares, and the results", STEPS_WORDS_NONE,
	  "unseal-result" },
	REVIEW("every node has left its old seal"),
	SUMMARY,
};

#define KIND(k, title, s) { k, title, sizeof(s) / sizeof(s[0]), s }
static const struct steps_kind kinds[] = {
	KIND(KIND_INIT, "Initialise a cluster", init_steps),
	KIND(KIND_UNSEAL, "Unseal", unseal_steps),
	KIND(KIND_REKEY, "Rekey (rotate the shares)", rekey_steps),
	KIND(KIND_GENERATE_ROOT, "Regenerate a root token", generate_root_steps),
	KIND(KIND_DR_TOKEN, "DR operation token", dr_token_steps),
	KIND(KIND_MIGRATE, "Seal migration", migrate_steps),
};

const struct steps_kind *
steps_kind_at(size_t i)
{
	return i < sizeof(kinds) / sizeof(kinds[0]) ? &kinds[i] : NULL;
}

const struct steps_kind *
steps_for(const char *kind)
{
	size_t i;

	if (kind == NULL)
		return NULL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return NULL;
}

unsigned
steps_number(const struct steps_kind *k, const struct steps_step *s)
{
	return (unsigned)(s - k->step) + 1;
}

const struct steps_step *
steps_on_screen(const struct steps_kind *k, const char *screen)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (k->step[i].screen != NULL &&
		    strcmp(k->step[i].screen, screen) == 0)
			return &k->step[i];
	return NULL;
}

size_t
steps_marked_by(const struct steps_kind *k, const char *type, size_t from)
{
	size_t i;

	for (i = from; i < k->n; i++)
		if (k->step[i].record != NULL &&
		    strcmp(k->step[i].record, type) == 0)
			return i;
	return k->n;
}

const char *
steps_who_name(enum steps_who who)
{
	switch (who) {
	case STEPS_OPERATOR:
		return "Operator";
	case STEPS_EACH_HOLDER:
		return "Each holder";
	case STEPS_QUORUM:
		return "Holders (a quorum)";
	case STEPS_WITNESSES:
		return "Witnesses";
	case STEPS_EVERYONE:
		return "Everyone";
	}
	return "?";
}
