/*
 * Description: swapoff brings pages back to their owner's memory through
 * the unuse callback (the kernel's unuse_pte). Pages the owner takes are
 * installed with their tags and their entries freed; pages it declines
 * move to another device; a page it installs but keeps a reference to
 * moves too (the reference must still find its data); a page the owner
 * is busy with (-EAGAIN) is offered again. The device ends
 * empty, and with nowhere to put declined pages swapoff fails with
 * -ENOSPC and the device stays on, nothing lost.
 */
#include <errno.h>

#include "helpers.h"
#include "swap/swap.h"

#define N 64

static struct swap_sys *sys;
static swp_entry_t ent[N];
static unsigned char mem[N][4096];
static bool in_memory[N];
static bool decline_all;
static int offers[N];

/* The owner: i % 4 == 0 taken, i % 4 == 2 taken but a reference kept,
 * odd declined; page 4 is busy at its first offer. Tags carry the index. */
static int unuse(void *arg, swp_entry_t e, const void *page, const void *tags, size_t tags_len)
{
	int i;

	T_ASSERT(tags_len == sizeof(i));
	memcpy(&i, tags, sizeof(i));
	T_ASSERT(i >= 0 && i < N && ent[i].val == e.val);
	if (decline_all || i % 2)
		return -EBUSY;
	if (i == 4 && offers[4]++ == 0)
		return -EAGAIN; /* swapoff drops the claim and offers it again */
	memcpy(mem[i], page, 4096);
	in_memory[i] = true;
	if (i % 4 == 0) {
		swap_sys_free(sys, e);
		ent[i].val = 0;
	}
	return 0;
}

int main(void)
{
	struct swap_backing *a, *b;
	struct swap_sys_stats st;
	unsigned char page[4096], back[4096];
	char err[256];
	enum swapin_from from;

	T_ASSERT_EQ(swap_sys_create(NULL, 1 << 12, &sys), 0);
	swap_sys_set_unuse(sys, unuse, NULL);
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.size = N * 4096, .priority = 5}, &a, err, sizeof(err)), 0);
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.size = N * 4096}, &b, err, sizeof(err)), 0);
	T_ASSERT(swap_sys_swapon(sys, a) >= 0);
	for (int i = 0; i < N; i++) {
		t_fill_page(page, 1 + i % 3, (uint64_t)i);
		T_ASSERT_EQ(swap_out(sys, page, &i, sizeof(i), NULL, &ent[i]), 0);
	}

	/* Declined pages have nowhere to go: swapoff fails, nothing lost. */
	decline_all = true;
	T_ASSERT_EQ(swap_sys_swapoff(sys, a), -ENOSPC);
	swap_sys_stats(sys, &st);
	T_ASSERT(st.nr_devices == 1 && st.dev[0].writeok && st.dev[0].inuse_pages == N);
	decline_all = false;

	T_ASSERT(swap_sys_swapon(sys, b) >= 0);
	T_ASSERT_EQ(swap_sys_swapoff(sys, a), 0);
	swap_sys_stats(sys, &st);
	printf("to memory %llu, inuse %llu, on b %llu\n", (unsigned long long)st.unuse_to_memory,
	       (unsigned long long)st.inuse, (unsigned long long)st.dev[0].inuse_pages);
	T_ASSERT(st.nr_devices == 1 && st.unuse_to_memory == N / 4);
	T_ASSERT_EQ(offers[4], 2);
	T_ASSERT(st.inuse == N - N / 4 && st.dev[0].inuse_pages == N - N / 4);
	for (int i = 0; i < N; i++) {
		t_fill_page(page, 1 + i % 3, (uint64_t)i);
		if (i % 2 == 0)
			T_ASSERT(in_memory[i] && !memcmp(mem[i], page, 4096));
		if (i % 4 == 0)
			continue; /* freed by the owner */
		int tag;
		size_t tl;
		T_ASSERT_EQ(swap_in(sys, ent[i], back, &tag, &tl, &from), 0);
		T_ASSERT(from == SWAPIN_DISK && !memcmp(back, page, 4096) && tl == sizeof(tag) && tag == i);
		swap_in_done(sys, ent[i], from, true);
	}
	swap_sys_stats(sys, &st);
	T_ASSERT(st.inuse == 0 && st.dev[0].inuse_pages == 0);
	swap_sys_destroy(sys);
	swap_backing_close(a);
	swap_backing_close(b);
	return T_EXIT_PASS;
}
