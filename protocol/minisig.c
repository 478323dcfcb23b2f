/*
 * minisign signatures and public keys (format in minisig.h), written from
 * minisign's documented format.
 *
 * Parser limits: a .minisig file is at most MINISIG_MAX_SIGFILE bytes and
 * exactly four '\n'-terminated lines; the untrusted comment line at most
 * MINISIG_MAX_COMMENT bytes, the trusted comment at most MINISIG_MAX_TRUSTED;
 * base64 lines must decode to exactly the blob size (strict padding, no
 * whitespace). A .pub file is at most MINISIG_MAX_PUBFILE bytes and exactly
 * two lines. Comments must be printable UTF-8 (tabs allowed: stock minisign
 * separates its trusted-comment fields with them); nothing after the last
 * line.
 */
#include "protocol/minisig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/codec.h"
#include "crypto/errors.h"
#include "crypto/words.h"

#define UNTRUSTED_PREFIX	"untrusted comment: "
#define TRUSTED_PREFIX		"trusted comment: "
#define ALG_LEN			2
#define PK_BLOB_LEN		(ALG_LEN + MINISIG_KEYID_BYTES + MINISIG_PK_BYTES)
#define SIG_BLOB_LEN		(ALG_LEN + MINISIG_KEYID_BYTES + MINISIG_SIG_BYTES)
#define PREHASH_BYTES		64	/* BLAKE2b-512 */

static const uint8_t alg_pk[ALG_LEN] = { 'E', 'd' };
static const uint8_t alg_prehashed[ALG_LEN] = { 'E', 'D' };

static int comment_line(struct rd *r, const char *prefix, size_t max,
    const uint8_t **text, size_t *textlen);
static int printable_with_tabs(const uint8_t *s, size_t len);

void
minisig_pubkey_from_pk(struct minisig_pubkey *pk,
    const uint8_t ed25519_pk[MINISIG_PK_BYTES])
{
	uint8_t h[crypto_generichash_BYTES];

	memcpy(pk->pk, ed25519_pk, MINISIG_PK_BYTES);
	crypto_generichash(h, sizeof(h), pk->pk, MINISIG_PK_BYTES, NULL, 0);
	memcpy(pk->key_id, h, MINISIG_KEYID_BYTES);
}

void
minisig_pubkey_from_sk(struct minisig_pubkey *pk,
    const unsigned char sk[MINISIG_SK_BYTES])
{
	/* libsodium's secret key is seed || public key. */
	minisig_pubkey_from_pk(pk, sk + crypto_sign_SEEDBYTES);
}

int
minisig_keyid_words(const struct minisig_pubkey *pk, char *out, size_t outmax)
{
	return words_encode(pk->key_id, MINISIG_KEYID_BYTES, out, outmax);
}

void
minisig_keyid_hex(const struct minisig_pubkey *pk, char out[17])
{
	uint64_t v = 0;
	int i;

	for (i = MINISIG_KEYID_BYTES - 1; i >= 0; i--)
		v = (v << 8) | pk->key_id[i];
	snprintf(out, 17, "%016" PRIX64, v);
}

void
minisig_pubkey_b64(const struct minisig_pubkey *pk,
    char out[MINISIG_PK_B64_LEN + 1])
{
	uint8_t blob[PK_BLOB_LEN];

	memcpy(blob, alg_pk, ALG_LEN);
	memcpy(blob + ALG_LEN, pk->key_id, MINISIG_KEYID_BYTES);
	memcpy(blob + ALG_LEN + MINISIG_KEYID_BYTES, pk->pk, MINISIG_PK_BYTES);
	sodium_bin2base64(out, MINISIG_PK_B64_LEN + 1, blob, sizeof(blob),
	    sodium_base64_VARIANT_ORIGINAL);
}

int
minisig_pubkey_decode(const char *b64, size_t len, struct minisig_pubkey *pk)
{
	uint8_t blob[PK_BLOB_LEN];
	struct rd r;
	int e;

	if ((e = codec_b64_decode_exact(CODEC_B64_PADDED, b64, len, blob,
	    sizeof(blob))) != CK_OK)
		return e;
	if (memcmp(blob, alg_pk, ALG_LEN) != 0)
		return CK_ERR_UNSUPPORTED;
	rd_init(&r, blob + ALG_LEN, sizeof(blob) - ALG_LEN);
	if ((e = rd_bytes(&r, pk->key_id, MINISIG_KEYID_BYTES)) != CK_OK ||
	    (e = rd_bytes(&r, pk->pk, MINISIG_PK_BYTES)) != CK_OK)
		return e;
	return rd_end(&r);
}

/* Printable UTF-8 where the only control character allowed is a tab. */
static int
printable_with_tabs(const uint8_t *s, size_t len)
{
	const uint8_t *tab;
	size_t n;
	int e;

	for (;;) {
		tab = memchr(s, '\t', len);
		n = tab != NULL ? (size_t)(tab - s) : len;
		if ((e = rd_printable_utf8(s, n, 0)) != CK_OK)
			return e;
		if (tab == NULL)
			return CK_OK;
		s += n + 1;
		len -= n + 1;
	}
}

