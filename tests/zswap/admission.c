/*
 * Description: admission near the pool's limit. A stream of stores that
 * nothing loads back fills the pool and keeps the writeback worker busy:
 * then most new pages must go straight to the device (reject_streaming)
 * instead of being compressed only to be written back, while every page
 * stays recoverable (from zswap or the disk). When loads come back and
 * empty the pool (here: every page is read back right after it is
 * stored), stores are admitted again within a window. A quiet window in
 * between (no writeback, no loads: nothing new learned) keeps the stream's
 * verdict: before, it admitted every store again for a window.
 */
#include <unistd.h>

#include "toyswap.h"

#define N 12000

static struct toy toy;

/* Store slot s (version 1) the way the swap layer does: zswap, else the disk. */
static void swap_out_slot(struct zswap *z, unsigned s)
{
	unsigned char page[4096];

	toy_content(page, s, 1);
	toy_lock(&toy, s);
	if (zswap_store(z, swp_entry(0, s), page, NULL))
		memcpy(toy_page(toy.disk, s), page, 4096);
	toy_unlock(&toy, s);
}

int main(void)
{
	struct zswap *z;
	struct zswap_stats st, st2;
	char err[256];
	unsigned char page[4096], want[4096];

	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.budget = 4 << 20, .max_pool_percent = 25}, &z, err,
				 sizeof(err)), 0);
	toy_init(&toy, z, 2 * N);
	for (unsigned s = 0; s < N; s++) {
		swap_out_slot(z, s);
		if (s % 64 == 0)
			usleep(100); /* the worker gets to write back meanwhile */
	}
	zswap_stats(z, &st);
	printf("stream: %u pages, zswpout %llu, written back %llu, reject_streaming %llu, pool_limit_hit %llu\n", N,
	       (unsigned long long)st.zswpout, (unsigned long long)st.written_back_pages,
	       (unsigned long long)st.reject_streaming, (unsigned long long)st.pool_limit_hit);
	T_ASSERT(st.written_back_pages > 0);
	T_ASSERT(st.reject_streaming > N / 4);           /* most of the stream went straight to the disk */
	T_ASSERT(st.zswpout < N / 2);
	/* Quiet: one window ends on the worker's last writeback, the next on
	 * nothing at all; the stream resumes and must still go to the disk.
	 * Admission decides only above the accept threshold and while the
	 * pool is not full: below it every store is taken (the worker may have
	 * left the pool anywhere below it), and a full pool refuses stores
	 * before admission is asked (on a busy machine the worker may keep it
	 * full for a while). So the stores that count are those made above the
	 * threshold that the full pool did not refuse. */
	usleep(60000);
	swap_out_slot(z, N);
	usleep(60000);
	unsigned near = 0, refused = 0, full = 0;
	for (unsigned s = N + 1; s < N + N / 2 && near < 256; s++) {
		bool above = zswap_over_limit(z, ZSWAP_DEFAULT_ACCEPT_THRESHOLD_PERCENT);
		zswap_stats(z, &st);
		swap_out_slot(z, s);
		zswap_stats(z, &st2);
		if (st2.pool_limit_hit > st.pool_limit_hit) {
			full++;
		} else if (above) {
			near++;
			refused += st2.reject_streaming > st.reject_streaming;
		}
	}
	printf("after a quiet window: %u stores above the accept threshold, %u refused as streaming "
	       "(%u more refused by the full pool)\n", near, refused, full);
	T_ASSERT_EQ(near, 256);
	T_ASSERT(refused > near / 2);
	/* Loads come back: each new page is read back soon after. */
	for (unsigned s = N; s < 2 * N; s++) {
		if (s == N + N / 2)
			zswap_stats(z, &st);
		swap_out_slot(z, s);
		toy_lock(&toy, s);
		if (zswap_load(z, swp_entry(0, s), page) == 0)
			zswap_load_commit(z, swp_entry(0, s));
		toy_unlock(&toy, s);
		if (s % 16 == 0)
			usleep(100); /* long enough for admission's time window (50 ms) to turn */
	}
	zswap_stats(z, &st2);
	printf("loads back: zswpin %llu, reject_streaming +%llu in the second half\n", (unsigned long long)st2.zswpin,
	       (unsigned long long)(st2.reject_streaming - st.reject_streaming));
	T_ASSERT_EQ(st2.reject_streaming, st.reject_streaming); /* admitted again */
	for (unsigned s = 0; s < N; s++) {                /* nothing lost */
		toy_lock(&toy, s);
		toy_content(want, s, 1);
		if (zswap_load(z, swp_entry(0, s), page) == 0)
			T_ASSERT(!memcmp(page, want, 4096));
		else
			T_ASSERT(!memcmp(toy_page(toy.disk, s), want, 4096));
		toy_unlock(&toy, s);
	}
	zswap_destroy(z);
	toy_free(&toy);
	return T_EXIT_PASS;
}
