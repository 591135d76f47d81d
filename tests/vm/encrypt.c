/*
 * encrypt.c - encryption at rest through the public API, in both fault
 * modes. Pages carrying a marker string go to a named swap file
 * (zswap=off) and come back:
 * 1. encrypt=off: the marker is in the file (the control: the search
 *    works); encrypt=on: it is not, and every page reads right.
 * 2. encrypt=on, one bit of one slot flipped behind uswap's back: exactly
 *    one page raises SIGBUS (poisoned, counted as checksum errors), every
 *    other page reads right.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "api_helpers.h"
#include "sigbus_pages.h"
#include "uswap.h"

#define PAGES  64
#define MARKER "uswap-api-marker:keep-me-secret"

static void fill(unsigned char *p, size_t i)
{
	t_fill_page(p, 1 + (int)(i % 3), i);
	memcpy(p + 100, MARKER, sizeof(MARKER) - 1);
}

/* Page i: 1 right, 0 SIGBUS; a wrong page fails the test. */
static int page_right(const unsigned char *mem, size_t i)
{
	static unsigned char want[T_PG], got[T_PG];

	if (sigsetjmp(t_jump, 1))
		return 0;
	memcpy(got, mem + i * T_PG, T_PG);
	fill(want, i);
	if (memcmp(got, want, T_PG)) {
		fprintf(stderr, "page %zu reads wrong\n", i);
		exit(T_EXIT_FAIL);
	}
	return 1;
}

static bool file_has_marker(int fd)
{
	static unsigned char all[PAGES * T_PG];
	ssize_t n = pread(fd, all, sizeof(all), 0);

	T_ASSERT(n == (ssize_t)sizeof(all));
	return memmem(all, sizeof(all), MARKER, sizeof(MARKER) - 1) != NULL;
}

static void round_(const char *mode, bool encrypt, bool flip)
{
	char path[] = "/var/tmp/uswap-encrypt-XXXXXX", opts[256];
	int fd = mkstemp(path);
	T_ASSERT(fd >= 0);
	struct sigaction old;
	t_catch_sigbus(&old);
	snprintf(opts, sizeof(opts), "fault_mode=%s,zswap=off,swapfile=%s,swapfile_size=1M,encrypt=%s", mode, path,
		 encrypt ? "on" : "off");
	uswap_t *u = t_open(opts);
	unsigned char *mem = uswap_alloc(u, PAGES * T_PG);
	T_ASSERT(mem);
	for (size_t i = 0; i < PAGES; i++)
		fill(mem + i * T_PG, i);
	T_ASSERT(!uswap_pageout(u, mem, PAGES * T_PG));
	T_ASSERT_EQ(t_stat(u, "pswpout"), PAGES);
	bool leaked = file_has_marker(fd);
	if (flip) {
		unsigned char byte;
		T_ASSERT(pread(fd, &byte, 1, 5 * T_PG + 777) == 1);
		byte ^= 0x04;
		T_ASSERT(pwrite(fd, &byte, 1, 5 * T_PG + 777) == 1);
	}
	sigbus_seen = 0;
	unsigned right = 0;
	for (size_t i = 0; i < PAGES; i++)
		right += (unsigned)page_right(mem, i);
	printf("%s, encrypt=%s%s: marker %s in the swap file; %u pages read right, %d SIGBUS, %llu checksum errors\n",
	       mode, encrypt ? "on" : "off", flip ? ", a bit flipped" : "", leaked ? "found" : "not found", right,
	       (int)sigbus_seen, (unsigned long long)t_stat(u, "csum_errors"));
	T_ASSERT_EQ(leaked, !encrypt);
	T_ASSERT_EQ(right, PAGES - flip);
	T_ASSERT_EQ(sigbus_seen, flip);
	T_ASSERT_EQ(t_stat(u, "poisoned"), flip);
	/* a failed readahead of the page counts too, before its own fault */
	T_ASSERT_EQ(t_stat(u, "csum_errors") > 0, flip);
	uswap_close(u);
	sigaction(SIGBUS, &old, NULL);
	close(fd);
	unlink(path);
}

static void run(const char *mode)
{
	round_(mode, false, false);
	round_(mode, true, false);
	round_(mode, true, true);
}

int main(int argc, char **argv) { return t_run_fault_modes(argc, argv, run); }
