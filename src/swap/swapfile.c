/*
 * swapfile.c - swap entries: allocation in clusters, reference counts and
 * the HAS_CACHE claim (design-digest 2.3), for a virtual swap space.
 *
 * Each entry has one atomic word, the kernel's swap_map byte widened:
 *   bits 0..27  count     references (page-table owners; fork duplicates)
 *   bit 28      HAS_CACHE the entry's claim: one holder at a time owns its
 *                         I/O and state (swapcache_prepare). The holder is a
 *                         swap-out, a swap-in, a zswap writeback, swapoff, or
 *                         a page read ahead into the swap cache; the kernel's
 *                         name is kept, but only readahead adds cache pages
 *   bit 29      FREEING   count and cache reached zero: the entry is being
 *                         torn down and cannot be claimed, duplicated or
 *                         reused until that is done
 *   0                     free
 * Every change is one compare-and-swap, so a claim, a duplicate and a free
 * racing on the same entry see one order. The transition to FREEING belongs
 * to exactly one caller, which runs the owner's free callback (zswap
 * invalidate, backing slot release, metadata) and then, under the cluster
 * lock, makes the entry free again.
 *
 * Allocation: entries live in clusters of 512 with a descriptor allocated on
 * first use; each CPU has a current cluster and takes entries from it under
 * its cursor lock and the cluster lock, so the space lock is only taken to
 * switch clusters (as the kernel's per-CPU cluster does). Offset 0 is never
 * handed out, so a zero entry means "none".
 *
 * Lock order: cursor.lock -> space.lock -> cluster.lock (the slow path of
 * a nearly full space looks at clusters under space.lock); a cluster lock
 * is never held while space.lock is taken. The free callback runs with no
 * lock held.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "swap/swap.h"

#define MAP_COUNT     0x0fffffffu
#define MAP_HAS_CACHE 0x10000000u
#define MAP_FREEING   0x20000000u

struct swap_cluster {
	mutex_t lock;                        /* guards nr_used, next and free <-> used */
	uint32_t nr_used;
	uint32_t next;                       /* where the next search starts */
	_Atomic uint32_t map[SWAP_CLUSTER];  /* atomic: see the top */
	_Alignas(64) unsigned char priv[];   /* SWAP_CLUSTER * cfg.priv_size bytes: the owner's */
};

struct cursor {
	cache_aligned mutex_t lock; /* guards cluster */
	uint64_t cluster;           /* current cluster + 1; 0 = none */
};

struct swap_space {
	struct swap_space_config cfg;
	uint64_t nr_clusters;                    /* constant */
	_Atomic(struct swap_cluster *) *clusters; /* [nr_clusters]; published once, freed at destroy */
	mutex_t lock;                            /* guards next_new, nonfull */
	uint64_t next_new;                       /* first cluster never used */
	uint64_t *nonfull;                       /* stack of clusters that got free entries */
	size_t nr_nonfull, cap_nonfull;
	unsigned nr_cursors;
	struct cursor *cursors;
	_Atomic uint64_t inuse, alloc_fail;      /* atomic */
	_Atomic uint64_t nr_described;           /* atomic: clusters with a descriptor */
};

/* ---------------------------------------------------------------- lookup */

static struct swap_cluster *cluster_of(struct swap_space *s, uint64_t off)
{
	uint64_t c = off / SWAP_CLUSTER;
	return c < s->nr_clusters ? atomic_load_acq(&s->clusters[c]) : NULL;
}

static _Atomic uint32_t *map_of(struct swap_space *s, swp_entry_t e, struct swap_cluster **cp)
{
	uint64_t off = swp_offset(e);
	struct swap_cluster *c = swp_type(e) == s->cfg.type ? cluster_of(s, off) : NULL;

	if (cp)
		*cp = c;
	return c ? &c->map[off % SWAP_CLUSTER] : NULL;
}

