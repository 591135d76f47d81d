/*
 * Description: zswap's limits, with the real shrink worker. With a small
 * budget, stores hit max_pool_percent (pool_limit_hit), are refused while
 * the pool is "full" (hysteresis down to accept_threshold_percent), and the
 * worker writes the coldest entries back to the toy disk until the pool is
 * under the threshold, after which stores are accepted again; every page
 * reads back from wherever it went. (After further stores the pool may
 * legitimately sit anywhere between the threshold and the limit.) A group with a max refuses stores over
 * it (after trying to write its own entries back); a group with writeback
 * off keeps incompressible pages raw (stored_incompressible_pages), while
 * with writeback on they are rejected (reject_compress_poor), and the
 * shrinker never writes a writeback-off group's entries.
 */
#include <errno.h>
#include <unistd.h>

#include "toyswap.h"

#define SLOTS 6000

static struct toy toy;

static void put(struct zswap *z, unsigned s, struct zswap_group *g, int flavour)
{
	unsigned char page[4096];

	toy_lock(&toy, s);
	toy.ver[s]++;
	if (flavour == 3)
		t_fill_page(page, 3, s * 7 + toy.ver[s]);
	else
		toy_content(page, s, toy.ver[s] * 2); /* even: never same-filled */
	if (zswap_store(z, swp_entry(0, s), page, g) == 0) {
		toy.where[s] = AT_ZSWAP;
	} else {
		memcpy(toy_page(toy.disk, s), page, 4096);
		toy.where[s] = AT_DISK;
	}
	memcpy(toy_page(toy.mem, s), page, 4096); /* the truth, for checking */
	toy_unlock(&toy, s);
}

static void check(struct zswap *z, unsigned s)
{
	unsigned char page[4096];

	toy_lock(&toy, s);
	if (toy.where[s] == AT_ZSWAP) {
		T_ASSERT_EQ(zswap_load(z, swp_entry(0, s), page), 0);
	} else {
		T_ASSERT(toy.where[s] == AT_DISK);
		memcpy(page, toy_page(toy.disk, s), 4096);
	}
	T_ASSERT(!memcmp(page, toy_page(toy.mem, s), 4096));
	toy_unlock(&toy, s);
}

/* Until the shrink worker has the pool under the 50% accept threshold. No
 * deadline: a worker that never gets there is a hang, which the test
 * runner's timeout reports; a slow machine only takes longer. */
static void wait_under_threshold(struct zswap *z)
{
	while (zswap_over_limit(z, 50))
		usleep(10000);
}

static void pool_limit(void)
{
	struct zswap *z;
	struct zswap_stats st;
	char err[256];
	/* max = 8 MiB; accept below 50% of it */
	struct zswap_config cfg = {.budget = 16 << 20, .max_pool_percent = 50, .accept_threshold_percent = 50};

	T_ASSERT_EQ(zswap_create(&cfg, &z, err, sizeof(err)), 0);
	toy_init(&toy, z, SLOTS);
	unsigned s = 0;
	/* Fill until the first refusal at the limit... */
	for (; s < SLOTS; s++) {
		put(z, s, NULL, 1);
		zswap_stats(z, &st);
		if (st.pool_limit_hit)
			break;
	}
	/* The store that crossed the limit was accepted (the check comes first,
	 * as in the kernel): at most one zspage (8 pages) over. */
	printf("first refusal: pool %llu of %llu bytes\n", (unsigned long long)st.pool_total_size,
	       (unsigned long long)zswap_max_pool_bytes(z));
	T_ASSERT(st.pool_limit_hit == 1 && st.pool_total_size <= zswap_max_pool_bytes(z) + 8 * 4096);
	/* ... then the worker, woken by it, writes back until the pool is under
	 * the accept threshold (nothing else stores meanwhile). */
	wait_under_threshold(z);
	zswap_stats(z, &st);
	T_ASSERT(st.written_back_pages > 0);
	/* The rest: the pool cycles between the threshold and the limit. */
	for (s++; s < SLOTS; s++)
		put(z, s, NULL, 1);
	zswap_stats(z, &st);
	printf("limit: %llu stored, pool %.1f of %.1f MiB, %llu limit hits, %llu written back\n",
	       (unsigned long long)st.stored_pages, st.pool_total_size / 1048576.0,
	       zswap_max_pool_bytes(z) / 1048576.0, (unsigned long long)st.pool_limit_hit,
	       (unsigned long long)st.written_back_pages);
	T_ASSERT(st.pool_total_size <= zswap_max_pool_bytes(z) + 8 * 4096);
	/* ... and then stores are accepted again (once the worker woken by a
	 * refusal has the pool under the threshold). */
	unsigned char page[4096];
	toy_content(page, 1, 2);
	toy_lock(&toy, 1);
	int r;
	while ((r = zswap_store(z, swp_entry(0, 1), page, NULL)) == -ENOSPC)
		usleep(10000); /* the last put hit the limit: the worker it woke is still at it */
	T_ASSERT_EQ(r, 0);
	toy.where[1] = AT_ZSWAP;
	memcpy(toy_page(toy.mem, 1), page, 4096);
	toy_unlock(&toy, 1);
	for (unsigned k = 0; k < SLOTS; k++)
		check(z, k);
	zswap_destroy(z);
	toy_free(&toy);
}

