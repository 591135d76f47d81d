/*
 * os.c - the system calls uswap's core uses, wrapped once: each returns 0
 * or -errno and leaves errno alone for the caller's caller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "base/base.h"

/*
 * Map len bytes of anonymous memory aligned to align (a power of two, at
 * least a page): over-map by align and trim both ends.
 */
int os_mmap_anon(size_t len, size_t align, void **out)
{
	size_t span = len + (align > PAGE_SIZE ? align : 0);
	char *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	if (align > PAGE_SIZE) {
		char *start = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
		if (start > p)
			munmap(p, start - p);
		if (start + len < p + span)
			munmap(start + len, p + span - (start + len));
		p = start;
	}
	*out = p;
	return 0;
}

int os_munmap(void *p, size_t len) { return munmap(p, len) ? -errno : 0; }

int os_madvise(void *p, size_t len, int advice) { return madvise(p, len, advice) ? -errno : 0; }

__attribute__((noinline)) void *os_memcpy(void *dst, const void *src, size_t n) { return memcpy(dst, src, n); }

uint64_t os_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void lock_fatal(const char *what, int err)
{
	fprintf(stderr, "uswap: %s failed: %s\n", what, strerror(err));
	abort();
}

void debug_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "uswap: debug check failed at %s:%d: %s\n", file, line, what);
	abort();
}
