/*
 * Bytes as words to read aloud, with the PGP word list (Juola and
 * Zimmermann): fingerprints of holders' OpenPGP keys and of the ceremony
 * key, transcript head hashes, and the short authentication string (SAS)
 * that witnesses compare between the appliance and bridge screens.
 */
#ifndef CONCLAVE_WORDS_H
#define CONCLAVE_WORDS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/reader.h"

#define WORDS_MAX_WORD		11	/* longest word in either list */
/* Buffer size for n words: each word, a space or the final NUL. */
#define WORDS_TEXT_MAX(n)	((n) * (WORDS_MAX_WORD + 1))

#define WORDS_SAS_DEFAULT	5	/* 40 bits */
#define WORDS_SAS_MAX		32	/* one word per byte of BLAKE2b-256 */
#define WORDS_SAS_PK_LEN	32
#define WORDS_SAS_ID_LEN	16
#define WORDS_SAS_LABEL		"conclave-sas-v1"	/* hashed without its NUL */

/*
 * The word for byte b at position pos of a sequence: the two-syllable
 * list at even positions, the three-syllable list at odd ones. Never NULL.
 */
const char *words_for_byte(uint8_t b, size_t pos);

/*
 * len (>= 1) bytes as words separated by single spaces, NUL-terminated,
 * into out; outmax must be at least WORDS_TEXT_MAX(len). A 20-byte
 * OpenPGP v4 fingerprint gives 20 words.
 */
int words_encode(const uint8_t *bin, size_t len, char *out, size_t outmax)
    CK_WUR;

/*
 * The short authentication string of one appliance/bridge pairing:
 *   h = BLAKE2b-256(WORDS_SAS_LABEL || appliance_pk || bridge_pk || ceremony_id)
 * and the first nwords (1..WORDS_SAS_MAX; WORDS_SAS_DEFAULT on screens)
 * bytes of h as words, as words_encode() writes them. The order is fixed
 * and NOT symmetric: appliance_pk is the appliance's Ed25519 ceremony
 * public key and comes first, bridge_pk is the bridge session's X25519
 * public key (the key shares are sealed to) and comes second, then the
 * 16-byte ceremony id. Every field has a fixed length, so the
 * concatenation is unambiguous. outmax >= WORDS_TEXT_MAX(nwords).
 */
int words_sas(const uint8_t appliance_pk[WORDS_SAS_PK_LEN],
    const uint8_t bridge_pk[WORDS_SAS_PK_LEN],
    const uint8_t ceremony_id[WORDS_SAS_ID_LEN], size_t nwords, char *out,
    size_t outmax) CK_WUR;

/*
 * Do the words people typed say want? Compared as people read them: case
 * and the amount of white space (spaces, tabs, line ends, before, between
 * or after) do not matter, and a hyphen separates words as a space does
 * (no word has one); the words themselves must be the same. CK_OK,
 * or CK_ERR_SAS_MISMATCH with *differs the 1-based position of the first
 * word that is not the same (one past the shorter list when a word is
 * missing or extra).
 */
int words_match(const char *typed, const char *want, size_t *differs) CK_WUR
    __attribute__((nonnull));

#endif
