/*
 * zswap.c - the compressed cache: entries, per-device trees, store, load,
 * invalidate, limits and statistics (design-digest 2.2).
 *
 * A page swapped out is stored as an entry in its device's tree, keyed by
 * offset: a fill word for a same-filled page, else the compressed page in
 * the current pool's zsmalloc (or the page itself, uncompressed, when it
 * does not compress and the group cannot write back). Compressed entries
 * join the LRU last, once complete, so writeback never sees a half-built
 * entry.
 *
 * Who may free an entry: only the holder of its slot's claim (the swap
 * cache page lock of the layer above: store, load, writeback hold it), or
 * invalidate when the slot itself is freed, which cannot happen while a
 * claim exists. So a claim holder may use the entry it finds in the tree
 * without a reference (R11). Rules kept here:
 *   - a store that does not succeed erases the slot's older entry, or a
 *     later writeback would put stale data over newer data on disk (R4);
 *   - loads are exclusive, but the entry is freed only when the caller
 *     says the page is installed (zswap_load_commit), never before (R3).
 *
 * Lock order: see zswap_internal.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "zswap/zswap_internal.h"

void zswap_count(struct zswap *z, enum zswap_counter c) { pcpu_counter_add(z->ctr, c, 1); }

struct rtree *zswap_tree(struct zswap *z, swp_entry_t e)
{
	unsigned type = swp_type(e);
	return type < MAX_SWAPFILES ? atomic_load_acq(&z->tree[type]) : NULL;
}

/* ---------------------------------------------------------------- setup */

/*
 * Create a zswap instance. cfg may be NULL (defaults: lz4, 20% of the
 * machine's memory, accept threshold 90%). Returns 0, -EINVAL (bad
 * compressor or percentages, message in err), -ENOMEM.
 */
int zswap_create(const struct zswap_config *cfg, struct zswap **out, char *err, size_t errlen)
{
	struct zswap *z = base_calloc(1, sizeof(*z));
	int ret;

	if (!z)
		return -ENOMEM;
	if (cfg)
		z->cfg = *cfg;
	if (!z->cfg.compressor)
		z->cfg.compressor = ZSWAP_DEFAULT_COMPRESSOR;
	if (!z->cfg.budget)
		z->cfg.budget = (size_t)sysconf(_SC_PHYS_PAGES) * PAGE_SIZE;
	atomic_store_relaxed(&z->max_pool_percent, z->cfg.max_pool_percent ? z->cfg.max_pool_percent
										    : ZSWAP_DEFAULT_MAX_POOL_PERCENT);
	atomic_store_relaxed(&z->accept_threshold, z->cfg.accept_threshold_percent ? z->cfg.accept_threshold_percent
										    : ZSWAP_DEFAULT_ACCEPT_THRESHOLD_PERCENT);
	atomic_store_relaxed(&z->enabled, !z->cfg.disabled);
	if (atomic_load_relaxed(&z->max_pool_percent) > 100 || atomic_load_relaxed(&z->accept_threshold) > 100) {
		snprintf(err, errlen, "zswap: percentages must be 0..100");
		base_free(z);
		return -EINVAL;
	}
	rwlock_init(&z->pools_lock);
	mutex_init(&z->lru_lock);
	worker_init(&z->worker);
	z->t0_ns = os_now_coarse_ns();
	z->cfg.writeback_after = MIN(z->cfg.writeback_after, ZSWAP_MAX_WRITEBACK_AFTER);
	z->lru.next = z->lru.prev = &z->lru;
	snprintf(z->root.name, sizeof(z->root.name), "root");
	atomic_store_relaxed(&z->root.writeback, true);
	z->ctr = pcpu_counters_create(ZC_NR);
	z->entries = slab_create(sizeof(struct zswap_entry));
	z->nr_dead = pcpu_nr_possible();
	z->dead = base_aligned_alloc(CACHE_LINE, z->nr_dead * sizeof(*z->dead));
	for (unsigned i = 0; z->dead && i < z->nr_dead; i++)
		mutex_init(&z->dead[i].lock);
	ret = z->ctr && z->entries && z->dead ? zswap_set_compressor(z, z->cfg.compressor, err, errlen) : -ENOMEM;
	if (!ret && (z->cfg.recompress_after || z->cfg.recompress_codec))
		ret = zswap_recompress_init(z, err, errlen);
	if (!ret && z->cfg.dedup)
		ret = zswap_dedup_create(z);
	if (!ret && !z->cfg.no_shrink_worker)
		ret = zswap_writeback_start(z);
	if (ret) {
		zswap_destroy(z);
		return ret;
	}
	*out = z;
	return 0;
}

