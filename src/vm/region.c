/*
 * region.c - regions: anonymous private memory registered with the vm's
 * userfaultfd for MISSING faults (and async write-protect: access.c),
 * and their page tables.
 *
 * A region is found by address without a lock: vm.regions[] slots are
 * published with release stores. Resolvers and evictors look regions up
 * only while holding vm.barrier shared, so a region unpublished under the
 * barrier held exclusive can no longer be found once that is released;
 * it is freed only after every PTE_LOCKED bit in it has cleared (an owner
 * of a locked page may still hold a pointer to the region).
 *
 * Lock order: vm.barrier -> vm.regions_lock -> PTE_LOCKED bits.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm/vm.h"

static size_t table_bytes(size_t npages, size_t each)
{
	return PAGE_ALIGN(npages * each);
}

static void region_free(struct region *r)
{
	if (r->pte)
		os_munmap((void *)r->pte, table_bytes(r->npages, sizeof(*r->pte)));
	if (r->shadow)
		os_munmap(r->shadow, table_bytes(r->npages, sizeof(*r->shadow)));
	base_free(r);
}

/* A region of npages pages, its tables mapped (zero: every page NONE);
 * no range yet. NULL when out of memory. */
static struct region *region_new(size_t npages)
{
	struct region *r = base_calloc(1, sizeof(*r));
	void *p;

	if (!r)
		return NULL;
	r->npages = npages;
	if (!os_mmap_anon(table_bytes(npages, sizeof(*r->pte)), PAGE_SIZE, &p))
		r->pte = p;
	if (r->pte && !os_mmap_anon(table_bytes(npages, sizeof(*r->shadow)), PAGE_SIZE, &p))
		r->shadow = p;
	if (!r->shadow) {
		region_free(r); /* unmaps whichever table was mapped */
		return NULL;
	}
	return r;
}

/* Register r's range with the vm's userfaultfd for MISSING faults, and
 * for write-protect ones: always under evict=wp (eviction needs them),
 * and async ones when the vm has written bits (without them if the kernel
 * refuses that for this range). */
static int region_register(struct vm *vm, struct region *r, char *err, size_t errlen)
{
	size_t len = r->npages * PAGE_SIZE;

	/* Whole pages only: a huge page cannot be moved out page by page. */
	os_madvise((void *)r->start, len, MADV_NOHUGEPAGE);
	struct uffdio_register reg = {.range = {.start = r->start, .len = len}, .mode = UFFDIO_REGISTER_MODE_MISSING};
	if (vm->evict_wp) { /* write-protect faults are part of eviction (evict_wp.c) */
		reg.mode |= UFFDIO_REGISTER_MODE_WP;
	} else if (vm->written_bits) {
		reg.mode |= UFFDIO_REGISTER_MODE_WP;
		bool wp = !ioctl(vm->uffd, UFFDIO_REGISTER, &reg);
		atomic_store_relaxed(&r->wp, wp);
		if (wp)
			return 0;
		reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	}
	if (ioctl(vm->uffd, UFFDIO_REGISTER, &reg)) {
		int ret = -errno;
		snprintf(err, errlen, "cannot register a region with userfaultfd%s: %s",
			 vm->evict_wp ? " for write-protect faults (evict=wp needs Linux 5.7+)" : "", strerror(-ret));
		return ret;
	}
	return 0;
}

static void region_unregister(struct vm *vm, struct region *r)
{
	struct uffdio_range range = {.start = r->start, .len = r->npages * PAGE_SIZE};

	ioctl(vm->uffd, UFFDIO_UNREGISTER, &range);
}

/* Map fresh memory for r and register it. */
static int region_map(struct vm *vm, struct region *r, char *err, size_t errlen)
{
	size_t len = r->npages * PAGE_SIZE;
	void *p;
	int ret;

	if ((ret = os_mmap_anon(len, PAGE_SIZE, &p))) {
		snprintf(err, errlen, "cannot map a region of %zu bytes: %s", len, strerror(-ret));
		return ret;
	}
	r->start = (uintptr_t)p;
	if ((ret = region_register(vm, r, err, errlen)))
		os_munmap(p, len);
	return ret;
}

/* Publish r in a free slot; -ENOSPC when every slot is taken. */
static int region_publish(struct vm *vm, struct region *r)
{
	int ret = -ENOSPC;

	mutex_lock(&vm->regions_lock);
	for (unsigned i = 0; i < VM_MAX_REGIONS; i++) {
		if (atomic_load_relaxed(&vm->regions[i]))
			continue;
		r->id = i;
		atomic_store_rel(&vm->regions[i], r);
		if (i >= atomic_load_relaxed(&vm->nr_regions_hint))
			atomic_store_rel(&vm->nr_regions_hint, i + 1);
		ret = 0;
		break;
	}
	mutex_unlock(&vm->regions_lock);
	return ret;
}

