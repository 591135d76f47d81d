/*
 * race.h - the workload of zswap's race tests (mt-r2, mt-recompress,
 * mt-dedup): THREADS threads store new versions, load (installing or not)
 * and invalidate a small set of slots, each under the slot's claim, while a
 * writeback thread (and the test's own extra thread) works on the same
 * entries. Every load, from zswap, disk or memory, must return the last
 * content stored to the slot. race_content makes a version's content
 * (toy_content unless the test sets another).
 */
#ifndef RACE_H
#define RACE_H

#include <pthread.h>

#include "toyswap.h"

#define SLOTS 64
#define THREADS 3

static struct toy toy;
static long iters;
static _Atomic int running = 1;
static void (*race_content)(unsigned char *page, unsigned s, uint64_t v) = toy_content;

static void check_slot(unsigned s, const unsigned char *got)
{
	unsigned char want[4096];
	race_content(want, s, toy.ver[s]);
	if (memcmp(want, got, 4096)) {
		fprintf(stderr, "slot %u: version %llu reads wrong\n", s, (unsigned long long)toy.ver[s]);
		exit(T_EXIT_FAIL);
	}
}

static void op(unsigned s, unsigned what, uint64_t *seed)
{
	unsigned char page[4096];

	switch (what) {
	case 0: /* swap out a new version */
		toy.ver[s]++;
		race_content(page, s, toy.ver[s]);
		if (zswap_store(toy.z, swp_entry(0, s), page, NULL) == 0) {
			toy.where[s] = AT_ZSWAP;
		} else {
			memcpy(toy_page(toy.disk, s), page, 4096);
			toy.where[s] = AT_DISK;
		}
		break;
	case 1: /* swap in */
		if (toy.where[s] == AT_ZSWAP) {
			T_ASSERT_EQ(zswap_load(toy.z, swp_entry(0, s), page), 0);
			check_slot(s, page);
			if (t_rand(seed) % 4) { /* installed: the memory copy is authoritative */
				memcpy(toy_page(toy.mem, s), page, 4096);
				zswap_load_commit(toy.z, swp_entry(0, s));
				toy.where[s] = AT_MEM;
			}
		} else if (toy.where[s] == AT_DISK) {
			T_ASSERT(!zswap_contains(toy.z, swp_entry(0, s)));
			check_slot(s, toy_page(toy.disk, s));
		} else if (toy.where[s] == AT_MEM) {
			check_slot(s, toy_page(toy.mem, s));
		}
		break;
	default: /* the slot is freed */
		zswap_invalidate(toy.z, swp_entry(0, s));
		T_ASSERT(!zswap_contains(toy.z, swp_entry(0, s)));
		toy.where[s] = AT_NONE;
	}
}

static void *race_worker(void *arg)
{
	uint64_t seed = (uintptr_t)arg + 11;

	for (long i = 0; i < iters; i++) {
		unsigned s = (unsigned)(t_rand(&seed) % SLOTS), r = (unsigned)(t_rand(&seed) % 10);
		toy_lock(&toy, s);
		op(s, r < 5 ? 0 : r < 9 ? 1 : 2, &seed);
		toy_unlock(&toy, s);
	}
	return NULL;
}

static long race_wb_batch = 8;

static void *race_writeback(void *arg)
{
	while (atomic_load(&running))
		zswap_shrink(toy.z, race_wb_batch, NULL);
	return NULL;
}

static long race_rc_batch = 8;

/* An extra thread for race_run: recompression of every entry (age 0). */
static inline void *race_recompressor(void *arg)
{
	while (atomic_load(&running))
		zswap_recompress(toy.z, race_rc_batch, 0);
	return NULL;
}

/* Run the workers against writeback and extra (NULL: none) on z. */
static void race_run(struct zswap *z, void *(*extra)(void *))
{
	pthread_t t[THREADS], wb, ex;

	iters = (long)(100000 * t_scale());
	toy_init(&toy, z, SLOTS);
	pthread_create(&wb, NULL, race_writeback, NULL);
	if (extra)
		pthread_create(&ex, NULL, extra, NULL);
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, race_worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&running, 0);
	pthread_join(wb, NULL);
	if (extra)
		pthread_join(ex, NULL);
}

/* Every slot read back (and checked) once more. */
static void race_read_all(void)
{
	for (unsigned s = 0; s < SLOTS; s++) {
		uint64_t seed = s;
		op(s, 1, &seed);
	}
}

#endif