/* Destroy z: frees every entry still stored. Nothing else may run on z. */
void zswap_destroy(struct zswap *z)
{
	if (!z)
		return;
	zswap_writeback_stop(z);
	for (unsigned t = 0; t < MAX_SWAPFILES; t++)
		zswap_swapoff(z, t);
	if (z->dead) {
		zswap_reap(z);
		for (unsigned i = 0; i < z->nr_dead; i++)
			mutex_destroy(&z->dead[i].lock);
		base_free(z->dead);
	}
	if (z->current)
		zswap_pool_put(z, z->current); /* the list's reference: last one now */
	if (z->recomp)
		zswap_pool_put(z, z->recomp);
	zswap_dedup_destroy(z);
	pcpu_counters_destroy(z->ctr);
	slab_destroy(z->entries);
	worker_destroy(&z->worker);
	mutex_destroy(&z->lru_lock);
	rwlock_destroy(&z->pools_lock);
	base_free(z);
}

/* Make a tree for device type. 0, -EINVAL (bad type), -EEXIST, -ENOMEM. */
int zswap_swapon(struct zswap *z, unsigned type)
{
	if (type >= MAX_SWAPFILES)
		return -EINVAL;
	struct rtree *t = rtree_create();
	if (!t)
		return -ENOMEM;
	struct rtree *none = NULL;
	if (!atomic_compare_exchange_strong(&z->tree[type], &none, t)) {
		rtree_destroy(t);
		return -EEXIST;
	}
	return 0;
}

/* Free device type's tree and whatever entries it still holds. The layer
 * above has brought its pages back and no path can reach the device. */
void zswap_swapoff(struct zswap *z, unsigned type)
{
	if (type >= MAX_SWAPFILES)
		return;
	struct rtree *t = atomic_xchg_acq_rel(&z->tree[type], NULL);
	if (!t)
		return;
	uint64_t key = 0;
	for (struct zswap_entry *e; (e = rtree_find_next(t, &key)); key++) {
		rtree_erase(t, key);
		zswap_entry_free(z, e);
	}
	rtree_destroy(t);
}

void zswap_set_writeback_ops(struct zswap *z, const struct zswap_wb_ops *ops)
{
	z->wb = *ops;
	atomic_store_rel(&z->have_wb, true);
}

void zswap_set_enabled(struct zswap *z, bool on) { atomic_store_rel(&z->enabled, on); }

int zswap_set_max_pool_percent(struct zswap *z, unsigned pct)
{
	if (pct > 100)
		return -EINVAL;
	atomic_store_relaxed(&z->max_pool_percent, pct);
	return 0;
}

int zswap_set_accept_threshold(struct zswap *z, unsigned pct)
{
	if (pct > 100)
		return -EINVAL;
	atomic_store_relaxed(&z->accept_threshold, pct);
	return 0;
}

/* ---------------------------------------------------------------- groups */

/* A group (the memory.zswap.* analogue): max_bytes of pool (0 = no limit),
 * writeback allowed or not. NULL on allocation failure. */
struct zswap_group *zswap_group_create(struct zswap *z, const char *name, size_t max_bytes, bool writeback)
{
	struct zswap_group *g = base_calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	snprintf(g->name, sizeof(g->name), "%s", name ? name : "group");
	zswap_group_set(g, max_bytes, writeback);
	return g;
}

void zswap_group_set(struct zswap_group *g, size_t max_bytes, bool writeback)
{
	atomic_store_relaxed(&g->max_bytes, max_bytes);
	atomic_store_relaxed(&g->writeback, writeback);
}