/* One "<prefix><printable text>\n" line; the text is borrowed. */
static int
comment_line(struct rd *r, const char *prefix, size_t max,
    const uint8_t **text, size_t *textlen)
{
	size_t plen = strlen(prefix), len;
	const uint8_t *line;
	int e;

	if ((e = rd_line(r, plen + max, &line, &len)) != CK_OK)
		return e == CK_ERR_TRUNCATED ? CK_ERR_FORMAT : e;
	if (len < plen || memcmp(line, prefix, plen) != 0)
		return CK_ERR_FORMAT;
	if ((e = printable_with_tabs(line + plen, len - plen)) != CK_OK)
		return e;
	*text = line + plen;
	*textlen = len - plen;
	return CK_OK;
}

int
minisig_pubkey_parse(const void *buf, size_t len, struct minisig_pubkey *pk)
{
	const uint8_t *text, *b64;
	size_t textlen, b64len;
	struct rd r;
	int e;

	if (len > MINISIG_MAX_PUBFILE)
		return CK_ERR_TOO_LARGE;
	rd_init(&r, buf, len);
	if ((e = comment_line(&r, UNTRUSTED_PREFIX, MINISIG_MAX_COMMENT, &text,
	    &textlen)) != CK_OK)
		return e;
	if ((e = rd_line(&r, MINISIG_PK_B64_LEN, &b64, &b64len)) != CK_OK)
		return e == CK_ERR_TRUNCATED || e == CK_ERR_TOO_LARGE ?
		    CK_ERR_FORMAT : e;
	if ((e = minisig_pubkey_decode((const char *)b64, b64len, pk)) != CK_OK)
		return e;
	return rd_end(&r);
}

int
minisig_pubkey_format(const struct minisig_pubkey *pk, char **out,
    size_t *outlen)
{
	char b64[MINISIG_PK_B64_LEN + 1], id[17];
	char *s;
	int n;

	*out = NULL;
	*outlen = 0;
	minisig_pubkey_b64(pk, b64);
	minisig_keyid_hex(pk, id);
	n = asprintf(&s, UNTRUSTED_PREFIX "minisign public key %s\n%s\n", id,
	    b64);
	if (n < 0)
		return CK_ERR_ALLOC;
	*out = s;
	*outlen = (size_t)n;
	return CK_OK;
}

/*
 * What the global signature covers: the file signature from the signature
 * blob, then the trusted comment, which this binds to it. malloc'd.
 */
static uint8_t *
global_message(const uint8_t blob[SIG_BLOB_LEN], const void *tc, size_t tclen)
{
	uint8_t *m = malloc(MINISIG_SIG_BYTES + tclen);

	if (m == NULL)
		return NULL;
	memcpy(m, blob + ALG_LEN + MINISIG_KEYID_BYTES, MINISIG_SIG_BYTES);
	memcpy(m + MINISIG_SIG_BYTES, tc, tclen);
	return m;
}

