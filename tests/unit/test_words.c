#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/words.h"

static int
setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static int
ascii_letters(const char *w)
{
	for (; *w != '\0'; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z')))
			return 0;
	return 1;
}

static void
list_properties(void **state)
{
	const char *a, *b;
	size_t longest = 0;
	unsigned i, j;

	(void)state;
	for (i = 0; i < 256; i++) {
		a = words_for_byte((uint8_t)i, 0);
		b = words_for_byte((uint8_t)i, 1);
		assert_non_null(a);
		assert_non_null(b);
		assert_true(strlen(a) > 0 && ascii_letters(a));
		assert_true(strlen(b) > 0 && ascii_letters(b));
		assert_true(strlen(a) <= WORDS_MAX_WORD);
		assert_true(strlen(b) <= WORDS_MAX_WORD);
		if (strlen(a) > longest)
			longest = strlen(a);
		if (strlen(b) > longest)
			longest = strlen(b);
		/* Unique within each list and across the two, ignoring case. */
		for (j = 0; j < 256; j++) {
			if (j != i) {
				assert_int_not_equal(strcasecmp(a,
				    words_for_byte((uint8_t)j, 0)), 0);
				assert_int_not_equal(strcasecmp(b,
				    words_for_byte((uint8_t)j, 1)), 0);
			}
			assert_int_not_equal(strcasecmp(a,
			    words_for_byte((uint8_t)j, 1)), 0);
		}
	}
	assert_int_equal(longest, WORDS_MAX_WORD);
}

static void
known_mappings(void **state)
{
	(void)state;
	assert_string_equal(words_for_byte(0x00, 0), "aardvark");
	assert_string_equal(words_for_byte(0x00, 1), "adroitness");
	assert_string_equal(words_for_byte(0xff, 0), "Zulu");
	assert_string_equal(words_for_byte(0xff, 1), "Yucatan");
	assert_string_equal(words_for_byte(0x00, 2), "aardvark");
	assert_string_equal(words_for_byte(0xff, 41), "Yucatan");
	assert_string_equal(words_for_byte(0x9e, 0), "quiver");
	assert_string_equal(words_for_byte(0x9e, 1), "onlooker");
}

/* Fingerprints and their words as printed in the README of thblt/pgp-words. */
static const struct {
	const char *hex, *words;
} fprs[] = {
	{ "d1c225e426c633dd94d1a7e8c3f408aa9b342488",
	    "stairway repellent bombast tradition bookshelf responsive chisel "
	    "tambourine Pluto scavenger repay typewriter snowcap Virginia "
	    "aimless pedigree puppy confidence bluebird maritime" },
	{ "ea5b81c564988c73ee90dee9baf1e07233cde511",
	    "Trojan exodus minnow resistor flytrap narrative offload hurricane "
	    "tycoon millionaire tactics ultimate shadow vacancy tapeworm "
	    "holiness chisel sandalwood topmost Babylon" },
};

static void
fingerprints_as_words(void **state)
{
	uint8_t fpr[20];
	char text[WORDS_TEXT_MAX(20)];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fprs) / sizeof(fprs[0]); i++) {
		assert_int_equal(codec_hex_decode_exact(fprs[i].hex, 40, fpr,
		    sizeof(fpr)), CK_OK);
		assert_int_equal(words_encode(fpr, sizeof(fpr), text,
		    sizeof(text)), CK_OK);
		assert_string_equal(text, fprs[i].words);
	}
	assert_int_equal(words_encode(fpr, sizeof(fpr), text, sizeof(text) - 1),
	    CK_ERR_INVALID_ARG);
	assert_int_equal(words_encode(fpr, 0, text, sizeof(text)),
	    CK_ERR_INVALID_ARG);
	assert_int_equal(words_encode(fpr, 1, text, WORDS_TEXT_MAX(1)), CK_OK);
	assert_string_equal(text, "Trojan");
}

/*
 * Expected words computed independently (Python hashlib.blake2b,
 * digest_size=32, over "conclave-sas-v1" || 00..1f || 20..3f || 40..4f):
 * h = f61570751cb8...; swapping the keys gives h = 429be3dbebef...
 */
