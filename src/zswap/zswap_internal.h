/*
 * zswap_internal.h - what zswap.c, zswap_pool.c and zswap_writeback.c
 * share. Lock order for all three (outermost first):
 *   the slot's claim (swap cache page lock of the layer above)
 *   -> pools_lock (rwlock) -> tree (rtree's own lock, leaf for trees)
 *   -> lru_lock (leaf) ; zsmalloc's and codec's locks are below all.
 * lru_lock is never held while taking another lock: writeback drops it
 * before it claims the slot or looks at the tree (R2). dead_q.lock (the
 * per-CPU queues of entries awaiting release) is a leaf too: a queue is
 * taken under it and released after it is dropped.
 *
 * Two claims at once: a store over its group's limit writes back some of
 * the group's entries inline (group_full -> zswap_shrink) while it holds
 * its own slot's claim A, so it takes other slots' claims B under A. No
 * deadlock: writeback only tries a claim (the layer above's claim op
 * returns -EEXIST at once when B is held, and writeback skips B), it never
 * waits for one, and the store holds no zswap lock while it shrinks (only
 * a pool reference). A itself cannot be picked: its new entry is not on
 * the LRU yet, and an older entry of A would find A's claim held.
 */
#ifndef USWAP_ZSWAP_INTERNAL_H
#define USWAP_ZSWAP_INTERNAL_H

#include <pthread.h>

#include "base/worker.h"
#include "zswap/zswap.h"

#define ZSWAP_MAX_POOLS 8

/*
 * One per stored page. Found through the tree (by the slot's owner, who
 * holds the slot's claim) or through the LRU (by writeback, which may not
 * dereference it until it holds the claim and found the same pointer in
 * the tree: R1, R2). Freed only by the claim holder, or by invalidate when
 * the slot is freed, after it is unlinked from the LRU.
 */
struct zswap_entry {
	swp_entry_t swpentry;         /* constant */
	uint16_t length;              /* constant: bytes in the pool (<= PAGE_SIZE); 0 = same-filled */
	uint16_t born;                /* constant: zswap_now_s() when stored (idle writeback) */
	bool raw;                     /* constant: stored uncompressed */
	bool referenced;              /* lru_lock: second chance */
	bool on_lru;                  /* lru_lock */
	bool shared;                  /* constant: the object is obj's (dedup), not handle */
	struct zswap_pool *pool;      /* constant; the entry holds a reference */
	struct zswap_group *group;    /* constant */
	union {
		unsigned long handle; /* constant: zsmalloc handle (length > 0, !shared) */
		uint64_t value;       /* constant: fill word (length == 0) */
		struct zswap_dedup_obj *obj; /* constant: the shared object (shared); a share held */
	};
	struct zswap_entry *prev, *next; /* lru_lock */
	struct zswap_entry *dead_next;   /* dead_q.lock: out of the tree, awaiting release */
};

/* Entries out of their tree whose memory (LRU link, zsmalloc object, pool
 * reference, slab object) is released later, in batches (zswap.c). */
struct dead_q {
	cache_aligned mutex_t lock;   /* guards head, n */
	struct zswap_entry *head;
	unsigned n;
};

/* A compressor + its zsmalloc pool + per-CPU contexts (zswap_pool.c). */
struct zswap_pool {
	struct codec_pool *codec;     /* constant */
	struct zs_pool *zs;           /* constant */
	_Atomic long ref;             /* atomic: entries + 1 while current */
	size_t huge_size;             /* constant: larger objects take a page */
};

struct zswap_group {
	char name[32];
	_Atomic size_t max_bytes;     /* atomic: 0 = no limit */
	_Atomic bool writeback;       /* atomic */
	_Atomic uint64_t bytes;       /* atomic: pool bytes charged to the group */
};

enum zswap_counter {
	ZC_POOL_LIMIT_HIT, ZC_REJECT_RECLAIM_FAIL, ZC_REJECT_ALLOC_FAIL, ZC_REJECT_KMEMCACHE_FAIL,
	ZC_REJECT_COMPRESS_FAIL, ZC_REJECT_COMPRESS_POOR, ZC_REJECT_GROUP_LIMIT, ZC_DECOMPRESS_FAIL,
	ZC_WRITTEN_BACK, ZC_ZSWPIN, ZC_ZSWPOUT, ZC_ZSWPWB, ZC_REJECT_STREAMING, ZC_WRITTEN_BACK_IDLE,
	ZC_RECOMPRESSED, ZC_RECOMPRESS_SAVED, ZC_DEDUP_HIT, ZC_NR
};

struct zswap {
	struct zswap_config cfg;
	_Atomic bool enabled;
	_Atomic unsigned max_pool_percent, accept_threshold;

	rwlock_t pools_lock;          /* guards pools[], nr_pools, current */
	struct zswap_pool *pools[ZSWAP_MAX_POOLS];
	unsigned nr_pools;
	struct zswap_pool *current;
	struct zswap_pool *recomp;    /* constant: recompress_codec's pool (also in pools[]), or NULL */
	struct zswap_dedup *dedup;    /* constant: the same-page table (dedup=on), or NULL */

