/*
 * mt-dontneed.c - the event barrier (design-digest 4.2), in both fault
 * modes: owner threads write a page, evict it, MADV_DONTNEED it and read
 * it back, while reader threads fault the same pages in and a pager
 * evicts the region in a loop. A resolver that looked a page up before the
 * DONTNEED and installed it after would bring the old content back: a
 * page read after MADV_DONTNEED must always be zero. Every third round a
 * page is also MADV_FREE'd and written again first: its REMOVE event
 * drops it like a DONTNEED's, the kernel keeps it, and uswap adopts it
 * (vm/access.c) while the next DONTNEED of the same page races the
 * clock's and the tick's scans: a page adopted before that DONTNEED's zap
 * and then evicted would come back with its old bytes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "helpers.h"
#include "uswap.h"

#define PAGES   2048
#define OWNERS  2
#define READERS 2

static unsigned char *mem;
static uswap_t *u;
static atomic_bool stop;
static atomic_long checks;
static long rounds;

/* Write page i, MADV_FREE it, write it again once uswap has applied the
 * event: the second value stays, also after an eviction. */
static void lazy_free(uint64_t *p, unsigned long i, long r)
{
	uint64_t v = ((uint64_t)r << 32) | i | 2;

	__atomic_store_n(p, v ^ 4, __ATOMIC_RELAXED);
	T_ASSERT(!madvise(p, 4096, MADV_FREE));
	uswap_pageout(u, p, 4096); /* waits for the event barrier: the write below is seen (madv-free.c) */
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
	if (r & 1)
		uswap_pageout(u, p, 4096);
	uint64_t got = __atomic_load_n(p, __ATOMIC_RELAXED);
	if (got != v) {
		fprintf(stderr, "page %lu reads %#llx after MADV_FREE and a write of %#llx\n", i,
			(unsigned long long)got, (unsigned long long)v);
		exit(T_EXIT_FAIL);
	}
}

static void *owner(void *arg)
{
	long t = (long)arg;

	for (long r = 0; r < rounds; r++)
		for (unsigned long i = (unsigned long)t; i < PAGES; i += OWNERS) {
			uint64_t *p = (uint64_t *)(mem + i * 4096);
			if (r % 3 == 2)
				lazy_free(p, i, r);
			__atomic_store_n(p, ((uint64_t)r << 32) | i | 1, __ATOMIC_RELAXED);
			if (r & 1)
				uswap_pageout(u, p, 4096);
			T_ASSERT(!madvise(p, 4096, MADV_DONTNEED));
			uint64_t v = __atomic_load_n(p, __ATOMIC_RELAXED);
			if (v) {
				fprintf(stderr, "page %lu reads %#llx after MADV_DONTNEED\n", i, (unsigned long long)v);
				exit(T_EXIT_FAIL);
			}
			atomic_fetch_add(&checks, 1);
		}
	return NULL;
}

static void *reader(void *arg)
{
	uint64_t seed = (uint64_t)(uintptr_t)arg * 7919 + 1, sum = 0;

	while (!atomic_load(&stop))
		sum += __atomic_load_n((uint64_t *)(mem + (t_rand(&seed) % PAGES) * 4096), __ATOMIC_RELAXED);
	return (void *)(uintptr_t)(sum & 1);
}

static void *pager(void *arg)
{
	while (!atomic_load(&stop))
		uswap_pageout(u, mem, PAGES * 4096ul);
	return NULL;
}

static void run(const char *mode)
{
	char opts[96];
	pthread_t o[OWNERS], rd[READERS], pg;

	snprintf(opts, sizeof(opts), "limit=4M,fault_mode=%s", mode);
	if (!(u = uswap_open(opts))) {
		fprintf(stderr, "uswap_open: %s\n", uswap_strerror());
		exit(T_EXIT_FAIL);
	}
	T_ASSERT((mem = uswap_alloc(u, PAGES * 4096ul)) != NULL);
	atomic_store(&stop, false);
	atomic_store(&checks, 0);
	for (long i = 0; i < READERS; i++)
		T_ASSERT(!pthread_create(&rd[i], NULL, reader, (void *)(i + 1)));
	T_ASSERT(!pthread_create(&pg, NULL, pager, NULL));
	for (long i = 0; i < OWNERS; i++)
		T_ASSERT(!pthread_create(&o[i], NULL, owner, (void *)i));
	for (int i = 0; i < OWNERS; i++)
		pthread_join(o[i], NULL);
	atomic_store(&stop, true);
	for (int i = 0; i < READERS; i++)
		pthread_join(rd[i], NULL);
	pthread_join(pg, NULL);
	uint64_t faults = 0, swapouts = 0, adopted = 0;
	T_ASSERT(!uswap_stat(u, "faults", &faults));
	T_ASSERT(!uswap_stat(u, "lazyfree_adopted", &adopted));
	T_ASSERT(!uswap_stat(u, "swapouts", &swapouts));
	printf("%s: %ld pages read zero after MADV_DONTNEED (%llu faults, %llu swap-outs, %llu MADV_FREE'd pages "
	       "adopted meanwhile)\n", mode, atomic_load(&checks), (unsigned long long)faults,
	       (unsigned long long)swapouts, (unsigned long long)adopted);
	T_ASSERT(swapouts > PAGES && faults > PAGES);
	uswap_close(u);
}

int main(int argc, char **argv)
{
	rounds = (long)(6 * t_scale()) + 2;
	return t_run_fault_modes(argc, argv, run);
}
