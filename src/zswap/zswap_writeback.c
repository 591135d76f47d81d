/*
 * zswap_writeback.c - the LRU, writeback, and the shrink worker.
 *
 * Writeback is a swap-out resumed from the compressed copy: the oldest
 * entries leave the pool for the backing store. The protocol, from the
 * kernel's races (design-digest R1, R2, R11):
 *   1. Under lru_lock, take the coldest entry. A referenced one gets a
 *      second chance (bit cleared, rotated). Otherwise copy its swap entry
 *      and its pointer out, rotate it to the tail, and drop lru_lock. From
 *      here the entry may be freed at any moment: it is not dereferenced.
 *   2. Claim the slot through the layer above (its HAS_CACHE claim).
 *      This pins the device against swapoff (R1) and excludes load, store
 *      and free of the slot. -EEXIST: the slot is claimed already, the
 *      page is hot or in flight: skip it (R11).
 *   3. Look the slot up in the tree again and compare with the pointer
 *      copied out: a different (or no) entry means it was loaded, freed or
 *      replaced meanwhile (R2): drop the claim, skip.
 *   4. Decompress into a page of the batch. Up to WB_BATCH entries are
 *      claimed and decompressed this way, then written in one batch (the
 *      swap layer submits them to the device together, through io_uring).
 *      Only after its write succeeded is an entry erased and its compressed
 *      copy freed; a failed write leaves the entry where it was.
 *
 * Idle writeback (writeback_after, zram's idle writeback built in): the
 * worker also wakes every second and writes back, in the same batches,
 * the entries stored longer ago than writeback_after seconds, however
 * full the pool. An entry in the pool was not read since it was stored (a
 * load takes it out), so its age is its idle time. The LRU is in store
 * order but for second-chance rotations: the worker takes entries from
 * its head while they are old enough and stops at the first young one
 * (an old entry rotated behind it waits for it).
 *
 * Lock order: lru_lock is a leaf, never held across a claim, a tree
 * operation or an entry free.
 */
#include <errno.h>
#include <pthread.h>

#include "zswap/zswap_internal.h"

/* ---------------------------------------------------------------- LRU */

static void lru_unlink(struct zswap *z, struct zswap_entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	z->lru_len--;
}

static void lru_link_tail(struct zswap *z, struct zswap_entry *e)
{
	e->prev = z->lru.prev;
	e->next = &z->lru;
	z->lru.prev->next = e;
	z->lru.prev = e;
	z->lru_len++;
}

/* Add a complete entry as the newest. */
void zswap_lru_add(struct zswap *z, struct zswap_entry *e)
{
	mutex_lock(&z->lru_lock);
	e->referenced = true;
	e->on_lru = true;
	lru_link_tail(z, e);
	mutex_unlock(&z->lru_lock);
}

/* Take every entry of list (linked by dead_next) off the LRU, under one
 * hold of the lock. */
void zswap_lru_del_list(struct zswap *z, struct zswap_entry *list)
{
	mutex_lock(&z->lru_lock);
	for (struct zswap_entry *e = list; e; e = e->dead_next)
		if (e->on_lru) {
			lru_unlink(z, e);
			e->on_lru = false;
		}
	mutex_unlock(&z->lru_lock);
}

/* Take e off the LRU before it is freed. */
void zswap_lru_del(struct zswap *z, struct zswap_entry *e)
{
	if (!e->length)
		return; /* same-filled entries never join the LRU */
	mutex_lock(&z->lru_lock);
	if (e->on_lru) {
		lru_unlink(z, e);
		e->on_lru = false;
	}
	mutex_unlock(&z->lru_lock);
}

/* ---------------------------------------------------------------- writeback */

#define WB_BATCH 16 /* entries claimed, decompressed and written together */

struct wb_batch {
	swp_entry_t id[WB_BATCH];
	struct zswap_entry *e[WB_BATCH];
	void *page[WB_BATCH];
	struct zswap_obj obj[WB_BATCH]; /* the pages' compressed copies, handed on with them */
	int res[WB_BATCH];
	int n;
};

