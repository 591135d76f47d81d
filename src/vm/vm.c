/*
 * vm.c - a vm: the userfaultfds, the parking range, the staging pages, the
 * threads, the budget and the statistics. See vm.h for the layer.
 *
 * Lock order: see vm.h. Nothing here is taken on the fault path but the
 * atomic slot flags.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm/vm.h"

/* This vm's own usage: resident pages, and the pool when it counts. */
uint64_t vm_own_pages(struct vm *vm)
{
	int64_t res = atomic_load_relaxed(&vm->resident);
	uint64_t pool = vm->cfg.pool_in_limit && vm->z ? zswap_pool_bytes(vm->z) / PAGE_SIZE : 0;

	return (uint64_t)(res > 0 ? res : 0) + pool;
}

/* Publish own usage into the shared budget when it has moved a step
 * from what was published (exact: always); returns what is published
 * now. Atomics only: a fault in a SIGBUS handler may call it. */
static int64_t share_publish(struct vm *vm, int64_t own, bool exact)
{
	int64_t mine = atomic_load_relaxed(vm->share.mine);

	if (!exact && own - mine < VM_SHARE_STEP && mine - own < VM_SHARE_STEP)
		return mine;
	int64_t old = atomic_xchg_acq_rel(vm->share.mine, own);
	int64_t total = atomic_add_acq_rel(vm->share.total, own - old) + (own - old);
	int64_t peak = atomic_load_relaxed(vm->share.peak);
	while (total > peak && !atomic_cas_weak_relaxed(vm->share.peak, &peak, total))
		;
	return own;
}

/* What counts against the limit: our own usage, and with a shared
 * budget what the others published. */
uint64_t vm_usage_pages(struct vm *vm)
{
	uint64_t own = vm_own_pages(vm);

	if (!atomic_load_acq(&vm->shared))
		return own;
	int64_t mine = share_publish(vm, (int64_t)own, false);
	int64_t others = atomic_load_relaxed(vm->share.total) - mine;
	return own + (uint64_t)(others > 0 ? others : 0);
}

/* This vm's budget is shared with other processes through share (their
 * memory outlives the vm's use of it): it keeps its own usage under the
 * limit less what the others published. */
void vm_set_share(struct vm *vm, const struct vm_share *share)
{
	vm->share = *share;
	atomic_store_rel(&vm->shared, true);
	vm_share_sync(vm);
}

/* Publish own usage exactly (the pool also shrinks without a charge), and
 * wake the reclaim thread if the others' growth took usage over the
 * watermark. */
void vm_share_sync(struct vm *vm)
{
	if (!atomic_load_acq(&vm->shared))
		return;
	share_publish(vm, (int64_t)vm_own_pages(vm), true);
	vm_charge(vm, 0);
}

int vm_set_limit(struct vm *vm, uint64_t bytes, char *err, size_t errlen)
{
	if (bytes && bytes < VM_MIN_LIMIT) {
		snprintf(err, errlen, "limit %llu bytes is below the smallest budget uswap can keep, %lluM "
			 "(a few eviction batches and first-touch windows)", (unsigned long long)bytes,
			 (unsigned long long)(VM_MIN_LIMIT >> 20));
		return -EINVAL;
	}
	atomic_store_relaxed(&vm->limit_pages, bytes / PAGE_SIZE);
	vm_charge(vm, 0);
	return 0;
}

