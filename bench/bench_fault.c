/*
 * bench_fault.c - `uswap bench fault`: what one page fault costs when user
 * space resolves it, on this machine, side by side with the kernel's own
 * anonymous page fault: the floor of each fault mode the vm layer can use
 * (issue 10), measured before building on it.
 *
 * Every mode touches each page of a region once, in a random order, from
 * one thread pinned to CPU 0, and times each touch. Resolution installs a
 * prepared page with UFFDIO_COPY: no decompression, the floor of a swap-in.
 *   anon          plain anonymous memory: the kernel's fault (zero page)
 *   handler-same  a handler thread reading the userfaultfd, pinned to CPU 0
 *   handler-other a handler thread pinned to CPU 1
 *   handler-free  a handler thread the scheduler places
 *   sigbus        in-thread: UFFD_FEATURE_SIGBUS, the faulting thread's own
 *                 SIGBUS handler installs the page (no wake-up at all)
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/base.h"
#include "bench.h"
#include "vm/uffd.h"

enum fm_kind { FM_ANON, FM_SAME, FM_OTHER, FM_FREE, FM_SIGBUS, FM_NR };

static const char *const mode_names[FM_NR] = {"anon", "handler-same", "handler-other", "handler-free", "sigbus"};

struct fault_opts {
	size_t pages;
	unsigned modes; /* bit per enum fm_kind */
	bool json;
	struct options opt;
};

struct fault_result {
	uint64_t p50, p90, p99, max, n;
	double mean;
	bool ran;
};

static _Alignas(4096) unsigned char src_page[PAGE_SIZE]; /* what every fault installs */
static int sig_uffd = -1;                                 /* the fd the SIGBUS handler serves */
static _Atomic int handler_stop;

/* Install the prepared page at addr's page; EEXIST (someone was first) is
 * fine. Async-signal-safe: one ioctl. */
static void install(int fd, uint64_t addr)
{
	struct uffdio_copy cp = {.dst = addr & ~(uint64_t)(PAGE_SIZE - 1), .src = (uintptr_t)src_page,
				 .len = PAGE_SIZE};
	int saved = errno;

	if (ioctl(fd, UFFDIO_COPY, &cp) && errno != EEXIST) {
		static const char msg[] = "uswap bench fault: UFFDIO_COPY failed\n";
		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(1);
		_exit(1);
	}
	errno = saved;
}

struct handler_arg {
	int fd, cpu; /* cpu < 0: not pinned */
};

static void *handler_main(void *arg)
{
	struct handler_arg *h = arg;
	struct uffd_msg msg[16];

	if (h->cpu >= 0)
		bench_pin_to(h->cpu);
	while (!atomic_load_explicit(&handler_stop, memory_order_acquire)) {
		struct pollfd p = {.fd = h->fd, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = read(h->fd, msg, sizeof(msg));
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(msg[0]); i++)
			if (msg[i].event == UFFD_EVENT_PAGEFAULT)
				install(h->fd, msg[i].arg.pagefault.address);
	}
	return NULL;
}

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	if (sig_uffd < 0) {
		signal(SIGBUS, SIG_DFL); /* not ours: the default action on return */
		return;
	}
	install(sig_uffd, (uintptr_t)si->si_addr);
}

/* Touch every page of region once, in order[], timing each touch. */
static void touch_all(volatile unsigned char *region, const uint64_t *order, size_t n, struct hist *h)
{
	unsigned sum = 0;

	for (size_t k = 0; k < n; k++) {
		uint64_t t0 = os_now_ns();
		sum += region[order[k] * PAGE_SIZE + 64];
		hist_record(h, os_now_ns() - t0);
	}
	if (sum == 1) /* keep the reads */
		fputc(' ', stderr);
}

