/*
 * Revoking a root token and proving it (see revoke.h).
 */
#include "client/revoke.h"

#include <stdio.h>
#include <string.h>

#include "client/vault.h"
#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "media/tty.h"

int
revoke_root_token(struct http_client *c, int token_fd, json_t **proof,
    char *why, size_t whylen)
{
	struct vault_token_info ti;
	char *tok = NULL;
	int r;

	*proof = NULL;
	why[0] = '\0';
	if ((r = tty_read_secret("Root token (hidden): ", token_fd, &tok)) != CK_OK) {
		snprintf(why, whylen, "reading the root token");
		return r;
	}
	if ((r = http_set_token(c, tok, strlen(tok))) != CK_OK) {
		snprintf(why, whylen, "not a token");
		goto out;
	}
	if ((r = vault_token_lookup_self(c, &ti)) != CK_OK) {
		snprintf(why, whylen, "looking up the root token: %s",
		    http_error_detail(c));
		goto out;
	}
	if (!ti.is_root) {
		snprintf(why, whylen, "that token has no root policy");
		r = CK_ERR_WRONG_KEY;
		goto out;
	}
	if ((r = vault_token_revoke_self(c)) != CK_OK) {
		snprintf(why, whylen, "revoking the root token: %s",
		    http_error_detail(c));
		goto out;
	}
	if ((r = vault_token_lookup_self(c, &(struct vault_token_info){ 0 })) !=
	    CK_ERR_PERMISSION_DENIED) {
		snprintf(why, whylen, "a lookup with the token was not refused");
		r = r == CK_OK ? CK_ERR_STATE : r;
		goto out;
	}
	*proof = json_pack("{s:b, s:s, s:b}", "root_token_revoked", 1,
	    "accessor", ti.accessor, "lookup_refused", 1);
	r = *proof != NULL ? CK_OK : CK_ERR_ALLOC;
out:
	secmem_free(tok);
	return r;
}
