/*
 * page.c - the 4 KiB page supply.
 *
 * Memory comes from the OS in 2 MiB aligned chunks. Each chunk has an
 * out-of-line descriptor (struct pg_chunk) with one pg_desc per page, so a
 * free page's bookkeeping never touches the page itself: a page given back
 * to the OS stays unfaulted until it is handed out again. Chunk descriptors
 * are found from a page address through a radix tree keyed by chunk number.
 *
 * Where a free page sits:
 *   per-CPU cache  -> a small stack of resident pages per CPU, taken and
 *                     refilled in batches; the fast path of alloc and free.
 *   free list      -> resident free pages (global).
 *   released list  -> free pages whose memory was madvised away.
 * When resident free memory exceeds the watermark, pg_trim() madvises the
 * excess away and unmaps chunks none of whose pages are out (whole chunks
 * go back to the OS; zsmalloc's page migration exists to make that happen).
 * Either pg_free does that inline once free memory passes twice the
 * watermark, or (trim_interval_ms) a background thread does it a little
 * later, as jemalloc's decay does: each tick returns only the pages that
 * stayed free for the whole interval. The free path then never makes a
 * system call, and pages freed and soon reused never take a fault
 * (measured: inline madvise made zswap's load+commit 20-30% slower while a
 * pool drains, and the refaults cost its next stores as much again).
 *
 * Accounting: used_pages + free_pages = resident pages held; every page of
 * a mapped chunk is exactly one of used, free (cached or listed) or released:
 *   chunks * PG_PER_CHUNK == used + free + released.
 *
 * Lock order: trim_lock -> pcpu_cache.lock -> pool.lock -> rtree (leaf).
 * madvise and munmap run with only trim_lock held; trim_lock makes the
 * trimmer the only one with pages in transit (on no list).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "base/base.h"
#include "base/worker.h"
#include "page/page.h"

#define PCP_MAX   64 /* pages per per-CPU cache */
#define PCP_BATCH 32 /* moved between cache and lists at once */
#define PEAK_DECAY 8 /* the recent peak loses 1/PEAK_DECAY a decay tick */

enum pg_state { PG_UNUSED, PG_USED, PG_FREE, PG_RELEASED, PG_CACHED };

struct pg_desc {
	struct pg_desc *prev, *next; /* pool.lock: free or released list */
	struct pg_chunk *chunk;      /* constant */
	uint8_t state;               /* pool.lock, or the per-CPU cache lock while PG_CACHED */
};

struct pg_chunk {
	char *base;
	struct pg_chunk *next_chunk;  /* pool.lock: all chunks */
	uint32_t nr_out;              /* pool.lock: pages used or in a per-CPU cache */
	struct pg_desc desc[PG_PER_CHUNK];
};

struct pg_list {
	struct pg_desc head;   /* circular; pool.lock */
	_Atomic uint64_t len;  /* written under pool.lock; read anywhere as a hint */
};

struct pcpu_cache {
	cache_aligned mutex_t lock; /* guards nr and pages */
	unsigned nr;
	void *pages[PCP_MAX];
};

struct pg_pool {
	struct pg_config cfg;
	mutex_t trim_lock;            /* one trimmer at a time; outside pool.lock */
	mutex_t lock;                 /* guards lists, chunks, nr_out, page states */
	struct pg_list free, released;
	struct pg_chunk *chunks;      /* pool.lock */
	struct rtree *chunk_index;    /* chunk number -> pg_chunk; own lock */
	unsigned nr_pcp;
	struct pcpu_cache *pcp;       /* [nr_pcp] */
	_Atomic uint64_t used_pages;  /* atomic */
	_Atomic uint64_t cached_pages;/* atomic: pages in per-CPU caches */
	_Atomic uint64_t nr_chunks, chunks_unmapped, alloc_fail; /* atomic */
	uint64_t min_free;            /* pool.lock: fewest resident free pages since the last tick */
	uint64_t peak;                /* pool.lock: pages out (used or cached), decaying peak */
	uint64_t releasing;           /* pool.lock: pages off the free list, being released (on no list) */
	struct worker trimmer;        /* with trim_interval_ms; its lock guards nothing else */
};

/* ---------------------------------------------------------------- lists */

static void list_init(struct pg_list *l)
{
	l->head.prev = l->head.next = &l->head;
	atomic_store_relaxed(&l->len, 0);
}

static void list_push(struct pg_list *l, struct pg_desc *d)
{
	d->next = l->head.next;
	d->prev = &l->head;
	l->head.next->prev = d;
	l->head.next = d;
	atomic_add_relaxed(&l->len, 1);
}

