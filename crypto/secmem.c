#include "crypto/secmem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

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
	secmem_wipe_registers();
}

/* Not inlined: the caller holds nothing in these registers across a call
 * (all are caller-saved in the x86-64 ABI). */
__attribute__((noinline)) void
secmem_wipe_registers(void)
{
#if defined(__x86_64__)
	/* The builtin checks that the OS saves the state (XCR0) as well. */
	if (__builtin_cpu_supports("avx512f"))
		__asm__ __volatile__("vzeroall\n\t"
		    "vpxord %%zmm16, %%zmm16, %%zmm16\n\tvpxord %%zmm17, %%zmm17, %%zmm17\n\t"
		    "vpxord %%zmm18, %%zmm18, %%zmm18\n\tvpxord %%zmm19, %%zmm19, %%zmm19\n\t"
		    "vpxord %%zmm20, %%zmm20, %%zmm20\n\tvpxord %%zmm21, %%zmm21, %%zmm21\n\t"
		    "vpxord %%zmm22, %%zmm22, %%zmm22\n\tvpxord %%zmm23, %%zmm23, %%zmm23\n\t"
		    "vpxord %%zmm24, %%zmm24, %%zmm24\n\tvpxord %%zmm25, %%zmm25, %%zmm25\n\t"
		    "vpxord %%zmm26, %%zmm26, %%zmm26\n\tvpxord %%zmm27, %%zmm27, %%zmm27\n\t"
		    "vpxord %%zmm28, %%zmm28, %%zmm28\n\tvpxord %%zmm29, %%zmm29, %%zmm29\n\t"
		    "vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31"
		    ::: "memory");
	else if (__builtin_cpu_supports("avx"))
		__asm__ __volatile__("vzeroall" ::: "memory");
	else
		__asm__ __volatile__(
		    "pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\t"
		    "pxor %%xmm2, %%xmm2\n\tpxor %%xmm3, %%xmm3\n\t"
		    "pxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
		    "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\t"
		    "pxor %%xmm8, %%xmm8\n\tpxor %%xmm9, %%xmm9\n\t"
		    "pxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
		    "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\t"
		    "pxor %%xmm14, %%xmm14\n\tpxor %%xmm15, %%xmm15" ::: "memory");
#endif
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

int
secbuf_read_fd(struct secbuf *b, int fd, size_t size)
{
	uint8_t probe;
	ssize_t n;
	int r;

	if (size == SIZE_MAX)
		return CK_ERR_TOO_LARGE;
	if ((r = secbuf_reserve(b, b->len + size + 1)) != CK_OK)
		return r;
	size += b->len;
	while (b->len < size) {
		n = read(fd, b->p + b->len, size - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n == 0 ? CK_ERR_TRUNCATED : CK_ERR_IO;
			goto out;
		}
		b->len += (size_t)n;
	}
	/* A file that grew while we read it is not the file we measured. */
	if ((n = read(fd, &probe, 1)) != 0)
		r = n > 0 ? CK_ERR_TOO_LARGE : CK_ERR_IO;
 out:
	if (r != CK_OK)
		secbuf_free(b);
	return r;
}
