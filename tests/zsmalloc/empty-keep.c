/*
 * Description: empty zspages are kept for reuse and leave the pool's
 * size at once: a pool drained of every object reports 0 pages and holds
 * its zspages as empty_pages; filling it again builds no zspage (page/'s
 * used pages do not grow). The maintenance tick frees the kept ones that
 * stayed empty for a whole interval (one per class stays), not those
 * emptied since the last tick; automatic compaction leaves them too
 * (explicit zs_compact frees them). An allocation that page/ refuses at
 * max_bytes frees every kept zspage and succeeds. Without a background
 * thread (trim_interval_ms < 0) only one per class is kept.
 */
#include <sched.h>

#include "helpers.h"
#include "zsmalloc/zsmalloc.h"

#define N 4000

static unsigned long h[N];

static void fill(struct zs_pool *p, size_t len)
{
	unsigned char buf[4096];

	memset(buf, 0x5a, sizeof(buf));
	for (int i = 0; i < N; i++) {
		T_ASSERT(h[i] = zs_malloc(p, len));
		zs_write(p, h[i], buf, len);
	}
}

static void drain(struct zs_pool *p)
{
	for (int i = 0; i < N; i++)
		zs_free(p, h[i]);
}

static struct zs_pool_stats stats(struct zs_pool *p)
{
	struct zs_pool_stats st;
	zs_pool_stats(p, &st);
	return st;
}

int main(void)
{
	struct zs_pool *p;
	cpu_set_t one;

	/* One CPU: each CPU allocates from its own shard of classes, and a
	 * refill on the other CPU would build zspages of its own. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	T_ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
	/* an hour between ticks: only zs_maintain runs them here */
	T_ASSERT_EQ(zs_create_pool("keep", &(struct zs_config){.trim_interval_ms = 3600000}, &p), 0);
	fill(p, 1000);
	uint64_t full = zs_get_total_pages(p);
	T_ASSERT(full > 100);
	drain(p);
	struct zs_pool_stats st = stats(p);
	T_ASSERT_EQ(st.pages, 0);
	T_ASSERT_EQ(st.objs, 0);
	T_ASSERT_EQ(st.empty_pages, full);
	T_ASSERT_EQ(zs_validate(p), 0);

	/* Refilled from the kept zspages: no new page from page/. */
	fill(p, 1000);
	st = stats(p);
	T_ASSERT_EQ(st.pages, full);
	T_ASSERT_EQ(st.empty_pages, 0);
	drain(p);

	/* The first tick keeps what was emptied since the last (none ran
	 * yet); the second frees all but one zspage per class. */
	zs_maintain(p);
	T_ASSERT_EQ(stats(p).empty_pages, full);
	zs_maintain(p);
	st = stats(p);
	T_ASSERT(st.empty_pages > 0 && st.empty_pages < full / 10);
	T_ASSERT_EQ(zs_validate(p), 0);

	/* Automatic compaction of a fragmented class keeps the empty ones:
	 * the first half of the objects thinned out to one in 64, the second
	 * half freed whole. */
	fill(p, 1000);
	for (int i = 0; i < N; i++)
		if (i >= N / 2 || i % 64)
			zs_free(p, h[i]);
	st = stats(p);
	uint64_t kept = st.empty_pages, runs = st.compactions;
	T_ASSERT(kept > full / 3);
	zs_maintain(p); /* the frees asked for compaction */
	st = stats(p);
	T_ASSERT_EQ(st.compactions, runs + 1);
	T_ASSERT(st.pages_compacted > 0);
	T_ASSERT_EQ(st.empty_pages, kept);
	T_ASSERT_EQ(zs_validate(p), 0);
	zs_compact(p); /* the explicit one frees them */
	T_ASSERT_EQ(stats(p).empty_pages, 0);
	for (int i = 0; i < N / 2; i += 64)
		zs_free(p, h[i]);
	zs_destroy_pool(p);

	/* At page/'s limit the kept zspages make room for another class. */
	T_ASSERT_EQ(zs_create_pool("limit", &(struct zs_config){.trim_interval_ms = 3600000, .max_bytes = 1200 * 4096},
				   &p),
		    0);
	fill(p, 1000);
	drain(p);
	T_ASSERT(stats(p).empty_pages > 900);
	fill(p, 700); /* another class: only fits once the kept ones go */
	st = stats(p);
	T_ASSERT_EQ(st.objs, N);
	T_ASSERT_EQ(st.alloc_fail, 0);
	T_ASSERT(st.empty_pages < 100);
	T_ASSERT_EQ(zs_validate(p), 0);
	drain(p);
	zs_destroy_pool(p);

	/* No background thread: one empty zspage per class. */
	T_ASSERT_EQ(zs_create_pool("inline", &(struct zs_config){.trim_interval_ms = -1}, &p), 0);
	fill(p, 1000);
	drain(p);
	zs_flush(p); /* what it did not keep is queued */
	st = stats(p);
	T_ASSERT_EQ(st.pages, 0);
	T_ASSERT(st.empty_pages < full / 10);
	zs_destroy_pool(p);
	return T_EXIT_PASS;
}
