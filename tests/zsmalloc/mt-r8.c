/*
 * Description: race R8 (design-digest 3). Several threads allocate, write,
 * read (copy-out and zero-copy windows) and free objects with a checksum
 * each, while one thread compacts continuously and another migrates random
 * pages of live objects continuously. Every read must match what its owner
 * wrote; the pool must validate at the end; no use-after-free (ASan) and no
 * data race (TSan). Deferred frees of emptied zspages walk their page
 * chains while migration rewrites chains of others.
 */
#include <errno.h>
#include <pthread.h>

#include "base/base.h"
#include "helpers.h"
#include "zsmalloc/zsmalloc.h"

#define THREADS 4
#define SLOTS 512

static struct zs_pool *pool;
static long iters;
static _Atomic int running = 1;
static _Atomic long migrated, busy, compacted;
/* Pages of live objects, published by their owners for the migrator. */
static _Atomic(void *) shared[THREADS][SLOTS];

static void fill(unsigned char *b, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = t_mix64(seed + i);
		memcpy(b + i, &v, MIN(8, len - i));
	}
}

static void *worker(void *arg)
{
	int id = (int)(uintptr_t)arg;
	uint64_t s = (uint64_t)id * 31 + 7, seed[SLOTS];
	unsigned long h[SLOTS] = {0};
	uint32_t len[SLOTS];
	unsigned char *want = malloc(4096), *got = malloc(4096), *local = malloc(4096);

	for (long i = 0; i < iters; i++) {
		unsigned k = (unsigned)(t_rand(&s) % SLOTS);
		if (h[k]) {
			fill(want, len[k], seed[k]);
			if (i % 2) {
				zs_read(pool, h[k], got, len[k]);
				T_ASSERT(!memcmp(want, got, len[k]));
			} else {
				const void *p = zs_read_begin(pool, h[k], local, len[k]);
				T_ASSERT(!memcmp(want, p, len[k]));
				zs_read_end(pool, h[k]);
			}
			if (t_rand(&s) % 3 == 0) {
				atomic_store_rel(&shared[id][k], zs_handle_page(pool, h[k]));
				continue;
			}
			/* The page stays published: the migrator then chases
			 * zspages that this free may empty and retire. */
			zs_free(pool, h[k]);
			h[k] = 0;
		} else {
			len[k] = (uint32_t)(t_rand(&s) % 100 < 10 ? 3700 + t_rand(&s) % 396 : 16 + t_rand(&s) % 3000);
			seed[k] = t_rand(&s);
			h[k] = zs_malloc(pool, len[k]);
			T_ASSERT(h[k]);
			fill(want, len[k], seed[k]);
			zs_write(pool, h[k], want, len[k]);
			atomic_store_rel(&shared[id][k], zs_handle_page(pool, h[k]));
		}
	}
	for (unsigned k = 0; k < SLOTS; k++)
		if (h[k]) {
			atomic_store_rel(&shared[id][k], NULL);
			fill(want, len[k], seed[k]);
			zs_read(pool, h[k], got, len[k]);
			T_ASSERT(!memcmp(want, got, len[k]));
			zs_free(pool, h[k]);
		}
	free(want);
	free(got);
	free(local);
	return NULL;
}

static void *compactor(void *arg)
{
	while (atomic_load_relaxed(&running)) {
		atomic_add_relaxed(&compacted, (long)zs_compact(pool));
		sched_yield();
	}
	return NULL;
}

/* Migrate pages that owners published for live objects. By the time the
 * migrator gets to one, the object may have moved (compaction) or been
 * freed and its zspage released: zs_migrate_page must re-validate the
 * address under the pool lock and refuse stale ones with -ENOENT. */
static void *migrator(void *arg)
{
	uint64_t s = 4242;

	while (atomic_load_relaxed(&running)) {
		void *page = atomic_load_acq(&shared[t_rand(&s) % THREADS][t_rand(&s) % SLOTS]);
		if (!page)
			continue;
		int r = zs_migrate_page(pool, page);
		T_ASSERT(r == 0 || r == -ENOENT || r == -EBUSY);
		if (r == 0)
			atomic_add_relaxed(&migrated, 1);
		if (r == -EBUSY)
			atomic_add_relaxed(&busy, 1);
	}
	return NULL;
}

int main(void)
{
	pthread_t w[THREADS], c, m;
	struct zs_pool_stats st;

	iters = (long)(200000 * t_scale());
	T_ASSERT_EQ(zs_create_pool("r8", NULL, &pool), 0);
	pthread_create(&c, NULL, compactor, NULL);
	pthread_create(&m, NULL, migrator, NULL);
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&w[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(w[i], NULL);
	atomic_store_relaxed(&running, 0);
	pthread_join(c, NULL);
	pthread_join(m, NULL);
	T_ASSERT_EQ(zs_validate(pool), 0);
	zs_pool_stats(pool, &st);
	printf("%d threads x %ld ops; %ld pages migrated (%ld busy), %ld pages compacted, %llu auto/explicit "
	       "compactions\n", THREADS, iters, atomic_load_relaxed(&migrated), atomic_load_relaxed(&busy),
	       atomic_load_relaxed(&compacted), (unsigned long long)st.compactions);
	T_ASSERT_EQ(st.objs, 0);
	T_ASSERT(atomic_load_relaxed(&migrated) > 0);
	T_ASSERT(st.pages_migrated == (uint64_t)atomic_load_relaxed(&migrated));
	zs_compact(pool);
	T_ASSERT_EQ(zs_get_total_pages(pool), 0);
	zs_destroy_pool(pool);
	return T_EXIT_PASS;
}
