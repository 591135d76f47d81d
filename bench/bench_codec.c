/*
 * bench_codec.c - `uswap bench codec`: every compressor on every corpus.
 *
 * For each (corpus, compressor): the compression ratio, and compress and
 * decompress MiB/s through uswap's per-CPU context path (codec_compress /
 * codec_decompress) next to the raw library call on the same pages in the
 * same run, with the ratio of the two. The two paths alternate in 1 MiB
 * slices, each going first half the time, and each one's time is summed. Then same-filled detection against
 * memcmp with a zero page. Every page is verified after decompression.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "codec/codec.h"
#include "corpus.h"

#define SLOT CODEC_MAX_OUT
#define MAX_LIST 16

/* ------------------------------------------------------------ measuring */

struct opts {
	char *corpora[MAX_LIST], *codecs[MAX_LIST];
	int nr_corpora, nr_codecs;
	unsigned rounds;
	size_t bytes;
	uint64_t seed;
	bool json;
	const char *dir;
	struct options opt;
};

struct pages {
	unsigned char *src, *out, *hot;
	int *len;
	size_t n;
};

struct result {
	const char *corpus, *codec;
	double ratio, comp[2], decomp[2]; /* [0] uswap, [1] raw; MiB/s */
	size_t same_filled;
};

static volatile uint64_t sink;

/* Pages per timing slice: raw and uswap alternate slice by slice, so drift
 * (frequency, a neighbour on the other core) hits both alike. 1 MiB: more
 * than L2, so neither path runs from a cache the other warmed. */
#define SLICE 256

/* The two paths over a slice of pages: who 0 = uswap, 1 = the raw call. */
struct pass {
	struct pages *pg;
	struct codec_pool *pool;
	struct raw_codec *raw;
};

static void compress_slice(int who, size_t from, size_t to, void *arg)
{
	struct pass *p = arg;

	for (size_t i = from; i < to; i++) {
		const void *s = p->pg->src + i * PAGE_SIZE;
		void *d = p->pg->out + i * SLOT;
		p->pg->len[i] = who ? raw_codec_compress(p->raw, s, d, SLOT) : codec_compress(p->pool, s, d, SLOT);
	}
}

static void decompress_slice(int who, size_t from, size_t to, void *arg)
{
	struct pass *p = arg;
	uint64_t bad = 0;

	for (size_t i = from; i < to; i++) {
		const void *s = p->pg->out + i * SLOT;
		size_t len = (size_t)p->pg->len[i];
		bad += (who ? raw_codec_decompress(p->raw, s, len, p->pg->hot)
			    : codec_decompress(p->pool, s, len, p->pg->hot)) != 0;
	}
	sink += bad;
}

/* Decompress every page through uswap and compare with the original. */
static size_t verify(struct pages *pg, struct codec_pool *pool)
{
	size_t bad = 0;
	for (size_t i = 0; i < pg->n; i++)
		if (pg->len[i] <= 0 || codec_decompress(pool, pg->out + i * SLOT, (size_t)pg->len[i], pg->hot) ||
		    memcmp(pg->hot, pg->src + i * PAGE_SIZE, PAGE_SIZE))
			bad++;
	return bad;
}

static double ratio_of(struct pages *pg)
{
	double in = 0, out = 0;
	for (size_t i = 0; i < pg->n; i++) {
		in += PAGE_SIZE;
		out += pg->len[i] > 0 && pg->len[i] < (int)PAGE_SIZE ? (double)pg->len[i] : (double)PAGE_SIZE;
	}
	return in / out;
}

static int measure_codec(struct pages *pg, const char *spec, const struct opts *o, struct result *r)
{
	char err[256];
	struct codec_pool *pool;
	struct raw_codec raw;

	if (codec_pool_create(spec, &pool, err, sizeof(err))) {
		fprintf(stderr, "uswap bench codec: %s\n", err);
		return -EINVAL;
	}
	if (raw_codec_init(&raw, pool->ops->name, pool->level)) {
		fprintf(stderr, "uswap bench codec: out of memory for the raw %s reference\n", pool->ops->name);
		codec_pool_destroy(pool);
		return -ENOMEM;
	}
	struct pass ps = {pg, pool, &raw};
	double mib = (double)pg->n * PAGE_SIZE / (1 << 20) * o->rounds, c[2] = {0}, d[2] = {0};
	for (unsigned k = 0; k < o->rounds; k++) {
		bench_progress("bench codec: %s %s round %u/%u", r->corpus, pool->name, k + 1, o->rounds);
		bench_interleave(pg->n, SLICE, compress_slice, &ps, c);
		/* Both decompress the raw call's output: the same bytes. */
		compress_slice(1, 0, pg->n, &ps);
		bench_interleave(pg->n, SLICE, decompress_slice, &ps, d);
	}
	compress_slice(0, 0, pg->n, &ps);
	size_t bad = verify(pg, pool);
	r->codec = strdup(pool->name);
	r->ratio = ratio_of(pg);
	for (int w = 0; w < 2; w++) {
		r->comp[w] = mib / c[w];
		r->decomp[w] = mib / d[w];
	}
	raw_codec_free(&raw);
	codec_pool_destroy(pool);
	if (bad) {
		bench_progress_done();
		fprintf(stderr, "uswap bench codec: %s on %s: %zu pages did not round-trip\n", spec, r->corpus, bad);
		return -EIO;
	}
	return 0;
}

