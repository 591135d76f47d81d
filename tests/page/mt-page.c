/*
 * Description: several threads (more than CPUs) allocate, write, verify
 * and free pages concurrently while another thread trims: no page is ever
 * handed to two owners (each owner stamps its page and re-checks the stamp
 * before freeing), and the accounting identity holds at the end.
 */
#include <pthread.h>

#include "base/base.h"
#include "helpers.h"
#include "page/page.h"

#define THREADS 5
#define HELD 200

static struct pg_pool *pool;
static long iters;
static _Atomic int done;

static void stamp(void *page, uint64_t v)
{
	uint64_t *w = page;
	w[0] = v;
	w[PAGE_SIZE / 8 - 1] = ~v;
}

static void check(void *page, uint64_t v)
{
	uint64_t *w = page;
	T_ASSERT(w[0] == v && w[PAGE_SIZE / 8 - 1] == ~v);
}

static void *worker(void *arg)
{
	uint64_t s = (uintptr_t)arg + 1, tag = (uintptr_t)arg << 32;
	void *held[HELD] = {0};
	uint64_t ver[HELD] = {0};

	for (long i = 0; i < iters; i++) {
		unsigned k = (unsigned)(t_rand(&s) % HELD);
		if (held[k]) {
			check(held[k], ver[k]);
			pg_free(pool, held[k]);
			held[k] = NULL;
		} else if ((held[k] = pg_alloc(pool))) {
			ver[k] = tag | (uint64_t)i;
			stamp(held[k], ver[k]);
		}
	}
	for (int k = 0; k < HELD; k++)
		if (held[k]) {
			check(held[k], ver[k]);
			pg_free(pool, held[k]);
		}
	return NULL;
}

static void *trimmer(void *arg)
{
	while (!atomic_load_relaxed(&done)) {
		pg_trim(pool, false);
		struct pg_stats st;
		pg_stats(pool, &st);
		T_ASSERT_EQ(pg_validate(pool), 0); /* the equation holds page by page while others run */
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS], tr;
	struct pg_stats st;

	iters = (long)(300000 * t_scale());
	T_ASSERT_EQ(pg_pool_create(&(struct pg_config){.free_watermark = 64 * PAGE_SIZE}, &pool), 0);
	pthread_create(&tr, NULL, trimmer, NULL);
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	atomic_store_relaxed(&done, 1);
	pthread_join(tr, NULL);
	pg_stats(pool, &st);
	T_ASSERT_EQ(st.used_pages, 0);
	T_ASSERT_EQ(st.chunks * PG_PER_CHUNK, st.used_pages + st.free_pages + st.released_pages);
	T_ASSERT_EQ(pg_validate(pool), 0);
	pg_pool_destroy(pool);
	return T_EXIT_PASS;
}