static void
sas_known_answer_and_order(void **state)
{
	uint8_t apk[32], bpk[32], cid[16];
	char text[WORDS_TEXT_MAX(WORDS_SAS_MAX)], text2[sizeof(text)];
	size_t i;

	(void)state;
	for (i = 0; i < 32; i++) {
		apk[i] = (uint8_t)i;
		bpk[i] = (uint8_t)(32 + i);
	}
	for (i = 0; i < 16; i++)
		cid[i] = (uint8_t)(64 + i);
	assert_int_equal(words_sas(apk, bpk, cid, WORDS_SAS_DEFAULT, text,
	    sizeof(text)), CK_OK);
	assert_string_equal(text, "village bifocals guidance impartial befriend");
	assert_int_equal(words_sas(bpk, apk, cid, WORDS_SAS_DEFAULT, text,
	    sizeof(text)), CK_OK);
	assert_string_equal(text, "crowfoot Norwegian tissue suspicious trouble");
	/* Longer strings extend the same hash. */
	assert_int_equal(words_sas(apk, bpk, cid, WORDS_SAS_MAX, text,
	    sizeof(text)), CK_OK);
	assert_int_equal(strncmp(text,
	    "village bifocals guidance impartial befriend provincial ", 56), 0);
	/* Every input bit matters: one flipped bit in each field. */
	assert_int_equal(words_sas(apk, bpk, cid, WORDS_SAS_MAX, text,
	    sizeof(text)), CK_OK);
	cid[15] ^= 1;
	assert_int_equal(words_sas(apk, bpk, cid, WORDS_SAS_MAX, text2,
	    sizeof(text2)), CK_OK);
	assert_string_not_equal(text, text2);
	cid[15] ^= 1;
	apk[31] ^= 0x80;
	assert_int_equal(words_sas(apk, bpk, cid, WORDS_SAS_MAX, text2,
	    sizeof(text2)), CK_OK);
	assert_string_not_equal(text, text2);
	apk[31] ^= 0x80;
	bpk[0] ^= 1;
	assert_int_equal(words_sas(apk, bpk, cid, WORDS_SAS_MAX, text2,
	    sizeof(text2)), CK_OK);
	assert_string_not_equal(text, text2);
}

static void
sas_rejects_bad_arguments(void **state)
{
	uint8_t k[32] = { 0 }, cid[16] = { 0 };
	char text[WORDS_TEXT_MAX(WORDS_SAS_MAX + 1)];

	(void)state;
	assert_int_equal(words_sas(k, k, cid, 0, text, sizeof(text)),
	    CK_ERR_INVALID_ARG);
	assert_int_equal(words_sas(k, k, cid, WORDS_SAS_MAX + 1, text,
	    sizeof(text)), CK_ERR_INVALID_ARG);
	assert_int_equal(words_sas(k, k, cid, 5, text, WORDS_TEXT_MAX(5) - 1),
	    CK_ERR_INVALID_ARG);
	assert_int_equal(words_sas(k, k, NULL, 5, text, sizeof(text)),
	    CK_ERR_INVALID_ARG);
}

/* Words as people type them: case and spacing free, the words exact. */
static void
match_as_heard(void **state)
{
	const char *want = "aztec Wyoming snapshot examine snowcap";
	size_t d = 99;

	(void)state;
	assert_int_equal(words_match(want, want, &d), CK_OK);
	assert_int_equal(d, 0);
	assert_int_equal(words_match("AZTEC wyoming  snapshot\texamine snowcap ",
	    want, &d), CK_OK);
	assert_int_equal(words_match("  aztec wyoming snapshot examine snowcap\n",
	    want, &d), CK_OK);
	assert_int_equal(words_match("aztec-wyoming-snapshot-examine-snowcap",
	    want, &d), CK_OK);
	assert_int_equal(words_match("aztec-wyoming-snapshot-examined-snowcap",
	    want, &d), CK_ERR_SAS_MISMATCH);
	assert_int_equal(d, 4);
	assert_int_equal(words_match("aztec wyoming snapshot examined snowcap",
	    want, &d), CK_ERR_SAS_MISMATCH);
	assert_int_equal(d, 4);
	assert_int_equal(words_match("aztecwyoming snapshot examine snowcap",
	    want, &d), CK_ERR_SAS_MISMATCH);
	assert_int_equal(d, 1);
	assert_int_equal(words_match("aztec wyoming snapshot examine", want, &d),
	    CK_ERR_SAS_MISMATCH);
	assert_int_equal(d, 5);
	assert_int_equal(words_match("aztec wyoming snapshot examine snowcap extra",
	    want, &d), CK_ERR_SAS_MISMATCH);
	assert_int_equal(d, 6);
	assert_int_equal(words_match("", want, &d), CK_ERR_SAS_MISMATCH);
	assert_int_equal(d, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(list_properties),
		cmocka_unit_test(known_mappings),
		cmocka_unit_test(fingerprints_as_words),
		cmocka_unit_test(sas_known_answer_and_order),
		cmocka_unit_test(sas_rejects_bad_arguments),
		cmocka_unit_test(match_as_heard),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
