/*
 * rtree.c - concurrent radix tree keyed by 64-bit ids (uswap's xarray).
 *
 * Used for zswap trees (offset -> entry), the swap cache (entry -> page),
 * page/'s chunk index and page tables. Values are non-NULL pointers.
 *
 * Shape: 64-way nodes (6 bits of key per level). The tree is only as tall
 * as the largest key needs; the root word packs the top node pointer and
 * the height (nodes are 64-byte aligned, the height fits in the low bits),
 * so a reader gets a consistent (root, height) pair from one atomic load.
 *
 * Concurrency:
 *   - Lookups take no lock. They load the root and each slot with acquire
 *     ordering; every node is fully initialised before it is published with
 *     a release store, so a reader never sees a half-built node.
 *   - Writers (store, erase, cmpxchg) change a leaf slot with one atomic
 *     exchange or compare-and-swap, without the lock, when the path to it
 *     exists: since nodes never move or go away, a path once found leads
 *     to the key's one slot, and per-slot atomics order concurrent writers.
 *     Only growing the tree and adding nodes take t->lock.
 *   - Nodes are never freed while the tree lives: an erase clears the slot
 *     but keeps interior nodes, so a reader that raced with it walks valid
 *     memory. This is the price of lock-free reads without RCU; memory is
 *     bounded by the key space ever used (ids are allocated densely and
 *     reused), and rtree_node_bytes() reports it.
 *   - A lookup result is a hint: the value may be erased right after.
 *     Callers re-validate under their own lock (design-digest R7).
 *
 * Lock order: t->lock is a leaf; no other lock is taken under it.
 * rtree_count() is exact once writers have quiesced.
 */
#include <errno.h>

#include "base/base.h"

#define RT_BITS  6
#define RT_SLOTS (1u << RT_BITS)
#define RT_MASK  (RT_SLOTS - 1)
#define RT_HEIGHT_MASK ((uintptr_t)0x3f)
#define RT_MAX_HEIGHT ((64 + RT_BITS - 1) / RT_BITS) /* 11 */

struct rt_node {
	_Atomic(void *) slot[RT_SLOTS]; /* atomic loads; stores under tree lock */
};

struct rtree {
	_Atomic uintptr_t root;   /* node | height; stores under lock */
	mutex_t lock;             /* serialises writers */
	_Atomic uint64_t count;   /* atomic: values present */
	_Atomic size_t node_bytes; /* atomic */
};

static unsigned shift_of(unsigned level) { return level * RT_BITS; }

/* Does key fit a tree of this height? */
static bool key_fits(uint64_t key, unsigned height)
{
	unsigned bits = height * RT_BITS;
	return bits >= 64 || (key >> bits) == 0;
}

static struct rt_node *node_alloc(struct rtree *t)
{
	struct rt_node *n = base_aligned_alloc(CACHE_LINE, sizeof(*n));

	if (n)
		atomic_add_relaxed(&t->node_bytes, sizeof(*n));
	return n;
}

struct rtree *rtree_create(void)
{
	struct rtree *t = base_calloc(1, sizeof(*t));

	if (t)
		mutex_init(&t->lock);
	return t;
}

static void node_free(struct rt_node *n, unsigned level)
{
	if (level > 0)
		for (unsigned i = 0; i < RT_SLOTS; i++) {
			struct rt_node *c = atomic_load_relaxed(&n->slot[i]);
			if (c)
				node_free(c, level - 1);
		}
	base_free(n);
}

/* Frees the tree's nodes, not the values: drain them first if they own memory. */
void rtree_destroy(struct rtree *t)
{
	if (!t)
		return;
	uintptr_t r = atomic_load_relaxed(&t->root);
	if (r & RT_HEIGHT_MASK)
		node_free((struct rt_node *)(r & ~RT_HEIGHT_MASK), (unsigned)(r & RT_HEIGHT_MASK) - 1);
	mutex_destroy(&t->lock);
	base_free(t);
}

void *rtree_lookup(const struct rtree *t, uint64_t key)
{
	uintptr_t r = atomic_load_acq(&((struct rtree *)t)->root);
	unsigned height = (unsigned)(r & RT_HEIGHT_MASK);
	struct rt_node *n = (struct rt_node *)(r & ~RT_HEIGHT_MASK);

	if (!height || !key_fits(key, height))
		return NULL;
	for (unsigned level = height - 1;; level--) {
		void *p = atomic_load_acq(&n->slot[(key >> shift_of(level)) & RT_MASK]);
		if (level == 0 || !p)
			return p;
		n = p;
	}
}

/* Grow the tree until key fits. Caller holds t->lock. */
static int grow_locked(struct rtree *t, uint64_t key)
{
	uintptr_t r = atomic_load_relaxed(&t->root);
	unsigned height = (unsigned)(r & RT_HEIGHT_MASK);

	while (!height || !key_fits(key, height)) {
		struct rt_node *n = node_alloc(t);
		if (!n)
			return -ENOMEM;
		if (height)
			atomic_store_relaxed(&n->slot[0], (void *)(r & ~RT_HEIGHT_MASK));
		height++;
		r = (uintptr_t)n | height;
		/* Publish: readers that load the new root see slot[0] set. */
		atomic_store_rel(&t->root, r);
	}
	return 0;
}