/*
 * A new region of len bytes (rounded up to pages) that reads as zero.
 * 0 and *out, or -ENOMEM, -ENOSPC (too many regions), -errno of mmap or
 * UFFDIO_REGISTER, with a message in err.
 */
int vm_region_add(struct vm *vm, size_t len, void **out, char *err, size_t errlen)
{
	len = PAGE_ALIGN(len);
	struct region *r = len ? region_new(len / PAGE_SIZE) : NULL;
	int ret;

	if (!r) {
		snprintf(err, errlen, "out of memory for a region of %zu bytes", len);
		return -ENOMEM;
	}
	if ((ret = region_map(vm, r, err, errlen)))
		goto fail;
	if ((ret = region_publish(vm, r))) {
		snprintf(err, errlen, "too many regions (at most %d)", VM_MAX_REGIONS);
		os_munmap((void *)r->start, len);
		goto fail;
	}
	*out = (void *)r->start;
	return 0;
fail:
	region_free(r);
	return ret;
}

/*
 * Make existing anonymous private memory [addr, addr + len) a region, its
 * content kept: pages present now are resident, the others read as zero
 * (a forked child's copy of its parent's regions, fork.c); pages from
 * used_len on were never touched and read as zero. The range is
 * registered before the table is read from mincore, so a page that
 * appears in between is in the table, and one that does not faults and
 * is zero-filled. The program's other threads may use the memory
 * meanwhile (a forked child adopts its heap after its start): the barrier
 * is held exclusive from the registration until the region is published,
 * so that a fault in between waits for the table instead of finding no
 * region (which in SIGBUS mode would kill the program). 0, or -errno with
 * a message.
 */
int vm_region_adopt(struct vm *vm, void *addr, size_t len, size_t used_len, char *err, size_t errlen)
{
	size_t scan = MIN(used_len, len) / PAGE_SIZE; /* pages past it were never touched: NONE */
	int ret;

	if ((uintptr_t)addr % PAGE_SIZE || !len || len % PAGE_SIZE) {
		snprintf(err, errlen, "cannot adopt %zu bytes at %p: not whole pages", len, addr);
		return -EINVAL;
	}
	struct region *r = region_new(len / PAGE_SIZE);
	unsigned char *vec = r ? base_malloc(scan + 1) : NULL;
	if (!vec) {
		snprintf(err, errlen, "cannot adopt %zu bytes at %p: out of memory", len, addr);
		ret = -ENOMEM;
		goto fail;
	}
	r->start = (uintptr_t)addr;
	prw_write_lock(&vm->barrier);
	if ((ret = region_register(vm, r, err, errlen))) {
		prw_write_unlock(&vm->barrier);
		goto fail;
	}
	if (scan && mincore(addr, scan * PAGE_SIZE, vec)) {
		ret = -errno;
		snprintf(err, errlen, "cannot adopt %zu bytes at %p: mincore: %s", len, addr, strerror(-ret));
		goto fail_registered;
	}
	size_t present = 0;
	for (size_t i = 0; i < scan; i++)
		if (vec[i] & 1) {
			atomic_store_relaxed(&r->pte[i], PTE_RESIDENT);
			present++;
		}
	atomic_add_relaxed(&vm->resident, (int64_t)present);
	if ((ret = region_publish(vm, r))) {
		atomic_sub_relaxed(&vm->resident, (int64_t)present);
		snprintf(err, errlen, "too many regions (at most %d)", VM_MAX_REGIONS);
		goto fail_registered;
	}
	prw_write_unlock(&vm->barrier);
	base_free(vec);
	vm_charge(vm, 0);
	return 0;
fail_registered:
	region_unregister(vm, r);
	prw_write_unlock(&vm->barrier);
fail:
	base_free(vec);
	if (r)
		region_free(r);
	return ret;
}

struct region *vm_region_by_id(struct vm *vm, unsigned id)
{
	return id < VM_MAX_REGIONS ? atomic_load_acq(&vm->regions[id]) : NULL;
}

/* The region holding addr, or NULL. Call with vm.barrier held. */
struct region *vm_region_find(struct vm *vm, uintptr_t addr)
{
	unsigned n = atomic_load_acq(&vm->nr_regions_hint);

	for (unsigned i = 0; i < n; i++) {
		struct region *r = atomic_load_acq(&vm->regions[i]);
		if (r && addr - r->start < r->npages * PAGE_SIZE)
			return r;
	}
	return NULL;
}

/* Drop page i's content (its PTE is not locked, or locked by the
 * caller): a swapped page's entry goes, a resident page is uncharged. */
void vm_pte_release(struct vm *vm, struct region *r, size_t i)
{
	uint64_t v = atomic_xchg_acq_rel(&r->pte[i], PTE_NONE);

	if (pte_state(v) == PTE_SWAPPED)
		swap_sys_free(vm->swap, pte_entry(v));
	else if (pte_state(v) == PTE_RESIDENT)
		atomic_sub_relaxed(&vm->resident, 1);
}

