/*
 * Description: race R3 (design-digest 3) with two threads: never drop the
 * authoritative copy before the page is installed. Every entry has two
 * owners (as after fork) and both swap it in at the same time; one of
 * them fails its first install (its page table changed, say) and reports
 * it, then swaps the entry in again. The failed install must leave the
 * data where it was: every swap-in of every entry returns the entry's
 * content, from zswap and from a device, and once both owners have
 * installed it the entry and all its copies are gone.
 */
#include <errno.h>
#include <pthread.h>

#include "helpers.h"
#include "swap/swap.h"

static struct swap_sys *sys;
static swp_entry_t *ent;
static unsigned nr;
static pthread_barrier_t start;
static _Atomic long refused, retried_ok;

static void content(unsigned char *p, unsigned i)
{
	t_fill_page(p, 1 + (int)(i % 2), i * 7919ull + 3);
	memcpy(p, &i, sizeof(i));
}

/* Swap e in and check it is entry i's page. */
static enum swapin_from swap_in_checked(swp_entry_t e, unsigned i, unsigned char *page)
{
	unsigned char want[4096];
	enum swapin_from from;
	int r = swap_in(sys, e, page, NULL, NULL, &from);

	if (r) {
		fprintf(stderr, "entry %u: swap_in failed (%d): its data went before an install\n", i, r);
		exit(T_EXIT_FAIL);
	}
	content(want, i);
	T_ASSERT(!memcmp(page, want, 4096));
	return from;
}

/* Owner who: installs every entry; owner 0 refuses its first install of
 * every other entry and swaps it in again. */
static void *owner(void *arg)
{
	unsigned who = (unsigned)(uintptr_t)arg;
	unsigned char page[4096];

	pthread_barrier_wait(&start);
	for (unsigned i = 0; i < nr; i++) {
		enum swapin_from from = swap_in_checked(ent[i], i, page);
		if (who == 0 && i % 2 == 0) {
			swap_in_done(sys, ent[i], from, false); /* install failed: keep the data */
			atomic_fetch_add(&refused, 1);
			sched_yield(); /* let the other owner take it meanwhile */
			from = swap_in_checked(ent[i], i, page);
			atomic_fetch_add(&retried_ok, 1);
		}
		swap_in_done(sys, ent[i], from, true);
	}
	return NULL;
}

static void run(struct zswap *z, const char *what)
{
	struct swap_backing *b;
	struct swap_sys_stats st;
	char err[256];
	unsigned char page[4096];
	pthread_t t[2];

	T_ASSERT_EQ(swap_sys_create(z, 2 * nr + 64, &sys), 0);
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.size = (nr + 64) * 4096ull}, &b, err,
				      sizeof(err)), 0);
	T_ASSERT(swap_sys_swapon(sys, b) >= 0);
	for (unsigned i = 0; i < nr; i++) {
		content(page, i);
		T_ASSERT_EQ(swap_out(sys, page, NULL, 0, NULL, &ent[i]), 0);
		T_ASSERT_EQ(swap_sys_duplicate(sys, ent[i]), 0); /* the second owner */
	}
	atomic_store(&refused, 0);
	atomic_store(&retried_ok, 0);
	pthread_barrier_init(&start, NULL, 2);
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, owner, (void *)i);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	swap_sys_stats(sys, &st);
	printf("%s: %u entries, %ld installs refused and retried, pswpin %llu, entries left %llu\n", what, nr,
	       atomic_load(&refused), (unsigned long long)st.pswpin, (unsigned long long)st.inuse);
	T_ASSERT_EQ(atomic_load(&retried_ok), atomic_load(&refused));
	T_ASSERT_EQ(st.inuse, 0);
	T_ASSERT_EQ(swap_backing_inuse(b), 0);
	if (z) {
		struct zswap_stats zs;
		zswap_stats(z, &zs);
		T_ASSERT_EQ(zs.stored_pages, 0);
	} else {
		T_ASSERT(st.pswpin >= 2 * nr); /* every swap-in read the device */
	}
	swap_sys_destroy(sys);
	swap_backing_close(b);
}

int main(void)
{
	struct zswap *z;
	char err[256];

	nr = (unsigned)(4000 * t_scale());
	ent = calloc(nr, sizeof(*ent));
	T_ASSERT(ent);
	run(NULL, "device");
	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.budget = 64u << 20, .max_pool_percent = 100,
							.no_shrink_worker = true},
				 &z, err, sizeof(err)), 0);
	run(z, "zswap");
	zswap_destroy(z);
	free(ent);
	return T_EXIT_PASS;
}
