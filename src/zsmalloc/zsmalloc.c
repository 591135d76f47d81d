/*
 * zsmalloc.c - the compressed object allocator (design-digest 2.1).
 *
 * Objects are grouped into size classes 16 bytes apart, 32..4096 bytes.
 * A class stores its objects in zspages: chains of 1..16 pages from page/
 * treated as one span, so an object may straddle two pages. Each class
 * picks the chain length that wastes the least of the span; classes that
 * end up with the same (pages, objects) per zspage share one class. An
 * object too big to share a zspage goes to the huge class: a page each.
 *
 * Handles: zs_malloc returns an index into the pool's handle table; the
 * slot holds the object's encoded location (zspage, index), and a
 * non-huge object starts with a header holding its handle, so compaction
 * and migration can find and rewrite the slot when they move an object
 * (a 4-byte header: a handle is an index, not a pointer).
 * A huge zspage keeps its one handle in the zspage. Free objects form a
 * list through their headers.
 *
 * Fullness: a zspage is in one of 12 groups of its class by the share of
 * its objects in use (0, <10%, ... , <90%, <99%-ish, 100%, as the kernel
 * groups them). Allocation takes the fullest non-full zspage; compaction
 * moves objects from the emptiest into the fullest and frees emptied ones.
 * An empty zspage is not freed at once: it is flagged and queued, and the
 * queue is freed by the pool's maintenance tick (page/'s background
 * thread), which also runs the automatic compaction that frees ask for:
 * neither belongs on a swap-in path.
 *
 * Empty zspages are kept for reuse, whole (pages, chain, registration),
 * as page/ keeps free pages: a pool that drains and fills again (every
 * page loaded, then as many stored) would otherwise tear down and rebuild
 * every zspage, which cost 7% of a load+commit and 1-2% of a store. The
 * tick frees those that stayed empty for a whole interval, beyond as many
 * as the class took in it (one per class stays, 32 in the huge class);
 * zs_compact frees them all (the automatic compaction does not), and so
 * does an allocation that page/ refuses. They are not pool memory in
 * zs_get_total_pages (limits and statistics see the objects' zspages, as
 * in the kernel, which frees them at once): like page/'s free pages they
 * are resident memory, held until a tick finds them unused for a whole
 * interval (empty_pages).
 *
 * Two CPUs: every CPU allocates from its own shard, a full set of classes,
 * so two threads never fill the same zspage or share a class lock; the
 * pool lock is a per-CPU reader-writer lock (base/prwlock.c) whose
 * readers write only their own CPU's line; live objects are counted per
 * CPU.
 *
 * Lock order (outermost first):
 *   pool.lock (prwlock)     read: decode a handle and pin its zspage, zs_free,
 *                           deferred free; write: compaction, page migration
 *   class.lock (mutex)      fullness lists, zspage inuse/freeobj/flags, headers,
 *                           class statistics, handle slots of the class's objects
 *   zspage.lock (zs_lock)   readers (zs_read, zs_write) hold it across their copy
 *                           and may sleep; compaction and migration only try-lock
 *                           it for write and skip a busy zspage (race R8)
 *   zspage.migrate_lock     the page chain: read to walk or free pages[], write
 *                           to replace one (migration) (race R8)
 *   handle_cache.lock -> handle_lock; free_lock: leaves; page/ and rtree
 *                           locks below everything.
 * A reader holds pool.lock only while decoding the handle and taking the
 * zspage lock; since writers of zspage.lock also hold pool.lock for write,
 * a reader never waits on zspage.lock while holding pool.lock. A free
 * holds it (read) across the class locks of its batch, in the order above;
 * zs_malloc never takes it while holding a class lock.
 */
#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "page/page.h"
#include "zsmalloc/zsmalloc.h"

/* Handle header of a non-huge object. Handles are table indices below
 * 2^26, not pointers, so 4 bytes hold one with its tag bit; the kernel's
 * pointer-sized header costs 8. 4 bytes less per object is what lifts
 * density above the kernel's on the same pages (bench zsmalloc). */
#define HDR_SIZE       4
#define OBJ_ALLOCATED  1u           /* header tag bit */
#define OBJ_NONE       0xffffu      /* end of a zspage's free list */
#define OBJ_IDX_BITS   12           /* up to 2048 objects per zspage */
#define HCHUNK_SHIFT   12           /* handle slots per table chunk: 4096 */
#define HCHUNK_SLOTS   (1u << HCHUNK_SHIFT)
#define HCHUNKS_MAX    16384        /* 64M handles: fits the 31 bits of a header */
#define HANDLE_FREE    (1ull << 63) /* tag of a free handle slot */
#define DEFER_MAX      64           /* empty zspages queued before a free path frees them itself */
#define ZSP_FREEING    1            /* zspage.flags: empty, queued for free */
#define HUGE_KEEP      32           /* empty huge zspages kept for reuse (128 KiB) */
#define ZS_MAX_SHARDS  8            /* class sets: allocation on CPU k uses set k % nr_shards */

_Static_assert((uint64_t)HCHUNKS_MAX * HCHUNK_SLOTS <= (1ull << 31), "a handle must fit a header with its tag");
_Static_assert(ZS_MAX_CHAIN * 4096 / ZS_MIN_ALLOC_SIZE < OBJ_NONE, "object indices must fit the free list");

/* ---------------------------------------------------------------- types */

/* Reader/writer lock: readers may hold it across a copy (and sleep);
 * writers only try-lock. v > 0: that many readers; -1: a writer. */
struct zs_lock {
	_Atomic int v;
};

struct size_class;

struct zspage {
	struct zspage *prev, *next;  /* class.lock: fullness group list */
	struct size_class *class;    /* constant */
	uint16_t inuse;              /* class.lock */
	uint16_t freeobj;            /* class.lock: first free object, OBJ_NONE if full */
	uint8_t group;               /* class.lock */
	uint8_t flags;               /* class.lock */
	uint8_t nr_pages;            /* constant */
	struct zs_lock lock;         /* see the lock order */
	rwlock_t migrate_lock;       /* guards pages[] as a chain */
	unsigned long huge_handle;   /* class.lock: huge class only */
	void *pages[];               /* migrate_lock; read also under zspage.lock or class.lock */
};

struct size_class {
	mutex_t lock;
	struct zs_pool *pool;        /* constant */
	unsigned id;                 /* constant: rank among the shard's distinct classes */
	unsigned size;               /* constant: bytes per object slot */
	unsigned pages_per_zspage;   /* constant */
	unsigned objs_per_zspage;    /* constant */
	bool huge;                   /* constant */
	struct zspage *group[ZS_NR_GROUPS]; /* lock: list heads */
	_Atomic bool compact_wanted;         /* atomic: fragmentation crossed the threshold */
	uint64_t nr_in_group[ZS_NR_GROUPS]; /* lock */
	uint64_t min_empty;                  /* lock: fewest empty zspages since the last tick */
	uint64_t demand;                     /* lock: empty or new zspages taken since the last tick */
	uint64_t nr_zspages, obj_used;       /* lock */
};

