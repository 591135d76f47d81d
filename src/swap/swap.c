/*
 * swap.c - the swap system: swap-out, swap-in, writeback to devices and
 * swapoff, over virtual entries (swapfile.c), the swap cache claim, zswap
 * and backing devices (design-digest 2.5, 2.6).
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

/* ---------------------------------------------------------------- devices */

/*
 * Write page for e to the best device with room (highest priority first)
 * and record the slot in e's metadata (keeping its tags). The caller holds
 * e's claim. 0, -ENOSPC (no device or all full), -EIO.
 */
static int write_to_device(struct swap_sys *s, swp_entry_t e, const void *page, struct swap_meta *m)
{
	int ret = -ENOSPC, tried[SWAP_MAX_DEVICES] = {0};

	read_lock(&s->dev_lock);
	for (;;) {
		int best = -1;
		for (int i = 0; i < SWAP_MAX_DEVICES; i++)
			if (s->dev[i] && !tried[i] && atomic_load_acq(&s->dev[i]->writeok) &&
			    (best < 0 || swap_backing_priority(s->dev[i]->b) > swap_backing_priority(s->dev[best]->b)))
				best = i;
		if (best < 0)
			break;
		tried[best] = 1;
		struct swap_device *d = dev_pin(s, best);
		int64_t slot = swap_backing_alloc(d->b);
		if (slot < 0) {
			dev_unpin(d);
			continue; /* full: the next device */
		}
		uint64_t csum;
		ret = swap_backing_write(d->b, (uint64_t)slot, page, &csum);
		if (ret) {
			swap_backing_free(d->b, (uint64_t)slot);
			dev_unpin(d);
			atomic_add_relaxed(&s->io_errors, 1);
			continue;
		}
		struct swap_device *od = entry_dev(s, m); /* rewritten: the old slot goes */
		if (od)
			swap_backing_free(od->b, m->slot);
		m->dev = best + 1;
		m->ra = 0; /* read-ahead marks belong to the old slot */
		m->ra_next_n = 0;
		m->slot = (uint64_t)slot;
		m->csum = csum;
		dev_unpin(d);
		break;
	}
	read_unlock(&s->dev_lock);
	if (!ret)
		atomic_add_relaxed(&s->pswpout, 1);
	return ret;
}

/* Count a device read's outcome: 0; -ENOENT (no device); else -EIO, a
 * checksum mismatch (-EBADMSG) or an I/O error: the page is unusable. */
int swap_read_result(struct swap_sys *s, int ret)
{
	if (!ret)
		atomic_add_relaxed(&s->pswpin, 1);
	else if (ret == -EBADMSG)
		atomic_add_relaxed(&s->csum_errors, 1);
	else if (ret != -ENOENT)
		atomic_add_relaxed(&s->io_errors, 1);
	return ret && ret != -ENOENT ? -EIO : ret;
}

/* Read e's page from its device and verify it. Caller holds the claim. */
int swap_read_device(struct swap_sys *s, swp_entry_t e, const struct swap_meta *m, void *page)
{
	struct swap_device *d = entry_dev(s, m);

	return swap_read_result(s, d ? swap_backing_read(d->b, m->slot, page, m->csum) : -ENOENT);
}

/* ---------------------------------------------------------------- zswap writeback */

/* zswap's writeback claims the slot like a swap-in does: swapcache_prepare.
 * That excludes loads, stores and frees of the entry and pins its device. */
static void *wb_claim(void *arg, swp_entry_t e, int *err)
{
	static _Thread_local _Alignas(4096) unsigned char buf[PAGE_SIZE]; /* one writeback per thread */
	struct swap_sys *s = arg;
	int r = swapcache_prepare(s->space, e);

	if (r) {
		*err = r;
		return NULL;
	}
	return buf;
}

static int wb_write(void *arg, swp_entry_t e, void *page)
{
	struct swap_sys *s = arg;
	struct swap_meta *m = meta_get(s, e); /* stable: we hold the claim */

	return m ? write_to_device(s, e, page, m) : -ENOENT;
}

static void wb_release(void *arg, swp_entry_t e, void *page, bool written)
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
	atomic_store_relaxed(&s->page_cluster, SWAP_DEFAULT_PAGE_CLUSTER);
	rwlock_init(&s->dev_lock);
	struct swap_space_config sc = {.max_entries = max_entries, .type = 0, .on_free = on_entry_free, .on_free_arg = s,
				       .priv_size = sizeof(struct swap_meta)};
	if (!(ret = swap_cache_create(&s->cache)) && !(ret = swap_space_create(&sc, &s->space)) &&
	    (ra = true, !(ret = swap_ra_start(s))) && z && !(ret = zswap_swapon(z, 0))) {
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
		base_free(meta_get(s, swp_entry(0, off))->tags);
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
	atomic_store_relaxed(&s->page_cluster, n);
	return 0;
}

