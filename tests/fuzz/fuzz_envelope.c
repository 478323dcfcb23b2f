/*
 * libFuzzer harness for the envelope parsers. Each input is tried three ways:
 * as a binary envelope (envelope_parse), as armored text (envelope_dearmor,
 * then envelope_parse), and as a payload signed with a fixed test key
 * (envelope_build, then envelope_parse), because random bytes almost never
 * carry a valid signature and the payload checks sit behind it.
 * Besides sanitizer reports, these invariants abort:
 * - a failed parse leaves no payload behind;
 * - armor is canonical: dearmor(text) succeeding means armor(bin) == text;
 * - whatever parses re-armors and dearmors to the same bytes;
 * - whatever envelope_build accepts, envelope_parse accepts, with the
 *   same JSON payload.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "protocol/envelope.h"

/* The unit test's appliance key (seed 00 01 .. 1f); public knowledge. */
static uint8_t sk[ENVELOPE_SK_BYTES];
static uint8_t pk[ENVELOPE_PK_BYTES];
static const uint8_t cid[ENVELOPE_CEREMONY_ID_BYTES] = { 0x00, 0x11, 0x22 };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	size_t i;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)i;
	crypto_sign_seed_keypair(pk, sk, seed);
	return 0;
}

/* bin parsed: it must survive armor and dearmor unchanged. */
static void
rearmor(const uint8_t *bin, size_t len)
{
	uint8_t *back = NULL;
	char *text = NULL;
	size_t tlen, blen;

	if (envelope_armor(bin, len, &text, &tlen) != CK_OK ||
	    envelope_dearmor(text, tlen, &back, &blen) != CK_OK ||
	    blen != len || memcmp(back, bin, len) != 0)
		abort();
	free(text);
	free(back);
}

static void
try_binary(const uint8_t *data, size_t size)
{
	struct envelope env;

	if (envelope_parse(data, size, &env) != CK_OK) {
		if (env.payload != NULL)
			abort();
		return;
	}
	if (!json_is_object(env.payload))
		abort();
	envelope_free(&env);
	rearmor(data, size);
}

static void
try_armor(const uint8_t *data, size_t size)
{
	struct envelope env;
	uint8_t *bin = NULL;
	char *text = NULL;
	size_t len, tlen;

	if (envelope_dearmor((const char *)data, size, &bin, &len) != CK_OK) {
		if (bin != NULL)
			abort();
		return;
	}
	if (envelope_armor(bin, len, &text, &tlen) != CK_OK ||
	    tlen != size || memcmp(text, data, size) != 0)
		abort();
	free(text);
	if (envelope_parse(bin, len, &env) == CK_OK)
		envelope_free(&env);
	free(bin);
}

static void
try_payload(const uint8_t *data, size_t size)
{
	struct envelope env;
	json_t *want;
	json_error_t jerr;
	uint8_t *bin = NULL;
	size_t len;

	if (envelope_build(ENVELOPE_INIT_REQUEST, cid, 1, 0, (const char *)data,
	    size, sk, &bin, &len) != CK_OK) {
		if (bin != NULL)
			abort();
		return;
	}
	if (envelope_parse(bin, len, &env) != CK_OK ||
	    memcmp(env.signer_pk, pk, sizeof(pk)) != 0 ||
	    envelope_check_binding(&env, cid, pk, 0) != CK_OK)
		abort();
	want = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (want == NULL || !json_equal(want, env.payload))
		abort();
	json_decref(want);
	envelope_free(&env);
	free(bin);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_binary(data, size);
	try_armor(data, size);
	try_payload(data, size);
	return 0;
}
