/*
 * swap_readahead.c - swap readahead: entries next to a swap-in are read
 * before anyone asks for them (design-digest 2.6).
 *
 * Windows. A miss (a swap-in that reads its page from an O_DIRECT device
 * and was not predicted) reads ahead a window of the following entries (by
 * entry id, the kernel's cluster readahead) that live on the same device:
 * 2^k entries, k growing with the hits since the last miss up to
 * page_cluster, and none when the last window went unused and this miss is
 * not next to the last one (random access). The first entry of every
 * window is a marker (swap_meta.ra_next*): a thread that reaches it in
 * sequence starts the next window, twice as large up to RA_ASYNC_MAX, on
 * the readahead worker, so a sequential reader always has a window in
 * flight ahead of it, as the kernel's file readahead keeps one.
 * page_cluster 0 turns readahead off.
 *
 * Only O_DIRECT devices are read ahead here: a buffered file or block
 * device has the kernel's page cache below it, whose own readahead serves
 * a swap-in that reads straight into the caller's page. Reading windows
 * into our swap cache as well copied every page twice (page cache -> swap
 * cache -> caller) and held sequential swap-in to about 0.65 of pread;
 * asking the kernel for the window's slots with readahead(2) halved
 * sequential swap-in from a cold file with zswap in front (0.44-0.49
 * against 0.91 without). On an O_DIRECT device a miss reads its own page
 * straight into the caller's buffer together with the first window, in
 * one batch; later windows are read by the worker in chunks of RA_CHUNK
 * pages, each made visible as soon as it is in.
 *
 * A page in the swap cache holds its entry's claim (HAS_CACHE); whoever
 * takes it out of the cache answers for the claim: a swap-in that takes it
 * keeps the claim as its own, a free or swapoff that drops it releases the
 * claim, and the reader releases it when the read failed or the entry lost
 * its last owner meanwhile. Pages are never locked across a read and no
 * thread holds two page locks. A page whose read is still running is in
 * the cache but not up to date: a swap-in that finds it waits on ra_done
 * (woken after every chunk) and looks again. At most RA_MAX pages sit in
 * the cache: before a window is read, the oldest read-ahead pages
 * (ra_fifo) are dropped, so pages nobody takes cannot stop readahead. An
 * entry's marks (swap_meta.ra*) change only under its claim.
 *
 * Lock order: an entry's claim -> swap_page.lock -> ra_worker.lock;
 * dev_lock (read) is taken alone; ra_worker.lock is never held across I/O
 * or a page lock.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "swap/swap_sys.h"

#define RA_SPIN 20000 /* pause instructions before sleeping in ra_wait */

static void ra_batch_done(struct swap_sys *s)
{
	mutex_lock(&s->ra.worker.lock);
	atomic_store_rel(&s->ra.seq, atomic_load_relaxed(&s->ra.seq) + 1);
	pthread_cond_broadcast(&s->ra.done);
	mutex_unlock(&s->ra.worker.lock);
}

static uint64_t ra_seq(struct swap_sys *s) { return atomic_load_acq(&s->ra.seq); }

/* Wait until a batch finishes after seq was read (or 2 ms pass: the page
 * may belong to a window that another swap-in reads itself). A chunk takes
 * tens of microseconds, about what waking a sleeping thread costs: spin a
 * little first. */
static void ra_wait(struct swap_sys *s, uint64_t seq)
{
	struct timespec until;

	for (int i = 0; i < RA_SPIN; i++) {
		if (atomic_load_acq(&s->ra.seq) != seq)
			return;
		cpu_relax();
	}
	os_deadline(&until, 2000000);
	mutex_lock(&s->ra.worker.lock);
	while (atomic_load_relaxed(&s->ra.seq) == seq &&
	       pthread_cond_timedwait(&s->ra.done, &s->ra.worker.lock.m, &until) != ETIMEDOUT)
		;
	mutex_unlock(&s->ra.worker.lock);
}

/* Drop the page read ahead for e, releasing the claim it held (the entry
 * goes if nobody references it any more). */
