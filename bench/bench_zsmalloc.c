/*
 * bench_zsmalloc.c - `uswap bench zsmalloc`: density and speed of the
 * compressed object allocator on real compressed pages.
 *
 * The corpus pages are compressed (lz4 by default) the way zram stores
 * them, so the density compares with the kernel's zram mm_stat
 * (compr_data_size / mem_used_total): same-filled pages are not stored
 * (the kernel keeps those in its zeromap), a page whose compressed size
 * reaches the huge class is stored whole and counts 4096 bytes. Density =
 * stored bytes / pool bytes, pool bytes from page/'s own accounting.
 * Then: density after freeing a random half and compacting, and objects
 * per second for zs_malloc+write and read+zs_free, on 1 and 2 threads.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "codec/codec.h"
#include "corpus.h"
#include "zsmalloc/zsmalloc.h"

#define MAX_LIST 8
#define MAX_ROUNDS 64

struct zb_opts {
	char *corpora[MAX_LIST];
	int nr_corpora;
	const char *codec, *dir;
	size_t bytes;
	unsigned chain, threads, rounds;
	bool json, classes;
	uint64_t seed;
	struct options opt;
};

/* The compressed objects of a corpus. */
struct objset {
	size_t n;
	unsigned char *data; /* n slots of PAGE_SIZE */
	uint32_t *len;
	unsigned long *h;
	uint64_t stored_bytes, same_filled, huge;
};

struct zb_result {
	const char *corpus;
	uint64_t objs, stored, pool, stored_half, pool_half, pool_before_compact, compacted;
	double density, density_half, alloc_ops[2], free_ops[2];
	uint64_t same_filled, huge;
};

/* ------------------------------------------------------------ build */

static int build_objects(const struct zb_opts *o, const char *corpus, struct objset *os, size_t huge_size)
{
	struct corpus_set cs;
	struct codec_pool *cp;
	char err[512];
	size_t n = o->bytes / PAGE_SIZE;
	unsigned char *pages = aligned_alloc(PAGE_SIZE, n * PAGE_SIZE), *out = malloc(CODEC_MAX_OUT);

	memset(os, 0, sizeof(*os));
	os->data = malloc(n * PAGE_SIZE);
	os->len = calloc(n, sizeof(*os->len));
	os->h = calloc(n, sizeof(*os->h));
	if (!pages || !out || !os->data || !os->len || !os->h) {
		fprintf(stderr, "uswap bench zsmalloc: out of memory\n");
		return -ENOMEM;
	}
	if (corpus_open(&cs, o->dir, corpus, 1.0, err, sizeof(err)) ||
	    codec_pool_create(o->codec, &cp, err, sizeof(err))) {
		fprintf(stderr, "uswap bench zsmalloc: %s\n", err);
		return -EINVAL;
	}
	corpus_fill(&cs, corpus, o->seed, pages, n);
	corpus_close(&cs);
	for (size_t i = 0; i < n; i++) {
		const unsigned char *pg = pages + i * PAGE_SIZE;
		uint64_t fill;
		if (codec_same_filled(pg, &fill)) {
			os->same_filled++;
			continue;
		}
		int len = codec_compress(cp, pg, out, PAGE_SIZE);
		unsigned char *slot = os->data + os->n * PAGE_SIZE;
		if (len < 0 || (size_t)len > huge_size) { /* would land in the huge class: stored whole, as zram does */
			memcpy(slot, pg, PAGE_SIZE);
			len = PAGE_SIZE;
			os->huge++;
		} else {
			memcpy(slot, out, (size_t)len);
		}
		os->len[os->n++] = (uint32_t)len;
		os->stored_bytes += (uint64_t)len;
	}
	codec_pool_destroy(cp);
	free(pages);
	free(out);
	return 0;
}

static void free_objects(struct objset *os)
{
	free(os->data);
	free(os->len);
	free(os->h);
}

/* ------------------------------------------------------------ timing */

/* One phase's work: every object stored (malloc+write) or read and freed. */
struct zb_work {
	struct zs_pool *pool;
	struct objset *os;
	bool free_phase;
	_Atomic uint64_t bad;
};

