/*
 * fork.c - keeping every page across fork().
 *
 * A child gets a copy of the parent's address space, but not its
 * userfaultfd registrations (uswap asks for no EVENT_FORK) nor its
 * threads: a page the parent had evicted would read as zero in the child,
 * and the parent's swap slots are not the child's to read. So before a
 * fork the vm is frozen: no page leaves from then on (vm_evict and reclaim
 * stand still), and every swapped page is brought back. The child then
 * holds plain anonymous memory with every byte in place, which a new
 * instance can adopt (vm_region_adopt); the parent thaws and goes on.
 * The budget is exceeded between the freeze and the thaw (and in the child
 * until its reclaim catches up): a fork costs memory, as in the kernel
 * before the child's first write, but never data.
 *
 * Lock order: vm.barrier (taken exclusive once, to wait for evictors that
 * passed the frozen check) -> PTE_LOCKED, through vm_resolve.
 */
#include <sched.h>

#include "vm/vm.h"

bool vm_frozen(struct vm *vm) { return atomic_load_acq(&vm->frozen) != 0; }

#define FREEZE_SPAN 512 /* pages looked at per barrier section */

/* Bring page i of region id back if it is swapped; wait out a page
 * another owner holds (a resolver: evictors are stopped). The region is
 * read under the barrier and vm_resolve looks the page up again, so a
 * region freed meanwhile is no harm. */
static void unswap_page(struct vm *vm, unsigned id, size_t i)
{
	for (;;) {
		unsigned b = vm_barrier_enter(vm);
		struct region *r = vm_region_by_id(vm, id);
		uint64_t v = r && i < r->npages ? atomic_load_acq(&r->pte[i]) : PTE_NONE;
		uintptr_t addr = r ? r->start + i * PAGE_SIZE : 0;
		vm_barrier_exit(vm, b);
		if (v & PTE_LOCKED) {
			sched_yield();
			continue;
		}
		if (pte_state(v) == PTE_SWAPPED)
			vm_resolve(vm, addr, true);
		return;
	}
}

/* Pages [first, first + FREEZE_SPAN) of region id that are swapped or
 * busy, into idx; returns how many, and *more: false past the region (or
 * when it is gone). A region is only read under the barrier: the program
 * may free one while a fork is prepared. */
static unsigned span_to_unswap(struct vm *vm, unsigned id, size_t first, size_t *idx, bool *more)
{
	unsigned n = 0, b = vm_barrier_enter(vm);
	struct region *r = vm_region_by_id(vm, id);
	size_t end = r ? MIN(first + FREEZE_SPAN, r->npages) : first;

	for (size_t i = first; i < end; i++) {
		uint64_t v = atomic_load_relaxed(&r->pte[i]);
		if (pte_state(v) == PTE_SWAPPED || (v & PTE_LOCKED))
			idx[n++] = i;
	}
	*more = r && end < r->npages;
	vm_barrier_exit(vm, b);
	return n;
}

/*
 * Stop eviction and bring every swapped page of every region back.
 * Returns the pages brought back. Pages whose data is lost (POISON) stay
 * as they are. Call vm_thaw() after (frozen counts: freezes nest).
 */
uint64_t vm_freeze(struct vm *vm)
{
	uint64_t before = atomic_load_relaxed(&vm->faults);
	size_t idx[FREEZE_SPAN];

	atomic_add_acq_rel(&vm->frozen, 1);
	prw_write_lock(&vm->barrier); /* evictors that missed the flag finish first */
	prw_write_unlock(&vm->barrier);
	for (unsigned id = 0; id < atomic_load_acq(&vm->nr_regions_hint); id++) {
		bool more = true;
		for (size_t first = 0; more; first += FREEZE_SPAN) {
			unsigned n = span_to_unswap(vm, id, first, idx, &more);
			for (unsigned k = 0; k < n; k++)
				unswap_page(vm, id, idx[k]);
		}
	}
	return atomic_load_relaxed(&vm->faults) - before;
}

/* Eviction may go on; reclaim catches up with the budget. */
void vm_thaw(struct vm *vm)
{
	if (atomic_sub_acq_rel(&vm->frozen, 1) == 1)
		vm_charge(vm, 0);
}
