/*
 * mt-r6-api.c - R6 (the swap-in race) against the public API, in both
 * fault modes: a 64 MiB region under limit=16M; two threads increment a
 * counter in every page, one walking up and one walking down, while a
 * third calls uswap_pageout over the region in a loop. Every page is
 * evicted and faulted back many times, with both walkers racing on the
 * same pages at the crossings. At the end each page's counter must equal
 * the increments made to it: an install of stale data (R6), a lost write
 * during eviction, or a page read as zero loses increments.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "api_helpers.h"
#include "uswap.h"
#include "uswap_debug.h"

#define REGION (64ul << 20)
#define PAGES  (REGION / 4096)

static unsigned char *mem;
static uswap_t *u;
static atomic_bool stop;
static long passes;

static void *walker(void *arg)
{
	int down = arg != NULL;

	for (long p = 0; p < passes; p++)
		for (unsigned long k = 0; k < PAGES; k++) {
			unsigned long i = down ? PAGES - 1 - k : k;
			__atomic_fetch_add((uint64_t *)(mem + i * 4096), 1, __ATOMIC_RELAXED);
		}
	return NULL;
}

static void *pager(void *arg)
{
	long rounds = 0;

	while (!atomic_load(&stop)) {
		T_ASSERT(uswap_pageout(u, mem, REGION) == 0);
		rounds++;
	}
	*(long *)arg = rounds;
	return NULL;
}

static void run(const char *mode)
{
	char opts[128];
	pthread_t up, down, pg;
	long rounds = 0;
	uint64_t swapouts = 0, majors = 0;

	snprintf(opts, sizeof(opts), "limit=16M,fault_mode=%s", mode);
	u = t_open(opts);
	T_ASSERT((mem = uswap_alloc(u, REGION)) != NULL);
	atomic_store(&stop, false);
	T_ASSERT(!pthread_create(&up, NULL, walker, NULL));
	T_ASSERT(!pthread_create(&down, NULL, walker, (void *)1));
	T_ASSERT(!pthread_create(&pg, NULL, pager, &rounds));
	pthread_join(up, NULL);
	pthread_join(down, NULL);
	atomic_store(&stop, true);
	pthread_join(pg, NULL);
	T_VALIDATE(u, mode);
	for (unsigned long i = 0; i < PAGES; i++) {
		uint64_t v = *(uint64_t *)(mem + i * 4096);
		if (v != 2 * (uint64_t)passes) {
			fprintf(stderr, "%s: page %lu counter %llu, expected %ld\n", mode, i, (unsigned long long)v,
				2 * passes);
			exit(T_EXIT_FAIL);
		}
	}
	T_ASSERT(!uswap_stat(u, "swapouts", &swapouts));
	T_ASSERT(!uswap_stat(u, "major_faults", &majors));
	printf("%s: %ld passes, %ld pageout rounds, %llu swap-outs, %llu major faults: all counters right\n", mode,
	       passes, rounds, (unsigned long long)swapouts, (unsigned long long)majors);
	/* The race must actually have been run: pages went out and came back. */
	T_ASSERT(swapouts > PAGES && majors > PAGES / 2);
	uint64_t refills = 0;
	T_ASSERT(!uswap_stat(u, "zero_refills", &refills));
	T_ASSERT_EQ(refills, 0); /* no resident page went missing */
	if (getenv("USWAP_TEST_VERBOSE"))
		uswap_stats_print(u, stderr, 0);
	T_ASSERT(uswap_free(u, mem) == 0);
	uswap_close(u);
}

int main(int argc, char **argv)
{
	passes = (long)(4 * t_scale()) + 1;
	return t_run_fault_modes(argc, argv, run);
}
