/*
 * bench_zswap.c - `uswap bench zswap`: store and load speed of the
 * compressed cache against the raw codec on the same pages in the same
 * run, and the memory it saves.
 *
 * Store = zswap_store (same-filled check, compression with the per-CPU
 * context, zsmalloc allocation and copy, tree insert, LRU). Load =
 * zswap_load + zswap_load_commit (decompression and freeing the entry:
 * loads are exclusive). The raw references are the library's compress and
 * decompress calls on every page. The two alternate in 1 MiB slices.
 * Saving = original bytes of all stored pages, zero pages included /
 * pool_total_size, the number to set against the kernel's zram
 * (1 GiB / mem_used_total) on the same corpus. No backing store: pages
 * that do not compress are kept whole (stored_incompressible_pages), as
 * zram keeps its huge pages.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "corpus.h"
#include "zswap/zswap.h"

#define SLICE 256
#define SLOT CODEC_MAX_OUT
#define MAX_LIST 8

struct zw_opts {
	char *corpora[MAX_LIST];
	int nr_corpora;
	unsigned rounds, threads;
	const char *codec, *dir;
	size_t bytes;
	uint64_t seed;
	bool json, stats, recompress, dedup;
	struct options opt;
};

struct zw_result {
	const char *corpus;
	size_t pages;
	double store[2], load[2]; /* pages/s: [0] zswap, [1] raw; steady rounds (2..N) */
	double load_only;         /* pages/s of zswap_load without the commit, steady */
	size_t capture_pages;     /* heap: the pages of the capture the corpus draws from */
	double store1, load1;     /* zswap / raw in round 1 (a fresh pool: page faults) */
	double mt_store[2], mt_load[2]; /* --threads 2: pages/s on 1 and 2 threads (medians) */
	double saving;
	struct zswap_stats st;
	struct zw_feat {          /* --recompress, --dedup: [0] without dedup, [1] with */
		bool done;
		double store_s;       /* seconds to store every page */
		double saving[2];     /* stored with the codec, then after recompression */
		double cpu_per_gib;   /* recompression's CPU seconds per GiB of pages */
		uint64_t p50[2], p99[2]; /* zswap_load latency (ns) before and after */
		long replaced;
		uint64_t dedup_pages;
	} feat[2];
};

static volatile long zw_sink;

/* What a slice of either path works on: who 0 = zswap, 1 = the raw codec. */
struct zw_pass {
	struct zswap *z;
	struct raw_codec *raw;
	unsigned char *pages, *out;
	int *len, fails;
	double commit_s;          /* seconds spent in zswap_load_commit */
};

static void store_slice(int who, size_t from, size_t to, void *arg)
{
	struct zw_pass *p = arg;

	for (size_t i = from; i < to; i++) {
		const unsigned char *page = p->pages + i * PAGE_SIZE;
		if (who)
			p->len[i] = raw_codec_compress(p->raw, page, p->out + i * SLOT, SLOT);
		else
			p->fails += zswap_store(p->z, swp_entry(0, i), page, NULL) != 0;
	}
}

/* zswap_load, then zswap_load_commit, vs raw decompression; checks the
 * slice's last page. The commits of the slice run after its loads and are
 * timed apart too: the commit (freeing the entry) is bookkeeping that runs
 * after the page is installed, off the faulting thread's path. */
static void load_slice(int who, size_t from, size_t to, void *arg)
{
	static unsigned char hot[2][PAGE_SIZE];
	struct zw_pass *p = arg;

	for (size_t i = from; i < to; i++) {
		if (who)
			zw_sink += raw_codec_decompress(p->raw, p->out + i * SLOT, (size_t)p->len[i], hot[1]);
		else
			p->fails += zswap_load(p->z, swp_entry(0, i), hot[0]) != 0;
	}
	if (who)
		return;
	p->fails += memcmp(hot[0], p->pages + (to - 1) * PAGE_SIZE, PAGE_SIZE) != 0;
	double t0 = bench_now();
	for (size_t i = from; i < to; i++)
		zswap_load_commit(p->z, swp_entry(0, i));
	p->commit_s += bench_now() - t0;
}

/* --threads 2: zswap_store, or zswap_load + zswap_load_commit, of a slice
 * of the pages per thread. */
struct zw_mt {
	struct zswap *z;
	unsigned char *pages;
	size_t n;
	bool load;
	_Atomic int fails;
};

