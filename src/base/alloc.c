/*
 * alloc.c - metadata allocation with deterministic fault injection.
 *
 * Failure paths are where leaks hide. base_alloc_fail_nth(n) makes the nth
 * allocation from now return NULL, so a test can walk n = 1, 2, ... through
 * a constructor and prove (under LeakSanitizer) that every partial state is
 * torn down. The countdown is a single atomic; when disarmed (the normal
 * case) the cost is one relaxed load.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

static _Atomic long fail_countdown; /* atomic; 0 = disarmed */
static _Atomic bool fail_fired;     /* atomic */

void base_alloc_fail_nth(long n)
{
	atomic_store_rel(&fail_fired, false);
	atomic_store_rel(&fail_countdown, n);
}

bool base_alloc_failed(void) { return atomic_load_acq(&fail_fired); }

static bool should_fail(void)
{
	if (likely(atomic_load_relaxed(&fail_countdown) == 0))
		return false;
	if (atomic_sub_acq_rel(&fail_countdown, 1) != 1)
		return false;
	atomic_store_rel(&fail_fired, true);
	return true;
}

void *base_malloc(size_t size)
{
	return should_fail() ? NULL : malloc(size);
}

void *base_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : calloc(n, size);
}

void *base_aligned_alloc(size_t align, size_t size)
{
	size_t rounded = (size + align - 1) & ~(align - 1);
	void *p = should_fail() ? NULL : aligned_alloc(align, rounded);

	if (p)
		memset(p, 0, rounded);
	return p;
}

void base_free(void *p) { free(p); }
