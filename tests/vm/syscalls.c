/*
 * syscalls.c - system calls into and out of evicted pages (handler mode
 * serves the kernel's faults): write() and send() from an evicted page,
 * read(), recv(), pread() and getdents64() into one. Each must move the
 * right bytes and leave the rest of the page as it was. In sigbus mode
 * the same read() fails with EFAULT, as the header says, and loses
 * nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "helpers.h"
#include "uswap.h"

#define PG 4096

static uswap_t *u;
static unsigned char *m;

static void fill(unsigned char *p, unsigned seed)
{
	for (unsigned i = 0; i < PG; i++)
		p[i] = (unsigned char)(t_mix64(seed * PG + i) | 1);
}

static void check(const unsigned char *p, unsigned seed, unsigned skip_from, unsigned skip_len)
{
	unsigned char want[PG];

	fill(want, seed);
	for (unsigned i = 0; i < PG; i++)
		if ((i < skip_from || i >= skip_from + skip_len) && p[i] != want[i]) {
			fprintf(stderr, "page byte %u changed\n", i);
			exit(T_EXIT_FAIL);
		}
}

/* Page k holds seed k's bytes and is evicted. */
static unsigned char *evicted(unsigned k)
{
	unsigned char *p = m + (size_t)k * PG;
	uint64_t before, after;

	fill(p, k);
	T_ASSERT(!uswap_stat(u, "swapouts", &before));
	/* A page the kernel holds for a moment (EBUSY to UFFDIO_MOVE) stays:
	 * try again. */
	for (int tries = 0; tries < 1000; tries++) {
		T_ASSERT(!uswap_pageout(u, p, PG));
		T_ASSERT(!uswap_stat(u, "swapouts", &after));
		if (after == before + 1)
			return p;
		usleep(1000);
	}
	fprintf(stderr, "page %u could not be evicted\n", k);
	exit(T_EXIT_FAIL);
	return p;
}

static void handler_mode(void)
{
	int pfd[2], sv[2];
	unsigned char buf[PG], want[PG];

	T_ASSERT((u = uswap_open("fault_mode=handler")) && (m = uswap_alloc(u, 64 * PG)));
	/* write() out of an evicted page */
	T_ASSERT(!pipe(pfd));
	T_ASSERT(write(pfd[1], evicted(1), PG) == PG && read(pfd[0], buf, PG) == PG);
	fill(want, 1);
	T_ASSERT(!memcmp(buf, want, PG));
	/* read() into one */
	unsigned char *p = evicted(2);
	T_ASSERT(write(pfd[1], "hello", 5) == 5 && read(pfd[0], p + 100, 5) == 5);
	T_ASSERT(!memcmp(p + 100, "hello", 5));
	check(p, 2, 100, 5);
	/* send() from one, recv() into another */
	T_ASSERT(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_ASSERT(send(sv[0], evicted(3), PG, 0) == PG);
	p = evicted(4);
	T_ASSERT(recv(sv[1], p, PG, MSG_WAITALL) == PG);
	check(p, 3, 0, 0);
	/* pread() into one */
	char path[] = "/tmp/uswap-syscalls-XXXXXX";
	int fd = mkstemp(path);
	T_ASSERT(fd >= 0 && write(fd, "0123456789", 10) == 10);
	unlink(path);
	p = evicted(5);
	T_ASSERT(pread(fd, p + 4000, 10, 0) == 10 && !memcmp(p + 4000, "0123456789", 10));
	check(p, 5, 4000, 10);
	/* getdents64() into one */
	int dfd = open("/", O_RDONLY | O_DIRECTORY);
	T_ASSERT(dfd >= 0);
	p = evicted(6);
	long n = syscall(SYS_getdents64, dfd, p, PG);
	long n2 = syscall(SYS_getdents64, open("/", O_RDONLY | O_DIRECTORY), buf, PG);
	T_ASSERT(n > 0 && n == n2);
	for (long off = 0; off < n;) { /* the same entries (d_off is per open file: not compared) */
		struct dirent64 *a = (struct dirent64 *)(p + off), *b = (struct dirent64 *)(buf + off);
		T_ASSERT(a->d_ino == b->d_ino && a->d_reclen == b->d_reclen && !strcmp(a->d_name, b->d_name));
		off += a->d_reclen;
	}
	printf("handler: write, read, send, recv, pread and getdents64 through evicted pages: right bytes\n");
	uswap_close(u);
}

static void sigbus_mode(void)
{
	int pfd[2];

	T_ASSERT((u = uswap_open("fault_mode=sigbus")) && (m = uswap_alloc(u, 64 * PG)));
	T_ASSERT(!pipe(pfd));
	unsigned char *p = evicted(7);
	T_ASSERT(write(pfd[1], "hello", 5) == 5);
	errno = 0;
	T_ASSERT(read(pfd[0], p + 100, 5) == -1 && errno == EFAULT);
	check(p, 7, 0, 0); /* touched by the program: faults in, intact */
	printf("sigbus: read() into an evicted page fails with EFAULT, the page is intact\n");
	uswap_close(u);
}

int main(void)
{
	handler_mode();
	sigbus_mode();
	return 0;
}
