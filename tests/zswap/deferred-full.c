/*
 * Description: a pool emptied by loads does not stay "full". zsmalloc
 * frees emptied zspages in batches (off the free path), so right after
 * every entry of a full pool is loaded and committed, its pages still
 * count until the batch runs. A store then must flush that batch and be
 * accepted, not refused as over the limit (it was refused until the next
 * maintenance tick, up to a second later).
 */
#include "helpers.h"
#include "zswap/zswap.h"

#define MAXN 4096

int main(void)
{
	struct zswap *z;
	struct zswap_stats st;
	char err[256];
	unsigned char page[4096];
	unsigned n = 0;
	struct zswap_config cfg = {.budget = 512 << 10, .max_pool_percent = 100, .no_shrink_worker = true,
				   .zs = {.trim_interval_ms = 600000}}; /* no tick during the test */

	T_ASSERT_EQ(zswap_create(&cfg, &z, err, sizeof(err)), 0);
	T_ASSERT_EQ(zswap_swapon(z, 0), 0);
	for (; n < MAXN; n++) { /* fill to the limit */
		t_fill_page(page, 1, n);
		if (zswap_store(z, swp_entry(0, n), page, NULL))
			break;
	}
	zswap_stats(z, &st);
	printf("%u pages stored, pool %llu bytes of %llu\n", n, (unsigned long long)st.pool_total_size,
	       (unsigned long long)zswap_max_pool_bytes(z));
	T_ASSERT(n > 16 && n < MAXN && st.pool_limit_hit > 0);
	for (unsigned i = 0; i < n; i++) {
		T_ASSERT_EQ(zswap_load(z, swp_entry(0, i), page), 0);
		zswap_load_commit(z, swp_entry(0, i));
	}
	zswap_stats(z, &st);
	printf("all loaded: %llu stored, pool %llu bytes (empty zspages kept or queued)\n",
	       (unsigned long long)st.stored_pages, (unsigned long long)st.pool_total_size);
	T_ASSERT_EQ(st.stored_pages, 0);
	t_fill_page(page, 1, 99999);
	T_ASSERT_EQ(zswap_store(z, swp_entry(0, 0), page, NULL), 0); /* accepted at once */
	zswap_destroy(z);
	return T_EXIT_PASS;
}
