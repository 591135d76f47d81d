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
#include <libdeflate.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "bench.h"
#include "corpus.h"
#include "zswap/zswap.h"

#define SLICE 256
#define SLOT CODEC_MAX_OUT
#define MAX_LIST 8

struct zw_opts {
	char *corpora[MAX_LIST];
	int nr_corpora, rounds;
	const char *codec, *dir;
	size_t bytes;
	uint64_t seed;
	bool json, stats;
};

struct zw_result {
	const char *corpus;
	size_t pages;
	double store[2], load[2]; /* pages/s: [0] zswap, [1] raw */
	double saving;
	struct zswap_stats st;
};

/* Raw reference calls for the backend of pool (compare bench_codec.c). */
struct zw_raw {
	const char *name;
	int level;
	ZSTD_CCtx *zc;
	ZSTD_DCtx *zd;
	struct libdeflate_compressor *dc;
	struct libdeflate_decompressor *dd;
	void *lzo;
};

static int zw_raw_compress(struct zw_raw *r, const void *src, void *dst)
{
	if (!strcmp(r->name, "lz4"))
		return LZ4_compress_fast(src, dst, (int)PAGE_SIZE, (int)SLOT, r->level);
	if (!strcmp(r->name, "zstd"))
		return (int)ZSTD_compressCCtx(r->zc, dst, SLOT, src, PAGE_SIZE, r->level);
	if (!strcmp(r->name, "deflate"))
		return (int)libdeflate_deflate_compress(r->dc, src, PAGE_SIZE, dst, SLOT);
	lzo_uint n = 0;
	lzo1x_1_compress(src, PAGE_SIZE, dst, &n, r->lzo);
	return (int)n;
}

static int zw_raw_decompress(struct zw_raw *r, const void *src, size_t len, void *dst)
{
	if (!strcmp(r->name, "lz4"))
		return LZ4_decompress_safe(src, dst, (int)len, (int)PAGE_SIZE);
	if (!strcmp(r->name, "zstd"))
		return (int)ZSTD_decompressDCtx(r->zd, dst, PAGE_SIZE, src, len);
	if (!strcmp(r->name, "deflate"))
		return libdeflate_deflate_decompress(r->dd, src, len, dst, PAGE_SIZE, NULL);
	lzo_uint n = PAGE_SIZE;
	return lzo1x_decompress_safe(src, len, dst, &n, NULL);
}

static volatile long zw_sink;

/* One store pass (slices alternating with raw compression); adds times. */
static int store_pass(struct zswap *z, struct zw_raw *raw, unsigned char *pages, unsigned char *out, int *len,
		      size_t n, double t[2])
{
	int fails = 0;

	for (size_t from = 0, k = 0; from < n; from += SLICE, k++) {
		size_t to = MIN(from + SLICE, n);
		for (int j = 0; j < 2; j++) {
			int who = (int)((j + k) % 2);
			double t0 = bench_now();
			for (size_t i = from; i < to; i++) {
				if (who)
					len[i] = zw_raw_compress(raw, pages + i * PAGE_SIZE, out + i * SLOT);
				else
					fails += zswap_store(z, swp_entry(0, i), pages + i * PAGE_SIZE, NULL) != 0;
			}
			t[who] += bench_now() - t0;
		}
	}
	return fails;
}

/* One load pass: zswap_load + commit vs raw decompression; verifies. */
static int load_pass(struct zswap *z, struct zw_raw *raw, unsigned char *pages, unsigned char *out, int *len,
		     size_t n, double t[2])
{
	static unsigned char hot[2][PAGE_SIZE];
	int bad = 0;

	for (size_t from = 0, k = 0; from < n; from += SLICE, k++) {
		size_t to = MIN(from + SLICE, n);
		for (int j = 0; j < 2; j++) {
			int who = (int)((j + k) % 2);
			double t0 = bench_now();
			for (size_t i = from; i < to; i++) {
				if (who) {
					zw_sink += zw_raw_decompress(raw, out + i * SLOT, (size_t)len[i], hot[1]);
				} else {
					bad += zswap_load(z, swp_entry(0, i), hot[0]) != 0;
					zswap_load_commit(z, swp_entry(0, i));
				}
			}
			t[who] += bench_now() - t0;
			if (!who) /* the last page of the slice must be right */
				bad += memcmp(hot[0], pages + (to - 1) * PAGE_SIZE, PAGE_SIZE) != 0;
		}
	}
	return bad;
}

