/*
 * Description: same-page merging racing loads, stores, invalidations,
 * writeback and recompression. The race.h workload on a pool with dedup on,
 * where a version's content is one of 40 pages shared by every slot (so
 * most stores find an object to share, and sharers are loaded, committed,
 * invalidated and written back in every order, from several threads);
 * a recompressor runs too. Every load must return the last content stored
 * to the slot; no object may be freed while a sharer holds it (ASan), nor
 * touched without its lock (TSan). At the end, with every slot freed, no
 * sharing is left and the pool holds nothing.
 */
#include "race.h"

/* Version v of any slot: one of 40 contents (every 16th same-filled). */
static void shared_content(unsigned char *page, unsigned s, uint64_t v)
{
	(void)s;
	toy_content(page, 0, v % 40);
}

int main(void)
{
	struct zswap *z;
	char err[256];
	struct zswap_stats st, end;

	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.no_shrink_worker = true, .dedup = true,
							.recompress_codec = "zstd:1"},
				 &z, err, sizeof(err)), 0);
	race_content = shared_content;
	race_wb_batch = 2;
	race_rc_batch = 4;
	race_run(z, race_recompressor);
	race_read_all();
	zswap_flush(z);
	zswap_stats(z, &st);
	for (unsigned s = 0; s < SLOTS; s++)
		zswap_invalidate(z, swp_entry(0, s));
	zswap_compact(z); /* queued frees, and the empty zspages zsmalloc keeps */
	zswap_stats(z, &end);
	printf("%d threads x %ld ops on %d slots: %llu stored (%llu merged), %llu loaded, %llu written back, %llu "
	       "recompressed; at the end %llu entries, %llu of them sharing (%llu bytes saved)\n",
	       THREADS, iters, SLOTS, (unsigned long long)st.zswpout, (unsigned long long)st.dedup_hits,
	       (unsigned long long)st.zswpin,
	       (unsigned long long)st.written_back_pages, (unsigned long long)st.recompressed_pages,
	       (unsigned long long)st.stored_pages, (unsigned long long)st.dedup_pages,
	       (unsigned long long)st.dedup_saved_bytes);
	T_ASSERT(st.zswpin > 0 && st.written_back_pages > 0 && st.dedup_hits > 0);
	T_ASSERT_EQ(st.written_back_pages, atomic_load(&toy.written));
	T_ASSERT_EQ(end.stored_pages, 0);
	T_ASSERT_EQ(end.dedup_pages, 0);
	T_ASSERT_EQ(end.dedup_saved_bytes, 0);
	T_ASSERT_EQ(end.pool_total_size, 0);
	zswap_destroy(z);
	toy_free(&toy);
	return T_EXIT_PASS;
}