static void zw_mt_slice(void *arg, unsigned k, unsigned nt)
{
	struct zw_mt *m = arg;
	unsigned char page[PAGE_SIZE];
	int fails = 0;

	for (size_t i = m->n * k / nt; i < m->n * (k + 1) / nt; i++) {
		swp_entry_t e = swp_entry(0, i);
		if (!m->load) {
			fails += zswap_store(m->z, e, m->pages + i * PAGE_SIZE, NULL) != 0;
		} else {
			fails += zswap_load(m->z, e, page) != 0;
			zswap_load_commit(m->z, e);
		}
	}
	atomic_fetch_add(&m->fails, fails);
}

/* 1 and 2 threads in turn over the rounds; medians of pages/s. */
static int zw_scaling(const struct zw_opts *o, struct zswap *z, unsigned char *pages, size_t n, struct zw_result *r)
{
	struct bench_team tm;
	struct zw_mt m = {.z = z, .pages = pages, .n = n};
	double s[2][64], l[2][64];

	bench_team_start(&tm);
	for (unsigned k = 0; k <= o->rounds && !atomic_load(&m.fails); k++) /* round 0 warms up */
		for (unsigned nt = 1; nt <= 2; nt++) {
			bench_progress("bench zswap: 2 threads, round %u/%u", k, o->rounds);
			m.load = false;
			double ts = bench_team_run(&tm, nt, zw_mt_slice, &m);
			m.load = true;
			double tl = bench_team_run(&tm, nt, zw_mt_slice, &m);
			if (k) {
				s[nt - 1][k - 1] = (double)n / ts;
				l[nt - 1][k - 1] = (double)n / tl;
			}
		}
	bench_team_stop(&tm);
	for (unsigned nt = 0; nt < 2; nt++) {
		r->mt_store[nt] = bench_median(s[nt], o->rounds);
		r->mt_load[nt] = bench_median(l[nt], o->rounds);
	}
	return atomic_load(&m.fails) ? -EIO : 0;
}

/* --recompress: zswap_recompress claims slots through the swap layer;
 * here nothing else runs, so every claim succeeds. */
static int rc_claim(void *arg, swp_entry_t e) { return 0; }
static void rc_write(void *arg, const swp_entry_t *e, void *const *pages, const struct zswap_obj *objs, int n, int *res)
{
	for (int i = 0; i < n; i++)
		res[i] = -EIO;
}
static void rc_release(void *arg, swp_entry_t e, bool written) {}

/* zswap_load of every page, each timed into h and checked. */
static int rc_loads(struct zswap *z, const unsigned char *pages, size_t n, struct hist *h)
{
	static _Alignas(4096) unsigned char page[PAGE_SIZE];
	int fails = 0;

	hist_reset(h);
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = os_now_ns();
		int ret = zswap_load(z, swp_entry(0, i), page);
		hist_record(h, os_now_ns() - t0);
		fails += ret || memcmp(page, pages + i * PAGE_SIZE, PAGE_SIZE);
	}
	return fails;
}

static double thread_cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Store every page with the codec (with dedup: merging the same pages),
 * time each load; with recompress, recompress every entry
 * (zswap_recompress, age 0) and time the loads again. The saving before
 * and after counts what the pool holds after compaction.
 */
static int zw_features(const struct zw_opts *o, const unsigned char *pages, size_t n, bool dedup,
		       struct zw_feat *f)
{
	struct zswap_config cfg;
	struct zswap *z;
	struct hist *h = calloc(1, sizeof(*h));
	char err[256];
	int fails = 0;