int
minisig_sign(const void *msg, size_t msglen,
    const unsigned char sk[MINISIG_SK_BYTES], const char *trusted,
    char **out, size_t *outlen)
{
	uint8_t hash[PREHASH_BYTES], blob[SIG_BLOB_LEN];
	uint8_t *sigtc = NULL, global[MINISIG_SIG_BYTES];
	char sig64[sodium_base64_ENCODED_LEN(SIG_BLOB_LEN,
	    sodium_base64_VARIANT_ORIGINAL)];
	char glob64[sodium_base64_ENCODED_LEN(MINISIG_SIG_BYTES,
	    sodium_base64_VARIANT_ORIGINAL)];
	struct minisig_pubkey pk;
	char id[17], *s = NULL;
	size_t tclen = strlen(trusted);
	int r = CK_ERR_INTERNAL, n;

	*out = NULL;
	*outlen = 0;
	if (tclen > MINISIG_MAX_TRUSTED) {
		r = CK_ERR_TOO_LARGE;
		goto out;
	}
	if ((r = printable_with_tabs((const uint8_t *)trusted, tclen)) != CK_OK)
		goto out;
	minisig_pubkey_from_sk(&pk, sk);
	crypto_generichash(hash, sizeof(hash), msg, msglen, NULL, 0);
	memcpy(blob, alg_prehashed, ALG_LEN);
	memcpy(blob + ALG_LEN, pk.key_id, MINISIG_KEYID_BYTES);
	if (crypto_sign_detached(blob + ALG_LEN + MINISIG_KEYID_BYTES, NULL,
	    hash, sizeof(hash), sk) != 0) {
		r = CK_ERR_CRYPTO;
		goto out;
	}
	if ((sigtc = global_message(blob, trusted, tclen)) == NULL) {
		r = CK_ERR_ALLOC;
		goto out;
	}
	if (crypto_sign_detached(global, NULL, sigtc, MINISIG_SIG_BYTES + tclen,
	    sk) != 0) {
		r = CK_ERR_CRYPTO;
		goto out;
	}
	sodium_bin2base64(sig64, sizeof(sig64), blob, sizeof(blob),
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(glob64, sizeof(glob64), global, sizeof(global),
	    sodium_base64_VARIANT_ORIGINAL);
	minisig_keyid_hex(&pk, id);
	n = asprintf(&s, UNTRUSTED_PREFIX "signature from conclave ceremony "
	    "key %s\n%s\n" TRUSTED_PREFIX "%s\n%s\n", id, sig64, trusted,
	    glob64);
	if (n < 0) {
		s = NULL;
		r = CK_ERR_ALLOC;
		goto out;
	}
	*out = s;
	*outlen = (size_t)n;
	s = NULL;
	r = CK_OK;
out:
	free(sigtc);
	free(s);
	return r;
}

/* The four lines of a .minisig file, the trusted comment borrowed. */
struct sigfile {
	uint8_t blob[SIG_BLOB_LEN];
	uint8_t global[MINISIG_SIG_BYTES];
	const uint8_t *tc;
	size_t tclen;
};

/* One '\n'-terminated base64 line that decodes to exactly binlen bytes. */
static int
b64_line(struct rd *r, uint8_t *bin, size_t binlen)
{
	const uint8_t *b64;
	size_t len;
	int e;

	if ((e = rd_line(r, 2 * binlen, &b64, &len)) != CK_OK)
		return e == CK_ERR_TRUNCATED || e == CK_ERR_TOO_LARGE ?
		    CK_ERR_FORMAT : e;
	return codec_b64_decode_exact(CODEC_B64_PADDED, (const char *)b64, len,
	    bin, binlen);
}

static int
parse_sigfile(const void *sig, size_t siglen, struct sigfile *sf)
{
	const uint8_t *text;
	size_t textlen;
	struct rd r;
	int e;

	if (siglen > MINISIG_MAX_SIGFILE)
		return CK_ERR_TOO_LARGE;
	rd_init(&r, sig, siglen);
	if ((e = comment_line(&r, UNTRUSTED_PREFIX, MINISIG_MAX_COMMENT, &text,
	    &textlen)) != CK_OK ||
	    (e = b64_line(&r, sf->blob, sizeof(sf->blob))) != CK_OK ||
	    (e = comment_line(&r, TRUSTED_PREFIX, MINISIG_MAX_TRUSTED, &sf->tc,
	    &sf->tclen)) != CK_OK ||
	    (e = b64_line(&r, sf->global, sizeof(sf->global))) != CK_OK)
		return e;
	if ((e = rd_end(&r)) != CK_OK)
		return e;
	if (memcmp(sf->blob, alg_prehashed, ALG_LEN) != 0)
		return memcmp(sf->blob, alg_pk, ALG_LEN) == 0 ?
		    CK_ERR_UNSUPPORTED : CK_ERR_FORMAT;
	return CK_OK;
}

int
minisig_verify(const void *msg, size_t msglen, const void *sig,
    size_t siglen, const struct minisig_pubkey *pk, char **trusted)
{
	uint8_t hash[PREHASH_BYTES], *sigtc = NULL;
	struct sigfile sf;
	char *copy = NULL;
	int e;

	if (trusted != NULL)
		*trusted = NULL;
	if ((e = parse_sigfile(sig, siglen, &sf)) != CK_OK)
		goto out;
	if (memcmp(sf.blob + ALG_LEN, pk->key_id, MINISIG_KEYID_BYTES) != 0) {
		e = CK_ERR_WRONG_KEY;
		goto out;
	}
	crypto_generichash(hash, sizeof(hash), msg, msglen, NULL, 0);
	if (crypto_sign_verify_detached(sf.blob + ALG_LEN + MINISIG_KEYID_BYTES,
	    hash, sizeof(hash), pk->pk) != 0) {
		e = CK_ERR_BAD_SIGNATURE;
		goto out;
	}
	if ((sigtc = global_message(sf.blob, sf.tc, sf.tclen)) == NULL) {
		e = CK_ERR_ALLOC;
		goto out;
	}
	if (crypto_sign_verify_detached(sf.global, sigtc,
	    MINISIG_SIG_BYTES + sf.tclen, pk->pk) != 0) {
		e = CK_ERR_BAD_SIGNATURE;
		goto out;
	}
	if (trusted != NULL &&
	    (copy = strndup((const char *)sf.tc, sf.tclen)) == NULL) {
		e = CK_ERR_ALLOC;
		goto out;
	}
	if (trusted != NULL)
		*trusted = copy;
	e = CK_OK;
out:
	free(sigtc);
	return e;
}