static int run_mode(enum fm_kind m, size_t n, const uint64_t *order, struct fault_result *r, char *err,
		    size_t errlen)
{
	static struct hist h;
	struct uffd_caps caps;
	pthread_t t;
	struct handler_arg ha = {-1, -1};
	int fd = -1, ret = 0;
	unsigned char *region = mmap(NULL, n * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (region == MAP_FAILED) {
		snprintf(err, errlen, "mmap of %zu pages: %s", n, strerror(errno));
		return -ENOMEM;
	}
	hist_reset(&h);
	if (m != FM_ANON) {
		fd = uffd_open(m == FM_SIGBUS ? UFFD_FEATURE_SIGBUS : 0, 0, false, &caps, err, errlen);
		struct uffdio_register reg = {.range = {(uintptr_t)region, n * PAGE_SIZE},
					      .mode = UFFDIO_REGISTER_MODE_MISSING};
		if (fd < 0 || ioctl(fd, UFFDIO_REGISTER, &reg)) {
			if (fd >= 0)
				snprintf(err, errlen, "UFFDIO_REGISTER: %s", strerror(errno));
			ret = fd < 0 ? fd : -errno;
			goto out;
		}
	}
	if (m == FM_SIGBUS) {
		sig_uffd = fd;
	} else if (m != FM_ANON) {
		ha = (struct handler_arg){fd, m == FM_SAME ? 0 : m == FM_OTHER ? 1 : -1};
		atomic_store(&handler_stop, 0);
		pthread_create(&t, NULL, handler_main, &ha);
	}
	touch_all(region, order, n, &h);
	if (m == FM_SIGBUS) {
		sig_uffd = -1;
	} else if (m != FM_ANON) {
		atomic_store_explicit(&handler_stop, 1, memory_order_release);
		pthread_join(t, NULL);
	}
	*r = (struct fault_result){hist_percentile(&h, 50), hist_percentile(&h, 90), hist_percentile(&h, 99),
				   hist_max(&h), hist_count(&h), hist_mean(&h), true};
out:
	if (fd >= 0)
		close(fd);
	munmap(region, n * PAGE_SIZE);
	return ret;
}

int bench_fault_floor(const char *mode, size_t pages, uint64_t seed, uint64_t *p50, uint64_t *p99, char *err,
		      size_t errlen)
{
	struct fault_result r;
	int m = 0, ret;

	while (m < FM_NR && strcmp(mode_names[m], mode))
		m++;
	if (m == FM_NR) {
		snprintf(err, errlen, "fault mode '%s' is unknown", mode);
		return -EINVAL;
	}
	uint64_t *order = bench_shuffled(pages, seed);
	if (!order) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct sigaction sa = {.sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		src_page[i] = (unsigned char)(i * 7);
	bench_pin_to(0); /* handler-same's handler is pinned to CPU 0 */
	ret = run_mode(m, pages, order, &r, err, errlen);
	free(order);
	*p50 = r.p50;
	*p99 = r.p99;
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uswap bench fault [options]\n"
		"The cost of one page fault resolved in user space with userfaultfd (UFFDIO_COPY of a\n"
		"prepared page: the floor of a swap-in), by fault mode, next to the kernel's own\n"
		"anonymous page fault; each page of a region touched once in random order.\n\n"
		"  -p, --pages N      pages in the region (default 16384)\n"
		"  -m, --mode LIST    anon, handler-same, handler-other, handler-free, sigbus, or all (default)\n"
		"      --json         machine-readable output\n"
		"      --seed N       order of the touches (default 1)\n"
		"  -h, --help         this text\n");
}

static int parse(int argc, char **argv, struct fault_opts *o)
{
	static const struct option lo[] = {{"pages", 1, 0, 'p'}, {"mode", 1, 0, 'm'},  {"json", 0, 0, 'j'},
					   {"help", 0, 0, 'h'},  BENCH_SHARED_LONGOPTS, {0}};
	unsigned pages = 16384;
	int c;

	*o = (struct fault_opts){.modes = (1u << FM_NR) - 1};
	if (bench_opts_init("fault", &o->opt))
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:m:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (bench_opt_uint("fault", "pages", optarg, 16, 1u << 22, &pages))
				return 2;
			break;
		case 'm': {
			char *list[FM_NR + 1];
			int n = bench_split(strdup(optarg), list, FM_NR + 1);
			o->modes = 0;
			for (int i = 0; i < n; i++) {
				unsigned bit = 0;
				for (int k = 0; k < FM_NR; k++)
					if (!strcmp(list[i], mode_names[k]))
						bit = 1u << k;
				if (!strcmp(list[i], "all"))
					bit = (1u << FM_NR) - 1;
				if (!bit) {
					fprintf(stderr, "uswap bench fault: mode '%s' is unknown (have: anon, handler-same, "
							"handler-other, handler-free, sigbus, all)\n", list[i]);
					return 2;
				}
				o->modes |= bit;
			}
			break;
		}
		case 'j': o->json = true; break;
		case 'h': usage(stdout); return 1;
		default:
			if ((c = bench_shared_flag("fault", c, optarg, &o->opt)) == 1)
				usage(stderr);
			if (c)
				return 2;
		}
	}
	o->pages = pages;
	return bench_opt_end("fault", argc, argv) ? 2 : 0;
}

