/*
 * page_io.c - a page to and from a swap device (the kernel's page_io.c):
 * choosing the device for a write by priority and room, recording the
 * slot and checksum in the entry's metadata, verifying reads, and
 * counting what happened (pswpin, pswpout, io_errors, csum_errors).
 *
 * Lock order: the caller holds the entry's claim -> dev_lock (read) ->
 * device users count (atomic) -> backing locks.
 */
#include <errno.h>

#include "swap/swap_sys.h"

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
