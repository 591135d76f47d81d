/*
 * Description: compaction runs on its own when a class's freeable pages
 * cross the configured threshold: after freeing most objects of a class
 * (without calling zs_compact) the pool has compacted, holds fewer pages
 * than before, and every surviving object is intact. With the threshold
 * off (100) nothing compacts by itself.
 */
#include "base/base.h"
#include "helpers.h"
#include "zsmalloc/zsmalloc.h"

#define N 20000

static unsigned long h[N];

static uint64_t run(unsigned threshold, uint64_t *compactions)
{
	struct zs_pool *p;
	struct zs_pool_stats st;
	unsigned char buf[700];

	T_ASSERT_EQ(zs_create_pool("auto", &(struct zs_config){.compact_threshold = threshold, .compact_min_pages = 16}, &p), 0);
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
	T_ASSERT_EQ(zs_validate(p), 0);
	zs_pool_stats(p, &st);
	*compactions = st.compactions;
	uint64_t after = zs_get_total_pages(p);
	printf("threshold %u%%: %llu pages full, %llu after freeing 90%%, %llu compactions, %llu pages compacted\n",
	       threshold, (unsigned long long)full, (unsigned long long)after, (unsigned long long)st.compactions,
	       (unsigned long long)st.pages_compacted);
	zs_destroy_pool(p);
	return after * 100 / full;
}

int main(void)
{
	uint64_t c_on, c_off;
	uint64_t pct_on = run(25, &c_on), pct_off = run(100, &c_off);

	T_ASSERT(c_on > 0);
	T_ASSERT_EQ(c_off, 0);
	T_ASSERT(pct_on < 40);  /* compacted well below the 90%-empty zspages */
	T_ASSERT(pct_off > 80); /* without compaction the zspages stay */
	return T_EXIT_PASS;
}
