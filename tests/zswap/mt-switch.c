/*
 * Description: changing the compressor while every thread stores, loads
 * and frees. Entries keep the pool they were stored with; every load
 * returns its content; old pools are freed once their last entry goes (at
 * the end only the current pool remains; ASan's leak check sees the rest
 * freed).
 */
#include <pthread.h>
#include <unistd.h>

#include "toyswap.h"

#define SLOTS 512
#define THREADS 3

static struct toy toy;
static long iters;
static _Atomic int running = 1;
static _Atomic long switches;

static void *worker(void *arg)
{
	uint64_t seed = (uintptr_t)arg * 3 + 1;
	unsigned char page[4096], want[4096];

	for (long i = 0; i < iters; i++) {
		unsigned s = (unsigned)(t_rand(&seed) % SLOTS);
		toy_lock(&toy, s);
		if (toy.where[s] == AT_ZSWAP) {
			T_ASSERT_EQ(zswap_load(toy.z, swp_entry(0, s), page), 0);
			toy_content(want, s, toy.ver[s]);
			T_ASSERT(!memcmp(page, want, 4096));
			zswap_load_commit(toy.z, swp_entry(0, s));
			toy.where[s] = AT_NONE;
		} else {
			toy_content(page, s, ++toy.ver[s]);
			if (zswap_store(toy.z, swp_entry(0, s), page, NULL) == 0)
				toy.where[s] = AT_ZSWAP;
		}
		toy_unlock(&toy, s);
	}
	return NULL;
}

static void *switcher(void *arg)
{
	const char *specs[] = {"zstd", "deflate:1", "lzo", "lz4hc:2", "lz4"};
	char err[256];
	unsigned k = 0;

	while (atomic_load(&running)) {
		int r = zswap_set_compressor(toy.z, specs[k++ % 5], err, sizeof(err));
		T_ASSERT(r == 0 || r == -EBUSY);
		atomic_fetch_add(&switches, r == 0);
		usleep(2000);
	}
	return NULL;
}

int main(void)
{
	struct zswap *z;
	char err[256];
	pthread_t t[THREADS], sw;
	struct zswap_stats st;

	iters = (long)(60000 * t_scale());
	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.no_shrink_worker = true}, &z, err, sizeof(err)), 0);
	toy_init(&toy, z, SLOTS);
	pthread_create(&sw, NULL, switcher, NULL);
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&running, 0);
	pthread_join(sw, NULL);
	zswap_stats(z, &st);
	printf("%ld compressor switches; %llu pools alive with %llu entries stored\n", atomic_load(&switches),
	       (unsigned long long)st.nr_pools, (unsigned long long)st.stored_pages);
	T_ASSERT(atomic_load(&switches) >= 3);
	for (unsigned s = 0; s < SLOTS; s++) /* free every slot */
		zswap_invalidate(z, swp_entry(0, s));
	zswap_stats(z, &st);
	T_ASSERT_EQ(st.stored_pages, 0);
	/* What is left: entries out of their trees whose memory is released
	 * in batches (each holds its pool), empty zspages zsmalloc keeps for
	 * reuse (one per class, more for the huge class) and its deferred-free
	 * batch: compaction and a flush give them all back, and the old pools
	 * die with their last entry. */
	zswap_compact(z);
	zswap_flush(z);
	zswap_stats(z, &st);
	T_ASSERT_EQ(st.nr_pools, 1); /* only the current pool is left */
	T_ASSERT_EQ(st.pool_total_size, 0);
	zswap_destroy(z);
	toy_free(&toy);
	return T_EXIT_PASS;
}
