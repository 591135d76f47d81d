/*
 * vm_work.c - one workload of `uswap bench vm` on one system, run in the
 * calling process (a child of the bench). The same code drives uswap's
 * region and the kernel's anonymous memory and times each touch or op
 * with the same clock, the way ../shared/anchors/kernel/kswapbench.c
 * times the kernel: fill every page from a corpus and remember its hash;
 * then the workload; then read every page back and count the wrong ones.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/base.h"
#include "uswap.h"
#include "uswap_debug.h"
#include "vm_work.h"

#define PG        4096
#define CHUNK     (64u << 20) /* pageout in 64 MiB calls, as the kernel anchor does */
#define MAX_TEAM  64

const char *const vm_wl_names[WL_NR] = {"touch", "swap", "seq", "random", "zipf"};

static bool progress_tty; /* percentages only where they overwrite each other */

struct target {
	const struct vm_job *j;
	uswap_t *u;
	unsigned char *p;
	size_t npages;
	uint64_t *hash;
};

/* Page i's hash, seeded with i: a page's copy at another index differs. */
static uint64_t page_hash(const unsigned char *p, size_t i)
{
	return XXH3_64bits_withSeed(p, PG, i);
}

/* The workloads that measure paging alone run with no budget. */
static size_t job_limit(const struct vm_job *j)
{
	return j->wl == WL_TOUCH || j->wl == WL_SWAP ? 0 : j->limit;
}

static int target_open(struct target *t, const struct vm_job *j, char *err, size_t errlen)
{
	*t = (struct target){.j = j, .npages = j->size / PG};
	if (j->sys->kind == SYS_USWAP) {
		char o[1024];
		snprintf(o, sizeof(o), "pool_in_limit=off%s%s,limit=%zu,fault_mode=%s", *j->uswap_opts ? "," : "",
			 j->uswap_opts, job_limit(j), j->sys->arg);
		if (!(t->u = uswap_open(o))) {
			snprintf(err, errlen, "uswap_open: %s", uswap_strerror());
			return -1;
		}
		if (!(t->p = uswap_alloc(t->u, t->npages * PG))) {
			snprintf(err, errlen, "uswap_alloc(%zu MiB): %s", j->size >> 20, uswap_strerror());
			return -1;
		}
		return 0;
	}
	if (j->sys->kind == SYS_KERNEL && kswap_memcg_join(job_limit(j), err, errlen))
		return -1;
	t->p = mmap(NULL, t->npages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->p == MAP_FAILED) {
		snprintf(err, errlen, "mmap(%zu MiB): %s", j->size >> 20, strerror(errno));
		return -1;
	}
	madvise(t->p, t->npages * PG, MADV_NOHUGEPAGE);
	return 0;
}

static uint64_t target_stat(const struct target *t, const char *name)
{
	uint64_t v = 0;

	uswap_stat(t->u, name, &v);
	return v;
}

static uint64_t target_major(const struct target *t)
{
	struct rusage r;

	if (t->u)
		return target_stat(t, "major_faults");
	getrusage(RUSAGE_SELF, &r);
	return (uint64_t)r.ru_majflt;
}

/* What the region costs now: resident bytes and the compressed pool. */
static void target_memory(const struct target *t, struct vm_result *r)
{
	if (t->u) {
		r->resident = target_stat(t, "resident_bytes");
		r->pool = target_stat(t, "pool_total_size");
	} else if (t->j->sys->kind == SYS_KERNEL) {
		r->resident = kswap_memcg_usage();
		r->pool = kswap_pool_bytes(t->j->k);
	}
}

static int target_pageout(struct target *t)
{
	size_t len = t->npages * PG;

	for (size_t off = 0; off < len; off += CHUNK) {
		size_t n = len - off < CHUNK ? len - off : CHUNK;
		int ret = t->u ? uswap_pageout(t->u, t->p + off, n) : madvise(t->p + off, n, MADV_PAGEOUT) ? -errno : 0;
		if (ret)
			return ret;
	}
	return 0;
}

