/*
 * alloc.c - metadata allocation with deterministic fault injection.
 *
 * Failure paths are where leaks hide. base_alloc_fail_nth(n) makes the nth
 * allocation from now return NULL, so a test can walk n = 1, 2, ... through
 * a constructor and prove (under LeakSanitizer) that every partial state is
 * torn down. The countdown is a single atomic; when disarmed (the normal
 * case) the cost is one relaxed load.
 *
 * Where the memory comes from is the process's malloc, or what
 * base_set_allocator() named before the first allocation: uswap run's
 * preload library points it at glibc's own malloc, because the program's
 * malloc there hands out memory that uswap manages, and memory uswap
 * touches while it evicts or resolves a fault must never be evictable.
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

static void *libc_aligned(size_t align, size_t size) { return aligned_alloc(align, size); }

/* Set once, before any allocation (base_set_allocator); read-only after. */
static struct base_allocator alloc = {malloc, calloc, realloc, libc_aligned, free};

void base_set_allocator(const struct base_allocator *a) { alloc = *a; }

void *base_malloc(size_t size)
{
	return should_fail() ? NULL : alloc.malloc(size);
}

void *base_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : alloc.calloc(n, size);
}

void *base_realloc(void *p, size_t size)
{
	return should_fail() ? NULL : alloc.realloc(p, size);
}

char *base_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = base_malloc(n);

	return p ? memcpy(p, s, n) : NULL;
}

void *base_aligned_alloc(size_t align, size_t size)
{
	size_t rounded = (size + align - 1) & ~(align - 1);
	void *p = should_fail() ? NULL : alloc.aligned(align, rounded);

	if (p)
		memset(p, 0, rounded);
	return p;
}

void base_free(void *p) { alloc.free(p); }

void *base_zalloc_large(size_t size)
{
	void *p;

	return should_fail() || os_mmap_anon(size, PAGE_SIZE, &p) ? NULL : p;
}

void base_free_large(void *p, size_t size)
{
	if (p)
		os_munmap(p, size);
}