#define HCACHE_MAX   64 /* free handles per CPU */
#define HCACHE_BATCH 32 /* moved to or from the table at once */

struct handle_cache {
	cache_aligned mutex_t lock; /* guards nr, h */
	unsigned nr;
	unsigned long h[HCACHE_MAX];
};

struct zs_pool {
	char name[32];
	struct zs_config cfg;
	struct prwlock lock;         /* see the lock order */
	unsigned nr_shards;          /* constant: class sets, one per CPU up to ZS_MAX_SHARDS */
	struct zs_shard {
		struct size_class *class_of[ZS_NR_CLASSES]; /* by size index; merged classes share */
		struct size_class *huge;
	} shard[ZS_MAX_SHARDS];      /* constant once built */
	unsigned max_slot;           /* largest slot of a non-huge class */
	struct pg_pool *pages;
	struct rtree *page_owner;    /* page number -> zspage (migration); own lock */

	unsigned nr_hcache;
	struct handle_cache *hcache; /* [nr_hcache]: per-CPU stacks of free handles */
	mutex_t handle_lock;         /* guards handle_next, handle_free */
	_Atomic(_Atomic uint64_t *) *hchunk; /* [HCHUNKS_MAX]; chunk published with release */
	uint64_t handle_next, handle_free;
	_Atomic size_t hchunk_bytes;

	mutex_t free_lock;           /* guards deferred, nr_deferred */
	struct zspage *deferred;
	unsigned nr_deferred;

	_Atomic bool compact_wanted; /* atomic: some class asked for compaction */
	bool inline_maint;           /* constant: no background thread (trim_interval_ms < 0) */
	struct pcpu_counters *objs;  /* live objects: per CPU, summed on read (a shared
					counter bounced between CPUs on every malloc and free) */
	_Atomic uint64_t pages_compacted, compactions, pages_migrated, alloc_fail;
	_Atomic size_t zspage_bytes;
	_Atomic uint64_t empty_pages; /* pages of empty zspages kept for reuse (class locks) */
};

static void zs_tick(void *arg);

/* ------------------------------------------------------- zspage lock */

static void zsl_read_lock(struct zs_lock *l)
{
	for (;;) {
		int v = atomic_load_relaxed(&l->v);
		if (v >= 0 && atomic_compare_exchange_weak_explicit(&l->v, &v, v + 1, memory_order_acquire,
								     memory_order_relaxed))
			return;
		sched_yield(); /* a compactor holds it; it never waits on us */
	}
}

static void zsl_read_unlock(struct zs_lock *l) { atomic_fetch_sub_explicit(&l->v, 1, memory_order_release); }

static bool zsl_write_trylock(struct zs_lock *l)
{
	int zero = 0;
	return atomic_compare_exchange_strong_explicit(&l->v, &zero, -1, memory_order_acquire, memory_order_relaxed);
}

static void zsl_write_unlock(struct zs_lock *l) { atomic_store_rel(&l->v, 0); }

/* ------------------------------------------------------- locations */

static uint64_t loc_make(struct zspage *z, unsigned idx)
{
	return (((uint64_t)(uintptr_t)z >> 6) << OBJ_IDX_BITS) | idx;
}

static struct zspage *loc_zspage(uint64_t loc) { return (struct zspage *)(uintptr_t)((loc >> OBJ_IDX_BITS) << 6); }
static unsigned loc_idx(uint64_t loc) { return (unsigned)(loc & ((1u << OBJ_IDX_BITS) - 1)); }

/* The slot of a handle. The chunk exists: the handle was handed out. */
static _Atomic uint64_t *handle_slot(struct zs_pool *pool, unsigned long h)
{
	_Atomic uint64_t *chunk = atomic_load_acq(&pool->hchunk[h >> HCHUNK_SHIFT]);
	return &chunk[h & (HCHUNK_SLOTS - 1)];
}

/* ------------------------------------------------------- handles */

/* A handle from the table: the free list first, then a never-used one
 * (adding a table chunk when needed). 0 when the table is full or a chunk
 * cannot be allocated. handle_lock held. */
static unsigned long handle_take_locked(struct zs_pool *pool)
{
	if (pool->handle_free) {
		unsigned long h = pool->handle_free;
		pool->handle_free = atomic_load_relaxed(handle_slot(pool, h)) & ~HANDLE_FREE;
		return h;
	}
	if (pool->handle_next >= (uint64_t)HCHUNKS_MAX * HCHUNK_SLOTS)
		return 0;
	uint64_t c = pool->handle_next >> HCHUNK_SHIFT;
	if (!atomic_load_relaxed(&pool->hchunk[c])) {
		_Atomic uint64_t *chunk = base_aligned_alloc(CACHE_LINE, HCHUNK_SLOTS * sizeof(uint64_t));
		if (!chunk)
			return 0;
		atomic_store_rel(&pool->hchunk[c], chunk);
		atomic_add_relaxed(&pool->hchunk_bytes, HCHUNK_SLOTS * sizeof(uint64_t));
	}
	return pool->handle_next++;
}

static void handle_put_locked(struct zs_pool *pool, unsigned long h)
{
	atomic_store_relaxed(handle_slot(pool, h), HANDLE_FREE | pool->handle_free);
	pool->handle_free = h;
}

/* A free handle, from this CPU's cache (refilled in a batch), or 0. */
static unsigned long handle_alloc(struct zs_pool *pool)
{
	struct handle_cache *hc = &pool->hcache[pcpu_current() % pool->nr_hcache];
	unsigned long h = 0;

	mutex_lock(&hc->lock);
	if (!hc->nr) {
		mutex_lock(&pool->handle_lock);
		while (hc->nr < HCACHE_BATCH && (h = handle_take_locked(pool)))
			hc->h[hc->nr++] = h;
		mutex_unlock(&pool->handle_lock);
	}
	h = hc->nr ? hc->h[--hc->nr] : 0;
	mutex_unlock(&hc->lock);
	return h;
}

/* Give n handles back (0s skipped) to this CPU's cache, spilling half of
 * it to the table whenever it is full. */
static void handle_release_many(struct zs_pool *pool, const unsigned long *h, unsigned n)
{
	struct handle_cache *hc = &pool->hcache[pcpu_current() % pool->nr_hcache];

	mutex_lock(&hc->lock);
	for (unsigned k = 0; k < n; k++) {
		if (!h[k])
			continue;
		if (hc->nr == HCACHE_MAX) {
			mutex_lock(&pool->handle_lock);
			for (unsigned i = 0; i < HCACHE_BATCH; i++)
				handle_put_locked(pool, hc->h[--hc->nr]);
			mutex_unlock(&pool->handle_lock);
		}
		hc->h[hc->nr++] = h[k];
	}
	mutex_unlock(&hc->lock);
}

static void handle_release(struct zs_pool *pool, unsigned long h) { handle_release_many(pool, &h, 1); }

/* ------------------------------------------------------- object bytes */

/* Copy len bytes at byte offset off of the zspage span out to buf or in
 * from buf, across a page boundary if need be. Caller pins the chain
 * (zspage.lock, class.lock or migrate_lock). */
