/*
 * Test helpers for the OpenPGP fixtures in tests/vectors/keys: scratch
 * directories, the test passphrase in secmem, and stock gpg as an oracle.
 */
#ifndef CONCLAVE_HELPER_KEYS_H
#define CONCLAVE_HELPER_KEYS_H

#include <stddef.h>

#define TK_KEYS	"tests/vectors/keys"

/* A fresh directory under $TMPDIR (or /tmp); caller frees, tk_rmrf()s. */
char *tk_tmpdir(void);
void tk_rmrf(const char *dir);
/* The fixtures' passphrase, NUL-terminated, in secmem (secmem_free it). */
char *tk_passphrase(void);
/* "tests/vectors/keys/NAME.asc" or "NAME.sec.asc" in a static buffer. */
const char *tk_key(const char *name, int secret);
/* Run a shell command (test code only); stdout into out, NUL-terminated. */
int tk_run(const char *cmd, char *out, size_t max, size_t *len);
/* Primary fingerprint of a fixture, as stock gpg reports it (lowercase). */
void tk_fpr(const char *name, char out[41]);
/* Whole file into malloc'd memory. */
unsigned char *tk_slurp(const char *path, size_t *len);
void tk_spit(const char *path, const void *buf, size_t len);

#endif
