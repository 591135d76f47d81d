/*
 * api-errors.c - bad input gets a clear error and loses nothing: bad
 * options, a limit below the smallest budget, calls with bad arguments, a
 * full swap file (pages stay, the data stays right, the overrun is
 * counted), and no userfaultfd permission (as uid 65534).
 */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "uswap.h"

static void expect_open_fails(const char *opts, int err, const char *needle)
{
	errno = 0;
	uswap_t *u = uswap_open(opts);
	if (u || errno != err || !strstr(uswap_strerror(), needle)) {
		fprintf(stderr, "uswap_open(\"%s\"): %p errno %d, message '%s' (wanted errno %d and '%s')\n", opts,
			(void *)u, errno, uswap_strerror(), err, needle);
		exit(T_EXIT_FAIL);
	}
}

static void bad_options(void)
{
	expect_open_fails("nosuchkey=1", EINVAL, "nosuchkey");
	expect_open_fails("limit=lots", EINVAL, "limit");
	expect_open_fails("fault_mode=fast", EINVAL, "handler, sigbus");
	expect_open_fails("compressor=snappy", EINVAL, "lz4");
	expect_open_fails("limit=64K", EINVAL, "smallest budget");
	uswap_t *u = uswap_open("limit=8M");
	T_ASSERT(u);
	T_ASSERT(uswap_set_limit(u, 4096) == -EINVAL && strstr(uswap_strerror(), "smallest budget"));
	T_ASSERT(uswap_alloc(u, 0) == NULL && errno == EINVAL);
	int x;
	T_ASSERT(uswap_free(u, &x) == -EINVAL && strstr(uswap_strerror(), "not the start of a region"));
	T_ASSERT(uswap_pageout(u, &x, 4096) == -EINVAL);
	uint64_t v;
	T_ASSERT(uswap_stat(u, "no_such_stat", &v) == -ENOENT);
	uswap_close(u);
	printf("bad options and arguments: clear errors\n");
}

/* A swap file of 64 KiB and no zswap: evicting 64 pages cannot all work;
 * what cannot go stays resident, and every byte reads back. */
static void full_swapfile(void)
{
	uswap_t *u = uswap_open("zswap=off,swapfile_size=64K");
	T_ASSERT(u);
	unsigned char *m = uswap_alloc(u, 64 * 4096);
	T_ASSERT(m);
	for (unsigned i = 0; i < 64 * 4096; i += 8)
		*(uint64_t *)(m + i) = t_mix64(i);
	uint64_t fails = 0, outs = 0;
	for (int tries = 0; tries < 200 && (!fails || !outs); tries++) { /* pages the kernel holds a moment stay */
		T_ASSERT(uswap_pageout(u, m, 64 * 4096) == 0);
		T_ASSERT(!uswap_stat(u, "evict_fail", &fails) && !uswap_stat(u, "swapouts", &outs));
		usleep(1000);
	}
	T_ASSERT(outs >= 1 && outs <= 16 && fails >= 1 && outs + fails >= 17);
	for (unsigned i = 0; i < 64 * 4096; i += 8)
		T_ASSERT(*(uint64_t *)(m + i) == t_mix64(i));
	uswap_close(u);
	printf("full swap file: %llu pages out, %llu stayed, all data right\n", (unsigned long long)outs,
	       (unsigned long long)fails);
}

/* As uid 65534: handler mode needs kernel faults; sigbus mode makes do
 * with user-mode-only userfaultfd. */
static void no_permission(void)
{
	pid_t pid = fork();

	T_ASSERT(pid >= 0);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(77);
		errno = 0;
		uswap_t *u = uswap_open("fault_mode=handler");
		if (u) { /* the sysctl or /dev/userfaultfd allows it here: nothing to check */
			uswap_close(u);
			_exit(3);
		}
		if (errno != EPERM || !strstr(uswap_strerror(), "unprivileged_userfaultfd")) {
			fprintf(stderr, "errno %d: %s\n", errno, uswap_strerror());
			_exit(1);
		}
		printf("no permission (handler mode): %s\n", uswap_strerror());
		fflush(stdout);
		u = uswap_open("fault_mode=sigbus");
		if (!u) {
			fprintf(stderr, "sigbus mode as uid 65534: %s\n", uswap_strerror());
			_exit(1);
		}
		unsigned char *m = uswap_alloc(u, 1 << 20);
		if (!m)
			_exit(1);
		memset(m, 7, 1 << 20);
		uswap_pageout(u, m, 1 << 20);
		for (unsigned i = 0; i < 1 << 20; i++)
			if (m[i] != 7)
				_exit(1);
		uswap_close(u);
		_exit(0);
	}
	int st;
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	if (WEXITSTATUS(st) == 77 || WEXITSTATUS(st) == 3)
		printf("SKIP: no permission check (cannot become uid 65534, or it may use userfaultfd here)\n");
	else
		T_ASSERT(WEXITSTATUS(st) == 0);
}

int main(void)
{
	bad_options();
	full_swapfile();
	fflush(stdout);
	no_permission();
	return 0;
}
