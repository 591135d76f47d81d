/*
 * event.c - address-space events (design-digest 4.4) under the event
 * barrier (4.2).
 *
 * The kernel lets resolving ioctls through again as soon as an event is
 * read, before the program's madvise or munmap has changed its page
 * tables. So events are read and applied with vm.barrier held exclusive:
 * a resolver holds it shared from looking a page up to installing it, so
 * none is between the two when the page table learns of the event, and
 * every later one sees the page dropped. A page read after MADV_DONTNEED
 * is zero, never stale.
 *
 * REMOVE (MADV_DONTNEED, MADV_FREE, MADV_REMOVE) and UNMAP (munmap) drop
 * the pages of the range (what MADV_FREE leaves in place and the program
 * writes again is adopted later: access.c); REMAP (mremap) of a whole
 * region moves the region; a partial mremap drops the pages it moved
 * (they are no longer registered at the new address and read as zero
 * there: documented in uswap.h).
 *
 * Lock order: vm.barrier (exclusive) -> vm.regions_lock -> PTE_LOCKED;
 * vm.lazy under the barrier (access.c).
 */
#include <errno.h>
#include <unistd.h>

#include "vm/vm.h"

typedef void range_fn(struct vm *vm, struct region *r, size_t first, size_t n);

/* fn over the part of [start, start + len) in each region it overlaps. */
static void each_region(struct vm *vm, uintptr_t start, uint64_t len, range_fn *fn)
{
	unsigned n = atomic_load_acq(&vm->nr_regions_hint);

	for (unsigned id = 0; id < n; id++) {
		struct region *r = vm_region_by_id(vm, id);
		if (!r)
			continue;
		uintptr_t end = r->start + r->npages * PAGE_SIZE, lo = MAX(start, r->start),
			  hi = MIN(start + len, end);
		if (lo < hi)
			fn(vm, r, (lo - r->start) / PAGE_SIZE, (hi - lo) / PAGE_SIZE);
	}
}

/* Drop the pages; for a REMOVE (MADV_FREE may have left them in place),
 * also note the range (access.c). */
static void drop_removed(struct vm *vm, struct region *r, size_t first, size_t n)
{
	vm_page_drop(vm, r, first, n);
	vm_access_note(vm, r, first, n);
}

static void remap(struct vm *vm, uintptr_t from, uintptr_t to, uint64_t len)
{
	mutex_lock(&vm->regions_lock);
	struct region *r = vm_region_find(vm, from);
	if (r && r->start == from && r->npages * PAGE_SIZE == len) {
		r->start = to; /* the whole region moved: its table moves with it */
		mutex_unlock(&vm->regions_lock);
		return;
	}
	mutex_unlock(&vm->regions_lock);
	each_region(vm, from, len, vm_page_drop);
}

static void apply(struct vm *vm, const struct uffd_msg *m)
{
	switch (m->event) {
	case UFFD_EVENT_REMOVE:
	case UFFD_EVENT_UNMAP: /* same message layout */
		each_region(vm, m->arg.remove.start, m->arg.remove.end - m->arg.remove.start,
			    m->event == UFFD_EVENT_REMOVE ? drop_removed : vm_page_drop);
		break;
	case UFFD_EVENT_REMAP:
		remap(vm, m->arg.remap.from, m->arg.remap.to, m->arg.remap.len);
		break;
	default:
		break;
	}
}

/*
 * Read what the userfaultfd has (it is non-blocking), apply the events
 * and return up to max faults in faults (handler mode).
 */
void vm_events_read(struct vm *vm, struct vm_fault_msg *faults, unsigned *nr_faults, unsigned max)
{
	struct uffd_msg msg[16];
	unsigned nf = 0;

	prw_write_lock(&vm->barrier);
	ssize_t got = read(vm->uffd, msg, sizeof(msg[0]) * MIN(max, ARRAY_SIZE(msg)));
	ssize_t n = got > 0 ? got / (ssize_t)sizeof(msg[0]) : 0;
	for (ssize_t k = 0; k < n; k++) /* first: the madvise goes on */
		if (msg[k].event == UFFD_EVENT_REMOVE)
			each_region(vm, msg[k].arg.remove.start, msg[k].arg.remove.end - msg[k].arg.remove.start,
				    vm_access_rearm);
	for (ssize_t k = 0; k < n; k++) {
		if (msg[k].event == UFFD_EVENT_PAGEFAULT)
			faults[nf++] = (struct vm_fault_msg){
				.addr = (uintptr_t)msg[k].arg.pagefault.address,
				.tid = vm->caps.enabled & UFFD_FEATURE_THREAD_ID ? (pid_t)msg[k].arg.pagefault.feat.ptid : 0};
		else
			apply(vm, &msg[k]);
	}
	prw_write_unlock(&vm->barrier);
	*nr_faults = nf;
}
