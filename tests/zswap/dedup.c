/*
 * Description: same-page merging (dedup=on), exactly.
 * 1. Three slots store the same page: one object, two sharers
 *    (dedup_pages 2, dedup_saved_bytes twice its length, the pool grows by
 *    one object); for each of the six orders, the sharers are freed one by
 *    one (by invalidation, or by load + commit), the others still read
 *    right after each, and at the end the counters and the pool are back
 *    where they started.
 * 2. Different pages stay apart, and a changed slot leaves the sharing.
 * 3. A hash collision, forced by the test hook (the hash is the page's
 *    first word): two pages alike in their first word but not the rest are
 *    stored and loaded exactly, and the collision is counted.
 * 4. Writeback skips an entry while others share its object, and writes it
 *    back (exactly) once it is the last sharer.
 */
#include "toyswap.h"

static struct toy toy;
static unsigned char page[3][4096], back[4096];

static void set_page(unsigned char *p, uint64_t seed, uint64_t first)
{
	t_fill_page(p, 1, seed);
	memcpy(p, &first, 8);
}

static void store(unsigned s, const unsigned char *p)
{
	T_ASSERT_EQ(zswap_store(toy.z, swp_entry(0, s), p, NULL), 0);
}

static void reads(unsigned s, const unsigned char *p)
{
	T_ASSERT_EQ(zswap_load(toy.z, swp_entry(0, s), back), 0);
	T_ASSERT(!memcmp(back, p, 4096));
}

static struct zswap_stats stats(void)
{
	struct zswap_stats st;

	zswap_flush(toy.z);
	zswap_stats(toy.z, &st);
	return st;
}

/* 1: three sharers freed in order ord (loads commit odd steps). */
static void sharers(const int ord[3])
{
	struct zswap_stats st0 = stats();

	for (unsigned s = 0; s < 3; s++)
		store(s, page[0]);
	struct zswap_stats st = stats();
	T_ASSERT_EQ(st.dedup_pages - st0.dedup_pages, 2);
	T_ASSERT_EQ(st.stored_pages - st0.stored_pages, 3);
	uint64_t len = (st.stored_bytes - st0.stored_bytes) / 3;
	T_ASSERT_EQ(st.dedup_saved_bytes - st0.dedup_saved_bytes, 2 * len);
	for (int k = 0; k < 3; k++) {
		unsigned s = (unsigned)ord[k];
		if (k % 2) {
			reads(s, page[0]);
			zswap_load_commit(toy.z, swp_entry(0, s));
		} else {
			zswap_invalidate(toy.z, swp_entry(0, s));
		}
		T_ASSERT(!zswap_contains(toy.z, swp_entry(0, s)));
		for (int j = k + 1; j < 3; j++)
			reads((unsigned)ord[j], page[0]);
		st = stats();
		T_ASSERT_EQ(st.dedup_pages - st0.dedup_pages, (uint64_t)(k < 2 ? 1 - k : 0));
	}
	st = stats();
	T_ASSERT_EQ(st.stored_pages, st0.stored_pages);
	T_ASSERT_EQ(st.dedup_saved_bytes, st0.dedup_saved_bytes);
	T_ASSERT_EQ(st.stored_bytes, st0.stored_bytes);
}

int main(void)
{
	static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	struct zswap *z;
	char err[256];

	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.no_shrink_worker = true, .dedup = true,
							.dedup_weak_hash = true},
				 &z, err, sizeof(err)), 0);
	toy_init(&toy, z, 16);
	set_page(page[0], 1, 111);
	set_page(page[1], 2, 222);
	set_page(page[2], 3, 111); /* page[0]'s first word, other bytes: collides */

	for (int o = 0; o < 6; o++)
		sharers(orders[o]);
	printf("three sharers freed in each of the 6 orders: exact\n");

	/* 2. */
	store(0, page[0]);
	store(1, page[1]);
	T_ASSERT_EQ(stats().dedup_pages, 0);
	store(2, page[0]);
	T_ASSERT_EQ(stats().dedup_pages, 1);
	store(2, page[1]); /* slot 2 changes: it leaves page[0]'s object for page[1]'s */
	T_ASSERT_EQ(stats().dedup_pages, 1);
	reads(0, page[0]);
	reads(1, page[1]);
	reads(2, page[1]);

	/* 3. */
	store(3, page[2]);
	reads(3, page[2]);
	reads(0, page[0]);
	struct zswap_stats st = stats();
	T_ASSERT_EQ(st.dedup_collisions, 1);
	T_ASSERT_EQ(st.dedup_pages, 1);
	printf("a forced hash collision: both pages exact, %llu collision counted\n",
	       (unsigned long long)st.dedup_collisions);

	/* 4. Slots 1 and 2 share page[1]; 0 and 3 are alone. */
	long w = zswap_shrink(z, 16, NULL);
	w += zswap_shrink(z, 16, NULL);
	T_ASSERT_EQ(w, 2);
	T_ASSERT(zswap_contains(z, swp_entry(0, 1)) && zswap_contains(z, swp_entry(0, 2)));
	T_ASSERT(!memcmp(toy_page(toy.disk, 0), page[0], 4096) && !memcmp(toy_page(toy.disk, 3), page[2], 4096));
	zswap_invalidate(z, swp_entry(0, 1));
	zswap_flush(z); /* freed entries drop their shares in batches */
	w = zswap_shrink(z, 16, NULL) + zswap_shrink(z, 16, NULL);
	T_ASSERT_EQ(w, 1);
	T_ASSERT(!zswap_contains(z, swp_entry(0, 2)));
	T_ASSERT(!memcmp(toy_page(toy.disk, 2), page[1], 4096));
	st = stats();
	T_ASSERT_EQ(st.dedup_pages, 0);
	T_ASSERT_EQ(st.stored_pages, 0);
	printf("writeback skipped the shared entries, then wrote the last sharer\n");
	zswap_destroy(z);
	toy_free(&toy);
	return T_EXIT_PASS;
}