void swap_ra_drop(struct swap_sys *s, swp_entry_t e)
{
	struct swap_page *p = swap_cache_lookup(s->cache, e);

	if (!p)
		return;
	if (swap_page_lock_valid(p, e)) {
		swap_cache_del(s->cache, p);
		mutex_unlock(&p->lock);
		swapcache_clear(s->space, e); /* we took it out: the claim is ours to drop */
	}
	swap_page_put(s->cache, p);
}

/* ---------------------------------------------------------------- room */

/* The oldest entry read ahead, taken off the list. ra_worker.lock held;
 * the list is not empty. */
static uint64_t fifo_pop_locked(struct swap_sys *s)
{
	uint64_t e = s->ra.fifo[s->ra.fhead];

	s->ra.fhead = (s->ra.fhead + 1) % (2 * RA_MAX);
	s->ra.flen--;
	return e;
}

/* Remember e as read ahead; when the list is full, the oldest comes back
 * in *victim for the caller to drop (0: none). */
static void fifo_push(struct swap_sys *s, swp_entry_t e, uint64_t *victim)
{
	mutex_lock(&s->ra.worker.lock);
	*victim = s->ra.flen == 2 * RA_MAX ? fifo_pop_locked(s) : 0;
	s->ra.fifo[(s->ra.fhead + s->ra.flen++) % (2 * RA_MAX)] = e.val;
	mutex_unlock(&s->ra.worker.lock);
}

/* Drop the oldest read-ahead pages until want more pages fit under RA_MAX
 * (entries already taken cost nothing to drop: they have no page). */
static void make_room(struct swap_sys *s, unsigned want)
{
	uint64_t old[64];

	while (swap_cache_pages(s->cache) + want > RA_MAX) {
		unsigned n = 0;
		mutex_lock(&s->ra.worker.lock);
		while (n < 64 && s->ra.flen)
			old[n++] = fifo_pop_locked(s);
		mutex_unlock(&s->ra.worker.lock);
		if (!n)
			return;
		for (unsigned i = 0; i < n; i++)
			swap_ra_drop(s, (swp_entry_t){old[i]});
	}
}

/* ---------------------------------------------------------------- reading */

/* A window being read: the pages and where they come from. */
struct ra_batch {
	int dev, n;
	swp_entry_t nbs[RA_ASYNC_MAX + 1];
	struct swap_page *pages[RA_ASYNC_MAX + 1];
	uint64_t slots[RA_ASYNC_MAX + 1];
	struct swap_seal seals[RA_ASYNC_MAX + 1];
	void *bufs[RA_ASYNC_MAX + 1];
	int res[RA_ASYNC_MAX + 1];
};

/*
 * Claim neighbour nb for readahead if it lives on device dev (index + 1):
 * it goes into the batch as a cache page, not yet up to date, carrying the
 * marker if one is given (next_n > 0). False: free, someone else has it,
 * or not on dev.
 */
static bool ra_prepare(struct swap_sys *s, struct ra_batch *b, swp_entry_t nb, uint64_t next, unsigned next_n)
{
	if (swapcache_prepare(s->space, nb))
		return false;
	struct swap_meta *m = meta_get(s, nb);
	struct swap_page *p = m && m->dev == b->dev ? swap_page_alloc(s->cache) : NULL;
	if (p) {
		/* Everything about nb is read and marked while the claim is ours
		 * alone: once the page is in the cache, a free of nb may drop it,
		 * release the claim and free nb (its record with it). */
		b->nbs[b->n] = nb;
		b->pages[b->n] = p;
		b->slots[b->n] = m->slot;
		b->seals[b->n] = m->seal;
		b->bufs[b->n] = p->data;
		m->ra = true;
		m->ra_next = next;
		m->ra_next_n = next_n;
		if (!swap_cache_add(s->cache, nb, p)) {
			uint64_t victim;
			b->n++;
			fifo_push(s, nb, &victim);
			if (victim && victim != nb.val)
				swap_ra_drop(s, (swp_entry_t){victim});
			return true;
		}
		m->ra = false;
		m->ra_next_n = 0;
		swap_page_put(s->cache, p);
	}
	swapcache_clear(s->space, nb);
	return false;
}

/*
 * Finish a neighbour's read. Keep the page if the read was good (its seal
 * checked) and nb still has an owner (an owner that went away meanwhile
 * found no page to drop, or will find this one under its lock); else drop
 * it and release the claim, if the page still holds it.
 */
