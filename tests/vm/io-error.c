/*
 * io-error.c - I/O errors on the swap file through the public API, in both
 * fault modes (the error injected in the backing store, as a failing disk
 * would return it). A write that fails leaves its page where it was: it
 * reads right, and the error is counted. A read that fails loses that
 * one page: touching it raises SIGBUS (UFFDIO_POISON), never zeros or
 * stale bytes, and again on every later touch; every other page reads
 * right.
 */
#include <errno.h>
#include <stdbool.h>

#include "api_helpers.h"
#include "sigbus_pages.h"
#include "uswap.h"
#include "uswap_debug.h"

#define PAGES 256
#define PG    4096

static void run(const char *mode)
{
	char opts[128];
	struct sigaction old;

	t_catch_sigbus(&old);
	snprintf(opts, sizeof(opts), "fault_mode=%s,zswap=off,swapfile_size=16M", mode);
	uswap_t *u = t_open(opts);
	unsigned char *mem = uswap_alloc(u, PAGES * PG);
	T_ASSERT(mem);
	for (size_t i = 0; i < PAGES; i++)
		t_fill_page(mem + i * PG, 1 + (int)(i % 3), i);

	/* A failed write: the page stays, nothing is lost. */
	T_ASSERT(!uswap_debug_inject_io(u, 1, EIO, 3));
	T_ASSERT(!uswap_pageout(u, mem, PAGES * PG));
	uint64_t werr = t_stat(u, "io_errors"), out = t_stat(u, "pswpout");
	for (size_t i = 0; i < PAGES; i++)
		T_ASSERT(read_page(mem, i));
	T_ASSERT(werr >= 1);

	/* A failed read: that page is lost, loudly; the others read right. */
	T_ASSERT(!uswap_pageout(u, mem, PAGES * PG));
	T_ASSERT(!uswap_debug_inject_io(u, 0, EIO, 5));
	static int first[PAGES];
	sigbus_seen = 0;
	unsigned right = 0;
	for (size_t k = 0; k < PAGES; k++) { /* out of order: no readahead, each fault reads its own page */
		size_t i = k * 97 % PAGES;
		right += (unsigned)(first[i] = read_page(mem, i));
	}
	uint64_t poisoned = t_stat(u, "poisoned"), errors = t_stat(u, "io_errors");
	printf("%s: %llu pages written out, a write error (%llu errors so far); after a read error %u read right, "
	       "%d SIGBUS, %llu poisoned\n", mode, (unsigned long long)out, (unsigned long long)werr, right,
	       (int)sigbus_seen, (unsigned long long)poisoned);
	T_ASSERT(errors > werr); /* the read error happened */
	T_ASSERT_EQ(right + (unsigned)sigbus_seen, PAGES);
	T_ASSERT_EQ(sigbus_seen, 1);
	T_ASSERT_EQ(poisoned, (uint64_t)sigbus_seen);
	for (size_t i = 0; i < PAGES; i++) /* a lost page stays lost, the rest stay right */
		T_ASSERT_EQ(read_page(mem, i), first[i]);
	uswap_close(u);
	sigaction(SIGBUS, &old, NULL);
}

int main(int argc, char **argv)
{
	return t_run_fault_modes(argc, argv, run);
}
