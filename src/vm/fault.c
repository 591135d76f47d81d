/*
 * fault.c - resolving a MISSING fault on a region page (ARCHITECTURE.md's
 * swap-in; design-digest 4.2), and the handler threads that read faults
 * from the userfaultfd.
 *
 * vm_resolve() is the one path for both fault modes. It holds vm.barrier
 * shared from looking the page up to installing it, and the page's
 * PTE_LOCKED bit from before it reads the content to after the page table
 * says where the content now is (R6: the lock is the per-page claim the
 * kernel cannot give us; swap/'s entry claim excludes writeback and other
 * owners of the entry). It never holds anything across a retry: on EAGAIN
 * (an address-space event is pending) it undoes everything, lets the
 * event reader apply the event, and starts again.
 *
 * Async-signal-safety (in-thread mode runs this from a SIGBUS handler):
 * no malloc on the swap-in path (staging pages are preallocated and taken
 * with an atomic flag); the locks taken are uswap's own, and the only
 * thread that can be interrupted at a region access while holding one of
 * them is none: uswap's code never stores to region memory (it uses
 * ioctls) and loads from it only in evict_wp.c's copy of a page it has
 * just seen present with the barrier held (nothing can zap it then), so
 * the interrupted code is the program's. Direct reclaim (a
 * fault over the budget) does allocate pool memory; the program's malloc
 * heap does not live in a region, so the interrupted code is never malloc.
 *
 * Lock order: vm.barrier (shared) -> PTE_LOCKED -> swap/.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vm/vm.h"

static _Alignas(4096) const unsigned char zeros[VM_ZERO_WINDOW * PAGE_SIZE];
static _Thread_local bool reader; /* this thread reads the userfaultfd (handler_main) */
static _Thread_local pid_t fault_tid; /* the thread whose fault a handler resolves; 0: unknown */

bool vm_is_reader(void) { return reader; }

/*
 * UFFDIO_COPY len bytes from src to dst (wake: wake the faulting threads).
 * True when dst now holds the bytes; a page that was already there
 * (EEXIST: installed by someone else) counts only when it is the whole
 * request. False with *err = the errno (EAGAIN: an event is pending).
 */
bool vm_install(struct vm *vm, uintptr_t dst, const void *src, size_t len, bool wake, int *err)
{
	struct uffdio_copy cp = {.dst = dst, .src = (uintptr_t)src, .len = len,
				 .mode = wake ? 0 : UFFDIO_COPY_MODE_DONTWAKE};

	if (!ioctl(vm->uffd, UFFDIO_COPY, &cp))
		return true;
	*err = errno;
	if (errno == EEXIST && len == PAGE_SIZE) {
		if (wake) {
			struct uffdio_range r = {.start = dst, .len = PAGE_SIZE};
			ioctl(vm->uffd, UFFDIO_WAKE, &r);
		}
		return true;
	}
	return false;
}

static void wake_range(struct vm *vm, uintptr_t addr, size_t len)
{
	struct uffdio_range r = {.start = addr, .len = len};
	ioctl(vm->uffd, UFFDIO_WAKE, &r);
}

/* Take page i's lock if it is still v; false if it changed. */
static bool pte_trylock(struct region *r, size_t i, uint64_t v)
{
	return atomic_cas_acq_rel(&r->pte[i], &v, v | PTE_LOCKED);
}

/* Lock the run of never-touched pages from i on (at most max) for a zero
 * fill; returns how many (at least 1: page i, which the caller saw NONE). */
static size_t lock_zero_run(struct region *r, size_t i, size_t max)
{
	size_t n = 0;

	while (n < max && i + n < r->npages) {
		uint64_t v = atomic_load_relaxed(&r->pte[i + n]);
		if (v != PTE_NONE || !pte_trylock(r, i + n, v))
			break;
		n++;
	}
	return n;
}

/* How many pages a first touch may fill: a window, within room, the
 * pages left under the budget (vm_charge's answer). */
static size_t zero_window(uint64_t room)
{
	return room <= 1 ? 1 : (size_t)MIN(VM_ZERO_WINDOW, room - 1);
}

/* n more pages are resident (and the high-water mark follows). */
void vm_resident_add(struct vm *vm, size_t n)
{
	int64_t now = atomic_add_relaxed(&vm->resident, (int64_t)n) + (int64_t)n;
	int64_t hwm = atomic_load_relaxed(&vm->resident_hwm);

	while (now > hwm && !atomic_cas_weak_relaxed(&vm->resident_hwm, &hwm, now))
		;
}

