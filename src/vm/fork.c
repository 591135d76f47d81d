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

/* Bring page i of r back if it is swapped; wait out a page another owner
 * holds (a resolver: evictors are stopped). */
static void unswap_page(struct vm *vm, struct region *r, size_t i)
{
	for (;;) {
		uint64_t v = atomic_load_acq(&r->pte[i]);
		if (v & PTE_LOCKED) {
			sched_yield();
			continue;
		}
		if (pte_state(v) == PTE_SWAPPED)
			vm_resolve(vm, r->start + i * PAGE_SIZE, true);
		return;
	}
}

/*
 * Stop eviction and bring every swapped page of every region back.
 * Returns the pages brought back. Pages whose data is lost (POISON) stay
 * as they are. Call vm_thaw() after (frozen counts: freezes nest).
 */
uint64_t vm_freeze(struct vm *vm)
{
	uint64_t before = atomic_load_relaxed(&vm->faults);

	atomic_add_acq_rel(&vm->frozen, 1);
	prw_write_lock(&vm->barrier); /* evictors that missed the flag finish first */
	prw_write_unlock(&vm->barrier);
	for (unsigned id = 0; id < atomic_load_acq(&vm->nr_regions_hint); id++) {
		unsigned b = vm_barrier_enter(vm);
		struct region *r = vm_region_by_id(vm, id);
		size_t n = r ? r->npages : 0;
		vm_barrier_exit(vm, b);
		for (size_t i = 0; i < n; i++)
			if (pte_state(atomic_load_relaxed(&r->pte[i])) != PTE_RESIDENT)
				unswap_page(vm, r, i);
	}
	return atomic_load_relaxed(&vm->faults) - before;
}

/* Eviction may go on; reclaim catches up with the budget. */
void vm_thaw(struct vm *vm)
{
	if (atomic_sub_acq_rel(&vm->frozen, 1) == 1)
		vm_charge(vm, 0);
}
