/*
 * access.c - written bits: which resident pages the program wrote since
 * the clock hand last passed, read from the kernel's page tables.
 *
 * User space sees no accessed bits, but Linux 6.7+ lets it see written
 * ones: a region registered for write-protect faults on a userfaultfd
 * with UFFD_FEATURE_WP_ASYNC has its write-protect faults resolved by the
 * kernel itself (no message, no wake-up: the pte only loses its uffd-wp
 * bit), and the PAGEMAP_SCAN ioctl on /proc/self/pagemap reports the
 * pages whose bit is gone (PAGE_IS_WRITTEN) and write-protects them again
 * in the same page-table walk (PM_SCAN_WP_MATCHING). The clock hand does
 * this a block ahead of where it is (reclaim.c): a page written since the
 * last pass is kept for two more, as the kernel's clock keeps a page
 * whose accessed bit it finds set. A page that is only read is seen by its
 * faults alone, as before.
 *
 * A page installed by UFFDIO_COPY arrives without the uffd-wp bit, so the
 * first scan after it came in reports it written whether or not it was:
 * that report only arms the page (mark_written). An empty pte also reads
 * as written (the scan's fast path); only pages the table says are
 * resident are marked.
 *
 * MADV_FREE. Its REMOVE event is MADV_DONTNEED's, so event.c drops the
 * pages; but the kernel leaves them in place, and keeps for good those
 * the program writes again. Such a page is present while its table says
 * NONE: the budget would not see it, nor could it ever be evicted. So
 * event.c write-protects what is present in a REMOVE'd range as soon as
 * it reads the event (vm_access_rearm) and notes the range once it has
 * dropped the pages (vm_access_note); a present NONE page reported
 * written afterwards was written after the event, hence after any zap of
 * the program's own madvise (a DONTNEED's zap comes before it returns),
 * and is adopted: resident again (lazyfree_adopted). A page written
 * before the event must not be: its madvise may be a DONTNEED whose zap
 * is still to come, and an eviction in between would bring the old bytes
 * back after it. The clock adopts what its scans meet; the reclaim
 * thread looks at the noted ranges every tick (vm_access_lazy) until no
 * unwritten NONE page is left present in them. A page MADV_FREE'd and
 * only read stays uncounted: the kernel may still free it. So does one
 * the program writes before the re-arm (its madvise goes on as soon as
 * the event is read), until it is written again: nothing tells it from a
 * page written before the madvise.
 *
 * Debian 12's headers predate PAGEMAP_SCAN (6.7): its ABI is defined here.
 *
 * Lock order: called with vm.barrier held shared (vm_access_rearm:
 * exclusive; vm_access_lazy takes it); takes PTE words with a
 * compare-and-swap only (never PTE_LOCKED). vm.lazy is guarded by
 * vm.barrier held exclusive.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vm/vm.h"

#ifndef PAGEMAP_SCAN
struct page_region {
	__u64 start, end, categories;
};
struct pm_scan_arg {
	__u64 size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted, category_mask,
		category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN          _IOWR('f', 16, struct pm_scan_arg)
#define PM_SCAN_WP_MATCHING   (1ull << 0)
#define PM_SCAN_CHECK_WPASYNC (1ull << 1)
#define PAGE_IS_WRITTEN       (1ull << 1)
#define PAGE_IS_PRESENT       (1ull << 3)
#endif

#define SCAN_RUNS 64 /* runs of written pages one ioctl reports at most */

bool vm_access_open(struct vm *vm)
{
	vm->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	return vm->pagemap_fd >= 0;
}

void vm_access_close(struct vm *vm)
{
	if (vm->pagemap_fd >= 0)
		close(vm->pagemap_fd);
	vm->pagemap_fd = -1;
}

/* Page i is present, written since the last re-arm, and its table says
 * NONE: MADV_FREE left it and the program wrote it again (see the top of
 * this file). armed: the scan has write-protected it again. */
static void adopt(struct vm *vm, struct region *r, size_t i, uint64_t v, bool armed)
{
	if (atomic_cas_acq_rel(&r->pte[i], &v, PTE_RESIDENT | PTE_REF | (armed ? PTE_ARMED : 0))) {
		vm_resident_add(vm, 1);
		atomic_add_relaxed(&vm->lazyfree_adopted, 1);
	}
}