/* UFFDIO_COPY n pages from src to dst; returns how many went in, *err
 * the errno that stopped the rest. After a partial copy the faulting
 * thread at dst is woken when asked (its page is in). */
static size_t copy_run(struct vm *vm, uintptr_t dst, const void *src, size_t n, bool wake, int *err)
{
	struct uffdio_copy cp = {.dst = dst, .src = (uintptr_t)src, .len = n * PAGE_SIZE,
				 .mode = wake ? 0 : UFFDIO_COPY_MODE_DONTWAKE};

	if (!ioctl(vm->uffd, UFFDIO_COPY, &cp))
		return n;
	*err = errno;
	size_t done = cp.copy > 0 ? (size_t)cp.copy / PAGE_SIZE : 0;
	if (done && wake)
		wake_range(vm, dst, PAGE_SIZE);
	return done;
}

/* A never-touched page (and the untouched run after it): zeros.
 * -EAGAIN when an event is pending (everything undone). */
static int resolve_zero(struct vm *vm, struct region *r, size_t i, uint64_t room, bool wake)
{
	size_t n = lock_zero_run(r, i, zero_window(room)), done;
	int err = 0;

	if (!n)
		return -EAGAIN; /* page i changed under us: look again */
	done = copy_run(vm, r->start + i * PAGE_SIZE, zeros, n, wake, &err);
	for (size_t k = 0; k < n; k++)
		atomic_store_rel(&r->pte[i + k], k < done ? PTE_RESIDENT | PTE_REF : PTE_NONE);
	vm_resident_add(vm, done);
	if (done) {
		atomic_add_relaxed(&vm->zero_faults, 1);
		return 0;
	}
	if (err == EEXIST) { /* present after all (a lazily freed page came back): nothing to do */
		if (wake)
			wake_range(vm, r->start + i * PAGE_SIZE, PAGE_SIZE);
		return 0;
	}
	return err == EAGAIN ? -EAGAIN : -err;
}

/* A page the table says is resident faulted: a second message for a
 * fault already resolved, or another thread's SIGBUS for a page resolved
 * meanwhile, or (evict=wp) a write to a page an evictor protected and
 * then kept: its protection is lifted, which wakes the writer. A zero
 * page goes in only if none is there, which should never happen
 * (zero_refills counts it). */
static int resolve_resident(struct vm *vm, struct region *r, size_t i, uint64_t v, bool wake)
{
	int err = 0;

	if (!pte_trylock(r, i, v))
		return -EAGAIN;
	bool ok = vm_install(vm, r->start + i * PAGE_SIZE, zeros, PAGE_SIZE, wake, &err);
	if (ok && !err) /* it was missing: nothing should do that (MADV_FREE comes as a REMOVE event) */
		atomic_add_relaxed(&vm->zero_refills, 1);
	if (ok && vm->evict_wp)
		vm_wp_range(vm, r->start + i * PAGE_SIZE, PAGE_SIZE, false);
	atomic_store_rel(&r->pte[i], (v & ~PTE_ARMED) | PTE_REF); /* a new pte: not write-protected */
	return ok ? 0 : err == EAGAIN ? -EAGAIN : -err;
}

/*
 * Page addr's data is lost: the access must end in SIGBUS. UFFDIO_POISON
 * (6.6+) makes every access to it do so. Before 6.6 the page stays
 * missing, so every access faults again: in SIGBUS mode sigbus.c passes
 * the signal on to the program; in handler mode the faulting thread
 * (fault_tid, from UFFD_FEATURE_THREAD_ID) is sent SIGBUS, which ends its
 * wait for the fault (without si_addr: the signal is not the kernel's).
 */
static void poison(struct vm *vm, uintptr_t addr, bool wake)
{
	struct uffdio_poison p = {.range = {.start = addr, .len = PAGE_SIZE},
				  .mode = wake ? 0 : UFFDIO_POISON_MODE_DONTWAKE};

	if (vm->caps.enabled & UFFD_FEATURE_POISON)
		ioctl(vm->uffd, UFFDIO_POISON, &p);
	else if (fault_tid)
		syscall(SYS_tgkill, getpid(), fault_tid, SIGBUS);
}

