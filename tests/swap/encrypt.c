/*
 * Description: encryption at rest in the backing store (encrypt=on). Pages
 * round-trip through single and batched writes and reads (buffered and
 * O_DIRECT, an unaligned caller page included); the file holds no byte of
 * a marker the pages carry (and, as a control, does without encryption);
 * the same page written twice gives two different ciphertexts (a fresh
 * nonce each write); a flipped bit in one slot, and a slot's valid
 * ciphertext copied over another slot, are -EBADMSG for that page alone
 * (counted as checksum errors), alone and inside a batched read. All of
 * it with AES-256-GCM and again with the XChaCha20-Poly1305 fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "swap/swap.h"

#define SLOTS  32
#define MARKER "uswap-test-marker:do-not-leak"

static unsigned char page[SLOTS][4096], back[SLOTS][4096];
static struct swap_seal seal[SLOTS];
static uint64_t slot[SLOTS];

static void fill(int i)
{
	t_fill_page(page[i], 1 + i % 4, (uint64_t)i);
	for (int off = 0; off + (int)sizeof(MARKER) <= 4096; off += 1024)
		memcpy(page[i] + off + 8, MARKER, sizeof(MARKER) - 1);
}

/* Slots 0..SLOTS-1 written, the first half one by one, the rest batched. */
static void write_all(struct swap_backing *b)
{
	void *pages[SLOTS];
	int res[SLOTS];

	for (int i = 0; i < SLOTS; i++) {
		int64_t s = swap_backing_alloc(b);
		T_ASSERT(s >= 0);
		slot[i] = (uint64_t)s;
		fill(i);
		pages[i] = page[i];
	}
	for (int i = 0; i < SLOTS / 2; i++)
		T_ASSERT_EQ(swap_backing_write(b, slot[i], page[i], &seal[i]), 0);
	swap_backing_writev(b, slot + SLOTS / 2, pages + SLOTS / 2, NULL, SLOTS / 2, res, seal + SLOTS / 2);
	for (int i = 0; i < SLOTS / 2; i++)
		T_ASSERT_EQ(res[i], 0);
}

/* Every page reads right, one by one and batched, except bad (-1: none),
 * which is -EBADMSG both ways. */
static void read_all(struct swap_backing *b, int bad)
{
	void *bufs[SLOTS];
	int res[SLOTS];

	for (int i = 0; i < SLOTS; i++) {
		memset(back[i], 0, 4096);
		int r = swap_backing_read(b, slot[i], back[i], &seal[i]);
		T_ASSERT_EQ(r, i == bad ? -EBADMSG : 0);
		T_ASSERT(i == bad || !memcmp(page[i], back[i], 4096));
		memset(back[i], 0, 4096);
		bufs[i] = back[i];
	}
	swap_backing_readv(b, slot, bufs, SLOTS, res, seal);
	for (int i = 0; i < SLOTS; i++) {
		T_ASSERT_EQ(res[i], i == bad ? -EBADMSG : 0);
		T_ASSERT(i == bad || !memcmp(page[i], back[i], 4096));
	}
}

/* The file's bytes hold MARKER? */
static bool file_has_marker(const char *file)
{
	static unsigned char all[SLOTS * 4096];
	int fd = open(file, O_RDONLY);

	T_ASSERT(fd >= 0);
	T_ASSERT(pread(fd, all, sizeof(all), 0) == (ssize_t)sizeof(all));
	close(fd);
	return memmem(all, sizeof(all), MARKER, sizeof(MARKER) - 1) != NULL;
}

static void slot_bytes(const char *file, uint64_t s, unsigned char *buf, bool write)
{
	int fd = open(file, O_RDWR);

	T_ASSERT(fd >= 0);
	ssize_t n = write ? pwrite(fd, buf, 4096, (off_t)(s * 4096)) : pread(fd, buf, 4096, (off_t)(s * 4096));
	T_ASSERT_EQ(n, 4096);
	close(fd);
}

static void run(const char *dir, bool encrypt, bool direct)
{
	struct swap_backing *b;
	struct swap_backing_stats st;
	char err[256], file[300];

	snprintf(file, sizeof(file), "%s/swap%d%d", dir, encrypt, direct);
	struct swap_backing_config cfg = {.path = file, .size = SLOTS * 4096, .encrypt = encrypt, .direct = direct};
	int ret = swap_backing_open(&cfg, &b, err, sizeof(err));
	if (ret && direct) {
		printf("SKIP: O_DIRECT part: %s\n", err);
		return;
	}
	T_ASSERT_EQ(ret, 0);
	T_ASSERT_EQ(!strcmp(swap_backing_cipher(b), "none"), !encrypt);
	write_all(b);
	read_all(b, -1);
	bool leaked = file_has_marker(file);
	printf("%s%s: cipher %s, marker %s in the file\n", encrypt ? "encrypted" : "plain", direct ? ", O_DIRECT" : "",
	       swap_backing_cipher(b), leaked ? "found" : "not found");
	T_ASSERT_EQ(leaked, !encrypt);
	if (!encrypt) {
		swap_backing_close(b);
		unlink(file);
		return;
	}

	/* The same page again, into the same slot: new ciphertext. */
	static unsigned char c1[4096], c2[4096];
	slot_bytes(file, slot[2], c1, false);
	T_ASSERT_EQ(swap_backing_write(b, slot[2], page[2], &seal[2]), 0);
	slot_bytes(file, slot[2], c2, false);
	T_ASSERT(memcmp(c1, c2, 4096));

	/* A flipped bit: that page alone. */
	slot_bytes(file, slot[5], c1, false);
	c1[1234] ^= 0x10;
	slot_bytes(file, slot[5], c1, true);
	read_all(b, 5);
	c1[1234] ^= 0x10;
	slot_bytes(file, slot[5], c1, true);
	read_all(b, -1);

	/* Slot 7's valid ciphertext over slot 9: slot 9 fails, slot 7 reads. */
	slot_bytes(file, slot[7], c1, false);
	slot_bytes(file, slot[9], c1, true);
	read_all(b, 9);
	swap_backing_stats(b, &st);
	T_ASSERT_EQ(st.csum_errors, 4); /* two reads of each bad page */

	/* An unaligned caller page. */
	static unsigned char raw[4096 + 8];
	unsigned char *odd = raw + 8;
	memcpy(odd, page[3], 4096);
	T_ASSERT_EQ(swap_backing_write(b, slot[3], odd, &seal[3]), 0);
	memset(odd, 0, 4096);
	T_ASSERT_EQ(swap_backing_read(b, slot[3], odd, &seal[3]), 0);
	T_ASSERT(!memcmp(odd, page[3], 4096));
	swap_backing_close(b);
	unlink(file);
}

int main(void)
{
	char dir[] = "/var/tmp/uswap-encrypt-test-XXXXXX";

	T_ASSERT(mkdtemp(dir));
	run(dir, false, false);
	run(dir, true, false);
	run(dir, true, true);
	setenv("USWAP_DEBUG_CIPHER", "xchacha20-poly1305", 1);
	run(dir, true, false);
	rmdir(dir);
	return T_EXIT_PASS;
}
