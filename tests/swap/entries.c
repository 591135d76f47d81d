/*
 * Description: swap entries follow the swap_map rules. An allocated entry
 * has count 1 and HAS_CACHE; swapcache_prepare fails with -EEXIST while the
 * claim is held and -ENOENT once the entry is freed; swap_duplicate adds
 * owners; the entry is freed (free callback once) exactly when the count is
 * 0 and no cache claim is left, in either order; offset 0 is never handed
 * out; a full space says -ENOSPC; freed entries are reused.
 */
#include <errno.h>

#include "helpers.h"
#include "swap/swap.h"

static int freed[4096];

static void on_free(void *arg, swp_entry_t e) { freed[swp_offset(e)]++; }

int main(void)
{
	struct swap_space *s;
	swp_entry_t e, f;
	struct swap_space_stats st;

	T_ASSERT_EQ(swap_space_create(&(struct swap_space_config){.max_entries = 1024, .type = 3, .on_free = on_free},
				      &s), 0);
	T_ASSERT_EQ(swap_alloc(s, &e), 0);
	T_ASSERT(swp_type(e) == 3 && swp_offset(e) != 0);
	T_ASSERT_EQ(swap_count(s, e), 1);
	T_ASSERT(swap_has_cache(s, e));
	T_ASSERT_EQ(swapcache_prepare(s, e), -EEXIST);
	swapcache_clear(s, e);
	T_ASSERT(!swap_has_cache(s, e));
	T_ASSERT_EQ(swapcache_prepare(s, e), 0);
	T_ASSERT_EQ(swap_count_dup(s, e), 0);
	T_ASSERT_EQ(swap_count(s, e), 2);
	swap_count_put(s, e);
	swap_count_put(s, e); /* count 0, but the cache claim keeps it */
	T_ASSERT_EQ(freed[swp_offset(e)], 0);
	T_ASSERT(swap_has_cache(s, e));
	swapcache_clear(s, e); /* now it goes */
	T_ASSERT_EQ(freed[swp_offset(e)], 1);
	T_ASSERT_EQ(swapcache_prepare(s, e), -ENOENT);
	T_ASSERT_EQ(swap_count_dup(s, e), -ENOENT);

	/* The other order: cache claim released first, then the last owner. */
	T_ASSERT_EQ(swap_alloc(s, &f), 0);
	swapcache_clear(s, f);
	T_ASSERT_EQ(freed[swp_offset(f)], 0);
	swap_count_put(s, f);
	T_ASSERT_EQ(freed[swp_offset(f)], 1);

	/* Fill the space: 1023 entries (offset 0 is reserved), then -ENOSPC;
	 * a space of 700 entries ends inside its second cluster. */
	swp_entry_t all[1024];
	int n = 0;
	while (n < 1024 && swap_alloc(s, &all[n]) == 0)
		n++;
	T_ASSERT_EQ(n, 1023);
	for (int i = 0; i < n; i++)
		T_ASSERT(swp_offset(all[i]) != 0);
	T_ASSERT_EQ(swap_alloc(s, &e), -ENOSPC);
	swap_space_stats(s, &st);
	T_ASSERT_EQ(st.inuse, 1023);
	T_ASSERT(st.alloc_fail >= 1);
	/* Free one in the middle: it is found again. */
	swapcache_clear(s, all[500]);
	swap_count_put(s, all[500]);
	T_ASSERT_EQ(swap_alloc(s, &e), 0);
	T_ASSERT(e.val == all[500].val);
	swap_space_destroy(s);

	T_ASSERT_EQ(swap_space_create(&(struct swap_space_config){.max_entries = 700}, &s), 0);
	for (n = 0; n < 1024 && swap_alloc(s, &all[n]) == 0; n++)
		T_ASSERT(swp_offset(all[n]) < 700);
	T_ASSERT_EQ(n, 699);
	swap_space_destroy(s);

	T_ASSERT_EQ(swap_space_create(&(struct swap_space_config){.type = MAX_SWAPFILES}, &s), -EINVAL);
	return T_EXIT_PASS;
}