/*
 * Page i was reported written. A page is reported written once after
 * it comes in (UFFDIO_COPY installs it without the uffd-wp bit), which
 * says nothing: that report only arms it (PTE_ARMED; the scan has
 * write-protected it). A report on an armed page is a real write since
 * the last scan: the page is kept for two more passes (PTE_ACTIVE).
 * Only resident pages nobody owns are marked; a NONE one is adopted.
 * Returns 1 for a write.
 */
static unsigned mark_written(struct vm *vm, struct region *r, size_t i)
{
	uint64_t v = atomic_load_relaxed(&r->pte[i]);

	for (;;) {
		if (v == PTE_NONE) {
			adopt(vm, r, i, v, true);
			return 0;
		}
		if (pte_state(v) != PTE_RESIDENT || (v & PTE_LOCKED))
			return 0;
		uint64_t nv = v & PTE_ARMED ? v | PTE_ACTIVE : v | PTE_ARMED;
		if (nv == v || atomic_cas_acq_rel(&r->pte[i], &v, nv))
			return (v & PTE_ARMED) != 0;
	}
}

/*
 * One PAGEMAP_SCAN over pages [first, first + n) of r: the present pages
 * with every category of mask, reported in runs to fn (with their
 * categories among PRESENT and WRITTEN); with wp, those are also
 * write-protected again. fn may be NULL (only write-protect). false when
 * the scan did not finish; one the kernel refuses also turns written bits
 * off for r (it was registered without write-protect, or the kernel lacks
 * the ioctl).
 */
typedef void scan_fn(struct vm *vm, struct region *r, size_t first, size_t n, uint64_t cats, void *arg);

static bool scan(struct vm *vm, struct region *r, size_t first, size_t n, uint64_t mask, bool wp, scan_fn *fn,
		 void *arg)
{
	struct page_region runs[SCAN_RUNS];
	uintptr_t start = r->start + first * PAGE_SIZE, end = start + n * PAGE_SIZE;
	int tries = 0;

	while (start < end) {
		struct pm_scan_arg a = {.size = sizeof(a), .flags = PM_SCAN_CHECK_WPASYNC | (wp ? PM_SCAN_WP_MATCHING : 0),
					.start = start, .end = end, .vec = fn ? (uintptr_t)runs : 0,
					.vec_len = fn ? SCAN_RUNS : 0, .category_mask = mask | PAGE_IS_PRESENT,
					.return_mask = PAGE_IS_PRESENT | PAGE_IS_WRITTEN};
		long got = ioctl(vm->pagemap_fd, PAGEMAP_SCAN, &a);
		if (got < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < 3)
			continue;
		if (got < 0) {
			if (errno != EINTR && errno != EAGAIN)
				atomic_store_relaxed(&r->wp, false);
			return false;
		}
		for (long k = 0; k < got; k++)
			fn(vm, r, (runs[k].start - r->start) / PAGE_SIZE, (runs[k].end - runs[k].start) / PAGE_SIZE,
			   runs[k].categories, arg);
		if (a.walk_end <= start)
			break;
		start = a.walk_end;
	}
	return true;
}

static void mark_run(struct vm *vm, struct region *r, size_t first, size_t n, uint64_t cats, void *arg)
{
	unsigned *marked = arg;

	for (size_t i = first; i < first + n; i++)
		*marked += mark_written(vm, r, i);
}

/*
 * Pages [first, first + n) of r: each one written since the last scan
 * is marked (mark_written), and all are write-protected again. Returns
 * the pages marked.
 */
unsigned vm_access_scan(struct vm *vm, struct region *r, size_t first, size_t n)
{
	unsigned marked = 0;

	scan(vm, r, first, n, PAGE_IS_WRITTEN, true, mark_run, &marked);
	atomic_add_relaxed(&vm->written_refs, marked);
	return marked;
}

/* A REMOVE event is about to drop pages [first, first + n) of r:
 * write-protect what is present, so that a write reported later came
 * after it. Call with vm.barrier exclusive, as soon as the event is read:
 * the program's madvise goes on from there, and a write of the program's
 * that comes before this is not seen (the page stays uncounted until it
 * is written again). */