static void span_copy(struct zspage *z, size_t off, void *buf, size_t len, bool in)
{
	char *b = buf;

	while (len) {
		char *page = z->pages[off >> PAGE_SHIFT];
		size_t poff = off & (PAGE_SIZE - 1), n = MIN(len, PAGE_SIZE - poff);
		if (in)
			os_memcpy(page + poff, b, n);
		else
			os_memcpy(b, page + poff, n);
		off += n;
		b += n;
		len -= n;
	}
}

/* The header word of object idx (16-byte aligned: never straddles). */
static uint32_t *obj_header(struct zspage *z, unsigned idx)
{
	size_t off = (size_t)idx * z->class->size;
	return (uint32_t *)((char *)z->pages[off >> PAGE_SHIFT] + (off & (PAGE_SIZE - 1)));
}

static size_t obj_payload(struct zspage *z, unsigned idx)
{
	return (size_t)idx * z->class->size + (z->class->huge ? 0 : HDR_SIZE);
}

/* Ask for the object's cache lines for writing now: the caller writes it
 * next (zs_write), and a pool is mostly memory no cache holds. Without
 * this, the first locked instruction after the copy waits for the copy's
 * stores to reach those lines. */
static void prefetch_object(struct zspage *z, unsigned idx, size_t len)
{
	size_t off = obj_payload(z, idx), end = off + len;

	for (off &= ~(size_t)63; off < end; off += 64)
		__builtin_prefetch((char *)z->pages[off >> PAGE_SHIFT] + (off & (PAGE_SIZE - 1)), 1, 3);
}

/* ------------------------------------------------------- fullness */

static unsigned group_of(const struct size_class *c, unsigned inuse)
{
	if (inuse == 0)
		return 0;
	if (inuse == c->objs_per_zspage)
		return ZS_NR_GROUPS - 1;
	unsigned ratio = 100 * inuse / c->objs_per_zspage;
	return MIN(ratio / 10 + 1, ZS_NR_GROUPS - 2);
}

static void list_insert(struct size_class *c, struct zspage *z, unsigned g)
{
	if (g == 0)
		atomic_add_relaxed(&c->pool->empty_pages, c->pages_per_zspage);
	z->group = (uint8_t)g;
	z->prev = NULL;
	z->next = c->group[g];
	if (z->next)
		z->next->prev = z;
	c->group[g] = z;
	c->nr_in_group[g]++;
}

static void list_remove(struct size_class *c, struct zspage *z)
{
	if (z->prev)
		z->prev->next = z->next;
	else
		c->group[z->group] = z->next;
	if (z->next)
		z->next->prev = z->prev;
	z->prev = z->next = NULL;
	c->nr_in_group[z->group]--;
	if (z->group == 0) {
		atomic_sub_relaxed(&c->pool->empty_pages, c->pages_per_zspage);
		c->min_empty = MIN(c->min_empty, c->nr_in_group[0]);
	}
}

/* Move z to the group its inuse says. class.lock held. */
static void fix_fullness(struct size_class *c, struct zspage *z)
{
	unsigned g = group_of(c, z->inuse);

	if (g != z->group) {
		list_remove(c, z);
		list_insert(c, z, g);
	}
}

/* ------------------------------------------------------- zspages */

static size_t zspage_struct_size(unsigned nr_pages)
{
	return sizeof(struct zspage) + nr_pages * sizeof(void *);
}

static void zspage_free_pages(struct zs_pool *pool, struct zspage *z, bool registered)
{
	for (unsigned i = 0; i < z->nr_pages; i++)
		if (z->pages[i]) {
			if (registered)
				rtree_erase(pool->page_owner, (uintptr_t)z->pages[i] >> PAGE_SHIFT);
			pg_free(pool->pages, z->pages[i]);
		}
}

/* Free z and its pages; registered: its pages are in page_owner. */
static void zspage_destroy(struct zs_pool *pool, struct zspage *z, bool registered)
{
	read_lock(&z->migrate_lock); /* walk the chain only under it (R8) */
	zspage_free_pages(pool, z, registered);
	read_unlock(&z->migrate_lock);
	rwlock_destroy(&z->migrate_lock);
	atomic_sub_relaxed(&pool->zspage_bytes, zspage_struct_size(z->nr_pages));
	base_free(z);
}

/* Link a new zspage's free objects through their headers. */
static void zspage_init_freelist(struct zspage *z)
{
	struct size_class *c = z->class;

	z->freeobj = 0;
	if (c->huge)
		return;
	for (unsigned i = 0; i < c->objs_per_zspage; i++)
		*obj_header(z, i) = (uint32_t)(i + 1 < c->objs_per_zspage ? i + 1 : OBJ_NONE) << 1;
}

/* Make z's pages findable by migration, all or none. Only once z is fully
 * built: migration may move a page the moment it can find it. pool.lock
 * (read) keeps migration (write) out while we register or unwind. */
static int zspage_register(struct zs_pool *pool, struct zspage *z)
{
	int err = 0;
	unsigned i;

	unsigned rs = prw_read_lock(&pool->lock);
	for (i = 0; i < z->nr_pages && !err; i++)
		err = rtree_store(pool->page_owner, (uintptr_t)z->pages[i] >> PAGE_SHIFT, z, NULL);
	if (err)
		while (i-- > 0)
			rtree_erase(pool->page_owner, (uintptr_t)z->pages[i] >> PAGE_SHIFT);
	prw_read_unlock(&pool->lock, rs);
	return err;
}

/* A new, empty zspage for class c, or NULL (page supply or memory
 * exhausted). Called without locks; nothing else sees z until it returns. */
static struct zspage *zspage_create(struct zs_pool *pool, struct size_class *c)
{
	struct zspage *z = base_aligned_alloc(64, zspage_struct_size(c->pages_per_zspage));

	if (!z)
		return NULL;
	z->class = c;
	z->nr_pages = (uint8_t)c->pages_per_zspage;
	rwlock_init(&z->migrate_lock);
	atomic_add_relaxed(&pool->zspage_bytes, zspage_struct_size(z->nr_pages));
	for (unsigned i = 0; i < z->nr_pages; i++)
		if (!(z->pages[i] = pg_alloc(pool->pages)))
			goto fail;
	zspage_init_freelist(z);
	if (zspage_register(pool, z) == 0)
		return z;
fail:
	zspage_destroy(pool, z, false);
	return NULL;
}

/* ------------------------------------------------------- objects */

/* Take a free object of z for handle h; returns its location.
 * class.lock held, z not full. */
static uint64_t obj_malloc(struct size_class *c, struct zspage *z, unsigned long h)
{
	unsigned idx = z->freeobj;

	if (c->huge) {
		z->freeobj = OBJ_NONE;
		z->huge_handle = h;
	} else {
		uint32_t *hdr = obj_header(z, idx);
		z->freeobj = (uint16_t)(*hdr >> 1);
		*hdr = ((uint32_t)h << 1) | OBJ_ALLOCATED;
	}
	z->inuse++;
	c->obj_used++;
	return loc_make(z, idx);
}