/* Steps 2-4a for the entry copied out as (id, token): claim it, check it
 * is still the slot's entry, decompress it into page (its compressed
 * bytes into buf, as *obj). 0 with the claim held and the entry in *out,
 * or -errno with nothing held. */
static int wb_prepare(struct zswap *z, swp_entry_t id, const struct zswap_entry *token, void *page, void *buf,
		      struct zswap_obj *obj, struct zswap_entry **out)
{
	int err = z->wb.claim(z->wb.arg, id);

	if (err)
		return err;
	struct rtree *t = zswap_tree(z, id);
	struct zswap_entry *e = t ? rtree_lookup(t, swp_offset(id)) : NULL;
	if (e != token) {
		z->wb.release(z->wb.arg, id, false);
		return -EAGAIN;
	}
	if (zswap_pool_copy_out(e->pool, e, page, buf, obj)) {
		zswap_count(z, ZC_DECOMPRESS_FAIL);
		z->wb.release(z->wb.arg, id, false);
		return -EIO;
	}
	*out = e;
	return 0;
}

/* Step 4b: write the batch; free what was written, release every claim.
 * Returns the entries written. */
static long wb_finish(struct zswap *z, struct wb_batch *b)
{
	long written = 0;

	z->wb.write(z->wb.arg, b->id, b->page, b->obj, b->n, b->res);
	for (int i = 0; i < b->n; i++) {
		if (b->res[i]) {
			zswap_count(z, ZC_REJECT_RECLAIM_FAIL);
			z->wb.release(z->wb.arg, b->id[i], false);
			continue;
		}
		/* Written: now, and only now, the compressed copy goes. */
		struct rtree *t = zswap_tree(z, b->id[i]);
		if (t && rtree_cmpxchg(t, swp_offset(b->id[i]), b->e[i], NULL))
			zswap_entry_free(z, b->e[i]);
		zswap_count(z, ZC_WRITTEN_BACK);
		zswap_count(z, ZC_ZSWPWB);
		z->wb.release(z->wb.arg, b->id[i], true);
		written++;
	}
	b->n = 0;
	return written;
}

/* Step 1: the next entry to write back, copied out. min_age > 0 (idle
 * writeback): only an entry stored at least min_age seconds ago, second
 * chance or not. */
static enum pick pick_coldest(struct zswap *z, struct zswap_group *only, unsigned min_age, swp_entry_t *id,
			      const struct zswap_entry **token)
{
	enum pick found = PASSED;

	mutex_lock(&z->lru_lock);
	struct zswap_entry *e = z->lru.next;
	if (zswap_is_cursor(z, e)) /* recompression's place: not an entry */
		e = e->next;
	if (e == &z->lru || (min_age && (uint16_t)(zswap_now_s(z) - e->born) < min_age)) {
		found = NONE;
	} else {
		/* a shared object stays in the pool for its other sharers anyway */
		bool skip = (only && e->group != only) || !atomic_load_relaxed(&e->group->writeback) ||
			    zswap_dedup_busy(e);
		if (!skip && (!e->referenced || min_age)) {
			*id = e->swpentry;
			*token = e;
			found = PICKED;
		}
		if (!skip)
			e->referenced = false; /* second chance spent */
		lru_unlink(z, e);       /* rotate before unlocking (R2) */
		lru_link_tail(z, e);
	}
	mutex_unlock(&z->lru_lock);
	return found;
}

/* zswap_shrink, or with min_age (seconds) idle writeback's. */
static long shrink(struct zswap *z, long nr, struct zswap_group *only, unsigned min_age)
{
	long written = 0;

	if (!atomic_load_acq(&z->have_wb))
		return 0;
	mutex_lock(&z->lru_lock);
	uint64_t budget = 2 * z->lru_len + 2;
	mutex_unlock(&z->lru_lock);
	/* the batch's pages, then their compressed copies */
	_Static_assert(2 * WB_BATCH * PAGE_SIZE <= SCRATCH_WRITEBACK_BYTES, "a batch fits writeback's scratch");
	unsigned char *buf = scratch_get(SCRATCH_WRITEBACK);

	if (!buf)
		return 0;
	struct wb_batch b = {.n = 0};
	for (uint64_t scanned = 0; written + b.n < nr && scanned < budget; scanned++) {
		swp_entry_t id;
		const struct zswap_entry *token;
		enum pick got = pick_coldest(z, only, min_age, &id, &token);
		if (got == NONE)
			break;
		if (got == PASSED)
			continue;
		unsigned char *page = buf + (size_t)b.n * PAGE_SIZE;
		unsigned char *obj = buf + (size_t)(WB_BATCH + b.n) * PAGE_SIZE;
		if (wb_prepare(z, id, token, page, obj, &b.obj[b.n], &b.e[b.n]) == 0) {
			b.id[b.n] = id;
			b.page[b.n++] = page;
		}
		if (b.n == WB_BATCH)
			written += wb_finish(z, &b);
	}
	if (b.n)
		written += wb_finish(z, &b);
	return written;
}

