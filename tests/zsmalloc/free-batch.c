/*
 * Description: zs_free_batch frees exactly the objects it is given (0
 * handles skipped) across classes, the huge class and runs of one class,
 * like as many zs_free calls: survivors keep their content, the pool
 * validates, the object count and the handle table agree, and freed
 * handles are handed out again.
 */
#include "helpers.h"
#include "zsmalloc/zsmalloc.h"

#define N 6000

static unsigned long h[N];
static unsigned len[N];

static void fill(unsigned char *buf, unsigned i, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		buf[k] = (unsigned char)(i * 31 + k);
}

int main(void)
{
	struct zs_pool *p;
	struct zs_pool_stats st;
	unsigned char buf[4096], got[4096];
	uint64_t seed = 5;

	T_ASSERT_EQ(zs_create_pool("batch", &(struct zs_config){.trim_interval_ms = -1}, &p), 0);
	for (unsigned i = 0; i < N; i++) {
		len[i] = i % 7 == 0 ? 4000 : (unsigned)(32 + t_rand(&seed) % 3000); /* some huge */
		if (i % 50 < 10)
			len[i] = 100; /* runs of one class */
		T_ASSERT(h[i] = zs_malloc(p, len[i]));
		fill(buf, i, len[i]);
		zs_write(p, h[i], buf, len[i]);
	}
	/* Free two objects of every three, in batches of up to ZS_FREE_BATCH
	 * with the survivors' slots as 0 handles. */
	unsigned long batch[ZS_FREE_BATCH];
	unsigned nb = 0, freed = 0;
	for (unsigned i = 0; i < N; i++) {
		batch[nb++] = i % 3 ? h[i] : 0;
		if (i % 3) {
			h[i] = 0;
			freed++;
		}
		if (nb == ZS_FREE_BATCH || i == N - 1) {
			zs_free_batch(p, batch, nb);
			nb = 0;
		}
	}
	T_ASSERT_EQ(zs_validate(p), 0);
	zs_pool_stats(p, &st);
	T_ASSERT_EQ(st.objs, N - freed);
	for (unsigned i = 0; i < N; i++)
		if (h[i]) {
			fill(buf, i, len[i]);
			zs_read(p, h[i], got, len[i]);
			T_ASSERT(!memcmp(buf, got, len[i]));
		}
	for (unsigned i = 0; i < N; i++) /* the handles are reusable */
		if (!h[i])
			T_ASSERT(h[i] = zs_malloc(p, 64));
	T_ASSERT_EQ(zs_validate(p), 0);
	zs_pool_stats(p, &st);
	T_ASSERT_EQ(st.objs, N);
	zs_destroy_pool(p);
	return T_EXIT_PASS;
}
