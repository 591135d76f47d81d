/*
 * zsmalloc.h - zsmalloc/: the allocator for compressed pages.
 *
 * Objects of 1..4096 bytes are packed into zspages (chains of 1..16 pages
 * from page/) by size class and addressed only through an opaque handle,
 * stable for the object's life while compaction and page migration move
 * the object underneath it.
 */
#ifndef USWAP_ZSMALLOC_H
#define USWAP_ZSMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZS_MIN_ALLOC_SIZE 32
#define ZS_SIZE_STEP      16
#define ZS_NR_CLASSES     ((4096 - ZS_MIN_ALLOC_SIZE) / ZS_SIZE_STEP + 1) /* 255 */
#define ZS_MAX_CHAIN      16
#define ZS_NR_GROUPS      12 /* in-use ratio groups: 0, 10, ..., 90, 99, 100 */

/* Defaults (plain numbers: the options table prints them). */
#define ZS_DEFAULT_MAX_CHAIN          8
#define ZS_DEFAULT_COMPACT_THRESHOLD  25
#define ZS_DEFAULT_COMPACT_MIN_PAGES  64
#define ZS_DEFAULT_TRIM_INTERVAL_MS   1000

struct zs_pool;

struct zs_config {
	unsigned max_chain;          /* pages per zspage at most, 1..16; 0 = ZS_DEFAULT_MAX_CHAIN */
	size_t max_bytes;            /* page supply limit; 0 = none */
	unsigned compact_threshold;  /* auto-compact when freeable pages exceed this
					percent of the pool; 0 = ZS_DEFAULT_COMPACT_THRESHOLD,
					100+ = off */
	size_t compact_min_pages;    /* ... and at least this many pages;
					0 = ZS_DEFAULT_COMPACT_MIN_PAGES */
	int trim_interval_ms;        /* page/ returns pages free for this long to the OS from
					a background thread; 0 = ZS_DEFAULT_TRIM_INTERVAL_MS,
					< 0 = inline in frees */
	size_t free_watermark;       /* page/'s free_watermark; 0 = its default */
	bool no_populate;            /* page/ leaves new pages to fault on first touch */
};

struct zs_class_stats {
	unsigned size;             /* object size of the class, bytes (incl. header) */
	unsigned pages_per_zspage, objs_per_zspage;
	uint64_t obj_allocated;    /* object slots in the class's zspages */
	uint64_t obj_used;         /* of which in use */
	uint64_t pages_used;       /* pages in the class's zspages */
	uint64_t freeable;         /* pages compaction could free */
	uint64_t groups[ZS_NR_GROUPS]; /* zspages per in-use ratio group */
};

struct zs_pool_stats {
	uint64_t pages;            /* pages of zspages holding objects */
	uint64_t empty_pages;      /* pages of empty zspages kept for reuse (with pages:
				      page/'s used pages) */
	uint64_t objs;             /* live objects */
	uint64_t obj_bytes;        /* bytes callers asked for, live */
	uint64_t pages_compacted;  /* pages freed by compaction, cumulative */
	uint64_t compactions;      /* compaction runs (explicit + automatic) */
	uint64_t pages_migrated;   /* pages moved by zs_migrate_page */
	uint64_t alloc_fail;       /* zs_malloc failures */
	uint64_t zspages_deferred; /* empty zspages awaiting free */
	size_t meta_bytes;         /* out-of-pool metadata: zspages + handle table */
};

/* zsmalloc.c */
int zs_create_pool(const char *name, const struct zs_config *cfg, struct zs_pool **out);
void zs_destroy_pool(struct zs_pool *pool);
unsigned long zs_malloc(struct zs_pool *pool, size_t size);
void zs_free(struct zs_pool *pool, unsigned long handle);
#define ZS_FREE_BATCH 64
void zs_free_batch(struct zs_pool *pool, const unsigned long *handles, unsigned n); /* n <= ZS_FREE_BATCH */
void zs_write(struct zs_pool *pool, unsigned long handle, const void *src, size_t len);
void zs_read(struct zs_pool *pool, unsigned long handle, void *dst, size_t len);
const void *zs_read_begin(struct zs_pool *pool, unsigned long handle, void *local, size_t len);
void zs_read_end(struct zs_pool *pool, unsigned long handle);
uint64_t zs_get_total_pages(struct zs_pool *pool);
uint64_t zs_compact(struct zs_pool *pool);
/* Free the queued empty zspages now (they are otherwise freed in batches
 * by the maintenance tick), so zs_get_total_pages is current. */
uint64_t zs_flush(struct zs_pool *pool); /* returns the pages freed */
/* The maintenance tick's work, now (page/'s background thread runs it
 * every trim_interval_ms): automatic compaction where asked for, then the
 * empty zspages kept for reuse that stayed empty since the previous tick
 * (beyond as many as their class took meanwhile, and one per class) and
 * the queue are freed. */
void zs_maintain(struct zs_pool *pool);
int zs_migrate_page(struct zs_pool *pool, void *page);
void *zs_handle_page(struct zs_pool *pool, unsigned long handle);
void zs_pool_stats(struct zs_pool *pool, struct zs_pool_stats *st);
/* Stats of each distinct class (merged classes once), smallest first;
 * returns how many were written (at most max). */
unsigned zs_class_stats(struct zs_pool *pool, struct zs_class_stats *out, unsigned max);
const char *zs_pool_name(struct zs_pool *pool);
/* Largest size that still shares a zspage with other objects; bigger
 * objects take a page each (the kernel's huge_class_size). */
size_t zs_huge_class_size(struct zs_pool *pool);
/* Consistency check of every class and zspage (tests, debug). 0 or -EUCLEAN. */
int zs_validate(struct zs_pool *pool);

#endif
