/*
 * The closing step every ceremony that creates a root token ends with
 * (init, generate-root): the token the operator gives back is checked to
 * be the ceremony's root token, revoked, and the revocation proved: a
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
 * Look tok up (the server must know it: CK_ERR_PERMISSION_DENIED; it must
 * have the root policy: CK_ERR_WRONG_KEY; when accessor is not NULL it
 * must be the token with that accessor, the one the ceremony made:
 * CK_ERR_WRONG_KEY), revoke it and check that a lookup with it is now
 * refused (CK_ERR_STATE if not). Nothing is revoked unless every check
 * passed. *proof: {"root_token_revoked": true, "accessor",
 * "lookup_refused": true}. why receives what failed, for people. The
 * client keeps the revoked token afterwards.
 */
int revoke_root_token(struct http_client *c, const char *tok,
    const char *accessor, json_t **proof, char *why, size_t whylen) CK_WUR
    __attribute__((nonnull(1, 2, 4, 5)));

#endif