/*
 * Write back up to nr of the coldest entries (of group only, if given).
 * Returns how many were written. Scans at most twice the LRU, so it ends
 * even when every entry is hot. No-op without writeback ops. Any thread;
 * sleeps in the layer above's write.
 */
long zswap_shrink(struct zswap *z, long nr, struct zswap_group *only) { return shrink(z, nr, only, 0); }

/* ---------------------------------------------------------------- worker */

/* Write back until under the accept threshold. After each batch the
 * zspages it emptied are freed at once (zsmalloc otherwise batches them),
 * or the pool would look full for longer and the worker write back more
 * than it must. Pool pages also hold zsmalloc's fragmentation and the
 * empty zspages it keeps: when writeback runs dry, compact. */
static void shrink_to_threshold(struct zswap *z)
{
	bool compacted = false;

	while (zswap_over_limit(z, atomic_load_relaxed(&z->accept_threshold))) {
		if (zswap_shrink(z, 64, NULL) > 0) {
			zswap_flush(z);
			continue;
		}
		if (compacted)
			break; /* nothing writable: stores stay refused until frees */
		zswap_compact(z);
		compacted = true;
	}
}

/* Idle writeback: every entry older than writeback_after seconds. */
static void write_back_idle(struct zswap *z)
{
	long n;

	while ((n = shrink(z, 64, NULL, z->cfg.writeback_after)) > 0) {
		pcpu_counter_add(z->ctr, ZC_WRITTEN_BACK_IDLE, n);
		zswap_flush(z);
	}
}

/* Sleep until kicked (or stopped); with idle writeback, a second at most.
 * worker.lock held. */
static void worker_wait(struct zswap *z)
{
	struct timespec ts;

	if (!z->cfg.writeback_after && !z->cfg.recompress_after) {
		while (!z->worker_kick && !z->worker.stop)
			pthread_cond_wait(&z->worker.cond, &z->worker.lock.m);
		return;
	}
	os_deadline(&ts, 1000 * 1000 * 1000);
	while (!z->worker_kick && !z->worker.stop)
		if (pthread_cond_timedwait(&z->worker.cond, &z->worker.lock.m, &ts))
			return; /* a second: look for idle (or cold) entries */
}

static void *worker_main(void *arg)
{
	struct zswap *z = arg;

	mutex_lock(&z->worker.lock);
	while (!z->worker.stop) {
		worker_wait(z);
		z->worker_kick = false;
		mutex_unlock(&z->worker.lock);
		zswap_reap(z);
		shrink_to_threshold(z);
		if (z->cfg.writeback_after)
			write_back_idle(z);
		if (z->cfg.recompress_after)
			zswap_recompress(z, 1l << 30, z->cfg.recompress_after);
		mutex_lock(&z->worker.lock);
	}
	mutex_unlock(&z->worker.lock);
	return NULL;
}

/* Ask the worker to bring the pool under the accept threshold. */
void zswap_kick_worker(struct zswap *z)
{
	mutex_lock(&z->worker.lock);
	z->worker_kick = true;
	pthread_cond_signal(&z->worker.cond);
	mutex_unlock(&z->worker.lock);
}

int zswap_writeback_start(struct zswap *z) { return worker_start(&z->worker, "wback", worker_main, z); }

void zswap_writeback_stop(struct zswap *z) { worker_stop(&z->worker); }
