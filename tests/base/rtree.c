/*
 * Description: the radix tree stores, finds, replaces, erases and iterates
 * keys across the whole 64-bit range, grows in height without losing
 * entries, and counts what it holds.
 */
#include <errno.h>

#include "base/base.h"
#include "helpers.h"

static void *val(uint64_t k) { return (void *)(uintptr_t)((k << 4) | 8); }

int main(void)
{
	struct rtree *t = rtree_create();
	void *old;

	T_ASSERT(t);
	T_ASSERT(rtree_lookup(t, 0) == NULL);
	T_ASSERT(rtree_find_next(t, &(uint64_t){0}) == NULL);

	/* Small keys, then ones that force the tree to grow under them. */
	uint64_t keys[] = {0, 1, 63, 64, 4095, 4096, 1u << 20, 123456789, 1ull << 40, (1ull << 59) + 3};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		T_ASSERT_EQ(rtree_store(t, keys[i], val(keys[i]), &old), 0);
		T_ASSERT(old == NULL);
		for (size_t j = 0; j <= i; j++)
			T_ASSERT(rtree_lookup(t, keys[j]) == val(keys[j]));
	}
	T_ASSERT_EQ(rtree_count(t), ARRAY_SIZE(keys));
	T_ASSERT(rtree_lookup(t, 2) == NULL);
	T_ASSERT(rtree_lookup(t, UINT64_MAX) == NULL);

	/* Replace returns the old value; count unchanged. */
	T_ASSERT_EQ(rtree_store(t, 64, (void *)0x1000, &old), 0);
	T_ASSERT(old == val(64));
	T_ASSERT_EQ(rtree_count(t), ARRAY_SIZE(keys));

	/* cmpxchg succeeds only on the expected value. */
	T_ASSERT(!rtree_cmpxchg(t, 64, val(64), val(65)));
	T_ASSERT(rtree_cmpxchg(t, 64, (void *)0x1000, val(64)));
	T_ASSERT(!rtree_cmpxchg(t, 5, (void *)0x1000, val(5)));
	T_ASSERT(rtree_cmpxchg(t, 5, NULL, val(5)));
	T_ASSERT(rtree_cmpxchg(t, 5, val(5), NULL));
	T_ASSERT(rtree_lookup(t, 5) == NULL);

	/* Iteration visits keys in order. */
	uint64_t k = 0;
	size_t seen = 0;
	for (void *v; (v = rtree_find_next(t, &k)); k++) {
		T_ASSERT(k == keys[seen]);
		T_ASSERT(v == val(k));
		seen++;
		if (k == UINT64_MAX)
			break;
	}
	T_ASSERT_EQ(seen, ARRAY_SIZE(keys));

	/* The top of the key space. */
	T_ASSERT_EQ(rtree_store(t, UINT64_MAX, val(7), NULL), 0);
	T_ASSERT(rtree_lookup(t, UINT64_MAX) == val(7));
	k = (1ull << 59) + 4;
	T_ASSERT(rtree_find_next(t, &k) == val(7) && k == UINT64_MAX);

	/* Erase everything. */
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		T_ASSERT(rtree_erase(t, keys[i]) == val(keys[i]));
	T_ASSERT(rtree_erase(t, UINT64_MAX) == val(7));
	T_ASSERT(rtree_erase(t, 99) == NULL);
	T_ASSERT_EQ(rtree_count(t), 0);
	k = 0;
	T_ASSERT(rtree_find_next(t, &k) == NULL);

	/* Dense fill and iteration. */
	for (uint64_t i = 0; i < 100000; i += 3)
		T_ASSERT_EQ(rtree_store(t, i, val(i), NULL), 0);
	k = 0;
	seen = 0;
	for (void *v; (v = rtree_find_next(t, &k)); k++) {
		T_ASSERT(k == seen * 3 && v == val(k));
		seen++;
	}
	T_ASSERT_EQ(seen, 33334);
	T_ASSERT(rtree_node_bytes(t) > 0);
	rtree_destroy(t);

	/* Allocation failure leaves the tree usable and unchanged. */
	t = rtree_create();
	T_ASSERT_EQ(rtree_store(t, 1, val(1), NULL), 0);
	base_alloc_fail_nth(1);
	T_ASSERT_EQ(rtree_store(t, 1ull << 30, val(2), NULL), -ENOMEM);
	T_ASSERT(base_alloc_failed());
	base_alloc_fail_nth(0);
	T_ASSERT(rtree_lookup(t, 1) == val(1));
	T_ASSERT(rtree_lookup(t, 1ull << 30) == NULL);
	T_ASSERT_EQ(rtree_count(t), 1);
	rtree_destroy(t);
	return T_EXIT_PASS;
}
