/*
 * zswap_dedup.c - same-page merging: pages with the same content share one
 * compressed object (dedup=on).
 *
 * With dedup on, every compressed entry's object is a struct
 * zswap_dedup_obj in a hash table keyed by the page's XXH3-128: the
 * zsmalloc handle, its pool, its length and a count of the entries that
 * share it. A store hashes the page and looks the hash up; on a hit it
 * takes a reference, decompresses the object and compares it with the page
 * byte for byte, so a hash collision can never give a page another page's
 * data: a different page is stored on its own (and counted as a
 * collision). An equal one becomes a sharer: no compression, no pool
 * memory. Otherwise the page is compressed as ever and its object joins
 * the table.
 *
 * The entries stay what they were (one per slot, in the tree, on the LRU,
 * loaded, invalidated and written back one by one); an entry's release
 * drops its share, and the last share frees the object. So a load (and its
 * commit) of one sharer never frees the others' copy. Writeback skips an
 * entry whose object others share (writing one sharer back frees no pool
 * memory, and the others would keep the pool copy anyway); once it is the
 * last sharer it is written back like any entry. Recompression skips
 * shared entries for the same reason.
 *
 * Statistics: dedup_pages = the sum over objects of (sharers - 1), the
 * pages stored without memory of their own; dedup_saved_bytes = the same
 * weighted by each object's length. Both are kept exact under the bucket
 * locks, a lookup's passing reference included.
 *
 * Lock order: a bucket's lock is a leaf (taken under a slot's claim, never
 * across a decompression or a free).
 */
#include <errno.h>
#include <string.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h> /* libxxhash picks SSE2/AVX2/AVX-512 at run time */
#endif

#include "zswap/zswap_internal.h"

#define DEDUP_LOCKS 256

struct zswap_dedup_obj {
	uint64_t hash[2];              /* constant: XXH3-128 of the page */
	unsigned long handle;          /* constant: the object in pool's zsmalloc */
	struct zswap_pool *pool;       /* constant; the object holds a reference */
	uint16_t length;               /* constant */
	bool raw;                      /* constant */
	_Atomic long refs;             /* atomic; changed under the bucket's lock */
	struct zswap_dedup_obj *next;  /* the bucket's lock */
};

struct zswap_dedup {
	size_t mask;                           /* constant: buckets - 1 */
	bool weak_hash;                        /* constant: tests only */
	struct zswap_dedup_obj **head;         /* [mask + 1]; bucket b under lock[b % DEDUP_LOCKS] */
	mutex_t lock[DEDUP_LOCKS];
	_Atomic uint64_t pages, saved_bytes, collisions; /* atomic; pages and saved under the locks */
};

/* Buckets: about one per two pages the pool may hold (a page in the pool
 * takes half a page or so), a power of two from 4096 to 2^20. */
static size_t nr_buckets(const struct zswap *z)
{
	uint64_t pages = (uint64_t)z->cfg.budget / PAGE_SIZE * atomic_load_relaxed(&z->max_pool_percent) / 100;
	size_t n = 4096;

	while (n < pages && n < (1u << 20))
		n <<= 1;
	return n;
}

int zswap_dedup_create(struct zswap *z)
{
	struct zswap_dedup *d = base_calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->mask = nr_buckets(z) - 1;
	d->weak_hash = z->cfg.dedup_weak_hash;
	if (!(d->head = base_calloc(d->mask + 1, sizeof(*d->head)))) {
		base_free(d);
		return -ENOMEM;
	}
	for (int i = 0; i < DEDUP_LOCKS; i++)
		mutex_init(&d->lock[i]);
	z->dedup = d;
	return 0;
}

/* Every object is gone with its last entry by now. */
void zswap_dedup_destroy(struct zswap *z)
{
	struct zswap_dedup *d = z->dedup;

	if (!d)
		return;
	for (int i = 0; i < DEDUP_LOCKS; i++)
		mutex_destroy(&d->lock[i]);
	base_free(d->head);
	base_free(d);
}