/* The group must hold no entries. */
void zswap_group_destroy(struct zswap *z, struct zswap_group *g) { base_free(g); }

uint64_t zswap_group_bytes(struct zswap_group *g) { return atomic_load_relaxed(&g->bytes); }

/* ---------------------------------------------------------------- limits */

uint64_t zswap_max_pool_bytes(struct zswap *z)
{
	return (uint64_t)z->cfg.budget * atomic_load_relaxed(&z->max_pool_percent) / 100;
}

/* Is the pool above threshold_pct percent of its maximum? */
bool zswap_over_limit(struct zswap *z, uint64_t threshold_pct)
{
	return zswap_pool_bytes(z) * 100 > zswap_max_pool_bytes(z) * threshold_pct;
}

/*
 * Admission of a store into a pool that is nearly full (above its accept
 * threshold), where every page stored pushes an older one out through
 * writeback. That trade pays when pages come back from zswap (loads) and
 * is pure cost when they do not: a stream of swap-outs that nothing reads
 * back soon compresses each page, then decompresses and writes it
 * (measured: 56% of pages compressed, 61% of those written back, swap-out
 * at 0.30 of pwrite with a 10% pool). So while writeback, not loads, is
 * what empties the pool (writeback over 4x the loads in the last window:
 * ADMIT_WINDOW entries out, or ADMIT_WINDOW_NS, whichever ends first), new
 * pages go straight to the device, as zswap's refusals do; one in
 * ADMIT_SAMPLE is still stored, so the pool keeps taking fresh pages and
 * sees loads come back. A quiet window (no writeback, no loads) keeps the
 * last verdict: it learned nothing, and admitting every page again for a
 * window refilled the pool with pages that were then written back (a 10%
 * pool's swap-out rose from 0.50-0.53 to 0.54-0.55 of pwrite, writeback
 * from ~7,500 pages to ~2,200). Below the accept threshold every page is
 * admitted.
 */
#define ADMIT_WINDOW    1024
#define ADMIT_WINDOW_NS 50000000ull /* 50 ms */
#define ADMIT_SAMPLE    32

static bool admit(struct zswap *z)
{
	uint64_t wb = (uint64_t)pcpu_counter_read(z->ctr, ZC_WRITTEN_BACK);
	uint64_t in = (uint64_t)pcpu_counter_read(z->ctr, ZC_ZSWPIN);
	uint64_t wb0 = atomic_load_relaxed(&z->adm_wb), in0 = atomic_load_relaxed(&z->adm_in), now = os_now_ns();

	if ((wb - wb0) + (in - in0) >= ADMIT_WINDOW || now - atomic_load_relaxed(&z->adm_start) >= ADMIT_WINDOW_NS) {
		/* a window ends (two threads may both end it: harmless); one
		 * with neither writeback nor loads says nothing new */
		if (wb != wb0 || in != in0)
			atomic_store_relaxed(&z->adm_streaming, wb - wb0 > 4 * (in - in0));
		atomic_store_relaxed(&z->adm_wb, wb);
		atomic_store_relaxed(&z->adm_in, in);
		atomic_store_relaxed(&z->adm_start, now);
	}
	if (!atomic_load_relaxed(&z->adm_streaming))
		return true;
	return atomic_add_relaxed(&z->adm_tick, 1) % ADMIT_SAMPLE == 0;
}

/* The kernel's hysteresis: full at the limit, and refusing until the pool
 * is back under accept_threshold percent of it. Empty zspages that
 * zsmalloc queued for freeing (it frees them in batches, off the free
 * path) still count in the pool's pages: before refusing a store for a
 * full pool, free them and look again, or a pool that writeback or loads
 * already emptied would refuse stores until the next maintenance tick.
 * *near: the pool is above the accept threshold (admit decides). */
