/*
 * evict_wp.c - swap-out where the kernel has no UFFDIO_MOVE (before Linux
 * 6.8, or evict=wp): write-protect, swap out, zap (design-digest 4.1).
 *
 * The regions are registered for synchronous write-protect faults as well
 * as MISSING ones. A batch of locked pages is write-protected
 * (UFFDIO_WRITEPROTECT): from then on its contents cannot change, while
 * reads go on. Each page is copied to a parking page and goes to swap/
 * from there, then the pages are zapped (MADV_DONTNEED) and the page table records their
 * entries. A write that comes meanwhile takes a write-protect fault, which
 * resolvers treat like any fault on a locked page: they wait for the
 * owner, then find the page swapped (and swap it in: the write lands on
 * the new copy) or resident again (and lift its protection). No write is
 * lost: a page leaves only by the zap, and its copy was taken while no
 * write could land.
 *
 * Two hazards come with the zap:
 * - MADV_DONTNEED on a region raises a REMOVE event, and the zapping
 *   thread waits until the event is read, which readers do with vm.barrier
 *   held exclusive (event.c). So the zap runs with the barrier released
 *   (the pages stay locked), and a thread that reads events (a handler
 *   thread) never evicts in this mode: over the budget it leaves its fault
 *   pending and wakes the reclaim thread (vm_reader_waits).
 * - That event must not drop the pages it zapped: each carries
 *   PTE_ZAPPING until an event over it is applied, and vm_page_drop clears
 *   the flag instead of dropping the page. A program's MADV_DONTNEED of
 *   the same page at the same time comes as a second event, which finds
 *   the flag gone and drops the page: whichever event comes first, the
 *   page reads zero once the program's madvise has returned.
 *
 * After the zap the pages are checked with mincore: one still present
 * was missed (the region moved meanwhile) and stays, its entry freed. Pages swap/ could not take stay too; the protection of every
 * page that stays is lifted before it is unlocked.
 *
 * Lock order: vm.barrier (shared; released around the zap) -> PTE_LOCKED
 * -> swap/.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <sys/mman.h>

#include "vm/vm.h"


/* What becomes of each page of a batch. */
enum wp_page {
	WP_DONE,      /* settled and unlocked already */
	WP_UNLOCK,    /* never protected: unlock */
	WP_KEEP,      /* protected, stays: lift the protection, unlock */
	WP_OUT,       /* protected and swapped out (its entry in e[]): zap */
};

/* Write-protect [addr, addr + len), or lift the protection (which wakes
 * the threads waiting on a write fault there). 0 or -errno (-EAGAIN: an
 * event is pending). */
int vm_wp_range(struct vm *vm, uintptr_t addr, size_t len, bool protect)
{
	struct uffdio_writeprotect w = {.range = {.start = addr, .len = len},
					.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0};

	return ioctl(vm->uffd, UFFDIO_WRITEPROTECT, &w) ? -errno : 0;
}

/* The length of the run of consecutive pages in state s from k on. */
static unsigned run_of(const size_t *idx, const enum wp_page *st, unsigned k, unsigned n, enum wp_page s)
{
	unsigned run = 1;

	while (k + run < n && idx[k + run] == idx[k] + run && st[k + run] == s)
		run++;
	return run;
}

/* Whether each of the n pages from addr is present (mincore: a page in
 * the kernel's own swap counts as absent, unless in its swap cache).
 * -errno on failure (ENOMEM: a part of the range is not mapped). */
static int pages_present(uintptr_t addr, unsigned n, bool *present)
{
	unsigned char vec[VM_EVICT_BATCH];

	if (mincore((void *)addr, n * PAGE_SIZE, vec))
		return -errno;
	for (unsigned j = 0; j < n; j++)
		present[j] = vec[j] & 1;
	return 0;
}

/* Unlock page i, or drop it if an event dropped it meanwhile. */
static void unlock_or_drop(struct vm *vm, struct region *r, size_t i)
{
	uint64_t v = atomic_load_acq(&r->pte[i]);

	for (;;) {
		if (v & PTE_DROP) {
			vm_pte_release(vm, r, i);
			return;
		}
		if (atomic_cas_acq_rel(&r->pte[i], &v, v & ~(PTE_LOCKED | PTE_ZAPPING)))
			return;
	}
}

