/*
 * zswap_recompress.c - cold entries compressed again with a stronger codec
 * (zram's recompress, built in).
 *
 * With recompress_after set, the worker looks every second at the entries
 * stored at least that many seconds ago and compresses each again with
 * recompress_codec (default zstd:3) into a second pool. A cursor, a
 * dummy node in the LRU, walks from the oldest entry towards the newest
 * and stops at the first one too young; the next pass goes on from there,
 * so each entry is looked at once (entries that writeback's second chance
 * rotates to the tail come past the cursor again, and are skipped when
 * already recompressed). zswap_recompress does the same on demand, for the
 * benchmark and the tests (age 0: every entry).
 *
 * One entry, by the writeback protocol (R2, R11):
 *   1. Under lru_lock, the entry after the cursor is copied out (its swap
 *      entry and pointer) and the cursor moves past it.
 *   2. The slot is claimed through the layer above; -EEXIST (hot or in
 *      flight): skipped.
 *   3. The tree is looked up again: another entry or none means it was
 *      loaded, freed or replaced meanwhile: skipped.
 *   4. It is decompressed and compressed with the stronger codec into a
 *      new entry. Only if that saves RECOMPRESS_MIN_SAVING bytes, the new
 *      entry replaces the old one in the tree (under the claim, so no load
 *      runs meanwhile) and takes its place in the LRU; then, and only
 *      then, the old one is freed. The new copy is in place before the
 *      old goes: a load either finds the old entry or the new one, both
 *      whole.
 *
 * Lock order: the slot's claim -> lru_lock (a leaf).
 */
#include <errno.h>

#include "zswap/zswap_internal.h"

#define RECOMPRESS_MIN_SAVING 64 /* bytes: less is not worth a replacement */

/* The cursor is a dummy entry: length 0, never in a tree. */
bool zswap_is_cursor(const struct zswap *z, const struct zswap_entry *e) { return e == &z->recomp_cursor; }

static void cursor_move_after(struct zswap *z, struct zswap_entry *e)
{
	struct zswap_entry *c = &z->recomp_cursor;

	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->prev = e;
	c->next = e->next;
	e->next->prev = c;
	e->next = c;
}

/* Make the stronger codec's pool and put the cursor at the LRU's head. */
int zswap_recompress_init(struct zswap *z, char *err, size_t errlen)
{
	const char *spec = z->cfg.recompress_codec ? z->cfg.recompress_codec : ZSWAP_DEFAULT_RECOMPRESS_CODEC;
	int ret = zswap_pool_create(z, spec, &z->recomp, err, errlen);

	if (ret)
		return ret;
	write_lock(&z->pools_lock);
	z->pools[z->nr_pools++] = z->recomp; /* counted in pool_total_size; the list's reference */
	write_unlock(&z->pools_lock);
	z->recomp_cursor.prev = z->recomp_cursor.next = &z->recomp_cursor;
	mutex_lock(&z->lru_lock);
	cursor_move_after(z, &z->lru);
	mutex_unlock(&z->lru_lock);
	return 0;
}

/* Step 1. PICKED: *id and *token copied out; PASSED: looked at, not for
 * us; NONE: the cursor reached the newest entry, or one too young. */
static enum pick pick_next(struct zswap *z, unsigned min_age, swp_entry_t *id, const struct zswap_entry **token)
{
	enum pick found = PASSED;

	mutex_lock(&z->lru_lock);
	struct zswap_entry *e = z->recomp_cursor.next;
	if (e == &z->lru || (uint16_t)(zswap_now_s(z) - e->born) < min_age) {
		found = NONE;
	} else {
		cursor_move_after(z, e);
		if (e->pool != z->recomp && !e->raw && !zswap_dedup_busy(e)) {
			*id = e->swpentry;
			*token = e;
			found = PICKED;
		}
	}
	mutex_unlock(&z->lru_lock);
	return found;
}

/* The new entry n takes old's place in the LRU (old is on it: the claim
 * excludes the store that adds an entry and the load that removes it). */
static void lru_replace(struct zswap *z, struct zswap_entry *old, struct zswap_entry *n)
{
	mutex_lock(&z->lru_lock);
	n->referenced = old->referenced;
	n->on_lru = old->on_lru;
	if (old->on_lru) {
		n->prev = old->prev;
		n->next = old->next;
		old->prev->next = n;
		old->next->prev = n;
		old->on_lru = false;
	}
	mutex_unlock(&z->lru_lock);
}

/* Step 4 for e (claimed, checked): a smaller copy in the recompress pool,
 * swapped in; or -E2BIG (no gain) / -ENOMEM, e untouched. */
static int replace(struct zswap *z, struct rtree *t, struct zswap_entry *e, void *page)
{
	unsigned char *buf = scratch_get(SCRATCH_RECOMPRESS);
	int len = buf ? codec_compress(z->recomp->codec, page, buf, z->recomp->huge_size) : -ENOMEM;

	if (len < 0 || len + RECOMPRESS_MIN_SAVING > e->length)
		return -E2BIG;
	struct zswap_entry *n = zswap_entry_alloc(z);
	if (!n)
		return -ENOMEM;
	*n = (struct zswap_entry){.swpentry = e->swpentry, .born = e->born, .group = e->group, .pool = z->recomp};
	if (!(n->handle = zs_malloc(z->recomp->zs, (size_t)len))) {
		zswap_entry_release(z, n);
		return -ENOMEM;
	}
	zs_write(z->recomp->zs, n->handle, buf, (size_t)len);
	n->length = (uint16_t)len;
	atomic_add_relaxed(&z->recomp->ref, 1);
	zswap_account(z, n);
	rtree_cmpxchg(t, swp_offset(e->swpentry), e, n); /* ours under the claim: cannot fail */
	lru_replace(z, e, n);
	pcpu_counter_add(z->ctr, ZC_RECOMPRESSED, 1);
	pcpu_counter_add(z->ctr, ZC_RECOMPRESS_SAVED, e->length - len);
	zswap_entry_free(z, e); /* off the LRU, out of the tree: the old copy goes last */
	return 0;
}

/* Steps 2-4 for the entry copied out as (id, token). */
static int recompress_one(struct zswap *z, swp_entry_t id, const struct zswap_entry *token, void *page)
{
	int err = z->wb.claim(z->wb.arg, id);

	if (err)
		return err;
	struct rtree *t = zswap_tree(z, id);
	struct zswap_entry *e = t ? rtree_lookup(t, swp_offset(id)) : NULL;
	if (e != token)
		err = -EAGAIN;
	else if (zswap_pool_decompress(e->pool, e, page))
		err = -EIO;
	else
		err = replace(z, t, e, page);
	z->wb.release(z->wb.arg, id, false);
	return err;
}

/*
 * Recompress up to nr entries stored at least min_age seconds ago, from
 * where the last pass stopped. Returns how many were replaced by a
 * smaller copy. No-op without recompress_codec's pool or writeback ops
 * (the claim comes from the layer above). Any thread.
 */
long zswap_recompress(struct zswap *z, long nr, unsigned min_age)
{
	unsigned char *page = scratch_get(SCRATCH_RECOMPRESS_PAGE);
	long done = 0;
	swp_entry_t id;
	const struct zswap_entry *token;
	enum pick got;

	if (!z->recomp || !atomic_load_acq(&z->have_wb) || !page)
		return 0;
	while (done < nr && (got = pick_next(z, min_age, &id, &token)) != NONE)
		if (got == PICKED && recompress_one(z, id, token, page) == 0)
			done++;
	return done;
}