static bool pool_full(struct zswap *z, bool *near)
{
	uint64_t max = zswap_max_pool_bytes(z), total = zswap_pool_bytes(z);
	bool refusing = total >= max || (atomic_load_relaxed(&z->pool_full) &&
					 total * 100 > max * atomic_load_relaxed(&z->accept_threshold));

	if (refusing && zswap_flush(z))
		total = zswap_pool_bytes(z);
	if (total >= max)
		atomic_store_relaxed(&z->pool_full, true);
	else if (atomic_load_relaxed(&z->pool_full) &&
		 total * 100 <= max * atomic_load_relaxed(&z->accept_threshold))
		atomic_store_relaxed(&z->pool_full, false);
	*near = total * 100 > max * atomic_load_relaxed(&z->accept_threshold);
	return atomic_load_relaxed(&z->pool_full);
}

static bool can_writeback(struct zswap *z, struct zswap_group *g)
{
	return atomic_load_acq(&z->have_wb) && atomic_load_relaxed(&g->writeback);
}

/* Over its group limit? Try writing back some of the group's entries
 * first, inline, under the caller's claim of its own slot (two claims at
 * once: why that cannot deadlock is at zswap_internal.h's lock order). */
static bool group_full(struct zswap *z, struct zswap_group *g)
{
	size_t max = atomic_load_relaxed(&g->max_bytes);

	if (!max || atomic_load_relaxed(&g->bytes) < max)
		return false;
	if (can_writeback(z, g))
		zswap_shrink(z, 16, g);
	return atomic_load_relaxed(&g->bytes) >= max;
}

/* ---------------------------------------------------------------- entries */

/* Entries come from the zswap's slab (base/slab.c): a swap-out and a
 * load+commit allocate and free one per page, and glibc's malloc and free
 * (with its consolidation) cost more than the rest of the bookkeeping. */
struct zswap_entry *zswap_entry_alloc(struct zswap *z)
{
	struct zswap_entry *e = slab_alloc(z->entries);

	if (e)
		memset(e, 0, sizeof(*e));
	return e;
}

void zswap_entry_release(struct zswap *z, struct zswap_entry *e) { slab_free(z->entries, e); }

/* e leaves the statistics and its group's charge (at once: limits and
 * stored_pages see it go when it leaves its tree). */
static void entry_uncount(struct zswap *z, struct zswap_entry *e)
{
	if (e->length) {
		atomic_sub_relaxed(&e->group->bytes, e->length);
		atomic_sub_relaxed(&z->stored_bytes, e->length);
		if (e->raw)
			atomic_sub_relaxed(&z->incompressible, 1);
	} else {
		atomic_sub_relaxed(&z->same_filled, 1);
	}
	atomic_sub_relaxed(&z->stored_pages, 1);
}

/* e's memory: its zsmalloc object, pool reference and slab object. Off
 * the LRU already. */
static void entry_release_memory(struct zswap *z, struct zswap_entry *e)
{
	if (e->shared)
		zswap_dedup_release(z, e);
	else if (e->length)
		zs_free(e->pool->zs, e->handle);
	zswap_pool_put(z, e->pool);
	zswap_entry_release(z, e);
}

/* Free an entry that is in no tree any more. Caller holds the slot's claim
 * or is freeing the slot. */
void zswap_entry_free(struct zswap *z, struct zswap_entry *e)
{
	zswap_lru_del(z, e);
	entry_uncount(z, e);
	entry_release_memory(z, e);
}

/*
 * Release later. A load's commit, a free of the slot and a failed store
 * take the entry out of its tree (and its charge) at once, but its memory
 * goes in batches: per CPU, whoever queues the DEAD_BATCH-th entry
 * releases the queue, taking the LRU lock once for all of them. (Handing
 * the batches to the shrink worker on the other CPU measured slower:
 * load+commit 0.76-0.79 of raw decompress against 0.81-0.83 inline, the
 * wake-ups and the cache lines the two threads then share cost more than
 * the release.) Meanwhile the entry is still on the LRU:
 * writeback may pick it, but it is in no tree, so writeback finds another
 * entry or none under the slot's claim and skips it (R1, R2), and its
 * memory stays valid until the batch is released. zswap_flush and pool_full
 * release every queue, so the pool's size is current when it matters.
 */
#define DEAD_BATCH ZS_FREE_BATCH

/* Release a list (at most DEAD_BATCH): off the LRU in one lock hold, the
 * objects of each run of entries of one pool in one zs_free_batch. */
