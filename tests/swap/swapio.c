/*
 * Description: the swap system end to end, single-threaded.
 *   - pages go to zswap, or to the device when zswap refuses (random
 *     pages with writeback allowed), and come back exactly, with their
 *     tags (per-entry metadata);
 *   - R3: a swap-in whose install fails keeps the data; the next swap-in
 *     gets it;
 *   - full: zswap disabled and the device full -> -ENOSPC, the caller keeps
 *     the page, the entry is gone, nothing else changes;
 *   - EIO on write: the page goes to the next device by priority, or the
 *     swap-out fails cleanly; EIO on read and a corrupt slot: swap-in says
 *     -EIO (poison the page), counters say what happened;
 *   - zswap writeback writes in batches: an EIO in the middle of a batch
 *     is counted and that page written again on its own (another slot),
 *     the others stay where the batch put them, and every page comes back
 *     exactly;
 *   - disk swap-ins read their neighbours ahead into the swap cache
 *     (swap_ra) and later swap-ins take them from there (swap_ra_hit);
 *   - entries freed by their last owner release zswap copies and slots.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "helpers.h"
#include "swap/swap.h"

static unsigned char page[4096], back[4096];

static void out_in(struct swap_sys *s, int flavour, uint64_t seed, enum swapin_from want)
{
	swp_entry_t e;
	unsigned char tags[16], got[SWAP_TAGS_MAX];
	size_t n = 0;
	enum swapin_from from;

	t_fill_page(page, flavour, seed);
	memcpy(tags, &seed, 8);
	memcpy(tags + 8, "tagtagta", 8);
	T_ASSERT_EQ(swap_out(s, page, tags, sizeof(tags), NULL, &e), 0);
	T_ASSERT_EQ(swap_in(s, e, back, got, &n, &from), 0);
	T_ASSERT(from == want);
	T_ASSERT(!memcmp(page, back, 4096));
	T_ASSERT(n == sizeof(tags) && !memcmp(got, tags, n));
	swap_in_done(s, e, from, true);
}

int main(void)
{
	struct zswap *z;
	struct swap_sys *s;
	struct swap_backing *hi, *lo;
	struct swap_sys_stats st;
	struct zswap_stats zst;
	char err[256];
	enum swapin_from from;
	swp_entry_t e;

	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.no_shrink_worker = true}, &z, err, sizeof(err)), 0);
	T_ASSERT_EQ(swap_sys_create(z, 1 << 16, &s), 0);
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.size = 8 * 4096, .priority = 10}, &hi, err, sizeof(err)), 0);
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.size = 64 * 4096, .priority = 1}, &lo, err, sizeof(err)), 0);
	T_ASSERT_EQ(swap_sys_swapon(s, hi), 0);
	T_ASSERT_EQ(swap_sys_swapon(s, lo), 1);
	T_ASSERT_EQ(swap_sys_swapon(s, lo), -EEXIST);

	out_in(s, 1, 1, SWAPIN_ZSWAP);  /* compressible: zswap */
	out_in(s, 0, 2, SWAPIN_ZSWAP);  /* zero: zswap same-filled */
	out_in(s, 3, 3, SWAPIN_DISK);   /* random: rejected as poor, to the device */

	/* R3: install fails, data survives; then it works. */
	t_fill_page(page, 2, 77);
	T_ASSERT_EQ(swap_out(s, page, NULL, 0, NULL, &e), 0);
	T_ASSERT_EQ(swap_in(s, e, back, NULL, NULL, &from), 0);
	swap_in_done(s, e, from, false);
	memset(back, 0, sizeof(back));
	T_ASSERT_EQ(swap_in(s, e, back, NULL, NULL, &from), 0);
	T_ASSERT(!memcmp(page, back, 4096) && from == SWAPIN_ZSWAP);
	swap_in_done(s, e, from, true);
	T_ASSERT_EQ(swap_in(s, e, back, NULL, NULL, &from), -ENOENT); /* freed with its last owner */

	/* Priorities: random pages fill the high-priority device first. */
	swp_entry_t on_disk[80];
	int n = 0;
	for (; n < 72; n++) {
		t_fill_page(page, 3, 1000 + (uint64_t)n);
		T_ASSERT_EQ(swap_out(s, page, NULL, 0, NULL, &on_disk[n]), 0);
		if (n == 7) {
			swap_sys_stats(s, &st);
			T_ASSERT(st.dev[0].inuse_pages == 8 && st.dev[1].inuse_pages == 0);
		}
	}
	/* The /proc/swaps-like listing: both devices, full. */
	char swaps[1024];
	swap_sys_format_swaps(s, swaps, sizeof(swaps));
	printf("%s", swaps);
	T_ASSERT(strstr(swaps, "Filename") && strstr(swaps, "(unlinked file)"));
	T_ASSERT(strstr(swaps, "32         32         10")); /* 8 pages = 32 KiB, all used, priority 10 */
	T_ASSERT(strstr(swaps, "256        256        1"));
	/* Both full: the caller keeps the page; nothing else moves. */
	t_fill_page(page, 3, 5000);
	T_ASSERT_EQ(swap_out(s, page, NULL, 0, NULL, &e), -ENOSPC);
	swap_sys_stats(s, &st);
	T_ASSERT_EQ(st.swapout_fail, 1);
	T_ASSERT_EQ(st.inuse, 72);
	for (int i = 0; i < n; i++) {
		T_ASSERT_EQ(swap_in(s, on_disk[i], back, NULL, NULL, &from), 0);
		t_fill_page(page, 3, 1000 + (uint64_t)i);
		T_ASSERT(!memcmp(page, back, 4096) && (from == SWAPIN_DISK || from == SWAPIN_CACHE));
		swap_in_done(s, on_disk[i], from, true);
	}
	swap_sys_stats(s, &st);
	T_ASSERT(st.dev[0].inuse_pages == 0 && st.dev[1].inuse_pages == 0 && st.inuse == 0);

	/* EIO on write: the next device takes it. */
	swap_backing_inject(hi, BACKING_WRITE, EIO, 1);
	t_fill_page(page, 3, 6000);
	T_ASSERT_EQ(swap_out(s, page, NULL, 0, NULL, &e), 0);
	swap_sys_stats(s, &st);
	T_ASSERT(st.io_errors == 1 && st.dev[1].inuse_pages == 1 && st.dev[0].inuse_pages == 0);
	/* EIO on read: swap-in fails cleanly, the entry keeps its data. */
	swap_backing_inject(lo, BACKING_READ, EIO, 1);
	T_ASSERT_EQ(swap_in(s, e, back, NULL, NULL, &from), -EIO);
	T_ASSERT_EQ(swap_in(s, e, back, NULL, NULL, &from), 0);
	T_ASSERT(!memcmp(page, back, 4096));
	swap_in_done(s, e, from, true);

	/* Writeback in a batch with an EIO in the middle: that page is written
	 * again on its own (hi has room: another slot there). */
	swp_entry_t wb[6];
	for (int i = 0; i < 6; i++) {
		t_fill_page(page, 1, 7000 + (uint64_t)i);
		T_ASSERT_EQ(swap_out(s, page, NULL, 0, NULL, &wb[i]), 0);
	}
	swap_sys_stats(s, &st);
	uint64_t errs = st.io_errors;
	swap_backing_inject(hi, BACKING_WRITE, EIO, 3);
	T_ASSERT_EQ(zswap_shrink(z, 100, NULL) + zswap_shrink(z, 100, NULL), 6);
	swap_sys_stats(s, &st);
	T_ASSERT_EQ(st.io_errors, errs + 1);
	T_ASSERT_EQ(st.dev[0].inuse_pages, 6);
	for (int i = 0; i < 6; i++) {
		t_fill_page(page, 1, 7000 + (uint64_t)i);
		T_ASSERT_EQ(swap_in(s, wb[i], back, NULL, NULL, &from), 0);
		T_ASSERT(!memcmp(page, back, 4096) && from == SWAPIN_DISK);
		swap_in_done(s, wb[i], from, true);
	}

	swap_sys_stats(s, &st);
	printf("pswpout %llu pswpin %llu io_errors %llu swapout_fail %llu\n", (unsigned long long)st.pswpout,
	       (unsigned long long)st.pswpin, (unsigned long long)st.io_errors, (unsigned long long)st.swapout_fail);
	zswap_stats(z, &zst);
	T_ASSERT_EQ(zst.stored_pages, 0);
	zswap_destroy(z);
	swap_sys_destroy(s);
	swap_backing_close(hi);
	swap_backing_close(lo);

	/* A corrupt slot on disk: -EIO at swap-in, counted, nothing wrong returned. */
	char path[] = "/var/tmp/uswap-swapio-XXXXXX", file[300];
	T_ASSERT(mkdtemp(path));
	snprintf(file, sizeof(file), "%s/swap", path);
	T_ASSERT_EQ(swap_sys_create(NULL, 1024, &s), 0);
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.path = file, .size = 4 * 4096}, &hi, err, sizeof(err)), 0);
	swap_sys_swapon(s, hi);
	t_fill_page(page, 1, 9);
	T_ASSERT_EQ(swap_out(s, page, NULL, 0, NULL, &e), 0); /* no zswap: on disk */
	int fd = open(file, O_RDWR);
	unsigned char junk[4096];
	memset(junk, 0x5a, sizeof(junk));
	T_ASSERT(fd >= 0 && pwrite(fd, junk, 4096, 0) == 4096);
	close(fd);
	T_ASSERT_EQ(swap_in(s, e, back, NULL, NULL, &from), -EIO);
	swap_sys_stats(s, &st);
	T_ASSERT_EQ(st.csum_errors, 1);
	swap_sys_free(s, e);
	swap_sys_stats(s, &st);
	T_ASSERT_EQ(st.inuse, 0);
	T_ASSERT_EQ(st.dev[0].inuse_pages, 0);
	swap_sys_destroy(s);
	swap_backing_close(hi);
	unlink(file);
	rmdir(path);
	return T_EXIT_PASS;
}
