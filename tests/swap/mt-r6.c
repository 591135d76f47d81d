/*
 * Description: race R6 (design-digest 3), the synchronous swap-in shortcut
 * made safe. A small "region" of pages, each either resident (with a
 * version) or swapped out to an entry in its page-table slot. An evictor
 * writes new versions and swaps pages out through a tiny device (so
 * entries and slots are recycled constantly); several faulting threads
 * swap the same pages in at once and install them only if the page table
 * still holds the entry they read. swap_in holds the entry's claim from
 * before the read until swap_in_done, so the ABA of R6 (another thread
 * installs and frees the entry, the page is swapped out again reusing it,
 * and the first thread installs stale data) cannot happen: every install
 * must carry the page's latest version.
 */
#include <errno.h>
#include <pthread.h>

#include "helpers.h"
#include "swap/swap.h"

#define PAGES 8
#define FAULTERS 3

static struct swap_sys *sys;
static mutex_t lock[PAGES];        /* the page-table lock of each page */
static _Atomic uint64_t pte[PAGES]; /* 0 = resident, else the entry value */
static uint64_t version[PAGES];     /* lock: latest content written */
static unsigned char mem[PAGES][4096]; /* lock: resident content */
static _Atomic int running = 1;
static _Atomic long installs, lost_races, outs;

static void stamp(unsigned char *p, unsigned i, uint64_t v)
{
	t_fill_page(p, 1 + (int)(v % 3), i * 100003ull + v);
	memcpy(p, &v, 8);
}

static void *faulter(void *arg)
{
	uint64_t s = (uintptr_t)arg + 1;
	unsigned char page[4096];
	enum swapin_from from;

	while (atomic_load(&running)) {
		unsigned i = (unsigned)(t_rand(&s) % PAGES);
		swp_entry_t e = {atomic_load(&pte[i])};
		if (!e.val)
			continue; /* resident */
		int r = swap_in(sys, e, page, NULL, NULL, &from);
		if (r == -ENOENT)
			continue; /* freed meanwhile: refault */
		T_ASSERT_EQ(r, 0);
		if (t_rand(&s) % 2) /* a slow faulter (as after a disk read): the window of R6 */
			for (int y = 0; y < 3; y++)
				sched_yield();
		mutex_lock(&lock[i]);
		bool ok = atomic_load(&pte[i]) == e.val; /* "PTE still == E" */
		if (ok) {
			uint64_t v;
			memcpy(&v, page, 8);
			T_ASSERT(v == version[i]); /* never older than the last write */
			memcpy(mem[i], page, 4096);
			atomic_store(&pte[i], 0);
			atomic_fetch_add(&installs, 1);
		} else {
			atomic_fetch_add(&lost_races, 1);
		}
		swap_in_done(sys, e, from, ok);
		mutex_unlock(&lock[i]);
	}
	return NULL;
}

static void *evictor(void *arg)
{
	uint64_t s = 99;
	long n = (long)(20000 * t_scale());

	/* No deadline: a run that cannot finish is a hang, which the test
	 * runner's timeout reports; a busy machine only makes it slower. */
	while (atomic_load(&outs) < n) {
		unsigned i = (unsigned)(t_rand(&s) % PAGES);
		if (atomic_load(&pte[i])) {
			sched_yield(); /* swapped out: leave it to the faulters */
			continue;
		}
		mutex_lock(&lock[i]);
		if (!atomic_load(&pte[i])) {
			stamp(mem[i], i, ++version[i]); /* the application writes */
			swp_entry_t e;
			if (swap_out(sys, mem[i], NULL, 0, NULL, &e) == 0) {
				atomic_store(&pte[i], e.val);
				atomic_fetch_add(&outs, 1);
			}
		}
		mutex_unlock(&lock[i]);
	}
	atomic_store(&running, 0);
	return NULL;
}

int main(void)
{
	struct swap_backing *b;
	char err[256];
	pthread_t f[FAULTERS], ev;

	/* Barely more entries than pages: a freed entry is reused at once, the
	 * condition for R6's ABA. */
	T_ASSERT_EQ(swap_sys_create(NULL, PAGES + 2, &sys), 0);
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.size = 12 * 4096}, &b, err, sizeof(err)), 0);
	T_ASSERT(swap_sys_swapon(sys, b) >= 0);
	for (unsigned i = 0; i < PAGES; i++) {
		mutex_init(&lock[i]);
		stamp(mem[i], i, 0);
	}
	for (uintptr_t t = 0; t < FAULTERS; t++)
		pthread_create(&f[t], NULL, faulter, (void *)t);
	pthread_create(&ev, NULL, evictor, NULL);
	pthread_join(ev, NULL);
	for (int t = 0; t < FAULTERS; t++)
		pthread_join(f[t], NULL);
	/* Bring everything back and check the final versions. */
	for (unsigned i = 0; i < PAGES; i++) {
		swp_entry_t e = {atomic_load(&pte[i])};
		unsigned char page[4096];
		enum swapin_from from;
		if (e.val) {
			T_ASSERT_EQ(swap_in(sys, e, page, NULL, NULL, &from), 0);
			swap_in_done(sys, e, from, true);
			memcpy(mem[i], page, 4096);
		}
		uint64_t v;
		memcpy(&v, mem[i], 8);
		T_ASSERT(v == version[i]);
	}
	struct swap_sys_stats st;
	swap_sys_stats(sys, &st);
	printf("%ld swap-outs, %ld installs, %ld lost races (install refused), entries left %llu\n",
	       atomic_load(&outs), atomic_load(&installs), atomic_load(&lost_races), (unsigned long long)st.inuse);
	T_ASSERT_EQ(st.inuse, 0);
	T_ASSERT(atomic_load(&installs) > 0 && atomic_load(&lost_races) > 0);
	swap_sys_destroy(sys);
	swap_backing_close(b);
	return T_EXIT_PASS;
}
