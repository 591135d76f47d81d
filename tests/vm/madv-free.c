/*
 * madv-free.c - MADV_FREE on a region (vm/access.c), in both fault modes.
 * Its REMOVE event looks like MADV_DONTNEED's, but the kernel leaves the
 * pages in place and keeps those written again. Of 2048 resident pages,
 * the first 1024 are MADV_FREE'd and the first 512 of those written
 * again:
 *
 * - resident_bytes comes to exactly 1536 pages (the 512 written again are
 *   adopted, lazyfree_adopted counts them) and stays there: the 512 only
 *   MADV_FREE'd are not counted (their write before the madvise must not
 *   count: without the re-arm at the event, resident_bytes reaches 2048);
 * - the page tables agree with the kernel (T_VALIDATE);
 * - the adopted pages are evicted like any other and read back right; the
 *   pages written again hold their new bytes, the others their old ones
 *   or zero (the kernel may free those), never anything else;
 * - a second MADV_FREE + write cycle over evicted pages faults them in as
 *   usual (they were dropped by the event), still counted once.
 *
 * The program's madvise goes on as soon as uswap has read its event, and
 * uswap write-protects the range just after: a write that comes before
 * that cannot be told from one before the madvise, and the page stays
 * uncounted until it is written again (vm/access.c). So the test waits
 * until the event is applied (T_VALIDATE takes the event barrier) before
 * it writes.
 *
 * Reported as a skip where the kernel has no written bits (before 6.7):
 * then nothing is adopted (README).
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api_helpers.h"
#include "uswap_debug.h"

#define PAGES 2048u
#define PG    4096u

/* Poll resident_bytes (the reclaim thread looks every 100 ms) until it is
 * want pages, for up to 5 s; returns the last value, in pages. */
static uint64_t resident_becomes(uswap_t *u, uint64_t want)
{
	uint64_t pages = 0;

	for (int tries = 0; tries < 50; tries++) {
		pages = t_stat(u, "resident_bytes") / PG;
		if (pages == want)
			break;
		usleep(100 * 1000);
	}
	return pages;
}

static void fill(unsigned char *p, unsigned from, unsigned to, unsigned char c)
{
	for (unsigned i = from; i < to; i++)
		memset(p + (size_t)i * PG, c, PG);
}

/* Page i holds c throughout, or (old_or_zero) c or zeros. */
static void check(const unsigned char *p, unsigned from, unsigned to, unsigned char c, bool old_or_zero)
{
	for (unsigned i = from; i < to; i++) {
		const unsigned char *q = p + (size_t)i * PG;
		unsigned char first = q[0];
		T_ASSERT(first == c || (old_or_zero && first == 0));
		for (unsigned k = 1; k < PG; k++)
			if (q[k] != first) {
				fprintf(stderr, "page %u byte %u: %#x, page starts %#x\n", i, k, q[k], first);
				exit(T_EXIT_FAIL);
			}
	}
}

static void run(const char *mode)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "fault_mode=%s", mode);
	uswap_t *u = t_open(opts);
	if (!t_stat(u, "written_bits")) {
		printf("%s: SKIP: no written bits on this kernel (UFFD_FEATURE_WP_ASYNC, PAGEMAP_SCAN)\n", mode);
		uswap_close(u);
		exit(T_EXIT_SKIP);
	}
	unsigned char *p = uswap_alloc(u, (size_t)PAGES * PG);
	T_ASSERT(p);
	fill(p, 0, PAGES, 1);
	T_ASSERT_EQ(resident_becomes(u, PAGES), (uint64_t)PAGES); /* a handler counts after it wakes the writer */

	T_ASSERT(!madvise(p, PAGES / 2 * PG, MADV_FREE));
	T_VALIDATE(u, "after MADV_FREE"); /* also waits until uswap has applied the event (see the top) */
	fill(p, 0, PAGES / 4, 2); /* written again: the kernel keeps them */
	resident_becomes(u, PAGES / 4 * 3);
	usleep(300 * 1000); /* three more ticks: the unwritten ones must stay out */
	uint64_t res = t_stat(u, "resident_bytes") / PG;
	printf("%s: after MADV_FREE of %u pages and writing %u again: %llu resident pages, %llu adopted\n", mode,
	       PAGES / 2, PAGES / 4, (unsigned long long)res, (unsigned long long)t_stat(u, "lazyfree_adopted"));
	T_ASSERT_EQ(res, (uint64_t)PAGES / 4 * 3);
	T_ASSERT_EQ(t_stat(u, "lazyfree_adopted"), (uint64_t)PAGES / 4);
	T_VALIDATE(u, "after the writes");

	uint64_t outs = t_stat(u, "swapouts");
	T_ASSERT(uswap_pageout(u, p, (size_t)PAGES * PG) >= 0);
	printf("%s: pageout: %llu swap-outs, %llu resident pages left\n", mode,
	       (unsigned long long)(t_stat(u, "swapouts") - outs), (unsigned long long)t_stat(u, "resident_bytes") / PG);
	T_ASSERT(t_stat(u, "swapouts") - outs >= PAGES / 4 * 3);
	T_VALIDATE(u, "after pageout");
	check(p, 0, PAGES / 4, 2, false);
	check(p, PAGES / 4, PAGES / 2, 1, true);
	check(p, PAGES / 2, PAGES, 1, false);

	/* Again, over pages that were swapped out and read back in. */
	T_ASSERT(!madvise(p, PAGES / 2 * PG, MADV_FREE));
	T_VALIDATE(u, "after the second MADV_FREE");
	fill(p, 0, PAGES / 2, 3);
	T_ASSERT_EQ(resident_becomes(u, PAGES), (uint64_t)PAGES);
	T_VALIDATE(u, "after the second writes");
	check(p, 0, PAGES / 2, 3, false);
	check(p, PAGES / 2, PAGES, 1, false);
	uswap_close(u);
}

int main(int argc, char **argv)
{
	return t_run_fault_modes(argc, argv, run);
}
