/*
 * Description: race R11 (design-digest 3). Every slot is stored once;
 * then loaders (load + commit), a freer (invalidate as the slot is freed)
 * and a writeback thread race for the same entries. Each entry must end
 * in exactly one way (loaded, freed, or written back) or still be stored:
 * no double free (ASan), no entry handled twice, and the counters agree
 * with what each side saw. A quarter of the slots belongs to each side
 * alone (so each side provably gets to work whatever the scheduling), and
 * all three race for the last quarter. Writeback may write a slot only
 * while it holds that slot's claim (checked at every write), and what it
 * wrote must be the slot's content.
 */
#include <pthread.h>
#include <unistd.h>

#include "toyswap.h"

#define SLOTS 4000
enum { OUT_NONE, OUT_LOADED, OUT_FREED, OUT_WRITTEN };

static struct toy toy;
static _Atomic int outcome[SLOTS];
static _Atomic int running = 1;
static _Atomic long loaded, freed;
static _Atomic bool wb_holds[SLOTS]; /* writeback holds the slot's claim */

static void settle(unsigned s, int how)
{
	int none = OUT_NONE;
	if (!atomic_compare_exchange_strong(&outcome[s], &none, how)) {
		fprintf(stderr, "slot %u ended twice: %d then %d\n", s, none, how);
		exit(T_EXIT_FAIL);
	}
}

/* Which side may touch slot s: 0 loaders, 1 the freer, 2 writeback, 3 all. */
static bool mine(unsigned s, unsigned side) { return s % 4 == side || s % 4 == 3; }

static int wb_claim(void *arg, swp_entry_t e)
{
	int r;

	if (!mine((unsigned)swp_offset(e), 2))
		return -EEXIST; /* as if hot: writeback skips it */
	if (!(r = toy_claim(arg, e)))
		atomic_store(&wb_holds[swp_offset(e)], true);
	return r;
}

static void wb_write(void *arg, const swp_entry_t *e, void *const *pages, const struct zswap_obj *objs, int n, int *res)
{
	for (int i = 0; i < n; i++) {
		unsigned s = (unsigned)swp_offset(e[i]);
		if (!atomic_load(&wb_holds[s])) {
			fprintf(stderr, "slot %u written back without its claim\n", s);
			exit(T_EXIT_FAIL);
		}
		if (!(res[i] = toy_write_one(arg, e[i], pages[i])))
			settle(s, OUT_WRITTEN);
	}
}

static void wb_release(void *arg, swp_entry_t e, bool written)
{
	atomic_store(&wb_holds[swp_offset(e)], false);
	toy_release(arg, e, written);
}

static void *loader(void *arg)
{
	uint64_t seed = (uintptr_t)arg + 5;
	unsigned char page[4096], want[4096];

	while (atomic_load(&running)) {
		unsigned s = (unsigned)(t_rand(&seed) % SLOTS);
		if (!mine(s, 0))
			continue;
		toy_lock(&toy, s);
		if (zswap_load(toy.z, swp_entry(0, s), page) == 0) {
			toy_content(want, s, 1);
			T_ASSERT(!memcmp(page, want, 4096));
			zswap_load_commit(toy.z, swp_entry(0, s));
			settle(s, OUT_LOADED);
			atomic_fetch_add(&loaded, 1);
		}
		toy_unlock(&toy, s);
	}
	return NULL;
}

static void *freer(void *arg)
{
	uint64_t seed = 77;

	while (atomic_load(&running)) {
		unsigned s = (unsigned)(t_rand(&seed) % SLOTS);
		if (!mine(s, 1))
			continue;
		toy_lock(&toy, s); /* a slot is freed only with no cache page */
		if (zswap_contains(toy.z, swp_entry(0, s))) {
			zswap_invalidate(toy.z, swp_entry(0, s));
			settle(s, OUT_FREED);
			atomic_fetch_add(&freed, 1);
		}
		toy_unlock(&toy, s);
	}
	return NULL;
}

static void *writeback(void *arg)
{
	while (atomic_load(&running))
		zswap_shrink(toy.z, 16, NULL);
	return NULL;
}

int main(void)
{
	struct zswap *z;
	char err[256];
	unsigned char page[4096];
	pthread_t l[2], f, w;
	struct zswap_stats st;

	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.no_shrink_worker = true}, &z, err, sizeof(err)), 0);
	toy_init(&toy, z, SLOTS);
	struct zswap_wb_ops ops = {wb_claim, wb_write, wb_release, &toy};
	zswap_set_writeback_ops(z, &ops);
	for (unsigned s = 0; s < SLOTS; s++) {
		toy_content(page, s, 1);
		T_ASSERT_EQ(zswap_store(z, swp_entry(0, s), page, NULL), 0);
	}
	pthread_create(&w, NULL, writeback, NULL);
	pthread_create(&f, NULL, freer, NULL);
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&l[i], NULL, loader, (void *)i);
	/* Until every entry has its outcome: normally well under a second; no
	 * deadline (a hang is the test runner's timeout, not a slow machine). */
	for (;;) {
		zswap_stats(z, &st);
		if (st.stored_pages == 0)
			break;
		usleep(10000);
	}
	atomic_store(&running, 0);
	pthread_join(w, NULL);
	pthread_join(f, NULL);
	pthread_join(l[0], NULL);
	pthread_join(l[1], NULL);
	zswap_stats(z, &st);
	long written = atomic_load(&toy.written), remaining = 0;
	for (unsigned s = 0; s < SLOTS; s++)
		if (atomic_load(&outcome[s]) == OUT_NONE) {
			T_ASSERT(zswap_contains(z, swp_entry(0, s)));
			remaining++;
		} else {
			T_ASSERT(!zswap_contains(z, swp_entry(0, s)));
		}
	for (unsigned s = 0; s < SLOTS; s++) /* what went to the disk is the slot's content */
		if (atomic_load(&outcome[s]) == OUT_WRITTEN) {
			toy_content(page, s, 1);
			T_ASSERT(!memcmp(toy_page(toy.disk, s), page, 4096));
		}
	printf("%d entries: %ld loaded, %ld freed, %ld written back, %ld still stored\n", SLOTS,
	       atomic_load(&loaded), atomic_load(&freed), written, remaining);
	T_ASSERT_EQ(atomic_load(&loaded) + atomic_load(&freed) + written + remaining, SLOTS);
	T_ASSERT_EQ(st.written_back_pages, written);
	T_ASSERT_EQ(st.stored_pages, remaining);
	T_ASSERT_EQ(remaining, 0);
	/* Every outcome happened often enough that the three really raced (a
	 * quarter each was the usual split; a busy machine skews it). */
	T_ASSERT(atomic_load(&loaded) >= SLOTS / 20 && atomic_load(&freed) >= SLOTS / 20 && written >= SLOTS / 20);
	zswap_destroy(z);
	toy_free(&toy);
	return T_EXIT_PASS;
}