/* Add a backing device (swapon). Returns its index, -ENOSPC (all 8 in use),
 * -EEXIST (already on), -ENOMEM. */
int swap_sys_swapon(struct swap_sys *s, struct swap_backing *b)
{
	struct swap_device *d = base_calloc(1, sizeof(*d));
	int ret = -ENOSPC;

	if (!d)
		return -ENOMEM;
	d->b = b;
	atomic_store_relaxed(&d->writeok, true);
	write_lock(&s->dev_lock);
	for (int i = 0; i < SWAP_MAX_DEVICES; i++)
		if (s->dev[i] && s->dev[i]->b == b) {
			ret = -EEXIST;
			break;
		}
	for (int i = 0; ret == -ENOSPC && i < SWAP_MAX_DEVICES; i++)
		if (!s->dev[i]) {
			s->dev[i] = d;
			ret = i;
		}
	write_unlock(&s->dev_lock);
	if (ret < 0)
		base_free(d);
	return ret;
}

/* ---------------------------------------------------------------- swapoff */

void swap_sys_set_unuse(struct swap_sys *s, swap_unuse_fn fn, void *arg)
{
	s->unuse = fn;
	s->unuse_arg = arg;
}

/* Bring entry e back from device idx: read it, hand it to the owner (into
 * memory), else store it in zswap or on another device. 0, or -errno.
 * Caller holds the claim. */
static int unuse_entry(struct swap_sys *s, swp_entry_t e, int idx)
{
	static _Thread_local _Alignas(4096) unsigned char page[PAGE_SIZE];
	struct swap_meta *m = meta_get(s, e);

	if (!m || m->dev != idx + 1)
		return 0; /* not there (any more) */
	int ret = swap_read_device(s, e, m, page);
	if (ret)
		return ret;
	if (s->unuse && !s->unuse(s->unuse_arg, e, page, m->tags, m->tags_len) && !swap_count(s->space, e)) {
		atomic_add_relaxed(&s->unuse_to_memory, 1);
		return 0; /* in memory; the entry and its slot go when our claim does */
	}
	if (s->z && zswap_store(s->z, e, page, NULL) == 0) {
		swap_backing_free(entry_dev(s, m)->b, m->slot); /* we hold the claim */
		m->dev = 0;
		return 0;
	}
	return write_to_device(s, e, page, m); /* writeok is off on idx */
}

