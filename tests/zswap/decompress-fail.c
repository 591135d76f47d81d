/*
 * Description: a stored page whose compressed bytes are corrupted loads
 * as -EIO (decompress_fail counted), never as wrong data: the caller gets
 * an error to turn into a poisoned page. The entry stays (nothing is
 * committed), and invalidating the slot frees it cleanly. Done for every
 * compressor.
 */
#include "toyswap.h"
#include "zswap/zswap_internal.h"

int main(void)
{
	const char *specs[] = {"lz4", "zstd", "deflate", "lzo"};
	unsigned char page[4096], back[4096], junk[4096];
	char err[256];

	for (size_t k = 0; k < ARRAY_SIZE(specs); k++) {
		struct zswap *z;
		struct zswap_stats st;
		T_ASSERT_EQ(zswap_create(&(struct zswap_config){.compressor = specs[k], .no_shrink_worker = true}, &z,
					 err, sizeof(err)), 0);
		T_ASSERT_EQ(zswap_swapon(z, 0), 0);
		t_fill_page(page, 1, 42);
		T_ASSERT_EQ(zswap_store(z, swp_entry(0, 7), page, NULL), 0);
		/* Corrupt the stored bytes behind zswap's back. */
		struct zswap_entry *e = rtree_lookup(zswap_tree(z, swp_entry(0, 7)), 7);
		T_ASSERT(e && e->length > 0 && !e->raw);
		memset(junk, 0xA5, sizeof(junk));
		zs_write(e->pool->zs, e->handle, junk, e->length);
		T_ASSERT_EQ(zswap_load(z, swp_entry(0, 7), back), -EIO);
		zswap_stats(z, &st);
		T_ASSERT_EQ(st.decompress_fail, 1);
		T_ASSERT_EQ(st.zswpin, 0);
		T_ASSERT(zswap_contains(z, swp_entry(0, 7)));
		zswap_invalidate(z, swp_entry(0, 7));
		zswap_stats(z, &st);
		T_ASSERT_EQ(st.stored_pages, 0);
		printf("%s: corrupt entry -> -EIO, decompress_fail %llu\n", specs[k], (unsigned long long)st.decompress_fail);
		zswap_destroy(z);
	}
	return T_EXIT_PASS;
}
