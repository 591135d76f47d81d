/*
 * Description: userfaultfd, opened and probed. The features this kernel
 * offers are probed and enabled; asking for one it lacks fails with a
 * message naming it. The fd works: a thread touching a registered page is
 * served by UFFDIO_COPY with the right bytes, and UFFDIO_MOVE (where
 * offered) moves a page between two registered ranges. A process without
 * CAP_SYS_PTRACE, with vm.unprivileged_userfaultfd=0 and no access to
 * /dev/userfaultfd, gets -EPERM and a message naming the three ways to
 * permit it, or a user-mode-only fd when it accepts one.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "vm/uffd.h"

#define PG 4096

static char *region;

static void *toucher(void *arg)
{
	return (void *)(uintptr_t)(unsigned char)region[100]; /* faults: served by the test below */
}

/* Register 2 pages; a thread reads page 0; serve it with UFFDIO_COPY. */
static void round_trip(int fd)
{
	static _Alignas(PG) unsigned char src[PG];
	pthread_t t;
	void *got;

	region = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(region != MAP_FAILED);
	struct uffdio_register reg = {.range = {(uintptr_t)region, 2 * PG}, .mode = UFFDIO_REGISTER_MODE_MISSING};
	T_ASSERT_EQ(ioctl(fd, UFFDIO_REGISTER, &reg), 0);
	T_ASSERT(reg.ioctls & ((uint64_t)1 << _UFFDIO_COPY));
	pthread_create(&t, NULL, toucher, NULL);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	T_ASSERT_EQ(poll(&p, 1, -1), 1); /* no deadline: a hang is the runner's timeout */
	struct uffd_msg msg;
	T_ASSERT_EQ(read(fd, &msg, sizeof(msg)), (ssize_t)sizeof(msg));
	T_ASSERT_EQ(msg.event, UFFD_EVENT_PAGEFAULT);
	T_ASSERT_EQ(msg.arg.pagefault.address & ~(uint64_t)(PG - 1), (uintptr_t)region);
	memset(src, 0x5a, PG);
	struct uffdio_copy cp = {.dst = (uintptr_t)region, .src = (uintptr_t)src, .len = PG};
	T_ASSERT_EQ(ioctl(fd, UFFDIO_COPY, &cp), 0);
	pthread_join(t, &got);
	T_ASSERT_EQ((uintptr_t)got, 0x5a);
}

/* Page 0 (filled) moves to page 1 (missing): page 1 has its bytes, page 0
 * is missing again (a read there would fault). */
static void move_page(int fd)
{
	struct uffdio_move mv = {.dst = (uintptr_t)region + PG, .src = (uintptr_t)region, .len = PG};

	T_ASSERT_EQ(ioctl(fd, UFFDIO_MOVE, &mv), 0);
	T_ASSERT_EQ(mv.move, PG);
	T_ASSERT_EQ((unsigned char)region[PG + 7], 0x5a);
	unsigned char vec;
	T_ASSERT_EQ(mincore(region, PG, &vec), 0);
	T_ASSERT_EQ(vec & 1, 0); /* gone from page 0 */
}

/* In a child that gives up root: the error, then user mode only. 0 = as
 * expected, 77 = cannot be checked here, 1 = wrong. */
static int unprivileged(void)
{
	struct uffd_caps caps;
	char err[512];

	if (setgid(65534) || setuid(65534))
		return 77;
	int fd = uffd_open(0, 0, true, &caps, err, sizeof(err));
	if (fd >= 0) {
		printf("SKIP: unprivileged part: userfaultfd is permitted here to uid 65534 (%s)\n", caps.via);
		return 0;
	}
	printf("unprivileged: %s\n", err);
	if (fd != -EPERM || !strstr(err, "vm.unprivileged_userfaultfd") || !strstr(err, "CAP_SYS_PTRACE") ||
	    !strstr(err, "/dev/userfaultfd") || !strstr(err, "lacks"))
		return 1;
	fd = uffd_open(0, 0, false, &caps, err, sizeof(err)); /* user mode only is enough for this caller */
	if (fd < 0 || caps.kernel_faults || !strstr(caps.via, "user mode only"))
		return 1;
	close(fd);
	return 0;
}