/* Same-filled detection vs memcmp against a zero page: [0] ours, [1] memcmp.
 * Interleaved slice by slice like the codec passes. */
struct sf_pass {
	struct pages *pg;
	size_t hits[2];
};

static void same_filled_slice(int who, size_t from, size_t to, void *arg)
{
	static const unsigned char zero[PAGE_SIZE];
	struct sf_pass *p = arg;
	uint64_t val;

	for (size_t i = from; i < to; i++) {
		const unsigned char *pg = p->pg->src + i * PAGE_SIZE;
		p->hits[who] += who ? memcmp(pg, zero, PAGE_SIZE) == 0 : codec_same_filled(pg, &val);
	}
}

static void measure_same_filled(struct pages *pg, const struct opts *o, double out[2], size_t *count)
{
	double mib = (double)pg->n * PAGE_SIZE / (1 << 20) * o->rounds, t[2] = {0};
	struct sf_pass p = {pg, {0, 0}};

	for (unsigned r = 0; r < o->rounds; r++)
		bench_interleave(pg->n, SLICE, same_filled_slice, &p, t);
	sink += p.hits[1];
	*count = p.hits[0] / (size_t)o->rounds;
	out[0] = mib / t[0];
	out[1] = mib / t[1];
}

/* -------------------------------------------------------------- output */

static void print_table(const struct result *r, int n, double sf[][2], const size_t *sfc,
			char **corpora, int nc, size_t pages)
{
	printf("uswap bench codec: %zu pages (%.0f MiB) per corpus, MiB/s of page data over all rounds\n\n",
	       pages, (double)pages * PAGE_SIZE / (1 << 20));
	printf("%-7s %-10s %6s | %9s %9s %6s | %9s %9s %6s\n", "corpus", "codec", "ratio", "comp", "raw",
	       "x", "decomp", "raw", "x");
	for (int i = 0; i < n; i++)
		printf("%-7s %-10s %6.3f | %9.0f %9.0f %6.3f | %9.0f %9.0f %6.3f\n", r[i].corpus, r[i].codec,
		       r[i].ratio, r[i].comp[0], r[i].comp[1], r[i].comp[0] / r[i].comp[1], r[i].decomp[0],
		       r[i].decomp[1], r[i].decomp[0] / r[i].decomp[1]);
	printf("\nsame-filled detection vs memcmp(page, zero page):\n");
	printf("%-7s %9s %9s %6s %12s\n", "corpus", "detect", "memcmp", "x", "same-filled");
	for (int i = 0; i < nc; i++)
		printf("%-7s %9.0f %9.0f %6.3f %12zu\n", corpora[i], sf[i][0], sf[i][1], sf[i][0] / sf[i][1], sfc[i]);
	printf("\nratio: page bytes / compressed bytes (a page that does not shrink counts as 4096);\n"
	       "comp/decomp: uswap's per-CPU path; raw: the library call alone; x = uswap / raw.\n");
}

static void print_json(const struct result *r, int n, double sf[][2], const size_t *sfc, char **corpora,
		       int nc, size_t pages)
{
	printf("{\"pages\": %zu, \"codec\": [", pages);
	for (int i = 0; i < n; i++)
		printf("%s\n  {\"corpus\": \"%s\", \"codec\": \"%s\", \"ratio\": %.4f, \"compress_mibs\": %.1f, "
		       "\"compress_raw_mibs\": %.1f, \"decompress_mibs\": %.1f, \"decompress_raw_mibs\": %.1f}",
		       i ? "," : "", r[i].corpus, r[i].codec, r[i].ratio, r[i].comp[0], r[i].comp[1], r[i].decomp[0],
		       r[i].decomp[1]);
	printf("],\n \"same_filled\": [");
	for (int i = 0; i < nc; i++)
		printf("%s\n  {\"corpus\": \"%s\", \"detect_mibs\": %.1f, \"memcmp_zero_mibs\": %.1f, "
		       "\"same_filled_pages\": %zu}", i ? "," : "", corpora[i], sf[i][0], sf[i][1], sfc[i]);
	printf("]}\n");
}

