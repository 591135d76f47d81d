/*
 * corrupt-swapfile.c - corrupt backing data through the public API, in
 * both fault modes: pages go to a named swap file (zswap=off), the file is
 * overwritten behind uswap's back, then every page is read. A page whose
 * copy fails its checksum must raise SIGBUS (UFFDIO_POISON), never read as
 * zeros or as the garbage; pages still resident read right; the program's
 * own SIGBUS handler gets the signal; the poisoned statistic counts them.
 * Then the same with a swap file that is intact: every page reads right.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "api_helpers.h"
#include "sigbus_pages.h"
#include "uswap.h"

#define PAGES 256
#define PG    4096

static void run(const char *mode, bool corrupt)
{
	char path[] = "/var/tmp/uswap-corrupt-XXXXXX", opts[256];
	int fd = mkstemp(path);
	T_ASSERT(fd >= 0);
	struct sigaction old;
	t_catch_sigbus(&old);
	snprintf(opts, sizeof(opts), "fault_mode=%s,zswap=off,swapfile=%s,swapfile_size=16M", mode, path);
	uswap_t *u = t_open(opts);
	unsigned char *mem = uswap_alloc(u, PAGES * PG);
	T_ASSERT(mem);
	for (size_t i = 0; i < PAGES; i++) /* text, binary, random: no same-filled page */
		t_fill_page(mem + i * PG, 1 + (int)(i % 3), i);
	T_ASSERT(!uswap_pageout(u, mem, PAGES / 2 * PG)); /* the first half goes to the file */
	uint64_t out = 0;
	T_ASSERT(!uswap_stat(u, "pswpout", &out));
	T_ASSERT(out >= PAGES / 4);
	if (corrupt) {
		static unsigned char junk[1 << 16];
		for (size_t k = 0; k < sizeof(junk); k++)
			junk[k] = (unsigned char)t_mix64(k);
		for (off_t off = 0; off < 16 << 20; off += sizeof(junk))
			T_ASSERT(pwrite(fd, junk, sizeof(junk), off) == (ssize_t)sizeof(junk));
	}
	static int first[PAGES];
	sigbus_seen = 0;
	unsigned right = 0;
	for (size_t i = 0; i < PAGES; i++)
		right += (unsigned)(first[i] = read_page(mem, i));
	uint64_t poisoned = 0;
	T_ASSERT(!uswap_stat(u, "poisoned", &poisoned));
	printf("%s, %s file: %llu pages written out, %u read right, %d SIGBUS, %llu poisoned\n", mode,
	       corrupt ? "corrupted" : "intact", (unsigned long long)out, right, (int)sigbus_seen,
	       (unsigned long long)poisoned);
	T_ASSERT_EQ(right + (unsigned)sigbus_seen, PAGES);
	T_ASSERT(right >= PAGES / 2); /* the resident half */
	if (corrupt) {
		T_ASSERT(sigbus_seen > 0);
		T_ASSERT_EQ(poisoned, (uint64_t)sigbus_seen);
		for (size_t i = 0; i < PAGES; i++) /* a poisoned page stays poisoned, the rest stay right */
			T_ASSERT_EQ(read_page(mem, i), first[i]);
	} else {
		T_ASSERT_EQ(sigbus_seen, 0);
	}
	uswap_close(u);
	sigaction(SIGBUS, &old, NULL);
	close(fd);
	unlink(path);
}

static void both(const char *mode)
{
	run(mode, false);
	run(mode, true);
}

int main(int argc, char **argv)
{
	return t_run_fault_modes(argc, argv, both);
}
