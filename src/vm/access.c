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
 * Debian 12's headers predate PAGEMAP_SCAN (6.7): its ABI is defined here.
 *
 * Lock order: called with vm.barrier held shared; takes PTE words with a
 * compare-and-swap only (never PTE_LOCKED).
 */
#include <errno.h>
#include <fcntl.h>
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

/*
 * Page i was reported written. A page is reported written once after
 * it comes in (UFFDIO_COPY installs it without the uffd-wp bit), which
 * says nothing: that report only arms it (PTE_ARMED; the scan has
 * write-protected it). A report on an armed page is a real write since
 * the last scan: the page is kept for two more passes (PTE_ACTIVE).
 * Only resident pages nobody owns are marked. Returns 1 for a write.
 */
static unsigned mark_written(struct region *r, size_t i)
{
	uint64_t v = atomic_load_relaxed(&r->pte[i]);

	for (;;) {
		if (pte_state(v) != PTE_RESIDENT || (v & PTE_LOCKED))
			return 0;
		uint64_t nv = v & PTE_ARMED ? v | PTE_ACTIVE : v | PTE_ARMED;
		if (nv == v || atomic_cas_acq_rel(&r->pte[i], &v, nv))
			return (v & PTE_ARMED) != 0;
	}
}

/*
 * Pages [first, first + n) of r: each one written since the last scan
 * is marked (mark_written), and all are write-protected again. Returns
 * the pages marked; a scan the kernel refuses turns written bits off for r (it was
 * registered without write-protect, or the kernel lacks the ioctl).
 */
unsigned vm_access_scan(struct vm *vm, struct region *r, size_t first, size_t n)
{
	struct page_region runs[SCAN_RUNS];
	uintptr_t start = r->start + first * PAGE_SIZE, end = start + n * PAGE_SIZE;
	unsigned marked = 0;

	while (start < end) {
		struct pm_scan_arg a = {.size = sizeof(a), .flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
					.start = start, .end = end, .vec = (uintptr_t)runs, .vec_len = SCAN_RUNS,
					.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN};
		long got = ioctl(vm->pagemap_fd, PAGEMAP_SCAN, &a);
		if (got < 0) {
			if (errno != EINTR && errno != EAGAIN)
				atomic_store_relaxed(&r->wp, false);
			break;
		}
		for (long k = 0; k < got; k++)
			for (uintptr_t p = runs[k].start; p < runs[k].end; p += PAGE_SIZE)
				marked += mark_written(r, (p - r->start) / PAGE_SIZE);
		if (a.walk_end <= start)
			break;
		start = a.walk_end;
	}
	atomic_add_relaxed(&vm->written_refs, marked);
	return marked;
}