/* One pass over every entry; -errno on the first that cannot move. */
static int unuse_pass(struct swap_sys *s, int idx)
{
	for (uint64_t off = 1, end = swap_space_extent(s->space); off < end; off++) {
		swp_entry_t e = swp_entry(0, off);
		int r;
		if (!swap_count(s->space, e) && !swap_has_cache(s->space, e))
			continue; /* free: nothing stored */
		while ((r = swapcache_prepare(s->space, e)) == -EEXIST) {
			swap_ra_drop(s, e); /* a read-ahead page: its data is on the device anyway */
			sched_yield();     /* else a swap-in or writeback owns it for a moment */
		}
		if (r)
			continue; /* freed meanwhile */
		r = unuse_entry(s, e, idx);
		swapcache_clear(s->space, e);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Remove device b (swapoff): no new pages go there; every page stored there
 * is brought back: to its owner's memory (swap_sys_set_unuse), else into
 * zswap or onto another device; in-flight users drain;
 * then the device is forgotten (the caller closes b). Concurrent swap-ins
 * and writeback are fine (R1, R10). Returns 0; -EINVAL (b is not on);
 * -ENOSPC/-EIO when a page has nowhere to go or cannot be read (the device
 * stays on, writable again).
 */
int swap_sys_swapoff(struct swap_sys *s, struct swap_backing *b)
{
	int idx = -1, ret = 0;

	read_lock(&s->dev_lock);
	for (int i = 0; i < SWAP_MAX_DEVICES; i++)
		if (s->dev[i] && s->dev[i]->b == b)
			idx = i;
	read_unlock(&s->dev_lock);
	if (idx < 0)
		return -EINVAL;
	struct swap_device *d = s->dev[idx];
	atomic_store_rel(&d->writeok, false);
	for (;;) {
		ret = unuse_pass(s, idx);
		if (ret) {
			atomic_store_rel(&d->writeok, true);
			return ret;
		}
		while (atomic_load_acq(&d->users))
			sched_yield();
		/* Users pin the device only under dev_lock (read): with it held for
		 * writing, nobody is between choosing the device and using it. A
		 * writer that chose it before writeok went off may still have put
		 * a page there, though: then another pass. */
		write_lock(&s->dev_lock);
		if (!swap_backing_inuse(b) && !atomic_load_acq(&d->users)) {
			s->dev[idx] = NULL;
			write_unlock(&s->dev_lock);
			break;
		}
		write_unlock(&s->dev_lock);
	}
	base_free(d);
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
			ret = write_to_device(s, e, page, m);
	}
	swapcache_clear(s->space, e);
	if (ret) {
		atomic_add_relaxed(&s->swapout_fail, 1);
		swap_free(s->space, e); /* frees the entry and its metadata */
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
	while ((ret = swapcache_prepare(s->space, e)) == -EEXIST) {
		uint64_t seq = swap_ra_seq(s);
		enum ra_take t = swap_ra_take(s, e, page);
		if (t == RA_TAKEN) { /* read ahead earlier: its claim is ours now */
			*from = SWAPIN_CACHE;
			break;
		}
		if (t == RA_PENDING)
			swap_ra_wait(s, seq); /* being read ahead: wait for the batch */
		else
			sched_yield(); /* another swap-in, or writeback, owns it: wait, then look again (R6) */
	}
	if (ret && ret != -EEXIST)
		return ret;
	struct swap_meta *m = meta_get(s, e);
	if (*from == SWAPIN_CACHE) {
		swap_ra_taken(s, e, m);
		ret = 0;
	} else if (!(ret = s->z ? zswap_load(s->z, e, page) : -ENOENT)) {
		swap_ra_seen(s, e);
		*from = SWAPIN_ZSWAP;
	}
	else if (ret == -ENOENT && m && !(ret = swap_ra_read(s, e, m, page)))
		*from = SWAPIN_DISK;
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
 * caller its reference (R3). The reference goes with the claim, in one
 * step (the kernel orders swap_free before swapcache_clear for the same
 * reason): a waiting swap-in must never claim an entry whose data is
 * already gone (it gets -ENOENT instead and refaults).
 */
void swap_in_done(struct swap_sys *s, swp_entry_t e, enum swapin_from from, bool installed)
{
	if (from == SWAPIN_NONE)
		return;
	if (installed)
		swap_free_clear(s->space, e);
	else
		swapcache_clear(s->space, e);
}

/* Another owner of e (fork). 0 or -ENOENT. */
int swap_sys_duplicate(struct swap_sys *s, swp_entry_t e) { return swap_duplicate(s->space, e); }

/* An owner of e goes away without swapping it in (munmap, exit). A page
 * read ahead for an entry nobody references any more goes with it. */
void swap_sys_free(struct swap_sys *s, swp_entry_t e)
{
	swap_free(s->space, e);
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
	st->swap_ra = atomic_load_relaxed(&s->swap_ra);
	st->swap_ra_hit = atomic_load_relaxed(&s->swap_ra_hit);
	st->unuse_to_memory = atomic_load_relaxed(&s->unuse_to_memory);
	read_lock(&s->dev_lock);
	for (int i = 0; i < SWAP_MAX_DEVICES; i++)
		if (s->dev[i]) {
			st->dev[st->nr_devices].priority = swap_backing_priority(s->dev[i]->b);
			st->dev[st->nr_devices].size_pages = swap_backing_slots(s->dev[i]->b);
			st->dev[st->nr_devices].inuse_pages = swap_backing_inuse(s->dev[i]->b);
			st->dev[st->nr_devices].writeok = atomic_load_relaxed(&s->dev[i]->writeok);
			snprintf(st->dev[st->nr_devices].name, sizeof(st->dev[0].name), "%s",
				 swap_backing_name(s->dev[i]->b));
			st->nr_devices++;
		}
	read_unlock(&s->dev_lock);
}

int swap_sys_format_swaps(struct swap_sys *s, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%-40s %-10s %-10s %-10s %s\n", "Filename", "Type", "Size", "Used", "Priority");

	read_lock(&s->dev_lock);
	for (int i = 0; i < SWAP_MAX_DEVICES; i++) {
		struct swap_backing *b = s->dev[i] ? s->dev[i]->b : NULL;
		if (!b)
			continue;
		n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0, "%-40s %-10s %-10llu %-10llu %d\n",
			      swap_backing_name(b), swap_backing_is_device(b) ? "partition" : "file",
			      (unsigned long long)swap_backing_slots(b) * 4, (unsigned long long)swap_backing_inuse(b) * 4,
			      swap_backing_priority(b));
	}
	read_unlock(&s->dev_lock);
	return n;
}