/* Write-protect a run of r, or lift its protection; while an event is
 * pending (EAGAIN: another evictor's zap, say), wait for its reader (who
 * needs the barrier exclusive) with the barrier released, up to max_waits
 * times. 0 or -errno. */
static int wp_run(struct vm *vm, unsigned *b, struct region *r, size_t first, unsigned run, bool protect,
		  unsigned max_waits)
{
	int ret;

	for (unsigned waits = 0; (ret = vm_wp_range(vm, r->start + first * PAGE_SIZE, run * PAGE_SIZE, protect)) ==
				 -EAGAIN && waits < max_waits; waits++) {
		vm_barrier_exit(vm, *b);
		sched_yield();
		*b = vm_barrier_enter(vm);
	}
	return ret;
}

/* Protect the batch, run by run; a run the kernel refuses is left alone.
 * Returns the pages protected. */
static unsigned protect(struct vm *vm, unsigned *b, struct region *r, const size_t *idx, unsigned n,
			enum wp_page *st)
{
	unsigned done = 0;

	for (unsigned k = 0; k < n; k++)
		st[k] = WP_KEEP;
	for (unsigned k = 0, run; k < n; k += run) {
		run = run_of(idx, st, k, n, WP_KEEP);
		bool ok = !wp_run(vm, b, r, idx[k], run, true, 64);
		for (unsigned j = k; j < k + run; j++)
			st[j] = ok ? WP_KEEP : WP_UNLOCK;
		done += ok ? run : 0;
	}
	return done;
}

/*
 * Copy a write-protected page. Left out of ThreadSanitizer's view, with a
 * written reason: the program's last writes to the page happen before
 * this read through the kernel (UFFDIO_WRITEPROTECT returns after every
 * CPU's TLB has dropped the writable entry), an order TSan cannot see;
 * it would report each such copy as racing the program's writes. Word by
 * word, with a compiler barrier, so that no memcpy call (which TSan
 * intercepts) is made of it.
 */
__attribute__((no_sanitize("thread"))) static void copy_protected(void *dst, const void *src)
{
	uint64_t *d = dst;
	const uint64_t *s = src;

	for (size_t k = 0; k < PAGE_SIZE / sizeof(*d); k++) {
		d[k] = s[k];
		__asm__ volatile("" ::: "memory");
	}
}

/* Swap the protected pages out through parking pages: only pages present,
 * so reading them raises no userfault (nothing can zap them while the
 * barrier is held). A page not present (a hole, or in the kernel's own
 * swap) stays as it is. */
static void swap_batch(struct vm *vm, struct region *r, const size_t *idx, unsigned n, enum wp_page *st,
		       swp_entry_t *e, unsigned char *park)
{
	bool present[VM_EVICT_BATCH];

	for (unsigned k = 0, run; k < n; k += run) {
		run = run_of(idx, st, k, n, st[k]);
		if (st[k] != WP_KEEP)
			continue;
		uintptr_t addr = r->start + idx[k] * PAGE_SIZE;
		if (pages_present(addr, run, present))
			continue; /* cannot tell: leave the run where it is */
		for (unsigned j = k; j < k + run; j++) {
			if (!present[j - k])
				continue;
			copy_protected(park + j * PAGE_SIZE, (const void *)(addr + (j - k) * PAGE_SIZE));
			if (swap_out(vm->swap, park + j * PAGE_SIZE, NULL, 0, NULL, &e[j])) {
				atomic_add_relaxed(&vm->evict_fail, 1);
			} else {
				st[j] = WP_OUT;
			}
		}
	}
}

/* Zap the swapped-out pages, with the barrier released (the REMOVE event
 * each madvise raises is read under it held exclusive). */
