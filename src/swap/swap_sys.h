/*
 * swap_sys.h - swap/'s private parts, shared by swap.c (the swap system)
 * and swap_readahead.c: the system itself, its devices and the per-entry
 * metadata. Not for other layers: they use swap.h.
 */
#ifndef USWAP_SWAP_SYS_H
#define USWAP_SWAP_SYS_H

#include <pthread.h>

#include "base/worker.h"
#include "swap/swap.h"

struct swap_meta {
	_Alignas(64) int dev;    /* device index + 1; 0 = not on a device */
	/* Readahead (swap_readahead.c): the page was read ahead (ra); whoever
	 * swaps it in reads ahead ra_next_n entries from offset ra_next. */
	uint32_t ra_next_n;
	uint64_t slot;           /* when dev */
	uint64_t ra_next;
	unsigned char *tags;     /* tags_len bytes, or NULL */
	uint32_t tags_len;
	bool ra;                 /* read ahead into the swap cache */
	struct swap_seal seal;   /* when dev: what the slot must match */
};
_Static_assert(sizeof(struct swap_meta) == 64, "an entry's record is one cache line");

struct swap_device {
	struct swap_backing *b;  /* constant */
	_Atomic bool writeok;    /* atomic: new pages may go here */
	_Atomic long users;      /* atomic: I/O in flight (swapoff waits for 0) */
};

#define RA_MAX 512          /* pages read ahead into the swap cache, at most */
#define RA_ASYNC_MAX 256    /* the largest window into the swap cache (1 MiB) */
#define RA_QUEUE 16         /* windows waiting for the readahead worker */

/* A window for the readahead worker: n entries from offset first that
 * live on device dev (index). */
struct ra_window {
	int dev;
	uint64_t first;
	unsigned n;
};

/* Readahead's state (swap_readahead.c). */
struct swap_ra {
	_Atomic unsigned page_cluster;          /* atomic: a miss reads up to 2^page_cluster; 0 = off */
	_Atomic uint64_t swap_ra, swap_ra_hit;  /* atomic: pages read ahead, and of those swapped in */
	_Atomic uint64_t hits_seen;             /* atomic: swap_ra_hit at the last miss */
	_Atomic uint64_t last_miss;             /* atomic: offset of the last miss */
	_Atomic uint64_t seq;                   /* atomic, written under worker.lock: batches finished */
	struct worker worker;                   /* its lock guards the fields below; it waits for windows */
	pthread_cond_t done;                    /* swap-ins wait here for pages being read */
	struct ra_window queue[RA_QUEUE];       /* windows for the worker, qhead first */
	unsigned qhead, qlen;
	uint64_t fifo[2 * RA_MAX];              /* entries read ahead, oldest (fhead) first */
	unsigned fhead, flen;
	uint64_t cover_lo, cover_hi;            /* the entries of the last window queued */
	bool busy;                              /* the worker is running a window */
};

struct swap_sys {
	struct swap_space *space;
	struct swap_cache *cache;               /* pages read ahead, each holding its entry's claim */
	struct zswap *z;                        /* may be NULL */
	rwlock_t dev_lock;                      /* guards dev[] */
	struct swap_device *dev[SWAP_MAX_DEVICES];
	_Atomic uint64_t pswpin, pswpout, swapout_fail, io_errors, csum_errors; /* atomic */
	_Atomic uint64_t unuse_to_memory;       /* atomic: pages swapoff handed to the owner */
	swap_unuse_fn unuse;                    /* set before swapoff runs */
	void *unuse_arg;

	struct swap_ra ra;                      /* swap_readahead.c */
};

/* e's metadata, kept in the swap space next to its count (zeroed while e
 * is free); changed only by the holder of e's claim, or while e is being
 * freed. NULL when e was never handed out. */
static inline struct swap_meta *meta_get(struct swap_sys *s, swp_entry_t e)
{
	return swap_entry_priv(s->space, e);
}

/* Pin the device at index i for I/O; NULL if it is gone. dev_lock held (read). */
static inline struct swap_device *dev_pin(struct swap_sys *s, int i)
{
	struct swap_device *d = s->dev[i];
	if (d)
		atomic_add_acq_rel(&d->users, 1);
	return d;
}

static inline void dev_unpin(struct swap_device *d) { atomic_sub_acq_rel(&d->users, 1); }

/*
 * The device an entry's page is on, for a caller that owns the entry (its
 * claim, or FREEING): no dev_lock and no pin needed, because the entry's
 * slot counts in the device's inuse and swapoff lets a device go only
 * when nothing is in use there, after claiming every entry to move it.
 */
static inline struct swap_device *entry_dev(struct swap_sys *s, const struct swap_meta *m)
{
	return m->dev ? s->dev[m->dev - 1] : NULL;
}

/* page_io.c */
int swap_write_device(struct swap_sys *s, swp_entry_t e, const void *page, struct swap_meta *m);
void swap_write_batch(struct swap_sys *s, const swp_entry_t *e, void *const *pages, const struct zswap_obj *objs,
		      int n, int *res);
int swap_read_result(struct swap_sys *s, int ret);
int swap_read_device(struct swap_sys *s, swp_entry_t e, const struct swap_meta *m, void *page);

/* swap_device.c */
void swap_devices_stats(struct swap_sys *s, struct swap_sys_stats *st);

/* swap_readahead.c */
int swap_ra_start(struct swap_sys *s);
void swap_ra_stop(struct swap_sys *s);
int swap_ra_read(struct swap_sys *s, swp_entry_t e, struct swap_meta *m, void *page);
int swap_ra_claim(struct swap_sys *s, swp_entry_t e, void *page);
void swap_ra_seen(struct swap_sys *s, swp_entry_t e);
void swap_ra_drop(struct swap_sys *s, swp_entry_t e);

#endif