/* --------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uswap bench codec [options]\n"
		"Compress and decompress page corpora with every compressor, through uswap's\n"
		"per-CPU path and through the raw library call, and compare.\n\n"
		"  -c, --corpus LIST   corpora, comma-separated, or 'all' (default: all)\n"
		"                      zero, text, binary, random, mixed, heap\n"
		"  -z, --codec LIST    compressors, e.g. lz4,zstd:3 or 'all' (default: all)\n"
		"                      lz4[:accel], lz4hc[:1-12], zstd[:level], deflate[:0-12], lzo\n"
		"  -s, --size SIZE     page data per corpus (default 32M; K, M, G suffixes, bare = bytes)\n"
		"  -r, --rounds N      timed passes over the pages (default 5)\n"
		"      --seed N        corpus seed (default 1, as the kernel anchor)\n"
		"      --corpus-dir D  where corpus files are built and kept\n"
		"                      (default $USWAP_CORPUS_DIR or /var/tmp/uswap-corpus)\n"
		"      --json          machine-readable output on stdout\n"
		BENCH_OPTS_HELP
		"  -h, --help          this text\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"corpus", 1, 0, 'c'}, {"codec", 1, 0, 'z'}, {"size", 1, 0, 's'}, {"rounds", 1, 0, 'r'},
		{"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, BENCH_SHARED_LONGOPTS, {0}};
	static char all_corpora[] = "zero,text,binary,random,mixed,heap", all_codecs[] = "lz4,lz4hc,zstd,deflate,lzo";
	char *corpora = all_corpora, *codecs = all_codecs;
	int c;

	*o = (struct opts){.rounds = 5, .bytes = 32u << 20};
	if (bench_opts_init("codec", &o->opt))
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:z:s:r:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': corpora = strcmp(optarg, "all") ? optarg : all_corpora; break;
		case 'z': codecs = strcmp(optarg, "all") ? optarg : all_codecs; break;
		case 's':
			if (bench_opt_size("codec", optarg, PAGE_SIZE, &o->bytes))
				return 2;
			break;
		case 'r':
			if (bench_opt_uint("codec", "rounds", optarg, 1, 64, &o->rounds))
				return 2;
			break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); return 1;
		default:
			if ((c = bench_shared_flag("codec", c, optarg, &o->opt)) == 1)
				usage(stderr);
			if (c)
				return 2;
		}
	}
	if (bench_opt_end("codec", argc, argv))
		return 2;
	o->seed = opt_num(&o->opt, OPT_SEED);
	o->dir = bench_corpus_dir(&o->opt);
	if (bench_opt_corpora("codec", corpora, o->corpora, MAX_LIST, &o->nr_corpora))
		return 2;
	o->nr_codecs = bench_split(strdup(codecs), o->codecs, MAX_LIST);
	for (int i = 0; i < o->nr_codecs; i++) {
		const struct codec_ops *ops;
		int level;
		char err[256];
		if (codec_parse(o->codecs[i], &ops, &level, err, sizeof(err))) {
			fprintf(stderr, "uswap bench codec: %s\n", err);
			return 2;
		}
	}
	return 0;
}

static int bench_corpus(const struct opts *o, const char *name, struct pages *pg, struct result *res,
			int *nres, double sf[2], size_t *sfc)
{
	struct corpus_set cs;
	char err[512];
	int ret = corpus_open(&cs, o->dir, name, 1.0, err, sizeof(err));

	if (ret) {
		fprintf(stderr, "uswap bench codec: %s\n", err);
		return ret;
	}
	corpus_fill(&cs, name, o->seed, pg->src, pg->n);
	corpus_close(&cs);
	measure_same_filled(pg, o, sf, sfc);
	for (int j = 0; j < o->nr_codecs; j++) {
		struct result *r = &res[(*nres)++];
		r->corpus = name;
		ret = measure_codec(pg, o->codecs[j], o, r);
		if (ret)
			return ret;
	}
	return 0;
}

int bench_codec_main(int argc, char **argv)
{
	struct opts o;
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret == 1 ? 0 : ret;
	struct pages pg = {.n = o.bytes / PAGE_SIZE};
	pg.src = aligned_alloc(PAGE_SIZE, pg.n * PAGE_SIZE);
	pg.out = malloc(pg.n * SLOT);
	pg.hot = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	pg.len = calloc(pg.n, sizeof(int));
	struct result *res = calloc((size_t)(o.nr_corpora * o.nr_codecs), sizeof(*res));
	double sf[MAX_LIST][2];
	size_t sfc[MAX_LIST];
	int nres = 0;

	if (!pg.src || !pg.out || !pg.hot || !pg.len || !res) {
		fprintf(stderr, "uswap bench codec: out of memory for %zu pages\n", pg.n);
		return 1;
	}
	bench_pin_cpu();
	for (int i = 0; i < o.nr_corpora && !ret; i++)
		ret = bench_corpus(&o, o.corpora[i], &pg, res, &nres, sf[i], &sfc[i]);
	bench_progress_done();
	if (!ret) {
		if (o.json)
			print_json(res, nres, sf, sfc, o.corpora, o.nr_corpora, pg.n);
		else
			print_table(res, nres, sf, sfc, o.corpora, o.nr_corpora, pg.n);
	}
	free(pg.src);
	free(pg.out);
	free(pg.hot);
	free(pg.len);
	for (int i = 0; i < nres; i++)
		free((void *)res[i].codec);
	free(res);
	return ret ? 1 : 0;
}
