/*
 * The PGP word list (Juola and Zimmermann, 1995, as used by PGPfone and PGP
 * for fingerprints): byte values as words chosen to be told apart when read
 * aloud. Bytes at even positions (0, 2, ...) use the two-syllable list and
 * bytes at odd positions the three-syllable list, so a dropped, repeated
 * or swapped word is heard as a change of rhythm.
 */
#include "crypto/words.h"

#include <string.h>

#include <sodium.h>

#include "crypto/errors.h"

/* Two syllables: bytes at even positions. */
static const char *const even_words[256] = {
	/* 00 */ "aardvark", "absurd", "accrue", "acme",
	/* 04 */ "adrift", "adult", "afflict", "ahead",
	/* 08 */ "aimless", "Algol", "allow", "alone",
	/* 0c */ "ammo", "ancient", "apple", "artist",
	/* 10 */ "assume", "Athens", "atlas", "Aztec",
	/* 14 */ "baboon", "backfield", "backward", "banjo",
	/* 18 */ "beaming", "bedlamp", "beehive", "beeswax",
	/* 1c */ "befriend", "Belfast", "berserk", "billiard",
	/* 20 */ "bison", "blackjack", "blockade", "blowtorch",
	/* 24 */ "bluebird", "bombast", "bookshelf", "brackish",
	/* 28 */ "breadline", "breakup", "brickyard", "briefcase",
	/* 2c */ "Burbank", "button", "buzzard", "cement",
	/* 30 */ "chairlift", "chatter", "checkup", "chisel",
	/* 34 */ "choking", "chopper", "Christmas", "clamshell",
	/* 38 */ "classic", "classroom", "cleanup", "clockwork",
	/* 3c */ "cobra", "commence", "concert", "cowbell",
	/* 40 */ "crackdown", "cranky", "crowfoot", "crucial",
	/* 44 */ "crumpled", "crusade", "cubic", "dashboard",
	/* 48 */ "deadbolt", "deckhand", "dogsled", "dragnet",
	/* 4c */ "drainage", "dreadful", "drifter", "dropper",
	/* 50 */ "drumbeat", "drunken", "Dupont", "dwelling",
	/* 54 */ "eating", "edict", "egghead", "eightball",
	/* 58 */ "endorse", "endow", "enlist", "erase",
	/* 5c */ "escape", "exceed", "eyeglass", "eyetooth",
	/* 60 */ "facial", "fallout", "flagpole", "flatfoot",
	/* 64 */ "flytrap", "fracture", "framework", "freedom",
	/* 68 */ "frighten", "gazelle", "Geiger", "glitter",
	/* 6c */ "glucose", "goggles", "goldfish", "gremlin",
	/* 70 */ "guidance", "hamlet", "highchair", "hockey",
	/* 74 */ "indoors", "indulge", "inverse", "involve",
	/* 78 */ "island", "jawbone", "keyboard", "kickoff",
	/* 7c */ "kiwi", "klaxon", "locale", "lockup",
	/* 80 */ "merit", "minnow", "miser", "Mohawk",
	/* 84 */ "mural", "music", "necklace", "Neptune",
	/* 88 */ "newborn", "nightbird", "Oakland", "obtuse",
	/* 8c */ "offload", "optic", "orca", "payday",
	/* 90 */ "peachy", "pheasant", "physique", "playhouse",
	/* 94 */ "Pluto", "preclude", "prefer", "preshrunk",
	/* 98 */ "printer", "prowler", "pupil", "puppy",
	/* 9c */ "python", "quadrant", "quiver", "quota",
	/* a0 */ "ragtime", "ratchet", "rebirth", "reform",
	/* a4 */ "regain", "reindeer", "rematch", "repay",
	/* a8 */ "retouch", "revenge", "reward", "rhythm",
	/* ac */ "ribcage", "ringbolt", "robust", "rocker",
	/* b0 */ "ruffled", "sailboat", "sawdust", "scallion",
	/* b4 */ "scenic", "scorecard", "Scotland", "seabird",
	/* b8 */ "select", "sentence", "shadow", "shamrock",
	/* bc */ "showgirl", "skullcap", "skydive", "slingshot",
	/* c0 */ "slowdown", "snapline", "snapshot", "snowcap",
	/* c4 */ "snowslide", "solo", "southward", "soybean",
	/* c8 */ "spaniel", "spearhead", "spellbind", "spheroid",
	/* cc */ "spigot", "spindle", "spyglass", "stagehand",
	/* d0 */ "stagnate", "stairway", "standard", "stapler",
	/* d4 */ "steamship", "sterling", "stockman", "stopwatch",
	/* d8 */ "stormy", "sugar", "surmount", "suspense",
	/* dc */ "sweatband", "swelter", "tactics", "talon",
	/* e0 */ "tapeworm", "tempest", "tiger", "tissue",
	/* e4 */ "tonic", "topmost", "tracker", "transit",
	/* e8 */ "trauma", "treadmill", "Trojan", "trouble",
	/* ec */ "tumor", "tunnel", "tycoon", "uncut",
	/* f0 */ "unearth", "unwind", "uproot", "upset",
	/* f4 */ "upshot", "vapor", "village", "virus",
	/* f8 */ "Vulcan", "waffle", "wallet", "watchword",
	/* fc */ "wayside", "willow", "woodlark", "Zulu",
};

