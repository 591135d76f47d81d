/*
 * Description: zsmalloc against a model: random alloc/free/write/read of
 * objects of every size (1..4096 bytes, straddling pages, huge objects)
 * always reads back what was written; statistics add up; classes use
 * 16-byte steps and chains of 1..max pages; compaction frees pages and
 * keeps every object intact; the pool validates after every phase.
 */
#include <errno.h>

#include "base/base.h"
#include "helpers.h"
#include "zsmalloc/zsmalloc.h"

#define N 20000

static unsigned long handle[N];
static uint32_t size_of[N], seed_of[N];

static void fill(unsigned char *b, size_t len, uint32_t seed)
{
	uint64_t s = seed | 1;
	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)(t_rand(&s) >> 11);
}

static void check(struct zs_pool *p, int i)
{
	static unsigned char want[4096], got[4096], local[4096];
	fill(want, size_of[i], seed_of[i]);
	zs_read(p, handle[i], got, size_of[i]);
	T_ASSERT(!memcmp(want, got, size_of[i]));
	const void *direct = zs_read_begin(p, handle[i], local, size_of[i]);
	T_ASSERT(!memcmp(want, direct, size_of[i]));
	zs_read_end(p, handle[i]);
}

static void put(struct zs_pool *p, int i, uint64_t *s)
{
	static unsigned char buf[4096];
	unsigned r = (unsigned)(t_rand(s) % 100);
	size_of[i] = r < 5 ? (uint32_t)(3700 + t_rand(s) % 397) : (uint32_t)(1 + t_rand(s) % 3600);
	seed_of[i] = (uint32_t)t_rand(s);
	handle[i] = zs_malloc(p, size_of[i]);
	T_ASSERT(handle[i]);
	fill(buf, size_of[i], seed_of[i]);
	zs_write(p, handle[i], buf, size_of[i]);
}

int main(void)
{
	struct zs_pool *p;
	uint64_t s = 12345;
	struct zs_class_stats cs[ZS_NR_CLASSES + 1];
	struct zs_pool_stats ps;

	T_ASSERT_EQ(zs_create_pool("t", &(struct zs_config){.max_chain = 17}, &p), -EINVAL);
	T_ASSERT_EQ(zs_create_pool("t", &(struct zs_config){.compact_threshold = 100}, &p), 0);
	T_ASSERT(zs_malloc(p, 0) == 0 && zs_malloc(p, 4097) == 0);
	size_t huge = zs_huge_class_size(p);
	printf("huge class above %zu bytes\n", huge);
	T_ASSERT(huge > 3000 && huge < 4096);

	for (int i = 0; i < N; i++)
		put(p, i, &s);
	T_ASSERT_EQ(zs_validate(p), 0);
	for (int i = 0; i < N; i++)
		check(p, i);
	/* Churn. */
	for (int k = 0; k < 3 * N; k++) {
		int i = (int)(t_rand(&s) % N);
		check(p, i);
		zs_free(p, handle[i]);
		put(p, i, &s);
	}
	T_ASSERT_EQ(zs_validate(p), 0);

	/* Class shapes and totals. */
	unsigned n = zs_class_stats(p, cs, ZS_NR_CLASSES + 1);
	uint64_t used = 0, pages = 0;
	for (unsigned k = 0; k < n; k++) {
		T_ASSERT(cs[k].size % 16 == 0 && cs[k].size >= 32 && cs[k].size <= 4096);
		T_ASSERT(cs[k].pages_per_zspage >= 1 && cs[k].pages_per_zspage <= 8);
		T_ASSERT(cs[k].objs_per_zspage == cs[k].pages_per_zspage * 4096 / cs[k].size);
		if (k)
			T_ASSERT(cs[k].size > cs[k - 1].size);
		uint64_t gsum = 0;
		for (int g = 0; g < ZS_NR_GROUPS; g++)
			gsum += cs[k].groups[g];
		T_ASSERT_EQ(gsum * cs[k].pages_per_zspage, cs[k].pages_used);
		used += cs[k].obj_used;
		pages += cs[k].pages_used;
	}
	zs_pool_stats(p, &ps);
	T_ASSERT_EQ(used, N);
	T_ASSERT_EQ(ps.objs, N);
	printf("%u distinct classes, %llu pages in zspages, %llu from page/ (%llu deferred zspages)\n", n,
	       (unsigned long long)pages, (unsigned long long)ps.pages, (unsigned long long)ps.zspages_deferred);
	T_ASSERT(ps.pages + ps.empty_pages >= pages); /* empty zspages are kept, not counted in pages */

	/* Free a random half; compaction frees pages, objects survive. */
	for (int i = 0; i < N; i++)
		if (t_rand(&s) % 2) {
			zs_free(p, handle[i]);
			handle[i] = 0;
		}
	uint64_t before = zs_get_total_pages(p);
	uint64_t freed = zs_compact(p);
	uint64_t after = zs_get_total_pages(p);
	printf("compaction: %llu -> %llu pages, %llu freed\n", (unsigned long long)before,
	       (unsigned long long)after, (unsigned long long)freed);
	T_ASSERT(freed > 0 && after < before);
	T_ASSERT_EQ(zs_validate(p), 0);
	for (int i = 0; i < N; i++)
		if (handle[i])
			check(p, i);
	zs_pool_stats(p, &ps);
	T_ASSERT(ps.pages_compacted == freed);
	/* Nothing left to compact in any class. */
	n = zs_class_stats(p, cs, ZS_NR_CLASSES + 1);
	for (unsigned k = 0; k < n; k++)
		T_ASSERT_EQ(cs[k].freeable, 0);
	zs_destroy_pool(p); /* with live objects: ASan/LSan check it frees all */

	/* Chain lengths up to 16 when configured. */
	T_ASSERT_EQ(zs_create_pool("t16", &(struct zs_config){.max_chain = 16}, &p), 0);
	n = zs_class_stats(p, cs, ZS_NR_CLASSES + 1);
	unsigned maxp = 0;
	for (unsigned k = 0; k < n; k++)
		maxp = MAX(maxp, cs[k].pages_per_zspage);
	T_ASSERT(maxp > 8 && maxp <= 16);
	zs_destroy_pool(p);
	return T_EXIT_PASS;
}