/*
 * The owner's cfg.priv_size bytes for e (zeroed when its cluster is made,
 * then the owner's to keep: nothing here touches them), or NULL when e
 * was never handed out. Stable for the space's life: clusters are freed
 * only by swap_space_destroy.
 */
void *swap_entry_priv(struct swap_space *s, swp_entry_t e)
{
	struct swap_cluster *c;
	_Atomic uint32_t *m = map_of(s, e, &c);

	return m ? c->priv + (swp_offset(e) % SWAP_CLUSTER) * s->cfg.priv_size : NULL;
}

/* Offsets below this have been handed out at some time (a bound for
 * walking every entry). */
uint64_t swap_space_extent(struct swap_space *s)
{
	mutex_lock(&s->lock);
	uint64_t n = s->next_new * SWAP_CLUSTER;
	mutex_unlock(&s->lock);
	return n;
}

/* ---------------------------------------------------------------- setup */

int swap_space_create(const struct swap_space_config *cfg, struct swap_space **out)
{
	struct swap_space *s = base_calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (s->cfg.type >= MAX_SWAPFILES) {
		base_free(s);
		return -EINVAL;
	}
	if (!s->cfg.max_entries)
		s->cfg.max_entries = 1ull << 26;
	s->nr_clusters = (s->cfg.max_entries + SWAP_CLUSTER - 1) / SWAP_CLUSTER;
	s->clusters = base_zalloc_large(s->nr_clusters * sizeof(*s->clusters));
	/* Room for every cluster up front: a free can come from a SIGBUS
	 * handler (vm/), which must not allocate. Untouched pages of it cost
	 * no memory. */
	s->cap_nonfull = s->nr_clusters;
	s->nonfull = base_zalloc_large(s->cap_nonfull * sizeof(*s->nonfull));
	s->nr_cursors = pcpu_nr_possible();
	s->cursors = base_aligned_alloc(CACHE_LINE, s->nr_cursors * sizeof(*s->cursors));
	if (!s->clusters || !s->nonfull || !s->cursors) {
		base_free_large((void *)s->clusters, s->nr_clusters * sizeof(*s->clusters));
		base_free_large(s->nonfull, s->cap_nonfull * sizeof(*s->nonfull));
		base_free(s->cursors);
		base_free(s);
		return -ENOMEM;
	}
	mutex_init(&s->lock);
	for (unsigned i = 0; i < s->nr_cursors; i++)
		mutex_init(&s->cursors[i].lock);
	*out = s;
	return 0;
}

/* Frees the space's structures; entries still allocated are dropped
 * without their free callback (the owner tears those down itself). */
void swap_space_destroy(struct swap_space *s)
{
	if (!s)
		return;
	/* Clusters are made in order: past next_new the array was never
	 * touched, and reading it would fault in zero pages (1 MiB for the
	 * default 64M entries: 2.5 ms on a guest where a fault costs 10 us). */
	for (uint64_t c = 0; c < s->next_new; c++) {
		struct swap_cluster *cl = atomic_load_relaxed(&s->clusters[c]);
		if (cl) {
			mutex_destroy(&cl->lock);
			base_free(cl);
		}
	}
	for (unsigned i = 0; i < s->nr_cursors; i++)
		mutex_destroy(&s->cursors[i].lock);
	mutex_destroy(&s->lock);
	base_free_large(s->nonfull, s->cap_nonfull * sizeof(*s->nonfull));
	base_free(s->cursors);
	base_free_large((void *)s->clusters, s->nr_clusters * sizeof(*s->clusters));
	base_free(s);
}

/* ---------------------------------------------------------------- allocation */

static uint64_t cluster_limit(struct swap_space *s, uint64_t idx)
{
	return MIN((uint64_t)SWAP_CLUSTER, s->cfg.max_entries - idx * SWAP_CLUSTER);
}

/* Slow path of a nearly full space: any cluster with a free entry, even
 * one another CPU's cursor is using. space.lock held. */