static void ra_finish(struct swap_sys *s, swp_entry_t nb, struct swap_page *p, int res)
{
	bool good = res == 0;

	mutex_lock(&p->lock);
	bool mine = atomic_load_acq(&p->entry) == nb.val;
	bool keep = mine && good && swap_count(s->space, nb) > 0;
	if (keep) {
		atomic_store_rel(&p->uptodate, true);
		atomic_add_relaxed(&s->ra.swap_ra, 1);
		atomic_add_relaxed(&s->pswpin, 1); /* as the kernel counts: every page read */
	} else if (mine) {
		swap_cache_del(s->cache, p);
	}
	mutex_unlock(&p->lock);
	swap_page_put(s->cache, p); /* the cache keeps its own reference, if any */
	if (mine && !keep)
		swapcache_clear(s->space, nb);
}

#define RA_CHUNK 32 /* pages read and made visible together */

/* Read pages [from, to) of the batch from its device. Neighbours in
 * [first_nb, to) are finished; [0, first_nb) is the caller's own page. */
static void chunk_read(struct swap_sys *s, struct ra_batch *b, int from, int to, int first_nb)
{
	read_lock(&s->dev_lock);
	struct swap_device *d = dev_pin(s, b->dev - 1);
	read_unlock(&s->dev_lock);
	if (d) {
		swap_backing_readv(d->b, b->slots + from, b->bufs + from, to - from, b->res + from, b->seals + from);
		dev_unpin(d);
	} else {
		for (int i = from; i < to; i++)
			b->res[i] = -EIO;
	}
	for (int i = MAX(from, first_nb); i < to; i++)
		ra_finish(s, b->nbs[i], b->pages[i], b->res[i]);
	ra_batch_done(s);
}

/* Read the batch in chunks, each made visible (and waiters woken) as soon
 * as it is in, so a swap-in that caught up with the window waits for one
 * chunk, not the whole window. */
static void batch_read(struct swap_sys *s, struct ra_batch *b, int first_nb)
{
	for (int i = 0; i < b->n; i += RA_CHUNK)
		chunk_read(s, b, i, MIN(i + RA_CHUNK, b->n), first_nb);
}

/* Claim up to n entries from offset first on device dev into b, the first
 * one claimed carrying the marker for the window after this one. */
static void batch_fill(struct swap_sys *s, struct ra_batch *b, uint64_t first, unsigned n)
{
	unsigned next_n = MIN(2 * n, RA_ASYNC_MAX);
	bool marked = false;

	for (unsigned k = 0; k < n; k++)
		if (ra_prepare(s, b, swp_entry(SWP_TYPE_VIRTUAL, first + k), first + n, marked ? 0 : next_n))
			marked = true;
}

/* The window a miss at e reads: 1 (e alone) when access looks random,
 * else 2^k >= hits + 2, at most 2^page_cluster. */
static unsigned miss_window(struct swap_sys *s, swp_entry_t e)
{
	unsigned max = 1u << atomic_load_relaxed(&s->ra.page_cluster), w = 2;
	if (max <= 1)
		return 1;
	uint64_t all = atomic_load_relaxed(&s->ra.swap_ra_hit), off = swp_offset(e);
	uint64_t hits = all - atomic_xchg_acq_rel(&s->ra.hits_seen, all);
	uint64_t last = atomic_xchg_acq_rel(&s->ra.last_miss, off);
	if (!hits && off != last + 1 && off + 1 != last)
		return 1;
	while (w < hits + 2 && w < max)
		w <<= 1;
	return MIN(w, max);
}

/*
 * Read a window into the swap cache: n entries from offset first that live
 * on device dev. With lead_page (a miss), the missing page (lead: its
 * record) is read in the same batch, straight into lead_page, and
 * *lead_res gets its result. False: no memory for the batch, nothing read.
 */
