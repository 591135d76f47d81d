/*
 * page.h - page/: 4 KiB pages for the compressed-object allocator, carved
 * from large mmap'd chunks, with exact accounting of what is held.
 */
#ifndef USWAP_PAGE_H
#define USWAP_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PG_CHUNK_SHIFT 21 /* 2 MiB chunks: one mmap per 512 pages */
#define PG_CHUNK_SIZE  ((size_t)1 << PG_CHUNK_SHIFT)
#define PG_PER_CHUNK   (PG_CHUNK_SIZE >> 12)

/* Defaults (plain numbers: the options table prints them). */
#define PG_DEFAULT_FREE_WATERMARK 4194304 /* 4 MiB */

struct pg_pool;

struct pg_config {
	size_t max_bytes;       /* pages in use never exceed this; 0 = no limit */
	size_t free_watermark;  /* free resident bytes kept before returning to the OS;
				   0 = PG_DEFAULT_FREE_WATERMARK */
	bool use_madv_free;     /* MADV_FREE (lazy) instead of MADV_DONTNEED (exact RSS) */
	bool populate;          /* fault released and new pages in a batch at a time
				   (MADV_POPULATE_WRITE) as they are handed out */
	unsigned trim_interval_ms; /* > 0: a background thread returns free pages above the
				      watermark that stayed free this many ms, and pg_free
				      never makes a system call; 0: pg_free trims inline */
	void (*tick)(void *arg);   /* with trim_interval_ms: the owner's maintenance, run by
				      the background thread before each trim */
	void *tick_arg;
};

struct pg_stats {
	uint64_t used_pages;     /* handed out, not yet freed */
	uint64_t free_pages;     /* free and resident (global list + per-CPU caches) */
	uint64_t released_pages; /* free and given back to the OS (madvise) */
	uint64_t chunks;         /* chunks mapped */
	uint64_t chunks_unmapped;/* chunks returned whole (munmap) over the pool's life */
	uint64_t alloc_fail;     /* allocations refused (limit or mmap failure) */
};

/* page.c */
int pg_pool_create(const struct pg_config *cfg, struct pg_pool **out);
void pg_pool_destroy(struct pg_pool *p);
/* Stop the background thread (no more ticks or trims); idempotent. The
 * owner calls it before tearing down what its tick touches. */
void pg_stop_background(struct pg_pool *p);
void *pg_alloc(struct pg_pool *p);
void pg_free(struct pg_pool *p, void *page);
void pg_stats(struct pg_pool *p, struct pg_stats *st);
uint64_t pg_used_bytes(struct pg_pool *p);
/* Return free resident pages above the watermark (all with force) to the OS. */
void pg_trim(struct pg_pool *p, bool force);
/* The accounting equation, page by page (tests, debug builds). 0 or -EUCLEAN. */
int pg_validate(struct pg_pool *p);
/* Is page a page of this pool (in use or free)? For debug checks. */
bool pg_owns(struct pg_pool *p, const void *page);
/* Which chunk holds page, and how many pages of that chunk are in use. */
uint64_t pg_chunk_used(struct pg_pool *p, const void *page);

#endif
