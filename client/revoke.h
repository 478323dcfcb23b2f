/*
 * The closing step every ceremony that creates a root token ends with
 * (init, generate-root): the operator gives the token back, the bridge
 * checks it is a root token, revokes it, and proves the revocation: a
 * lookup with it is refused. The proof goes to the appliance in a
 * closing-result; the token itself never leaves this process.
 */
#ifndef CONCLAVE_REVOKE_H
#define CONCLAVE_REVOKE_H

#include <stddef.h>

#include <jansson.h>

#include "client/http.h"
#include "crypto/reader.h"

/*
 * Read the token (hidden on the terminal, or from token_fd when >= 0),
 * look it up (it must have the root policy: CK_ERR_WRONG_KEY), revoke it
 * and check that a lookup with it is now refused (CK_ERR_STATE if not).
 * *proof: {"root_token_revoked": true, "accessor", "lookup_refused": true}.
 * why receives what failed. The client keeps the revoked token afterwards.
 */
int revoke_root_token(struct http_client *c, int token_fd, json_t **proof,
    char *why, size_t whylen) CK_WUR __attribute__((nonnull(1, 3, 4)));

#endif