static void zb_slice(void *arg, unsigned k, unsigned nt)
{
	struct zb_work *w = arg;
	unsigned char buf[PAGE_SIZE];
	struct objset *os = w->os;
	uint64_t bad = 0;

	for (size_t i = os->n * k / nt; i < os->n * (k + 1) / nt; i++) {
		const unsigned char *src = os->data + i * PAGE_SIZE;
		if (!w->free_phase) {
			os->h[i] = zs_malloc(w->pool, os->len[i]);
			if (!os->h[i]) {
				bad++;
				continue;
			}
			zs_write(w->pool, os->h[i], src, os->len[i]);
		} else if (os->h[i]) {
			zs_read(w->pool, os->h[i], buf, os->len[i]);
			bad += memcmp(buf, src, 16) != 0;
			zs_free(w->pool, os->h[i]);
			os->h[i] = 0;
		}
	}
	atomic_fetch_add(&w->bad, bad);
}

/* Run one phase over all objects on nt threads; returns objects/s. */
static double zb_phase(struct bench_team *tm, struct zb_work *w, unsigned nt, bool free_phase)
{
	w->free_phase = free_phase;
	return (double)w->os->n / bench_team_run(tm, nt, zb_slice, w);
}

/* ------------------------------------------------------------ measure */

static void print_classes(struct zs_pool *pool)
{
	struct zs_class_stats cs[ZS_NR_CLASSES + 1];
	unsigned n = zs_class_stats(pool, cs, ZS_NR_CLASSES + 1);

	printf("\n%5s %5s %5s %5s %5s %5s %5s %5s %5s %5s %5s %5s %5s %9s %9s %9s %4s %8s\n", "size", "0%",
	       "10%", "20%", "30%", "40%", "50%", "60%", "70%", "80%", "90%", "99%", "100%", "obj_alloc", "obj_used",
	       "pages", "ppz", "freeable");
	for (unsigned k = 0; k < n; k++) {
		if (!cs[k].pages_used)
			continue;
		printf("%5u", cs[k].size);
		for (int g = 0; g < ZS_NR_GROUPS; g++)
			printf(" %5llu", (unsigned long long)cs[k].groups[g]);
		printf(" %9llu %9llu %9llu %4u %8llu\n", (unsigned long long)cs[k].obj_allocated,
		       (unsigned long long)cs[k].obj_used, (unsigned long long)cs[k].pages_used,
		       cs[k].pages_per_zspage, (unsigned long long)cs[k].freeable);
	}
}

static int measure(const struct zb_opts *o, const char *corpus, struct zb_result *r)
{
	struct zs_pool *pool;
	struct objset os;
	uint64_t bad = 0, s = 99;
	struct zs_config cfg;

	options_zs_config(&o->opt, &cfg);
	cfg.max_chain = o->chain;
	cfg.compact_threshold = 100; /* compaction is measured explicitly */

	if (zs_create_pool(corpus, &cfg, &pool))
		return -ENOMEM;
	bench_progress("bench zsmalloc: %s: compressing pages", corpus);
	int ret = build_objects(o, corpus, &os, zs_huge_class_size(pool));
	if (ret)
		return ret;
	memset(r, 0, sizeof(*r));
	r->corpus = corpus;
	r->objs = os.n;
	r->same_filled = os.same_filled;
	r->huge = os.huge;
	struct bench_team tm;
	struct zb_work w = {.pool = pool, .os = &os};
	double a[2][MAX_ROUNDS], f[2][MAX_ROUNDS];
	bench_team_start(&tm);
	/* Untimed warm-up: the first passes would otherwise pay the page faults
	 * of fresh pool memory (and of each thread's malloc arena) that every
	 * later pass reuses. */
	bench_progress("bench zsmalloc: %s: warm-up", corpus);
	for (unsigned nt = 1; nt <= o->threads; nt++) {
		zb_phase(&tm, &w, nt, false);
		zb_phase(&tm, &w, nt, true);
	}
	zs_compact(pool); /* give back the empty zspages kept for reuse */
	/* Density: everything stored once, by one thread. */
	zb_phase(&tm, &w, 1, false);
	r->stored = os.stored_bytes;
	r->pool = zs_get_total_pages(pool) * PAGE_SIZE;
	if (o->classes && !o->json)
		print_classes(pool);
	zb_phase(&tm, &w, 1, true);
	/* Speed: rounds alternate 1 and 2 threads, so drift hits both; medians. */
	for (unsigned k = 0; k < o->rounds; k++) {
		bench_progress("bench zsmalloc: %s: round %u of %u", corpus, k + 1, o->rounds);
		for (unsigned nt = 1; nt <= o->threads; nt++) {
			a[nt - 1][k] = zb_phase(&tm, &w, nt, false);
			f[nt - 1][k] = zb_phase(&tm, &w, nt, true);
		}
	}
	for (unsigned nt = 1; nt <= o->threads; nt++) {
		r->alloc_ops[nt - 1] = bench_median(a[nt - 1], o->rounds);
		r->free_ops[nt - 1] = bench_median(f[nt - 1], o->rounds);
	}
	/* Store everything again, free a random half, compact. */
	bench_progress("bench zsmalloc: %s: free half and compact", corpus);
	zb_phase(&tm, &w, 1, false);
	for (size_t i = 0; i < os.n; i++) {
		if (corpus_mix64(s++) & 1) {
			zs_free(pool, os.h[i]);
			os.h[i] = 0;
		} else {
			r->stored_half += os.len[i];
		}
	}
	r->pool_before_compact = zs_get_total_pages(pool) * PAGE_SIZE;
	r->compacted = zs_compact(pool);
	r->pool_half = zs_get_total_pages(pool) * PAGE_SIZE;
	zb_phase(&tm, &w, 1, true);
	bench_team_stop(&tm);
	bad = atomic_load(&w.bad);
	r->density = (double)r->stored / (double)r->pool;
	r->density_half = (double)r->stored_half / (double)r->pool_half;
	free_objects(&os);
	zs_destroy_pool(pool);
	if (bad) {
		fprintf(stderr, "uswap bench zsmalloc: %llu objects failed (allocation or content)\n",
			(unsigned long long)bad);
		return -EIO;
	}
	return 0;
}

