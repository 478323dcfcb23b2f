/*
 * crypto/secmem: secmem_wipe_registers() leaves no secret in the vector
 * registers. A known pattern is put in xmm8 (and zmm24 where AVX-512 is
 * on: glibc's string functions use ymm16-31 there), the registers are
 * saved with XSAVE, and the pattern is looked for in what was saved.
 */
#include <cpuid.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/errors.h"
#include "crypto/secmem.h"

static const unsigned char pattern[16] __attribute__((aligned(16))) =
    "token:s.Residue!";
/* Larger than any XSAVE area (AVX-512: 2,696 bytes). */
static unsigned char area[16384] __attribute__((aligned(64)));

static int
xsave_usable(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) &&
	    __get_cpuid_count(0xd, 0, &a, &b, &c, &d) && b <= sizeof(area);
}

/* The registers as a signal frame would hold them; 1 if pattern is there. */
static int
pattern_saved(void)
{
	memset(area, 0, sizeof(area));
	__asm__ __volatile__("xsave %0" : "=m"(area) : "a"(~0u), "d"(~0u));
	return memmem(area, sizeof(area), pattern, sizeof(pattern)) != NULL;
}

static void
load_pattern(void)
{
	__asm__ __volatile__("movdqa %0, %%xmm8" : : "m"(pattern) : "xmm8");
	if (__builtin_cpu_supports("avx512f"))
		__asm__ __volatile__("vmovdqu64 %0, %%xmm24" : : "m"(pattern));
}

static void
registers_hold_a_secret_until_wiped(void **state)
{
	(void)state;
	if (!xsave_usable())
		skip();
	/* Control: the probe sees a pattern left in the registers. */
	load_pattern();
	assert_true(pattern_saved());
	load_pattern();
	secmem_wipe_registers();
	assert_false(pattern_saved());
	/* secmem_wipe_stack() wipes them too. */
	load_pattern();
	secmem_wipe_stack();
	assert_false(pattern_saved());
}

static int
setup(void **state)
{
	(void)state;
	return secmem_init() == CK_OK ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(registers_hold_a_secret_until_wiped),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
