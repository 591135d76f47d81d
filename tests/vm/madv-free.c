/*
 * madv-free.c - MADV_FREE on a region (vm/event.c): its REMOVE event looks
 * like MADV_DONTNEED's, but the pages stay, and a write keeps them. After
 * the reclaim thread's second look, the pages written again after
 * MADV_FREE count as resident, and the page table agrees with the kernel
 * (T_VALIDATE), in both fault modes. Their bytes are the ones written.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"
#include "uswap.h"
#include "uswap_debug.h"

#define PAGES 2048
#define PG    4096

static void run(const char *mode)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "fault_mode=%s", mode);
	uswap_t *u = uswap_open(opts);
	T_ASSERT(u);
	unsigned char *p = uswap_alloc(u, PAGES * PG);
	T_ASSERT(p);
	memset(p, 1, PAGES * PG);
	T_ASSERT(madvise(p, PAGES / 2 * PG, MADV_FREE) == 0);
	memset(p, 2, PAGES / 2 * PG); /* written again: the kernel keeps them */
	uint64_t res = 0;
	for (int tries = 0; tries < 50; tries++) { /* the reclaim thread looks every 100 ms */
		usleep(100 * 1000);
		T_ASSERT(!uswap_stat(u, "resident_bytes", &res));
		if (res == (uint64_t)PAGES * PG)
			break;
	}
	printf("%s: resident_bytes %llu of %u pages\n", mode, (unsigned long long)res, PAGES);
	T_ASSERT_EQ(res, (uint64_t)PAGES * PG);
	T_VALIDATE(u, "after MADV_FREE");
	for (size_t i = 0; i < PAGES; i++)
		T_ASSERT(p[i * PG] == (i < PAGES / 2 ? 2 : 1) && p[i * PG + PG - 1] == (i < PAGES / 2 ? 2 : 1));
	uswap_close(u);
}

int main(int argc, char **argv)
{
	return t_run_fault_modes(argc, argv, run);
}