/*
 * Pages [first, first + n) were dropped by the program (MADV_DONTNEED,
 * munmap): they read as zero from now on. A page locked by an owner gets
 * PTE_DROP instead, and the owner drops it; but a page its owner is
 * zapping (PTE_ZAPPING, evict_wp.c) only loses that flag: the first event
 * over it is taken for the owner's own. Call with vm.barrier exclusive
 * (event.c) or with the region unpublished.
 */
void vm_page_drop(struct vm *vm, struct region *r, size_t first, size_t n)
{
	for (size_t i = first; i < first + n && i < r->npages; i++) {
		uint64_t v = atomic_load_acq(&r->pte[i]);
		for (;;) {
			if (v & PTE_LOCKED) {
				uint64_t nv = v & PTE_ZAPPING ? v & ~PTE_ZAPPING : v | PTE_DROP;
				if (atomic_cas_acq_rel(&r->pte[i], &v, nv))
					break;
				continue;
			}
			if (atomic_cas_acq_rel(&r->pte[i], &v, v | PTE_LOCKED)) {
				vm_pte_release(vm, r, i);
				break;
			}
		}
	}
}

/* Wait until no page of r is locked: owners that held a lock when r was
 * unpublished see it gone when they look again, and unlock. */
static void region_quiesce(struct region *r)
{
	for (size_t i = 0; i < r->npages; i++)
		while (atomic_load_acq(&r->pte[i]) & PTE_LOCKED)
			sched_yield();
}

/*
 * Free the region that starts at addr: unregister it, drop its pages and
 * their swap entries, unmap it. -EINVAL (with a message) when addr does
 * not start a region.
 */
int vm_region_remove(struct vm *vm, void *addr, char *err, size_t errlen)
{
	struct region *r = NULL;

	prw_write_lock(&vm->barrier);
	mutex_lock(&vm->regions_lock);
	for (unsigned i = 0; i < VM_MAX_REGIONS && !r; i++) {
		struct region *c = atomic_load_relaxed(&vm->regions[i]);
		if (c && c->start == (uintptr_t)addr) {
			r = c;
			atomic_store_rel(&vm->regions[i], NULL);
		}
	}
	mutex_unlock(&vm->regions_lock);
	prw_write_unlock(&vm->barrier);
	if (!r) {
		snprintf(err, errlen, "%p is not the start of a region of this uswap instance", addr);
		return -EINVAL;
	}
	region_quiesce(r);
	size_t len = r->npages * PAGE_SIZE;
	region_unregister(vm, r);
	for (size_t i = 0; i < r->npages; i++)
		vm_pte_release(vm, r, i);
	os_munmap((void *)r->start, len);
	region_free(r);
	return 0;
}

/*
 * The debug tier's check of the page tables against the kernel's: with
 * vm.barrier held exclusive (no resolver or evictor is half-way), every
 * page the table says is RESIDENT is present in the region, and every page
 * it says is NONE, SWAPPED or POISON is not (mincore). A page present
 * while its table says SWAPPED would be replaced by its stale copy at the
 * next eviction; a RESIDENT page missing would read as zeros. The one
 * exception: a NONE page may be present in a range MADV_FREE left in
 * place (vm.lazy, access.c) until the program writes it again. 0, or
 * -EUCLEAN with the first mismatch in err.
 */
static bool in_lazy_range(struct vm *vm, uintptr_t addr)
{
	for (unsigned k = 0; k < atomic_load_relaxed(&vm->nr_lazy); k++)
		if (addr >= vm->lazy[k].start && addr < vm->lazy[k].end)
			return true;
	return false;
}

int vm_validate(struct vm *vm, char *err, size_t errlen)
{
	int ret = 0;

	prw_write_lock(&vm->barrier);
	for (unsigned id = 0; id < atomic_load_acq(&vm->nr_regions_hint) && !ret; id++) {
		struct region *r = vm_region_by_id(vm, id);
		unsigned char *vec = r ? base_malloc(r->npages) : NULL;
		if (!r || !vec || mincore((void *)r->start, r->npages * PAGE_SIZE, vec)) {
			base_free(vec);
			continue;
		}
		for (size_t i = 0; i < r->npages && !ret; i++) {
			uint64_t v = atomic_load_acq(&r->pte[i]);
			bool present = vec[i] & 1, resident = pte_state(v) == PTE_RESIDENT;
			if (!(v & PTE_LOCKED) && present != resident &&
			    !(v == PTE_NONE && in_lazy_range(vm, r->start + i * PAGE_SIZE))) {
				snprintf(err, errlen, "region %u page %zu: the table says %s (word %#llx), the kernel %s",
					 id, i, resident ? "resident" : pte_state(v) == PTE_SWAPPED ? "swapped" : "not resident",
					 (unsigned long long)v, present ? "has it" : "has no page");
				ret = -EUCLEAN;
			}
		}
		base_free(vec);
	}
	prw_write_unlock(&vm->barrier);
	return ret;
}
