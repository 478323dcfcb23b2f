/*
 * What the bridge makes of a server's answers: seal status, token lookup,
 * the "errors" text kept for display, and the response-style split. Byte 0
 * picks the parser (and for errors, byte 1 the status code); the rest is
 * the body as the server would send it. Besides memory safety this checks
 * that whatever is accepted stays within its bounds and is printable, since
 * it goes to a screen or a transcript.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The Makefile defines it for the programs; the fuzz build does not. */
#define CONCLAVE_VERSION "fuzz"
#include "client/http.c"
#include "client/vault.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must_print(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == max || rd_printable_utf8(s, n, 0) != CK_OK)
		abort();
}

static void
seal_status(json_t *j)
{
	struct vault_seal_status st;

	if (vault_parse_seal_status(j, &st) != CK_OK)
		return;
	if (st.t > VAULT_MAX_SHARES || st.n > VAULT_MAX_SHARES ||
	    st.progress > VAULT_MAX_SHARES)
		abort();
	must_print(st.type, sizeof(st.type));
	must_print(st.nonce, sizeof(st.nonce));
	must_print(st.version, sizeof(st.version));
	must_print(st.build_date, sizeof(st.build_date));
	must_print(st.cluster_name, sizeof(st.cluster_name));
	must_print(st.cluster_id, sizeof(st.cluster_id));
	must_print(st.storage_type, sizeof(st.storage_type));
}

static void
token_info(json_t *j)
{
	struct vault_token_info ti;

	if (parse_token_info(j, &ti) != CK_OK)
		return;
	if (ti.accessor[0] == '\0' || ti.ttl < 0)
		abort();
	must_print(ti.accessor, sizeof(ti.accessor));
	must_print(ti.display_name, sizeof(ti.display_name));
	must_print(ti.policies, sizeof(ti.policies));
}

static void
server_errors(json_t *j, uint8_t code)
{
	static struct http_client c;
	long status = 400 + code % 200;
	int r;

	/* A 503 is classified by asking the node's own seal status, and there
	 * is no node here: that path is the integration tests'. */
	if (status == 503)
		status = 502;
	c.detail[0] = '\0';
	r = map_status(&c, status, j);
	if (r != CK_ERR_DISABLED_ENDPOINT && r != CK_ERR_NO_ENDPOINT &&
	    r != CK_ERR_PERMISSION_DENIED && r != CK_ERR_SERVER)
		abort();
	must_print(c.detail, sizeof(c.detail));
	if (c.detail[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	size_t skip;

	if (size < 2)
		return 0;
	skip = data[0] % 4 == 2 ? 2 : 1;
	if (rd_json(data + skip, size - skip, HTTP_MAX_RESPONSE, &j) != CK_OK)
		return 0;
	switch (data[0] % 4) {
	case 0:
		seal_status(j);
		break;
	case 1:
		token_info(j);
		break;
	case 2:
		server_errors(j, data[1]);
		break;
	default:
		/* Either the body itself or its "data" object, or nothing. */
		{
			json_t *d = http_body_data(j);

			if (d != NULL && d != j && !json_is_object(d))
				abort();
		}
		break;
	}
	json_decref(j);
	return 0;
}
