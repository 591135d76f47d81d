/*
 * os.c - the system calls uswap's core uses, wrapped once: each returns 0
 * or -errno and leaves errno alone for the caller's caller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"

/*
 * Map len bytes of anonymous memory aligned to align (a power of two, at
 * least a page): over-map by align and trim both ends. MAP_NORESERVE:
 * uswap budgets its memory itself, and a sparse table or region should not
 * be refused by the kernel's overcommit heuristic.
 */
int os_mmap_anon(size_t len, size_t align, void **out)
{
	size_t span = len + (align > PAGE_SIZE ? align : 0);
	long p = syscall(SYS_mmap, NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);

	if (p == -1)
		return -errno;
	char *start = (char *)p;
	if (align > PAGE_SIZE) {
		start = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
		if (start > (char *)p)
			os_munmap((void *)p, start - (char *)p);
		if (start + len < (char *)p + span)
			os_munmap(start + len, (char *)p + span - (start + len));
	}
	*out = start;
	return 0;
}

int os_munmap(void *p, size_t len) { return syscall(SYS_munmap, p, len) ? -errno : 0; }

int os_madvise(void *p, size_t len, int advice) { return syscall(SYS_madvise, p, len, advice) ? -errno : 0; }

__attribute__((noinline)) void *os_memcpy(void *dst, const void *src, size_t n) { return memcpy(dst, src, n); }

uint64_t os_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* As os_now_ns, to the last timer tick (a few ms): for ages in seconds on
 * a hot path (3.5 ns a call here against 27.5 ns). */
uint64_t os_now_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void os_deadline(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ns += (uint64_t)ts->tv_nsec;
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
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