static void list_del(struct pg_list *l, struct pg_desc *d)
{
	d->prev->next = d->next;
	d->next->prev = d->prev;
	d->prev = d->next = NULL;
	atomic_sub_relaxed(&l->len, 1);
}

static struct pg_desc *list_pop(struct pg_list *l)
{
	struct pg_desc *d = l->head.next;

	if (d == &l->head)
		return NULL;
	list_del(l, d);
	return d;
}

/* ---------------------------------------------------------------- chunks */

static struct pg_chunk *chunk_of(struct pg_pool *p, const void *page)
{
	return rtree_lookup(p->chunk_index, (uintptr_t)page >> PG_CHUNK_SHIFT);
}

static struct pg_desc *desc_of(struct pg_pool *p, const void *page, struct pg_chunk **cp)
{
	struct pg_chunk *c = chunk_of(p, page);

	if (!c)
		return NULL;
	*cp = c;
	return &c->desc[((const char *)page - c->base) >> PAGE_SHIFT];
}

static char *page_of(struct pg_desc *d)
{
	return d->chunk->base + ((size_t)(d - d->chunk->desc) << PAGE_SHIFT);
}

/* Map a new chunk and put all its pages on the released list (they are not
 * faulted in yet, which is what "released" means). Caller holds pool.lock. */
static int chunk_add_locked(struct pg_pool *p)
{
	struct pg_chunk *c = base_calloc(1, sizeof(*c));
	void *mem;
	int err;

	if (!c)
		return -ENOMEM;
	err = os_mmap_anon(PG_CHUNK_SIZE, PG_CHUNK_SIZE, &mem);
	if (err) {
		base_free(c);
		return err;
	}
	c->base = mem;
	err = rtree_store(p->chunk_index, (uintptr_t)mem >> PG_CHUNK_SHIFT, c, NULL);
	if (err) {
		os_munmap(mem, PG_CHUNK_SIZE);
		base_free(c);
		return err;
	}
	for (size_t i = PG_PER_CHUNK; i-- > 0;) {
		c->desc[i].chunk = c;
		c->desc[i].state = PG_RELEASED;
		list_push(&p->released, &c->desc[i]);
	}
	c->next_chunk = p->chunks;
	p->chunks = c;
	atomic_add_relaxed(&p->nr_chunks, 1);
	return 0;
}

/* Take a chunk with nothing out off every list, unmap it. pool.lock held,
 * dropped around munmap. */
static void chunk_remove_locked(struct pg_pool *p, struct pg_chunk *c)
{
	for (size_t i = 0; i < PG_PER_CHUNK; i++) {
		struct pg_desc *d = &c->desc[i];
		list_del(d->state == PG_FREE ? &p->free : &p->released, d);
	}
	for (struct pg_chunk **pp = &p->chunks; *pp; pp = &(*pp)->next_chunk)
		if (*pp == c) {
			*pp = c->next_chunk;
			break;
		}
	rtree_erase(p->chunk_index, (uintptr_t)c->base >> PG_CHUNK_SHIFT);
	atomic_sub_relaxed(&p->nr_chunks, 1);
	atomic_add_relaxed(&p->chunks_unmapped, 1);
	mutex_unlock(&p->lock);
	os_munmap(c->base, PG_CHUNK_SIZE);
	base_free(c);
	mutex_lock(&p->lock);
}

static void trim_locked(struct pg_pool *p, uint64_t keep);

/*
 * One decay tick: give back only what stayed free for the whole interval
 * (the fewest free pages seen since the last tick), and of that only what
 * exceeds both the watermark and the room to the recent peak: a pool that
 * was this big a moment ago will likely be again (a swap-in burst frees
 * what the next swap-out burst stores), and a page given back costs an
 * madvise now and a page fault (10+ us on some guests) when it is reused.
 * The peak decays by an eighth a tick (half-life about 5 ticks), so a
 * pool that stays small returns its memory within seconds.
 */
static void decay_tick(struct pg_pool *p)
{
	mutex_lock(&p->trim_lock);
	mutex_lock(&p->lock);
	uint64_t free_now = atomic_load_relaxed(&p->free.len), wm = p->cfg.free_watermark >> PAGE_SHIFT;
	uint64_t idle = MIN(p->min_free, free_now);
	uint64_t held = atomic_load_relaxed(&p->nr_chunks) * PG_PER_CHUNK - atomic_load_relaxed(&p->released.len);
	uint64_t out_now = held - free_now, out_peak = held - idle; /* pages out at most since the last tick */
	p->peak = MAX(out_peak, p->peak - p->peak / PEAK_DECAY);
	uint64_t keep = MAX(wm, p->peak > out_now ? p->peak - out_now : 0);
	if (idle > keep)
		trim_locked(p, free_now - (idle - keep));
	p->min_free = atomic_load_relaxed(&p->free.len);
	mutex_unlock(&p->lock);
	mutex_unlock(&p->trim_lock);
}