int main(void)
{
	struct uffd_caps caps;
	char err[512];
	int fd = uffd_open(0, 0, true, &caps, err, sizeof(err));

	if (fd < 0) {
		printf("no userfaultfd here: %s\n", err);
		return fd == -EPERM || fd == -ENOSYS ? T_EXIT_SKIP : T_EXIT_FAIL;
	}
	printf("via %s, features offered %#llx:", caps.via, (unsigned long long)caps.offered);
	for (int b = 0; b < 64; b++)
		if (caps.offered & ((uint64_t)1 << b) && uffd_feature_name((uint64_t)1 << b))
			printf(" %s", uffd_feature_name((uint64_t)1 << b));
	printf("\n");
	T_ASSERT(caps.kernel_faults);
	close(fd);
	/* A feature this kernel does not offer: the handshake is not even tried. */
	uint64_t absent = (uint64_t)1 << 62;
	T_ASSERT_EQ(uffd_open(absent, 0, true, &caps, err, sizeof(err)), -EOPNOTSUPP);
	T_ASSERT(strstr(err, "lacks UFFD_FEATURE_"));
	/* Everything offered, enabled at once. */
	uint64_t want = caps.offered & (UFFD_FEATURE_THREAD_ID | UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_MOVE);
	T_ASSERT((fd = uffd_open(want, 0, true, &caps, err, sizeof(err))) >= 0);
	T_ASSERT_EQ(caps.enabled, want);
	round_trip(fd);
	if (caps.offered & UFFD_FEATURE_MOVE)
		move_page(fd);
	else
		printf("SKIP: UFFDIO_MOVE part: this kernel does not offer it\n");
	close(fd);
	/* Optional features: enabled where offered, and hidden ones are not
	 * (USWAP_DEBUG_UFFD_HIDE: the tests' older kernel). */
	uint64_t opt = UFFD_FEATURE_THREAD_ID | UFFD_FEATURE_POISON | absent;
	T_ASSERT((fd = uffd_open(UFFD_FEATURE_EVENT_REMOVE, opt, true, &caps, err, sizeof(err))) >= 0);
	T_ASSERT_EQ(caps.enabled, UFFD_FEATURE_EVENT_REMOVE | (caps.offered & opt));
	close(fd);
	T_ASSERT(!setenv("USWAP_DEBUG_UFFD_HIDE", "MOVE,POISON", 1));
	T_ASSERT_EQ(uffd_open(UFFD_FEATURE_MOVE, 0, true, &caps, err, sizeof(err)), -EOPNOTSUPP);
	T_ASSERT(strstr(err, "lacks UFFD_FEATURE_MOVE"));
	T_ASSERT((fd = uffd_open(0, UFFD_FEATURE_POISON, true, &caps, err, sizeof(err))) >= 0);
	T_ASSERT(!(caps.enabled & UFFD_FEATURE_POISON) && !(caps.offered & (UFFD_FEATURE_MOVE | UFFD_FEATURE_POISON)));
	close(fd);
	T_ASSERT(!unsetenv("USWAP_DEBUG_UFFD_HIDE"));

	if (geteuid() != 0) {
		printf("SKIP: unprivileged part: not root, cannot drop to another user\n");
		return T_EXIT_PASS;
	}
	fflush(stdout); /* or the child's exit prints it again */
	pid_t pid = fork();
	if (pid == 0) {
		int r = unprivileged();
		fflush(stdout);
		_exit(r);
	}
	int status;
	T_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	T_ASSERT(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		printf("SKIP: unprivileged part: cannot change user\n");
	else
		T_ASSERT_EQ(WEXITSTATUS(status), 0);
	return T_EXIT_PASS;
}
