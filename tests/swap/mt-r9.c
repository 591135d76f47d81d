/*
 * Description: race R9 (design-digest 3): per-entry metadata (tags, as
 * arm64 MTE keeps them per swap entry) must come back with the page even
 * while the entry is shared and freed concurrently. Each round swaps a page
 * out with tags naming it, adds a second owner (fork), and then two threads
 * race: each swaps the page in (checking page and tags belong together) and
 * installs it, or drops its reference without swapping in; meanwhile other
 * threads recycle entries so a freed entry's offset is reused at once. Tags
 * must never be missing or another entry's, and must be freed exactly with
 * the entry (the space ends empty; LeakSanitizer finds no metadata left).
 */
#include <errno.h>
#include <pthread.h>

#include "helpers.h"
#include "swap/swap.h"

#define OWNERS 2

static struct swap_sys *sys;
static _Atomic uint64_t cur;          /* the shared entry of this round */
static _Atomic int round_no, arrived;
static _Atomic int running = 1;
static _Atomic long checked;
static long rounds;

static void make(unsigned char *page, unsigned char *tags, uint64_t id)
{
	t_fill_page(page, 1, id);
	memcpy(page, &id, 8);
	for (int i = 0; i < 32; i++)
		tags[i] = (unsigned char)(id * 31 + (uint64_t)i);
}

static void owner(int me, uint64_t *s)
{
	unsigned char page[4096], tags[SWAP_TAGS_MAX], want_p[4096], want_t[32];
	size_t n = 0;
	enum swapin_from from;
	swp_entry_t e = {atomic_load(&cur)};

	if (t_rand(s) % 3 == 0) { /* this owner goes away without touching the page */
		swap_sys_free(sys, e);
		return;
	}
	int r = swap_in(sys, e, page, tags, &n, &from);
	T_ASSERT_EQ(r, 0); /* we hold a reference: it cannot be gone */
	uint64_t id;
	memcpy(&id, page, 8);
	make(want_p, want_t, id);
	T_ASSERT(!memcmp(page, want_p, 4096));
	T_ASSERT(n == 32 && !memcmp(tags, want_t, 32)); /* restored before anything could free them */
	swap_in_done(sys, e, from, true);
	atomic_fetch_add(&checked, 1);
}

static void *owner_thread(void *arg)
{
	int me = (int)(uintptr_t)arg, seen = 0;
	uint64_t s = (uint64_t)me + 17;

	while (atomic_load(&running)) {
		int r = atomic_load(&round_no);
		if (r == seen) {
			sched_yield();
			continue;
		}
		seen = r;
		owner(me, &s);
		atomic_fetch_add(&arrived, 1);
	}
	return NULL;
}

static void *recycler(void *arg)
{
	unsigned char page[4096], tags[32];
	uint64_t id = 1ull << 40;

	while (atomic_load(&running)) {
		swp_entry_t e;
		make(page, tags, ++id);
		if (swap_out(sys, page, tags, 32, NULL, &e) == 0)
			swap_sys_free(sys, e); /* freed at once: its offset is reused */
	}
	return NULL;
}

int main(void)
{
	struct zswap *z;
	struct swap_backing *b;
	char err[256];
	pthread_t o[OWNERS], rc;
	unsigned char page[4096], tags[32];

	rounds = (long)(2000 * t_scale());
	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.no_shrink_worker = true}, &z, err, sizeof(err)), 0);
	T_ASSERT_EQ(swap_sys_create(z, 64, &sys), 0);
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.size = 64 * 4096}, &b, err, sizeof(err)), 0);
	T_ASSERT(swap_sys_swapon(sys, b) >= 0);
	for (uintptr_t i = 0; i < OWNERS; i++)
		pthread_create(&o[i], NULL, owner_thread, (void *)i);
	pthread_create(&rc, NULL, recycler, NULL);
	for (long k = 1; k <= rounds; k++) {
		swp_entry_t e;
		make(page, tags, (uint64_t)k);
		if (k % 4 == 0)
			zswap_set_enabled(z, false); /* some rounds go to the device */
		int r = swap_out(sys, page, tags, 32, NULL, &e);
		if (r) {
			struct swap_sys_stats x;
			swap_sys_stats(sys, &x);
			fprintf(stderr, "round %ld: swap_out %d, inuse %llu, dev inuse %llu\n", k, r,
				(unsigned long long)x.inuse, (unsigned long long)x.dev[0].inuse_pages);
			exit(1);
		}
		zswap_set_enabled(z, true);
		T_ASSERT_EQ(swap_sys_duplicate(sys, e), 0); /* fork: two owners */
		atomic_store(&cur, e.val);
		atomic_store(&arrived, 0);
		atomic_store(&round_no, (int)k);
		while (atomic_load(&arrived) < OWNERS)
			sched_yield();
	}
	atomic_store(&running, 0);
	for (int i = 0; i < OWNERS; i++)
		pthread_join(o[i], NULL);
	pthread_join(rc, NULL);
	struct swap_sys_stats st;
	swap_sys_stats(sys, &st);
	printf("%ld rounds, %ld swap-ins with their tags checked, %llu entries left\n", rounds,
	       atomic_load(&checked), (unsigned long long)st.inuse);
	T_ASSERT_EQ(st.inuse, 0);
	T_ASSERT(atomic_load(&checked) > rounds);
	zswap_destroy(z);
	swap_sys_destroy(sys);
	swap_backing_close(b);
	return T_EXIT_PASS;
}