/* The parking range: on its own userfaultfd, no events, no SIGBUS. */
static int parking_open(struct vm *vm, char *err, size_t errlen)
{
	size_t len = (size_t)VM_PARKING * VM_EVICT_BATCH * PAGE_SIZE;
	struct uffd_caps caps;
	void *p;
	int ret;

	if ((ret = os_mmap_anon(len, PAGE_SIZE, &p)))
		return ret;
	vm->parking = p;
	os_madvise(p, len, MADV_NOHUGEPAGE);
	if (vm->evict_wp) /* evict_wp.c copies pages there: no moves, no userfaultfd */
		return 0;
	if ((vm->park_uffd = uffd_open(UFFD_FEATURE_MOVE, 0, false, &caps, err, errlen)) < 0)
		return vm->park_uffd;
	struct uffdio_register reg = {.range = {.start = (uintptr_t)p, .len = len}, .mode = UFFDIO_REGISTER_MODE_MISSING};
	if (ioctl(vm->park_uffd, UFFDIO_REGISTER, &reg)) {
		snprintf(err, errlen, "cannot register the parking range: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Features the regions' userfaultfd takes where offered: POISON (6.6; a
 * lost page raises SIGBUS in the kernel) and, to signal the faulting
 * thread instead where it is missing, THREAD_ID (fault.c's poison()). */
#define VM_UFFD_OPTIONAL (UFFD_FEATURE_POISON | UFFD_FEATURE_THREAD_ID)

static int open_regions_uffd(struct vm *vm, uint64_t want, char *err, size_t errlen)
{
	return uffd_open(want, VM_UFFD_OPTIONAL, vm->cfg.mode == FAULT_HANDLER, &vm->caps, err, errlen);
}

/* The regions' userfaultfd for eviction by UFFDIO_MOVE (6.8+). */
static int open_for_move(struct vm *vm, uint64_t want, char *err, size_t errlen)
{
	want |= UFFD_FEATURE_MOVE;
	/* Written bits for the clock where the kernel has them (6.7+). */
	if (vm->cfg.policy == POLICY_CLOCK && vm_access_open(vm)) {
		vm->uffd = open_regions_uffd(vm, want | UFFD_FEATURE_WP_ASYNC, err, errlen);
		if (vm->uffd >= 0) {
			vm->written_bits = true;
			return 0;
		}
		vm_access_close(vm);
	}
	vm->uffd = open_regions_uffd(vm, want, err, errlen);
	return vm->uffd < 0 ? vm->uffd : 0;
}

/* The regions' userfaultfd for eviction by write-protect and zap
 * (evict_wp.c: 5.7+). Sync write-protect excludes WP_ASYNC: no written
 * bits. */
static int open_for_wp(struct vm *vm, uint64_t want, char *err, size_t errlen)
{
	vm->evict_wp = true;
	vm->uffd = open_regions_uffd(vm, want | UFFD_FEATURE_PAGEFAULT_FLAG_WP, err, errlen);
	return vm->uffd < 0 ? vm->uffd : 0;
}

/* The regions' userfaultfd, with the eviction method evict= asks for
 * (auto: MOVE where the kernel has it, else write-protect). */
static int vm_open_uffd(struct vm *vm, char *err, size_t errlen)
{
	uint64_t want = UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_EVENT_REMAP;
	int ret;

	if (vm->cfg.mode == FAULT_SIGBUS)
		want |= UFFD_FEATURE_SIGBUS;
	if (vm->cfg.evict == EVICT_WP)
		return open_for_wp(vm, want, err, errlen);
	ret = open_for_move(vm, want, err, errlen);
	if (ret != -EOPNOTSUPP || vm->cfg.evict == EVICT_MOVE)
		return ret;
	return open_for_wp(vm, want, err, errlen);
}

int vm_create(const struct vm_config *cfg, struct swap_sys *swap, struct zswap *z, struct vm **out, char *err,
	      size_t errlen)
{
	struct vm *vm = base_calloc(1, sizeof(*vm));
	int ret;

	if (!vm)
		return -ENOMEM;
	vm->cfg = *cfg;
	vm->swap = swap;
	vm->z = z;
	vm->uffd = vm->park_uffd = vm->stop_fd = vm->pagemap_fd = -1;
	mutex_init(&vm->regions_lock);
	worker_init(&vm->reclaim);
	hist_reset(&vm->fault_ns);
	void *staging, *ra;
	if ((ret = prw_init(&vm->barrier))) {
		base_free(vm);
		return ret;
	}
	if ((ret = vm_set_limit(vm, cfg->limit, err, errlen)) || (ret = vm_open_uffd(vm, err, errlen)) ||
	    (ret = parking_open(vm, err, errlen)))
		goto fail;
	if ((ret = os_mmap_anon(VM_STAGING * PAGE_SIZE, PAGE_SIZE, &staging)) ||
	    (ret = os_mmap_anon((size_t)VM_RA_SLOTS * VM_RA_MAX * PAGE_SIZE, PAGE_SIZE, &ra))) {
		snprintf(err, errlen, "out of memory for staging pages");
		goto fail;
	}
	vm->staging = staging;
	vm->ra_staging = ra;
	if (cfg->mode == FAULT_SIGBUS && (ret = vm_sigbus_install(vm, err, errlen)))
		goto fail;
	if ((ret = vm_handlers_start(vm)) || (ret = vm_reclaim_start(vm))) {
		snprintf(err, errlen, "cannot start uswap's threads: %s", strerror(-ret));
		goto fail;
	}
	*out = vm;
	return 0;
fail:
	vm_destroy(vm);
	return ret;
}

/* Every region must have been removed, and no thread may touch one. */
void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	for (unsigned i = 0; i < VM_MAX_REGIONS; i++) {
		struct region *r = atomic_load_relaxed(&vm->regions[i]);
		char err[160];
		if (r)
			vm_region_remove(vm, (void *)r->start, err, sizeof(err));
	}
	vm_reclaim_stop(vm);
	vm_handlers_stop(vm);
	if (vm->cfg.mode == FAULT_SIGBUS)
		vm_sigbus_remove(vm);
	if (vm->uffd >= 0)
		close(vm->uffd);
	if (vm->park_uffd >= 0)
		close(vm->park_uffd);
	vm_access_close(vm);
	if (vm->parking)
		os_munmap(vm->parking, (size_t)VM_PARKING * VM_EVICT_BATCH * PAGE_SIZE);
	if (vm->staging)
		os_munmap(vm->staging, VM_STAGING * PAGE_SIZE);
	if (vm->ra_staging)
		os_munmap(vm->ra_staging, (size_t)VM_RA_SLOTS * VM_RA_MAX * PAGE_SIZE);
	worker_destroy(&vm->reclaim);
	mutex_destroy(&vm->regions_lock);
	prw_destroy(&vm->barrier);
	base_free(vm);
}

void vm_stats(struct vm *vm, struct vm_stats *st)
{
	int64_t res = atomic_load_relaxed(&vm->resident);

	*st = (struct vm_stats){
		.resident_bytes = (uint64_t)(res > 0 ? res : 0) * PAGE_SIZE,
		.limit = atomic_load_relaxed(&vm->limit_pages) * PAGE_SIZE,
		.faults = atomic_load_relaxed(&vm->faults),
		.major_faults = atomic_load_relaxed(&vm->major_faults),
		.minor_faults = atomic_load_relaxed(&vm->minor_faults),
		.zero_faults = atomic_load_relaxed(&vm->zero_faults),
		.refaults = atomic_load_relaxed(&vm->refaults),
		.swapouts = atomic_load_relaxed(&vm->swapouts),
		.evict_fail = atomic_load_relaxed(&vm->evict_fail),
		.poisoned = atomic_load_relaxed(&vm->poisoned),
		.direct_reclaims = atomic_load_relaxed(&vm->direct_reclaims),
		.budget_overruns = atomic_load_relaxed(&vm->budget_overruns),
		.fault_p50_ns = hist_percentile(&vm->fault_ns, 50),
		.fault_p99_ns = hist_percentile(&vm->fault_ns, 99),
		.fault_max_ns = hist_max(&vm->fault_ns),
		.resident_hwm = (uint64_t)atomic_load_relaxed(&vm->resident_hwm) * PAGE_SIZE,
		.readahead_pages = atomic_load_relaxed(&vm->readahead_pages),
		.zero_refills = atomic_load_relaxed(&vm->zero_refills),
		.evict_refused = atomic_load_relaxed(&vm->evict_refused),
		.evict_misreports = atomic_load_relaxed(&vm->evict_misreports),
		.written_refs = atomic_load_relaxed(&vm->written_refs),
		.lazyfree_adopted = atomic_load_relaxed(&vm->lazyfree_adopted),
		.written_bits = vm->written_bits,
		.evict_wp = vm->evict_wp,
	};
	st->swapins = st->major_faults + st->minor_faults;
}
