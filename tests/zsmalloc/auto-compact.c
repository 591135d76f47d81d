/*
 * Description: compaction runs on its own when a class's freeable pages
 * cross the configured threshold: after freeing most objects of a class
 * (without calling zs_compact) the pool compacts (on its maintenance
 * thread, or inline in the free path when configured without one), holds
 * fewer pages than before, and every surviving object is intact. With the
 * threshold off (100) nothing compacts by itself.
 */
#include <unistd.h>

#include "base/base.h"
#include "helpers.h"
#include "zsmalloc/zsmalloc.h"

#define N 20000

static unsigned long h[N];

static uint64_t run(unsigned threshold, int interval_ms, uint64_t *compactions)
{
	struct zs_pool *p;
	struct zs_pool_stats st;
	unsigned char buf[700];

	struct zs_config cfg = {.compact_threshold = threshold, .compact_min_pages = 16,
				.trim_interval_ms = interval_ms};
	T_ASSERT_EQ(zs_create_pool("auto", &cfg, &p), 0);
	for (int i = 0; i < N; i++) {
		h[i] = zs_malloc(p, 700);
		T_ASSERT(h[i]);
		memset(buf, i & 0xff, sizeof(buf));
		zs_write(p, h[i], buf, sizeof(buf));
	}
	uint64_t full = zs_get_total_pages(p);
	for (int i = 0; i < N; i++)
		if (i % 10 != 0) { /* free 90%, scattered over every zspage */
			zs_free(p, h[i]);
			h[i] = 0;
		}
	for (int i = 0; i < N; i += 10) {
		zs_read(p, h[i], buf, sizeof(buf));
		T_ASSERT(buf[0] == (i & 0xff) && buf[699] == (i & 0xff));
	}
	/* The maintenance thread gets there within a few ticks (or never). A
	 * tick may run while the frees above are still going on, and freeing
	 * the zspages that emptied completely can shrink the pool before any
	 * compaction: wait for a compaction and the end state the threshold
	 * implies (freeable pages under 25% of the class, i.e. well under 40%
	 * of the full pool with 10% of objects live). No deadline: a pool that
	 * never compacts is a hang, reported by the test runner's timeout. */
	for (int tick = 0;; tick++) {
		zs_pool_stats(p, &st);
		if (threshold >= 100 ? tick >= 10 : st.compactions > 0 && zs_get_total_pages(p) * 100 < full * 40)
			break;
		usleep(10000);
	}
	T_ASSERT_EQ(zs_validate(p), 0);
	zs_pool_stats(p, &st);
	*compactions = st.compactions;
	uint64_t after = zs_get_total_pages(p);
	printf("threshold %u%%, %s: %llu pages full, %llu after freeing 90%%, %llu compactions, %llu pages compacted\n",
	       threshold, interval_ms < 0 ? "inline" : "background", (unsigned long long)full, (unsigned long long)after, (unsigned long long)st.compactions,
	       (unsigned long long)st.pages_compacted);
	zs_destroy_pool(p);
	return after * 100 / full;
}

int main(void)
{
	uint64_t c_bg, c_in, c_off;
	uint64_t pct_bg = run(25, 20, &c_bg), pct_in = run(25, -1, &c_in), pct_off = run(100, 20, &c_off);

	T_ASSERT(c_bg > 0 && c_in > 0);
	T_ASSERT_EQ(c_off, 0);
	T_ASSERT(pct_bg < 40 && pct_in < 40); /* compacted well below the 90%-empty zspages */
	T_ASSERT(pct_off > 80);               /* without compaction the zspages stay */
	return T_EXIT_PASS;
}
