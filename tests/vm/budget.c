/*
 * budget.c - the budget holds and the accounting tells the truth: a
 * streaming write of 4x limit (both fault modes); after every MiB the
 * region's Rss from /proc/self/smaps plus pool_total_size must stay
 * within limit + 5%, and resident_bytes must agree with the Rss within
 * 1% once writes stop and the reclaim thread is done. The data reads back right afterwards.
 */
#include <inttypes.h>
#include <unistd.h>

#include "helpers.h"
#include "uswap.h"

#define LIMIT (16ull << 20)
#define SIZE  (4 * LIMIT)

/* Rss in bytes of the mapping that starts at start, from smaps. */
static uint64_t smaps_rss(void *start)
{
	char line[256], want[32];
	uint64_t rss = UINT64_MAX;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	T_ASSERT(f);
	snprintf(want, sizeof(want), "%" PRIxPTR "-", (uintptr_t)start);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') && strchr(line, '-') < strchr(line, ' '))
			in = !strncmp(line, want, strlen(want));
		unsigned long long kb;
		if (in && sscanf(line, "Rss: %llu kB", &kb) == 1) {
			rss = kb * 1024;
			break;
		}
	}
	fclose(f);
	T_ASSERT(rss != UINT64_MAX);
	return rss;
}

static void run(const char *mode)
{
	char opts[96];
	uint64_t pool, res, worst = 0;

	snprintf(opts, sizeof(opts), "limit=%llu,fault_mode=%s", LIMIT, mode);
	uswap_t *u = uswap_open(opts);
	T_ASSERT(u);
	unsigned char *m = uswap_alloc(u, SIZE);
	T_ASSERT(m);
	for (uint64_t off = 0; off < SIZE; off += 4096) {
		for (unsigned k = 0; k < 4096; k += 512)
			*(uint64_t *)(m + off + k) = t_mix64(off + k) & 0xffff; /* compresses 2-3x */
		if ((off + 4096) % (1 << 20))
			continue;
		T_ASSERT(!uswap_stat(u, "pool_total_size", &pool));
		uint64_t used = smaps_rss(m) + pool;
		worst = used > worst ? used : worst;
		if (used > LIMIT + LIMIT / 20) {
			fprintf(stderr, "%s: at %llu MiB, Rss + pool = %llu > limit + 5%%\n", mode,
				(unsigned long long)(off >> 20), (unsigned long long)used);
			exit(T_EXIT_FAIL);
		}
	}
	/* Compare once the reclaim thread has finished: a batch it evicts
	 * between the two reads would show as a difference. */
	uint64_t before, after = 0;
	do {
		before = after;
		usleep(20000);
		T_ASSERT(!uswap_stat(u, "swapouts", &after));
	} while (after != before);
	uint64_t rss = smaps_rss(m);
	T_ASSERT(!uswap_stat(u, "resident_bytes", &res));
	printf("%s: streamed %llu MiB under %llu MiB: worst Rss + pool %.1f MiB; resident_bytes %llu, smaps Rss %llu\n",
	       mode, SIZE >> 20, LIMIT >> 20, worst / 1048576.0, (unsigned long long)res, (unsigned long long)rss);
	T_ASSERT(res <= rss + rss / 100 && rss <= res + res / 100);
	for (uint64_t off = 0; off < SIZE; off += 4096)
		for (unsigned k = 0; k < 4096; k += 512)
			T_ASSERT(*(uint64_t *)(m + off + k) == (t_mix64(off + k) & 0xffff));
	uswap_close(u);
}

int main(void)
{
	run("handler");
	run("sigbus");
	return 0;
}
