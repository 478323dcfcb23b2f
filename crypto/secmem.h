/*
 * Secure memory. Every secret (share, OTP, token, PIN, passphrase,
 * decrypted plaintext, secret key) lives in secmem_alloc() memory:
 * libsodium guard pages, canary, mlock, MADV_DONTDUMP; freed with
 * secmem_free(), which wipes. An allocation whose pages cannot be locked
 * fails (NULL): a secret is never kept in swappable memory.
 *
 * secmem_init() must run first in each program: it initialises
 * libsodium, disables core dumps and ptrace by the same user, locks all
 * memory where the process may (an unbounded RLIMIT_MEMLOCK, as for root
 * on the appliance image), and proves that a page can be locked:
 * CK_ERR_MLOCK otherwise (e.g. RLIMIT_MEMLOCK 0), and the caller refuses
 * to run.
 */
#ifndef CONCLAVE_SECMEM_H
#define CONCLAVE_SECMEM_H

#include <stddef.h>

int secmem_init(void) __attribute__((warn_unused_result));
void *secmem_alloc(size_t len);
void secmem_free(void *p);	/* NULL-safe */
void secmem_wipe(void *p, size_t len);
/*
 * Wipe SECMEM_STACK_WIPE bytes of stack below the caller's frame: where the
 * frames of a library call that just handled a secret were (gpgme's pipe
 * buffers hold a decrypted share, curl's a token header), which nobody else
 * wipes. Call it right after such a call returns.
 */
#define SECMEM_STACK_WIPE	(128 * 1024)
void secmem_wipe_stack(void);
/*
 * Zero the CPU's vector registers (x86-64: xmm/ymm, and zmm0-31 where
 * AVX-512 is on). glibc's string functions copy and scan through them, and
 * on AVX-512 machines they use ymm16-31, which little else touches: a
 * token parsed out of a response stays there for the life of the process,
 * and the next signal frame or lazily bound call spills it onto the stack.
 * secmem_wipe_stack() does this too; call it after handling a secret.
 */
void secmem_wipe_registers(void);

/* A growable secret byte buffer that wipes on every reallocation and free. */
struct secbuf {
	unsigned char *p;
	size_t len;
	size_t cap;
};

int secbuf_reserve(struct secbuf *b, size_t cap) __attribute__((warn_unused_result));
int secbuf_append(struct secbuf *b, const void *data, size_t len)
    __attribute__((warn_unused_result));
void secbuf_free(struct secbuf *b);
/*
 * Read exactly size bytes of fd (a regular file of that size) into b, and
 * then its end: a file that grew after it was measured is CK_ERR_TOO_LARGE,
 * one that shrank CK_ERR_TRUNCATED. On failure b is freed.
 */
int secbuf_read_fd(struct secbuf *b, int fd, size_t size)
    __attribute__((warn_unused_result));

#endif