/* The readahead window for a swap-in fault at page i: it doubles while
 * faults come in order (the page after the last run), up to cfg.ra_max,
 * and falls back to 1 at the first fault out of order; never more than
 * the room left in the budget. r's ra fields are hints: racing faults may
 * lose an update, which costs only a smaller window. */
static size_t ra_window(struct vm *vm, struct region *r, size_t i, uint64_t room)
{
	unsigned win = atomic_load_relaxed(&r->ra_win);

	win = i == atomic_load_relaxed(&r->ra_next) ? MIN(MAX(win * 2, 2u), vm->cfg.ra_max) : 1;
	atomic_store_relaxed(&r->ra_win, win);
	return room <= 1 ? 1 : MIN(win, room - 1);
}

/* Lock the swapped pages after page i (locked by the caller as v[0]), at
 * most max in all; their words go to v[]. Returns the run's length. */
static size_t lock_swapped_run(struct region *r, size_t i, size_t max, uint64_t *v)
{
	size_t n = 1;

	while (n < max && i + n < r->npages) {
		uint64_t x = atomic_load_relaxed(&r->pte[i + n]);
		if (pte_state(x) != PTE_SWAPPED || (x & PTE_LOCKED) || !pte_trylock(r, i + n, x))
			break;
		v[n++] = x;
	}
	return n;
}

/* Install n pages from src at page i with one UFFDIO_COPY; returns how
 * many went in (a page already there counts when it is page i alone,
 * vm_install's rule), *err the errno of the first that did not. */
static size_t install_run(struct vm *vm, struct region *r, size_t i, const unsigned char *src, size_t n, bool wake,
			  int *err)
{
	uintptr_t dst = r->start + i * PAGE_SIZE;
	size_t done = n > 1 ? copy_run(vm, dst, src, n, wake, err) : 0;

	/* page i alone (or not even page i went in): its own rules */
	return done ? done : vm_install(vm, dst, src, PAGE_SIZE, wake, err);
}

/* Read the entries of v[0..n) into pages; returns how many were read
 * before the first that failed (its error in *ret). */
static size_t read_run(struct vm *vm, const uint64_t *v, size_t n, unsigned char *pages, enum swapin_from *from,
		       int *ret)
{
	size_t k = 0;

	while (k < n && !(*ret = swap_in(vm->swap, pte_entry(v[k]), pages + k * PAGE_SIZE, NULL, NULL, &from[k])))
		k++;
	return k;
}

/* Page i's data is lost (corrupt or unreadable): say so with SIGBUS. */
static void resolve_lost(struct vm *vm, struct region *r, size_t i, uint64_t v, bool wake)
{
	atomic_store_rel(&r->pte[i], PTE_POISON);
	swap_sys_free(vm->swap, pte_entry(v));
	atomic_add_relaxed(&vm->poisoned, 1);
	poison(vm, r->start + i * PAGE_SIZE, wake);
}

/*
 * A swapped-out page: swap it in through a staging page, install it, then
 * let swap/ drop its copies (R3). In a sequential run the swapped pages
 * after it come along (readahead, one UFFDIO_COPY for the run): pages the
 * program is about to touch, each resolved exactly like page i, under its
 * own PTE_LOCKED bit. Pages after the first that cannot be read or
 * installed are left as they were, for their own faults.
 */