static uint64_t cluster_scan_locked(struct swap_space *s)
{
	for (uint64_t idx = 0; idx < s->next_new; idx++) {
		struct swap_cluster *c = atomic_load_acq(&s->clusters[idx]);
		mutex_lock(&c->lock);
		bool room = c->nr_used < cluster_limit(s, idx);
		mutex_unlock(&c->lock);
		if (room)
			return idx;
	}
	return UINT64_MAX;
}

/* A cluster index with free entries (a reused one, else a new one, else
 * any with room), or UINT64_MAX when the space is full. */
static uint64_t cluster_get(struct swap_space *s)
{
	uint64_t idx = UINT64_MAX;

	mutex_lock(&s->lock);
	if (s->nr_nonfull) {
		idx = s->nonfull[--s->nr_nonfull];
	} else if (s->next_new < s->nr_clusters) {
		struct swap_cluster *c = base_aligned_alloc(64, sizeof(*c) + SWAP_CLUSTER * s->cfg.priv_size);
		if (c)
			memset(c, 0, sizeof(*c) + SWAP_CLUSTER * s->cfg.priv_size);
		if (c) {
			mutex_init(&c->lock);
			if (s->next_new == 0) { /* offset 0 means "no entry": never hand it out */
				atomic_store_relaxed(&c->map[0], 1);
				c->nr_used = 1;
			}
			idx = s->next_new++;
			atomic_store_rel(&s->clusters[idx], c);
			atomic_add_relaxed(&s->nr_described, 1);
		}
	}
	if (idx == UINT64_MAX)
		idx = cluster_scan_locked(s);
	mutex_unlock(&s->lock);
	return idx;
}

/* Cluster idx got a free entry. The stack has room for every cluster; a
 * push beyond it (a cluster pushed twice) is dropped: the stack is a hint,
 * and the scan finds free entries without it. */
static void cluster_put_nonfull(struct swap_space *s, uint64_t idx)
{
	mutex_lock(&s->lock);
	if (s->nr_nonfull < s->cap_nonfull)
		s->nonfull[s->nr_nonfull++] = idx;
	mutex_unlock(&s->lock);
}

/* Take a free entry of cluster idx; -1 if it has none. */
static int64_t cluster_take(struct swap_space *s, uint64_t idx)
{
	struct swap_cluster *c = atomic_load_acq(&s->clusters[idx]);
	uint64_t limit = cluster_limit(s, idx); /* the last cluster may be short */
	int64_t off = -1;

	mutex_lock(&c->lock);
	for (uint32_t k = 0; k < limit && c->nr_used < limit; k++) {
		uint32_t i = (uint32_t)((c->next + k) % limit);
		if (atomic_load_relaxed(&c->map[i]) == 0) {
			atomic_store_rel(&c->map[i], 1 | MAP_HAS_CACHE);
			c->nr_used++;
			c->next = (uint32_t)((i + 1) % limit);
			off = (int64_t)(idx * SWAP_CLUSTER + i);
			break;
		}
	}
	mutex_unlock(&c->lock);
	return off;
}

/*
 * Allocate an entry: count 1 (the caller's reference) and HAS_CACHE (the
 * caller holds the claim while the page is in transit; swapcache_clear
 * when it is stored). Returns 0, or -ENOSPC when every entry is in use.
 */
int swap_alloc(struct swap_space *s, swp_entry_t *out)
{
	struct cursor *cur = &s->cursors[pcpu_current() % s->nr_cursors];
	int64_t off = -1;

	mutex_lock(&cur->lock);
	/* A cluster from the non-full list may have been filled meanwhile by
	 * another cursor: keep taking clusters (each pop removes one) rather
	 * than fail while entries are free (4 tries were seen to fail under
	 * vm/'s eviction storms). */
	for (int tries = 0; off < 0 && tries < 64; tries++) {
		if (!cur->cluster) {
			uint64_t idx = cluster_get(s);
			if (idx == UINT64_MAX)
				break;
			cur->cluster = idx + 1;
		}
		off = cluster_take(s, cur->cluster - 1);
		if (off < 0)
			cur->cluster = 0; /* full: move on */
	}
	mutex_unlock(&cur->lock);
	if (off < 0) {
		atomic_add_relaxed(&s->alloc_fail, 1);
		return -ENOSPC;
	}
	atomic_add_relaxed(&s->inuse, 1);
	*out = swp_entry(s->cfg.type, (uint64_t)off);
	return 0;
}