/* Three syllables: bytes at odd positions. */
static const char *const odd_words[256] = {
	/* 00 */ "adroitness", "adviser", "aftermath", "aggregate",
	/* 04 */ "alkali", "almighty", "amulet", "amusement",
	/* 08 */ "antenna", "applicant", "Apollo", "armistice",
	/* 0c */ "article", "asteroid", "Atlantic", "atmosphere",
	/* 10 */ "autopsy", "Babylon", "backwater", "barbecue",
	/* 14 */ "belowground", "bifocals", "bodyguard", "bookseller",
	/* 18 */ "borderline", "bottomless", "Bradbury", "bravado",
	/* 1c */ "Brazilian", "breakaway", "Burlington", "businessman",
	/* 20 */ "butterfat", "Camelot", "candidate", "cannonball",
	/* 24 */ "Capricorn", "caravan", "caretaker", "celebrate",
	/* 28 */ "cellulose", "certify", "chambermaid", "Cherokee",
	/* 2c */ "Chicago", "clergyman", "coherence", "combustion",
	/* 30 */ "commando", "company", "component", "concurrent",
	/* 34 */ "confidence", "conformist", "congregate", "consensus",
	/* 38 */ "consulting", "corporate", "corrosion", "councilman",
	/* 3c */ "crossover", "crucifix", "cumbersome", "customer",
	/* 40 */ "Dakota", "decadence", "December", "decimal",
	/* 44 */ "designing", "detector", "detergent", "determine",
	/* 48 */ "dictator", "dinosaur", "direction", "disable",
	/* 4c */ "disbelief", "disruptive", "distortion", "document",
	/* 50 */ "embezzle", "enchanting", "enrollment", "enterprise",
	/* 54 */ "equation", "equipment", "escapade", "Eskimo",
	/* 58 */ "everyday", "examine", "existence", "exodus",
	/* 5c */ "fascinate", "filament", "finicky", "forever",
	/* 60 */ "fortitude", "frequency", "gadgetry", "Galveston",
	/* 64 */ "getaway", "glossary", "gossamer", "graduate",
	/* 68 */ "gravity", "guitarist", "hamburger", "Hamilton",
	/* 6c */ "handiwork", "hazardous", "headwaters", "hemisphere",
	/* 70 */ "hesitate", "hideaway", "holiness", "hurricane",
	/* 74 */ "hydraulic", "impartial", "impetus", "inception",
	/* 78 */ "indigo", "inertia", "infancy", "inferno",
	/* 7c */ "informant", "insincere", "insurgent", "integrate",
	/* 80 */ "intention", "inventive", "Istanbul", "Jamaica",
	/* 84 */ "Jupiter", "leprosy", "letterhead", "liberty",
	/* 88 */ "maritime", "matchmaker", "maverick", "Medusa",
	/* 8c */ "megaton", "microscope", "microwave", "midsummer",
	/* 90 */ "millionaire", "miracle", "misnomer", "molasses",
	/* 94 */ "molecule", "Montana", "monument", "mosquito",
	/* 98 */ "narrative", "nebula", "newsletter", "Norwegian",
	/* 9c */ "October", "Ohio", "onlooker", "opulent",
	/* a0 */ "Orlando", "outfielder", "Pacific", "pandemic",
	/* a4 */ "Pandora", "paperweight", "paragon", "paragraph",
	/* a8 */ "paramount", "passenger", "pedigree", "Pegasus",
	/* ac */ "penetrate", "perceptive", "performance", "pharmacy",
	/* b0 */ "phonetic", "photograph", "pioneer", "pocketful",
	/* b4 */ "politeness", "positive", "potato", "processor",
	/* b8 */ "provincial", "proximate", "puberty", "publisher",
	/* bc */ "pyramid", "quantity", "racketeer", "rebellion",
	/* c0 */ "recipe", "recover", "repellent", "replica",
	/* c4 */ "reproduce", "resistor", "responsive", "retraction",
	/* c8 */ "retrieval", "retrospect", "revenue", "revival",
	/* cc */ "revolver", "sandalwood", "sardonic", "Saturday",
	/* d0 */ "savagery", "scavenger", "sensation", "sociable",
	/* d4 */ "souvenir", "specialist", "speculate", "stethoscope",
	/* d8 */ "stupendous", "supportive", "surrender", "suspicious",
	/* dc */ "sympathy", "tambourine", "telephone", "therapist",
	/* e0 */ "tobacco", "tolerance", "tomorrow", "torpedo",
	/* e4 */ "tradition", "travesty", "trombonist", "truncated",
	/* e8 */ "typewriter", "ultimate", "undaunted", "underfoot",
	/* ec */ "unicorn", "unify", "universe", "unravel",
	/* f0 */ "upcoming", "vacancy", "vagabond", "vertigo",
	/* f4 */ "Virginia", "visitor", "vocalist", "voyager",
	/* f8 */ "warranty", "Waterloo", "whimsical", "Wichita",
	/* fc */ "Wilmington", "Wyoming", "yesteryear", "Yucatan",
};