static int resolve_swapped(struct vm *vm, struct region *r, size_t i, uint64_t v, bool wake, uint64_t room)
{
	uint64_t vs[VM_RA_MAX] = {v};
	enum swapin_from from[VM_RA_MAX];
	size_t want, n = 1, done;
	_Atomic bool *busy = vm->staging_busy;
	unsigned slot;
	int err = 0, ret = 0;

	if (!pte_trylock(r, i, v))
		return -EAGAIN;
	want = ra_window(vm, r, i, room); /* once per fault that goes ahead, not per retry */
	unsigned char *page = want > 1 ? pcpu_try_slot(vm->ra_busy, VM_RA_SLOTS, vm->ra_staging,
						       VM_RA_MAX * PAGE_SIZE, &slot) : NULL;
	if (page) {
		busy = vm->ra_busy;
		n = lock_swapped_run(r, i, want, vs);
	} else {
		page = pcpu_take_slot(busy, VM_STAGING, vm->staging, PAGE_SIZE, &slot);
	}
	size_t got = read_run(vm, vs, n, page, from, &ret);
	done = got ? install_run(vm, r, i, page, got, wake, &err) : 0;
	pcpu_put_slot(busy, slot);
	for (size_t k = 0; k < got; k++)
		swap_in_done(vm->swap, pte_entry(vs[k]), from[k], k < done);
	for (size_t k = done; k < n; k++)
		if (k || got) /* page i unread is lost, below */
			atomic_store_rel(&r->pte[i + k], vs[k]);
	if (!got) {
		resolve_lost(vm, r, i, v, wake);
		return 1;
	}
	if (!done)
		return err == EAGAIN ? -EAGAIN : -err;
	uint64_t flags = PTE_REF;
	vm_note_refault(vm, r, i, &flags);
	vm_resident_add(vm, done);
	for (size_t k = 1; k < done; k++)
		atomic_store_rel(&r->pte[i + k], PTE_RESIDENT);
	atomic_store_rel(&r->pte[i], PTE_RESIDENT | flags);
	atomic_store_relaxed(&r->ra_next, i + done);
	atomic_add_relaxed(&vm->readahead_pages, done - 1);
	atomic_add_relaxed(from[0] == SWAPIN_CACHE ? &vm->minor_faults : &vm->major_faults, 1);
	return 0;
}

/* One attempt at the fault at addr: 0, 1 (poisoned), -EAGAIN (an event
 * is pending or another owner has the page: try again), -ENOENT (no
 * region holds addr), or another -errno. */
static int resolve_once(struct vm *vm, uintptr_t addr, bool wake)
{
	int ret;

	if (vm->evict_wp && reader && vm_reader_waits(vm))
		return -EAGAIN; /* pending until the reclaim thread makes room (reclaim.c) */
	uint64_t room = vm_charge(vm, 1);
	unsigned b = vm_barrier_enter(vm);
	struct region *r = vm_region_find(vm, addr);
	if (!r) {
		vm_barrier_exit(vm, b);
		return -ENOENT;
	}
	size_t i = (addr - r->start) / PAGE_SIZE;
	uint64_t v = atomic_load_acq(&r->pte[i]);
	if (v & PTE_LOCKED)
		ret = -EAGAIN; /* an evictor or another resolver owns it: wait for it */
	else if (pte_state(v) == PTE_NONE)
		ret = resolve_zero(vm, r, i, room, wake);
	else if (pte_state(v) == PTE_RESIDENT)
		ret = resolve_resident(vm, r, i, v, wake);
	else if (pte_state(v) == PTE_SWAPPED)
		ret = resolve_swapped(vm, r, i, v, wake, room);
	else {
		poison(vm, addr, wake);
		ret = 1;
	}
	vm_barrier_exit(vm, b);
	return ret;
}

static enum resolve_result resolved(struct vm *vm, uintptr_t addr, uint64_t t0, int ret, bool wake)
{
	atomic_add_relaxed(&vm->faults, 1);
	hist_record(&vm->fault_ns, os_now_ns() - t0);
	if (ret < 0 && wake) /* cannot install (ENOMEM in the kernel?): let it fault again */
		wake_range(vm, addr, PAGE_SIZE);
	return ret == 1 ? POISONED : RESOLVED;
}

/*
 * Resolve a MISSING fault at addr from the faulting thread itself (SIGBUS
 * mode), retrying until done: another thread reads the events. Returns
 * RESOLVED, NOT_OURS (no region holds addr) or POISONED (the page's data
 * is lost: the access must end in SIGBUS).
 */
enum resolve_result vm_resolve(struct vm *vm, uintptr_t addr, bool wake)
{
	uint64_t t0 = os_now_ns();
	int ret;

	addr &= ~(uintptr_t)(PAGE_SIZE - 1);
	while ((ret = resolve_once(vm, addr, wake)) == -EAGAIN)
		sched_yield();
	if (ret == -ENOENT)
		return NOT_OURS;
	return resolved(vm, addr, t0, ret, wake);
}

/* ---------------------------------------------------------------- handler threads */

struct handler_arg {
	struct vm *vm;
	int cpu; /* -1: not pinned */
};

/* A fault in registered memory no region holds (a part of a region the
 * program moved away with mremap): it reads as zero; never leave the
 * thread asleep. */