static void release_list(struct zswap *z, struct zswap_entry *list)
{
	unsigned long h[ZS_FREE_BATCH];

	zswap_lru_del_list(z, list);
	while (list) {
		struct zswap_pool *p = list->pool;
		unsigned n = 0;
		while (list && list->pool == p && n < ZS_FREE_BATCH) {
			struct zswap_entry *next = list->dead_next;
			if (list->shared)
				zswap_dedup_release(z, list); /* the last share frees the object */
			h[n++] = list->length && !list->shared ? list->handle : 0;
			zswap_entry_release(z, list);
			list = next;
		}
		zs_free_batch(p->zs, h, n);
		zswap_pool_put_many(z, p, n);
	}
}

static struct zswap_entry *dead_take_locked(struct dead_q *q)
{
	struct zswap_entry *list = q->head;
	q->head = NULL;
	q->n = 0;
	return list;
}

static void entry_free_later(struct zswap *z, struct zswap_entry *e)
{
	struct dead_q *q = &z->dead[pcpu_current() % z->nr_dead];
	struct zswap_entry *mine = NULL;

	entry_uncount(z, e);
	mutex_lock(&q->lock);
	e->dead_next = q->head;
	q->head = e;
	if (++q->n >= DEAD_BATCH)
		mine = dead_take_locked(q);
	mutex_unlock(&q->lock);
	if (mine)
		release_list(z, mine);
}

void zswap_reap(struct zswap *z)
{
	for (unsigned i = 0; i < z->nr_dead; i++) {
		struct dead_q *q = &z->dead[i];
		mutex_lock(&q->lock);
		struct zswap_entry *list = dead_take_locked(q);
		mutex_unlock(&q->lock);
		if (list)
			release_list(z, list);
	}
}

/* Erase and free whatever entry the slot has (R4: a failed store must not
 * leave an older copy for writeback to find). */
static void erase_old(struct zswap *z, struct rtree *t, swp_entry_t e)
{
	struct zswap_entry *old = rtree_erase(t, swp_offset(e));

	if (old)
		entry_free_later(z, old);
}

/* Compress page into pool p: fills entry length/handle/raw. 0 or -errno
 * with the reject counted. The compressor gets room for its worst case
 * and the huge-class limit is checked after: LZ4 given less room than its
 * bound takes its bounds-checking loop, and stores ran at 0.885-0.898 of
 * raw LZ4 that way against 0.916-0.921 so (incompressible pages, which
 * the small room stopped early, included; zstd the same either way). */
static int compress_into(struct zswap *z, struct zswap_pool *p, const void *page, struct zswap_entry *ent)
{
	_Static_assert(CODEC_MAX_OUT <= SCRATCH_SLOT, "a compressor's worst case fits a scratch slot");
	unsigned char *buf = scratch_get(SCRATCH_COMPRESS);
	if (unlikely(!buf)) {
		zswap_count(z, ZC_REJECT_ALLOC_FAIL);
		return -ENOMEM;
	}
	int len = codec_compress(p->codec, page, buf, CODEC_MAX_OUT);
	const void *src = buf;

	if (len > (int)p->huge_size)
		len = -E2BIG;

	if (len == -E2BIG && (z->cfg.keep_incompressible || !can_writeback(z, ent->group))) {
		len = PAGE_SIZE; /* keep it raw: told to, or nowhere else to put it */
		src = page;
		ent->raw = true;
	} else if (len < 0) {
		zswap_count(z, len == -E2BIG ? ZC_REJECT_COMPRESS_POOR : ZC_REJECT_COMPRESS_FAIL);
		return len;
	}
	ent->handle = zs_malloc(p->zs, (size_t)len);
	if (!ent->handle) {
		zswap_count(z, ZC_REJECT_ALLOC_FAIL);
		zswap_kick_worker(z);
		return -ENOMEM;
	}
	zs_write(p->zs, ent->handle, src, (size_t)len);
	ent->length = (uint16_t)len;
	return 0;
}