const char *
words_for_byte(uint8_t b, size_t pos)
{
	return pos % 2 == 0 ? even_words[b] : odd_words[b];
}

int
words_encode(const uint8_t *bin, size_t len, char *out, size_t outmax)
{
	size_t i, at = 0, wl;
	const char *w;

	if (bin == NULL || out == NULL || len < 1 ||
	    len > SIZE_MAX / (WORDS_MAX_WORD + 1) ||
	    outmax < WORDS_TEXT_MAX(len))
		return CK_ERR_INVALID_ARG;
	for (i = 0; i < len; i++) {
		w = words_for_byte(bin[i], i);
		wl = strlen(w);
		if (i > 0)
			out[at++] = ' ';
		memcpy(out + at, w, wl);
		at += wl;
	}
	out[at] = '\0';
	return CK_OK;
}

int
words_sas(const uint8_t appliance_pk[WORDS_SAS_PK_LEN],
    const uint8_t bridge_pk[WORDS_SAS_PK_LEN],
    const uint8_t ceremony_id[WORDS_SAS_ID_LEN], size_t nwords, char *out,
    size_t outmax)
{
	crypto_generichash_blake2b_state st;
	uint8_t h[WORDS_SAS_MAX];

	if (appliance_pk == NULL || bridge_pk == NULL || ceremony_id == NULL ||
	    nwords < 1 || nwords > WORDS_SAS_MAX)
		return CK_ERR_INVALID_ARG;
	if (crypto_generichash_blake2b_init(&st, NULL, 0, sizeof(h)) != 0 ||
	    crypto_generichash_blake2b_update(&st,
	    (const uint8_t *)WORDS_SAS_LABEL, sizeof(WORDS_SAS_LABEL) - 1) != 0 ||
	    crypto_generichash_blake2b_update(&st, appliance_pk,
	    WORDS_SAS_PK_LEN) != 0 ||
	    crypto_generichash_blake2b_update(&st, bridge_pk,
	    WORDS_SAS_PK_LEN) != 0 ||
	    crypto_generichash_blake2b_update(&st, ceremony_id,
	    WORDS_SAS_ID_LEN) != 0 ||
	    crypto_generichash_blake2b_final(&st, h, sizeof(h)) != 0)
		return CK_ERR_CRYPTO;
	return words_encode(h, nwords, out, outmax);
}

/* A hyphen too: the console of the image splits its input at blanks and
 * has no quoting, so words typed there as one argument are joined by "-". */
static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '-';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The next word of *p (skipping blanks): its start and length, 0 at the end. */
static size_t
next_word(const char **p, const char **start)
{
	size_t n = 0;

	while (is_blank(**p))
		(*p)++;
	*start = *p;
	while ((*p)[0] != '\0' && !is_blank((*p)[0])) {
		(*p)++;
		n++;
	}
	return n;
}

int
words_match(const char *typed, const char *want, size_t *differs)
{
	const char *a, *b;
	size_t na, nb, i, pos;

	*differs = 0;
	for (pos = 1;; pos++) {
		na = next_word(&typed, &a);
		nb = next_word(&want, &b);
		if (na == 0 && nb == 0)
			return CK_OK;
		if (na != nb)
			break;
		for (i = 0; i < na && lower(a[i]) == lower(b[i]); i++)
			;
		if (i != na)
			break;
	}
	*differs = pos;
	return CK_ERR_SAS_MISMATCH;
}