	options_zswap_config(&o->opt, &cfg);
	cfg.compressor = o->codec;
	cfg.budget = 4 * o->bytes + (64 << 20);
	cfg.max_pool_percent = 100;
	cfg.keep_incompressible = true;
	cfg.no_shrink_worker = true;
	cfg.recompress_after = 0;
	cfg.recompress_codec = o->recompress ? opt_str(&o->opt, OPT_RECOMPRESS_CODEC) : NULL;
	cfg.dedup = dedup;
	if (!h || zswap_create(&cfg, &z, err, sizeof(err))) {
		fprintf(stderr, "uswap bench zswap: %s\n", h ? err : "out of memory");
		free(h);
		return -EINVAL;
	}
	zswap_set_writeback_ops(z, &(struct zswap_wb_ops){rc_claim, rc_write, rc_release, NULL});
	zswap_swapon(z, 0);
	bench_progress("bench zswap: storing every page%s", dedup ? " (dedup)" : "");
	double t0 = bench_now();
	for (size_t i = 0; i < n; i++)
		fails += zswap_store(z, swp_entry(0, i), pages + i * PAGE_SIZE, NULL) != 0;
	f->store_s = bench_now() - t0;
	for (int k = 0; k < 1 + o->recompress && !fails; k++) {
		struct zswap_stats st;
		zswap_compact(z);
		zswap_stats(z, &st);
		f->dedup_pages = st.dedup_pages;
		f->saving[k] = (double)n * PAGE_SIZE / (double)zswap_pool_bytes(z);
		fails += rc_loads(z, pages, n, h);
		f->p50[k] = hist_percentile(h, 50);
		f->p99[k] = hist_percentile(h, 99);
		if (k == 0 && o->recompress) {
			bench_progress("bench zswap: recompressing every entry");
			double c0 = thread_cpu_s();
			f->replaced = zswap_recompress(z, (long)n, 0);
			f->cpu_per_gib = (thread_cpu_s() - c0) / ((double)n * PAGE_SIZE / (1 << 30));
		}
	}
	zswap_destroy(z);
	free(h);
	f->done = !fails;
	if (fails)
		fprintf(stderr, "uswap bench zswap: %d pages failed to store or to read back\n", fails);
	return fails ? -EIO : 0;
}

static int zw_measure(const struct zw_opts *o, const char *corpus, struct zw_result *r)
{
	struct corpus_set cs;
	struct zswap *z;
	char err[512];
	size_t n = o->bytes / PAGE_SIZE;
	unsigned char *pages = aligned_alloc(PAGE_SIZE, n * PAGE_SIZE), *out = malloc(n * SLOT);
	int *len = calloc(n, sizeof(int));
	struct zswap_config cfg;

	options_zswap_config(&o->opt, &cfg);
	cfg.compressor = o->codec;
	cfg.budget = 4 * o->bytes + (64 << 20);
	cfg.max_pool_percent = 100; /* every page stays in the pool */

	if (!pages || !out || !len) {
		fprintf(stderr, "uswap bench zswap: out of memory\n");
		return -ENOMEM;
	}
	if (corpus_open(&cs, o->dir, corpus, 1.0, err, sizeof(err)) || zswap_create(&cfg, &z, err, sizeof(err))) {
		fprintf(stderr, "uswap bench zswap: %s\n", err);
		return -EINVAL;
	}
	corpus_fill(&cs, corpus, o->seed, pages, n);
	size_t capture = cs.heap.len / PAGE_SIZE; /* 0 but for heap */
	corpus_close(&cs);
	zswap_swapon(z, 0);
	const struct codec_ops *ops;
	int level;
	struct raw_codec raw;
	codec_parse(o->codec, &ops, &level, err, sizeof(err));
	if (raw_codec_init(&raw, ops->name, level)) {
		fprintf(stderr, "uswap bench zswap: out of memory for the raw %s reference\n", ops->name);
		return -ENOMEM;
	}
	struct zw_pass ps = {.z = z, .raw = &raw, .pages = pages, .out = out, .len = len};
	double ts[2] = {0}, tl[2] = {0};
	memset(r, 0, sizeof(*r));
	memset(out, 0, n * SLOT); /* the raw side's output, faulted in before any timing */
	r->corpus = corpus;
	r->pages = n;
	r->capture_pages = capture;
	for (unsigned k = 0; k < o->rounds && !ps.fails; k++) {
		if (k == 1) { /* round 1 apart: a fresh pool pays its page faults */
			r->store1 = ts[1] / ts[0];
			r->load1 = tl[1] / tl[0];
			ts[0] = ts[1] = tl[0] = tl[1] = ps.commit_s = 0;
		}
		bench_progress("bench zswap: %s round %u/%u: store", corpus, k + 1, o->rounds);
		bench_interleave(n, SLICE, store_slice, &ps, ts);
		if (k == 0) {
			zswap_stats(z, &r->st);
			/* 0 = undefined: nothing took pool memory (all same-filled) */
			r->saving = r->st.pool_total_size ? (double)n * PAGE_SIZE / (double)r->st.pool_total_size : 0;
		}
		bench_progress("bench zswap: %s round %u/%u: load", corpus, k + 1, o->rounds);
		bench_interleave(n, SLICE, load_slice, &ps, tl);
	}
	double np = (double)n * (o->rounds > 1 ? o->rounds - 1 : 1);
	if (o->rounds == 1) {
		r->store1 = ts[1] / ts[0];
		r->load1 = tl[1] / tl[0];
	}
	for (int w = 0; w < 2; w++) {
		r->store[w] = np / ts[w];
		r->load[w] = np / tl[w]; /* tl[0] includes the commits */
	}
	r->load_only = np / (tl[0] - ps.commit_s);
	if (o->threads == 2 && !ps.fails && zw_scaling(o, z, pages, n, r))
		ps.fails = 1;
	raw_codec_free(&raw);
	zswap_destroy(z);
	for (int d = 0; d < 2 && (o->recompress || o->dedup) && !ps.fails; d++)
		if ((d == 0 || o->dedup) && zw_features(o, pages, n, d, &r->feat[d]))
			ps.fails = 1;
	free(pages);
	free(out);
	free(len);
	if (ps.fails) {
		fprintf(stderr, "uswap bench zswap: %d pages failed to store or load back\n", ps.fails);
		return -EIO;
	}
	return 0;
}

