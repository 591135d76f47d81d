/*
 * Description: race R2 (design-digest 3). Several threads store, load
 * (installing or not), and invalidate a small set of slots, each under the
 * slot's claim, while a writeback thread keeps writing the coldest entries
 * to the toy disk. Every load, from zswap, disk or memory, must return the
 * last content stored to the slot; writeback must never touch an entry
 * freed or replaced after it left the LRU lock (ASan, TSan).
 */
#include "race.h"

int main(void)
{
	struct zswap *z;
	char err[256];
	struct zswap_stats st;

	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.no_shrink_worker = true}, &z, err, sizeof(err)), 0);
	race_run(z, NULL);
	race_read_all();
	zswap_stats(z, &st);
	printf("%d threads x %ld ops on %d slots: %llu stored, %llu loaded, %llu written back, %llu same-filled now\n",
	       THREADS, iters, SLOTS, (unsigned long long)st.zswpout, (unsigned long long)st.zswpin,
	       (unsigned long long)st.written_back_pages, (unsigned long long)st.same_filled_pages);
	T_ASSERT(st.written_back_pages > 0 && st.zswpin > 0);
	T_ASSERT_EQ(st.written_back_pages, atomic_load(&toy.written));
	zswap_destroy(z);
	toy_free(&toy);
	return T_EXIT_PASS;
}
