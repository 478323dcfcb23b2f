#include "crypto/secmem.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <sodium.h>

#include "crypto/errors.h"

int
secmem_init(void)
{
	const struct rlimit zero = { 0, 0 };
	const struct rlimit unbounded = { RLIM_INFINITY, RLIM_INFINITY };
	struct rlimit ml;
	void *probe;

	/* A core dump would carry every share the process ever held. */
	if (setrlimit(RLIMIT_CORE, &zero) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return CK_ERR_INTERNAL;
	if (sodium_init() < 0)
		return CK_ERR_CRYPTO;
	/*
	 * Where the process may lock without bound (root on the appliance
	 * image), all of it, now and later: stdio buffers and library copies
	 * never reach swap either. Elsewhere a bounded mlockall could make a
	 * later allocation fail mid-ceremony, so only secrets are locked.
	 */
	(void)setrlimit(RLIMIT_MEMLOCK, &unbounded);
	if (getrlimit(RLIMIT_MEMLOCK, &ml) == 0 && ml.rlim_cur == RLIM_INFINITY &&
	    mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		return CK_ERR_MLOCK;
	/* Fail closed now, not at the first secret: can a page be locked? */
	if ((probe = secmem_alloc(1)) == NULL)
		return CK_ERR_MLOCK;
	secmem_free(probe);
	return CK_OK;
}

void *
secmem_alloc(size_t len)
{
	void *p = sodium_malloc(len);

	/* sodium_malloc carries on when mlock fails; a secret must not. */
	if (p != NULL && sodium_mlock(p, len) != 0) {
		sodium_free(p);
		return NULL;
	}
	return p;
}

void
secmem_free(void *p)
{
	sodium_free(p);
}

void
secmem_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

/* Not inlined, so its array lies below the caller's frame, where the callee's were. */
__attribute__((noinline)) void
secmem_wipe_stack(void)
{
	unsigned char pad[SECMEM_STACK_WIPE];

	sodium_memzero(pad, sizeof(pad));
	__asm__ __volatile__("" : : "r"(pad) : "memory");
}

int
secbuf_reserve(struct secbuf *b, size_t cap)
{
	unsigned char *np;

	if (cap <= b->cap)
		return CK_OK;
	if ((np = secmem_alloc(cap)) == NULL)
		return CK_ERR_ALLOC;
	if (b->len > 0)
		memcpy(np, b->p, b->len);
	sodium_free(b->p);
	b->p = np;
	b->cap = cap;
	return CK_OK;
}

int
secbuf_append(struct secbuf *b, const void *data, size_t len)
{
	size_t want;
	int e;

	if (len > SIZE_MAX / 2 - b->len)
		return CK_ERR_TOO_LARGE;
	want = b->cap > 0 ? b->cap : 64;
	while (want < b->len + len)
		want *= 2;
	if ((e = secbuf_reserve(b, want)) != CK_OK)
		return e;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return CK_OK;
}

void
secbuf_free(struct secbuf *b)
{
	sodium_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