static void zw_print(const struct zw_opts *o, const struct zw_result *r, int n)
{
	printf("uswap bench zswap: %s, %zu MiB per corpus, %u rounds, single thread, pages/s\n\n", o->codec,
	       o->bytes >> 20, o->rounds);
	printf("%-7s %9s %9s %6s %6s | %9s %6s %9s %9s %6s %6s | %7s %9s %8s %8s %8s\n", "corpus", "store",
	       "raw comp", "x", "x 1st", "load", "x", "load+cmt", "raw dec", "x", "x 1st", "saving", "pool MiB", "stored",
	       "same", "incomp");
	for (int i = 0; i < n; i++) {
		char saving[16] = "-";
		if (r[i].saving > 0)
			snprintf(saving, sizeof(saving), "%.3f", r[i].saving);
		printf("%-7s %9.0f %9.0f %6.3f %6.3f | %9.0f %6.3f %9.0f %9.0f %6.3f %6.3f | %7s %9.1f %8llu %8llu "
		       "%8llu\n",
		       r[i].corpus, r[i].store[0], r[i].store[1], r[i].store[0] / r[i].store[1], r[i].store1,
		       r[i].load_only, r[i].load_only / r[i].load[1], r[i].load[0], r[i].load[1],
		       r[i].load[0] / r[i].load[1], r[i].load1, saving,
		       r[i].st.pool_total_size / 1048576.0,
		       (unsigned long long)r[i].st.stored_pages, (unsigned long long)r[i].st.same_filled_pages,
		       (unsigned long long)r[i].st.stored_incompressible_pages);
	}
	printf("\nstore: zswap_store; load: zswap_load (decompress into the page); load+cmt: and zswap_load_commit\n"
	       "(the exclusive load frees the entry; runs after the page is installed); raw: the library call on the\n"
	       "same pages; x = zswap / raw over rounds 2..N (steady state); x 1st: round 1 alone, where a fresh\n"
	       "pool takes its page faults. saving: original bytes of all pages (zero included) / pool_total_size.\n");
	if (o->recompress || o->dedup)
		printf("\nEvery page stored once more in a fresh pool (plain%s), then%s; saving = original bytes / "
		       "pool_total_size after compaction; load = zswap_load of each page:\n", o->dedup ? " and with dedup" : "",
		       o->recompress ? " every entry recompressed with the recompress codec" : " loaded");
	for (int i = 0; i < n; i++)
		for (int d = 0; d < 2; d++) {
			const struct zw_feat *f = &r[i].feat[d];
			if (!f->done)
				continue;
			printf("%-7s %-8s store %8.0f pages/s, saving %.3f, %llu pages shared, load p50 %.2f p99 %.2f us",
			       r[i].corpus, d ? "dedup" : "plain", (double)r[i].pages / f->store_s, f->saving[0],
			       (unsigned long long)f->dedup_pages, f->p50[0] / 1e3, f->p99[0] / 1e3);
			if (o->recompress)
				printf("; recompressed (%s, %ld replaced, %.2f s CPU per GiB): saving %.3f, load p50 %.2f "
				       "p99 %.2f us", opt_str(&o->opt, OPT_RECOMPRESS_CODEC), f->replaced, f->cpu_per_gib,
				       f->saving[1], f->p50[1] / 1e3, f->p99[1] / 1e3);
			printf("\n");
		}
	for (int i = 0; o->dedup && i < n; i++)
		if (r[i].capture_pages) { /* expected distinct draws: M (1 - (1 - 1/M)^N) */
			double m = (double)r[i].capture_pages, distinct = m * (1 - pow(1 - 1 / m, (double)r[i].pages));
			printf("%s: its %zu pages are drawn with replacement from a capture of %zu, so about %.0f of them "
			       "repeat another: dedup merges those, and its saving here says little of real programs\n",
			       r[i].corpus, r[i].pages, r[i].capture_pages, (double)r[i].pages - distinct);
		}
	for (int i = 0; o->threads == 2 && i < n; i++)
		printf("%s, 2 threads / 1 thread (medians of %u rounds): store %.2f (%.0f -> %.0f pages/s), "
		       "load+cmt %.2f (%.0f -> %.0f)\n",
		       r[i].corpus, o->rounds, r[i].mt_store[1] / r[i].mt_store[0], r[i].mt_store[0], r[i].mt_store[1],
		       r[i].mt_load[1] / r[i].mt_load[0], r[i].mt_load[0], r[i].mt_load[1]);
	if (!o->stats)
		return;
	for (int i = 0; i < n; i++) {
		const struct zswap_stats *s = &r[i].st;
		printf("\n%s (after the first store pass):\n", r[i].corpus);
		printf("  pool_limit_hit %llu\n  reject_reclaim_fail %llu\n  reject_alloc_fail %llu\n"
		       "  reject_kmemcache_fail %llu\n  reject_compress_fail %llu\n  reject_compress_poor %llu\n"
		       "  decompress_fail %llu\n  written_back_pages %llu\n  pool_total_size %llu\n"
		       "  stored_pages %llu\n  stored_incompressible_pages %llu\n  same_filled_pages %llu\n"
		       "  zswpout %llu\n  reject_streaming %llu (uswap's own: stores sent to the device by admission)\n",
		       (unsigned long long)s->pool_limit_hit, (unsigned long long)s->reject_reclaim_fail,
		       (unsigned long long)s->reject_alloc_fail, (unsigned long long)s->reject_kmemcache_fail,
		       (unsigned long long)s->reject_compress_fail, (unsigned long long)s->reject_compress_poor,
		       (unsigned long long)s->decompress_fail, (unsigned long long)s->written_back_pages,
		       (unsigned long long)s->pool_total_size, (unsigned long long)s->stored_pages,
		       (unsigned long long)s->stored_incompressible_pages, (unsigned long long)s->same_filled_pages,
		       (unsigned long long)s->zswpout, (unsigned long long)s->reject_streaming);
	}
}