static void *trimmer_main(void *arg)
{
	struct pg_pool *p = arg;
	struct timespec ts;

	mutex_lock(&p->trimmer.lock);
	while (!p->trimmer.stop) {
		os_deadline(&ts, (uint64_t)p->cfg.trim_interval_ms * 1000000u);
		pthread_cond_timedwait(&p->trimmer.cond, &p->trimmer.lock.m, &ts);
		if (p->trimmer.stop)
			break;
		mutex_unlock(&p->trimmer.lock);
		if (p->cfg.tick)
			p->cfg.tick(p->cfg.tick_arg);
		decay_tick(p);
		mutex_lock(&p->trimmer.lock);
	}
	mutex_unlock(&p->trimmer.lock);
	return NULL;
}

void pg_stop_background(struct pg_pool *p)
{
	if (p)
		worker_stop(&p->trimmer);
}

/* ---------------------------------------------------------------- pool */

int pg_pool_create(const struct pg_config *cfg, struct pg_pool **out)
{
	struct pg_pool *p = base_calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (cfg)
		p->cfg = *cfg;
	if (!p->cfg.free_watermark)
		p->cfg.free_watermark = PG_DEFAULT_FREE_WATERMARK;
	p->nr_pcp = pcpu_nr_possible();
	p->pcp = base_aligned_alloc(CACHE_LINE, p->nr_pcp * sizeof(*p->pcp));
	p->chunk_index = rtree_create();
	if (!p->pcp || !p->chunk_index) {
		rtree_destroy(p->chunk_index);
		base_free(p->pcp);
		base_free(p);
		return -ENOMEM;
	}
	mutex_init(&p->lock);
	mutex_init(&p->trim_lock);
	for (unsigned i = 0; i < p->nr_pcp; i++)
		mutex_init(&p->pcp[i].lock);
	list_init(&p->free);
	list_init(&p->released);
	worker_init(&p->trimmer);
	if (p->cfg.trim_interval_ms && worker_start(&p->trimmer, "trim", trimmer_main, p)) {
		pg_pool_destroy(p);
		return -EAGAIN;
	}
	*out = p;
	return 0;
}

/* Frees every chunk, whether or not its pages were given back. */
void pg_pool_destroy(struct pg_pool *p)
{
	if (!p)
		return;
	pg_stop_background(p);
	worker_destroy(&p->trimmer);
	for (struct pg_chunk *c = p->chunks, *n; c; c = n) {
		n = c->next_chunk;
		os_munmap(c->base, PG_CHUNK_SIZE);
		base_free(c);
	}
	for (unsigned i = 0; i < p->nr_pcp; i++)
		mutex_destroy(&p->pcp[i].lock);
	rtree_destroy(p->chunk_index);
	mutex_destroy(&p->lock);
	mutex_destroy(&p->trim_lock);
	base_free(p->pcp);
	base_free(p);
}

static bool over_limit(struct pg_pool *p, unsigned n)
{
	uint64_t max = p->cfg.max_bytes >> PAGE_SHIFT;

	return max && atomic_load_relaxed(&p->used_pages) + n > max;
}

/* madvise(advice) the pages, one call per run of adjacent ones. */
static void madvise_runs(void *const *pages, unsigned n, int advice)
{
	for (unsigned i = 0; i < n;) {
		unsigned j = i + 1;
		while (j < n && (char *)pages[j] == (char *)pages[j - 1] + PAGE_SIZE)
			j++;
		os_madvise(pages[i], (size_t)(j - i) << PAGE_SHIFT, advice);
		i = j;
	}
}

/* Move free pages from the lists into cache c until it holds n: resident
 * pages first, then released ones, then a new chunk. Caller holds c->lock;
 * the released ones are populated after pool.lock is dropped. */