static bool window_read(struct swap_sys *s, int dev, uint64_t first, unsigned n, const struct swap_meta *lead,
			void *lead_page, int *lead_res)
{
	struct ra_batch *b = base_malloc(sizeof(*b));

	if (!b)
		return false;
	make_room(s, n + (lead_page != NULL));
	b->dev = dev;
	b->n = 0;
	if (lead_page) {
		b->slots[0] = lead->slot;
		b->seals[0] = lead->seal;
		b->bufs[0] = lead_page;
		b->n = 1;
	}
	int first_nb = b->n;
	batch_fill(s, b, first, n);
	if (b->n)
		batch_read(s, b, first_nb);
	if (lead_page)
		*lead_res = b->res[0];
	base_free(b);
	return true;
}

/* A miss on an O_DIRECT device: read e's page into page together with a
 * window of w - 1 neighbours into the swap cache, in one batch. */
static int read_with_window(struct swap_sys *s, swp_entry_t e, const struct swap_meta *m, void *page, unsigned w)
{
	int res;

	if (!window_read(s, m->dev, swp_offset(e) + 1, w - 1, m, page, &res))
		return swap_read_device(s, e, m, page);
	return swap_read_result(s, res);
}

static void queue_window(struct swap_sys *s, int dev, uint64_t first, unsigned n);

/* The calling thread's previous swap-in of a predicted page. */
static _Thread_local struct {
	struct swap_sys *s;
	uint64_t off;
} last_in;

/* Whether this thread's swap-ins are walking forward through e's
 * neighbourhood: a marker starts the next window only then, not when a
 * random walk happens to land on it. */
static bool in_sequence(struct swap_sys *s, swp_entry_t e)
{
	uint64_t off = swp_offset(e);
	bool seq = last_in.s == s && off > last_in.off && off - last_in.off <= 2;

	last_in.s = s;
	last_in.off = off;
	return seq;
}

/* e was swapped in (the caller holds its claim): clear its marks, count a
 * predicted page, start the next window if e is a marker reached in
 * sequence. True when e had been read ahead. */
static bool ra_consume(struct swap_sys *s, swp_entry_t e, struct swap_meta *m)
{
	bool predicted = m->ra != 0, seq = in_sequence(s, e);

	m->ra = 0;
	if (predicted && seq && m->ra_next_n)
		queue_window(s, m->dev, m->ra_next, m->ra_next_n);
	m->ra_next_n = 0;
	return predicted;
}

/* e came from zswap: no readahead there, but it is a step of this
 * thread's walk (pages in zswap sit between pages on the device). */
void swap_ra_seen(struct swap_sys *s, swp_entry_t e) { in_sequence(s, e); }

/*
 * Swap in e from its device (the caller holds e's claim) into page, and
 * on a device with no page cache below (O_DIRECT, a Redis Cluster) read
 * ahead: a miss reads a window with e, a marker starts the next one.
 * Returns swap_read_result's codes.
 */
int swap_ra_read(struct swap_sys *s, swp_entry_t e, struct swap_meta *m, void *page)
{
	struct swap_device *d = entry_dev(s, m);

	if (!d || !swap_backing_wants_readahead(d->b))
		return swap_read_device(s, e, m, page);
	if (!ra_consume(s, e, m)) {
		unsigned w = miss_window(s, e);
		if (w > 1)
			return read_with_window(s, e, m, page, w);
	}
	return swap_read_device(s, e, m, page);
}

/* ---------------------------------------------------------------- the worker */

/* A window on an O_DIRECT device: read into the swap cache. */
static void run_window(struct swap_sys *s, const struct ra_window *w)
{
	window_read(s, w->dev, w->first, w->n, NULL, NULL, NULL); /* no memory: a window less */
}

static void *worker_main(void *arg)
{
	struct swap_sys *s = arg;

	mutex_lock(&s->ra.worker.lock);
	for (;;) {
		while (!s->ra.qlen && !s->ra.worker.stop)
			pthread_cond_wait(&s->ra.worker.cond, &s->ra.worker.lock.m);
		if (!s->ra.qlen)
			break;
		struct ra_window w = s->ra.queue[s->ra.qhead];
		s->ra.qhead = (s->ra.qhead + 1) % RA_QUEUE;
		s->ra.qlen--;
		s->ra.busy = true;
		mutex_unlock(&s->ra.worker.lock);
		run_window(s, &w);
		mutex_lock(&s->ra.worker.lock);
		s->ra.busy = false;
		pthread_cond_broadcast(&s->ra.done);
	}
	mutex_unlock(&s->ra.worker.lock);
	return NULL;
}