/* JSON has no infinity: an undefined saving is null. */
static const char *fmt_saving(double v)
{
	static char buf[32];

	if (v <= 0)
		return "null";
	snprintf(buf, sizeof(buf), "%.4f", v);
	return buf;
}

static void zw_json(const struct zw_opts *o, const struct zw_result *r, int n)
{
	printf("{\"codec\": \"%s\", \"bytes\": %zu, \"rounds\": %u, \"results\": [", o->codec, o->bytes, o->rounds);
	for (int i = 0; i < n; i++)
		printf("%s\n {\"corpus\": \"%s\", \"store_pages_s\": %.0f, \"raw_compress_pages_s\": %.0f, "
		       "\"load_pages_s\": %.0f, \"load_commit_pages_s\": %.0f, \"raw_decompress_pages_s\": %.0f, "
		       "\"store_ratio_round1\": %.4f, \"load_commit_ratio_round1\": %.4f, "
		       "\"saving\": %s, "
		       "\"pool_total_size\": %llu, \"stored_pages\": %llu, \"same_filled_pages\": %llu, "
		       "\"stored_incompressible_pages\": %llu}",
		       i ? "," : "", r[i].corpus, r[i].store[0], r[i].store[1], r[i].load_only, r[i].load[0], r[i].load[1],
		       r[i].store1, r[i].load1, fmt_saving(r[i].saving),
		       (unsigned long long)r[i].st.pool_total_size, (unsigned long long)r[i].st.stored_pages,
		       (unsigned long long)r[i].st.same_filled_pages,
		       (unsigned long long)r[i].st.stored_incompressible_pages);
	printf("]}\n");
}

