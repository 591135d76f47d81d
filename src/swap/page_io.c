/*
 * page_io.c - a page to and from a swap device (the kernel's page_io.c):
 * choosing the device for a write by priority and room, recording the
 * slot and seal in the entry's metadata, verifying reads, and
 * counting what happened (pswpin, pswpout, io_errors, csum_errors).
 *
 * Lock order: the caller holds the entry's claim -> dev_lock (read) ->
 * device users count (atomic) -> backing locks.
 */
#include <errno.h>

#include "swap/swap_sys.h"

/* The writable device of highest priority, or -1. dev_lock held. */
static int best_device(struct swap_sys *s, const int *tried)
{
	int best = -1;

	for (int i = 0; i < SWAP_MAX_DEVICES; i++)
		if (s->dev[i] && !(tried && tried[i]) && atomic_load_acq(&s->dev[i]->writeok) &&
		    (best < 0 || swap_backing_priority(s->dev[i]->b) > swap_backing_priority(s->dev[best]->b)))
			best = i;
	return best;
}

/* Record that e's page is now in slot of device index dev (the old slot,
 * if any, goes). Caller holds e's claim. */
static void meta_set_slot(struct swap_sys *s, struct swap_meta *m, int dev, uint64_t slot,
			  const struct swap_seal *seal)
{
	struct swap_device *od = entry_dev(s, m);

	if (od)
		swap_backing_free(od->b, m->slot);
	m->dev = dev + 1;
	m->ra = 0; /* read-ahead marks belong to the old slot */
	m->ra_next_n = 0;
	m->slot = slot;
	m->seal = *seal;
}

/*
 * Write page for e to the best device with room (highest priority first)
 * and record the slot in e's metadata (keeping its tags). The caller holds
 * e's claim. 0, -ENOSPC (no device or all full), -EIO.
 */
int swap_write_device(struct swap_sys *s, swp_entry_t e, const void *page, struct swap_meta *m)
{
	int ret = -ENOSPC, tried[SWAP_MAX_DEVICES] = {0};

	read_lock(&s->dev_lock);
	for (;;) {
		int best = best_device(s, tried);
		if (best < 0)
			break;
		tried[best] = 1;
		struct swap_device *d = dev_pin(s, best);
		int64_t slot = swap_backing_alloc(d->b);
		if (slot < 0) {
			dev_unpin(d);
			continue; /* full: the next device */
		}
		struct swap_seal seal;
		ret = swap_backing_write(d->b, (uint64_t)slot, page, &seal);
		if (ret) {
			swap_backing_free(d->b, (uint64_t)slot);
			dev_unpin(d);
			atomic_add_relaxed(&s->io_errors, 1);
			continue;
		}
		meta_set_slot(s, m, best, (uint64_t)slot, &seal); /* rewritten: the old slot goes */
		dev_unpin(d);
		break;
	}
	read_unlock(&s->dev_lock);
	if (!ret)
		atomic_add_relaxed(&s->pswpout, 1);
	return ret;
}

/*
 * Write n pages, each for its claimed entry, to the best device in one
 * batch (the backing store submits them together); what does not fit
 * there or fails goes through swap_write_device one by one (other
 * devices). objs (or NULL): the pages' compressed copies, for a device
 * that takes them as they are. res[i] = 0 or -errno. Caller holds every
 * entry's claim.
 */
void swap_write_batch(struct swap_sys *s, const swp_entry_t *e, void *const *pages, const struct zswap_obj *objs,
		      int n, int *res)
{
	uint64_t slots[SWAP_WRITE_BATCH];
	struct swap_seal seal[SWAP_WRITE_BATCH];
	int k = 0;

	if (n > SWAP_WRITE_BATCH) {
		swap_write_batch(s, e, pages, objs, SWAP_WRITE_BATCH, res);
		swap_write_batch(s, e + SWAP_WRITE_BATCH, pages + SWAP_WRITE_BATCH, objs ? objs + SWAP_WRITE_BATCH : NULL,
				 n - SWAP_WRITE_BATCH, res + SWAP_WRITE_BATCH);
		return;
	}
	read_lock(&s->dev_lock);
	int best = best_device(s, NULL);
	if (best >= 0) {
		struct swap_device *d = dev_pin(s, best);
		for (int64_t slot; k < n && (slot = swap_backing_alloc(d->b)) >= 0; k++)
			slots[k] = (uint64_t)slot;
		swap_backing_writev(d->b, slots, pages, objs, k, res, seal);
		for (int i = 0; i < k; i++) {
			struct swap_meta *m = meta_get(s, e[i]);
			if (!res[i] && m) {
				meta_set_slot(s, m, best, slots[i], &seal[i]);
				atomic_add_relaxed(&s->pswpout, 1);
			} else {
				swap_backing_free(d->b, slots[i]);
				res[i] = res[i] ? res[i] : -ENOENT;
			}
			if (res[i] && res[i] != -ENOENT)
				atomic_add_relaxed(&s->io_errors, 1);
		}
		dev_unpin(d);
	}
	read_unlock(&s->dev_lock);
	for (int i = 0; i < n; i++) /* the rest, and failures: one by one, on any device */
		if (i >= k || (res[i] && res[i] != -ENOENT)) {
			struct swap_meta *m = meta_get(s, e[i]);
			res[i] = m ? swap_write_device(s, e[i], pages[i], m) : -ENOENT;
		}
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

	return swap_read_result(s, d ? swap_backing_read(d->b, m->slot, page, &m->seal) : -ENOENT);
}
