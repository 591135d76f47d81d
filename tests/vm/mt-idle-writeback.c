/*
 * mt-idle-writeback.c - writeback_after: pages that stay in the pool
 * longer go to the swap file although the pool is far under its limit
 * (zram's idle writeback), while swap-ins race it, in both fault modes;
 * and recompress_after: pages that stay a second are compressed again
 * with zstd:3 while swap-ins and idle writeback race it.
 *
 * 16 MiB of compressible pages under limit=64M: the pool holds them all.
 * Without writeback_after nothing is written back in 2.5 s. With
 * writeback_after=1 a thread keeps evicting, reading and rewriting random
 * pages for 3 s (each page's first word counts its rewrites, mirrored in
 * the test) while the worker writes back what has aged: pages are written
 * back for their age (written_back_idle), and every page reads right
 * whether it came from the pool, the file or memory. Then the same with
 * recompress_after=1,writeback_after=2: pages are recompressed (and, time
 * permitting, some of those written back later), and every page reads
 * right.
 */
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "api_helpers.h"
#include "uswap.h"
#include "uswap_debug.h"

#define REGION (16ul << 20)
#define PAGES  (REGION / 4096)

static unsigned char *mem;
static uswap_t *u;
static uint64_t writes[PAGES];

/* Page i: text-like content (compresses), its first word = its rewrites. */
static void check(size_t i, const char *when)
{
	static unsigned char want[4096];

	t_fill_page(want, 1, i);
	memcpy(want, &writes[i], sizeof(writes[i]));
	if (memcmp(mem + i * 4096, want, 4096)) {
		fprintf(stderr, "%s: page %zu reads wrong\n", when, i);
		exit(T_EXIT_FAIL);
	}
}

static void fill_all(void)
{
	for (size_t i = 0; i < PAGES; i++) {
		t_fill_page(mem + i * 4096, 1, i);
		writes[i] = 0;
		memcpy(mem + i * 4096, &writes[i], sizeof(writes[i]));
	}
	T_ASSERT(!uswap_pageout(u, mem, REGION));
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Evict, read and rewrite random pages for 3 s with extra options on. */
static void race(const char *mode, const char *extra)
{
	char opts[160];
	uint64_t seed = 7;

	snprintf(opts, sizeof(opts), "limit=64M,%s,fault_mode=%s", extra, mode);
	T_ASSERT((u = uswap_open(opts)) != NULL);
	T_ASSERT((mem = uswap_alloc(u, REGION)) != NULL);
	fill_all();
	uint64_t ops = 0;
	for (double end = now() + 3; now() < end; ops++) {
		size_t i = t_rand(&seed) % PAGES;
		check(i, extra);
		if (ops % 4 == 0) {
			writes[i]++;
			memcpy(mem + i * 4096, &writes[i], sizeof(writes[i]));
		}
		if (ops % 64 == 0)
			T_ASSERT(!uswap_pageout(u, mem + (t_rand(&seed) % (PAGES - 64)) * 4096, 64 * 4096));
	}
	uint64_t idle = t_stat(u, "written_back_idle"), wb = t_stat(u, "written_back_pages");
	uint64_t rc = t_stat(u, "recompressed_pages");
	T_VALIDATE(u, mode);
	for (size_t i = 0; i < PAGES; i++)
		check(i, extra);
	printf("%s, %s: %llu ops racing; %llu pages written back for their age (%llu in all), %llu recompressed "
	       "(%llu bytes saved), %llu swap-ins from the file\n", mode, extra, (unsigned long long)ops,
	       (unsigned long long)idle, (unsigned long long)wb, (unsigned long long)rc,
	       (unsigned long long)t_stat(u, "recompress_saved_bytes"), (unsigned long long)t_stat(u, "pswpin"));
	bool recompress = strstr(extra, "recompress") != NULL;
	T_ASSERT(recompress || idle > PAGES / 4); /* with recompression: those written back are a bonus */
	T_ASSERT(idle <= wb);
	T_ASSERT_EQ(rc > PAGES / 4, recompress);
	T_ASSERT(!uswap_free(u, mem));
	uswap_close(u);
}

static void run(const char *mode)
{
	char opts[160];

	/* No idle writeback: the pool keeps what fits. */
	snprintf(opts, sizeof(opts), "limit=64M,fault_mode=%s", mode);
	T_ASSERT((u = uswap_open(opts)) != NULL);
	T_ASSERT((mem = uswap_alloc(u, REGION)) != NULL);
	fill_all();
	sleep(2);
	usleep(500000);
	T_ASSERT(t_stat(u, "stored_pages") > PAGES / 2);
	T_ASSERT_EQ(t_stat(u, "written_back_pages"), 0);
	uswap_close(u);

	race(mode, "writeback_after=1");
	race(mode, "recompress_after=1,writeback_after=2");
}

int main(int argc, char **argv) { return t_run_fault_modes(argc, argv, run); }
