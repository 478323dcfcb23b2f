/*
 * Root token generation on the server (vault-openbao-api.md §3, §4): the
 * unauthenticated sys/generate-root/... (Vault; OpenBao only with the
 * listener's disable_unauthed_generate_root_endpoints = false), OpenBao's
 * token-authenticated sys/generate-root-token/... (>= 2.6), and Vault
 * Enterprise's DR operation token, which is the same protocol on
 * sys/replication/dr/secondary/generate-operation-token/....
 */
#ifndef CONCLAVE_VAULT_GENERATE_ROOT_H
#define CONCLAVE_VAULT_GENERATE_ROOT_H

#include <stddef.h>

#include "client/http.h"
#include "client/vault.h"
#include "crypto/reader.h"

/* The listener setting that opens the unauthenticated endpoints. */
#define VAULT_GENERATE_ROOT_LEGACY_SETTING \
    "disable_unauthed_generate_root_endpoints = false"
#define VAULT_GENERATE_ROOT_MAX_ENCODED	8192	/* base64 of a PGP-encrypted token */
#define VAULT_GENERATE_ROOT_FPR_MAX		64

enum vault_generate_root_api {
	VAULT_GENERATE_ROOT_LEGACY,		/* sys/generate-root */
	VAULT_GENERATE_ROOT_TOKEN,		/* sys/generate-root-token (needs a token) */
	VAULT_GENERATE_ROOT_DR,		/* sys/replication/dr/secondary/generate-operation-token */
};

struct vault_generate_root_status {
	int started;
	int complete;
	unsigned progress;
	unsigned required;
	unsigned otp_length;	/* 0 when the answer does not say (update) */
	char nonce[VAULT_MAX_NONCE];
	char pgp_fingerprint[VAULT_GENERATE_ROOT_FPR_MAX];
	char encoded_token[VAULT_GENERATE_ROOT_MAX_ENCODED];	/* "" until complete */
};

/* The API path prefix of an api ("sys/generate-root", ...). */
const char *vault_generate_root_path(enum vault_generate_root_api api);

/* GET <path>/attempt. */
int vault_generate_root_status(struct http_client *c, enum vault_generate_root_api api,
    struct vault_generate_root_status *st) CK_WUR;

/*
 * Start an attempt with the OTP (otp != NULL, secmem) or encrypting to a
 * PGP key (pgp_b64 != NULL, base64 of the binary public key).
 */
int vault_generate_root_start(struct http_client *c, enum vault_generate_root_api api,
    const char *otp, const char *pgp_b64, struct vault_generate_root_status *st) CK_WUR;

/* Submit one share with the attempt's nonce. */
int vault_generate_root_update(struct http_client *c, enum vault_generate_root_api api,
    const char *key, size_t len, const char *nonce,
    struct vault_generate_root_status *st) CK_WUR;

/*
 * DELETE <path>/attempt: cancel the attempt in progress. Called on paths
 * that are failing already, so best effort: not CK_WUR.
 */
int vault_generate_root_cancel(struct http_client *c, enum vault_generate_root_api api);

#endif