/* The leaf slot for key, creating nodes on the way. Caller holds t->lock. */
static _Atomic(void *) *slot_create_locked(struct rtree *t, uint64_t key)
{
	if (grow_locked(t, key))
		return NULL;
	uintptr_t r = atomic_load_relaxed(&t->root);
	unsigned height = (unsigned)(r & RT_HEIGHT_MASK);
	struct rt_node *n = (struct rt_node *)(r & ~RT_HEIGHT_MASK);

	for (unsigned level = height - 1; level > 0; level--) {
		_Atomic(void *) *s = &n->slot[(key >> shift_of(level)) & RT_MASK];
		struct rt_node *c = atomic_load_relaxed(s);
		if (!c) {
			c = node_alloc(t);
			if (!c)
				return NULL;
			atomic_store_rel(s, c);
		}
		n = c;
	}
	return &n->slot[key & RT_MASK];
}

/* The leaf slot for key if its path exists. No lock needed: see the top. */
static _Atomic(void *) *slot_find(const struct rtree *t, uint64_t key)
{
	uintptr_t r = atomic_load_acq(&((struct rtree *)t)->root);
	unsigned height = (unsigned)(r & RT_HEIGHT_MASK);
	struct rt_node *n = (struct rt_node *)(r & ~RT_HEIGHT_MASK);

	if (!height || !key_fits(key, height))
		return NULL;
	for (unsigned level = height - 1; level > 0; level--) {
		n = atomic_load_acq(&n->slot[(key >> shift_of(level)) & RT_MASK]);
		if (!n)
			return NULL;
	}
	return &n->slot[key & RT_MASK];
}

static void count_change(struct rtree *t, void *old, void *val)
{
	if (!old && val)
		atomic_add_relaxed(&t->count, 1);
	else if (old && !val)
		atomic_sub_relaxed(&t->count, 1);
}

/*
 * Set key to val (non-NULL), returning the previous value in *old (may be
 * NULL). Returns 0, or -ENOMEM with the tree unchanged but for empty nodes.
 */
int rtree_store(struct rtree *t, uint64_t key, void *val, void **old)
{
	_Atomic(void *) *s = slot_find(t, key);

	if (!s) {
		mutex_lock(&t->lock);
		s = slot_create_locked(t, key);
		mutex_unlock(&t->lock);
		if (!s)
			return -ENOMEM;
	}
	void *prev = atomic_xchg_acq_rel(s, val);
	count_change(t, prev, val);
	if (old)
		*old = prev;
	return 0;
}

/* Remove key; returns the value it had, or NULL. */
void *rtree_erase(struct rtree *t, uint64_t key)
{
	_Atomic(void *) *s = slot_find(t, key);
	void *prev = NULL;

	if (s && atomic_load_relaxed(s)) {
		prev = atomic_xchg_acq_rel(s, NULL);
		count_change(t, prev, NULL);
	}
	return prev;
}

/*
 * If key holds expect, replace it with val (NULL erases). Returns whether
 * it did. expect == NULL inserts only into an empty slot.
 */
bool rtree_cmpxchg(struct rtree *t, uint64_t key, void *expect, void *val)
{
	_Atomic(void *) *s = slot_find(t, key);

	if (!s && val) {
		mutex_lock(&t->lock);
		s = slot_create_locked(t, key);
		mutex_unlock(&t->lock);
	}
	if (!s || !atomic_cas_acq_rel(s, &expect, val))
		return false;
	count_change(t, expect, val);
	return true;
}

static void *find_next_in(struct rt_node *n, unsigned level, uint64_t *key)
{
	unsigned sh = shift_of(level);
	for (unsigned i = (unsigned)(*key >> sh) & RT_MASK; i < RT_SLOTS; i++) {
		void *p = atomic_load_acq(&n->slot[i]);
		if (p && level == 0)
			return p;
		if (p) {
			void *v = find_next_in(p, level - 1, key);
			if (v)
				return v;
		}
		/* Move *key to the start of slot i + 1 at this level. */
		uint64_t next = ((*key >> sh) + 1) << sh;
		if (sh + RT_BITS < 64 && (next >> (sh + RT_BITS)) != (*key >> (sh + RT_BITS)))
			return NULL; /* wrapped into the parent's next slot */
		if (next == 0)
			return NULL; /* wrapped past 2^64 */
		*key = next;
	}
	return NULL;
}

/*
 * The first value whose key is >= *key; *key is set to its key. NULL when
 * there is none. Lock-free like lookup: a concurrent writer's change may or
 * may not be seen.
 */
void *rtree_find_next(const struct rtree *t, uint64_t *key)
{
	uintptr_t r = atomic_load_acq(&((struct rtree *)t)->root);
	unsigned height = (unsigned)(r & RT_HEIGHT_MASK);

	if (!height || !key_fits(*key, height))
		return NULL;
	return find_next_in((struct rt_node *)(r & ~RT_HEIGHT_MASK), height - 1, key);
}

uint64_t rtree_count(const struct rtree *t) { return atomic_load_relaxed(&((struct rtree *)t)->count); }

size_t rtree_node_bytes(const struct rtree *t)
{
	return atomic_load_relaxed(&((struct rtree *)t)->node_bytes);
}
