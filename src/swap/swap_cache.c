/*
 * swap_cache.c - the swap cache: entry -> page for pages read ahead
 * (design-digest 2.4).
 *
 * Unlike the kernel's, this cache does not hold every page in transit:
 * a swap-out, a swap-in and a zswap writeback work on the caller's page
 * under the entry's claim (the HAS_CACHE bit of its count word, see
 * swapfile.c) and never insert a page. Only readahead inserts pages: it
 * claims each neighbour and adds its page here, locked, and the page then
 * carries that claim until someone takes it out. Every other user of the entry finds the page here, takes a reference and
 * the page lock, and then re-validates: a lookup that takes no lock is a
 * hint (R7). Between the lookup and the lock the page may have left the
 * cache and been reused for another entry, so after locking the user checks
 * that the page still caches the entry it looked up; if not, it drops the
 * page and looks again.
 *
 * Type-stable pages: swap_page structs (and their data) are recycled
 * through a free list and freed only when the cache is destroyed, so a
 * lookup may touch a page that was freed meanwhile: taking a reference on a
 * page whose count is zero fails, and the validation catches the rest.
 *
 * Lock order: swap_page.lock (held across I/O) -> rtree (leaf);
 * free_lock is a leaf.
 */
#include <errno.h>
#include <stdlib.h>

#include "swap/swap.h"

struct swap_cache {
	struct rtree *tree;          /* entry value -> swap_page; own lock */
	mutex_t free_lock;           /* guards free, all */
	struct swap_page *free;      /* recycled pages */
	struct swap_page **all;      /* every page ever made, freed at destroy */
	size_t nr_all, cap_all;
	_Atomic uint64_t nr_cached;  /* atomic */
};

int swap_cache_create(struct swap_cache **out)
{
	struct swap_cache *c = base_calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->tree = rtree_create();
	if (!c->tree) {
		base_free(c);
		return -ENOMEM;
	}
	mutex_init(&c->free_lock);
	*out = c;
	return 0;
}

/* No page may be in use. */
void swap_cache_destroy(struct swap_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nr_all; i++) {
		mutex_destroy(&c->all[i]->lock);
		base_free(c->all[i]->data);
		base_free(c->all[i]);
	}
	base_free(c->all);
	rtree_destroy(c->tree);
	mutex_destroy(&c->free_lock);
	base_free(c);
}

static struct swap_page *page_new(struct swap_cache *c)
{
	struct swap_page *p = base_calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->data = base_aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (p->data && c->nr_all == c->cap_all) {
		size_t cap = c->cap_all ? 2 * c->cap_all : 64;
		struct swap_page **all = base_realloc(c->all, cap * sizeof(*all));
		if (all) {
			c->all = all;
			c->cap_all = cap;
		}
	}
	if (!p->data || c->nr_all == c->cap_all) {
		base_free(p->data);
		base_free(p);
		return NULL;
	}
	mutex_init(&p->lock);
	c->all[c->nr_all++] = p;
	return p;
}

/* A page with one reference (the caller's), not in the cache, unlocked. */
struct swap_page *swap_page_alloc(struct swap_cache *c)
{
	mutex_lock(&c->free_lock);
	struct swap_page *p = c->free;
	if (p)
		c->free = p->next_free;
	else
		p = page_new(c);
	mutex_unlock(&c->free_lock);
	if (p) {
		atomic_store_relaxed(&p->uptodate, false);
		atomic_store_rel(&p->ref, 1);
	}
	return p;
}

/* Drop a reference; the last one recycles the page. */
void swap_page_put(struct swap_cache *c, struct swap_page *p)
{
	if (atomic_sub_acq_rel(&p->ref, 1) != 1)
		return;
	mutex_lock(&c->free_lock);
	p->next_free = c->free;
	c->free = p;
	mutex_unlock(&c->free_lock);
}

/*
 * Insert p as e's page (the caller holds e's HAS_CACHE claim; p is either
 * locked or not yet up to date, so nobody uses half-written data); the
 * cache takes its own reference. Returns 0, -EEXIST (e already
 * has a page: a claim was not held), -ENOMEM.
 */
int swap_cache_add(struct swap_cache *c, swp_entry_t e, struct swap_page *p)
{
	atomic_store_rel(&p->entry, e.val);
	atomic_add_relaxed(&p->ref, 1);
	if (!rtree_cmpxchg(c->tree, e.val, NULL, p)) {
		atomic_store_rel(&p->entry, 0);
		atomic_sub_relaxed(&p->ref, 1);
		return rtree_lookup(c->tree, e.val) ? -EEXIST : -ENOMEM;
	}
	atomic_add_relaxed(&c->nr_cached, 1);
	return 0;
}

/* Take p (locked by the caller) out of the cache; drops the cache's
 * reference. */
void swap_cache_del(struct swap_cache *c, struct swap_page *p)
{
	uint64_t e = atomic_load_relaxed(&p->entry);

	if (e && rtree_cmpxchg(c->tree, e, p, NULL)) {
		atomic_store_rel(&p->entry, 0);
		atomic_sub_relaxed(&c->nr_cached, 1);
		swap_page_put(c, p);
	}
}

/*
 * The page cached for e, with a reference for the caller, or NULL. Only a
 * hint: lock it with swap_page_lock_valid() before trusting it.
 */
struct swap_page *swap_cache_lookup(struct swap_cache *c, swp_entry_t e)
{
	struct swap_page *p = rtree_lookup(c->tree, e.val);

	if (!p)
		return NULL;
	long r = atomic_load_relaxed(&p->ref);
	do {
		if (r == 0)
			return NULL; /* being recycled: not e's any more */
	} while (!atomic_cas_acq_rel(&p->ref, &r, r + 1));
	return p;
}

/*
 * Lock p and check it still caches e (R7). True: locked and valid. False:
 * unlocked; the caller drops its reference and looks again.
 */
bool swap_page_lock_valid(struct swap_page *p, swp_entry_t e)
{
	mutex_lock(&p->lock);
	if (atomic_load_acq(&p->entry) == e.val)
		return true;
	mutex_unlock(&p->lock);
	return false;
}

uint64_t swap_cache_pages(struct swap_cache *c) { return atomic_load_relaxed(&c->nr_cached); }
