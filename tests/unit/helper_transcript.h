/*
 * A cmocka fixture for tests that write transcripts: a scratch folder, a
 * transcript path in it and a fresh Ed25519 ceremony key in secmem.
 */
#ifndef CONCLAVE_HELPER_TRANSCRIPT_H
#define CONCLAVE_HELPER_TRANSCRIPT_H

struct tx_fixture {
	char dir[64];
	char path[128];		/* DIR/t.jsonl, not created */
	unsigned char *sk;	/* MINISIG_SK_BYTES */
};

/* cmocka setup and teardown: *state is a struct tx_fixture. */
int tx_setup(void **state);
int tx_teardown(void **state);

#endif
