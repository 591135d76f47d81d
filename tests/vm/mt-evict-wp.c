/*
 * mt-evict-wp.c - eviction by write-protect and zap (evict=wp, the method
 * for kernels without UFFDIO_MOVE), in both fault modes.
 *
 * 1. evict=wp is what the statistics say (evict_wp 1, no written bits),
 *    and evict=auto picks MOVE where the kernel has it.
 * 2. Writes racing the protect-swap-zap window: two writers store
 *    increasing sequence numbers into every word they own of 256 pages
 *    (one writer per half of each page, so both hit every page), while a
 *    third thread evicts the pages in a loop and a fourth drops one page
 *    with MADV_DONTNEED now and then (its zap event must be told from the
 *    evictor's own). After every round each word holds the last number
 *    written to it, or zero for the dropped page's words written before
 *    the drop: a write lost in the window, a page swapped out before its
 *    last write, or a zap event taken for the program's shows here.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api_helpers.h"
#include "uswap.h"
#include "uswap_debug.h"

#define PAGES 256
#define WORDS (4096 / sizeof(uint64_t))

static unsigned char *mem;
static uswap_t *u;
static atomic_bool stop;

static void check_methods(const char *mode)
{
	char opts[128];

	snprintf(opts, sizeof(opts), "limit=8M,fault_mode=%s,evict=wp", mode);
	T_ASSERT((u = uswap_open(opts)) != NULL);
	T_ASSERT_EQ(t_stat(u, "evict_wp"), 1);
	T_ASSERT_EQ(t_stat(u, "written_bits"), 0);
	uswap_close(u);
	snprintf(opts, sizeof(opts), "limit=8M,fault_mode=%s,evict=move", mode);
	bool has_move = (u = uswap_open(opts)) != NULL;
	if (has_move) {
		T_ASSERT_EQ(t_stat(u, "evict_wp"), 0);
		uswap_close(u);
	} else {
		printf("SKIP: evict=move: %s\n", uswap_strerror());
	}
	snprintf(opts, sizeof(opts), "limit=8M,fault_mode=%s,evict=auto", mode);
	T_ASSERT((u = uswap_open(opts)) != NULL);
	T_ASSERT_EQ(t_stat(u, "evict_wp"), !has_move);
	uswap_close(u);
}

/* Writer half (0 or 1): word w of page p gets sequence numbers; the last
 * one written to each word is kept in last[]. */
struct writer {
	int half;
	uint64_t seq;
	uint64_t last[PAGES][WORDS / 2];
};

static uint64_t *word(int p, int half, unsigned w) { return (uint64_t *)(mem + p * 4096) + half * (WORDS / 2) + w; }

static void *write_loop(void *arg)
{
	struct writer *wr = arg;

	while (!atomic_load(&stop))
		for (int p = 0; p < PAGES; p++)
			for (unsigned w = 0; w < WORDS / 2; w += 61) {
				__atomic_store_n(word(p, wr->half, w), ++wr->seq, __ATOMIC_RELAXED);
				wr->last[p][w] = wr->seq;
			}
	return NULL;
}

static void *evict_loop(void *arg)
{
	long *rounds = arg;

	while (!atomic_load(&stop)) {
		T_ASSERT(uswap_pageout(u, mem, PAGES * 4096) == 0);
		(*rounds)++;
	}
	return NULL;
}

static void race(const char *mode, int round)
{
	static struct writer wr[2];
	pthread_t t[3];
	long rounds = 0;

	for (int h = 0; h < 2; h++)
		wr[h] = (struct writer){.half = h, .seq = (uint64_t)round << 40};
	atomic_store(&stop, false);
	T_ASSERT(!pthread_create(&t[0], NULL, write_loop, &wr[0]));
	T_ASSERT(!pthread_create(&t[1], NULL, write_loop, &wr[1]));
	T_ASSERT(!pthread_create(&t[2], NULL, evict_loop, &rounds));
	/* The dropper: the program's own zaps of page 0 racing the evictor's. */
	int drops = (int)(1000 * t_scale()) + 20; /* about 0.5 s a round */
	for (int k = 0; k < drops; k++) {
		usleep(500);
		T_ASSERT(!madvise(mem, 4096, MADV_DONTNEED));
	}
	atomic_store(&stop, true);
	for (int k = 0; k < 3; k++)
		pthread_join(t[k], NULL);
	for (int h = 0; h < 2; h++)
		for (int p = 1; p < PAGES; p++) /* page 0 was dropped under the writers: any value it had */
			for (unsigned w = 0; w < WORDS / 2; w += 61)
				if (*word(p, h, w) != wr[h].last[p][w]) {
					fprintf(stderr, "%s round %d: page %d word %u reads %#llx, last written %#llx\n", mode,
						round, p, h * (unsigned)(WORDS / 2) + w, (unsigned long long)*word(p, h, w),
						(unsigned long long)wr[h].last[p][w]);
					exit(T_EXIT_FAIL);
				}
	/* Page 0 dropped with nothing written after: zero. */
	T_ASSERT(!madvise(mem, 4096, MADV_DONTNEED));
	for (unsigned w = 0; w < WORDS; w++)
		T_ASSERT_EQ(((uint64_t *)mem)[w], 0);
	printf("%s round %d: %ld eviction rounds, every word right\n", mode, round, rounds);
}

static void run(const char *mode)
{
	char opts[128];

	check_methods(mode);
	snprintf(opts, sizeof(opts), "limit=8M,fault_mode=%s,evict=wp", mode);
	T_ASSERT((u = uswap_open(opts)) != NULL);
	T_ASSERT((mem = uswap_alloc(u, PAGES * 4096)) != NULL);
	for (int round = 1; round <= 3; round++)
		race(mode, round);
	T_VALIDATE(u, mode);
	printf("%s: %llu swap-outs, %llu major faults\n", mode, (unsigned long long)t_stat(u, "swapouts"),
	       (unsigned long long)t_stat(u, "major_faults"));
	T_ASSERT(t_stat(u, "swapouts") > 0);
	T_ASSERT(!uswap_free(u, mem));
	uswap_close(u);
}

int main(int argc, char **argv) { return t_run_fault_modes(argc, argv, run); }
