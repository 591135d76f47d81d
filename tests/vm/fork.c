/*
 * fork.c - a region's pages across fork() (vm/fork.c, the internal API of
 * uswap_internal.h that `uswap run` uses): with half of a 32 MiB region
 * evicted (some of it to the swap file), the parent freezes (every page
 * comes back, none leaves), forks and thaws; the child forgets the
 * parent's instance, adopts its copy of the region in an instance of its
 * own, and finds every page, also after writing, evicting and faulting
 * them again under its own budget. The parent's pages are right afterwards too.
 * Also mlock's pin (vm/pin.c): pinned pages survive uswap_pageout.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "uswap.h"
#include "uswap_debug.h"
#include "uswap_internal.h"

#define MIB 32
#define NPAGES (MIB * 256)

static void fill(unsigned char *p)
{
	for (size_t i = 0; i < NPAGES; i++)
		t_fill_page(p + i * 4096, 1, i); /* text: compressible */
}

static long bad_pages(const unsigned char *p)
{
	static unsigned char want[4096];
	long bad = 0;

	for (size_t i = 0; i < NPAGES; i++) {
		t_fill_page(want, 1, i);
		bad += memcmp(p + i * 4096, want, 4096) != 0;
	}
	return bad;
}

static int child(uswap_t *parent, unsigned char *p)
{
	uswap_forget(parent);
	uswap_t *u = uswap_open("limit=8M,max_pool_percent=1");
	if (!u || uswap_adopt(u, p, MIB << 20, MIB << 20)) {
		fprintf(stderr, "child: %s\n", uswap_strerror());
		return 1;
	}
	T_VALIDATE(u, "child after adopt");
	long bad = bad_pages(p);
	fill(p); /* the same bytes: the child's own copies now (pages shared with the parent cannot move) */
	uswap_pageout(u, p, MIB << 20);
	bad += bad_pages(p);
	uint64_t outs = 0;
	uswap_stat(u, "swapouts", &outs);
	fprintf(stderr, "child: %ld bad pages, %llu swapouts of its own\n", bad, (unsigned long long)outs);
	return bad || !outs;
}

int main(void)
{
	uswap_t *u = uswap_open("limit=16M,max_pool_percent=1");
	if (!u) {
		fprintf(stderr, "SKIP: %s\n", uswap_strerror());
		return T_EXIT_SKIP;
	}
	unsigned char *p = uswap_alloc(u, MIB << 20);
	T_ASSERT(p);
	fill(p);
	T_ASSERT(uswap_pageout(u, p, (MIB / 2) << 20) == 0);

	/* mlock's pin: the first 64 pages stay through a pageout. */
	T_ASSERT(uswap_pin(u, p, 64 * 4096, 1) == 64);
	T_ASSERT(uswap_pageout(u, p, 64 * 4096) == 0);
	unsigned char vec[64];
	T_ASSERT(mincore(p, 64 * 4096, vec) == 0);
	for (int i = 0; i < 64; i++)
		T_ASSERT(vec[i] & 1);
	T_ASSERT(uswap_pin(u, p, 64 * 4096, 0) == 64);

	uint64_t back = uswap_freeze(u);
	T_ASSERT(back > 0);
	T_VALIDATE(u, "parent after freeze");
	pid_t pid = fork();
	T_ASSERT(pid >= 0);
	if (pid == 0)
		_exit(child(u, p));
	uswap_thaw(u);
	int status;
	T_ASSERT(waitpid(pid, &status, 0) == pid);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	T_ASSERT_EQ(bad_pages(p), 0);
	T_VALIDATE(u, "parent after the child");
	uswap_close(u);
	return T_EXIT_PASS;
}