	_Atomic(struct rtree *) tree[MAX_SWAPFILES]; /* set by swapon, cleared by swapoff */

	mutex_t lru_lock;             /* guards the LRU list and entries' lru fields */
	struct zswap_entry lru;       /* list head: next = oldest, prev = newest */
	struct zswap_entry recomp_cursor; /* lru_lock: recompression's place in the LRU (a dummy) */
	uint64_t lru_len;

	_Atomic bool pool_full;       /* atomic: over the limit, refusing until under threshold */
	/* Admission near the limit (zswap.c, admit): what emptied the pool in
	 * the last window of ADMIT_WINDOW entries, writeback or loads. */
	_Atomic uint64_t adm_wb, adm_in;  /* atomic: counters at the window's start */
	_Atomic uint64_t adm_start;       /* atomic: the window's start, ns */
	_Atomic bool adm_streaming;       /* atomic: writeback dominated the last window */
	_Atomic uint64_t adm_tick;        /* atomic: stores seen while streaming */
	struct zswap_wb_ops wb;       /* set once before use */
	_Atomic bool have_wb;

	struct zswap_group root;      /* entries with no group */

	/* The shrink worker (zswap_writeback.c). */
	struct worker worker;         /* worker.lock also guards worker_kick */
	bool worker_kick;             /* worker.lock */
	uint64_t t0_ns;               /* constant: zswap_now_s()'s origin */

	struct pcpu_counters *ctr;    /* enum zswap_counter */
	struct slab *entries;         /* struct zswap_entry; own locks */
	unsigned nr_dead;             /* constant */
	struct dead_q *dead;          /* [nr_dead], per CPU */
	_Atomic uint64_t stored_pages, same_filled, incompressible, stored_bytes; /* atomic */
};

/* What a walk of the LRU found (writeback's pick_coldest, recompression's
 * pick_next). */
enum pick { PICKED, PASSED /* looked at (rotated) without taking it */, NONE /* empty, or too young */ };

/* zswap_recompress.c */
int zswap_recompress_init(struct zswap *z, char *err, size_t errlen);
bool zswap_is_cursor(const struct zswap *z, const struct zswap_entry *e);

/* zswap_dedup.c */
int zswap_dedup_create(struct zswap *z);
void zswap_dedup_destroy(struct zswap *z);
int zswap_dedup_find(struct zswap *z, struct zswap_entry *ent, const void *page, uint64_t hash[2]);
void zswap_dedup_insert(struct zswap *z, struct zswap_entry *ent, const uint64_t hash[2]);
void zswap_dedup_release(struct zswap *z, struct zswap_entry *e);
bool zswap_dedup_busy(const struct zswap_entry *e);
void zswap_dedup_stats(struct zswap *z, struct zswap_stats *st);
unsigned long zswap_entry_handle(const struct zswap_entry *e);

/* zswap_pool.c */
int zswap_pool_read(struct zswap_pool *p, unsigned long handle, uint16_t length, bool raw, void *page);
int zswap_pool_create(struct zswap *z, const char *spec, struct zswap_pool **out, char *err, size_t errlen);
struct zswap_pool *zswap_pool_current_get(struct zswap *z);
void zswap_pool_put(struct zswap *z, struct zswap_pool *p);
void zswap_pool_put_many(struct zswap *z, struct zswap_pool *p, unsigned n);
int zswap_pool_decompress(struct zswap_pool *p, const struct zswap_entry *e, void *page);
int zswap_pool_copy_out(struct zswap_pool *p, const struct zswap_entry *e, void *page, void *buf,
			struct zswap_obj *obj);

/* zswap.c */
struct zswap_entry *zswap_entry_alloc(struct zswap *z);
void zswap_entry_release(struct zswap *z, struct zswap_entry *e); /* its slab object only */
void zswap_account(struct zswap *z, struct zswap_entry *e);       /* e joins the statistics */
void zswap_entry_free(struct zswap *z, struct zswap_entry *e);
void zswap_reap(struct zswap *z); /* release every dead entry now */
struct rtree *zswap_tree(struct zswap *z, swp_entry_t e);

void zswap_count(struct zswap *z, enum zswap_counter c);
/* Seconds since the pool was made, modulo 2^16 (entry ages: an entry
 * seems young again after 18 hours, and idle writeback takes it a day
 * later at most). */
static inline uint16_t zswap_now_s(const struct zswap *z)
{
	return (uint16_t)((os_now_coarse_ns() - z->t0_ns) / 1000000000ull);
}

/* zswap_writeback.c */
void zswap_lru_add(struct zswap *z, struct zswap_entry *e);
void zswap_lru_del(struct zswap *z, struct zswap_entry *e);
void zswap_lru_del_list(struct zswap *z, struct zswap_entry *list); /* linked by dead_next */
void zswap_kick_worker(struct zswap *z);

#endif
