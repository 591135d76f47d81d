/*
 * dedup.c - same-page merging through the public API, in both fault
 * modes: a region whose second half repeats its first (text, binary and
 * random pages) is evicted with dedup=on: the repeated pages share the
 * first half's objects (dedup_pages), every page reads right, and after
 * the first half is rewritten and evicted again, both halves still read
 * right and the sharing is gone.
 */
#include "api_helpers.h"
#include "uswap.h"

#define HALF 512
#define PG   4096

static unsigned char *mem;

static void fill(size_t i, uint64_t gen) { t_fill_page(mem + i * PG, 1 + (int)(i % HALF % 3), i % HALF + gen); }

static void check_all(uint64_t gen_first)
{
	static unsigned char want[PG];

	for (size_t i = 0; i < 2 * HALF; i++) {
		t_fill_page(want, 1 + (int)(i % HALF % 3), i % HALF + (i < HALF ? gen_first : 0));
		if (memcmp(mem + i * PG, want, PG)) {
			fprintf(stderr, "page %zu reads wrong\n", i);
			exit(T_EXIT_FAIL);
		}
	}
}

static void run(const char *mode)
{
	char opts[128];

	snprintf(opts, sizeof(opts), "dedup=on,fault_mode=%s", mode);
	uswap_t *u = uswap_open(opts);
	T_ASSERT(u);
	T_ASSERT((mem = uswap_alloc(u, 2 * HALF * PG)));
	for (size_t i = 0; i < 2 * HALF; i++)
		fill(i, 0);
	T_ASSERT(!uswap_pageout(u, mem, 2 * HALF * PG));
	uint64_t shared = t_stat(u, "dedup_pages"), saved = t_stat(u, "dedup_saved_bytes");
	check_all(0);
	T_ASSERT(!uswap_pageout(u, mem, 2 * HALF * PG)); /* the faults took them out: again */
	for (size_t i = 0; i < HALF; i++)
		fill(i, 1000000);
	T_ASSERT(!uswap_pageout(u, mem, 2 * HALF * PG));
	uint64_t after = t_stat(u, "dedup_pages");
	check_all(1000000);
	printf("%s: %llu of %d repeated pages shared (%llu bytes saved); after the first half changed: %llu\n", mode,
	       (unsigned long long)shared, HALF, (unsigned long long)saved, (unsigned long long)after);
	T_ASSERT(shared >= HALF / 2); /* random pages that do not compress go to the file */
	T_ASSERT(saved > 0);
	T_ASSERT_EQ(after, 0);
	uswap_close(u);
}

int main(int argc, char **argv) { return t_run_fault_modes(argc, argv, run); }
