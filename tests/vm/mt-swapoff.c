/*
 * mt-swapoff.c - uswap_swapoff brings the swap file's pages back into
 * their regions (swap/'s unuse callback, src/vm/unuse.c), in both fault
 * modes, while a reader thread faults random pages in and checks them.
 *
 * 48 MiB (24 MiB at small test scales) of pages that compress poorly, under limit=16M with a small pool:
 * most go to the swap file. Then:
 * 1. under the same budget the pages have nowhere to go: -ENOSPC, the
 *    file stays, every page reads right;
 * 2. with the limit lifted every page comes back (unuse_to_memory counts
 *    those that went straight into their regions), nothing is left in the
 *    file, every page reads right, and a second call says there is no
 *    file;
 * 3. the instance goes on without a file: pages that compress still
 *    leave (into the pool) and come back right.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "api_helpers.h"
#include "uswap.h"
#include "uswap_debug.h"

static size_t REGION, PAGES; /* 48 MiB at scale 1 */
static unsigned char *mem;
static uswap_t *u;
static atomic_bool stop;

/* Page i's content: mostly random (poorly compressible), page-specific. */
static void fill(unsigned char *page, size_t i) { t_fill_page(page, i % 4 ? 3 : 1, i); }

static void check(size_t i, const char *when)
{
	static _Thread_local unsigned char want[4096];

	fill(want, i);
	if (memcmp(mem + i * 4096, want, 4096)) {
		fprintf(stderr, "%s: page %zu reads wrong\n", when, i);
		exit(T_EXIT_FAIL);
	}
}

static void check_all(const char *when)
{
	for (size_t i = 0; i < PAGES; i++)
		check(i, when);
}

static void *reader(void *arg)
{
	uint64_t seed = 42;
	long *reads = arg;

	while (!atomic_load(&stop)) {
		check(t_rand(&seed) % PAGES, "during swapoff");
		(*reads)++;
	}
	return NULL;
}

/* uswap_swapoff with the reader running; returns what it returned. */
static int swapoff_racing(long *reads)
{
	pthread_t t;

	atomic_store(&stop, false);
	T_ASSERT(!pthread_create(&t, NULL, reader, reads));
	int ret = uswap_swapoff(u);
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	return ret;
}

static void run(const char *mode)
{
	char opts[160];
	long reads = 0;

	PAGES = (size_t)(12288 * (t_scale() < 1 ? t_scale() : 1));
	PAGES = PAGES < 6144 ? 6144 : PAGES;
	REGION = PAGES * 4096;
	snprintf(opts, sizeof(opts), "limit=16M,max_pool_percent=10,fault_mode=%s", mode);
	T_ASSERT((u = uswap_open(opts)) != NULL);
	T_ASSERT((mem = uswap_alloc(u, REGION)) != NULL);
	for (size_t i = 0; i < PAGES; i++)
		fill(mem + i * 4096, i);
	T_ASSERT(!uswap_pageout(u, mem, REGION));
	uint64_t on_file = t_stat(u, "pswpout");
	T_ASSERT(on_file > PAGES / 2);

	/* 1. No room. */
	int ret = swapoff_racing(&reads);
	T_ASSERT_EQ(ret, -ENOSPC);
	T_ASSERT(strstr(uswap_strerror(), "no room"));
	check_all("after a refused swapoff");

	/* 2. Room. */
	T_ASSERT(!uswap_pageout(u, mem, REGION));
	T_ASSERT(!uswap_set_limit(u, 0));
	ret = swapoff_racing(&reads);
	if (ret) {
		fprintf(stderr, "%s: uswap_swapoff: %s\n", mode, uswap_strerror());
		exit(T_EXIT_FAIL);
	}
	uint64_t back = t_stat(u, "unuse_to_memory");
	T_ASSERT(back > 0);
	T_VALIDATE(u, mode);
	check_all("after swapoff");
	T_ASSERT_EQ(uswap_swapoff(u), -ENODEV);

	/* 3. No file: the pool alone. */
	uint64_t before = t_stat(u, "swapouts");
	T_ASSERT(!uswap_pageout(u, mem, 4ul << 20)); /* pages that do not compress stay */
	T_ASSERT(t_stat(u, "swapouts") > before);
	check_all("after swapoff and a pageout");
	printf("%s: %llu pages on the file; swapoff brought %llu straight into the region (%ld reads racing), "
	       "%llu swap-outs after\n", mode, (unsigned long long)on_file, (unsigned long long)back, reads,
	       (unsigned long long)t_stat(u, "swapouts"));
	T_ASSERT(!uswap_free(u, mem));
	uswap_close(u);
}

int main(int argc, char **argv) { return t_run_fault_modes(argc, argv, run); }