/* The entry's word reached FREEING: tear down, then make it free. */
static void entry_release(struct swap_space *s, swp_entry_t e)
{
	struct swap_cluster *c;
	_Atomic uint32_t *m = map_of(s, e, &c);

	if (s->cfg.on_free)
		s->cfg.on_free(s->cfg.on_free_arg, e);
	mutex_lock(&c->lock);
	atomic_store_rel(m, 0);
	uint64_t idx = swp_offset(e) / SWAP_CLUSTER;
	bool now_nonfull = c->nr_used-- == cluster_limit(s, idx);
	mutex_unlock(&c->lock);
	atomic_sub_relaxed(&s->inuse, 1);
	if (now_nonfull)
		cluster_put_nonfull(s, idx);
}

/* ---------------------------------------------------------------- counts */

/* Apply fn's change to e's word with one CAS; returns fn's verdict. */
typedef int (*map_op)(uint32_t v, uint32_t *nv);

static int map_update(struct swap_space *s, swp_entry_t e, map_op op)
{
	_Atomic uint32_t *m = map_of(s, e, NULL);

	if (!m)
		return -ENOENT;
	uint32_t v = atomic_load_relaxed(m), nv;
	for (;;) {
		int ret = op(v, &nv);
		if (ret < 0)
			return ret;
		if (atomic_cas_acq_rel(m, &v, nv)) {
			if (nv == MAP_FREEING)
				entry_release(s, e);
			return 0;
		}
	}
}

static bool is_live(uint32_t v) { return v && !(v & MAP_FREEING); }

static int op_duplicate(uint32_t v, uint32_t *nv)
{
	if (!is_live(v) || !(v & MAP_COUNT))
		return -ENOENT; /* only a holder of a reference may add one */
	if ((v & MAP_COUNT) == MAP_COUNT)
		return -EOVERFLOW;
	*nv = v + 1;
	return 0;
}

static int op_free(uint32_t v, uint32_t *nv)
{
	if (!is_live(v) || !(v & MAP_COUNT))
		return -EINVAL; /* freeing a reference nobody holds */
	*nv = v - 1;
	if (*nv == 0)
		*nv = MAP_FREEING;
	return 0;
}

static int op_prepare(uint32_t v, uint32_t *nv)
{
	if (!is_live(v))
		return -ENOENT;
	if (v & MAP_HAS_CACHE)
		return -EEXIST;
	*nv = v | MAP_HAS_CACHE;
	return 0;
}

static int op_clear(uint32_t v, uint32_t *nv)
{
	if (!is_live(v) || !(v & MAP_HAS_CACHE))
		return -EINVAL;
	*nv = v & ~MAP_HAS_CACHE;
	if (*nv == 0)
		*nv = MAP_FREEING;
	return 0;
}

static int op_free_clear(uint32_t v, uint32_t *nv)
{
	if (!is_live(v) || !(v & MAP_COUNT) || !(v & MAP_HAS_CACHE))
		return -EINVAL;
	*nv = (v - 1) & ~MAP_HAS_CACHE;
	if (*nv == 0)
		*nv = MAP_FREEING;
	return 0;
}

/* Add a reference to e's count (a second owner, e.g. after fork). 0,
 * -ENOENT (e is free or being freed), -EOVERFLOW. The count alone: owners
 * outside swap/ call swap_sys_duplicate. */
int swap_count_dup(struct swap_space *s, swp_entry_t e) { return map_update(s, e, op_duplicate); }