/* Give object idx of z back to its free list. class.lock held. */
static void obj_free(struct size_class *c, struct zspage *z, unsigned idx)
{
	if (c->huge) {
		z->huge_handle = 0;
		z->freeobj = 0;
	} else {
		*obj_header(z, idx) = (uint32_t)z->freeobj << 1;
		z->freeobj = (uint16_t)idx;
	}
	z->inuse--;
	c->obj_used--;
}

/* Take an emptied zspage off its class and queue it for freeing.
 * class.lock held; the caller calls defer_commit() after unlocking. */
static void zspage_retire(struct size_class *c, struct zspage *z)
{
	list_remove(c, z);
	z->flags |= ZSP_FREEING;
	c->nr_zspages--;
}

/* Free the queued empty zspages; returns their pages. */
static uint64_t deferred_free_run(struct zs_pool *pool)
{
	uint64_t pages = 0;

	mutex_lock(&pool->free_lock);
	struct zspage *list = pool->deferred;
	pool->deferred = NULL;
	pool->nr_deferred = 0;
	mutex_unlock(&pool->free_lock);
	if (!list)
		return 0;
	/* pool.lock (read) keeps migration, which finds zspages through
	 * page_owner under pool.lock (write), away from what we free. */
	unsigned rs = prw_read_lock(&pool->lock);
	for (struct zspage *z = list, *next; z; z = next) {
		next = z->next;
		pages += z->nr_pages;
		zspage_destroy(pool, z, true);
	}
	prw_read_unlock(&pool->lock, rs);
	return pages;
}

static void defer_commit(struct zs_pool *pool, struct zspage *z)
{
	mutex_lock(&pool->free_lock);
	z->next = pool->deferred;
	pool->deferred = z;
	/* Else the maintenance tick frees them. */
	bool run = ++pool->nr_deferred >= (pool->inline_maint ? 16u : DEFER_MAX);
	mutex_unlock(&pool->free_lock);
	if (run)
		deferred_free_run(pool);
}

/* ------------------------------------------------------- classes */

/* The chain length (1..max) whose span the class wastes least of; ties go
 * to the shorter chain. */
static unsigned best_chain(unsigned size, unsigned max_chain)
{
	unsigned best = 1;
	uint64_t best_used = 0;

	for (unsigned p = 1; p <= max_chain; p++) {
		uint64_t span = (uint64_t)p * PAGE_SIZE, used = span / size * size;
		/* used/span > best_used/best_span, in integers */
		if (used * best > best_used * p) {
			best = p;
			best_used = used;
		}
	}
	return best;
}

static struct size_class *class_new(struct zs_pool *pool, unsigned size, unsigned pages, bool huge)
{
	struct size_class *c = base_calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	mutex_init(&c->lock);
	c->pool = pool;
	c->size = size;
	c->pages_per_zspage = pages;
	c->objs_per_zspage = (unsigned)(pages * PAGE_SIZE / size);
	c->huge = huge;
	return c;
}

/* Build one shard's classes, largest first so a smaller class with the
 * same shape can join the larger one; ids count distinct classes from
 * the smallest, the huge class last. */
static int shard_init(struct zs_pool *pool, struct zs_shard *sh)
{
	struct size_class *prev = NULL;

	sh->huge = class_new(pool, PAGE_SIZE, 1, true);
	if (!sh->huge)
		return -ENOMEM;
	for (int i = ZS_NR_CLASSES - 1; i >= 0; i--) {
		unsigned size = ZS_MIN_ALLOC_SIZE + (unsigned)i * ZS_SIZE_STEP;
		unsigned pages = best_chain(size, pool->cfg.max_chain);
		unsigned objs = (unsigned)(pages * PAGE_SIZE / size);
		if (objs == 1) { /* cannot share a zspage: huge */
			sh->class_of[i] = sh->huge;
			continue;
		}
		if (!pool->max_slot)
			pool->max_slot = size;
		if (prev && prev->pages_per_zspage == pages && prev->objs_per_zspage == objs) {
			sh->class_of[i] = prev;
			continue;
		}
		prev = class_new(pool, size, pages, false);
		if (!prev)
			return -ENOMEM;
		sh->class_of[i] = prev;
	}
	unsigned id = 0;
	for (unsigned i = 0; i < ZS_NR_CLASSES; i++)
		if (sh->class_of[i] != sh->huge && (i == 0 || sh->class_of[i] != sh->class_of[i - 1]))
			sh->class_of[i]->id = id++;
	sh->huge->id = id;
	return 0;
}

/*
 * Every CPU allocates from its own set of classes (a shard), so two
 * threads never fill the same zspage or take the same class lock: on two
 * CPUs each object costs the same as on one. A zspage belongs to one
 * class of one shard for life, so frees, compaction and migration work as
 * before. The cost is one partly used zspage per class and shard.
 */
static int classes_init(struct zs_pool *pool)
{
	pool->nr_shards = MIN(pcpu_nr_possible(), ZS_MAX_SHARDS);
	for (unsigned k = 0; k < pool->nr_shards; k++)
		if (shard_init(pool, &pool->shard[k]))
			return -ENOMEM;
	return 0;
}

/* The class of size in shard k. */
static struct size_class *shard_class(struct zs_pool *pool, unsigned k, size_t size)
{
	struct zs_shard *sh = &pool->shard[k];
	size_t slot = size + HDR_SIZE;

	if (slot > pool->max_slot)
		return sh->huge;
	slot = MAX(slot, ZS_MIN_ALLOC_SIZE);
	return sh->class_of[(slot - ZS_MIN_ALLOC_SIZE + ZS_SIZE_STEP - 1) / ZS_SIZE_STEP];
}

/* Call fn on each distinct class of each shard once, smallest first, then
 * the shard's huge one. */
static void for_each_class(struct zs_pool *pool, void (*fn)(struct zs_pool *, struct size_class *, void *),
			   void *arg)
{
	for (unsigned k = 0; k < pool->nr_shards; k++) {
		struct zs_shard *sh = &pool->shard[k];
		struct size_class *last = NULL;
		for (unsigned i = 0; i < ZS_NR_CLASSES; i++) {
			struct size_class *c = sh->class_of[i];
			if (c && c != last && c != sh->huge)
				fn(pool, c, arg);
			last = c;
		}
		if (sh->huge)
			fn(pool, sh->huge, arg);
	}
}

/* ------------------------------------------------------- pool */

static void class_teardown(struct zs_pool *pool, struct size_class *c, void *arg)
{
	for (unsigned g = 0; g < ZS_NR_GROUPS; g++)
		while (c->group[g]) {
			struct zspage *z = c->group[g];
			list_remove(c, z);
			zspage_destroy(pool, z, true);
		}
	mutex_destroy(&c->lock);
	base_free(c);
}

/*
 * Destroy the pool and everything in it, live objects included. No other
 * call on the pool may be running or follow.
 */