static int zw_measure(const struct zw_opts *o, const char *corpus, struct zw_result *r)
{
	struct corpus_set cs;
	struct zswap *z;
	char err[512];
	size_t n = o->bytes / PAGE_SIZE;
	unsigned char *pages = aligned_alloc(PAGE_SIZE, n * PAGE_SIZE), *out = malloc(n * SLOT);
	int *len = calloc(n, sizeof(int)), fails = 0;
	struct zswap_config cfg = {.compressor = o->codec, .budget = 4 * o->bytes + (64 << 20),
				   .max_pool_percent = 100, .no_shrink_worker = true};

	if (!pages || !out || !len) {
		fprintf(stderr, "uswap bench zswap: out of memory\n");
		return -ENOMEM;
	}
	if (corpus_open(&cs, o->dir, corpus, 1.0, err, sizeof(err)) || zswap_create(&cfg, &z, err, sizeof(err))) {
		fprintf(stderr, "uswap bench zswap: %s\n", err);
		return -EINVAL;
	}
	corpus_fill(&cs, corpus, o->seed, pages, n);
	corpus_close(&cs);
	zswap_swapon(z, 0);
	const struct codec_ops *ops;
	int level;
	codec_parse(o->codec, &ops, &level, err, sizeof(err));
	struct zw_raw raw = {ops->name, level, ZSTD_createCCtx(), ZSTD_createDCtx(),
			     libdeflate_alloc_compressor(level >= 0 && level <= 12 ? level : 6),
			     libdeflate_alloc_decompressor(), malloc(LZO1X_1_MEM_COMPRESS)};
	double ts[2] = {0}, tl[2] = {0};
	memset(r, 0, sizeof(*r));
	r->corpus = corpus;
	r->pages = n;
	for (int k = 0; k < o->rounds && !fails; k++) {
		bench_progress("bench zswap: %s round %d/%d: store", corpus, k + 1, o->rounds);
		fails += store_pass(z, &raw, pages, out, len, n, ts);
		if (k == 0) {
			zswap_stats(z, &r->st);
			/* 0 = undefined: nothing took pool memory (all same-filled) */
			r->saving = r->st.pool_total_size ? (double)n * PAGE_SIZE / (double)r->st.pool_total_size : 0;
		}
		bench_progress("bench zswap: %s round %d/%d: load", corpus, k + 1, o->rounds);
		fails += load_pass(z, &raw, pages, out, len, n, tl);
	}
	double np = (double)n * o->rounds;
	for (int w = 0; w < 2; w++) {
		r->store[w] = np / ts[w];
		r->load[w] = np / tl[w];
	}
	ZSTD_freeCCtx(raw.zc);
	ZSTD_freeDCtx(raw.zd);
	libdeflate_free_compressor(raw.dc);
	libdeflate_free_decompressor(raw.dd);
	free(raw.lzo);
	zswap_destroy(z);
	free(pages);
	free(out);
	free(len);
	if (fails) {
		fprintf(stderr, "uswap bench zswap: %d pages failed to store or load back\n", fails);
		return -EIO;
	}
	return 0;
}

