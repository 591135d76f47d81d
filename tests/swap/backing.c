/*
 * Description: the backing store. Pages round-trip through io_uring with
 * their checksum; a full store says -ENOSPC and loses nothing; a slot
 * corrupted on disk reads as -EBADMSG (counted), never as data; injected
 * write and read errors come back as errors; with discard on, a freed slot
 * is discarded (the file's blocks shrink), with it off (the default) a
 * freed slot is reusable at once; an O_DIRECT store takes unaligned pages; batched reads return every page; a bad size
 * or folder is a clear error; the default file has no name.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "swap/swap.h"

#define SLOTS 64

int main(void)
{
	struct swap_backing *b;
	struct swap_backing_stats st;
	char err[256], path[] = "/var/tmp/uswap-backing-test-XXXXXX";
	static unsigned char page[SLOTS][4096], back[SLOTS][4096];
	struct swap_seal csum[SLOTS];
	uint64_t slot[SLOTS];

	T_ASSERT(mkdtemp(path));
	char file[300];
	snprintf(file, sizeof(file), "%s/swap", path);
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.path = file, .size = 100}, &b, err, sizeof(err)),
		    -EINVAL);
	printf("tiny: %s\n", err);
	T_ASSERT(swap_backing_open(&(struct swap_backing_config){.dir = "/nonexistent/dir", .size = 1 << 20}, &b, err,
				   sizeof(err)) < 0);
	printf("bad dir: %s\n", err);

	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.path = file, .size = SLOTS * 4096, .priority = 5,
								     .discard = true},
				      &b, err, sizeof(err)), 0);
	T_ASSERT_EQ(swap_backing_slots(b), SLOTS);
	T_ASSERT_EQ(swap_backing_priority(b), 5);
	for (int i = 0; i < SLOTS; i++) {
		int64_t s = swap_backing_alloc(b);
		T_ASSERT(s >= 0);
		slot[i] = (uint64_t)s;
		t_fill_page(page[i], 1 + i % 4, (uint64_t)i);
		T_ASSERT_EQ(swap_backing_write(b, slot[i], page[i], &csum[i]), 0);
	}
	T_ASSERT_EQ(swap_backing_alloc(b), -ENOSPC);
	T_ASSERT_EQ(swap_backing_inuse(b), SLOTS);
	for (int i = 0; i < SLOTS; i++) {
		T_ASSERT_EQ(swap_backing_read(b, slot[i], back[i], &csum[i]), 0);
		T_ASSERT(!memcmp(page[i], back[i], 4096));
	}
	/* Batched read. */
	void *bufs[SLOTS];
	int res[SLOTS];
	for (int i = 0; i < SLOTS; i++)
		bufs[i] = back[i], memset(back[i], 0, 4096);
	swap_backing_readv(b, slot, bufs, SLOTS, res, csum);
	for (int i = 0; i < SLOTS; i++)
		T_ASSERT(res[i] == 0 && !memcmp(page[i], back[i], 4096));

	/* Corrupt slot 3 behind the store's back. */
	int fd = open(file, O_RDWR);
	T_ASSERT(fd >= 0 && pwrite(fd, "garbage", 7, (off_t)(slot[3] * 4096 + 100)) == 7);
	close(fd);
	T_ASSERT_EQ(swap_backing_read(b, slot[3], back[3], &csum[3]), -EBADMSG);

	/* Injected errors. */
	swap_backing_inject(b, BACKING_WRITE, EIO, 1);
	T_ASSERT_EQ(swap_backing_write(b, slot[5], page[5], &csum[5]), -EIO);
	T_ASSERT_EQ(swap_backing_write(b, slot[5], page[5], &csum[5]), 0); /* only the nth fails */
	swap_backing_inject(b, BACKING_READ, ENOSPC, 2);
	T_ASSERT_EQ(swap_backing_read(b, slot[6], back[6], &csum[6]), 0);
	T_ASSERT_EQ(swap_backing_read(b, slot[6], back[6], &csum[6]), -ENOSPC);
	swap_backing_stats(b, &st);
	T_ASSERT_EQ(st.csum_errors, 1);
	T_ASSERT_EQ(st.write_errors, 1);
	T_ASSERT_EQ(st.read_errors, 1);

	/* Discard: freeing slots punches holes. */
	struct stat sb;
	fd = open(file, O_RDONLY);
	T_ASSERT(fd >= 0 && fsync(fd) == 0);
	close(fd);
	T_ASSERT(stat(file, &sb) == 0);
	blkcnt_t before = sb.st_blocks;
	for (int i = 0; i < SLOTS; i++)
		swap_backing_free(b, slot[i]);
	T_ASSERT(stat(file, &sb) == 0);
	printf("blocks %lld -> %lld after freeing every slot\n", (long long)before, (long long)sb.st_blocks);
	T_ASSERT(sb.st_blocks < before);
	T_ASSERT_EQ(swap_backing_inuse(b), 0);
	swap_backing_stats(b, &st);
	T_ASSERT_EQ(st.discards, SLOTS);
	swap_backing_close(b);
	unlink(file);
	rmdir(path);

	/* The default: an unnamed 0600 file, no discard: a freed slot is
	 * reusable at once and keeps its blocks. */
	T_ASSERT_EQ(swap_backing_open(&(struct swap_backing_config){.size = 4 * 4096}, &b, err, sizeof(err)), 0);
	for (int i = 0; i < 4; i++) {
		slot[i] = (uint64_t)swap_backing_alloc(b);
		T_ASSERT_EQ(swap_backing_write(b, slot[i], page[i], &csum[i]), 0);
	}
	T_ASSERT_EQ(swap_backing_alloc(b), -ENOSPC);
	swap_backing_free(b, slot[2]);
	T_ASSERT_EQ(swap_backing_inuse(b), 3);
	T_ASSERT_EQ(swap_backing_alloc(b), (int64_t)slot[2]);
	T_ASSERT_EQ(swap_backing_read(b, slot[1], back[1], &csum[1]), 0);
	T_ASSERT(!memcmp(page[1], back[1], 4096));
	swap_backing_stats(b, &st);
	T_ASSERT_EQ(st.discards, 0);
	swap_backing_close(b);

	/* O_DIRECT: an unaligned caller page goes through a bounce buffer,
	 * alone or inside a batch. */
	if (swap_backing_open(&(struct swap_backing_config){.size = 4 * 4096, .direct = true}, &b, err, sizeof(err))) {
		printf("SKIP: O_DIRECT part: no O_DIRECT here: %s\n", err);
		return T_EXIT_PASS;
	}
	static unsigned char raw[3 * 4096 + 8];
	unsigned char *odd = raw + 8; /* not page-aligned */
	t_fill_page(odd, 2, 99);
	for (int i = 0; i < 3; i++) {
		slot[i] = (uint64_t)swap_backing_alloc(b);
		T_ASSERT_EQ(swap_backing_write(b, slot[i], i ? page[i] : odd, &csum[i]), 0);
	}
	memset(raw, 0, sizeof(raw));
	T_ASSERT_EQ(swap_backing_read(b, slot[0], odd, &csum[0]), 0);
	t_fill_page(back[0], 2, 99);
	T_ASSERT(!memcmp(odd, back[0], 4096));
	void *mixed[3] = {back[0], odd, back[2]};
	swap_backing_readv(b, slot, mixed, 3, res, csum);
	T_ASSERT(res[0] == 0 && res[1] == 0 && res[2] == 0);
	T_ASSERT(swap_checksum(back[0]) == csum[0].sum && swap_checksum(odd) == csum[1].sum &&
		 swap_checksum(back[2]) == csum[2].sum);
	swap_backing_close(b);
	return T_EXIT_PASS;
}