/* Account a stored entry. */
void zswap_account(struct zswap *z, struct zswap_entry *ent)
{
	atomic_add_relaxed(&z->stored_pages, 1);
	if (!ent->length) {
		atomic_add_relaxed(&z->same_filled, 1);
	} else {
		atomic_add_relaxed(&ent->group->bytes, ent->length);
		atomic_add_relaxed(&z->stored_bytes, ent->length);
		if (ent->raw)
			atomic_add_relaxed(&z->incompressible, 1);
	}
}

/* Fill ent from page; 0 or -errno (counted). */
static int entry_fill(struct zswap *z, struct zswap_entry *ent, const void *page)
{
	uint64_t hash[2];
	int found = -EEXIST, ret;

	if (codec_same_filled(page, &ent->value))
		return 0;
	/* a page the pool holds already takes no memory: before the limits */
	if (z->dedup && !(found = zswap_dedup_find(z, ent, page, hash))) {
		zswap_count(z, ZC_DEDUP_HIT);
		return 0;
	}
	if (group_full(z, ent->group)) {
		zswap_count(z, ZC_REJECT_GROUP_LIMIT);
		return -ENOSPC;
	}
	bool near;
	if (pool_full(z, &near)) {
		zswap_count(z, ZC_POOL_LIMIT_HIT);
		zswap_kick_worker(z);
		return -ENOSPC;
	}
	if (near && !admit(z)) {
		zswap_count(z, ZC_REJECT_STREAMING);
		return -ENOSPC;
	}
	if (!(ret = compress_into(z, ent->pool, page, ent)) && found == -ENOENT)
		zswap_dedup_insert(z, ent, hash);
	return ret;
}

/*
 * Store page as the content of slot e, charged to group g (NULL: root).
 * The caller holds the slot's claim. On success the slot's older entry, if
 * any, is replaced. On failure the older entry is erased too (R4) and the
 * page must go to the backing store (or stay resident). Returns 0;
 * -ENODEV (zswap disabled or no tree for the device); -ENOSPC (pool or
 * group limit); -E2BIG (does not compress and the group can write back);
 * -EIO (compressor failed); -ENOMEM.
 */
int zswap_store(struct zswap *z, swp_entry_t e, const void *page, struct zswap_group *g)
{
	struct rtree *t = zswap_tree(z, e);
	struct zswap_entry *ent = NULL, *old = NULL;
	int ret = -ENODEV;

	if (!t)
		return -ENODEV;
	if (!atomic_load_relaxed(&z->enabled))
		goto reject;
	ent = zswap_entry_alloc(z);
	if (!ent) {
		zswap_count(z, ZC_REJECT_KMEMCACHE_FAIL);
		ret = -ENOMEM;
		goto reject;
	}
	ent->swpentry = e;
	ent->born = zswap_now_s(z);
	ent->group = g ? g : &z->root;
	ent->pool = zswap_pool_current_get(z);
	if ((ret = entry_fill(z, ent, page)))
		goto reject;
	if ((ret = rtree_store(t, swp_offset(e), ent, (void **)&old))) {
		zswap_count(z, ZC_REJECT_KMEMCACHE_FAIL);
		goto reject;
	}
	zswap_account(z, ent);
	zswap_count(z, ZC_ZSWPOUT);
	if (old)
		zswap_entry_free(z, old);
	if (ent->length)
		zswap_lru_add(z, ent); /* last: writeback sees only complete entries */
	return 0;
reject:
	if (ent)
		entry_release_memory(z, ent); /* never counted, never on the LRU */
	erase_old(z, t, e);
	return ret;
}

/*
 * Decompress slot e's page into page. The caller holds the slot's claim.
 * The entry stays until zswap_load_commit (the caller installed the page)
 * or is kept if the install fails (R3). Returns 0; -ENOENT (not in zswap);
 * -EIO (corrupt: the page must be poisoned, never used).
 */
int zswap_load(struct zswap *z, swp_entry_t e, void *page)
{
	struct rtree *t = zswap_tree(z, e);
	struct zswap_entry *ent = t ? rtree_lookup(t, swp_offset(e)) : NULL;

	if (!ent)
		return -ENOENT;
	if (zswap_pool_decompress(ent->pool, ent, page)) {
		zswap_count(z, ZC_DECOMPRESS_FAIL);
		return -EIO;
	}
	zswap_count(z, ZC_ZSWPIN);
	return 0;
}