int bench_fault_main(int argc, char **argv)
{
	struct fault_opts o;
	struct fault_result r[FM_NR] = {{0}};
	char err[512];
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret == 1 ? 0 : ret;
	struct sigaction sa = {.sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	uint64_t *order = bench_shuffled(o.pages, opt_num(&o.opt, OPT_SEED));
	if (!order) {
		fprintf(stderr, "uswap bench fault: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < PAGE_SIZE; i++)
		src_page[i] = (unsigned char)(i * 7);
	bench_pin_to(0);
	for (int m = 0; m < FM_NR && !ret; m++)
		if (o.modes & (1u << m)) {
			bench_progress("bench fault: %s", mode_names[m]);
			if ((ret = run_mode(m, o.pages, order, &r[m], err, sizeof(err))))
				fprintf(stderr, "uswap bench fault: %s: %s\n", mode_names[m], err);
		}
	bench_progress_done();
	free(order);
	if (o.json) {
		printf("{\"pages\": %zu, \"modes\": [", o.pages);
		for (int m = 0, k = 0; m < FM_NR; m++)
			if (r[m].ran)
				printf("%s\n {\"mode\": \"%s\", \"p50_ns\": %llu, \"p90_ns\": %llu, \"p99_ns\": %llu, "
				       "\"max_ns\": %llu, \"mean_ns\": %.0f}", k++ ? "," : "", mode_names[m],
				       (unsigned long long)r[m].p50, (unsigned long long)r[m].p90,
				       (unsigned long long)r[m].p99, (unsigned long long)r[m].max, r[m].mean);
		printf("]}\n");
		return ret ? 1 : 0;
	}
	printf("uswap bench fault: %zu pages, each touched once in random order from CPU 0; us per fault\n\n",
	       o.pages);
	printf("%-14s %8s %8s %8s %8s %8s %8s\n", "mode", "p50", "p90", "p99", "max", "mean", "x anon");
	for (int m = 0; m < FM_NR; m++) {
		char x[16] = "-";
		if (!r[m].ran)
			continue;
		if (r[FM_ANON].ran && r[FM_ANON].p50)
			snprintf(x, sizeof(x), "%.2f", (double)r[m].p50 / (double)r[FM_ANON].p50);
		printf("%-14s %8.2f %8.2f %8.2f %8.1f %8.2f %8s\n", mode_names[m], r[m].p50 / 1e3, r[m].p90 / 1e3,
		       r[m].p99 / 1e3, r[m].max / 1e3, r[m].mean / 1e3, x);
	}
	printf("\nanon: the kernel's own fault on plain anonymous memory; the others resolve a userfaultfd\n"
	       "fault with UFFDIO_COPY of a prepared page (no decompression): handler-same/-other, a thread\n"
	       "reading the fd pinned to the faulting CPU / the other one; handler-free, unpinned; sigbus,\n"
	       "the faulting thread's own SIGBUS handler. x anon: p50 / anon's p50.\n");
	return ret ? 1 : 0;
}
