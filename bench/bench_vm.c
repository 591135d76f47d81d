/*
 * bench_vm.c - `uswap bench vm` (also plain `uswap bench`): workloads over
 * a region larger than its budget, on uswap through the public API in each
 * fault mode, and with --kernel on the kernel's own zram/zswap in a memory
 * cgroup of the same limit, side by side, with the ratios the project's
 * targets are stated in. Each (workload, system) runs in a child process of
 * its own, so no run inherits another's memory; the parent sets up and
 * restores the kernel's configuration around the kernel's runs, also when
 * interrupted.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm_work.h"

#define MAX_SYS     8
#define MAX_THREADS 4

struct vm_opts {
	size_t size, limit;
	uint64_t ops;
	double theta;
	unsigned wls;                      /* bit per enum vm_wl */
	unsigned threads[MAX_THREADS], nthreads;
	char corpus[32];
	char uswap_opts[512];
	struct vm_sys sys[MAX_SYS];
	unsigned nsys;
	bool json;
	struct options opt;
};

/* One row of the report. */
struct vm_row {
	enum vm_wl wl;
	unsigned threads;
	const struct vm_sys *sys;
	struct vm_result r;
};

static volatile sig_atomic_t interrupted;
static volatile pid_t child_pid;

static void on_signal(int sig)
{
	interrupted = sig;
	if (child_pid > 0)
		kill(child_pid, SIGKILL);
}