void zs_destroy_pool(struct zs_pool *pool)
{
	if (!pool)
		return;
	pg_stop_background(pool->pages); /* its tick walks the classes freed below */
	deferred_free_run(pool);
	for_each_class(pool, class_teardown, NULL);
	if (pool->hchunk)
		for (unsigned i = 0; i < HCHUNKS_MAX; i++)
			base_free((void *)atomic_load_relaxed(&pool->hchunk[i]));
	base_free((void *)pool->hchunk);
	rtree_destroy(pool->page_owner);
	if (pool->objs)
		pcpu_counters_destroy(pool->objs);
	pg_pool_destroy(pool->pages);
	for (unsigned i = 0; pool->hcache && i < pool->nr_hcache; i++)
		mutex_destroy(&pool->hcache[i].lock);
	base_free(pool->hcache);
	prw_destroy(&pool->lock);
	mutex_destroy(&pool->handle_lock);
	mutex_destroy(&pool->free_lock);
	base_free(pool);
}

/*
 * Create a pool named name (for statistics) with cfg (NULL: defaults).
 * Returns 0, -EINVAL (max_chain above 16) or -ENOMEM. Free with
 * zs_destroy_pool().
 */
int zs_create_pool(const char *name, const struct zs_config *cfg, struct zs_pool **out)
{
	struct zs_pool *pool;

	if (cfg && cfg->max_chain > ZS_MAX_CHAIN)
		return -EINVAL;
	pool = base_calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	snprintf(pool->name, sizeof(pool->name), "%s", name ? name : "zs");
	if (cfg)
		pool->cfg = *cfg;
	if (!pool->cfg.max_chain)
		pool->cfg.max_chain = ZS_DEFAULT_MAX_CHAIN;
	if (!pool->cfg.compact_threshold)
		pool->cfg.compact_threshold = ZS_DEFAULT_COMPACT_THRESHOLD;
	if (!pool->cfg.compact_min_pages)
		pool->cfg.compact_min_pages = ZS_DEFAULT_COMPACT_MIN_PAGES;
	mutex_init(&pool->handle_lock);
	mutex_init(&pool->free_lock);
	pool->handle_next = 1; /* handle 0 means failure */
	pool->hchunk = base_calloc(HCHUNKS_MAX, sizeof(*pool->hchunk));
	pool->page_owner = rtree_create();
	pool->objs = pcpu_counters_create(1);
	pool->nr_hcache = pcpu_nr_possible();
	pool->hcache = base_aligned_alloc(CACHE_LINE, pool->nr_hcache * sizeof(*pool->hcache));
	for (unsigned i = 0; pool->hcache && i < pool->nr_hcache; i++)
		mutex_init(&pool->hcache[i].lock);
	pool->inline_maint = pool->cfg.trim_interval_ms < 0;
	/* The classes first: page/'s thread runs the tick, which walks them. */
	struct pg_config pc = {.max_bytes = pool->cfg.max_bytes, .tick = zs_tick, .tick_arg = pool,
			       .free_watermark = pool->cfg.free_watermark, .populate = !pool->cfg.no_populate,
			       .trim_interval_ms = pool->cfg.trim_interval_ms < 0 ? 0
						   : pool->cfg.trim_interval_ms ? (unsigned)pool->cfg.trim_interval_ms
										: ZS_DEFAULT_TRIM_INTERVAL_MS};
	if (!pool->hchunk || !pool->page_owner || !pool->objs || !pool->hcache || prw_init(&pool->lock) ||
	    classes_init(pool) || pg_pool_create(&pc, &pool->pages)) {
		zs_destroy_pool(pool);
		return -ENOMEM;
	}
	*out = pool;
	return 0;
}

const char *zs_pool_name(struct zs_pool *pool) { return pool->name; }

size_t zs_huge_class_size(struct zs_pool *pool) { return pool->max_slot - HDR_SIZE; }

/* ------------------------------------------------------- alloc / free */

static uint64_t drop_all_empty(struct zs_pool *pool);

/* The fullest zspage of c with a free object. class.lock held. */
static struct zspage *find_zspage(struct size_class *c)
{
	for (int g = ZS_NR_GROUPS - 2; g >= 1; g--)
		if (c->group[g])
			return c->group[g];
	return c->group[0];
}

/* A zspage with room, its class locked in *cp: the fullest one of the
 * calling CPU's class for size, else a new one. NULL when page/ has no
 * memory, even after the kept empty zspages are freed. */
static struct zspage *zspage_for(struct zs_pool *pool, size_t size, struct size_class **cp)
{
	struct size_class *c = shard_class(pool, pcpu_current() % pool->nr_shards, size);
	struct zspage *z;

	mutex_lock(&c->lock);
	if ((z = find_zspage(c)))
		goto out;
	mutex_unlock(&c->lock);
	z = zspage_create(pool, c);
	if (!z && drop_all_empty(pool))
		z = zspage_create(pool, c);
	if (!z)
		return NULL;
	mutex_lock(&c->lock);
	list_insert(c, z, 0);
	c->nr_zspages++;
out:
	*cp = c;
	return z;
}

/*
 * Allocate size bytes (1..4096). Returns a handle, or 0 when size is out of
 * range or memory (page supply, handle table) is exhausted; the pool is
 * unchanged then. Any thread; may allocate pages. The object's content is
 * undefined until zs_write.
 */
unsigned long zs_malloc(struct zs_pool *pool, size_t size)
{
	if (size == 0 || size > PAGE_SIZE)
		return 0;
	struct size_class *c;
	struct zspage *z;
	unsigned long h = handle_alloc(pool);
	if (!h)
		goto fail;
	if (!(z = zspage_for(pool, size, &c))) {
		handle_release(pool, h);
		goto fail;
	}
	c->demand += z->inuse == 0;
	uint64_t loc = obj_malloc(c, z, h);
	atomic_store_rel(handle_slot(pool, h), loc);
	prefetch_object(z, loc_idx(loc), size);
	fix_fullness(c, z);
	mutex_unlock(&c->lock);
	pcpu_counter_add(pool->objs, 0, 1);
	return h;
fail:
	atomic_add_relaxed(&pool->alloc_fail, 1);
	return 0;
}

static uint64_t class_freeable_pages(const struct size_class *c)
{
	if (c->huge)
		return 0;
	uint64_t wasted = c->nr_zspages * c->objs_per_zspage - c->obj_used;
	return wasted / c->objs_per_zspage * c->pages_per_zspage;
}

static uint64_t compact_class(struct zs_pool *pool, struct size_class *c, bool kept_too);

/* Flag c for the maintenance tick when its freeable pages cross the
 * threshold: compaction takes the pool lock for writing and moves many
 * objects, which does not belong on a swap-in path. */
static void maybe_auto_compact(struct zs_pool *pool, struct size_class *c, uint64_t freeable, uint64_t pages)
{
	if (pool->cfg.compact_threshold >= 100 || freeable * 100 < pages * pool->cfg.compact_threshold ||
	    freeable < MAX(pool->cfg.compact_min_pages / 8, (size_t)1))
		return;
	atomic_store_relaxed(&c->compact_wanted, true);
	atomic_store_rel(&pool->compact_wanted, true);
	if (pool->inline_maint)
		zs_tick(pool);
}