static void groups(void)
{
	struct zswap *z;
	struct zswap_stats st;
	char err[256];

	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.no_shrink_worker = true}, &z, err, sizeof(err)), 0);
	toy_init(&toy, z, SLOTS);
	struct zswap_group *small = zswap_group_create(z, "small", 64 * 1024, false);
	struct zswap_group *nowb = zswap_group_create(z, "nowb", 0, false);
	struct zswap_group *wb = zswap_group_create(z, "wb", 0, true);
	for (unsigned s = 0; s < 200; s++)
		put(z, s, small, 1);
	zswap_stats(z, &st);
	T_ASSERT(st.reject_group_limit > 0);
	T_ASSERT(zswap_group_bytes(small) >= 64 * 1024 && zswap_group_bytes(small) < 64 * 1024 + 4096);
	for (unsigned s = 200; s < 220; s++)
		put(z, s, nowb, 3); /* random: kept raw */
	for (unsigned s = 220; s < 240; s++)
		put(z, s, wb, 3); /* random: rejected, to disk */
	zswap_stats(z, &st);
	T_ASSERT_EQ(st.stored_incompressible_pages, 20);
	T_ASSERT_EQ(st.reject_compress_poor, 20);
	for (unsigned s = 240; s < 400; s++)
		put(z, s, wb, 1);
	zswap_shrink(z, 100000, NULL);
	zswap_shrink(z, 100000, NULL);
	for (unsigned s = 0; s < 400; s++) {
		if (s < 240) /* writeback off: never written */
			T_ASSERT(toy.where[s] == AT_ZSWAP || (s < 200 && toy.where[s] == AT_DISK) || s >= 220);
		check(z, s);
	}
	zswap_stats(z, &st);
	printf("groups: %llu over the group max, %llu kept raw, %llu rejected as poor, %llu written back\n",
	       (unsigned long long)st.reject_group_limit, (unsigned long long)st.stored_incompressible_pages,
	       (unsigned long long)st.reject_compress_poor, (unsigned long long)st.written_back_pages);
	T_ASSERT_EQ(st.written_back_pages, 160); /* exactly the writeback group's compressed pages */
	for (unsigned s = 0; s < 400; s++)
		zswap_invalidate(z, swp_entry(0, s));
	T_ASSERT_EQ(zswap_group_bytes(small) + zswap_group_bytes(nowb) + zswap_group_bytes(wb), 0);
	zswap_group_destroy(z, small);
	zswap_group_destroy(z, nowb);
	zswap_group_destroy(z, wb);
	zswap_destroy(z);
	toy_free(&toy);
}

int main(void)
{
	pool_limit();
	groups();
	return T_EXIT_PASS;
}
