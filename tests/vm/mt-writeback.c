/*
 * mt-writeback.c - the vm path with zswap writing back, in both fault
 * modes: 48 MiB of mixed pages (text, binary, random; a counter in the
 * first 8 bytes of each) under limit=8M with the pool counted in it, so
 * the pool (20% of the limit) is always full and zswap's shrinker writes
 * its oldest entries to the swap file while pages are swapped in, evicted
 * and read ahead. Two threads increment the counters of random pages and
 * a third evicts random ranges. At the end every counter equals the
 * increments made to it and every page's contents are as written: no page
 * is lost, stale or another page's.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "api_helpers.h"
#include "uswap.h"
#include "uswap_debug.h"

#define PAGES   12288
#define PG      4096
#define WORKERS 2

static unsigned char *mem;
static uswap_t *u;
static atomic_bool stop;
static long ops;
static uint32_t *counts[WORKERS]; /* increments each worker made to each page (not in a region) */

static void *worker(void *arg)
{
	long t = (long)arg;
	uint64_t s = 0x9E3779B97F4A7C15ull * (uint64_t)(t + 1);

	for (long k = 0; k < ops; k++) {
		size_t i = t_rand(&s) % PAGES;
		if (k % 64 == 0) /* now and then a run in order: readahead */
			for (size_t j = i; j < i + 16 && j < PAGES; j++, k++) {
				__atomic_fetch_add((uint64_t *)(mem + j * PG), 1, __ATOMIC_RELAXED);
				counts[t][j]++;
			}
		__atomic_fetch_add((uint64_t *)(mem + i * PG), 1, __ATOMIC_RELAXED);
		counts[t][i]++;
	}
	return NULL;
}

static void *pager(void *arg)
{
	uint64_t s = 42;
	(void)arg;
	while (!atomic_load(&stop)) {
		size_t i = t_rand(&s) % PAGES, n = 1 + t_rand(&s) % 64;
		if (i + n > PAGES)
			n = PAGES - i;
		T_ASSERT(!uswap_pageout(u, mem + i * PG, n * PG));
	}
	return NULL;
}

static void run(const char *mode)
{
	static unsigned char want[PG];
	char opts[128];
	pthread_t w[WORKERS], p;

	snprintf(opts, sizeof(opts), "fault_mode=%s,limit=8M", mode);
	T_ASSERT((u = uswap_open(opts)));
	T_ASSERT((mem = uswap_alloc(u, (size_t)PAGES * PG)));
	for (size_t i = 0; i < PAGES; i++) {
		t_fill_page(mem + i * PG, 1 + (int)(i % 3), i);
		memset(mem + i * PG, 0, 8);
	}
	for (int t = 0; t < WORKERS; t++)
		T_ASSERT((counts[t] = calloc(PAGES, sizeof(uint32_t))));
	atomic_store(&stop, false);
	T_ASSERT(!pthread_create(&p, NULL, pager, NULL));
	for (long t = 0; t < WORKERS; t++)
		T_ASSERT(!pthread_create(&w[t], NULL, worker, (void *)t));
	for (int t = 0; t < WORKERS; t++)
		pthread_join(w[t], NULL);
	atomic_store(&stop, true);
	pthread_join(p, NULL);
	T_VALIDATE(u, mode);
	for (size_t i = 0; i < PAGES; i++) {
		uint64_t c, made = 0;
		for (int t = 0; t < WORKERS; t++)
			made += counts[t][i];
		memcpy(&c, mem + i * PG, 8);
		t_fill_page(want, 1 + (int)(i % 3), i);
		bool rest = !memcmp(mem + i * PG + 8, want + 8, PG - 8);
		if (c != made || !rest) {
			fprintf(stderr, "%s: page %zu: counter %llu, %llu increments made; the rest %s\n", mode, i,
				(unsigned long long)c, (unsigned long long)made, rest ? "right" : "WRONG");
			exit(T_EXIT_FAIL);
		}
	}
	uint64_t wb = t_stat(u, "written_back_pages");
	printf("%s: %ld ops x %d threads: %llu swap-outs, %llu major faults, %llu written back, %llu read ahead: "
	       "every page right\n", mode, ops, WORKERS, (unsigned long long)t_stat(u, "swapouts"),
	       (unsigned long long)t_stat(u, "major_faults"), (unsigned long long)wb,
	       (unsigned long long)t_stat(u, "readahead_pages"));
	T_ASSERT(wb > 0); /* the point: writeback ran */
	T_ASSERT_EQ(t_stat(u, "zero_refills"), 0); /* no resident page went missing */
	for (int t = 0; t < WORKERS; t++)
		free(counts[t]);
	uswap_close(u);
}

int main(int argc, char **argv)
{
	ops = (long)(150000 * t_scale());
	return t_run_fault_modes(argc, argv, run);
}
