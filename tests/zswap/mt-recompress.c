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
#include <pthread.h>

#include "toyswap.h"

#define SLOTS 64
#define THREADS 3

static struct toy toy;
static long iters;
static _Atomic int running = 1;

static void check_slot(unsigned s, const unsigned char *got)
{
	unsigned char want[4096];
	toy_content(want, s, toy.ver[s]);
	if (memcmp(want, got, 4096)) {
		uint64_t v;
		memcpy(&v, got, 8);
		fprintf(stderr, "slot %u: expected version %llu, read %llu\n", s, (unsigned long long)toy.ver[s],
			(unsigned long long)v);
		exit(T_EXIT_FAIL);
	}
}

static void op(unsigned s, unsigned what, uint64_t *seed)
{
	unsigned char page[4096];

	switch (what) {
	case 0: /* swap out a new version */
		toy.ver[s]++;
		toy_content(page, s, toy.ver[s]);
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

static void *worker(void *arg)
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

static void *writeback(void *arg)
{
	while (atomic_load(&running))
		zswap_shrink(toy.z, 2, NULL);
	return NULL;
}

static void *recompressor(void *arg)
{
	while (atomic_load(&running))
		zswap_recompress(toy.z, 8, 0);
	return NULL;
}

int main(void)
{
	struct zswap *z;
	char err[256];
	pthread_t t[THREADS], wb, rc;
	struct zswap_stats st;

	iters = (long)(100000 * t_scale());
	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.no_shrink_worker = true, .recompress_codec = "zstd:3"}, &z,
				 err, sizeof(err)), 0);
	toy_init(&toy, z, SLOTS);
	pthread_create(&wb, NULL, writeback, NULL);
	pthread_create(&rc, NULL, recompressor, NULL);
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&running, 0);
	pthread_join(wb, NULL);
	pthread_join(rc, NULL);
	long last = zswap_recompress(z, SLOTS, 0);
	for (unsigned s = 0; s < SLOTS; s++) {
		uint64_t seed = s;
		op(s, 1, &seed);
	}
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