static void pcp_refill(struct pg_pool *p, struct pcpu_cache *c, unsigned n)
{
	void *fresh[PCP_MAX];
	unsigned nr_fresh = 0;

	mutex_lock(&p->lock);
	while (c->nr < n) {
		struct pg_desc *d = list_pop(&p->free);
		if (!d && (d = list_pop(&p->released)))
			fresh[nr_fresh++] = page_of(d);
		if (!d) {
			if (chunk_add_locked(p))
				break;
			continue;
		}
		d->state = PG_CACHED;
		d->chunk->nr_out++;
		c->pages[c->nr++] = page_of(d);
		atomic_add_relaxed(&p->cached_pages, 1);
	}
	p->min_free = MIN(p->min_free, atomic_load_relaxed(&p->free.len));
	mutex_unlock(&p->lock);
	/* Fault in the pages that were released (or never touched) before they
	 * are handed out: a first touch costs a page fault each (10-11 us on
	 * the PVM guests), MADV_POPULATE_WRITE does the same work for 5.6-6 us
	 * a page. Best effort: a kernel without it (before 5.14) or a refusal
	 * leaves the pages to fault as before. */
	if (p->cfg.populate)
		madvise_runs(fresh, nr_fresh, MADV_POPULATE_WRITE);
}

/* Give one page back to the lists. Caller holds pool.lock. Returns the
 * chunk if it now has nothing out (a candidate for unmapping). */
static struct pg_chunk *page_put_locked(struct pg_pool *p, void *page)
{
	struct pg_chunk *c;
	struct pg_desc *d = desc_of(p, page, &c);

	d->state = PG_FREE;
	list_push(&p->free, d);
	return --c->nr_out == 0 ? c : NULL;
}

/* Move the oldest n pages of cache c back to the free list. Caller holds c->lock. */
static void pcp_drain(struct pg_pool *p, struct pcpu_cache *c, unsigned n)
{
	n = MIN(n, c->nr);
	mutex_lock(&p->lock);
	for (unsigned i = 0; i < n; i++)
		page_put_locked(p, c->pages[i]);
	mutex_unlock(&p->lock);
	memmove(c->pages, c->pages + n, (c->nr - n) * sizeof(void *));
	c->nr -= n;
	atomic_sub_relaxed(&p->cached_pages, n);
}

/*
 * A page, or NULL when the pool is at max_bytes or the OS refused memory
 * (counted in alloc_fail). The page's content is undefined. Any thread; may
 * take the pool lock and mmap.
 */
void *pg_alloc(struct pg_pool *p)
{
	if (over_limit(p, 1)) {
		atomic_add_relaxed(&p->alloc_fail, 1);
		return NULL;
	}
	struct pcpu_cache *c = &p->pcp[pcpu_current() % p->nr_pcp];
	void *page = NULL;

	mutex_lock(&c->lock);
	if (!c->nr)
		pcp_refill(p, c, PCP_BATCH);
	if (c->nr) {
		page = c->pages[--c->nr];
		atomic_sub_relaxed(&p->cached_pages, 1);
		atomic_add_relaxed(&p->used_pages, 1);
	}
	mutex_unlock(&c->lock);
	if (!page)
		atomic_add_relaxed(&p->alloc_fail, 1);
	return page;
}

/* Return a page from pg_alloc. Any thread. */
void pg_free(struct pg_pool *p, void *page)
{
	struct pcpu_cache *c = &p->pcp[pcpu_current() % p->nr_pcp];

	atomic_sub_relaxed(&p->used_pages, 1);
	mutex_lock(&c->lock);
	if (c->nr == PCP_MAX)
		pcp_drain(p, c, PCP_BATCH);
	c->pages[c->nr++] = page;
	atomic_add_relaxed(&p->cached_pages, 1);
	mutex_unlock(&c->lock);
	if (!p->cfg.trim_interval_ms &&
	    (atomic_load_relaxed(&p->cached_pages) + atomic_load_relaxed(&p->free.len)) << PAGE_SHIFT >
		    2 * p->cfg.free_watermark)
		pg_trim(p, false);
}

/* Madvise pages away; they were unlinked by the caller. */
static void release_pages(struct pg_pool *p, void **pages, unsigned n)
{
	madvise_runs(pages, n, p->cfg.use_madv_free ? MADV_FREE : MADV_DONTNEED);
}

static uint64_t chunk_free_pages(const struct pg_chunk *c)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < PG_PER_CHUNK; i++)
		n += c->desc[i].state == PG_FREE;
	return n;
}

/* Move free resident pages above keep to the released list, unmapping
 * chunks that end up with nothing out (unless their free pages are needed
 * to keep keep). Caller holds pool.lock (dropped
 * around the system calls). */