/* ------------------------------------------------------------ output */

static void print_results(const struct zb_opts *o, const struct zb_result *r, int n)
{
	printf("uswap bench zsmalloc: %s-compressed pages, %zu MiB of corpus each, chain <= %u pages\n\n",
	       o->codec, o->bytes >> 20, o->chain);
	printf("%-7s %8s %10s %10s %8s | %10s %10s %8s | %11s %11s", "corpus", "objects", "stored MiB", "pool MiB",
	       "density", "half MiB", "pool MiB", "density", "malloc+wr/s", "read+free/s");
	if (o->threads > 1)
		printf(" %8s %8s", "x2 alloc", "x2 free");
	printf("\n");
	for (int i = 0; i < n; i++) {
		const struct zb_result *x = &r[i];
		printf("%-7s %8llu %10.1f %10.1f %8.4f | %10.1f %10.1f %8.4f | %11.0f %11.0f", x->corpus,
		       (unsigned long long)x->objs, x->stored / 1048576.0, x->pool / 1048576.0, x->density,
		       x->stored_half / 1048576.0, x->pool_half / 1048576.0, x->density_half, x->alloc_ops[0],
		       x->free_ops[0]);
		if (o->threads > 1)
			printf(" %8.2f %8.2f", x->alloc_ops[1] / x->alloc_ops[0], x->free_ops[1] / x->free_ops[0]);
		printf("\n");
	}
	printf("\ndensity: stored bytes / pool bytes (page/'s accounting); same-filled pages are not stored,\n"
	       "pages compressing to the huge class are stored whole and count 4096 (as zram counts them).\n"
	       "half: after freeing a random half of the objects and zs_compact. x2: 2 threads / 1 thread.\n");
	for (int i = 0; i < n; i++)
		printf("%s: %llu same-filled pages skipped, %llu stored whole, %llu pages compacted\n", r[i].corpus,
		       (unsigned long long)r[i].same_filled, (unsigned long long)r[i].huge,
		       (unsigned long long)r[i].compacted);
}