void vm_access_rearm(struct vm *vm, struct region *r, size_t first, size_t n)
{
	/* Unfinished, a write from before the event could be taken for a
	 * later one: r's written bits go off, so nothing there is adopted. */
	if (atomic_load_relaxed(&r->wp) && !scan(vm, r, first, n, PAGE_IS_WRITTEN, true, NULL, NULL))
		atomic_store_relaxed(&r->wp, false);
}

/* ... and once they are dropped, note the range for vm_access_lazy. */
void vm_access_note(struct vm *vm, struct region *r, size_t first, size_t n)
{
	if (!atomic_load_relaxed(&r->wp))
		return;
	uintptr_t start = r->start + first * PAGE_SIZE, end = start + n * PAGE_SIZE;
	unsigned k = 0, nr = atomic_load_relaxed(&vm->nr_lazy);
	while (k < nr && (vm->lazy[k].end < start || vm->lazy[k].start > end))
		k++;
	if (k == nr) { /* no range it touches: a new one (the oldest goes when full) */
		if (nr == VM_LAZY_RANGES) {
			memmove(&vm->lazy[0], &vm->lazy[1], sizeof(vm->lazy[0]) * --nr);
			k = nr;
		}
		vm->lazy[k] = (struct vm_range){start, end, 0};
		atomic_store_relaxed(&vm->nr_lazy, nr + 1);
	}
	vm->lazy[k].start = MIN(vm->lazy[k].start, start);
	vm->lazy[k].end = MAX(vm->lazy[k].end, end);
	vm->lazy[k].seq++;
}

/* A run of present pages of a noted range: written NONE ones are adopted;
 * an unwritten NONE one keeps the range noted (*live). */
static void lazy_run(struct vm *vm, struct region *r, size_t first, size_t n, uint64_t cats, void *arg)
{
	bool *live = arg;

	for (size_t i = first; i < first + n; i++) {
		uint64_t v = atomic_load_relaxed(&r->pte[i]);
		if (v != PTE_NONE)
			continue;
		if (cats & PAGE_IS_WRITTEN)
			adopt(vm, r, i, v, false);
		else
			*live = true;
	}
}

/* Look at one noted range (report only: the clock's written bits stay
 * as they are); true while it still has present NONE pages. */
static bool lazy_range(struct vm *vm, const struct vm_range *rg)
{
	bool live = false;
	unsigned b = vm_barrier_enter(vm);
	struct region *r = vm_region_find(vm, rg->start);

	if (r && atomic_load_relaxed(&r->wp)) {
		uintptr_t end = MIN(rg->end, r->start + r->npages * PAGE_SIZE);
		if (end > rg->start)
			scan(vm, r, (rg->start - r->start) / PAGE_SIZE, (end - rg->start) / PAGE_SIZE, 0, false, lazy_run,
			     &live);
	}
	vm_barrier_exit(vm, b);
	return live;
}

/*
 * The reclaim thread's tick: adopt the pages of the noted ranges that the
 * program wrote after MADV_FREE, and forget the ranges that have no
 * present NONE page left (a range noted again meanwhile stays).
 */
void vm_access_lazy(struct vm *vm)
{
	struct vm_range rg[VM_LAZY_RANGES];
	bool live[VM_LAZY_RANGES];

	if (!atomic_load_relaxed(&vm->nr_lazy))
		return;
	prw_write_lock(&vm->barrier);
	unsigned n = atomic_load_relaxed(&vm->nr_lazy);
	memcpy(rg, vm->lazy, n * sizeof(rg[0]));
	prw_write_unlock(&vm->barrier);
	for (unsigned k = 0; k < n; k++)
		live[k] = lazy_range(vm, &rg[k]);
	prw_write_lock(&vm->barrier);
	unsigned nr = atomic_load_relaxed(&vm->nr_lazy), keep = 0;
	for (unsigned j = 0; j < nr; j++) {
		bool gone = false;
		for (unsigned k = 0; k < n && !gone; k++)
			gone = !live[k] && !memcmp(&rg[k], &vm->lazy[j], sizeof(rg[k]));
		if (!gone)
			vm->lazy[keep++] = vm->lazy[j];
	}
	atomic_store_relaxed(&vm->nr_lazy, keep);
	prw_write_unlock(&vm->barrier);
}
