/*
 * Description: entries under concurrency. Threads allocate entries, add
 * and drop owners (as fork and exit would), and take and release the
 * HAS_CACHE claim on entries other threads own, all at once. Every entry
 * must be freed exactly once per allocation (the free callback checks
 * the generation of the offset), never while a reference or a claim is
 * held (the holder checks its entry's count after each step), and the
 * space must end empty. Run under TSan.
 */
#include <errno.h>
#include <pthread.h>

#include "helpers.h"
#include "swap/swap.h"

#define THREADS 4
#define MAXE 8192
#define HELD 64

static struct swap_space *sp;
static _Atomic int live[MAXE];      /* 1 while allocated and not yet freed */
static _Atomic long frees, allocs;
static _Atomic swp_entry_t shared[THREADS * HELD];
static long iters;

static void on_free(void *arg, swp_entry_t e)
{
	int one = 1;
	if (!atomic_compare_exchange_strong(&live[swp_offset(e)], &one, 0)) {
		fprintf(stderr, "entry %llu freed twice\n", (unsigned long long)swp_offset(e));
		exit(T_EXIT_FAIL);
	}
	atomic_fetch_add(&frees, 1);
}

static void *worker(void *arg)
{
	int id = (int)(uintptr_t)arg;
	uint64_t s = (uint64_t)id * 77 + 5;
	swp_entry_t held[HELD] = {{0}};
	int refs[HELD] = {0};

	for (long i = 0; i < iters; i++) {
		int k = (int)(t_rand(&s) % HELD);
		unsigned r = (unsigned)(t_rand(&s) % 8);
		if (!held[k].val) {
			if (swap_alloc(sp, &held[k]) == 0) {
				int zero = 0;
				T_ASSERT(atomic_compare_exchange_strong(&live[swp_offset(held[k])], &zero, 1));
				atomic_fetch_add(&allocs, 1);
				swapcache_clear(sp, held[k]);
				refs[k] = 1;
				atomic_store(&shared[id * HELD + k], held[k]);
			}
		} else if (r < 2) { /* fork: one more owner */
			T_ASSERT_EQ(swap_count_dup(sp, held[k]), 0);
			refs[k]++;
		} else if (r < 6) { /* an owner goes */
			if (refs[k] == 1)
				atomic_store(&shared[id * HELD + k], (swp_entry_t){0});
			swap_count_put(sp, held[k]);
			if (--refs[k] == 0)
				held[k].val = 0;
		} else { /* claim someone's entry, as a swap-in would */
			swp_entry_t e = atomic_load(&shared[t_rand(&s) % (THREADS * HELD)]);
			if (e.val && swapcache_prepare(sp, e) == 0) {
				T_ASSERT(atomic_load(&live[swp_offset(e)]) == 1);
				swapcache_clear(sp, e);
			}
		}
		if (held[k].val)
			T_ASSERT(atomic_load(&live[swp_offset(held[k])]) == 1 && swap_count(sp, held[k]) >= 1);
	}
	for (int k = 0; k < HELD; k++) {
		if (held[k].val)
			atomic_store(&shared[id * HELD + k], (swp_entry_t){0});
		while (refs[k]-- > 0)
			swap_count_put(sp, held[k]);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	struct swap_space_stats st;

	iters = (long)(300000 * t_scale());
	T_ASSERT_EQ(swap_space_create(&(struct swap_space_config){.max_entries = MAXE, .on_free = on_free}, &sp), 0);
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	T_ASSERT_EQ(swap_space_validate(sp), 0); /* cluster by cluster, while the workers run */
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	T_ASSERT_EQ(swap_space_validate(sp), 0);
	swap_space_stats(sp, &st);
	printf("%ld allocations, %ld frees, %llu in use at the end\n", atomic_load(&allocs), atomic_load(&frees),
	       (unsigned long long)st.inuse);
	T_ASSERT_EQ(st.inuse, 0);
	T_ASSERT_EQ(atomic_load(&allocs), atomic_load(&frees));
	swap_space_destroy(sp);
	return T_EXIT_PASS;
}
