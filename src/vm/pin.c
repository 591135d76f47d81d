/*
 * pin.c - mlock for region pages: a pinned page is brought in (swapped
 * pages are swapped in, never-touched ones zero-filled, as mlock
 * populates) and then never chosen for eviction, by the clock or by
 * uswap_pageout, until it is unpinned. A page dropped by MADV_DONTNEED or
 * munmap loses its pin with its content.
 *
 * Lock order: vm.barrier (shared, per page) -> PTE_LOCKED, through
 * vm_resolve; the pin bit itself is set with a compare-and-swap on a
 * resident, unlocked word.
 */
#include <sched.h>

#include "vm/vm.h"

/* Pin (or unpin) page i of r at addr: 1 if done, 0 if r is gone. */
static int pin_page(struct vm *vm, uintptr_t addr, bool pin)
{
	for (;;) {
		unsigned b = vm_barrier_enter(vm);
		struct region *r = vm_region_find(vm, addr);
		if (!r) {
			vm_barrier_exit(vm, b);
			return 0;
		}
		size_t i = (addr - r->start) / PAGE_SIZE;
		uint64_t v = atomic_load_acq(&r->pte[i]);
		bool done = !pin && !(v & PTE_PINNED);
		if (!done && pte_state(v) == PTE_RESIDENT && !(v & PTE_LOCKED))
			done = atomic_cas_acq_rel(&r->pte[i], &v, pin ? v | PTE_PINNED : v & ~PTE_PINNED);
		vm_barrier_exit(vm, b);
		if (done)
			return 1;
		if (v & PTE_LOCKED)
			sched_yield();
		else if (pin && pte_state(v) != PTE_RESIDENT)
			vm_resolve(vm, addr, true); /* swapped or never touched: bring it in first */
		else if (pte_state(v) == PTE_POISON)
			return 0;
	}
}

/*
 * Pin (pin) or unpin the pages of [addr, addr + len) that lie in regions;
 * returns how many. Pinning brings each page in first.
 */
long vm_pin(struct vm *vm, uintptr_t addr, size_t len, bool pin)
{
	uintptr_t end = addr + len;
	long n = 0;

	for (addr &= ~(uintptr_t)(PAGE_SIZE - 1); addr < end; addr += PAGE_SIZE)
		n += pin_page(vm, addr, pin);
	return n;
}
