/*
 * Description: concurrent insert, erase and lookup on one radix tree.
 * Each writer owns a stripe of keys and checks that lookups of its own
 * keys always return exactly what it last stored; readers look up random
 * keys and check that any value they see belongs to that key (no torn or
 * misplaced values while nodes are added and the tree grows). Run under
 * TSan in `make check`.
 */
#include <pthread.h>

#include "base/base.h"
#include "helpers.h"

#define WRITERS 3
#define READERS 3

static struct rtree *tree;
static long iters;
static _Atomic int writers_done;

/* A value encodes its key and a version so readers can check it. */
static void *val(uint64_t k, uint64_t ver) { return (void *)(uintptr_t)(((k & 0xffffff) << 20) | ((ver & 0x7ffff) << 1) | 1); }
static uint64_t key_of(void *v) { return ((uintptr_t)v >> 20) & 0xffffff; }

static uint64_t key_space(void) { return 1u << 18; }

static void *writer(void *arg)
{
	uint64_t id = (uintptr_t)arg, s = id + 1;
	uint64_t *ver = calloc(key_space(), sizeof(*ver));

	for (long i = 0; i < iters; i++) {
		/* Keys of this writer: k % WRITERS == id; spread, some far apart to grow the tree. */
		uint64_t k = (t_rand(&s) % (key_space() / WRITERS)) * WRITERS + id;
		uint64_t stored_key = (i % 1000 == 999) ? k | (1ull << 40) : k;
		if (t_rand(&s) % 3 == 0) {
			void *old = rtree_erase(tree, stored_key);
			T_ASSERT(old == NULL || key_of(old) == (stored_key & 0xffffff));
			if (stored_key == k) {
				T_ASSERT(old == (ver[k] ? val(k, ver[k]) : NULL));
				ver[k] = 0;
			}
		} else {
			void *v = val(stored_key, i + 1), *old;
			T_ASSERT_EQ(rtree_store(tree, stored_key, v, &old), 0);
			if (stored_key == k) {
				T_ASSERT(old == (ver[k] ? val(k, ver[k]) : NULL));
				ver[k] = (uint64_t)i + 1;
			}
		}
		if (stored_key == k)
			T_ASSERT(rtree_lookup(tree, k) == (ver[k] ? val(k, ver[k]) : NULL));
	}
	free(ver);
	atomic_add_relaxed(&writers_done, 1);
	return NULL;
}

static void *reader(void *arg)
{
	uint64_t s = (uintptr_t)arg + 100, found = 0;

	while (atomic_load_relaxed(&writers_done) < WRITERS) {
		uint64_t k = t_rand(&s) % key_space();
		void *v = rtree_lookup(tree, k);
		if (v) {
			T_ASSERT(key_of(v) == k);
			found++;
		}
		uint64_t from = k, n = 0;
		for (void *w; n < 8 && (w = rtree_find_next(tree, &from)); from++, n++)
			T_ASSERT(key_of(w) == (from & 0xffffff));
	}
	return (void *)(uintptr_t)found;
}

int main(void)
{
	pthread_t w[WRITERS], r[READERS];

	iters = (long)(400000 * t_scale());
	tree = rtree_create();
	for (uintptr_t i = 0; i < WRITERS; i++)
		pthread_create(&w[i], NULL, writer, (void *)i);
	for (uintptr_t i = 0; i < READERS; i++)
		pthread_create(&r[i], NULL, reader, (void *)i);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);
	uint64_t k = 0, n = 0;
	while (rtree_find_next(tree, &k)) {
		n++;
		if (++k == 0)
			break;
	}
	T_ASSERT_EQ(n, rtree_count(tree));
	rtree_destroy(tree);
	return T_EXIT_PASS;
}
