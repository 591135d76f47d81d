/*
 * swap_device.c - the swap devices: swapon, swapoff (every page stored on
 * the device is brought back under its entry's claim: to the owner's
 * memory through the unuse callback, else into zswap or onto another
 * device; then in-flight users drain; R1, R10) and the /proc/swaps-like
 * listing.
 *
 * Lock order: an entry's claim -> dev_lock (rwlock: read to use a device,
 * write to add or remove one) -> device users count (atomic) -> backing
 * locks.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>

#include "swap/swap_sys.h"

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
 * memory), else store it in zswap or on another device. 0, -EAGAIN (the
 * owner is busy with the page: drop the claim and offer it again), or
 * -errno. Caller holds the claim. */
static int unuse_entry(struct swap_sys *s, swp_entry_t e, int idx)
{
	unsigned char *page = scratch_get(SCRATCH_UNUSE);
	struct swap_meta *m = meta_get(s, e);

	if (!page)
		return -ENOMEM; /* swapoff fails, and says so */
	if (!m || m->dev != idx + 1)
		return 0; /* not there (any more) */
	int ret = swap_read_device(s, e, m, page);
	if (ret)
		return ret;
	int r = s->unuse ? s->unuse(s->unuse_arg, e, page, m->tags, m->tags_len) : -ENOENT;
	if (r == -EAGAIN)
		return r;
	if (!r && !swap_count(s->space, e)) {
		atomic_add_relaxed(&s->unuse_to_memory, 1);
		return 0; /* in memory; the entry and its slot go when our claim does */
	}
	if (s->z && zswap_store(s->z, e, page, NULL) == 0) {
		swap_backing_free(entry_dev(s, m)->b, m->slot); /* we hold the claim */
		m->dev = 0;
		return 0;
	}
	return swap_write_device(s, e, page, m); /* writeok is off on idx */
}

/* One pass over every entry; -errno on the first that cannot move. An
 * entry whose owner was busy with it (-EAGAIN) stays for the next pass:
 * the owner may be waiting for our claim, and gets it now. */
static int unuse_pass(struct swap_sys *s, int idx)
{
	bool busy = false;

	for (uint64_t off = 1, end = swap_space_extent(s->space); off < end; off++) {
		swp_entry_t e = swp_entry(SWP_TYPE_VIRTUAL, off);
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
		if (r == -EAGAIN)
			busy = true;
		else if (r)
			return r;
	}
	if (busy)
		sched_yield();
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
	DEBUG_VALIDATE(swap_space_validate(s->space));
	return 0;
}

/* The devices' part of swap_sys_stats. */
void swap_devices_stats(struct swap_sys *s, struct swap_sys_stats *st)
{
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
	int n = snprintf(buf, len, "%-40s %-10s %-10s %-10s %-10s %-18s %s\n", "Filename", "Type", "Size", "Used",
			 "Priority", "Encryption", "State");

	read_lock(&s->dev_lock);
	for (int i = 0; i < SWAP_MAX_DEVICES; i++) {
		struct swap_backing *b = s->dev[i] ? s->dev[i]->b : NULL;
		if (!b)
			continue;
		char state[64];
		swap_backing_state(b, state, sizeof(state));
		n += snprintf(buf + n, len > (size_t)n ? len - (size_t)n : 0,
			      "%-40s %-10s %-10llu %-10llu %-10d %-18s %s\n", swap_backing_name(b), swap_backing_type(b),
			      (unsigned long long)swap_backing_slots(b) * 4, (unsigned long long)swap_backing_inuse(b) * 4,
			      swap_backing_priority(b), swap_backing_cipher(b), state);
	}
	read_unlock(&s->dev_lock);
	return n;
}