static int target_fill(struct target *t, char *err, size_t errlen)
{
	static _Alignas(64) unsigned char buf[PG];

	if (!(t->hash = malloc(t->npages * sizeof(*t->hash)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < t->npages; i++) {
		corpus_fill_page(t->j->cs, t->j->corpus, t->j->seed, i, buf);
		t->hash[i] = page_hash(buf, i);
		memcpy(t->p + i * PG, buf, PG);
		if (!(i & 8191) && progress_tty)
			bench_progress("bench vm: %s on %s: filling %zu%%", vm_wl_names[t->j->wl], t->j->sys->name,
				       i * 100 / t->npages);
	}
	return 0;
}

/* Say how page i reads wrong: what it holds instead of its corpus page. */
static void report_bad(const struct target *t, size_t i)
{
	static _Alignas(64) unsigned char want[PG];
	const unsigned char *p = t->p + i * PG;
	size_t diff = 0, first = PG, nonzero = 0;

	corpus_fill_page(t->j->cs, t->j->corpus, t->j->seed, i, want);
	for (size_t k = 0; k < PG; k++) {
		nonzero += p[k] != 0;
		if (p[k] != want[k] && diff++ == 0)
			first = k;
	}
	fprintf(stderr, "uswap bench vm: %s on %s: page %zu reads wrong: %zu bytes differ from offset %zu; %s\n",
		vm_wl_names[t->j->wl], t->j->sys->name, i, diff, first, nonzero ? "not all zero" : "all zero");
}

/* The debug tier's table check (uswap only): a page whose table and
 * presence disagree is counted as lost, and said. */
static uint64_t target_validate(const struct target *t)
{
	char err[256];

	if (!t->u || !uswap_debug_validate(t->u, err, sizeof(err)))
		return 0;
	fprintf(stderr, "uswap bench vm: %s on %s: %s\n", vm_wl_names[t->j->wl], t->j->sys->name, err);
	return 1;
}

/* Pages that read back wrong; dirty: write each page's first byte back so
 * the next pageout must write the page again. */
static uint64_t target_verify(struct target *t, bool dirty)
{
	uint64_t bad = 0;

	for (size_t i = 0; i < t->npages; i++) {
		volatile unsigned char *q = t->p + i * PG;
		if (page_hash(t->p + i * PG, i) != t->hash[i] && bad++ < 4)
			report_bad(t, i);
		if (dirty)
			*q = *q;
	}
	if (bad && t->u)
		fprintf(stderr, "uswap bench vm: %s on %s: %llu pages wrong; zero_refills %llu, poisoned %llu\n",
			vm_wl_names[t->j->wl], t->j->sys->name, (unsigned long long)bad,
			(unsigned long long)target_stat(t, "zero_refills"), (unsigned long long)target_stat(t, "poisoned"));
	if (t->u && target_stat(t, "evict_misreports")) /* the kernel's UFFDIO_MOVE count was corrected (evict.c) */
		fprintf(stderr, "uswap bench vm: %s on %s: evict_misreports %llu\n", vm_wl_names[t->j->wl],
			t->j->sys->name, (unsigned long long)target_stat(t, "evict_misreports"));
	return bad;
}

static void phase_end(struct vm_phase *ph, struct hist *h, double t0, uint64_t n, uint64_t major0,
		      const struct target *t)
{
	ph->secs = bench_now() - t0;
	ph->n = n;
	ph->p50 = hist_percentile(h, 50);
	ph->p99 = hist_percentile(h, 99);
	ph->max = hist_max(h);
	ph->major = target_major(t) - major0;
}

/* Touch every page once (order NULL: in order), timing each touch. */
static void touch_pass(struct target *t, const uint64_t *order, bool write, struct vm_phase *ph)
{
	static struct hist h;
	uint64_t m0 = target_major(t);
	unsigned sum = 0;
	double t0 = bench_now();

	hist_reset(&h);
	for (size_t k = 0; k < t->npages; k++) {
		volatile unsigned char *q = t->p + (order ? order[k] : k) * PG;
		uint64_t a = os_now_ns();
		if (write)
			*q = 1;
		else
			sum += *q;
		hist_record(&h, os_now_ns() - a);
	}
	phase_end(ph, &h, t0, t->npages, m0, t);
	if (sum == 1) /* keep the reads */
		fputc(' ', stderr);
}

static int run_swap(struct target *t, struct vm_result *r, char *err, size_t errlen)
{
	uint64_t *order = bench_shuffled(t->npages, t->j->seed * 1000003 + 1);
	double t0;
	int ret;

	if (!order || target_fill(t, err, errlen)) {
		free(order);
		return -1;
	}
	for (int pass = 0; pass < 2; pass++) {
		bench_progress("bench vm: swap on %s: pageout %d", t->j->sys->name, pass + 1);
		t0 = bench_now();
		if ((ret = target_pageout(t))) {
			snprintf(err, errlen, "pageout: %s", strerror(-ret));
			free(order);
			return -1;
		}
		if (!pass) {
			r->ph[0] = (struct vm_phase){.secs = bench_now() - t0, .n = t->npages};
			target_memory(t, r);
		}
		bench_progress("bench vm: swap on %s: touching %s", t->j->sys->name, pass ? "at random" : "in order");
		touch_pass(t, pass ? order : NULL, false, &r->ph[1 + pass]);
		r->loss += target_validate(t) + target_verify(t, !pass);
	}
	free(order);
	return 0;
}

struct ops_team {
	struct target *t;
	const uint32_t *idx;
	uint64_t nops;
	unsigned nt;
	struct hist h[MAX_TEAM];
};

struct ops_member {
	struct ops_team *team;
	unsigned k;
};

static void *ops_thread(void *arg)
{
	struct ops_member *m = arg;
	struct ops_team *tm = m->team;
	struct hist *h = &tm->h[m->k];

	hist_reset(h);
	for (uint64_t op = m->k; op < tm->nops; op += tm->nt) {
		volatile uint64_t *q = (volatile uint64_t *)(tm->t->p + (size_t)tm->idx[op] * PG +
							     (corpus_mix64(op) & 511) * 8);
		uint64_t a = os_now_ns();
		*q = *q; /* read, then write the same value: the page is dirtied, its hash kept */
		hist_record(h, os_now_ns() - a);
		if (!m->k && !(op & 0xffff) && progress_tty)
			bench_progress("bench vm: %s on %s: %llu%%", vm_wl_names[tm->t->j->wl], tm->t->j->sys->name,
				       (unsigned long long)(op * 100 / tm->nops));
	}
	return NULL;
}

/* The op stream: page of each op, drawn before the clock starts. */
static uint32_t *ops_stream(const struct vm_job *j, size_t npages)
{
	uint32_t *idx = malloc(j->ops * sizeof(*idx));
	uint64_t *perm = j->wl == WL_ZIPF ? bench_shuffled(npages, j->seed * 7919 + 17) : NULL;
	double *cdf = j->wl == WL_ZIPF ? malloc(npages * sizeof(*cdf)) : NULL, s = 0;

	if (!idx || (j->wl == WL_ZIPF && (!perm || !cdf))) {
		free(idx), free(perm), free(cdf);
		return NULL;
	}
	for (size_t r = 0; cdf && r < npages; r++)
		cdf[r] = s += 1.0 / pow((double)r + 1, j->theta);
	for (uint64_t k = 0; k < j->ops; k++) {
		uint64_t x = corpus_mix64(j->seed * 0x9E3779B97F4A7C15ull + k);
		if (j->wl == WL_SEQ) {
			idx[k] = (uint32_t)(k % npages);
		} else if (j->wl == WL_RANDOM) {
			idx[k] = (uint32_t)(x % npages);
		} else {
			double u = (double)(x >> 11) * (1.0 / 9007199254740992.0) * s;
			size_t lo = 0, hi = npages - 1;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (cdf[mid] < u)
					lo = mid + 1;
				else
					hi = mid;
			}
			idx[k] = (uint32_t)perm[lo];
		}
	}
	free(perm);
	free(cdf);
	return idx;
}

static int run_ops(struct target *t, struct vm_result *r, char *err, size_t errlen)
{
	static struct ops_team tm;
	struct ops_member m[MAX_TEAM];
	pthread_t th[MAX_TEAM];
	uint32_t *idx = ops_stream(t->j, t->npages);

	if (!idx || target_fill(t, err, errlen)) {
		snprintf(err, errlen, "out of memory");
		free(idx);
		return -1;
	}
	mlock(idx, t->j->ops * sizeof(*idx));
	tm = (struct ops_team){.t = t, .idx = idx, .nops = t->j->ops, .nt = t->j->threads};
	uint64_t m0 = target_major(t);
	double t0 = bench_now();
	for (unsigned k = 0; k < tm.nt; k++) {
		m[k] = (struct ops_member){&tm, k};
		pthread_create(&th[k], NULL, ops_thread, &m[k]);
	}
	for (unsigned k = 0; k < tm.nt; k++)
		pthread_join(th[k], NULL);
	for (unsigned k = 1; k < tm.nt; k++)
		hist_merge(&tm.h[0], &tm.h[k]);
	phase_end(&r->ph[0], &tm.h[0], t0, tm.nops, m0, t);
	target_memory(t, r);
	munlock(idx, t->j->ops * sizeof(*idx));
	free(idx);
	r->loss = target_validate(t) + target_verify(t, false);
	return 0;
}

static void run_floor(const struct vm_job *j, struct vm_result *r)
{
	size_t pages = j->size / PG < 65536 ? j->size / PG : 65536;

	r->ok = !bench_fault_floor(j->sys->arg, pages, j->seed, &r->ph[0].p50, &r->ph[0].p99, r->err,
				   sizeof(r->err));
	r->ph[0].n = pages;
}

void vm_work_run(const struct vm_job *j, struct vm_result *r)
{
	struct target t;
	struct rusage ru;
	int ret;

	*r = (struct vm_result){0};
	progress_tty = isatty(2);
	if (j->sys->kind == SYS_FLOOR)
		return run_floor(j, r);
	if (target_open(&t, j, r->err, sizeof(r->err)))
		return;
	if (j->wl == WL_TOUCH) {
		bench_progress("bench vm: touch on %s", j->sys->name);
		touch_pass(&t, NULL, true, &r->ph[0]);
		ret = 0;
	} else if (j->wl == WL_SWAP) {
		ret = run_swap(&t, r, r->err, sizeof(r->err));
	} else {
		ret = run_ops(&t, r, r->err, sizeof(r->err));
	}
	if (ret)
		return;
	getrusage(RUSAGE_SELF, &ru);
	r->hwm = t.u ? target_stat(&t, "resident_hwm")
	       : j->sys->kind == SYS_KERNEL ? kswap_memcg_hwm() : (uint64_t)ru.ru_maxrss * 1024;
	r->ok = true;
	/* the process exits next: the kernel frees the region, uswap_close is not timed */
}
