/*
 * mt-readahead.c - swap-in readahead into a region, in both fault modes.
 * A fault on a swapped page that follows the last run in order installs
 * the swapped pages after it too (up to 2^page_cluster): pages no thread
 * has asked for yet, each resolved under its own page lock.
 *
 * 1. One thread reads an evicted region in order: every page is right,
 *    readahead brought in more than half of them, and there was a fault
 *    for fewer than half. With page_cluster=0 nothing is read ahead.
 * 2. Two threads walk the region in order, incrementing a counter in each
 *    page, while a third evicts the region in a loop: readahead races with
 *    eviction and with the other walker's faults and installs. Every
 *    counter equals the increments made, and the rest of every page is as
 *    written (mixed contents: zero, text, binary, random, same-filled).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "api_helpers.h"
#include "uswap.h"
#include "uswap_debug.h"

#define PAGES 8192
#define PG    4096

static unsigned char *mem;
static uswap_t *u;
static atomic_bool stop;
static atomic_long pageouts;
static long rounds;

/* Page i: flavoured content, its first 8 bytes a counter (0). */
static void fill(void)
{
	for (size_t i = 0; i < PAGES; i++) {
		t_fill_page(mem + i * PG, (int)(i % 5), i);
		memset(mem + i * PG, 0, 8);
	}
}

static void check(uint64_t want_counter)
{
	static unsigned char want[PG];

	for (size_t i = 0; i < PAGES; i++) {
		t_fill_page(want, (int)(i % 5), i);
		uint64_t c;
		memcpy(&c, mem + i * PG, 8);
		if (c != want_counter || memcmp(mem + i * PG + 8, want + 8, PG - 8)) {
			fprintf(stderr, "page %zu: counter %llu (want %llu), rest %s\n", i, (unsigned long long)c,
				(unsigned long long)want_counter, memcmp(mem + i * PG + 8, want + 8, PG - 8) ? "wrong" : "right");
			exit(T_EXIT_FAIL);
		}
	}
}

static void in_order(const char *mode)
{
	char opts[128];

	for (int pc = 3; pc >= 0; pc -= 3) {
		snprintf(opts, sizeof(opts), "fault_mode=%s,page_cluster=%d", mode, pc);
		T_ASSERT((u = uswap_open(opts)));
		T_ASSERT((mem = uswap_alloc(u, PAGES * PG)));
		fill();
		T_ASSERT(!uswap_pageout(u, mem, PAGES * PG));
		uint64_t ra0 = t_stat(u, "readahead_pages"), major0 = t_stat(u, "major_faults");
		check(0);
		uint64_t ra = t_stat(u, "readahead_pages") - ra0, major = t_stat(u, "major_faults") - major0;
		printf("%s, page_cluster=%d: %d pages read in order: %llu faults, %llu pages read ahead\n", mode, pc,
		       PAGES, (unsigned long long)major, (unsigned long long)ra);
		if (pc) {
			T_ASSERT(ra > PAGES / 2);
			T_ASSERT(major < PAGES / 2);
		} else {
			T_ASSERT_EQ(ra, 0);
		}
		uswap_close(u);
	}
}

/*
 * A walker starts after the first eviction and goes on until the pager has
 * finished three, however the threads are scheduled: resident rounds take
 * microseconds, and under ASan on two CPUs the walkers once finished every
 * round before the pager's first eviction (no readahead at all). Returns
 * its number of rounds in *arg.
 */
static void *walker(void *arg)
{
	long r = 0;

	while (atomic_load(&pageouts) < 1)
		sched_yield();
	for (; r < rounds || atomic_load(&pageouts) < 3; r++)
		for (size_t i = 0; i < PAGES; i++)
			__atomic_fetch_add((uint64_t *)(mem + i * PG), 1, __ATOMIC_RELAXED);
	*(long *)arg = r;
	return NULL;
}

static void *pager(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		T_ASSERT(!uswap_pageout(u, mem, PAGES * PG));
		atomic_fetch_add(&pageouts, 1);
	}
	return NULL;
}

static void racing(const char *mode)
{
	char opts[64];
	pthread_t w[2], p;
	long done[2];

	snprintf(opts, sizeof(opts), "fault_mode=%s", mode);
	T_ASSERT((u = uswap_open(opts)));
	T_ASSERT((mem = uswap_alloc(u, PAGES * PG)));
	fill();
	atomic_store(&stop, false);
	atomic_store(&pageouts, 0);
	uint64_t ra0 = t_stat(u, "readahead_pages");
	T_ASSERT(!pthread_create(&p, NULL, pager, NULL));
	for (int k = 0; k < 2; k++)
		T_ASSERT(!pthread_create(&w[k], NULL, walker, &done[k]));
	for (int k = 0; k < 2; k++)
		pthread_join(w[k], NULL);
	atomic_store(&stop, true);
	pthread_join(p, NULL);
	T_VALIDATE(u, mode);
	check((uint64_t)(done[0] + done[1]));
	printf("%s: 2 walkers x %ld+%ld rounds while evicting: %llu swap-outs, %llu pages read ahead, all right\n", mode,
	       done[0], done[1], (unsigned long long)t_stat(u, "swapouts"), (unsigned long long)(t_stat(u, "readahead_pages") - ra0));
	T_ASSERT(t_stat(u, "readahead_pages") > ra0);
	uswap_close(u);
}

static void run(const char *mode)
{
	in_order(mode);
	racing(mode);
}

int main(int argc, char **argv)
{
	rounds = (long)(50 * t_scale());
	if (rounds < 2)
		rounds = 2;
	return t_run_fault_modes(argc, argv, run);
}
