/*
 * Description: swap readahead. On a buffered device, swapping entries in
 * in order gets them predicted (swap_ra, swap_ra_hit) once the worker has
 * run, windows grow, and random order reads almost nothing ahead; with
 * page_cluster 0 nothing is read ahead. On an O_DIRECT device windows go
 * into the swap cache: in-order swap-ins take them, entries freed with a
 * page in the cache release it (nothing stays claimed), and a slot
 * corrupted on disk fails its own swap-in with -EIO while its neighbours
 * come back intact. Every page is checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "helpers.h"
#include "swap/swap.h"

#define N 600

static _Alignas(4096) unsigned char page[4096], back[4096];
static swp_entry_t e[N];

static void out_all(struct swap_sys *s, int n, uint64_t seed)
{
	for (int i = 0; i < n; i++) {
		t_fill_page(page, 3, seed + (uint64_t)i);
		T_ASSERT_EQ(swap_out(s, page, NULL, 0, NULL, &e[i]), 0);
	}
}

/* Swap entry i in and check it; drain: let the worker finish first. */
static int in_one(struct swap_sys *s, int i, uint64_t seed, bool drain)
{
	enum swapin_from from;

	if (drain)
		swap_sys_ra_drain(s);
	int r = swap_in(s, e[i], back, NULL, NULL, &from);
	if (r)
		return r;
	t_fill_page(page, 3, seed + (uint64_t)i);
	T_ASSERT(!memcmp(page, back, 4096));
	swap_in_done(s, e[i], from, true);
	return 0;
}

static void buffered(void)
{
	struct swap_sys *s;
	struct swap_backing *b;
	struct swap_sys_stats st;
	char err[256];

	T_ASSERT_EQ(swap_sys_create(NULL, 1 << 16, &s), 0);
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.size = 2 * N * 4096}, &b, err, sizeof(err)), 0);
	T_ASSERT(swap_sys_swapon(s, b) >= 0);

	out_all(s, N, 1);
	for (int i = 0; i < N; i++)
		T_ASSERT_EQ(in_one(s, i, 1, true), 0);
	swap_sys_stats(s, &st);
	printf("in order: swap_ra %llu swap_ra_hit %llu\n", (unsigned long long)st.swap_ra,
	       (unsigned long long)st.swap_ra_hit);
	T_ASSERT(st.swap_ra_hit >= N - 10 && st.swap_ra_hit <= st.swap_ra);

	/* Random order: misses far apart read nothing ahead. */
	uint64_t ra0 = st.swap_ra;
	out_all(s, N, 2);
	int order[N];
	for (int i = 0; i < N; i++)
		order[i] = i;
	for (int i = N - 1; i > 0; i--) {
		int j = (int)(t_mix64((uint64_t)i) % (uint64_t)(i + 1)), t = order[i];
		order[i] = order[j], order[j] = t;
	}
	for (int i = 0; i < N; i++)
		T_ASSERT_EQ(in_one(s, order[i], 2, true), 0);
	swap_sys_stats(s, &st);
	printf("random: swap_ra +%llu\n", (unsigned long long)(st.swap_ra - ra0));
	T_ASSERT(st.swap_ra - ra0 < N / 10);

	/* page_cluster 0: off. */
	T_ASSERT_EQ(swap_sys_set_page_cluster(s, 9), -EINVAL);
	T_ASSERT_EQ(swap_sys_set_page_cluster(s, 0), 0);
	ra0 = st.swap_ra;
	out_all(s, N, 3);
	for (int i = 0; i < N; i++)
		T_ASSERT_EQ(in_one(s, i, 3, true), 0);
	swap_sys_stats(s, &st);
	T_ASSERT_EQ(st.swap_ra, ra0);
	T_ASSERT_EQ(st.inuse, 0);
	swap_sys_destroy(s);
	swap_backing_close(b);
}

static void direct(void)
{
	struct swap_sys *s;
	struct swap_backing *b;
	struct swap_sys_stats st;
	char err[256], dir[] = "/var/tmp/uswap-ra-XXXXXX", file[300];

	T_ASSERT(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/swap", dir);
	T_ASSERT_EQ(swap_sys_create(NULL, 1 << 16, &s), 0);
	int r = swap_backing_open(&(struct swap_backing_config){.path = file, .size = 2 * N * 4096, .direct = true}, &b,
				  err, sizeof(err));
	if (r) {
		printf("O_DIRECT not available in /var/tmp (%s): direct part not run\n", err);
		swap_sys_destroy(s);
		unlink(file);
		rmdir(dir);
		return;
	}
	T_ASSERT(swap_backing_is_direct(b));
	T_ASSERT(swap_sys_swapon(s, b) >= 0);

	/* In order, no draining: windows are read with the miss and ahead. */
	out_all(s, N, 4);
	for (int i = 0; i < N; i++)
		T_ASSERT_EQ(in_one(s, i, 4, false), 0);
	swap_sys_stats(s, &st);
	printf("direct, in order: swap_ra %llu swap_ra_hit %llu\n", (unsigned long long)st.swap_ra,
	       (unsigned long long)st.swap_ra_hit);
	T_ASSERT(st.swap_ra_hit > N / 2 && st.swap_ra_hit <= st.swap_ra);
	T_ASSERT_EQ(st.inuse, 0);

	/* Entries freed while their pages sit in the swap cache. */
	out_all(s, N, 5);
	for (int i = 0; i < 20; i++)
		T_ASSERT_EQ(in_one(s, i, 5, false), 0);
	for (int i = 20; i < N; i++)
		swap_sys_free(s, e[i]);
	swap_sys_ra_drain(s);
	swap_sys_stats(s, &st);
	T_ASSERT_EQ(st.inuse, 0);

	/* A corrupt slot: the first pages go out in slot order, so entry 7's
	 * page is the 8th slot handed out after the file emptied. Find it by
	 * content instead of guessing. */
	out_all(s, 16, 6);
	int fd = open(file, O_RDWR);
	T_ASSERT(fd >= 0);
	t_fill_page(page, 3, 6 + 7);
	off_t bad = -1;
	for (off_t off = 0; off < 2 * N * 4096 && bad < 0; off += 4096)
		if (pread(fd, back, 4096, off) == 4096 && !memcmp(back, page, 4096))
			bad = off;
	T_ASSERT(bad >= 0 && pwrite(fd, "garbage", 7, bad + 100) == 7);
	close(fd);
	for (int i = 0; i < 16; i++)
		T_ASSERT_EQ(in_one(s, i, 6, false), i == 7 ? -EIO : 0);
	swap_sys_free(s, e[7]);
	swap_sys_ra_drain(s);
	swap_sys_stats(s, &st);
	T_ASSERT(st.csum_errors >= 1);
	T_ASSERT_EQ(st.inuse, 0);
	swap_sys_destroy(s);
	swap_backing_close(b);
	unlink(file);
	rmdir(dir);
}

int main(void)
{
	buffered();
	direct();
	return T_EXIT_PASS;
}