/* Hand a window to the worker; a full queue drops it (readahead is a
 * hint). */
static void queue_window(struct swap_sys *s, int dev, uint64_t first, unsigned n)
{
	mutex_lock(&s->ra.worker.lock);
	bool covered = first >= s->ra.cover_lo && first < s->ra.cover_hi; /* a miss inside the last window */
	if (s->ra.qlen < RA_QUEUE && !s->ra.worker.stop && !covered) {
		s->ra.cover_lo = first;
		s->ra.cover_hi = first + n;
		s->ra.queue[(s->ra.qhead + s->ra.qlen++) % RA_QUEUE] = (struct ra_window){dev, first, n};
		pthread_cond_signal(&s->ra.worker.cond);
	}
	mutex_unlock(&s->ra.worker.lock);
}

/* Wait until the worker has done every window queued so far. */
void swap_sys_ra_drain(struct swap_sys *s)
{
	mutex_lock(&s->ra.worker.lock);
	while (s->ra.qlen || s->ra.busy)
		pthread_cond_wait(&s->ra.done, &s->ra.worker.lock.m);
	mutex_unlock(&s->ra.worker.lock);
}

/* Sets up readahead and starts its worker; swap_ra_stop undoes it (also
 * after a failed start). 0 or -errno. */
int swap_ra_start(struct swap_sys *s)
{
	worker_init(&s->ra.worker);
	pthread_cond_init(&s->ra.done, NULL);
	return worker_start(&s->ra.worker, "readahd", worker_main, s);
}

/* The worker finishes what is queued and exits. */
void swap_ra_stop(struct swap_sys *s)
{
	worker_stop(&s->ra.worker);
	pthread_cond_destroy(&s->ra.done);
	worker_destroy(&s->ra.worker);
}

/* ---------------------------------------------------------------- taking */

enum ra_take { RA_NONE, RA_PENDING, RA_TAKEN };

/*
 * If a page read ahead for e is in the cache, take it: copy it out, take
 * it out of the cache, and keep the claim it held (the caller now owns e
 * as if swapcache_prepare had succeeded). Under the page lock, so two
 * takers cannot both win (R7). RA_PENDING: the page is there but its read
 * is still running.
 */
static enum ra_take ra_take(struct swap_sys *s, swp_entry_t e, void *page)
{
	struct swap_page *p = swap_cache_lookup(s->cache, e);
	enum ra_take r = RA_NONE;

	if (!p)
		return RA_NONE;
	if (swap_page_lock_valid(p, e)) {
		r = RA_PENDING;
		if (atomic_load_acq(&p->uptodate)) {
			os_memcpy(page, p->data, PAGE_SIZE);
			swap_cache_del(s->cache, p);
			r = RA_TAKEN;
		}
		mutex_unlock(&p->lock);
	}
	swap_page_put(s->cache, p);
	if (r == RA_TAKEN)
		atomic_add_relaxed(&s->ra.swap_ra_hit, 1);
	return r;
}

/*
 * Claim e for a swap-in (the caller then owns e's slot state until it
 * clears the claim). Returns 0 (claimed), 1 (claimed by taking the page
 * read ahead for e: page holds its data and its marks are consumed), or
 * -ENOENT (e is free). While someone else holds the claim (another
 * swap-in, writeback, a read ahead still running) it waits and looks
 * again (R6): never two holders.
 */
int swap_ra_claim(struct swap_sys *s, swp_entry_t e, void *page)
{
	int ret;

	while ((ret = swapcache_prepare(s->space, e)) == -EEXIST) {
		uint64_t seq = ra_seq(s);
		enum ra_take t = ra_take(s, e, page);
		if (t == RA_TAKEN) { /* its claim is ours now */
			struct swap_meta *m = meta_get(s, e);
			if (m)
				ra_consume(s, e, m);
			return 1;
		}
		if (t == RA_PENDING)
			ra_wait(s, seq); /* being read ahead: wait for the batch */
		else
			sched_yield(); /* another swap-in, or writeback, owns it */
	}
	return ret;
}
