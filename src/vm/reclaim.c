/*
 * reclaim.c - keeping the budget: which pages go (a clock with a refault
 * shadow), when (watermarks, a reclaim thread, direct reclaim), and the
 * charge a fault makes.
 *
 * Policy. A page's heat comes from what user space can see of it: its
 * faults (a page brought in or first touched is referenced, PTE_REF),
 * and, where the kernel offers written bits (access.c; policy=clock on
 * Linux 6.7+), its writes since the hand last passed, read and re-armed
 * a block of ACCESS_BLOCK pages ahead of the hand. A referenced page survives one pass of
 * the hand. When a page leaves, the eviction clock's value goes in its
 * shadow slot (the kernel's workingset shadow entry); when it faults
 * back, the evictions since then are its refault distance. A page that
 * refaults within the budget's worth of evictions would have stayed with
 * a little more memory: it is a refault, and comes back PTE_ACTIVE, which
 * the hand turns into PTE_REF on its first pass (two passes in all). A
 * refault within an eighth of that is thrashing (ChromeOS's rule): the
 * page is also given one more pass. policy=clock-faults leaves the
 * written bits out (the ablation); policy=fifo turns all of this off
 * (the baseline the bench compares against).
 *
 * When. The reclaim thread wakes when usage (resident pages plus the pool,
 * when the pool counts) passes the high watermark (limit - limit/32) and
 * works down to the low one (limit - limit/16). A fault that would take
 * usage over the limit reclaims itself first (direct reclaim), so the
 * budget holds even when the thread falls behind. Under evict=wp a thread
 * that reads events must not evict (evict_wp.c): a handler thread's fault
 * over the budget waits, pending, for the reclaim thread instead.
 *
 * Lock order: vm.barrier (shared, per batch) -> PTE_LOCKED -> swap/;
 * vm.reclaim.lock is a leaf.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "vm/vm.h"

#define HAND_SPAN 64 /* pages a reclaimer takes from the hand at a time */
/* The hand reads written bits (access.c) a block ahead: one scan, and one
 * TLB flush for the pages it re-arms, per ACCESS_BLOCK pages rather than
 * per span (IPIs are what a scan costs most on a guest). */
#define ACCESS_BLOCK (16 * HAND_SPAN)

static uint64_t high_wmark(uint64_t limit) { return limit - limit / 32; }
static uint64_t low_wmark(uint64_t limit) { return limit - limit / 16; }

/* Age page v at the hand: true if it should go now (and is locked). */
static bool clock_pick(struct vm *vm, struct region *r, size_t i)
{
	uint64_t v = atomic_load_acq(&r->pte[i]);

	for (;;) {
		if (pte_state(v) != PTE_RESIDENT || (v & (PTE_LOCKED | PTE_PINNED)))
			return false;
		uint64_t aged = v;
		if (vm->cfg.policy != POLICY_FIFO && (v & PTE_ACTIVE))
			aged = (v & ~PTE_ACTIVE) | PTE_REF;
		else if (vm->cfg.policy != POLICY_FIFO && (v & PTE_REF))
			aged = v & ~PTE_REF;
		else
			aged = v | PTE_LOCKED;
		if (atomic_cas_acq_rel(&r->pte[i], &v, aged))
			return aged & PTE_LOCKED;
	}
}

/* Take the next span of pages from the hand: its region (with the
 * barrier held by the caller) and [*first, *first + *n). NULL when no
 * region has pages. */
static struct region *hand_take(struct vm *vm, size_t *first, size_t *n)
{
	unsigned nr = atomic_load_acq(&vm->nr_regions_hint);

	for (unsigned passed = 0; passed <= nr;) { /* a lost race for the hand is no region passed */
		uint64_t h = atomic_load_relaxed(&vm->hand);
		unsigned id = (unsigned)(h >> 32);
		size_t page = (size_t)(uint32_t)h;
		struct region *r = vm_region_by_id(vm, id);
		if (r && page < r->npages) {
			uint64_t next = page + HAND_SPAN < r->npages ? h + HAND_SPAN : (uint64_t)((id + 1) % nr) << 32;
			if (!atomic_cas_acq_rel(&vm->hand, &h, next))
				continue;
			*first = page;
			*n = MIN(HAND_SPAN, r->npages - page);
			return r;
		}
		uint64_t next = (uint64_t)((id + 1) % (nr ? nr : 1)) << 32;
		atomic_cas_acq_rel(&vm->hand, &h, next);
		passed++;
	}
	return NULL;
}

