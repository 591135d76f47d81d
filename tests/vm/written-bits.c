/*
 * written-bits.c - the clock sees which pages the program writes
 * (vm/access.c), in both fault modes. A hot set of 1 MiB is written again
 * after every few pages of a 128 MiB stream of cold pages written once,
 * under limit=8M. The hot pages never fault (they stay resident), so a
 * clock that sees only faults ages them out every few passes and they
 * come back as major faults; with written bits they stay. Cold pages are
 * not read again until the end, so major faults until then count the hot
 * set's evictions.
 *
 * Asserts: with policy=clock-faults (the ablation), more than twice as
 * many major faults as hot pages (the workload needs written bits to be
 * served well); with policy=clock, less than a third of that. Every page reads right at the
 * end. Reported as a skip where the kernel lacks UFFD_FEATURE_WP_ASYNC or
 * PAGEMAP_SCAN (before 6.7).
 */
#include "helpers.h"
#include "uswap.h"

#define LIMIT (8ull << 20)
#define HOT   256u
#define COLD  32768u
#define EVERY 8u /* cold pages between two writes of the hot set */

static uint64_t majors(const char *mode, const char *policy, int *bits)
{
	char opts[128];
	uint64_t v, wb;

	snprintf(opts, sizeof(opts), "limit=%llu,fault_mode=%s,policy=%s", LIMIT, mode, policy);
	uswap_t *u = uswap_open(opts);
	T_ASSERT(u);
	unsigned char *m = uswap_alloc(u, (size_t)(HOT + COLD) * 4096);
	T_ASSERT(m);
	uint64_t *hot = (uint64_t *)m, round = 0;
	for (unsigned c = 0; c < COLD; c++) {
		*(uint64_t *)(m + (size_t)(HOT + c) * 4096) = t_mix64(c);
		if (c % EVERY)
			continue;
		round++;
		for (unsigned h = 0; h < HOT; h++)
			hot[h * 512] = round * HOT + h;
	}
	T_ASSERT(!uswap_stat(u, "major_faults", &v)); /* before the check reads the cold pages back */
	for (unsigned h = 0; h < HOT; h++)
		T_ASSERT_EQ(hot[h * 512], round * HOT + h);
	for (unsigned c = 0; c < COLD; c++)
		T_ASSERT_EQ(*(uint64_t *)(m + (size_t)(HOT + c) * 4096), t_mix64(c));
	T_ASSERT(!uswap_stat(u, "written_bits", &wb));
	uint64_t refs = 0;
	T_ASSERT(!uswap_stat(u, "written_refs", &refs));
	printf("%s, policy=%s: %llu major faults for %u hot pages (written_bits %llu, written_refs %llu)\n", mode,
	       policy, (unsigned long long)v, HOT, (unsigned long long)wb, (unsigned long long)refs);
	*bits = (int)wb;
	uswap_close(u);
	return v;
}

static void run(const char *mode)
{
	int bits, none;
	uint64_t with = majors(mode, "clock", &bits), without = majors(mode, "clock-faults", &none);

	T_ASSERT(!none);
	if (!bits) {
		printf("SKIP: %s: this kernel gives no written bits (UFFD_FEATURE_WP_ASYNC, PAGEMAP_SCAN)\n", mode);
		return;
	}
	T_ASSERT(without > 2 * HOT);
	T_ASSERT(with * 3 < without);
}

int main(int argc, char **argv) { return t_run_fault_modes(argc, argv, run); }