/* Empty zspages a class keeps through ticks: one (a class hovering around
 * a full zspage would otherwise build and tear one down per object), a
 * few in the huge class, where every object is a zspage. */
static uint64_t empty_keep(const struct size_class *c) { return c->huge ? HUGE_KEEP : 1; }

/* What compaction could gain in c, not counting the empty zspages kept for
 * reuse; then drop c's lock. */
static void class_unlock_seen(struct size_class *c, uint64_t *freeable, uint64_t *pages)
{
	uint64_t kept = c->nr_in_group[0] * c->pages_per_zspage;

	*freeable = class_freeable_pages(c) - kept;
	*pages = c->nr_zspages * c->pages_per_zspage - kept;
	mutex_unlock(&c->lock);
}

/*
 * Free n objects (0 handles are skipped), at most ZS_FREE_BATCH, with the
 * pool lock (read) taken once, a class's lock once per run of its objects
 * and this CPU's handle cache once; zs_free is a batch of one. Empty
 * zspages are queued and automatic compaction asked for after every lock
 * is dropped (both may take the pool lock again).
 */
void zs_free_batch(struct zs_pool *pool, const unsigned long *h, unsigned n)
{
	struct zspage *empty[ZS_FREE_BATCH];
	struct { struct size_class *c; uint64_t freeable, pages; } seen[ZS_FREE_BATCH];
	unsigned ne = 0, ns = 0, freed = 0;

	n = MIN(n, ZS_FREE_BATCH);
	unsigned rs = prw_read_lock(&pool->lock);
	for (unsigned i = 0; i < n; i++) {
		if (!h[i])
			continue;
		uint64_t loc = atomic_load_acq(handle_slot(pool, h[i]));
		struct zspage *z = loc_zspage(loc);
		struct size_class *c = z->class;
		if (!ns || seen[ns - 1].c != c) { /* a new run: the last class's lock goes */
			if (ns)
				class_unlock_seen(seen[ns - 1].c, &seen[ns - 1].freeable, &seen[ns - 1].pages);
			seen[ns++].c = c;
			mutex_lock(&c->lock);
		}
		obj_free(c, z, loc_idx(loc));
		fix_fullness(c, z);
		/* Keep an empty zspage for the next allocation (see the top of
		 * the file); without a tick to free them later, only a few. */
		if (z->inuse == 0 && pool->inline_maint && c->nr_in_group[0] > empty_keep(c)) {
			zspage_retire(c, z);
			empty[ne++] = z;
		}
		freed++;
	}
	if (ns)
		class_unlock_seen(seen[ns - 1].c, &seen[ns - 1].freeable, &seen[ns - 1].pages);
	prw_read_unlock(&pool->lock, rs);
	handle_release_many(pool, h, n);
	pcpu_counter_add(pool->objs, 0, -(int64_t)freed);
	for (unsigned i = 0; i < ne; i++)
		defer_commit(pool, empty[i]);
	for (unsigned i = 0; i < ns; i++)
		maybe_auto_compact(pool, seen[i].c, seen[i].freeable, seen[i].pages);
}

/* Free the object behind handle (0 is ignored). Any thread. */
void zs_free(struct zs_pool *pool, unsigned long h)
{
	if (h)
		zs_free_batch(pool, &h, 1);
}

/* ------------------------------------------------------- access */

/* Decode h and pin its zspage for reading. Returns the zspage. */
static struct zspage *pin_object(struct zs_pool *pool, unsigned long h, unsigned *idx)
{
	unsigned rs = prw_read_lock(&pool->lock);
	uint64_t loc = atomic_load_acq(handle_slot(pool, h));
	struct zspage *z = loc_zspage(loc);
	zsl_read_lock(&z->lock);
	prw_read_unlock(&pool->lock, rs);
	*idx = loc_idx(loc);
	return z;
}

/*
 * Start reading len bytes of the object: returns a pointer to them, into
 * the pool when they lie in one page, else a copy in local (len bytes).
 * The object cannot move until zs_read_end(pool, handle). May sleep inside.
 */
const void *zs_read_begin(struct zs_pool *pool, unsigned long h, void *local, size_t len)
{
	unsigned idx;
	struct zspage *z = pin_object(pool, h, &idx);
	size_t off = obj_payload(z, idx), poff = off & (PAGE_SIZE - 1);

	if (poff + len <= PAGE_SIZE)
		return (char *)z->pages[off >> PAGE_SHIFT] + poff;
	span_copy(z, off, local, len, false);
	return local;
}

void zs_read_end(struct zs_pool *pool, unsigned long h)
{
	/* The location is stable while we hold the zspage read lock. */
	struct zspage *z = loc_zspage(atomic_load_acq(handle_slot(pool, h)));
	zsl_read_unlock(&z->lock);
}

/* Copy len bytes of the object out to dst. */
void zs_read(struct zs_pool *pool, unsigned long h, void *dst, size_t len)
{
	unsigned idx;
	struct zspage *z = pin_object(pool, h, &idx);

	span_copy(z, obj_payload(z, idx), dst, len, false);
	zsl_read_unlock(&z->lock);
}

/* Copy len bytes (at most the size allocated) from src into the object. */
void zs_write(struct zs_pool *pool, unsigned long h, const void *src, size_t len)
{
	unsigned idx;
	struct zspage *z = pin_object(pool, h, &idx);

	span_copy(z, obj_payload(z, idx), (void *)src, len, true);
	zsl_read_unlock(&z->lock);
}

/* The first page of the object's bytes (tests drive migration with it). */
void *zs_handle_page(struct zs_pool *pool, unsigned long h)
{
	unsigned idx;
	struct zspage *z = pin_object(pool, h, &idx);
	void *page = z->pages[obj_payload(z, idx) >> PAGE_SHIFT];

	zsl_read_unlock(&z->lock);
	return page;
}

/* ------------------------------------------------------- compaction */

/* A zspage of c to compact from (emptiest first) or into (fullest first),
 * write-locked; busy ones are skipped. class.lock held. */
static struct zspage *pick_locked(struct size_class *c, bool emptiest, struct zspage *not)
{
	for (int k = 1; k <= ZS_NR_GROUPS - 2; k++) {
		int g = emptiest ? k : ZS_NR_GROUPS - 1 - k;
		for (struct zspage *z = c->group[g]; z; z = z->next)
			if (z != not && zsl_write_trylock(&z->lock))
				return z;
	}
	return NULL;
}

/* Move src's objects into dst (through buf) until src is empty or dst is
 * full. pool.lock (write), class.lock and both zspage locks (write) held. */
static void move_objects(struct zs_pool *pool, struct size_class *c, struct zspage *src, struct zspage *dst,
			 char *buf)
{
	size_t len = c->size - HDR_SIZE;

	for (unsigned idx = 0; idx < c->objs_per_zspage && src->inuse && dst->freeobj != OBJ_NONE; idx++) {
		uint32_t hdr = *obj_header(src, idx);
		if (!(hdr & OBJ_ALLOCATED))
			continue;
		unsigned long h = (unsigned long)(hdr >> 1);
		span_copy(src, obj_payload(src, idx), buf, len, false);
		uint64_t loc = obj_malloc(c, dst, h);
		span_copy(dst, obj_payload(dst, loc_idx(loc)), buf, len, true);
		atomic_store_rel(handle_slot(pool, h), loc);
		obj_free(c, src, idx);
	}
}

