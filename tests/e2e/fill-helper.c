/*
 * fill-helper.c - an ordinary program (it knows nothing of uswap) that the
 * e2e tests run under `uswap run`: it fills memory from malloc with
 * page-distinct contents, passes buffers to system calls, optionally
 * forks, and checks every byte.
 *
 *   fill-helper MIB [fork RESULT | childfill MIB2 | hold SECONDS | mlock | mlockall | mremap | unmap]
 *
 * hold: after the first check, sleep, then check again (memory held while
 * a test looks at the budget). mlock: the first 8 MiB are mlock'ed once
 * filled, and must still be resident (mincore) after the rest was filled
 * and checked under a budget smaller than the whole. mlockall: once filled
 * and checked, mlockall(MCL_CURRENT | MCL_FUTURE): then every page must be
 * resident and right, also 8 MiB more allocated after it; munlockall.
 * mremap: once filled and checked, a 16 MiB mapping is filled and moved
 * with MREMAP_FIXED onto another 16 MiB mapping of its own, then onto an
 * address reserved with PROT_NONE; each time every byte must be there.
 * unmap: twelve mappings of 200 MiB (2.4 GiB of address space, a page
 * of each touched) are made and unmapped again (uswap run's heap must
 * give the emptied chunks back: the test reads heap_chunks).
 * fork: after filling, fork; the parent exits at once and the child waits
 * until it is gone, then checks every page (the parent's pages that were
 * evicted and written back must be in the child's copy) and writes "ok"
 * or "bad" to the file RESULT. childfill: after filling, fork; the child
 * at once fills MIB2 more (while uswap run starts its instance, which
 * adopts the memory the child has so far), then checks every page, old
 * and new; the parent waits and exits with the child's status. Exit 0
 * when every byte is right; 1 (with the first bad page on stderr)
 * otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define BLOCK (1u << 20) /* malloc'd in blocks of 1 MiB */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* Half of each page is text-like (compressible), half a hash. */
static void fill(unsigned char *p, uint64_t page)
{
	for (unsigned i = 0; i < PAGE / 2; i += 8) {
		uint64_t v = mix(page * 4096 + i);
		memcpy(p + i, &v, 8);
	}
	snprintf((char *)p + PAGE / 2, PAGE / 2, "page %llu of the e2e fill program, with some words to compress",
		 (unsigned long long)page);
}

/* Every page of the blocks is resident (mincore); 0, or 1 with a message. */
static int resident(unsigned char **blocks, size_t nblocks, const char *who)
{
	unsigned char vec[BLOCK / PAGE];

	for (size_t b = 0; b < nblocks; b++) {
		if (mincore(blocks[b], BLOCK, vec))
			return 2;
		for (size_t k = 0; k < BLOCK / PAGE; k++)
			if (!(vec[k] & 1)) {
				fprintf(stderr, "fill-helper (%s): page %zu of block %zu is not resident\n", who, k, b);
				return 1;
			}
	}
	return 0;
}

static int check(unsigned char **blocks, size_t nblocks, const char *who)
{
	unsigned char want[PAGE];

	for (size_t b = 0; b < nblocks; b++)
		for (size_t o = 0; o < BLOCK; o += PAGE) {
			uint64_t page = b * (BLOCK / PAGE) + o / PAGE;
			memset(want, 0, PAGE);
			fill(want, page);
			if (memcmp(blocks[b] + o, want, PAGE)) {
				fprintf(stderr, "fill-helper (%s): page %llu is wrong\n", who, (unsigned long long)page);
				return 1;
			}
		}
	return 0;
}

/* Write the first block to a pipe and read it back into the last: both
 * buffers were evicted long ago. */
static int syscalls(unsigned char **blocks, size_t nblocks)
{
	int fd[2];
	unsigned char *src = blocks[0], *dst = blocks[nblocks - 1];
	unsigned char *copy = malloc(PAGE);

	if (nblocks < 2 || pipe(fd) || !copy)
		return 0;
	memcpy(copy, dst, PAGE);
	if (write(fd[1], src, PAGE) != PAGE || read(fd[0], dst, PAGE) != PAGE || memcmp(src, dst, PAGE)) {
		fprintf(stderr, "fill-helper: write()/read() through evicted buffers gave wrong bytes\n");
		return 1;
	}
	memcpy(dst, copy, PAGE);
	close(fd[0]);
	close(fd[1]);
	free(copy);
	return 0;
}

/* mlockall: every page comes in and stays, 8 MiB more too; then unlock. */
static int lock_all(unsigned char **blocks, size_t nblocks)
{
	size_t more = 8;
	unsigned char **all = realloc(blocks, (nblocks + more) * sizeof(*all));

	if (!all || mlockall(MCL_CURRENT | MCL_FUTURE)) {
		perror("fill-helper: mlockall");
		return 2;
	}
	for (size_t b = nblocks; b < nblocks + more; b++) {
		if (!(all[b] = aligned_alloc(PAGE, BLOCK)))
			return 2;
		for (size_t o = 0; o < BLOCK; o += PAGE)
			fill(all[b] + o, b * (BLOCK / PAGE) + o / PAGE);
	}
	if (resident(all, nblocks + more, "mlockall") || check(all, nblocks + more, "mlockall"))
		return 1;
	return munlockall() ? 2 : 0;
}