/* The page loaded from e is now authoritative (installed or cached): drop
 * the compressed copy (exclusive load). Caller holds the slot's claim. */
void zswap_load_commit(struct zswap *z, swp_entry_t e)
{
	struct rtree *t = zswap_tree(z, e);

	if (t)
		erase_old(z, t, e);
}

/* The slot e is being freed: drop its entry, if any. */
void zswap_invalidate(struct zswap *z, swp_entry_t e)
{
	struct rtree *t = zswap_tree(z, e);

	if (t)
		erase_old(z, t, e);
}

/* Is there an entry for e? A hint unless the caller holds the claim. */
bool zswap_contains(struct zswap *z, swp_entry_t e)
{
	struct rtree *t = zswap_tree(z, e);
	return t && rtree_lookup(t, swp_offset(e)) != NULL;
}

void zswap_stats(struct zswap *z, struct zswap_stats *st)
{
	if (z->dedup)
		zswap_reap(z); /* freed entries drop their shares in batches: drop them now */
	memset(st, 0, sizeof(*st));
	st->pool_limit_hit = (uint64_t)pcpu_counter_read(z->ctr, ZC_POOL_LIMIT_HIT);
	st->reject_reclaim_fail = (uint64_t)pcpu_counter_read(z->ctr, ZC_REJECT_RECLAIM_FAIL);
	st->reject_alloc_fail = (uint64_t)pcpu_counter_read(z->ctr, ZC_REJECT_ALLOC_FAIL);
	st->reject_kmemcache_fail = (uint64_t)pcpu_counter_read(z->ctr, ZC_REJECT_KMEMCACHE_FAIL);
	st->reject_compress_fail = (uint64_t)pcpu_counter_read(z->ctr, ZC_REJECT_COMPRESS_FAIL);
	st->reject_compress_poor = (uint64_t)pcpu_counter_read(z->ctr, ZC_REJECT_COMPRESS_POOR);
	st->reject_group_limit = (uint64_t)pcpu_counter_read(z->ctr, ZC_REJECT_GROUP_LIMIT);
	st->decompress_fail = (uint64_t)pcpu_counter_read(z->ctr, ZC_DECOMPRESS_FAIL);
	st->written_back_pages = (uint64_t)pcpu_counter_read(z->ctr, ZC_WRITTEN_BACK);
	st->written_back_idle = (uint64_t)pcpu_counter_read(z->ctr, ZC_WRITTEN_BACK_IDLE);
	st->recompressed_pages = (uint64_t)pcpu_counter_read(z->ctr, ZC_RECOMPRESSED);
	st->recompress_saved_bytes = (uint64_t)pcpu_counter_read(z->ctr, ZC_RECOMPRESS_SAVED);
	st->dedup_hits = (uint64_t)pcpu_counter_read(z->ctr, ZC_DEDUP_HIT);
	zswap_dedup_stats(z, st);
	st->zswpin = (uint64_t)pcpu_counter_read(z->ctr, ZC_ZSWPIN);
	st->zswpout = (uint64_t)pcpu_counter_read(z->ctr, ZC_ZSWPOUT);
	st->zswpwb = (uint64_t)pcpu_counter_read(z->ctr, ZC_ZSWPWB);
	st->reject_streaming = (uint64_t)pcpu_counter_read(z->ctr, ZC_REJECT_STREAMING);
	st->pool_total_size = zswap_pool_bytes(z);
	st->stored_pages = atomic_load_relaxed(&z->stored_pages);
	st->stored_incompressible_pages = atomic_load_relaxed(&z->incompressible);
	st->same_filled_pages = atomic_load_relaxed(&z->same_filled);
	st->stored_bytes = atomic_load_relaxed(&z->stored_bytes);
	read_lock(&z->pools_lock);
	st->nr_pools = z->nr_pools;
	read_unlock(&z->pools_lock);
}
