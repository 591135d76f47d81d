/*
 * Description: race R4 (design-digest 3). Store A to a slot; then a store
 * of B to the same slot fails (zswap disabled; B does not compress while
 * writeback is allowed; the pool is at its limit), so B goes to disk;
 * then writeback runs. If the failed store had left A in zswap, writeback
 * would write stale A over B. Each way: the slot's entry is gone, and the
 * disk still holds B.
 */
#include "toyswap.h"

static struct toy toy;

static void make(unsigned char *p, int random, uint64_t v)
{
	t_fill_page(p, random ? 3 : 1, v);
	memcpy(p, &v, 8);
}

/* One round; setup makes the next store fail, undo restores. */
static void round_trip(struct zswap *z, unsigned s, int b_random, void (*setup)(struct zswap *),
		       void (*undo)(struct zswap *), const char *how)
{
	unsigned char a[4096], b[4096], got[4096];

	make(a, 0, 1000 + s);
	make(b, b_random, 2000 + s);
	toy_lock(&toy, s);
	T_ASSERT_EQ(zswap_store(z, swp_entry(0, s), a, NULL), 0);
	setup(z);
	int r = zswap_store(z, swp_entry(0, s), b, NULL);
	T_ASSERT(r != 0);
	memcpy(toy_page(toy.disk, s), b, 4096); /* the swap layer writes B to disk */
	T_ASSERT(!zswap_contains(z, swp_entry(0, s)));
	toy_unlock(&toy, s);
	undo(z);
	zswap_shrink(z, 1000, NULL); /* twice over the LRU: second chances spent */
	zswap_shrink(z, 1000, NULL);
	toy_lock(&toy, s);
	T_ASSERT_EQ(zswap_load(z, swp_entry(0, s), got), -ENOENT);
	T_ASSERT(!memcmp(toy_page(toy.disk, s), b, 4096));
	toy_unlock(&toy, s);
	printf("%s: store failed with %d, old entry erased, disk keeps the new page\n", how, r);
}

static void disable(struct zswap *z) { zswap_set_enabled(z, false); }
static void enable(struct zswap *z) { zswap_set_enabled(z, true); }
static void nothing(struct zswap *z) { (void)z; }
static void limit0(struct zswap *z) { zswap_set_max_pool_percent(z, 0); }
static void limit20(struct zswap *z) { zswap_set_max_pool_percent(z, 20); }

int main(void)
{
	struct zswap *z;
	char err[256];
	struct zswap_stats st;

	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.no_shrink_worker = true}, &z, err, sizeof(err)), 0);
	toy_init(&toy, z, 8);
	round_trip(z, 1, 0, disable, enable, "disabled");
	round_trip(z, 2, 1, nothing, nothing, "incompressible, writeback allowed");
	round_trip(z, 3, 0, limit0, limit20, "pool limit");
	zswap_stats(z, &st);
	T_ASSERT_EQ(st.reject_compress_poor, 1);
	T_ASSERT(st.pool_limit_hit >= 1);
	T_ASSERT_EQ(st.stored_pages, 0);
	T_ASSERT_EQ(st.written_back_pages, 0);
	zswap_destroy(z);
	toy_free(&toy);
	return T_EXIT_PASS;
}