static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: waitpid returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Run job in a child; the result comes back through a pipe. */
static void run_child(const struct vm_job *j, struct vm_result *r)
{
	int p[2], st;
	pid_t pid;

	*r = (struct vm_result){0};
	if (pipe(p) || (pid = fork()) < 0) {
		snprintf(r->err, sizeof(r->err), "fork: %s", strerror(errno));
		return;
	}
	if (!pid) {
		struct vm_result cr;
		close(p[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		vm_work_run(j, &cr);
		ssize_t w = write(p[1], &cr, sizeof(cr));
		_exit(w == (ssize_t)sizeof(cr) ? 0 : 1);
	}
	child_pid = pid;
	close(p[1]);
	ssize_t n = 0, k;
	while (n < (ssize_t)sizeof(*r) && ((k = read(p[0], (char *)r + n, sizeof(*r) - n)) > 0 || (k < 0 && errno == EINTR)))
		n += k > 0 ? k : 0;
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	child_pid = 0;
	if (n != (ssize_t)sizeof(*r)) {
		*r = (struct vm_result){0};
		if (WIFSIGNALED(st))
			snprintf(r->err, sizeof(r->err), "killed by signal %d%s", WTERMSIG(st),
				 WTERMSIG(st) == SIGKILL && !interrupted ? " (out of memory?)" : "");
		else
			snprintf(r->err, sizeof(r->err), "exited with status %d", WEXITSTATUS(st));
	}
}

/* How many thread counts workload wl runs with, and the t-th: the op
 * workloads take --threads, the others run one thread. */
static unsigned wl_nthreads(const struct vm_opts *o, int wl) { return wl >= WL_SEQ ? o->nthreads : 1; }
static unsigned wl_threads(const struct vm_opts *o, int wl, unsigned t) { return wl >= WL_SEQ ? o->threads[t] : 1; }

static bool sys_runs(const struct vm_sys *s, enum vm_wl wl)
{
	if (wl == WL_TOUCH)
		return s->kind == SYS_ANON || s->kind == SYS_USWAP;
	if (wl == WL_SWAP)
		return s->kind != SYS_ANON;
	return s->kind == SYS_USWAP || s->kind == SYS_KERNEL;
}

/* Run every workload on sys (set up first if it is the kernel's). */
static int run_sys(const struct vm_opts *o, const struct vm_sys *s, const struct corpus_set *cs, struct vm_row *rows,
		   unsigned *nrows)
{
	struct kswap k = {0};
	char err[512];

	if (s->kind == SYS_KERNEL) {
		bench_progress("bench vm: setting up the kernel's %s", s->arg);
		if (kswap_setup(&k, s->arg, bench_corpus_dir(&o->opt) ? bench_corpus_dir(&o->opt) : corpus_default_dir(),
				o->size * 2, err, sizeof(err))) {
			bench_progress_done();
			fprintf(stderr, "uswap bench vm: %s: %s\n", s->name, err);
			return 1;
		}
	}
	for (int wl = 0; wl < WL_NR && !interrupted; wl++) {
		if (!(o->wls & (1u << wl)) || !sys_runs(s, wl))
			continue;
		for (unsigned t = 0; t < wl_nthreads(o, wl) && !interrupted; t++) {
			struct vm_row *row = &rows[(*nrows)++];
			struct vm_job j = {.wl = wl, .sys = s, .size = o->size, .limit = o->limit, .ops = o->ops,
					   .seed = opt_num(&o->opt, OPT_SEED), .theta = o->theta,
					   .threads = wl_threads(o, wl, t), .corpus = o->corpus, .cs = cs,
					   .uswap_opts = o->uswap_opts, .k = &k};
			*row = (struct vm_row){.wl = wl, .threads = j.threads, .sys = s};
			run_child(&j, &row->r);
			if (!row->r.ok && !interrupted)
				fprintf(stderr, "\nuswap bench vm: %s on %s: %s\n", vm_wl_names[wl], s->name, row->r.err);
		}
	}
	kswap_restore(&k);
	return 0;
}

static double us(uint64_t ns)
{
	return (double)ns / 1e3;
}

static double mibs(const struct vm_phase *ph)
{
	return ph->secs > 0 ? (double)ph->n * 4096 / 1048576.0 / ph->secs : 0;
}

static void print_row(const struct vm_opts *o, const struct vm_row *w)
{
	const struct vm_result *r = &w->r;
	const struct vm_phase *ph = r->ph;
	double saving = r->pool + r->resident ? (double)o->size / (double)(r->pool + r->resident) : 0;

	printf("%-26s", w->sys->name);
	if (!r->ok) {
		printf(" failed: %s\n", r->err);
		return;
	}
	if (w->sys->kind == SYS_FLOOR)
		printf(" %9s %9s %7s %7s %9s %7.2f %7.2f\n", "", "", "", "", "", us(ph[0].p50), us(ph[0].p99));
	else if (w->wl == WL_TOUCH)
		printf(" %9.0f %7.2f %7.2f %9.1f\n", mibs(&ph[0]), us(ph[0].p50), us(ph[0].p99), r->hwm / 1048576.0);
	else if (w->wl == WL_SWAP)
		printf(" %9.0f %9.0f %7.2f %7.2f %9.0f %7.2f %7.2f %7.2f %5llu\n", mibs(&ph[0]), mibs(&ph[1]),
		       us(ph[1].p50), us(ph[1].p99), mibs(&ph[2]), us(ph[2].p50), us(ph[2].p99), saving,
		       (unsigned long long)r->loss);
	else
		printf(" %9.0f %7.2f %7.2f %8.0f %10llu %9.1f %7.2f %5llu\n", ph[0].n / ph[0].secs, us(ph[0].p50),
		       us(ph[0].p99), us(ph[0].max), (unsigned long long)ph[0].major, r->hwm / 1048576.0, saving,
		       (unsigned long long)r->loss);
}

static void print_head(const struct vm_opts *o, enum vm_wl wl, unsigned threads)
{
	double mib = (double)o->size / 1048576.0;

	if (wl == WL_TOUCH) {
		printf("\ntouch: first write of each page of %.0f MiB, in order, no limit (us per touch)\n", mib);
		printf("%-26s %9s %7s %7s %9s\n", "system", "MiB/s", "p50", "p99", "hwm MiB");
	} else if (wl == WL_SWAP) {
		printf("\nswap: %.0f MiB of %s pages, no limit: pageout, read each page in order, pageout, read each in "
		       "random order (us per fault)\n", mib, o->corpus);
		printf("%-26s %9s %9s %7s %7s %9s %7s %7s %7s %5s\n", "system", "out MiB/s", "seq MiB/s", "p50", "p99",
		       "rnd MiB/s", "p50", "p99", "saving", "lost");
	} else {
		printf("\n%s: %llu read+write ops on %.0f MiB of %s pages, limit %.0f MiB, %u thread%s (us per op)\n",
		       vm_wl_names[wl], (unsigned long long)o->ops, mib, o->corpus, (double)o->limit / 1048576.0,
		       threads, threads > 1 ? "s" : "");
		printf("%-26s %9s %7s %7s %8s %10s %9s %7s %5s\n", "system", "ops/s", "p50", "p99", "max", "major",
		       "hwm MiB", "saving", "lost");
	}
}

static const struct vm_row *find(const struct vm_row *rows, unsigned n, enum vm_wl wl, unsigned threads,
				 const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (rows[i].wl == wl && rows[i].threads == threads && rows[i].r.ok && !strcmp(rows[i].sys->name, name))
			return &rows[i];
	return NULL;
}

/* The best row of a kind for a workload: most ops/s, or MiB/s of phase ph. */
static const struct vm_row *best(const struct vm_row *rows, unsigned n, enum vm_wl wl, unsigned threads,
				 enum vm_sys_kind kind, int ph, bool lowest_p50)
{
	const struct vm_row *b = NULL;

	for (unsigned i = 0; i < n; i++) {
		const struct vm_row *w = &rows[i];
		if (w->wl != wl || w->threads != threads || !w->r.ok || w->sys->kind != kind)
			continue;
		if (!b || (lowest_p50 ? w->r.ph[ph].p50 < b->r.ph[ph].p50 : mibs(&w->r.ph[ph]) > mibs(&b->r.ph[ph])))
			b = w;
	}
	return b;
}

static void target_line(const char *what, double v, const char *rel, double goal, bool at_most)
{
	bool met = at_most ? v <= goal : v >= goal;
	printf("  %-44s %5.2fx %-22s (target %s %.1fx) %s\n", what, v, rel, at_most ? "<=" : ">=", goal,
	       met ? "met" : "MISSED");
}

static void print_targets(const struct vm_opts *o, const struct vm_row *rows, unsigned n)
{
	const struct vm_row *u, *k, *f;
	char what[96], floor_name[48];

	printf("\ntargets (issue 10), ratios within this run:\n");
	if ((u = best(rows, n, WL_SWAP, 1, SYS_USWAP, 2, true)) && (k = find(rows, n, WL_SWAP, 1, "kernel-zram-lz4"))) {
		snprintf(what, sizeof(what), "random swap-in p50, %s", u->sys->name);
		target_line(what, (double)u->r.ph[2].p50 / (double)k->r.ph[2].p50, "of zram-lz4's", 1.3, true);
		snprintf(floor_name, sizeof(floor_name), "floor-%s", u->sys->arg);
		if ((f = find(rows, n, WL_SWAP, 1, floor_name)))
			target_line(what, (double)u->r.ph[2].p50 / (double)f->r.ph[0].p50, "of its mode's floor", 1.2,
				    true);
	}
	if ((u = best(rows, n, WL_SWAP, 1, SYS_USWAP, 1, false)) && (k = find(rows, n, WL_SWAP, 1, "kernel-zram-lz4"))) {
		snprintf(what, sizeof(what), "sequential swap-in MiB/s, %s", u->sys->name);
		target_line(what, mibs(&u->r.ph[1]) / mibs(&k->r.ph[1]), "of zram-lz4's", 0.8, false);
	}
	for (int wl = WL_SEQ; wl < WL_NR; wl++)
		for (unsigned t = 0; t < o->nthreads; t++) {
			unsigned nt = o->threads[t];
			u = best(rows, n, wl, nt, SYS_USWAP, 0, false);
			k = best(rows, n, wl, nt, SYS_KERNEL, 0, false);
			if (!u || !k)
				continue;
			snprintf(what, sizeof(what), "%s ops/s, %u thread%s, %s", vm_wl_names[wl], nt, nt > 1 ? "s" : "",
				 u->sys->name);
			char rel[40];
			snprintf(rel, sizeof(rel), "of %s's", k->sys->arg);
			target_line(what, (double)k->r.ph[0].secs / (double)u->r.ph[0].secs, rel, 0.8, false);
		}
	if ((u = best(rows, n, WL_TOUCH, 1, SYS_USWAP, 0, false)) && (k = find(rows, n, WL_TOUCH, 1, "anon"))) {
		snprintf(what, sizeof(what), "first-touch write MiB/s, %s", u->sys->name);
		target_line(what, mibs(&u->r.ph[0]) / mibs(&k->r.ph[0]), "of plain memory's", 0.7, false);
	}
}

static void print_json(const struct vm_opts *o, const struct vm_row *rows, unsigned n)
{
	static const char *const ph_names[WL_NR][VM_PHASES] = {
		{"touch"}, {"pageout", "seq", "rnd"}, {"ops"}, {"ops"}, {"ops"}};

	printf("{\"size\": %zu, \"limit\": %zu, \"ops\": %llu, \"theta\": %.2f, \"corpus\": \"%s\", \"runs\": [",
	       o->size, o->limit, (unsigned long long)o->ops, o->theta, o->corpus);
	for (unsigned i = 0; i < n; i++) {
		const struct vm_row *w = &rows[i];
		printf("%s\n {\"workload\": \"%s\", \"system\": \"%s\", \"threads\": %u, \"ok\": %s", i ? "," : "",
		       vm_wl_names[w->wl], w->sys->name, w->threads, w->r.ok ? "true" : "false");
		if (!w->r.ok) {
			printf(", \"error\": \"%s\"}", w->r.err);
			continue;
		}
		printf(", \"lost_pages\": %llu, \"hwm_bytes\": %llu, \"resident_bytes\": %llu, \"pool_bytes\": %llu",
		       (unsigned long long)w->r.loss, (unsigned long long)w->r.hwm, (unsigned long long)w->r.resident,
		       (unsigned long long)w->r.pool);
		for (int p = 0; p < VM_PHASES && ph_names[w->wl][p]; p++) {
			const struct vm_phase *ph = &w->r.ph[p];
			printf(", \"%s\": {\"secs\": %.4f, \"n\": %llu, \"mibs\": %.1f, \"per_s\": %.0f, \"p50_ns\": %llu, "
			       "\"p99_ns\": %llu, \"max_ns\": %llu, \"major_faults\": %llu}", ph_names[w->wl][p], ph->secs,
			       (unsigned long long)ph->n, mibs(ph), ph->secs > 0 ? ph->n / ph->secs : 0,
			       (unsigned long long)ph->p50, (unsigned long long)ph->p99, (unsigned long long)ph->max,
			       (unsigned long long)ph->major);
		}
		printf("}");
	}
	printf("]}\n");
}

static void print_report(const struct vm_opts *o, const struct vm_row *rows, unsigned n)
{
	if (o->json)
		return print_json(o, rows, n);
	printf("uswap bench vm: seed %llu; each run in a process of its own; uswap with pool_in_limit=off, as the "
	       "kernel's cgroup v1 charges no pool\n", (unsigned long long)opt_num(&o->opt, OPT_SEED));
	for (int wl = 0; wl < WL_NR; wl++)
		for (unsigned t = 0; t < wl_nthreads(o, wl); t++) {
			bool head = false;
			for (unsigned i = 0; i < n; i++) {
				if ((int)rows[i].wl != wl || rows[i].threads != wl_threads(o, wl, t))
					continue;
				if (!head)
					print_head(o, wl, rows[i].threads);
				head = true;
				print_row(o, &rows[i]);
			}
		}
	printf("\nsaving: region size / (resident + compressed pool), read after the first pageout (swap) or\n"
	       "after the ops (zram's pool: mem_used_total; zswap's: pool_total_size). floor-<mode>: a\n"
	       "userfaultfd fault of that mode resolved with a prepared page (no decompression), random order.\n");
	print_targets(o, rows, n);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uswap bench [vm] [options]\n"
		"Workloads on a region larger than its memory budget, through uswap's public API in each fault\n"
		"mode, and with --kernel on the kernel's own zram/zswap in a memory cgroup of the same limit,\n"
		"side by side. Defaults are the kernel anchor's workloads (../shared/anchors/kernel).\n\n"
		"  -s, --size SIZE       region size, K/M/G suffixes (default 1G)\n"
		"  -l, --limit SIZE      memory budget of the op workloads (default 256M; at least 4M)\n"
		"  -w, --workload LIST   touch, swap, seq, random, zipf, or all (default touch,swap,random,zipf)\n"
		"                          touch   first write of each page, no limit, against plain memory\n"
		"                          swap    pageout, read every page in order, pageout, read in random order\n"
		"                          seq/random/zipf  read+write ops (8 bytes of one page each) under --limit\n"
		"  -n, --ops N           ops per op workload (default 2000000)\n"
		"      --theta X         zipf skew (default 0.99)\n"
		"  -t, --threads LIST    threads of the op workloads, e.g. 1,2 (default 1)\n"
		"  -c, --corpus NAME     page contents: zero, text, binary, random, mixed (default), heap\n"
		"  -m, --modes LIST      uswap fault modes: handler, sigbus (default both), none (the kernel alone)\n"
		"  -k, --kernel[=LIST]   also the kernel, root only: zram-<alg>, zswap-<alg>, -pc0 suffix for\n"
		"                        page-cluster 0 (default zram-lz4,zswap-lzo-rle); the machine's swap\n"
		"                        state is restored afterwards, also when interrupted\n"
		"      --json            machine-readable output\n"
		BENCH_OPTS_HELP
		"      --seed N          page contents and op stream (default 1)\n"
		"      --corpus-dir DIR  where the corpora are kept (and the kernel's swap file made)\n"
		"  -h, --help            this text\n");
}

static int add_sys(struct vm_opts *o, enum vm_sys_kind kind, const char *prefix, const char *arg)
{
	if (o->nsys == MAX_SYS) {
		fprintf(stderr, "uswap bench vm: at most %d systems\n", MAX_SYS);
		return 2;
	}
	struct vm_sys *s = &o->sys[o->nsys++];
	s->kind = kind;
	snprintf(s->arg, sizeof(s->arg), "%s", arg);
	snprintf(s->name, sizeof(s->name), "%s%s", prefix, kind == SYS_FLOOR && !strcmp(arg, "handler-same") ? "handler" : arg);
	return 0;
}

static int parse_list(const char *what, const char *arg, const char *const *names, int n, unsigned *bits)
{
	char buf[256], *item[16];
	int k = bench_split(strncpy(buf, arg, sizeof(buf) - 1), item, 16);

	buf[sizeof(buf) - 1] = 0;
	*bits = 0;
	for (int i = 0; i < k; i++) {
		int m = 0;
		if (!strcmp(item[i], "all")) {
			*bits = (1u << n) - 1;
			continue;
		}
		while (m < n && strcmp(names[m], item[i]))
			m++;
		if (m == n) {
			fprintf(stderr, "uswap bench vm: %s '%s' is unknown (have:", what, item[i]);
			for (m = 0; m < n; m++)
				fprintf(stderr, " %s", names[m]);
			fprintf(stderr, ")\n");
			return 2;
		}
		*bits |= 1u << m;
	}
	return *bits ? 0 : (fprintf(stderr, "uswap bench vm: empty %s list\n", what), 2);
}

static int parse_threads(struct vm_opts *o, const char *arg)
{
	char buf[128], *item[MAX_THREADS];
	int k = bench_split(strncpy(buf, arg, sizeof(buf) - 1), item, MAX_THREADS);

	buf[sizeof(buf) - 1] = 0;
	o->nthreads = 0;
	for (int i = 0; i < k; i++)
		if (bench_opt_uint("vm", "threads", item[i], 1, 64, &o->threads[o->nthreads++]))
			return 2;
	return k ? 0 : 2;
}

static int parse_systems(struct vm_opts *o, unsigned modes, const char *kernel)
{
	static const char *const mode_names[] = {"handler", "sigbus"};
	static const char *const floor_modes[] = {"handler-same", "sigbus"};
	char buf[256], *item[MAX_SYS];
	int ret = add_sys(o, SYS_ANON, "anon", "");

	o->sys[0].name[4] = 0;
	for (int m = 0; m < 2 && !ret; m++)
		if (modes & (1u << m))
			ret = add_sys(o, SYS_FLOOR, "floor-", floor_modes[m]) || add_sys(o, SYS_USWAP, "uswap-", mode_names[m]);
	if (!kernel || ret)
		return ret;
	int k = bench_split(strncpy(buf, kernel, sizeof(buf) - 1), item, MAX_SYS);
	buf[sizeof(buf) - 1] = 0;
	for (int i = 0; i < k && !ret; i++)
		ret = add_sys(o, SYS_KERNEL, "kernel-", item[i]);
	return ret;
}

static int parse_size(const char *opt, const char *arg, size_t *out)
{
	uint64_t v;

	if (opt_parse_size(arg, &v) || v < (4u << 20) || v > (1ull << 40)) {
		fprintf(stderr, "uswap bench vm: --%s '%s' is not a size from 4M to 1T (K/M/G suffixes)\n", opt, arg);
		return 2;
	}
	*out = (size_t)v & ~(size_t)4095;
	return 0;
}

static int parse(int argc, char **argv, struct vm_opts *o)
{
	static const struct option lo[] = {
		{"size", 1, 0, 's'},   {"limit", 1, 0, 'l'},  {"workload", 1, 0, 'w'}, {"ops", 1, 0, 'n'},
		{"theta", 1, 0, 'z'},  {"threads", 1, 0, 't'}, {"corpus", 1, 0, 'c'},  {"modes", 1, 0, 'm'},
		{"kernel", 2, 0, 'k'}, {"json", 0, 0, 'j'},    {"help", 0, 0, 'h'},    BENCH_SHARED_LONGOPTS, {0}};
	const char *kernel = NULL;
	unsigned modes = 3;
	char *end;
	int c;

	*o = (struct vm_opts){.size = 1u << 30, .limit = 256u << 20, .ops = 2000000, .theta = 0.99,
			      .wls = 1u << WL_TOUCH | 1u << WL_SWAP | 1u << WL_RANDOM | 1u << WL_ZIPF,
			      .threads = {1}, .nthreads = 1, .corpus = "mixed"};
	if (bench_opts_init("vm", &o->opt))
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:l:w:n:t:c:m:k::o:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': if (parse_size("size", optarg, &o->size)) return 2; break;
		case 'l': if (parse_size("limit", optarg, &o->limit)) return 2; break;
		case 'w': if (parse_list("workload", optarg, vm_wl_names, WL_NR, &o->wls)) return 2; break;
		case 'n':
			o->ops = strtoull(optarg, &end, 10);
			if (*end || !o->ops || o->ops > (1ull << 32)) {
				fprintf(stderr, "uswap bench vm: --ops '%s' is not a count from 1 to 2^32\n", optarg);
				return 2;
			}
			break;
		case 'z':
			o->theta = strtod(optarg, &end);
			if (*end || o->theta <= 0 || o->theta > 3) {
				fprintf(stderr, "uswap bench vm: --theta '%s' is not a number in (0, 3]\n", optarg);
				return 2;
			}
			break;
		case 't': if (parse_threads(o, optarg)) return 2; break;
		case 'c':
			if (!corpus_valid(optarg)) {
				fprintf(stderr, "uswap bench vm: corpus '%s' is unknown (have: zero, text, binary, random, "
						"mixed, heap)\n", optarg);
				return 2;
			}
			snprintf(o->corpus, sizeof(o->corpus), "%s", optarg);
			break;
		case 'm': {
			static const char *const names[] = {"handler", "sigbus"};
			if (!strcmp(optarg, "none"))
				modes = 0; /* the kernel alone */
			else if (parse_list("fault mode", optarg, names, 2, &modes))
				return 2;
			break;
		}
		case 'k': kernel = optarg ? optarg : "zram-lz4,zswap-lzo-rle"; break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); return 1;
		case 'o': /* kept for uswap_open as well */
			snprintf(o->uswap_opts + strlen(o->uswap_opts), sizeof(o->uswap_opts) - strlen(o->uswap_opts),
				 "%s%s", o->uswap_opts[0] ? "," : "", optarg);
			/* fallthrough */
		default:
			if ((c = bench_shared_flag("vm", c, optarg, &o->opt)) == 1)
				usage(stderr);
			if (c)
				return 2;
		}
	}
	if (bench_opt_end("vm", argc, argv))
		return 2;
	if (o->limit >= o->size && (o->wls & ~(1u << WL_TOUCH | 1u << WL_SWAP))) {
		fprintf(stderr, "uswap bench vm: --limit (%zu MiB) must be below --size (%zu MiB), or nothing pages\n",
			o->limit >> 20, o->size >> 20);
		return 2;
	}
	return parse_systems(o, modes, kernel);
}

