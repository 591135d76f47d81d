/*
 * evict.c - swap-out: pages leave a region by UFFDIO_MOVE into a parking
 * batch (design-digest 4.1), atomically against the program's writes: no
 * write can land after the move (the PTE is gone), and a touch during the
 * rest of the eviction faults and waits on the page's PTE_LOCKED bit.
 * From parking each page goes to swap/ (zswap, or the swap file), the
 * page table records its entry, and the parking pages are zapped for the
 * next batch.
 *
 * The parking range is registered on its own userfaultfd, with no event
 * features: zapping it raises no REMOVE event that would block the
 * evictor until the event reader ran (the MOVE is issued on that fd: the
 * kernel wants the destination registered on the fd of the ioctl; the
 * source may be on another).
 *
 * A page swap/ cannot take (the swap file is full, an I/O error) goes back
 * where it was, so nothing is lost: eviction fails, the budget may be
 * exceeded (counted in budget_overruns), the data stays right.
 *
 * Lock order: vm.barrier (shared, for the whole batch) -> PTE_LOCKED ->
 * swap/.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "vm/vm.h"

/* Move pages idx[from, from + n) (consecutive) to parking slots [from,
 * from + n). Returns how many moved; *err the errno that stopped it. */
static unsigned move_run(struct vm *vm, struct region *r, const size_t *idx, unsigned from, unsigned n,
			 unsigned char *park, int *err)
{
	struct uffdio_move m = {.dst = (uintptr_t)(park + from * PAGE_SIZE),
				.src = r->start + idx[from] * PAGE_SIZE, .len = n * PAGE_SIZE,
				.mode = UFFDIO_MOVE_MODE_DONTWAKE};

	*err = 0;
	if (!ioctl(vm->park_uffd, UFFDIO_MOVE, &m))
		return n;
	*err = errno;
	return m.move > 0 ? (unsigned)(m.move / PAGE_SIZE) : 0;
}

/* Put a page that swap/ refused back into the region. Only an event
 * (EAGAIN) stops the copy: wait for it to be applied, outside the barrier,
 * and give up if the page was dropped or its region freed meanwhile. */
static void put_back(struct vm *vm, unsigned *b, struct region *r, size_t i, const void *page)
{
	int err = 0;

	while (!vm_install(vm, r->start + i * PAGE_SIZE, page, PAGE_SIZE, true, &err) && err == EAGAIN) {
		vm_barrier_exit(vm, *b);
		sched_yield();
		*b = vm_barrier_enter(vm);
		if (vm_region_by_id(vm, r->id) != r || (atomic_load_acq(&r->pte[i]) & PTE_DROP)) {
			atomic_store_rel(&r->pte[i], PTE_NONE);
			return;
		}
	}
	atomic_add_relaxed(&vm->resident, 1);
	atomic_store_rel(&r->pte[i], PTE_RESIDENT | PTE_REF);
}

/* Page i moved out and sits in page: to swap/. */
static bool evict_one(struct vm *vm, unsigned *b, struct region *r, size_t i, const void *page)
{
	swp_entry_t e;

	if (swap_out(vm->swap, page, NULL, 0, NULL, &e)) {
		atomic_add_relaxed(&vm->evict_fail, 1);
		put_back(vm, b, r, i, page);
		return false;
	}
	r->shadow[i] = atomic_add_relaxed(&vm->evictions, 1);
	atomic_add_relaxed(&vm->swapouts, 1);
	atomic_store_rel(&r->pte[i], pte_swapped(e));
	return true;
}

/* Unlock page i unchanged (it could not be moved). */
static void unlock_page(struct region *r, size_t i)
{
	atomic_and_acq_rel(&r->pte[i], ~PTE_LOCKED);
}

/* What became of each page of a batch. */
enum batch_page { STAYS, MOVED, SETTLED /* released (a hole) or unlocked (busy) already */ };

/*
 * Trust, but verify: the slot was empty, so a page present at slot
 * position j after the moves is page idx[j], whatever the ioctls said,
 * and a page the kernel reported moved must be there. A page moved but
 * not reported would otherwise be zapped with the slot and read as zero
 * (and one reported but absent, evicted from an empty parking page).
 * Disagreements are counted (evict_misreports); one mincore a batch.
 */
static void verify_moves(struct vm *vm, const unsigned char *park, enum batch_page *st, unsigned n)
{
	unsigned char vec[VM_EVICT_BATCH];

	if (mincore((void *)park, n * PAGE_SIZE, vec))
		return;
	for (unsigned j = 0; j < n; j++) {
		bool there = vec[j] & 1;
		if (there == (st[j] == MOVED))
			continue;
		atomic_add_relaxed(&vm->evict_misreports, 1);
		if (there && st[j] == STAYS)
			st[j] = MOVED;
		else if (!there && st[j] == MOVED)
			st[j] = STAYS;
	}
}

