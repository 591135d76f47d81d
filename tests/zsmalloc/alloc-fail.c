/*
 * Description: when the page supply is exhausted (max_bytes) or metadata
 * allocation fails, zs_malloc returns 0, counts alloc_fail, and leaves the
 * pool consistent: every live object still reads back, the pool validates,
 * and freeing makes room for new allocations again. Pool creation fails
 * cleanly at every metadata allocation (LeakSanitizer in the ASan run).
 */
#include <errno.h>

#include "base/base.h"
#include "helpers.h"
#include "zsmalloc/zsmalloc.h"

#define MAXH 100000

static unsigned long h[MAXH];

int main(void)
{
	struct zs_pool *p;
	struct zs_pool_stats st;
	unsigned char buf[2000];
	int n = 0;

	T_ASSERT_EQ(zs_create_pool("small", &(struct zs_config){.max_bytes = 64 * 4096}, &p), 0);
	for (; n < MAXH; n++) {
		h[n] = zs_malloc(p, 1000 + (size_t)(n % 7) * 100);
		if (!h[n])
			break;
		memset(buf, n & 0xff, sizeof(buf));
		zs_write(p, h[n], buf, 1000);
	}
	printf("%d objects fit in 64 pages\n", n);
	T_ASSERT(n > 64 * 2 && n < MAXH);
	zs_pool_stats(p, &st);
	T_ASSERT(st.alloc_fail >= 1);
	T_ASSERT(st.pages <= 64);
	/* Partial zspages of the failed attempts went back: fill with page-sized
	 * objects until the supply is truly dry. */
	unsigned long big[64];
	int nbig = 0;
	while (nbig < 64 && (big[nbig] = zs_malloc(p, 4096)))
		nbig++;
	T_ASSERT(nbig < 64);
	T_ASSERT(zs_malloc(p, 4096) == 0);
	zs_pool_stats(p, &st);
	T_ASSERT_EQ(st.pages, 64);
	for (int i = 0; i < nbig; i++)
		zs_free(p, big[i]);
	T_ASSERT_EQ(zs_validate(p), 0);
	for (int i = 0; i < n; i++) {
		zs_read(p, h[i], buf, 1000);
		for (int k = 0; k < 1000; k++)
			T_ASSERT(buf[k] == (i & 0xff));
	}
	/* Free everything of one size; compaction returns pages; allocation works again. */
	for (int i = 0; i < n; i++)
		if (i % 7 == 3) {
			zs_free(p, h[i]);
			h[i] = 0;
		}
	zs_compact(p);
	unsigned long x = zs_malloc(p, 3000);
	T_ASSERT(x);
	zs_free(p, x);
	T_ASSERT_EQ(zs_validate(p), 0);
	zs_destroy_pool(p);

	/* Metadata allocation failure at each point of pool creation. */
	long k;
	for (k = 1;; k++) {
		base_alloc_fail_nth(k);
		int r = zs_create_pool("f", NULL, &p);
		bool fired = base_alloc_failed();
		base_alloc_fail_nth(0);
		if (!fired) {
			T_ASSERT_EQ(r, 0);
			break;
		}
		T_ASSERT_EQ(r, -ENOMEM);
	}
	printf("pool creation: %ld allocations, each failure cleaned up\n", k - 1);
	/* ... and during zs_malloc (handle table, zspage, page/ metadata). */
	int failed = 0;
	for (k = 1; k < 12; k++) {
		base_alloc_fail_nth(k);
		unsigned long y = zs_malloc(p, 100 + (size_t)k * 300);
		bool fired = base_alloc_failed();
		base_alloc_fail_nth(0);
		if (fired) {
			T_ASSERT(y == 0);
			failed++;
		} else {
			zs_free(p, y);
		}
		T_ASSERT_EQ(zs_validate(p), 0);
	}
	T_ASSERT(failed > 0);
	zs_destroy_pool(p);
	return T_EXIT_PASS;
}