static void page_hash(const struct zswap_dedup *d, const void *page, uint64_t hash[2])
{
	if (d->weak_hash) { /* tests: pages alike in their first word collide */
		memcpy(&hash[0], page, sizeof(hash[0]));
		hash[1] = 0;
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	XXH128_hash_t h = XXH3_128bits_dispatch(page, PAGE_SIZE);
#else
	XXH128_hash_t h = XXH3_128bits(page, PAGE_SIZE);
#endif
	hash[0] = h.low64;
	hash[1] = h.high64;
}

static mutex_t *bucket_lock(struct zswap_dedup *d, size_t b) { return &d->lock[b % DEDUP_LOCKS]; }

/* One more reference to o (bucket lock held): a share if o had one. */
static void obj_get_locked(struct zswap_dedup *d, struct zswap_dedup_obj *o)
{
	if (atomic_add_relaxed(&o->refs, 1) >= 1) {
		atomic_add_relaxed(&d->pages, 1);
		atomic_add_relaxed(&d->saved_bytes, o->length);
	}
}

/* Drop a reference to o; the last one takes it out of the table and frees
 * its object and pool reference. */
static void obj_put(struct zswap *z, struct zswap_dedup_obj *o)
{
	struct zswap_dedup *d = z->dedup;
	size_t b = o->hash[0] & d->mask;
	bool last;

	mutex_lock(bucket_lock(d, b));
	last = atomic_sub_relaxed(&o->refs, 1) == 1;
	if (last) {
		struct zswap_dedup_obj **pp = &d->head[b];
		while (*pp != o)
			pp = &(*pp)->next;
		*pp = o->next;
	} else {
		atomic_sub_relaxed(&d->pages, 1);
		atomic_sub_relaxed(&d->saved_bytes, o->length);
	}
	mutex_unlock(bucket_lock(d, b));
	if (!last)
		return;
	zs_free(o->pool->zs, o->handle);
	zswap_pool_put(z, o->pool);
	base_free(o);
}

/*
 * Look page up. 0: ent now shares an object holding the same bytes (its
 * pool, length and raw are the object's; no pool memory taken). -ENOENT:
 * no object with its hash: compress it, then zswap_dedup_insert. -EEXIST:
 * an object with its hash holds other bytes (a collision): store the page
 * on its own, and do not insert it. hash gets the page's hash.
 */
int zswap_dedup_find(struct zswap *z, struct zswap_entry *ent, const void *page, uint64_t hash[2])
{
	unsigned char *buf = scratch_get(SCRATCH_DEDUP); /* NULL: nothing to compare in, stored alone */
	struct zswap_dedup *d = z->dedup;
	struct zswap_dedup_obj *o;

	page_hash(d, page, hash);
	size_t b = hash[0] & d->mask;
	mutex_lock(bucket_lock(d, b));
	for (o = d->head[b]; o && (o->hash[0] != hash[0] || o->hash[1] != hash[1]); o = o->next)
		;
	if (o)
		obj_get_locked(d, o);
	mutex_unlock(bucket_lock(d, b));
	if (!o)
		return -ENOENT;
	/* The reference keeps the object: compare outside the lock. */
	if (!buf || zswap_pool_read(o->pool, o->handle, o->length, o->raw, buf) || memcmp(buf, page, PAGE_SIZE)) {
		if (buf)
			atomic_add_relaxed(&d->collisions, 1);
		obj_put(z, o);
		return -EEXIST;
	}
	zswap_pool_put(z, ent->pool);
	atomic_add_relaxed(&o->pool->ref, 1); /* live: o holds one */
	ent->pool = o->pool;
	ent->length = o->length;
	ent->raw = o->raw;
	ent->obj = o;
	ent->shared = true;
	return 0;
}

/* ent (compressed, not yet in a tree) becomes its object's first sharer.
 * Out of memory: ent stays on its own, and nobody shares it. */
void zswap_dedup_insert(struct zswap *z, struct zswap_entry *ent, const uint64_t hash[2])
{
	struct zswap_dedup *d = z->dedup;
	struct zswap_dedup_obj *o = base_malloc(sizeof(*o));

	if (!o)
		return;
	*o = (struct zswap_dedup_obj){.hash = {hash[0], hash[1]}, .handle = ent->handle, .pool = ent->pool,
				      .length = ent->length, .raw = ent->raw};
	atomic_store_relaxed(&o->refs, 1);
	atomic_add_relaxed(&o->pool->ref, 1); /* live: ent holds one */
	size_t b = hash[0] & d->mask;
	mutex_lock(bucket_lock(d, b));
	o->next = d->head[b];
	d->head[b] = o;
	mutex_unlock(bucket_lock(d, b));
	ent->obj = o;
	ent->shared = true;
}

/* e's share goes (its release); the last takes the object with it. */
void zswap_dedup_release(struct zswap *z, struct zswap_entry *e) { obj_put(z, e->obj); }

/* Does anyone besides e share its object? A hint (for writeback and
 * recompression, which skip such entries). e must stay alive meanwhile
 * (lru_lock held with e on the LRU, or e's claim). */
bool zswap_dedup_busy(const struct zswap_entry *e) { return e->shared && atomic_load_relaxed(&e->obj->refs) > 1; }

unsigned long zswap_entry_handle(const struct zswap_entry *e) { return e->shared ? e->obj->handle : e->handle; }

void zswap_dedup_stats(struct zswap *z, struct zswap_stats *st)
{
	if (!z->dedup)
		return;
	st->dedup_pages = atomic_load_relaxed(&z->dedup->pages);
	st->dedup_saved_bytes = atomic_load_relaxed(&z->dedup->saved_bytes);
	st->dedup_collisions = atomic_load_relaxed(&z->dedup->collisions);
}
