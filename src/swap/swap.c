/*
 * swap.c - the swap system: swap-out, swap-in and free over virtual
 * entries (swapfile.c), their claim, zswap and the devices (page_io.c for
 * a page's I/O, swap_device.c for swapon and swapoff, swap_readahead.c;
 * design-digest 2.5, 2.6).
 *
 * Per-entry metadata (struct swap_meta: the device slot and the page's
 * checksum when the page is on a device, and caller tags, as arm64 MTE
 * keeps tags per swap entry) lives exactly as long as the entry: it is
 * saved at swap-out, handed back at swap-in before the caller makes the
 * page visible and before the caller drops its reference, and freed only
 * in the entry's free callback (R9).
 *
 * Swap-out: allocate an entry (count 1 + HAS_CACHE), zswap first, a device
 * when zswap refuses, clear the claim. No room anywhere: the entry is
 * freed and the caller keeps the page (-ENOSPC), nothing is lost.
 * Swap-in: claim the entry (swapcache_prepare; -EEXIST: someone else is
 * bringing it in or writing it back: wait and retry), load from zswap or
 * read and verify from the device, hand the page to the caller, and keep
 * the claim until swap_in_done says whether the page was installed: only
 * then may the copies go (R3), and only with the last owner's reference
 * (the free callback drops them). This is the synchronous shortcut made
 * safe (R6): no
 * cache page, but an exclusive claim from before the read to after the
 * install.
 * zswap writeback (zswap's claim/write/release): the claim is
 * swapcache_prepare, which also pins the entry's device against swapoff.
 * Swapoff: stop allocation on the device, bring every entry stored there
 * back (to the owner's memory, into zswap or onto another device) under
 * its claim, wait for in-flight
 * users of the device to drain, then let it go (R1, R10).
 *
 * Lock order: an entry's claim -> dev_lock (rwlock: read to use a device,
 * write to add or remove one) -> device users count (atomic) -> backing
 * locks.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "swap/swap_sys.h"


/* ---------------------------------------------------------------- metadata */

/* The entry's device slot goes back and its metadata is freed: only here,
 * when the entry itself is freed (R9). */
static void on_entry_free(void *arg, swp_entry_t e)
{
	struct swap_sys *s = arg;
	struct swap_meta *m = meta_get(s, e);

	if (s->z)
		zswap_invalidate(s->z, e);
	struct swap_device *d = entry_dev(s, m);
	if (d)
		swap_backing_free(d->b, m->slot);
	base_free(m->tags);
	/* Back to zero for the next owner; field by field: an inline memset of
	 * the record measured 0.1 us a page slower (it stalled behind the
	 * page copy's stores). */
	m->dev = 0;
	m->ra = 0;
	m->ra_next_n = 0;
	m->tags_len = 0;
	m->tags = NULL;
}

/* ---------------------------------------------------------------- zswap writeback */

/* zswap's writeback claims the slot like a swap-in does: swapcache_prepare.
 * That excludes loads, stores and frees of the entry and pins its device. */
static int wb_claim(void *arg, swp_entry_t e)
{
	struct swap_sys *s = arg;

	return swapcache_prepare(s->space, e);
}

/* A batch of claimed entries to the devices, together (page_io.c). */
static void wb_write(void *arg, const swp_entry_t *e, void *const *pages, const struct zswap_obj *objs, int n,
		     int *res)
{
	swap_write_batch(arg, e, pages, objs, n, res);
}

static void wb_release(void *arg, swp_entry_t e, bool written)
{
	struct swap_sys *s = arg;

	swapcache_clear(s->space, e);
}

/* ---------------------------------------------------------------- setup */

/*
 * A swap system over zswap z (NULL: devices only) with up to max_entries
 * virtual entries (0: 64M). zswap's writeback goes to this system's
 * devices. Returns 0, -EEXIST (z already serves type 0), -ENOMEM.
 */
