/*
 * Description: helper of tests/swap/blockdev.sh (which sets up a loop
 * device): given a block device, check it works as a backing store. Run
 * alone it skips.
 */
#include <errno.h>

#include "helpers.h"
#include "swap/swap.h"

int main(int argc, char **argv)
{
	struct swap_backing *b;
	struct swap_backing_stats st;
	char err[256];
	static unsigned char page[4096], back[4096];
	struct swap_seal csum[100];

	if (argc != 2) {
		printf("needs a block device (run tests/swap/blockdev.sh)\n");
		return T_EXIT_SKIP;
	}
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.path = argv[1], .discard = true}, &b, err, sizeof(err)), 0);
	printf("%s: %llu slots\n", argv[1], (unsigned long long)swap_backing_slots(b));
	T_ASSERT_EQ(swap_backing_slots(b), 2048); /* the 8 MiB device, whole */
	for (uint64_t i = 0; i < 100; i++) {
		int64_t s = swap_backing_alloc(b);
		T_ASSERT(s >= 0);
		t_fill_page(page, 1 + (int)(i % 3), i);
		T_ASSERT_EQ(swap_backing_write(b, (uint64_t)s, page, &csum[i]), 0);
		T_ASSERT_EQ(swap_backing_read(b, (uint64_t)s, back, &csum[i]), 0);
		T_ASSERT(!memcmp(page, back, 4096));
	}
	for (uint64_t s = 0; s < 100; s++)
		swap_backing_free(b, s);
	swap_backing_flush(b);
	swap_backing_stats(b, &st);
	printf("discarded %llu slots\n", (unsigned long long)st.discards);
	T_ASSERT_EQ(swap_backing_inuse(b), 0);
	swap_backing_close(b);
	/* Asked for less than the device: gets that. */
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.path = argv[1], .size = 1 << 20}, &b, err,
				      sizeof(err)), 0);
	T_ASSERT_EQ(swap_backing_slots(b), 256);
	swap_backing_close(b);
	return T_EXIT_PASS;
}