/* One span of the clock: evict what it picks. Returns pages evicted, or
 * -1 when there is nothing to scan. */
static long reclaim_span(struct vm *vm)
{
	size_t first, n, idx[VM_EVICT_BATCH];
	unsigned k = 0;
	long evicted = 0;

	unsigned b = vm_barrier_enter(vm);
	struct region *r = hand_take(vm, &first, &n);
	if (!r) {
		vm_barrier_exit(vm, b);
		return -1;
	}
	if (atomic_load_relaxed(&r->wp) && first % ACCESS_BLOCK == 0)
		vm_access_scan(vm, r, first, MIN(ACCESS_BLOCK, r->npages - first));
	for (size_t i = first; i < first + n; i++) {
		if (!clock_pick(vm, r, i))
			continue;
		idx[k++] = i;
		if (k == VM_EVICT_BATCH) {
			evicted += vm_evict(vm, &b, r, idx, k);
			k = 0;
		}
	}
	if (k)
		evicted += vm_evict(vm, &b, r, idx, k);
	vm_barrier_exit(vm, b);
	return evicted;
}

/* A reclaim that swept the whole clock and evicted nothing: the pages
 * are busy or cannot move (shared with a forked child until it execs or
 * exits, pinned). Direct reclaim and the reclaim thread stand back for
 * FUTILE_NS instead of sweeping again on every fault: the budget is
 * overrun meanwhile (counted), as when eviction fails. */
#define FUTILE_NS (20 * 1000 * 1000ull)

static bool futile_recently(struct vm *vm)
{
	uint64_t t = atomic_load_relaxed(&vm->futile_ns);

	return t && os_now_ns() - t < FUTILE_NS;
}

/* Run the clock until usage is at most target pages or three sweeps
 * found nothing more; returns pages evicted. */
static long reclaim_to(struct vm *vm, uint64_t target)
{
	long evicted = 0, idle = 0, total = 0;

	if (futile_recently(vm))
		return 0;

	for (unsigned id = 0; id < atomic_load_acq(&vm->nr_regions_hint); id++) {
		struct region *r = vm_region_by_id(vm, id);
		total += r ? (long)(r->npages / HAND_SPAN + 1) : 0;
	}
	bool swept = false;
	while (vm_usage_pages(vm) > target && !vm_frozen(vm)) {
		if (idle >= 3 * total + 3) {
			swept = true;
			break;
		}
		long got = reclaim_span(vm);
		if (got < 0)
			break;
		evicted += got;
		idle = got ? 0 : idle + 1;
	}
	/* Only three whole sweeps that evicted nothing are futile: an early
	 * end (no region, a fork) is not, or every reclaimer would stand back
	 * 20 ms for it while faults take the budget over. */
	atomic_store_relaxed(&vm->futile_ns, swept && !evicted ? os_now_ns() : 0);
	return evicted;
}

/* Proactive reclaim of about pages pages (uswap_reclaim): returns the
 * pages evicted. */
long vm_reclaim(struct vm *vm, uint64_t pages)
{
	uint64_t used = vm_usage_pages(vm);

	return reclaim_to(vm, used > pages ? used - pages : 0);
}

/* wake the reclaim thread (vm.reclaim.lock guards reclaim_wanted) */
static void reclaim_wake(struct vm *vm)
{
	mutex_lock(&vm->reclaim.lock);
	if (!vm->reclaim_wanted) {
		vm->reclaim_wanted = true;
		pthread_cond_signal(&vm->reclaim.cond);
	}
	mutex_unlock(&vm->reclaim.lock);
}

/*
 * A fault is about to add pages: wake the reclaim thread past the high
 * watermark, and reclaim here first if the budget would be exceeded.
 * Never fails: when nothing can go, the budget is overrun (counted, and
 * said once on stderr), never data. Returns the pages left under the
 * limit (0 when over it; UINT64_MAX without a limit), so that the fault
 * path reads the usage once.
 */