int swap_sys_create(struct zswap *z, uint64_t max_entries, struct swap_sys **out)
{
	struct swap_sys *s = base_calloc(1, sizeof(*s));
	bool ra = false;
	int ret = -ENOMEM;

	if (!s)
		return -ENOMEM;
	s->z = z;
	atomic_store_relaxed(&s->ra.page_cluster, SWAP_DEFAULT_PAGE_CLUSTER);
	rwlock_init(&s->dev_lock);
	struct swap_space_config sc = {.max_entries = max_entries, .type = SWP_TYPE_VIRTUAL, .on_free = on_entry_free, .on_free_arg = s,
				       .priv_size = sizeof(struct swap_meta)};
	if (!(ret = swap_cache_create(&s->cache)) && !(ret = swap_space_create(&sc, &s->space)) &&
	    (ra = true, !(ret = swap_ra_start(s))) && z && !(ret = zswap_swapon(z, SWP_TYPE_VIRTUAL))) {
		struct zswap_wb_ops ops = {wb_claim, wb_write, wb_release, s};
		zswap_set_writeback_ops(z, &ops);
	}
	if (ret) {
		if (ra)
			swap_ra_stop(s);
		swap_space_destroy(s->space);
		swap_cache_destroy(s->cache);
		rwlock_destroy(&s->dev_lock);
		base_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

/* Nothing may use s any more: destroy the zswap (its worker calls back
 * into s) first. Entries still allocated are dropped; devices stay open
 * (their owner closes them). */
void swap_sys_destroy(struct swap_sys *s)
{
	if (!s)
		return;
	swap_ra_stop(s);
	for (uint64_t off = 1, end = swap_space_extent(s->space); off < end; off++)
		base_free(meta_get(s, swp_entry(SWP_TYPE_VIRTUAL, off))->tags);
	for (int i = 0; i < SWAP_MAX_DEVICES; i++)
		base_free(s->dev[i]);
	swap_space_destroy(s->space);
	swap_cache_destroy(s->cache);
	rwlock_destroy(&s->dev_lock);
	base_free(s);
}

/* A miss reads ahead up to 2^n pages, and windows that keep being used
 * grow in the background up to 256 (0 turns readahead off; n at most 8). */
int swap_sys_set_page_cluster(struct swap_sys *s, unsigned n)
{
	if (n > SWAP_MAX_PAGE_CLUSTER)
		return -EINVAL;
	atomic_store_relaxed(&s->ra.page_cluster, n);
	return 0;
}

/* ---------------------------------------------------------------- swap-out, swap-in */

/*
 * Swap page out, with tags_len bytes of caller metadata kept with it.
 * Returns 0 and the entry (one reference, the caller's), or: -EINVAL (tags
 * too long), -ENOSPC (no entry, or zswap refused and no device has room:
 * the caller keeps the page), -EIO (every device failed), -ENOMEM.
 */
int swap_out(struct swap_sys *s, const void *page, const void *tags, size_t tags_len, struct zswap_group *g,
	     swp_entry_t *out)
{
	swp_entry_t e;

	if (tags_len > SWAP_TAGS_MAX)
		return -EINVAL;
	int ret = swap_alloc(s->space, &e); /* count 1 + the claim */
	if (ret)
		return ret;
	struct swap_meta *m = meta_get(s, e); /* zeroed: a new or freed entry */
	if (tags_len && !(m->tags = base_malloc(tags_len))) {
		ret = -ENOMEM;
	} else {
		m->tags_len = (uint32_t)tags_len;
		if (tags_len)
			memcpy(m->tags, tags, tags_len);
		if (!s->z || zswap_store(s->z, e, page, g))
			ret = swap_write_device(s, e, page, m);
	}
	swapcache_clear(s->space, e);
	if (ret) {
		atomic_add_relaxed(&s->swapout_fail, 1);
		swap_count_put(s->space, e); /* frees the entry and its metadata */
		return ret;
	}
	*out = e;
	return 0;
}

/*
 * Bring e's page into page (and its tags into tags, SWAP_TAGS_MAX bytes,
 * before anything else can free them: R9). On success the caller holds e's
 * claim until swap_in_done(): install the page, then report. Returns 0;
 * -ENOENT (e is free: the caller's reference was stale); -EIO (the data is
 * corrupt or unreadable: poison the page, never use it).
 */
int swap_in(struct swap_sys *s, swp_entry_t e, void *page, void *tags, size_t *tags_len, enum swapin_from *from)
{
	int ret;

	*from = SWAPIN_NONE;
	if ((ret = swap_ra_claim(s, e, page)) < 0)
		return ret;
	struct swap_meta *m = meta_get(s, e);
	if (ret == 1) { /* read ahead earlier */
		*from = SWAPIN_CACHE;
		ret = 0;
	} else if (!(ret = s->z ? zswap_load(s->z, e, page) : -ENOENT)) {
		swap_ra_seen(s, e);
		*from = SWAPIN_ZSWAP;
	} else if (ret == -ENOENT && m && !(ret = swap_ra_read(s, e, m, page))) {
		*from = SWAPIN_DISK;
	}
	if (ret) {
		swapcache_clear(s->space, e);
		return ret == -ENOENT ? -EIO : ret; /* claimed but no data anywhere: corrupt */
	}
	if (tags && tags_len) {
		*tags_len = m ? m->tags_len : 0;
		if (m && m->tags_len)
			memcpy(tags, m->tags, m->tags_len);
	}
	return 0;
}

/*
 * Finish a swap-in. installed: the page is now authoritative in the
 * caller's memory, so the caller's reference to e is dropped; for the last
 * owner that frees the entry and its copies (zswap, device slot, metadata)
 * when the claim is released. Not installed: e keeps its data and the
 * caller its reference (R3). The reference and the claim go in one
 * compare-and-swap: one atomic instead of two, and a waiting swap-in never
 * sees the claim gone while the installed owner's reference still counts
 * (it would read the page again for nothing, then fail its own install).
 * Either order would be safe for the data: copies are dropped only when
 * the count is 0 and nobody holds the claim (the free callback).
 */
void swap_in_done(struct swap_sys *s, swp_entry_t e, enum swapin_from from, bool installed)
{
	if (from == SWAPIN_NONE)
		return;
	if (installed)
		swap_count_put_clear(s->space, e);
	else
		swapcache_clear(s->space, e);
}

/* Another owner of e (fork). 0 or -ENOENT. */
int swap_sys_duplicate(struct swap_sys *s, swp_entry_t e) { return swap_count_dup(s->space, e); }

/* An owner of e goes away without swapping it in (munmap, exit). A page
 * read ahead for an entry nobody references any more goes with it. */
void swap_sys_free(struct swap_sys *s, swp_entry_t e)
{
	swap_count_put(s->space, e);
	if (!swap_count(s->space, e) && swap_has_cache(s->space, e))
		swap_ra_drop(s, e);
}

void swap_sys_stats(struct swap_sys *s, struct swap_sys_stats *st)
{
	struct swap_space_stats ss;

	memset(st, 0, sizeof(*st));
	swap_space_stats(s->space, &ss);
	st->inuse = ss.inuse;
	st->pswpin = atomic_load_relaxed(&s->pswpin);
	st->pswpout = atomic_load_relaxed(&s->pswpout);
	st->swapout_fail = atomic_load_relaxed(&s->swapout_fail);
	st->io_errors = atomic_load_relaxed(&s->io_errors);
	st->csum_errors = atomic_load_relaxed(&s->csum_errors);
	st->swap_ra = atomic_load_relaxed(&s->ra.swap_ra);
	st->swap_ra_hit = atomic_load_relaxed(&s->ra.swap_ra_hit);
	st->unuse_to_memory = atomic_load_relaxed(&s->unuse_to_memory);
	swap_devices_stats(s, st);
}