/* Drop a reference from e's count; at count 0 with no claim the entry is
 * freed (the free callback runs in this thread). Dropping a reference
 * that is not held is a caller bug: reported, ignored. The count alone: a
 * page read ahead for e stays claimed; owners outside swap/ call
 * swap_sys_free, which drops that page too. */
void swap_count_put(struct swap_space *s, swp_entry_t e)
{
	if (map_update(s, e, op_free))
		fprintf(stderr, "uswap: swap_count_put of unused entry %#llx\n", (unsigned long long)e.val);
}

/*
 * Claim e exclusively: set HAS_CACHE. Returns 0 (the caller now owns all
 * I/O and state changes of e until swapcache_clear), -EEXIST (someone else
 * holds the claim: wait for it, then look again), -ENOENT (e was freed).
 */
int swapcache_prepare(struct swap_space *s, swp_entry_t e) { return map_update(s, e, op_prepare); }

/* swap_count_put and swapcache_clear in one step (one compare-and-swap): a
 * waiter sees the reference and the claim go together (see swap_in_done
 * for why that is a saving, not a safety rule). */
void swap_count_put_clear(struct swap_space *s, swp_entry_t e)
{
	if (map_update(s, e, op_free_clear))
		fprintf(stderr, "uswap: swap_count_put_clear of an entry not claimed or not referenced %#llx\n",
			(unsigned long long)e.val);
}

/* Release the claim; with no reference left the entry is freed. */
void swapcache_clear(struct swap_space *s, swp_entry_t e)
{
	if (map_update(s, e, op_clear))
		fprintf(stderr, "uswap: swapcache_clear of unclaimed entry %#llx\n", (unsigned long long)e.val);
}

unsigned swap_count(struct swap_space *s, swp_entry_t e)
{
	_Atomic uint32_t *m = map_of(s, e, NULL);
	uint32_t v = m ? atomic_load_acq(m) : 0;
	return is_live(v) ? v & MAP_COUNT : 0;
}

bool swap_has_cache(struct swap_space *s, swp_entry_t e)
{
	_Atomic uint32_t *m = map_of(s, e, NULL);
	uint32_t v = m ? atomic_load_acq(m) : 0;
	return is_live(v) && (v & MAP_HAS_CACHE);
}

void swap_space_stats(struct swap_space *s, struct swap_space_stats *st)
{
	st->inuse = atomic_load_relaxed(&s->inuse);
	st->clusters = atomic_load_relaxed(&s->nr_described);
	st->alloc_fail = atomic_load_relaxed(&s->alloc_fail);
}

/*
 * The swap map, cluster by cluster under its lock: the entries in use
 * (map word not zero) are exactly nr_used, and no word has bits outside
 * count, HAS_CACHE and FREEING. Tests and debug builds (after swapoff).
 * 0 or -EUCLEAN.
 */
int swap_space_validate(struct swap_space *s)
{
	uint64_t used = 0;

	mutex_lock(&s->lock);
	uint64_t made = s->next_new; /* clusters are made in order */
	mutex_unlock(&s->lock);
	for (uint64_t i = 0; i < made; i++) {
		struct swap_cluster *c = atomic_load_acq(&s->clusters[i]);
		uint32_t n = 0;
		bool bad = false;
		if (!c)
			continue;
		mutex_lock(&c->lock);
		for (unsigned k = 0; k < SWAP_CLUSTER; k++) {
			uint32_t v = atomic_load_acq(&c->map[k]);
			n += v != 0;
			bad |= (v & ~(MAP_COUNT | MAP_HAS_CACHE | MAP_FREEING)) != 0;
		}
		bad |= n != c->nr_used;
		used += c->nr_used;
		mutex_unlock(&c->lock);
		if (bad) {
			fprintf(stderr, "uswap: swap map of cluster %llu is inconsistent\n", (unsigned long long)i);
			return -EUCLEAN;
		}
	}
	(void)used; /* inuse is updated outside the cluster lock: not comparable while others run */
	return 0;
}
