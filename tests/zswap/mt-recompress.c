/*
 * Description: recompression racing loads, stores, invalidations and
 * writeback. Several threads store, load (installing or not) and
 * invalidate a small set of slots, each under the slot's claim, while one
 * thread recompresses entries with zstd:3 (zswap_recompress, age 0) and
 * another writes the coldest back to the toy disk. Every load must return
 * the last content stored to the slot, whichever copy it finds; the
 * recompressor must never touch an entry loaded, freed or replaced after
 * it left the LRU lock, nor free the old copy before the new one is in the
 * tree (ASan, TSan). At the end the entries still stored are recompressed
 * and every slot is read back.
 */
#include "race.h"

int main(void)
{
	struct zswap *z;
	char err[256];
	struct zswap_stats st;

	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.no_shrink_worker = true, .recompress_codec = "zstd:3"}, &z,
				 err, sizeof(err)), 0);
	race_wb_batch = 2;
	race_run(z, race_recompressor);
	long last = zswap_recompress(z, SLOTS, 0);
	race_read_all();
	zswap_stats(z, &st);
	printf("%d threads x %ld ops on %d slots: %llu stored, %llu loaded, %llu written back, %llu recompressed "
	       "(%ld at the end, then read back), %llu bytes saved\n", THREADS, iters, SLOTS,
	       (unsigned long long)st.zswpout, (unsigned long long)st.zswpin, (unsigned long long)st.written_back_pages,
	       (unsigned long long)st.recompressed_pages, last, (unsigned long long)st.recompress_saved_bytes);
	T_ASSERT(st.written_back_pages > 0 && st.zswpin > 0 && st.recompressed_pages > 0);
	T_ASSERT_EQ(st.written_back_pages, atomic_load(&toy.written));
	zswap_destroy(z);
	toy_free(&toy);
	return T_EXIT_PASS;
}
