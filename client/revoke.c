/*
 * Revoking a root token and proving it (see revoke.h).
 */
#include "client/revoke.h"

#include <stdio.h>
#include <string.h>

#include "client/vault.h"
#include "crypto/errors.h"

int
revoke_root_token(struct http_client *c, const char *tok, const char *accessor,
    long long init_time, json_t **proof, char *why, size_t whylen)
{
	struct vault_token_info ti;
	int r;

	*proof = NULL;
	why[0] = '\0';
	if (tok[0] == '\0') {
		snprintf(why, whylen, "the line is empty");
		return CK_ERR_FORMAT;
	}
	if ((r = http_set_token(c, tok, strlen(tok))) != CK_OK) {
		/* Which rule it broke, never any of its characters. */
		snprintf(why, whylen, "that line is not a token (%zu characters, "
		    "%s)", strlen(tok), strlen(tok) > HTTP_MAX_TOKEN ? "too long" :
		    strpbrk(tok, " \t") != NULL ? "with a space in it" :
		    "with a character no token holds");
		return r;
	}
	if ((r = vault_token_lookup_self(c, &ti)) != CK_OK) {
		if (r == CK_ERR_PERMISSION_DENIED)
			snprintf(why, whylen, "the server does not know that token "
			    "(a typo, or a token already revoked)");
		else
			snprintf(why, whylen, "looking the token up: %s",
			    http_error_detail(c));
		return r;
	}
	if (!ti.is_root) {
		snprintf(why, whylen, "that token has no root policy (accessor "
		    "%s): nothing was revoked", ti.accessor);
		return CK_ERR_WRONG_KEY;
	}
	if (accessor != NULL && strcmp(ti.accessor, accessor) != 0) {
		snprintf(why, whylen, "that is a root token, but not the one this "
		    "ceremony made (accessor %s, not %s): nothing was revoked",
		    ti.accessor, accessor);
		return CK_ERR_WRONG_KEY;
	}
	/* At init the bridge never saw the token (sys/init encrypted it to the
	 * operator): what binds it to the ceremony is that sys/init made it,
	 * so it was made by the time the server answered. */
	if (init_time == 0) {
		snprintf(why, whylen, "the server's time of init is unknown (its "
		    "answer had no Date), so the initial root token cannot be "
		    "told from another: nothing was revoked");
		return CK_ERR_WRONG_KEY;
	}
	if (init_time > 0 && (ti.creation_time > init_time + REVOKE_CLOCK_SLACK ||
	    ti.creation_time < init_time - REVOKE_INIT_SPAN)) {
		snprintf(why, whylen, "that is a root token, but not the initial "
		    "one (accessor %s): made at %lld, the server was initialised "
		    "at %lld: nothing was revoked", ti.accessor, ti.creation_time,
		    init_time);
		return CK_ERR_WRONG_KEY;
	}
	if ((r = vault_token_revoke_self(c)) != CK_OK) {
		snprintf(why, whylen, "revoking the root token: %s",
		    http_error_detail(c));
		return r;
	}
	if ((r = vault_token_lookup_self(c, &(struct vault_token_info){ 0 })) !=
	    CK_ERR_PERMISSION_DENIED) {
		snprintf(why, whylen, "a lookup with the token was not refused");
		return r == CK_OK ? CK_ERR_STATE : r;
	}
	*proof = json_pack("{s:b, s:s, s:b}", "root_token_revoked", 1,
	    "accessor", ti.accessor, "lookup_refused", 1);
	return *proof != NULL ? CK_OK : CK_ERR_ALLOC;
}