/* One compaction step on c: returns 1 if it emptied a zspage, 0 if it
 * only filled one, -1 when there is nothing (more) to do (or no scratch
 * memory to move objects through). */
static int compact_step(struct zs_pool *pool, struct size_class *c)
{
	struct zspage *src = NULL, *dst = NULL;
	char *buf = scratch_get(SCRATCH_COMPACT);
	int ret = -1;

	if (!buf)
		return -1;
	prw_write_lock(&pool->lock);
	mutex_lock(&c->lock);
	if (class_freeable_pages(c) && (src = pick_locked(c, true, NULL)) && (dst = pick_locked(c, false, src))) {
		move_objects(pool, c, src, dst, buf);
		fix_fullness(c, src);
		fix_fullness(c, dst);
		ret = src->inuse == 0;
		if (ret)
			zspage_retire(c, src);
	}
	if (dst)
		zsl_write_unlock(&dst->lock);
	if (src)
		zsl_write_unlock(&src->lock);
	mutex_unlock(&c->lock);
	prw_write_unlock(&pool->lock);
	if (ret == 1)
		defer_commit(pool, src);
	return ret;
}

/* Retire up to max of the class's empty zspages (kept for reuse). */
static uint64_t release_empty(struct zs_pool *pool, struct size_class *c, uint64_t max)
{
	struct zspage *list = NULL;
	uint64_t freed = 0;

	mutex_lock(&c->lock);
	for (; max && c->group[0]; max--) {
		struct zspage *z = c->group[0];
		zspage_retire(c, z);
		z->next = list;
		list = z;
		freed += c->pages_per_zspage;
	}
	mutex_unlock(&c->lock);
	for (struct zspage *z = list, *next; z; z = next) {
		next = z->next;
		defer_commit(pool, z);
	}
	return freed;
}

/* Compact one class, one (src, dst) pair per lock hold so readers get
 * in between. Each step fills or empties a zspage, so it terminates.
 * kept_too: free the empty zspages kept for reuse as well (zs_compact;
 * the automatic compaction leaves them to the tick's decay: a class
 * drained down to a few partly used zspages asks for compaction, and
 * freeing its kept ones then cost bench zswap 2,000-15,000 of its 17,900
 * zspages a round). */
static uint64_t compact_class(struct zs_pool *pool, struct size_class *c, bool kept_too)
{
	uint64_t released = kept_too ? release_empty(pool, c, UINT64_MAX) : 0, freed = 0;
	int r;

	while (!c->huge && (r = compact_step(pool, c)) >= 0) /* a huge zspage holds one object */
		freed += (uint64_t)r * c->pages_per_zspage;
	atomic_add_relaxed(&pool->pages_compacted, released + freed);
	return released + freed;
}

static void compact_one(struct zs_pool *pool, struct size_class *c, void *arg)
{
	*(uint64_t *)arg += compact_class(pool, c, true);
}

/* The tick's share of keeping empty zspages: free those of c that stayed
 * empty for the whole interval since the last tick, but as many as the
 * class took in that interval (and its keep): a pool that drains and
 * fills again in cycles about as long as a tick would otherwise lose part
 * of them in some cycles (bench zswap, 256M: one run of two freed 3,861
 * pages and rebuilt 1,954 zspages in a round), while a pool that stays
 * drained frees them a tick later. */
static void decay_empty(struct zs_pool *pool, struct size_class *c, void *arg)
{
	mutex_lock(&c->lock);
	uint64_t keep = MAX(empty_keep(c), c->demand);
	uint64_t stale = c->min_empty > keep ? c->min_empty - keep : 0;
	c->min_empty = c->nr_in_group[0] - MIN(stale, c->nr_in_group[0]);
	c->demand = 0;
	mutex_unlock(&c->lock);
	if (stale)
		release_empty(pool, c, stale);
}

static void drop_empty(struct zs_pool *pool, struct size_class *c, void *arg)
{
	*(uint64_t *)arg += release_empty(pool, c, UINT64_MAX);
}

/* Free every kept empty zspage now (page/ refused an allocation);
 * returns the pages freed. */
static uint64_t drop_all_empty(struct zs_pool *pool)
{
	uint64_t freed = 0;

	for_each_class(pool, drop_empty, &freed);
	deferred_free_run(pool);
	return freed;
}

/*
 * Compact every class and free the emptied zspages. Returns the pages
 * freed. Any thread; busy zspages (being read) are skipped, not waited for.
 */
uint64_t zs_compact(struct zs_pool *pool)
{
	uint64_t freed = 0;

	for_each_class(pool, compact_one, &freed);
	deferred_free_run(pool);
	atomic_add_relaxed(&pool->compactions, 1);
	DEBUG_VALIDATE(zs_validate(pool));
	DEBUG_VALIDATE(pg_validate(pool->pages));
	return freed;
}

static void compact_if_wanted(struct zs_pool *pool, struct size_class *c, void *arg)
{
	bool yes = true;

	if (atomic_compare_exchange_strong(&c->compact_wanted, &yes, false)) {
		compact_class(pool, c, false);
		*(bool *)arg = true;
	}
}

/*
 * The pool's maintenance, run by page/'s background thread every
 * trim_interval_ms: compact the classes whose fragmentation crossed the
 * threshold, free the empty zspages that stayed empty since the last
 * tick, and the queue of empty zspages.
 */
static void zs_tick(void *arg) { zs_maintain(arg); }

void zs_maintain(struct zs_pool *pool)
{
	bool yes = true, ran = false;

	if (atomic_compare_exchange_strong(&pool->compact_wanted, &yes, false)) {
		for_each_class(pool, compact_if_wanted, &ran);
		if (ran) {
			atomic_add_relaxed(&pool->compactions, 1);
			DEBUG_VALIDATE(zs_validate(pool));
		}
	}
	for_each_class(pool, decay_empty, NULL);
	deferred_free_run(pool);
}

uint64_t zs_flush(struct zs_pool *pool) { return deferred_free_run(pool); }

/* ------------------------------------------------------- migration */

/*
 * Move one page of a zspage to a new page from page/ (the analogue of the
 * kernel migrating a zsmalloc page), so page/ can empty and return whole
 * chunks. Returns 0; -ENOENT if page is not a live zspage page; -EBUSY if
 * its zspage is being read (try again later); -ENOMEM.
 */
