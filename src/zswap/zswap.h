/*
 * zswap.h - zswap/: the compressed cache in front of the swap devices
 * (design-digest 2.2), with the kernel's tunables and statistics.
 */
#ifndef USWAP_ZSWAP_H
#define USWAP_ZSWAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "base/swp_entry.h"
#include "codec/codec.h"
#include "zsmalloc/zsmalloc.h"

struct zswap;
struct zswap_pool;
struct zswap_group;

/*
 * How zswap hands entries to the layer above for writeback (the protocol
 * of races R1, R2, R11; see zswap_writeback.c):
 *   claim   - take the slot's claim, which pins the device and excludes
 *             load, store and free of the slot. 0, or -EEXIST (claimed
 *             already: the page is hot or in flight; skip it) or -ENOENT
 *             (freed). Never waits: writeback holds several claims at once.
 *   write   - write n decompressed pages, each to its claimed slot's
 *             backing store, in one batch where the store allows; res[i]
 *             = 0 or -errno. zswap frees a copy only after its success.
 *             objs[i] is page i's compressed copy, for a store that keeps
 *             compressed values (a Redis Cluster) to take as it is.
 *   release - drop the claim; written says whether the backing store now
 *             holds the page (else zswap still does).
 */
/* A page's compressed copy, as writeback hands it on with the page. */
struct zswap_obj {
	const void *data;           /* NULL: none (the page was kept raw, or same-filled) */
	uint32_t len;
	const char *codec;          /* its compressor's name: "lz4", "zstd", ... */
};

struct zswap_wb_ops {
	int (*claim)(void *arg, swp_entry_t e);
	void (*write)(void *arg, const swp_entry_t *e, void *const *pages, const struct zswap_obj *objs, int n,
		      int *res);
	void (*release)(void *arg, swp_entry_t e, bool written);
	void *arg;
};

/* Defaults (plain numbers: the options table prints them). */
#define ZSWAP_DEFAULT_COMPRESSOR               "lz4"
#define ZSWAP_DEFAULT_MAX_POOL_PERCENT         20
#define ZSWAP_DEFAULT_ACCEPT_THRESHOLD_PERCENT 90
#define ZSWAP_MAX_WRITEBACK_AFTER              32767 /* seconds: entry ages are 16-bit */
#define ZSWAP_DEFAULT_RECOMPRESS_CODEC         "zstd:3"

struct zswap_config {
	const char *compressor;          /* NULL = ZSWAP_DEFAULT_COMPRESSOR */
	size_t budget;                   /* bytes max_pool_percent is a percent of */
	unsigned max_pool_percent;       /* 0 = ZSWAP_DEFAULT_MAX_POOL_PERCENT */
	unsigned accept_threshold_percent; /* 0 = ZSWAP_DEFAULT_ACCEPT_THRESHOLD_PERCENT;
					      100 disables hysteresis */
	bool disabled;                   /* start with enabled = false */
	bool no_shrink_worker;           /* tests: no background writeback thread */
	bool keep_incompressible;        /* store pages that do not compress as they are, even
					    when they could go to the device (the kernel's 6.18 rule) */
	unsigned writeback_after;        /* seconds: the worker writes back entries stored longer
					    ago, under the limit too (zram's idle writeback); 0 = off,
					    at most ZSWAP_MAX_WRITEBACK_AFTER */
	unsigned recompress_after;       /* seconds: the worker recompresses entries stored longer
					    ago with recompress_codec; 0 = off (zswap_recompress
					    still works when recompress_codec is set) */
	const char *recompress_codec;    /* NULL = ZSWAP_DEFAULT_RECOMPRESS_CODEC when
					    recompress_after is set, else no recompression */
	bool dedup;                      /* same-page merging (zswap_dedup.c) */
	bool dedup_weak_hash;            /* tests: the hash is the page's first word (collisions) */
	struct zs_config zs;             /* the pools' zsmalloc tunables (max_bytes is ignored) */
};

/* Statistics, with the kernel's names. */
struct zswap_stats {
	uint64_t pool_limit_hit, reject_reclaim_fail, reject_alloc_fail, reject_kmemcache_fail,
		reject_compress_fail, reject_compress_poor, reject_group_limit, decompress_fail,
		written_back_pages, pool_total_size, stored_pages, stored_incompressible_pages,
		same_filled_pages, zswpin, zswpout, zswpwb, nr_pools;
	uint64_t reject_streaming;       /* ours: stores sent to the device as the pool was
					    full of pages written back unread (admit) */
	uint64_t stored_bytes;           /* compressed bytes of stored entries */
	uint64_t written_back_idle;      /* ours: written back by age (writeback_after), of
					    written_back_pages */
	uint64_t recompressed_pages;     /* entries replaced by a smaller copy (zram's spirit) */
	uint64_t recompress_saved_bytes; /* bytes those replacements saved, when they were made */
	uint64_t dedup_pages;            /* entries sharing another's object now (dedup) */
	uint64_t dedup_saved_bytes;      /* pool bytes they would take on their own */
	uint64_t dedup_collisions;       /* hash hits whose bytes differed (stored on their own) */
	uint64_t dedup_hits;             /* stores that found their page in the pool (cumulative) */
};

/* zswap.c */
int zswap_create(const struct zswap_config *cfg, struct zswap **out, char *err, size_t errlen);
void zswap_destroy(struct zswap *z);
int zswap_swapon(struct zswap *z, unsigned type);
void zswap_swapoff(struct zswap *z, unsigned type);
void zswap_set_writeback_ops(struct zswap *z, const struct zswap_wb_ops *ops);
int zswap_store(struct zswap *z, swp_entry_t e, const void *page, struct zswap_group *g);
int zswap_load(struct zswap *z, swp_entry_t e, void *page);
void zswap_load_commit(struct zswap *z, swp_entry_t e);
void zswap_invalidate(struct zswap *z, swp_entry_t e);
bool zswap_contains(struct zswap *z, swp_entry_t e);
void zswap_stats(struct zswap *z, struct zswap_stats *st);
long zswap_recompress(struct zswap *z, long nr, unsigned min_age);
void zswap_set_enabled(struct zswap *z, bool on);
int zswap_set_compressor(struct zswap *z, const char *spec, char *err, size_t errlen);
int zswap_set_max_pool_percent(struct zswap *z, unsigned pct);
int zswap_set_accept_threshold(struct zswap *z, unsigned pct);
uint64_t zswap_pool_bytes(struct zswap *z);
uint64_t zswap_compact(struct zswap *z);
uint64_t zswap_flush(struct zswap *z); /* free queued empty zspages now; pages freed */
uint64_t zswap_max_pool_bytes(struct zswap *z);
/* Is the pool above threshold_pct percent of its maximum? */
bool zswap_over_limit(struct zswap *z, uint64_t threshold_pct);
struct zswap_group *zswap_group_create(struct zswap *z, const char *name, size_t max_bytes, bool writeback);
void zswap_group_destroy(struct zswap *z, struct zswap_group *g);
void zswap_group_set(struct zswap_group *g, size_t max_bytes, bool writeback);
uint64_t zswap_group_bytes(struct zswap_group *g);

/* zswap_writeback.c */
long zswap_shrink(struct zswap *z, long nr, struct zswap_group *only);
int zswap_writeback_start(struct zswap *z);
void zswap_writeback_stop(struct zswap *z);

#endif