/* UFFDIO_MOVE the batch out (vm_evict's arguments). */
static long evict_move(struct vm *vm, unsigned *b, struct region *r, size_t *idx, unsigned n)
{
	unsigned slot, k = 0;
	long evicted = 0;
	unsigned char *park = pcpu_take_slot(vm->parking_busy, VM_PARKING, vm->parking,
					     VM_EVICT_BATCH * PAGE_SIZE, &slot);
	enum batch_page st[VM_EVICT_BATCH] = {STAYS};
	int err = 0;

	while (k < n && err != EAGAIN) {
		unsigned run = 1;
		while (k + run < n && idx[k + run] == idx[k] + run)
			run++;
		unsigned got = move_run(vm, r, idx, k, run, park, &err);
		for (unsigned j = k; j < k + got; j++)
			st[j] = MOVED;
		k += got;
		if (err == ENOENT && k < n) { /* a hole: the kernel dropped a freed page; it reads as zero */
			vm_pte_release(vm, r, idx[k]);
			st[k++] = SETTLED;
		} else if (err == EBUSY && k < n) { /* pinned or shared: leave it */
			unlock_page(r, idx[k]);
			st[k++] = SETTLED;
		} else if (err && err != EAGAIN) { /* the kernel refuses (an mlock'ed page: EINVAL) */
			atomic_add_relaxed(&vm->evict_refused, 1);
			break;
		}
	}
	verify_moves(vm, park, st, n);
	for (unsigned j = 0; j < n; j++) {
		if (st[j] == MOVED) {
			atomic_sub_relaxed(&vm->resident, 1);
			evicted += evict_one(vm, b, r, idx[j], park + j * PAGE_SIZE);
		} else if (st[j] == STAYS) {
			unlock_page(r, idx[j]);
		}
	}
	os_madvise(park, VM_EVICT_BATCH * PAGE_SIZE, MADV_DONTNEED);
	pcpu_put_slot(vm->parking_busy, slot);
	return evicted;
}

/*
 * Evict pages idx[0..n) of r (n <= VM_EVICT_BATCH, ascending), which the
 * caller has locked (each RESIDENT) while holding vm.barrier shared (*b:
 * evict=wp releases and retakes it). Every page is unlocked on return.
 * Returns the pages evicted.
 */
long vm_evict(struct vm *vm, unsigned *b, struct region *r, size_t *idx, unsigned n)
{
	if (vm_frozen(vm)) { /* a fork is being prepared: nothing leaves */
		for (unsigned j = 0; j < n; j++)
			unlock_page(r, idx[j]);
		return 0;
	}
	return vm->evict_wp ? vm_evict_wp(vm, b, r, idx, n) : evict_move(vm, b, r, idx, n);
}

/* Lock page i for eviction if it is resident and free; false if not. A
 * page locked by someone else counts in *busy. */
static bool lock_resident(struct region *r, size_t i, unsigned *busy)
{
	uint64_t v = atomic_load_acq(&r->pte[i]);

	*busy += (v & PTE_LOCKED) != 0;
	return pte_state(v) == PTE_RESIDENT && !(v & (PTE_LOCKED | PTE_PINNED)) &&
	       atomic_cas_acq_rel(&r->pte[i], &v, v | PTE_LOCKED);
}

/* One pass of vm_pageout over [addr, end); *busy counts the pages another
 * owner held. The pages evicted, or -EINVAL when no region holds any. */
static long pageout_pass(struct vm *vm, uintptr_t addr, uintptr_t end, unsigned *busy)
{
	long evicted = 0;
	bool found = false;

	addr &= ~(uintptr_t)(PAGE_SIZE - 1);
	while (addr < end) {
		size_t idx[VM_EVICT_BATCH];
		unsigned n = 0;
		unsigned b = vm_barrier_enter(vm);
		struct region *r = vm_region_find(vm, addr);
		if (!r) {
			vm_barrier_exit(vm, b);
			addr += PAGE_SIZE;
			continue;
		}
		found = true;
		uintptr_t rend = MIN(end, r->start + r->npages * PAGE_SIZE);
		for (; addr < rend && n < VM_EVICT_BATCH; addr += PAGE_SIZE) {
			size_t i = (addr - r->start) / PAGE_SIZE;
			if (lock_resident(r, i, busy))
				idx[n++] = i;
		}
		if (n)
			evicted += vm_evict(vm, &b, r, idx, n);
		vm_barrier_exit(vm, b);
	}
	return found ? evicted : -EINVAL;
}

#define PAGEOUT_TRIES 64 /* passes over pages another owner holds */

/*
 * Evict every resident page of [addr, addr + len); returns the pages
 * evicted, or -EINVAL when the range is in no region. A page another
 * owner holds is waited for, a few passes (with the barrier released
 * between them): a fault handler wakes the faulting thread as soon as
 * the page is in and updates the page table just after, so a program
 * that writes a page and asks for its eviction at once may find it still
 * locked by its resolver. A page still held after that is left.
 */
long vm_pageout(struct vm *vm, uintptr_t addr, size_t len)
{
	long evicted = 0, got;
	unsigned busy = 1;

	for (int pass = 0; busy && pass < PAGEOUT_TRIES; pass++) {
		if (pass)
			sched_yield();
		busy = 0;
		if ((got = pageout_pass(vm, addr, addr + len, &busy)) < 0)
			return pass ? evicted : got;
		evicted += got;
	}
	return evicted;
}
