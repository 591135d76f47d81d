/*
 * unuse.c - swapoff back into the regions (the kernel's unuse_pte).
 *
 * When the swap file is taken away (uswap_swapoff), swap/ reads back
 * every page stored there and offers it to the vm first (its unuse
 * callback): the vm installs the page where a region's page table names
 * the page's entry, as a fault would, and drops the region's reference.
 * A page the vm declines (no room under the budget, its page busy, an
 * event pending) goes into zswap or onto another device instead; when it
 * has nowhere to go the swapoff fails and the file stays in use.
 *
 * swap/ hands over entries, not places. The kernel walks every page table
 * for them; here one walk over the regions' tables at the start of the
 * swapoff (vm_unuse_begin) sorts the swapped pages by entry, and each
 * offer looks its entry up and checks the page table still says so. A
 * page that changed since (swapped in, dropped) is declined; a page
 * swapped out since has a new entry on another device, for writeok is
 * off on the one going away.
 *
 * Lock order: swap/'s claim of the entry (held by swap/ around the
 * callback) -> vm.barrier (shared) -> PTE_LOCKED, both taken with a
 * trylock only: a resolver may hold the barrier and the page's lock while
 * it waits for the claim, and a writer waiting for the barrier waits for
 * that resolver (a blocking read lock behind the writer would close the
 * circle). Busy, the page is declined with -EAGAIN, and swap/ offers it
 * again later. vm.unuse_map is set up and torn down by the one
 * thread running the swapoff (uswap.c serialises it), and read by it
 * alone, in the callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "vm/vm.h"

struct unuse_loc {
	uint64_t offset;   /* the entry's offset */
	uint32_t region;   /* region id */
	uint32_t page;     /* page index in it */
};

static int by_offset(const void *a, const void *b)
{
	uint64_t x = ((const struct unuse_loc *)a)->offset, y = ((const struct unuse_loc *)b)->offset;

	return x < y ? -1 : x > y;
}

/* Count (map NULL) or list the swapped pages, up to max. */
static size_t walk_swapped(struct vm *vm, struct unuse_loc *map, size_t max)
{
	size_t n = 0;
	unsigned b = vm_barrier_enter(vm);

	for (unsigned id = 0; id < atomic_load_acq(&vm->nr_regions_hint); id++) {
		struct region *r = vm_region_by_id(vm, id);
		for (size_t i = 0; r && i < r->npages && n < max; i++) {
			uint64_t v = atomic_load_relaxed(&r->pte[i]);
			if (pte_state(v) != PTE_SWAPPED)
				continue;
			if (map)
				map[n] = (struct unuse_loc){swp_offset(pte_entry(v)), id, (uint32_t)i};
			n++;
		}
	}
	vm_barrier_exit(vm, b);
	return n;
}

/* Map every swapped page by entry, for the offers of the swapoff that
 * follows. 0 or -ENOMEM. */
int vm_unuse_begin(struct vm *vm)
{
	size_t max = walk_swapped(vm, NULL, SIZE_MAX) + 1024; /* and some swapped out meanwhile */
	void *p;

	if (os_mmap_anon(max * sizeof(struct unuse_loc), PAGE_SIZE, &p))
		return -ENOMEM;
	vm->unuse_map = p;
	vm->unuse_cap = max;
	vm->unuse_swapouts = atomic_load_relaxed(&vm->swapouts);
	vm->unuse_n = walk_swapped(vm, vm->unuse_map, max);
	qsort(vm->unuse_map, vm->unuse_n, sizeof(struct unuse_loc), by_offset);
	return 0;
}

void vm_unuse_end(struct vm *vm)
{
	if (vm->unuse_map)
		os_munmap(vm->unuse_map, vm->unuse_cap * sizeof(struct unuse_loc));
	vm->unuse_map = NULL;
	vm->unuse_n = vm->unuse_cap = 0;
}

/* Install page at r's page i, which holds entry e (its word v, locked by
 * us): 0, or -errno with the word put back (-EAGAIN: an event is
 * pending; swap/ offers the page again after it). */
static int unuse_install(struct vm *vm, struct region *r, size_t i, uint64_t v, swp_entry_t e, const void *page)
{
	int err = 0;

	if (!vm_install(vm, r->start + i * PAGE_SIZE, page, PAGE_SIZE, true, &err)) {
		atomic_store_rel(&r->pte[i], v);
		return -err;
	}
	vm_resident_add(vm, 1);
	atomic_store_rel(&r->pte[i], PTE_RESIDENT);
	swap_sys_free(vm->swap, e);
	return 0;
}

/* swap/'s unuse callback (swap_unuse_fn): put entry e's page back into
 * its region. 0, or -errno to decline. */
int vm_unuse(void *arg, swp_entry_t e, const void *page, const void *tags, size_t tags_len)
{
	struct vm *vm = arg;
	struct unuse_loc key = {.offset = swp_offset(e)};
	const struct unuse_loc *l = vm->unuse_map ? bsearch(&key, vm->unuse_map, vm->unuse_n, sizeof(key), by_offset)
						  : NULL;
	uint64_t limit = atomic_load_relaxed(&vm->limit_pages);
	int ret;

	(void)tags;
	(void)tags_len; /* the vm keeps no tags */
	if (!l && atomic_load_relaxed(&vm->swapouts) != vm->unuse_swapouts) {
		vm_unuse_end(vm); /* swapped out after the map was made: make it again */
		if (vm_unuse_begin(vm))
			return -ENOMEM;
		l = bsearch(&key, vm->unuse_map, vm->unuse_n, sizeof(key), by_offset);
	}
	if (!l)
		return -ENOENT;
	if (limit && vm_usage_pages(vm) + 1 > limit)
		return -ENOMEM; /* no room: swap/ finds the page another place */
	unsigned b;
	if (!prw_read_trylock(&vm->barrier, &b))
		return -EAGAIN; /* a writer waits, maybe for a resolver waiting for our claim */
	struct region *r = vm_region_by_id(vm, l->region);
	uint64_t v = r && l->page < r->npages ? atomic_load_acq(&r->pte[l->page]) : PTE_NONE;
	if (pte_state(v) != PTE_SWAPPED || pte_entry(v).val != e.val)
		ret = -ENOENT; /* the page changed since the map was made */
	else if (!(v & PTE_LOCKED) && atomic_cas_acq_rel(&r->pte[l->page], &v, v | PTE_LOCKED))
		ret = unuse_install(vm, r, l->page, v, e, page);
	else
		ret = -EAGAIN; /* a resolver has it, waiting for our claim maybe: swap/ offers it again */
	vm_barrier_exit(vm, b);
	return ret;
}