static void print_json(const struct zb_opts *o, const struct zb_result *r, int n)
{
	printf("{\"codec\": \"%s\", \"bytes\": %zu, \"max_chain\": %u, \"results\": [", o->codec, o->bytes, o->chain);
	for (int i = 0; i < n; i++)
		printf("%s\n {\"corpus\": \"%s\", \"objects\": %llu, \"stored_bytes\": %llu, \"pool_bytes\": %llu, "
		       "\"density\": %.5f, \"half_stored_bytes\": %llu, \"half_pool_bytes\": %llu, "
		       "\"half_density\": %.5f, \"pages_compacted\": %llu, \"malloc_write_per_s\": %.0f, "
		       "\"read_free_per_s\": %.0f, \"malloc_write_per_s_2t\": %.0f, \"read_free_per_s_2t\": %.0f}",
		       i ? "," : "", r[i].corpus, (unsigned long long)r[i].objs, (unsigned long long)r[i].stored,
		       (unsigned long long)r[i].pool, r[i].density, (unsigned long long)r[i].stored_half,
		       (unsigned long long)r[i].pool_half, r[i].density_half, (unsigned long long)r[i].compacted,
		       r[i].alloc_ops[0], r[i].free_ops[0], r[i].alloc_ops[1], r[i].free_ops[1]);
	printf("]}\n");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uswap bench zsmalloc [options]\n"
		"Store the compressed pages of a corpus in a zsmalloc pool: density (stored bytes /\n"
		"pool bytes), density after freeing half and compacting, objects per second.\n\n"
		"  -c, --corpus LIST   corpora, comma-separated (default: mixed)\n"
		"                      zero, text, binary, random, mixed, heap\n"
		"  -z, --codec NAME    compressor for the pages (default: lz4)\n"
		"  -s, --size SIZE     corpus bytes (default 256M; K, M, G suffixes, bare = bytes)\n"
		"      --chain N       pages per zspage at most, 1-16 (default: option max_chain, 8)\n"
		"  -t, --threads N     also measure with 2 threads (1 or 2; default 2)\n"
		"  -r, --rounds N      timed rounds, medians reported (default 5)\n"
		"      --classes       print the per-class table after storing\n"
		"      --seed N        corpus seed (default 1)\n"
		"      --corpus-dir D  corpus files folder (default $USWAP_CORPUS_DIR or /var/tmp/uswap-corpus)\n"
		"      --json          machine-readable output\n"
		BENCH_OPTS_HELP
		"  -h, --help          this text\n");
}

static int zb_parse(int argc, char **argv, struct zb_opts *o)
{
	static const struct option lo[] = {{"corpus", 1, 0, 'c'},  {"codec", 1, 0, 'z'},  {"size", 1, 0, 's'},
					   {"chain", 1, 0, 'C'},   {"threads", 1, 0, 't'}, {"rounds", 1, 0, 'r'}, {"classes", 0, 0, 'K'},
					   {"json", 0, 0, 'j'},    {"help", 0, 0, 'h'},   BENCH_SHARED_LONGOPTS, {0}};
	char *corpora = "mixed", err[256];
	const struct codec_ops *ops;
	int c, level;

	*o = (struct zb_opts){.bytes = 256u << 20, .threads = 2, .rounds = 5};
	if (bench_opts_init("zsmalloc", &o->opt))
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:z:s:t:r:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': corpora = optarg; break;
		case 'z':
			if (bench_opts_set("zsmalloc", &o->opt, "compressor", optarg))
				return 2;
			break;
		case 's':
			if (bench_opt_size("zsmalloc", optarg, 16 * PAGE_SIZE, &o->bytes))
				return 2;
			break;
		case 'C':
			if (bench_opts_set("zsmalloc", &o->opt, "max_chain", optarg))
				return 2;
			break;
		case 'r':
			if (bench_opt_uint("zsmalloc", "rounds", optarg, 1, MAX_ROUNDS, &o->rounds))
				return 2;
			break;
		case 't':
			if (bench_opt_uint("zsmalloc", "threads", optarg, 1, 2, &o->threads))
				return 2;
			break;
		case 'K': o->classes = true; break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); return 1;
		default:
			if ((c = bench_shared_flag("zsmalloc", c, optarg, &o->opt)) == 1)
				usage(stderr);
			if (c)
				return 2;
		}
	}
	if (bench_opt_end("zsmalloc", argc, argv))
		return 2;
	o->seed = opt_num(&o->opt, OPT_SEED);
	o->codec = opt_str(&o->opt, OPT_COMPRESSOR);
	o->chain = (unsigned)opt_num(&o->opt, OPT_MAX_CHAIN);
	o->dir = bench_corpus_dir(&o->opt);
	if (codec_parse(o->codec, &ops, &level, err, sizeof(err))) {
		fprintf(stderr, "uswap bench zsmalloc: %s\n", err);
		return 2;
	}
	return bench_opt_corpora("zsmalloc", corpora, o->corpora, MAX_LIST, &o->nr_corpora);
}

int bench_zsmalloc_main(int argc, char **argv)
{
	struct zb_opts o;
	struct zb_result r[MAX_LIST];
	int ret = zb_parse(argc, argv, &o), n = 0;

	if (ret)
		return ret == 1 ? 0 : ret;
	for (int i = 0; i < o.nr_corpora && !ret; i++)
		if (!(ret = measure(&o, o.corpora[i], &r[i])))
			n++;
	bench_progress_done();
	if (o.json)
		print_json(&o, r, n);
	else
		print_results(&o, r, n);
	return ret ? 1 : 0;
}
