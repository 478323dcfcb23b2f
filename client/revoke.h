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
 * How far the initial root token's creation_time may lie from the server's
 * clock when it answered sys/init (both the server's clock, so the
 * bridge's own does not matter): not after it (one second for the
 * whole-second rounding of both), not more than REVOKE_INIT_SPAN before it
 * (a sys/init that waited on a slow auto-unseal seal).
 */
#define REVOKE_CLOCK_SLACK	1
#define REVOKE_INIT_SPAN	600

/*
 * Look tok up (the server must know it: CK_ERR_PERMISSION_DENIED; it must
 * have the root policy: CK_ERR_WRONG_KEY; when accessor is not NULL it
 * must be the token with that accessor, the one the ceremony made:
 * CK_ERR_WRONG_KEY; when init_time is >= 0 it must be the initial root
 * token, made by the sys/init the server answered at init_time (unix
 * seconds, its clock; 0: the time is unknown and no token passes):
 * CK_ERR_WRONG_KEY), revoke it and check that a lookup with it is now
 * refused (CK_ERR_STATE if not). Nothing is revoked unless every check
 * passed. *proof: {"root_token_revoked": true, "accessor",
 * "lookup_refused": true}. why receives what failed, for people. The
 * client keeps the revoked token afterwards.
 */
int revoke_root_token(struct http_client *c, const char *tok,
    const char *accessor, long long init_time, json_t **proof, char *why,
    size_t whylen) CK_WUR __attribute__((nonnull(1, 2, 5, 6)));

#endif
