/*
 * uswap_internal.h - what uswap's own tools need of an instance beyond the
 * public API: the preload library of `uswap run` keeps a program's memory
 * across fork() with these. Not exported from the shared library.
 */
#ifndef USWAP_INTERNAL_H
#define USWAP_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "uswap.h"

/* Before fork(): nothing is evicted from now on, and every swapped page
 * is brought back (the child gets all of them in its copy). Returns the
 * pages brought back. */
uint64_t uswap_freeze(uswap_t *u);
void uswap_thaw(uswap_t *u);
/* In a forked child: the parent's instance, copied, is not this process's
 * (its threads are the parent's): close its descriptors and never use it
 * again. Its memory is left as it is. */
void uswap_forget(uswap_t *u);
/* Existing anonymous private memory becomes a region, its content kept
 * (the child's copy of its parent's regions); pages past used_len were
 * never touched and are not looked at. 0 or -errno. */
int uswap_adopt(uswap_t *u, void *addr, size_t len, size_t used_len);

/* The budget is shared with other processes (a uswap run tree), through
 * counters in memory they all map, in pages: total (what every sharer
 * published), mine (this process's part) and peak (the highest total).
 * The instance publishes its usage as it moves (a few pages behind at
 * most) and keeps it under the limit less the others' part.
 * uswap_share_sync publishes it exactly (a timer's tick). */
void uswap_share_budget(uswap_t *u, _Atomic int64_t *total, _Atomic int64_t *mine, _Atomic int64_t *peak);
void uswap_share_sync(uswap_t *u);

/* The instance id of its Redis Cluster device (the namespace of its keys
 * there), or 0 when its swap device is not a cluster. */
uint64_t uswap_remote_instance(uswap_t *u);


/* mlock/munlock of region memory: pinned pages are brought in and never
 * evicted until unpinned. Returns the pages (un)pinned. */
long uswap_pin(uswap_t *u, void *addr, size_t len, int pin);

#endif