uint64_t vm_charge(struct vm *vm, uint64_t pages)
{
	uint64_t limit = atomic_load_relaxed(&vm->limit_pages);

	if (!limit)
		return UINT64_MAX;
	uint64_t used = vm_usage_pages(vm);
	if (used + pages > high_wmark(limit))
		reclaim_wake(vm);
	if (used + pages <= limit)
		return limit - used;
	if (vm_frozen(vm)) /* a fork is being prepared: over the budget for a while, by design */
		return 0;
	if (vm->evict_wp && vm_is_reader()) /* it would wait for its own event: vm_reader_waits */
		return 0;
	atomic_add_relaxed(&vm->direct_reclaims, 1);
	reclaim_to(vm, limit - MIN(limit, pages + VM_EVICT_BATCH));
	used = vm_usage_pages(vm);
	if (used + pages > limit) {
		atomic_add_relaxed(&vm->budget_overruns, 1);
		/* Pages busy with other owners pass; eviction failing does not. */
		if (atomic_load_relaxed(&vm->evict_fail) && !atomic_xchg_acq_rel(&vm->overrun_warned, true)) {
			static const char msg[] = "uswap: the memory budget is full and no page can be evicted "
						  "(the swap file is full or absent, or swap-out failed): exceeding "
						  "the limit rather than losing data (budget_overruns counts it)\n";
			if (write(2, msg, sizeof(msg) - 1) < 0)
				return 0;
		}
	}
	return used < limit ? limit - used : 0;
}

/* Under evict=wp, a handler thread whose fault would take usage over the
 * limit: true when it should leave the fault pending (the reclaim thread,
 * woken, makes room); false when it may go ahead (room, no limit, a fork
 * being prepared, or reclaim found nothing to evict: then the budget is
 * overrun, as in vm_charge). */
bool vm_reader_waits(struct vm *vm)
{
	uint64_t limit = atomic_load_relaxed(&vm->limit_pages);

	if (!limit || vm_usage_pages(vm) + 1 <= limit || vm_frozen(vm) || futile_recently(vm))
		return false;
	reclaim_wake(vm);
	return true;
}

/* Page i faulted back: a refault if it left within the budget's worth of
 * evictions (see the top of this file); adds PTE_ACTIVE to *flags. */
void vm_note_refault(struct vm *vm, struct region *r, size_t i, uint64_t *flags)
{
	uint64_t limit = atomic_load_relaxed(&vm->limit_pages);
	uint32_t distance = atomic_load_relaxed(&vm->evictions) - r->shadow[i];
	uint64_t window = limit ? limit : (uint64_t)atomic_load_relaxed(&vm->resident) + 1;

	if (distance > window)
		return;
	atomic_add_relaxed(&vm->refaults, 1);
	if (vm->cfg.policy != POLICY_FIFO)
		*flags |= PTE_ACTIVE | (distance < window / 8 ? PTE_REF : 0);
}

static void *reclaim_main(void *arg)
{
	struct vm *vm = arg;

	for (;;) {
		mutex_lock(&vm->reclaim.lock);
		while (!vm->reclaim_wanted && !vm->reclaim.stop) {
			struct timespec ts;
			os_deadline(&ts, 100 * 1000 * 1000);
			if (pthread_cond_timedwait(&vm->reclaim.cond, &vm->reclaim.lock.m, &ts))
				break; /* timeout: check the watermark anyway (set_limit lowers it) */
		}
		bool stop = vm->reclaim.stop;
		vm->reclaim_wanted = false;
		mutex_unlock(&vm->reclaim.lock);
		if (stop)
			return NULL;
		vm_access_lazy(vm);
		uint64_t limit = atomic_load_relaxed(&vm->limit_pages);
		if (limit && vm_usage_pages(vm) > high_wmark(limit))
			reclaim_to(vm, low_wmark(limit));
	}
}

int vm_reclaim_start(struct vm *vm) { return worker_start(&vm->reclaim, "reclaim", reclaim_main, vm); }

void vm_reclaim_stop(struct vm *vm) { worker_stop(&vm->reclaim); }
