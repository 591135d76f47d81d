/*
 * prwlock.c - a reader-writer lock whose readers touch only their own
 * CPU's cache line (the kernel's percpu_rw_semaphore, in spirit): for
 * locks that are read on every operation and written rarely, such as
 * zsmalloc's pool lock (read: every handle decode; write: compaction and
 * migration). A pthread rwlock makes every reader write one shared word,
 * which bounces between CPUs.
 *
 * A reader adds one to its CPU slot's count, then looks at the writer
 * flag; a writer raises the flag, then waits until every slot's count is
 * zero. Both sides use sequentially consistent operations, so of a reader
 * and a writer that arrive together at least one sees the other: either
 * the writer sees the count and waits, or the reader sees the flag, takes
 * its count back and waits for the writer to finish. A reader unlocks the
 * slot it locked (the index returned by prw_read_lock), whichever CPU it
 * is on by then. Writers are serialised by a mutex and never starve:
 * new readers back off while the flag is up.
 *
 * Lock order: writer_lock, then the readers' counts (spun on).
 */
#include <errno.h>
#include <sched.h>

#include "base/base.h"

int prw_init(struct prwlock *l)
{
	l->nr = pcpu_nr_possible();
	l->slot = base_aligned_alloc(CACHE_LINE, l->nr * sizeof(*l->slot));
	if (!l->slot)
		return -ENOMEM;
	atomic_store_relaxed(&l->writer, 0);
	mutex_init(&l->writer_lock);
	return 0;
}

void prw_destroy(struct prwlock *l)
{
	if (!l->slot)
		return;
	mutex_destroy(&l->writer_lock);
	base_free(l->slot);
	l->slot = NULL;
}

unsigned prw_read_lock(struct prwlock *l)
{
	for (;;) {
		unsigned i = pcpu_current() % l->nr;
		atomic_fetch_add_explicit(&l->slot[i].readers, 1, memory_order_seq_cst);
		if (!atomic_load_explicit(&l->writer, memory_order_seq_cst))
			return i;
		atomic_fetch_sub_explicit(&l->slot[i].readers, 1, memory_order_release);
		while (atomic_load_explicit(&l->writer, memory_order_acquire))
			sched_yield(); /* a writer compacts or migrates: milliseconds at most */
	}
}

/* prw_read_lock without waiting: false (nothing held) while a writer
 * holds the lock or waits for it. */
bool prw_read_trylock(struct prwlock *l, unsigned *slot)
{
	unsigned i = pcpu_current() % l->nr;

	atomic_fetch_add_explicit(&l->slot[i].readers, 1, memory_order_seq_cst);
	if (!atomic_load_explicit(&l->writer, memory_order_seq_cst)) {
		*slot = i;
		return true;
	}
	atomic_fetch_sub_explicit(&l->slot[i].readers, 1, memory_order_release);
	return false;
}

void prw_write_lock(struct prwlock *l)
{
	mutex_lock(&l->writer_lock);
	atomic_store_explicit(&l->writer, 1, memory_order_seq_cst);
	for (unsigned i = 0; i < l->nr; i++)
		for (unsigned spin = 0; atomic_load_explicit(&l->slot[i].readers, memory_order_seq_cst); spin++)
			if (spin < 1000)
				cpu_relax(); /* zsmalloc's readers hold it for a handle decode only */
			else
				sched_yield(); /* vm's event barrier: an eviction batch */
}

void prw_write_unlock(struct prwlock *l)
{
	atomic_store_explicit(&l->writer, 0, memory_order_release);
	mutex_unlock(&l->writer_lock);
}
