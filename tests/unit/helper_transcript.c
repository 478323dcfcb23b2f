/* The transcript fixture (see helper_transcript.h). */
#include "tests/unit/helper_transcript.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/errors.h"
#include "crypto/secmem.h"
#include "protocol/minisig.h"

int
tx_setup(void **state)
{
	struct tx_fixture *f = calloc(1, sizeof(*f));
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];

	if (f == NULL || secmem_init() != CK_OK ||
	    (f->sk = secmem_alloc(MINISIG_SK_BYTES)) == NULL)
		return -1;
	crypto_sign_keypair(pk, f->sk);
	strcpy(f->dir, "/tmp/conclave-tx.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/t.jsonl", f->dir);
	*state = f;
	return 0;
}

int
tx_teardown(void **state)
{
	struct tx_fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	secmem_free(f->sk);
	free(f);
	return 0;
}
