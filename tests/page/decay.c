/*
 * Description: the background trimmer keeps the pool's recent size: after
 * a burst of allocations is freed, the free pages stay resident for a few
 * ticks (the next burst reuses them without page faults) and are given
 * back to the OS once the decaying peak has come down; the accounting
 * identity holds throughout.
 */
#include <unistd.h>

#include "helpers.h"
#include "page/page.h"

#define N 4096 /* 16 MiB, four times the watermark below */

static void *pg[N];

int main(void)
{
	struct pg_pool *p;
	struct pg_stats st;
	const unsigned tick_ms = 20;

	T_ASSERT_EQ(pg_pool_create(&(struct pg_config){.free_watermark = 64 * 4096, .trim_interval_ms = tick_ms}, &p),
		    0);
	for (int i = 0; i < N; i++) {
		T_ASSERT(pg[i] = pg_alloc(p));
		*(volatile char *)pg[i] = 1;
	}
	usleep(3 * tick_ms * 1000); /* the peak is seen at busy ticks */
	for (int i = 0; i < N; i++)
		pg_free(p, pg[i]);
	usleep(2 * tick_ms * 1000);
	pg_stats(p, &st);
	printf("two ticks after freeing: %llu free, %llu released\n", (unsigned long long)st.free_pages,
	       (unsigned long long)st.released_pages);
	T_ASSERT(st.free_pages > N / 2); /* kept: the pool was this big a moment ago */
	T_ASSERT_EQ(st.chunks * PG_PER_CHUNK, st.used_pages + st.free_pages + st.released_pages);
	/* Without a deadline: the peak decays by an eighth a tick, so this is
	 * about 40 ticks; a hang is the runner's timeout. */
	for (;;) {
		pg_stats(p, &st);
		if (st.free_pages <= 64 + 2 * 64) /* the watermark, and per-CPU caches */
			break;
		usleep(tick_ms * 1000);
	}
	printf("later: %llu free, %llu released, %llu chunks\n", (unsigned long long)st.free_pages,
	       (unsigned long long)st.released_pages, (unsigned long long)st.chunks);
	T_ASSERT_EQ(pg_validate(p), 0);
	pg_pool_destroy(p);
	return T_EXIT_PASS;
}