static void resolve_stray(struct vm *vm, uintptr_t addr)
{
	struct uffdio_zeropage z = {.range = {.start = addr & ~(uintptr_t)(PAGE_SIZE - 1), .len = PAGE_SIZE}};

	if (ioctl(vm->uffd, UFFDIO_ZEROPAGE, &z) && errno == EEXIST)
		wake_range(vm, z.range.start, PAGE_SIZE);
}

#define HANDLER_PENDING 64

/* Faults read but not yet resolved: a fault that meets a pending event
 * waits here while its thread reads the events (a handler thread that
 * retried in place could wait for an event only it would read). */
struct pending {
	struct vm_fault_msg f[HANDLER_PENDING]; /* addr: page-aligned */
	uint64_t t0[HANDLER_PENDING];
	unsigned n;
};

static void resolve_pending(struct vm *vm, struct pending *p)
{
	unsigned keep = 0;

	for (unsigned k = 0; k < p->n; k++) {
		fault_tid = p->f[k].tid;
		int ret = resolve_once(vm, p->f[k].addr, true);
		if (ret == -EAGAIN) {
			p->f[keep] = p->f[k];
			p->t0[keep++] = p->t0[k];
		} else if (ret == -ENOENT) {
			resolve_stray(vm, p->f[k].addr);
		} else {
			resolved(vm, p->f[k].addr, p->t0[k], ret, true);
		}
	}
	p->n = keep;
}

/* Read messages until told to stop: events are applied under the
 * barrier (event.c), faults resolved here (handler mode; in SIGBUS mode
 * no fault comes as a message). */
static void *handler_main(void *arg)
{
	struct vm *vm = ((struct handler_arg *)arg)->vm; /* pinned at birth (thread_start) */
	struct pending p = {.n = 0};
	struct vm_fault_msg faults[16];
	unsigned n;

	base_free(arg);
	reader = true;
	for (;;) {
		struct pollfd pf[2] = {{.fd = vm->uffd, .events = POLLIN}, {.fd = vm->stop_fd, .events = POLLIN}};
		if (poll(pf, 2, p.n ? 0 : -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (p.n && !(pf[0].revents & POLLIN))
			sched_yield(); /* waiting for another owner of a page */
		if ((pf[0].revents & POLLIN) && p.n < HANDLER_PENDING) {
			vm_events_read(vm, faults, &n, MIN(ARRAY_SIZE(faults), HANDLER_PENDING - p.n));
			uint64_t now = os_now_ns();
			for (unsigned k = 0; k < n; k++) {
				p.f[p.n] = faults[k];
				p.f[p.n].addr &= ~(uintptr_t)(PAGE_SIZE - 1);
				p.t0[p.n++] = now;
			}
		}
		resolve_pending(vm, &p);
	}
	return NULL;
}

/*
 * Handler mode: cfg.threads threads (0: one per CPU), each pinned to its
 * CPU so that a fault's wake-up can land on the faulting CPU. SIGBUS
 * mode: one thread for events. 0 or -errno.
 */
int vm_handlers_start(struct vm *vm)
{
	unsigned ncpu = pcpu_nr_possible(), n = vm->cfg.mode == FAULT_SIGBUS ? 1 : vm->cfg.threads;

	if (!n)
		n = ncpu;
	n = MIN(n, VM_MAX_HANDLERS);
	if ((vm->stop_fd = eventfd(0, EFD_CLOEXEC)) < 0)
		return -errno;
	for (unsigned i = 0; i < n; i++) {
		struct handler_arg *a = base_malloc(sizeof(*a));
		if (!a)
			return -ENOMEM;
		*a = (struct handler_arg){vm, vm->cfg.mode == FAULT_SIGBUS || n < ncpu ? -1 : (int)(i % ncpu)};
		int ret = thread_start(&vm->handler[i], "fault", a->cpu, handler_main, a);
		if (ret) {
			base_free(a);
			return ret;
		}
		vm->nr_handlers++;
	}
	return 0;
}

void vm_handlers_stop(struct vm *vm)
{
	uint64_t one = 1;

	if (vm->stop_fd < 0)
		return;
	if (write(vm->stop_fd, &one, sizeof(one)) != sizeof(one))
		perror("uswap: eventfd");
	for (unsigned i = 0; i < vm->nr_handlers; i++)
		pthread_join(vm->handler[i], NULL);
	vm->nr_handlers = 0;
	close(vm->stop_fd);
	vm->stop_fd = -1;
}
