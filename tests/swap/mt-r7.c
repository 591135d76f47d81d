/*
 * Description: race R7 (design-digest 3): swap-cache lookups are hints.
 * Recyclers keep claiming entries, adding a page stamped with its entry,
 * deleting it, freeing the entry and allocating again (so entries and
 * pages are reused, the ABA of R7); lookers look entries up, take the page
 * lock and validate. A looker that accepts a page must always find it
 * stamped with the entry it looked up (a lookup trusted without validation
 * would install another entry's data); the test also checks that stale
 * hints did occur and were caught, so the race was exercised.
 */
#include <errno.h>
#include <pthread.h>

#include "helpers.h"
#include "swap/swap.h"

#define RECYCLERS 2
#define LOOKERS 2
#define NE 64

static struct swap_space *sp;
static struct swap_cache *cache;
static _Atomic uint64_t recent[NE]; /* entries recyclers touched lately */
static _Atomic int running = 1;
static _Atomic long accepted, stale, misses;
static long iters;

static void *recycler(void *arg)
{
	uint64_t s = (uintptr_t)arg + 3;

	for (long i = 0; i < iters; i++) {
		swp_entry_t e;
		if (swap_alloc(sp, &e)) /* claim held: count 1 + HAS_CACHE */
			continue;
		atomic_store(&recent[t_rand(&s) % NE], e.val);
		struct swap_page *p = swap_page_alloc(cache);
		T_ASSERT(p);
		mutex_lock(&p->lock);
		memcpy(p->data, &e.val, 8); /* the stamp: whose data this is */
		atomic_store(&p->uptodate, true);
		T_ASSERT_EQ(swap_cache_add(cache, e, p), 0);
		mutex_unlock(&p->lock);
		sched_yield(); /* let lookers find it */
		mutex_lock(&p->lock);
		swap_cache_del(cache, p);
		mutex_unlock(&p->lock);
		swap_page_put(cache, p);
		swapcache_clear(sp, e);
		swap_count_put(sp, e); /* freed: the offset and the page get reused */
	}
	return NULL;
}

static void *looker(void *arg)
{
	uint64_t s = (uintptr_t)arg + 99;

	while (atomic_load(&running)) {
		swp_entry_t e = {atomic_load(&recent[t_rand(&s) % NE])};
		if (!e.val)
			continue;
		struct swap_page *p = swap_cache_lookup(cache, e);
		if (!p) {
			atomic_fetch_add(&misses, 1);
			continue;
		}
		if (swap_page_lock_valid(p, e)) {
			uint64_t stamp;
			memcpy(&stamp, p->data, 8);
			T_ASSERT(stamp == e.val); /* never another entry's page */
			atomic_fetch_add(&accepted, 1);
			mutex_unlock(&p->lock);
		} else {
			atomic_fetch_add(&stale, 1);
		}
		swap_page_put(cache, p);
	}
	return NULL;
}

int main(void)
{
	pthread_t r[RECYCLERS], l[LOOKERS];

	iters = (long)(200000 * t_scale());
	T_ASSERT_EQ(swap_space_create(&(struct swap_space_config){.max_entries = 256}, &sp), 0);
	T_ASSERT_EQ(swap_cache_create(&cache), 0);
	for (uintptr_t i = 0; i < LOOKERS; i++)
		pthread_create(&l[i], NULL, looker, (void *)i);
	for (uintptr_t i = 0; i < RECYCLERS; i++)
		pthread_create(&r[i], NULL, recycler, (void *)i);
	for (int i = 0; i < RECYCLERS; i++)
		pthread_join(r[i], NULL);
	atomic_store(&running, 0);
	for (int i = 0; i < LOOKERS; i++)
		pthread_join(l[i], NULL);
	printf("%ld validated hits, %ld stale hints caught, %ld misses\n", atomic_load(&accepted), atomic_load(&stale),
	       atomic_load(&misses));
	T_ASSERT(atomic_load(&accepted) > 0);
	T_ASSERT(atomic_load(&stale) > 0); /* the race happened (thousands a run here) and was caught */
	T_ASSERT_EQ(swap_cache_pages(cache), 0);
	swap_cache_destroy(cache);
	swap_space_destroy(sp);
	return T_EXIT_PASS;
}
