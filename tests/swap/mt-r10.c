/*
 * Description: races R10 and R1 (design-digest 3): swapoff during a
 * swap-in storm, with zswap writing back to the devices at the same time.
 * A region of pages is swapped out (to zswap, whose small pool makes its
 * worker and a shrinking thread write entries back to two devices) and
 * faulted back by several threads, while a control thread keeps turning
 * the higher-priority device off (every page brought back first) and on
 * again. No use-after-free of a device (ASan), every install carries the
 * page's latest version, and every swapoff that succeeds leaves nothing
 * on the device.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "helpers.h"
#include "swap/swap.h"

#define PAGES 256
#define FAULTERS 2

static struct swap_sys *sys;
static struct zswap *zs;
static struct swap_backing *dev_a, *dev_b;
static mutex_t lock[PAGES];
static _Atomic uint64_t pte[PAGES];
static uint64_t version[PAGES];
static unsigned char mem[PAGES][4096];
static _Atomic int running = 1;
static _Atomic long swapoffs, installs, outs;

static void stamp(unsigned char *p, unsigned i, uint64_t v)
{
	t_fill_page(p, 1 + (int)(v % 2), i * 7919ull + v);
	memcpy(p, &v, 8);
}

static void fault_in(unsigned i, bool must)
{
	unsigned char page[4096];
	enum swapin_from from;
	swp_entry_t e = {atomic_load(&pte[i])};

	if (!e.val)
		return;
	int r = swap_in(sys, e, page, NULL, NULL, &from);
	if (r == -ENOENT && !must)
		return;
	T_ASSERT_EQ(r, 0);
	mutex_lock(&lock[i]);
	bool ok = atomic_load(&pte[i]) == e.val;
	if (ok) {
		uint64_t v;
		memcpy(&v, page, 8);
		T_ASSERT(v == version[i]);
		memcpy(mem[i], page, 4096);
		atomic_store(&pte[i], 0);
		atomic_fetch_add(&installs, 1);
	}
	swap_in_done(sys, e, from, ok);
	mutex_unlock(&lock[i]);
}

static void *faulter(void *arg)
{
	uint64_t s = (uintptr_t)arg + 1;

	while (atomic_load(&running))
		fault_in((unsigned)(t_rand(&s) % PAGES), false);
	return NULL;
}

static void *evictor(void *arg)
{
	uint64_t s = 5;

	while (atomic_load(&running)) {
		unsigned i = (unsigned)(t_rand(&s) % PAGES);
		mutex_lock(&lock[i]);
		if (!atomic_load(&pte[i])) {
			stamp(mem[i], i, ++version[i]);
			swp_entry_t e;
			if (swap_out(sys, mem[i], NULL, 0, NULL, &e) == 0) {
				atomic_store(&pte[i], e.val);
				atomic_fetch_add(&outs, 1);
			}
		}
		mutex_unlock(&lock[i]);
	}
	return NULL;
}

static void *shrinker(void *arg)
{
	while (atomic_load(&running))
		zswap_shrink(zs, 16, NULL);
	return NULL;
}

int main(void)
{
	char err[256];
	pthread_t f[FAULTERS], ev, sh;
	long rounds = (long)(40 * t_scale()) + 5;

	/* A 256 KiB pool: most pages end up written back to the devices. */
	struct zswap_config zc = {.budget = 1 << 20, .max_pool_percent = 25};
	T_ASSERT_EQ(zswap_create(&zc, &zs, err, sizeof(err)), 0);
	T_ASSERT_EQ(swap_sys_create(zs, 4096, &sys), 0);
	/* dev_a, the one turned off and on, is O_DIRECT where the filesystem
	 * allows: its swap-ins read ahead into the swap cache. */
	if (swap_backing_open(&(struct swap_backing_config){.size = 512 * 4096, .priority = 10, .direct = true}, &dev_a,
			      err, sizeof(err))) {
		printf("SKIP: O_DIRECT dev_a: no O_DIRECT here (%s); dev_a is buffered\n", err);
		T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.size = 512 * 4096, .priority = 10}, &dev_a,
					      err, sizeof(err)), 0);
	}
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.size = 2048 * 4096, .priority = 1}, &dev_b, err, sizeof(err)), 0);
	T_ASSERT(swap_sys_swapon(sys, dev_a) >= 0 && swap_sys_swapon(sys, dev_b) >= 0);
	for (unsigned i = 0; i < PAGES; i++) {
		mutex_init(&lock[i]);
		stamp(mem[i], i, 0);
	}
	for (uintptr_t t = 0; t < FAULTERS; t++)
		pthread_create(&f[t], NULL, faulter, (void *)t);
	pthread_create(&ev, NULL, evictor, NULL);
	pthread_create(&sh, NULL, shrinker, NULL);
	for (long k = 0; k < rounds; k++) {
		usleep(5000);
		int r = swap_sys_swapoff(sys, dev_a);
		T_ASSERT(r == 0 || r == -ENOSPC);
		if (r == 0) {
			T_ASSERT_EQ(swap_backing_inuse(dev_a), 0);
			atomic_fetch_add(&swapoffs, 1);
			usleep(2000);
			T_ASSERT(swap_sys_swapon(sys, dev_a) >= 0);
		}
	}
	atomic_store(&running, 0);
	pthread_join(ev, NULL);
	pthread_join(sh, NULL);
	for (int t = 0; t < FAULTERS; t++)
		pthread_join(f[t], NULL);
	/* R1 made certain: swap everything out, write zswap back, swapoff. The
	 * storm left the pool "full" (hysteresis): writeback and compaction
	 * bring it under the threshold so stores are accepted again (empty
	 * zspages still queued for freeing no longer make it look full). */
	zswap_shrink(zs, 100000, NULL);
	zswap_compact(zs);
	for (unsigned i = 0; i < PAGES; i++)
		fault_in(i, true); /* all resident: all go out below */
	struct zswap_stats z0, za;
	zswap_stats(zs, &z0);
	for (unsigned i = 0; i < PAGES; i++) {
		swp_entry_t e;
		if (!atomic_load(&pte[i]) && swap_out(sys, mem[i], NULL, 0, NULL, &e) == 0)
			atomic_store(&pte[i], e.val);
	}
	zswap_shrink(zs, 100000, NULL);
	zswap_shrink(zs, 100000, NULL);
	zswap_stats(zs, &za);
	/* Counted from before the swap-out: zswap's worker starts writing back
	 * as soon as the pool fills, so a snapshot taken after it may find the
	 * pool nearly empty already. */
	long stored = (long)(za.zswpout - z0.zswpout), wb = (long)(za.written_back_pages - z0.written_back_pages);
	printf("final: %ld pages stored in zswap, %ld written back\n", stored, wb);
	T_ASSERT(stored > 0 && wb > 0);
	int r = swap_sys_swapoff(sys, dev_a);
	T_ASSERT(r == 0 || r == -ENOSPC);
	for (unsigned i = 0; i < PAGES; i++) {
		fault_in(i, true);
		uint64_t v;
		memcpy(&v, mem[i], 8);
		T_ASSERT(v == version[i]);
	}
	struct swap_sys_stats st;
	struct zswap_stats zst;
	swap_sys_stats(sys, &st);
	zswap_stats(zs, &zst);
	printf("%ld swapoffs, %ld swap-outs, %ld installs, %llu written back, pswpout %llu, pswpin %llu\n",
	       atomic_load(&swapoffs), atomic_load(&outs), atomic_load(&installs),
	       (unsigned long long)zst.written_back_pages, (unsigned long long)st.pswpout,
	       (unsigned long long)st.pswpin);
	T_ASSERT(atomic_load(&swapoffs) > 0);
	if (r == 0)
		swap_sys_swapon(sys, dev_a); /* back on so destroy sees both */
	T_ASSERT_EQ(st.inuse, 0);
	zswap_destroy(zs);
	swap_sys_destroy(sys);
	swap_backing_close(dev_a);
	swap_backing_close(dev_b);
	return T_EXIT_PASS;
}