int bench_vm_main(int argc, char **argv)
{
	struct vm_opts o;
	struct corpus_set cs = {0};
	char err[512];
	unsigned n = 0, failed = 0;
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret == 1 ? 0 : ret;
	struct vm_row *rows = calloc(MAX_SYS * WL_NR * MAX_THREADS, sizeof(*rows));
	if (!rows || corpus_open(&cs, bench_corpus_dir(&o.opt), o.corpus, 1.0, err, sizeof(err))) {
		fprintf(stderr, "uswap bench vm: %s\n", rows ? err : "out of memory");
		return 1;
	}
	catch_signals();
	if (o.sys[o.nsys - 1].kind == SYS_KERNEL && kswap_restore_stale())
		fprintf(stderr, "uswap bench vm: restored the kernel swap state a killed run had left\n");
	for (unsigned s = 0; s < o.nsys && !interrupted; s++)
		failed += run_sys(&o, &o.sys[s], &cs, rows, &n);
	bench_progress_done();
	corpus_close(&cs);
	if (interrupted) {
		fprintf(stderr, "uswap bench vm: interrupted; the kernel's swap state is as it was\n");
		signal(interrupted, SIG_DFL);
		raise(interrupted);
		return 130;
	}
	for (unsigned i = 0; i < n; i++) /* the kernel's own OOM kills are results, not failures */
		failed += rows[i].r.loss || (!rows[i].r.ok && rows[i].sys->kind != SYS_KERNEL);
	print_report(&o, rows, n);
	free(rows);
	return failed ? 1 : 0;
}