static void zap(struct vm *vm, unsigned *b, struct region *r, const size_t *idx, unsigned n, const enum wp_page *st)
{
	uintptr_t start = r->start;

	for (unsigned k = 0; k < n; k++)
		if (st[k] == WP_OUT)
			atomic_or_acq_rel(&r->pte[idx[k]], PTE_ZAPPING);
	vm_barrier_exit(vm, *b);
	for (unsigned k = 0, run; k < n; k += run) {
		run = run_of(idx, st, k, n, st[k]);
		if (st[k] == WP_OUT) /* a failure shows in the check after */
			os_madvise((void *)(start + idx[k] * PAGE_SIZE), run * PAGE_SIZE, MADV_DONTNEED);
	}
	*b = vm_barrier_enter(vm);
}

/* Record the zapped pages as swapped; a page still present (the zap missed
 * it) stays, a page the program dropped meanwhile is dropped. Returns the
 * pages evicted. */
static long settle(struct vm *vm, struct region *r, const size_t *idx, unsigned n, enum wp_page *st,
		   const swp_entry_t *e)
{
	bool present[VM_EVICT_BATCH];
	long evicted = 0;

	for (unsigned k = 0, run; k < n; k += run) {
		run = run_of(idx, st, k, n, st[k]);
		if (st[k] != WP_OUT)
			continue;
		if (pages_present(r->start + idx[k] * PAGE_SIZE, run, present))
			for (unsigned j = 0; j < run; j++) /* ENOMEM: the range is unmapped, nothing left there */
				present[j] = false;
		for (unsigned j = k; j < k + run; j++) {
			size_t i = idx[j];
			uint64_t v = atomic_and_acq_rel(&r->pte[i], ~PTE_ZAPPING);
			if (present[j - k]) {
				swap_sys_free(vm->swap, e[j]);
				st[j] = WP_KEEP;
				continue;
			}
			atomic_sub_relaxed(&vm->resident, 1);
			st[j] = WP_DONE;
			if (v & PTE_DROP) {
				swap_sys_free(vm->swap, e[j]);
				atomic_store_rel(&r->pte[i], PTE_NONE);
				continue;
			}
			r->shadow[i] = atomic_add_relaxed(&vm->evictions, 1);
			atomic_add_relaxed(&vm->swapouts, 1);
			atomic_store_rel(&r->pte[i], pte_swapped(e[j]));
			evicted++;
		}
	}
	return evicted;
}

/* Lift the protection of the pages that stay (waiting out every pending
 * event: a page left protected would fault on every write), then unlock
 * every page not settled yet. */
static void release(struct vm *vm, unsigned *b, struct region *r, const size_t *idx, unsigned n,
		    const enum wp_page *st)
{
	for (unsigned k = 0, run; k < n; k += run) {
		run = run_of(idx, st, k, n, st[k]);
		if (st[k] != WP_KEEP)
			continue;
		wp_run(vm, b, r, idx[k], run, false, UINT_MAX);
	}
	for (unsigned k = 0; k < n; k++)
		if (st[k] == WP_KEEP || st[k] == WP_UNLOCK)
			unlock_or_drop(vm, r, idx[k]);
}

/*
 * Evict pages idx[0..n) of r (n <= VM_EVICT_BATCH, ascending), locked by
 * the caller (each RESIDENT), who holds vm.barrier shared (*b: it is
 * released and taken again here). Every page is unlocked on return.
 * Never called from a thread that reads events. Returns the pages evicted.
 */
long vm_evict_wp(struct vm *vm, unsigned *b, struct region *r, size_t *idx, unsigned n)
{
	enum wp_page st[VM_EVICT_BATCH];
	swp_entry_t e[VM_EVICT_BATCH];
	long evicted = 0;
	unsigned slot;

	if (protect(vm, b, r, idx, n, st)) {
		unsigned char *park = pcpu_take_slot(vm->parking_busy, VM_PARKING, vm->parking,
						     VM_EVICT_BATCH * PAGE_SIZE, &slot);
		swap_batch(vm, r, idx, n, st, e, park);
		pcpu_put_slot(vm->parking_busy, slot);
		for (unsigned k = 0; k < n; k++)
			if (st[k] == WP_OUT) {
				zap(vm, b, r, idx, n, st);
				evicted = settle(vm, r, idx, n, st, e);
				break;
			}
	}
	release(vm, b, r, idx, n, st);
	return evicted;
}