static void trim_locked(struct pg_pool *p, uint64_t keep)
{
	void *batch[64];
	unsigned n = 0;

	while (atomic_load_relaxed(&p->free.len) > keep) {
		for (n = 0; n < ARRAY_SIZE(batch) && atomic_load_relaxed(&p->free.len) > keep; n++) {
			struct pg_desc *d = list_pop(&p->free);
			d->state = PG_UNUSED; /* in transit: on no list */
			batch[n] = page_of(d);
		}
		p->releasing = n; /* pg_stats counts them released: the identity holds meanwhile */
		mutex_unlock(&p->lock);
		release_pages(p, batch, n);
		mutex_lock(&p->lock);
		p->releasing = 0;
		for (unsigned i = 0; i < n; i++) {
			struct pg_chunk *c;
			struct pg_desc *d = desc_of(p, batch[i], &c);
			d->state = PG_RELEASED;
			list_push(&p->released, d);
		}
	}
	for (struct pg_chunk *c = p->chunks, *next; c; c = next) {
		next = c->next_chunk;
		if (c->nr_out == 0 && atomic_load_relaxed(&p->free.len) >= keep + chunk_free_pages(c))
			chunk_remove_locked(p, c); /* its free pages are not among those kept */
	}
}

/*
 * Give free memory back to the OS: resident free pages above the
 * watermark (all of them, and every per-CPU cache, with force), and whole
 * chunks with nothing out. Returns at once if another thread is trimming.
 */
void pg_trim(struct pg_pool *p, bool force)
{
	if (force)
		mutex_lock(&p->trim_lock);
	else if (!mutex_trylock(&p->trim_lock))
		return;
	if (force)
		for (unsigned i = 0; i < p->nr_pcp; i++) {
			struct pcpu_cache *c = &p->pcp[i];
			mutex_lock(&c->lock);
			pcp_drain(p, c, c->nr);
			mutex_unlock(&c->lock);
		}
	mutex_lock(&p->lock);
	trim_locked(p, force ? 0 : p->cfg.free_watermark >> PAGE_SHIFT);
	mutex_unlock(&p->lock);
	mutex_unlock(&p->trim_lock);
}

void pg_stats(struct pg_pool *p, struct pg_stats *st)
{
	mutex_lock(&p->lock);
	st->used_pages = atomic_load_relaxed(&p->used_pages);
	st->free_pages = atomic_load_relaxed(&p->free.len) + atomic_load_relaxed(&p->cached_pages);
	st->released_pages = atomic_load_relaxed(&p->released.len) + p->releasing;
	st->chunks = atomic_load_relaxed(&p->nr_chunks);
	st->chunks_unmapped = atomic_load_relaxed(&p->chunks_unmapped);
	st->alloc_fail = atomic_load_relaxed(&p->alloc_fail);
	mutex_unlock(&p->lock);
}

/*
 * The accounting equation, checked page by page: every page of every
 * chunk is out (used or in a per-CPU cache), free or released, and the
 * lists' lengths match the states. Blocks allocation and trimming while it
 * runs (debug builds call it after compaction and migration). 0 or
 * -EUCLEAN.
 */
int pg_validate(struct pg_pool *p)
{
	uint64_t chunks = 0, out = 0, nfree = 0, nrel = 0;
	bool ok;

	mutex_lock(&p->trim_lock);
	mutex_lock(&p->lock);
	for (struct pg_chunk *c = p->chunks; c; c = c->next_chunk) {
		chunks++;
		out += c->nr_out;
		for (unsigned i = 0; i < PG_PER_CHUNK; i++) {
			nfree += c->desc[i].state == PG_FREE;
			nrel += c->desc[i].state == PG_RELEASED;
		}
	}
	ok = chunks == atomic_load_relaxed(&p->nr_chunks) && nfree == atomic_load_relaxed(&p->free.len) &&
	     nrel == atomic_load_relaxed(&p->released.len) && out + nfree + nrel == chunks * PG_PER_CHUNK;
	mutex_unlock(&p->lock);
	mutex_unlock(&p->trim_lock);
	return ok ? 0 : -EUCLEAN;
}

/* Bytes of pages in use: what zsmalloc reports as its pool size. */
uint64_t pg_used_bytes(struct pg_pool *p) { return atomic_load_relaxed(&p->used_pages) << PAGE_SHIFT; }

bool pg_owns(struct pg_pool *p, const void *page)
{
	return ((uintptr_t)page & (PAGE_SIZE - 1)) == 0 && chunk_of(p, page) != NULL;
}

uint64_t pg_chunk_used(struct pg_pool *p, const void *page)
{
	mutex_lock(&p->lock);
	struct pg_chunk *c = chunk_of(p, page);
	uint64_t n = c ? c->nr_out : 0;
	mutex_unlock(&p->lock);
	return n;
}