static void zw_usage(FILE *f)
{
	fprintf(f,
		"usage: uswap bench zswap [options]\n"
		"Store every page of a corpus in zswap and load it back, timed against the raw\n"
		"codec on the same pages, and report the memory saved.\n\n"
		"  -c, --corpus LIST   corpora, comma-separated (default: mixed)\n"
		"  -z, --codec NAME    lz4 (default), zstd[:level], deflate[:level], lzo\n"
		"  -s, --size SIZE     corpus bytes (default 256M; use 1G to compare with the kernel anchor)\n"
		"  -r, --rounds N      store+load passes (default 3)\n"
		"  -t, --threads N     2: also store and load with 1 and 2 threads, print the scaling\n"
		"      --stats         print zswap's statistics after the first store pass\n"
		"      --recompress    also store every page, recompress every entry with\n"
		"                      recompress_codec (-o; default zstd:3) and compare saving,\n"
		"                      load latency and the CPU it took\n"
		"      --dedup         also store every page with same-page merging (dedup=on) and\n"
		"                      compare with the plain pool (with --recompress: both)\n"
		"      --seed N        corpus seed (default 1)\n"
		"      --corpus-dir D  corpus files folder\n"
		"      --json          machine-readable output\n"
		BENCH_OPTS_HELP
		"  -h, --help          this text\n");
}

static int zw_parse(int argc, char **argv, struct zw_opts *o)
{
	static const struct option lo[] = {{"corpus", 1, 0, 'c'}, {"codec", 1, 0, 'z'}, {"size", 1, 0, 's'},
					   {"rounds", 1, 0, 'r'}, {"stats", 0, 0, 'T'},  {"json", 0, 0, 'j'}, {"recompress", 0, 0, 'R'}, {"dedup", 0, 0, 'D'},
					   {"threads", 1, 0, 't'},
					   {"help", 0, 0, 'h'},   BENCH_SHARED_LONGOPTS, {0}};
	char *corpora = "mixed", err[256];
	const struct codec_ops *ops;
	int c, level;

	*o = (struct zw_opts){.bytes = 256u << 20, .rounds = 3, .threads = 1};
	if (bench_opts_init("zswap", &o->opt))
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:z:s:r:t:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': corpora = optarg; break;
		case 'z':
			if (bench_opts_set("zswap", &o->opt, "compressor", optarg))
				return 2;
			break;
		case 's':
			if (bench_opt_size("zswap", optarg, 16 * PAGE_SIZE, &o->bytes))
				return 2;
			break;
		case 'r':
			if (bench_opt_uint("zswap", "rounds", optarg, 1, 64, &o->rounds))
				return 2;
			break;
		case 't':
			if (bench_opt_uint("zswap", "threads", optarg, 1, 2, &o->threads))
				return 2;
			break;
		case 'T': o->stats = true; break;
		case 'R': o->recompress = true; break;
		case 'D': o->dedup = true; break;
		case 'j': o->json = true; break;
		case 'h': zw_usage(stdout); return 1;
		default:
			if ((c = bench_shared_flag("zswap", c, optarg, &o->opt)) == 1)
				zw_usage(stderr);
			if (c)
				return 2;
		}
	}
	if (bench_opt_end("zswap", argc, argv))
		return 2;
	o->seed = opt_num(&o->opt, OPT_SEED);
	o->codec = opt_str(&o->opt, OPT_COMPRESSOR);
	o->dir = bench_corpus_dir(&o->opt);
	if (codec_parse(o->codec, &ops, &level, err, sizeof(err)) || !strcmp(ops->name, "lz4hc")) {
		fprintf(stderr, "uswap bench zswap: %s\n", *err ? err : "lz4hc has no raw reference here; pick another");
		return 2;
	}
	return bench_opt_corpora("zswap", corpora, o->corpora, MAX_LIST, &o->nr_corpora);
}

int bench_zswap_main(int argc, char **argv)
{
	struct zw_opts o;
	struct zw_result r[MAX_LIST];
	int ret = zw_parse(argc, argv, &o), n = 0;

	if (ret)
		return ret == 1 ? 0 : ret;
	bench_pin_cpu();
	for (int i = 0; i < o.nr_corpora && !ret; i++)
		if (!(ret = zw_measure(&o, o.corpora[i], &r[i])))
			n++;
	bench_progress_done();
	if (o.json)
		zw_json(&o, r, n);
	else
		zw_print(&o, r, n);
	return ret ? 1 : 0;
}
