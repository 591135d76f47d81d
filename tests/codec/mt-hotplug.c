/*
 * Description: race R5 (design-digest 2.7). More threads than CPUs
 * compress and decompress pages, each thread hopping between simulated
 * CPUs (pcpu_set_override) so contexts are shared and "migrated" mid-use,
 * while a hotplug thread takes CPUs offline and online. Contexts live
 * until the pool is destroyed, so no thread ever touches freed state
 * (ASan/TSan) and every page round-trips exactly. Runs for every backend.
 */
#include <pthread.h>

#include "codec/codec.h"
#include "helpers.h"

#define THREADS 6

static struct codec_pool *pool;
static long iters;
static _Atomic int running;
static _Atomic long toggles;

static void *worker(void *arg)
{
	uint64_t s = (uintptr_t)arg * 7 + 3;
	unsigned char *page = malloc(PAGE_SIZE), *out = malloc(CODEC_MAX_OUT), *back = malloc(PAGE_SIZE);
	unsigned nr = pcpu_nr_possible();

	for (long i = 0; i < iters; i++) {
		/* Pretend to run on some CPU; half the time, switch mid-way. */
		pcpu_set_override((int)(t_rand(&s) % (nr + 2)));
		t_fill_page(page, (int)(t_rand(&s) % 5), t_rand(&s));
		int n = codec_compress(pool, page, out, CODEC_MAX_OUT);
		T_ASSERT(n > 0);
		if (i % 2)
			pcpu_set_override((int)(t_rand(&s) % nr));
		T_ASSERT_EQ(codec_decompress(pool, out, (size_t)n, back), 0);
		T_ASSERT(!memcmp(page, back, PAGE_SIZE));
	}
	pcpu_set_override(-1);
	free(page);
	free(out);
	free(back);
	return NULL;
}

static void *hotplug(void *arg)
{
	uint64_t s = 77;
	unsigned nr = pcpu_nr_possible();

	while (atomic_load_relaxed(&running)) {
		unsigned cpu = (unsigned)(t_rand(&s) % nr);
		codec_cpu_offline(pool, cpu);
		codec_cpu_online(pool, cpu);
		atomic_add_relaxed(&toggles, 1);
	}
	return NULL;
}

int main(void)
{
	const char *specs[] = {"lz4", "zstd", "deflate", "lzo", "lz4hc:3"};
	char err[256];

	iters = (long)(6000 * t_scale());
	for (size_t k = 0; k < ARRAY_SIZE(specs); k++) {
		pthread_t t[THREADS], hp;
		T_ASSERT_EQ(codec_pool_create(specs[k], &pool, err, sizeof(err)), 0);
		atomic_store_relaxed(&running, 1);
		atomic_store_relaxed(&toggles, 0);
		pthread_create(&hp, NULL, hotplug, NULL);
		for (uintptr_t i = 0; i < THREADS; i++)
			pthread_create(&t[i], NULL, worker, (void *)i);
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		atomic_store_relaxed(&running, 0);
		pthread_join(hp, NULL);
		printf("%s: %d threads x %ld pages verified, %ld offline/online toggles\n", specs[k], THREADS, iters,
		       atomic_load_relaxed(&toggles));
		T_ASSERT(atomic_load_relaxed(&toggles) > 0);
		codec_pool_destroy(pool);
	}
	return T_EXIT_PASS;
}