int zs_migrate_page(struct zs_pool *pool, void *page)
{
	int ret = 0;
	void *fresh = pg_alloc(pool->pages);

	if (!fresh)
		return -ENOMEM;
	prw_write_lock(&pool->lock);
	struct zspage *z = rtree_lookup(pool->page_owner, (uintptr_t)page >> PAGE_SHIFT);
	if (!z) {
		ret = -ENOENT;
		goto out;
	}
	struct size_class *c = z->class;
	mutex_lock(&c->lock);
	if (z->flags & ZSP_FREEING)
		ret = -ENOENT;
	else if (!zsl_write_trylock(&z->lock))
		ret = -EBUSY;
	else if (rtree_store(pool->page_owner, (uintptr_t)fresh >> PAGE_SHIFT, z, NULL))
		ret = -ENOMEM;
	if (ret) {
		if (ret == -ENOMEM)
			zsl_write_unlock(&z->lock);
		mutex_unlock(&c->lock);
		goto out;
	}
	write_lock(&z->migrate_lock); /* rewrite the chain (R8) */
	for (unsigned i = 0; i < z->nr_pages; i++)
		if (z->pages[i] == page) {
			os_memcpy(fresh, page, PAGE_SIZE);
			z->pages[i] = fresh;
		}
	write_unlock(&z->migrate_lock);
	rtree_erase(pool->page_owner, (uintptr_t)page >> PAGE_SHIFT);
	zsl_write_unlock(&z->lock);
	mutex_unlock(&c->lock);
	prw_write_unlock(&pool->lock);
	pg_free(pool->pages, page);
	atomic_add_relaxed(&pool->pages_migrated, 1);
	DEBUG_VALIDATE(zs_validate(pool));
	DEBUG_VALIDATE(pg_validate(pool->pages));
	return 0;
out:
	prw_write_unlock(&pool->lock);
	pg_free(pool->pages, fresh);
	return ret;
}

/* ------------------------------------------------------- statistics */

/* Pages of zspages holding objects: page/'s used pages less the empty
 * zspages kept for reuse (read apart: clamped). */
uint64_t zs_get_total_pages(struct zs_pool *pool)
{
	uint64_t used = pg_used_bytes(pool->pages) >> PAGE_SHIFT, empty = atomic_load_relaxed(&pool->empty_pages);

	return used > empty ? used - empty : 0;
}

void zs_pool_stats(struct zs_pool *pool, struct zs_pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->pages = zs_get_total_pages(pool);
	st->empty_pages = atomic_load_relaxed(&pool->empty_pages);
	st->objs = (uint64_t)pcpu_counter_read(pool->objs, 0);
	st->pages_compacted = atomic_load_relaxed(&pool->pages_compacted);
	st->compactions = atomic_load_relaxed(&pool->compactions);
	st->pages_migrated = atomic_load_relaxed(&pool->pages_migrated);
	st->alloc_fail = atomic_load_relaxed(&pool->alloc_fail);
	mutex_lock(&pool->free_lock);
	st->zspages_deferred = pool->nr_deferred;
	mutex_unlock(&pool->free_lock);
	st->meta_bytes = atomic_load_relaxed(&pool->zspage_bytes) + atomic_load_relaxed(&pool->hchunk_bytes) +
			 rtree_node_bytes(pool->page_owner);
}

struct stats_walk {
	struct zs_class_stats *out;
	unsigned n, max;
};

static void class_stats_one(struct zs_pool *pool, struct size_class *c, void *arg)
{
	struct stats_walk *w = arg;

	if (c->id >= w->max)
		return;
	struct zs_class_stats *s = &w->out[c->id]; /* the same class of every shard adds up here */
	if (c->id >= w->n) {
		memset(s, 0, sizeof(*s));
		w->n = c->id + 1;
	}
	mutex_lock(&c->lock);
	s->size = c->size;
	s->pages_per_zspage = c->pages_per_zspage;
	s->objs_per_zspage = c->objs_per_zspage;
	s->obj_allocated += c->nr_zspages * c->objs_per_zspage;
	s->obj_used += c->obj_used;
	s->pages_used += c->nr_zspages * c->pages_per_zspage;
	s->freeable += class_freeable_pages(c);
	for (unsigned g = 0; g < ZS_NR_GROUPS; g++)
		s->groups[g] += c->nr_in_group[g];
	mutex_unlock(&c->lock);
}

unsigned zs_class_stats(struct zs_pool *pool, struct zs_class_stats *out, unsigned max)
{
	struct stats_walk w = {out, 0, max};

	for_each_class(pool, class_stats_one, &w);
	return w.n;
}

/* ------------------------------------------------------- validation */

static int bad(const char *what, const struct size_class *c)
{
	fprintf(stderr, "zsmalloc: class %u: %s\n", c->size, what);
	return -EUCLEAN;
}

/* Check one zspage: free list length, headers, handle slots. */
static int zspage_validate(struct zs_pool *pool, struct size_class *c, struct zspage *z, unsigned g)
{
	unsigned nfree = 0, used = 0;

	if (z->class != c || z->group != g || group_of(c, z->inuse) != g || (z->flags & ZSP_FREEING))
		return bad("zspage in the wrong group or class", c);
	if (c->huge) {
		used = z->inuse;
		if (used > 1 || (used && atomic_load_relaxed(handle_slot(pool, z->huge_handle)) != loc_make(z, 0)))
			return bad("huge zspage handle mismatch", c);
		return 0;
	}
	for (unsigned i = z->freeobj; i != OBJ_NONE; i = (unsigned)(*obj_header(z, i) >> 1)) {
		if (i >= c->objs_per_zspage || ++nfree > c->objs_per_zspage)
			return bad("free list corrupt", c);
		if (*obj_header(z, i) & OBJ_ALLOCATED)
			return bad("allocated object on the free list", c);
	}
	for (unsigned i = 0; i < c->objs_per_zspage; i++) {
		uint32_t hdr = *obj_header(z, i);
		if (!(hdr & OBJ_ALLOCATED))
			continue;
		used++;
		if (atomic_load_relaxed(handle_slot(pool, (unsigned long)(hdr >> 1))) != loc_make(z, i))
			return bad("handle does not point back at its object", c);
	}
	if (used != z->inuse || used + nfree != c->objs_per_zspage)
		return bad("inuse does not match the objects", c);
	return 0;
}

static void class_validate(struct zs_pool *pool, struct size_class *c, void *arg)
{
	int *ret = arg;
	uint64_t zspages = 0, used = 0;

	mutex_lock(&c->lock);
	for (unsigned g = 0; g < ZS_NR_GROUPS && !*ret; g++) {
		uint64_t n = 0;
		for (struct zspage *z = c->group[g]; z && !*ret; z = z->next, n++) {
			*ret = zspage_validate(pool, c, z, g);
			used += z->inuse;
		}
		zspages += n;
		if (!*ret && n != c->nr_in_group[g])
			*ret = bad("group count mismatch", c);
	}
	if (!*ret && (zspages != c->nr_zspages || used != c->obj_used))
		*ret = bad("class totals mismatch", c);
	mutex_unlock(&c->lock);
}

/* Check every class, zspage and handle. Blocks all other pool users. */
int zs_validate(struct zs_pool *pool)
{
	int ret = 0;

	prw_write_lock(&pool->lock);
	for_each_class(pool, class_validate, &ret);
	prw_write_unlock(&pool->lock);
	return ret;
}