/* The mremap mode: 16 MiB moved twice with MREMAP_FIXED. */
static int remap_fixed(void)
{
	size_t len = 16u << 20;
	unsigned char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *c = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED || b == MAP_FAILED || c == MAP_FAILED)
		return 2;
	for (size_t o = 0; o < len; o += PAGE)
		fill(a + o, (1ull << 40) + o / PAGE);
	unsigned char *to[2] = {b, c}, *from = a;
	for (int k = 0; k < 2; k++) {
		void *p = mremap(from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to[k]);
		if (p != to[k]) {
			perror("fill-helper: mremap(MREMAP_FIXED)");
			return 1;
		}
		for (size_t o = 0; o < len; o += PAGE) {
			unsigned char want[PAGE];
			fill(want, (1ull << 40) + o / PAGE);
			if (memcmp(to[k] + o, want, PAGE)) {
				fprintf(stderr, "fill-helper: page %zu wrong after mremap(MREMAP_FIXED) number %d\n", o / PAGE, k + 1);
				return 1;
			}
		}
		from = to[k];
	}
	return munmap(c, len) ? 2 : 0;
}

/* The unmap mode. */
static int map_unmap(void)
{
	size_t len = 200u << 20;
	unsigned char *m[12];

	for (int k = 0; k < 12; k++) {
		if ((m[k] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
			return 2;
		m[k][len / 2] = (unsigned char)k;
	}
	for (int k = 0; k < 12; k++)
		if (m[k][len / 2] != k || munmap(m[k], len))
			return 1;
	return 0;
}

/* Allocate and fill block b; 0, or 2 when out of memory. */
static int fill_block(unsigned char **blocks, size_t b)
{
	if (!(blocks[b] = aligned_alloc(PAGE, BLOCK)))
		return 2;
	for (size_t o = 0; o < BLOCK; o += PAGE)
		fill(blocks[b] + o, b * (BLOCK / PAGE) + o / PAGE);
	return 0;
}

/* The childfill mode (see the top). */
static int child_fill(unsigned char **blocks, size_t nblocks, size_t more)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 2;
	if (pid > 0)
		return waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : 2;
	unsigned char **all = realloc(blocks, (nblocks + more) * sizeof(*blocks));
	for (size_t b = nblocks; b < nblocks + more; b++)
		if (!all || fill_block(all, b))
			_exit(2);
	_exit(check(all, nblocks + more, "child, after its own fill") ? 1 : 0);
}

int main(int argc, char **argv)
{
	size_t nblocks = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	int do_fork = argc > 2 && !strcmp(argv[2], "fork");
	unsigned char **blocks = calloc(nblocks, sizeof(*blocks));

	if (!blocks || !nblocks)
		return 2;
	int do_mlock = argc > 2 && !strcmp(argv[2], "mlock");
	for (size_t b = 0; b < nblocks; b++) {
		if (fill_block(blocks, b))
			return 2;
		if (do_mlock && b < 8 && mlock(blocks[b], BLOCK)) {
			perror("fill-helper: mlock");
			return 2;
		}
	}
	if (syscalls(blocks, nblocks) || check(blocks, nblocks, "first pass"))
		return 1;
	if (do_mlock && resident(blocks, nblocks < 8 ? nblocks : 8, "mlock"))
		return 1;
	if (argc > 2 && !strcmp(argv[2], "mlockall"))
		return lock_all(blocks, nblocks);
	if (argc > 2 && !strcmp(argv[2], "unmap"))
		return map_unmap() || check(blocks, nblocks, "after the unmaps");
	if (argc > 2 && !strcmp(argv[2], "mremap"))
		return remap_fixed() || check(blocks, nblocks, "after mremap");
	if (argc > 3 && !strcmp(argv[2], "hold")) {
		sleep((unsigned)atoi(argv[3]));
		return check(blocks, nblocks, "after the hold");
	}
	if (argc > 3 && !strcmp(argv[2], "childfill"))
		return child_fill(blocks, nblocks, strtoul(argv[3], NULL, 10));
	if (!do_fork)
		return 0;
	pid_t parent = getpid(), pid = fork();
	if (pid < 0)
		return 2;
	if (pid > 0)
		return 0; /* the parent exits first */
	while (getppid() == parent)
		usleep(10000);
	int bad = check(blocks, nblocks, "forked child");
	FILE *f = argc > 3 ? fopen(argv[3], "w") : NULL;
	if (f) {
		fputs(bad ? "bad\n" : "ok\n", f);
		fclose(f);
	}
	return bad;
}