static void zw_print(const struct zw_opts *o, const struct zw_result *r, int n)
{
	printf("uswap bench zswap: %s, %zu MiB per corpus, %d rounds, single thread, pages/s\n\n", o->codec,
	       o->bytes >> 20, o->rounds);
	printf("%-7s %9s %9s %6s | %9s %9s %6s | %7s %9s %8s %8s %8s\n", "corpus", "store", "raw comp", "x", "load",
	       "raw dec", "x", "saving", "pool MiB", "stored", "same", "incomp");
	for (int i = 0; i < n; i++) {
		char saving[16] = "-";
		if (r[i].saving > 0)
			snprintf(saving, sizeof(saving), "%.3f", r[i].saving);
		printf("%-7s %9.0f %9.0f %6.3f | %9.0f %9.0f %6.3f | %7s %9.1f %8llu %8llu %8llu\n", r[i].corpus,
		       r[i].store[0], r[i].store[1], r[i].store[0] / r[i].store[1], r[i].load[0], r[i].load[1],
		       r[i].load[0] / r[i].load[1], saving, r[i].st.pool_total_size / 1048576.0,
		       (unsigned long long)r[i].st.stored_pages, (unsigned long long)r[i].st.same_filled_pages,
		       (unsigned long long)r[i].st.stored_incompressible_pages);
	}
	printf("\nstore: zswap_store; load: zswap_load + commit (exclusive); raw: the library call on the same\n"
	       "pages; x = zswap / raw. saving: original bytes of all pages (zero pages included) / pool_total_size.\n");
	if (!o->stats)
		return;
	for (int i = 0; i < n; i++) {
		const struct zswap_stats *s = &r[i].st;
		printf("\n%s (after the first store pass):\n", r[i].corpus);
		printf("  pool_limit_hit %llu\n  reject_reclaim_fail %llu\n  reject_alloc_fail %llu\n"
		       "  reject_kmemcache_fail %llu\n  reject_compress_fail %llu\n  reject_compress_poor %llu\n"
		       "  decompress_fail %llu\n  written_back_pages %llu\n  pool_total_size %llu\n"
		       "  stored_pages %llu\n  stored_incompressible_pages %llu\n  same_filled_pages %llu\n"
		       "  zswpout %llu\n",
		       (unsigned long long)s->pool_limit_hit, (unsigned long long)s->reject_reclaim_fail,
		       (unsigned long long)s->reject_alloc_fail, (unsigned long long)s->reject_kmemcache_fail,
		       (unsigned long long)s->reject_compress_fail, (unsigned long long)s->reject_compress_poor,
		       (unsigned long long)s->decompress_fail, (unsigned long long)s->written_back_pages,
		       (unsigned long long)s->pool_total_size, (unsigned long long)s->stored_pages,
		       (unsigned long long)s->stored_incompressible_pages, (unsigned long long)s->same_filled_pages,
		       (unsigned long long)s->zswpout);
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
	printf("{\"codec\": \"%s\", \"bytes\": %zu, \"rounds\": %d, \"results\": [", o->codec, o->bytes, o->rounds);
	for (int i = 0; i < n; i++)
		printf("%s\n {\"corpus\": \"%s\", \"store_pages_s\": %.0f, \"raw_compress_pages_s\": %.0f, "
		       "\"load_pages_s\": %.0f, \"raw_decompress_pages_s\": %.0f, \"saving\": %s, "
		       "\"pool_total_size\": %llu, \"stored_pages\": %llu, \"same_filled_pages\": %llu, "
		       "\"stored_incompressible_pages\": %llu}",
		       i ? "," : "", r[i].corpus, r[i].store[0], r[i].store[1], r[i].load[0], r[i].load[1],
		       fmt_saving(r[i].saving),
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
		"      --stats         print zswap's statistics after the first store pass\n"
		"      --seed N        corpus seed (default 1)\n"
		"      --corpus-dir D  corpus files folder\n"
		"      --json          machine-readable output\n"
		"  -h, --help          this text\n");
}

static int zw_parse(int argc, char **argv, struct zw_opts *o)
{
	static const struct option lo[] = {{"corpus", 1, 0, 'c'}, {"codec", 1, 0, 'z'},     {"size", 1, 0, 's'},
					   {"rounds", 1, 0, 'r'}, {"stats", 0, 0, 'T'},     {"seed", 1, 0, 'S'},
					   {"corpus-dir", 1, 0, 'D'}, {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'},
					   {0}};
	char *corpora = "mixed", *end, err[256];
	const struct codec_ops *ops;
	int c, level;

	*o = (struct zw_opts){.codec = "lz4", .bytes = 256u << 20, .rounds = 3, .seed = 1};
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:z:s:r:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': corpora = optarg; break;
		case 'z': o->codec = optarg; break;
		case 's':
			if (bench_parse_size(optarg, &o->bytes) || o->bytes < 16 * PAGE_SIZE) {
				fprintf(stderr, "uswap bench zswap: --size '%s' is not a size of at least 64K\n", optarg);
				return 2;
			}
			break;
		case 'r':
			o->rounds = (int)strtol(optarg, &end, 10);
			if (*end || o->rounds < 1 || o->rounds > 64) {
				fprintf(stderr, "uswap bench zswap: --rounds '%s' is not a number from 1 to 64\n", optarg);
				return 2;
			}
			break;
		case 'T': o->stats = true; break;
		case 'S': o->seed = strtoull(optarg, NULL, 0); break;
		case 'D': o->dir = optarg; break;
		case 'j': o->json = true; break;
		case 'h': zw_usage(stdout); return 1;
		default: zw_usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uswap bench zswap: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (codec_parse(o->codec, &ops, &level, err, sizeof(err)) || !strcmp(ops->name, "lz4hc")) {
		fprintf(stderr, "uswap bench zswap: %s\n", *err ? err : "lz4hc has no raw reference here; pick another");
		return 2;
	}
	o->nr_corpora = bench_split(strdup(corpora), o->corpora, MAX_LIST);
	for (int i = 0; i < o->nr_corpora; i++)
		if (!corpus_valid(o->corpora[i])) {
			fprintf(stderr, "uswap bench zswap: corpus '%s' is unknown (have: zero, text, binary, random, "
					"mixed, heap)\n", o->corpora[i]);
			return 2;
		}
	return 0;
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
