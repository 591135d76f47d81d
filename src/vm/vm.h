/*
 * vm.h - vm/: paged memory regions over userfaultfd (ARCHITECTURE.md,
 * "How a page flows"; design-digest section 4).
 *
 * A region is anonymous private memory registered with a userfaultfd for
 * MISSING faults (and, for the clock's written bits, for async write-
 * protect: access.c). Each of its pages has one atomic word in the
 * region's page table (the PTE analogue below). Faults are resolved by
 * handler threads reading the userfaultfd (fault.c) or by the faulting
 * thread itself in a SIGBUS handler (sigbus.c); both call vm_resolve().
 * Pages leave by UFFDIO_MOVE into a parking range and go to swap/ from
 * there (evict.c), or, where the kernel has no MOVE, are write-protected,
 * swapped out and zapped (evict_wp.c); reclaim.c picks them (a clock with written bits and a
 * refault shadow) and keeps the budget. Address-space events (REMOVE,
 * UNMAP, REMAP) are read and applied under the event barrier (event.c).
 *
 * Lock order (outermost first): vm.barrier (shared by resolvers and
 * evictors from validate to install; exclusive to apply events) -> a
 * page's PTE_LOCKED bit (its owner does its I/O) -> swap/'s locks ->
 * vm.reclaim (worker lock, leaf). vm.regions_lock is taken only with the
 * barrier held exclusive (region add/remove) or alone (lookup is
 * lock-free: regions are published with release stores and freed only
 * after the barrier has been taken exclusive).
 */
#ifndef USWAP_VM_VM_H
#define USWAP_VM_VM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/base.h"
#include "base/worker.h"
#include "swap/swap.h"
#include "vm/uffd.h"
#include "zswap/zswap.h"

/*
 * A page's word: state in bits 0-1, flags, and for a swapped page its swap
 * entry's offset from bit PTE_SHIFT up (the type is always
 * SWP_TYPE_VIRTUAL).
 */
#define PTE_NONE      0ull /* never touched, or dropped: reads as zero */
#define PTE_RESIDENT  1ull /* present in the region */
#define PTE_SWAPPED   2ull /* out: the entry holds its content */
#define PTE_POISON    3ull /* content lost (corrupt or unreadable): SIGBUS */
#define PTE_STATE     3ull
#define PTE_LOCKED    (1ull << 2) /* an owner is moving the page in or out */
#define PTE_REF       (1ull << 3) /* referenced since the clock hand passed */
#define PTE_ACTIVE    (1ull << 4) /* refaulted soon after eviction: kept longer */
#define PTE_DROP      (1ull << 5) /* an event dropped the page while it was locked */
#define PTE_PINNED    (1ull << 6) /* mlock'ed: never evicted (vm_pin) */
#define PTE_ARMED     (1ull << 7) /* write-protected by a written-bit scan since it came in (access.c) */
#define PTE_ZAPPING   (1ull << 8) /* the owner's own MADV_DONTNEED is under way (evict_wp.c) */
#define PTE_SHIFT     9

static inline uint64_t pte_state(uint64_t v) { return v & PTE_STATE; }
static inline swp_entry_t pte_entry(uint64_t v) { return swp_entry(SWP_TYPE_VIRTUAL, v >> PTE_SHIFT); }
static inline uint64_t pte_swapped(swp_entry_t e) { return swp_offset(e) << PTE_SHIFT | PTE_SWAPPED; }

enum fault_mode { FAULT_HANDLER, FAULT_SIGBUS };
#define VM_DEFAULT_FAULT_MODE "handler"
/* clock: written bits (access.c) and faults; clock-faults: faults alone
 * (the ablation); fifo: neither. */
enum vm_policy { POLICY_CLOCK, POLICY_CLOCK_FAULTS, POLICY_FIFO };
/* How pages leave: auto (move where the kernel has UFFDIO_MOVE, else wp),
 * move (evict.c) or wp (write-protect and zap: evict_wp.c). */
enum vm_evict { EVICT_AUTO, EVICT_MOVE, EVICT_WP };

#define VM_MAX_REGIONS   1024
#define VM_EVICT_BATCH   16   /* pages moved out per UFFDIO_MOVE batch */
#define VM_ZERO_WINDOW   64   /* pages zero-filled ahead on a first touch */
#define VM_STAGING       128  /* staging pages for swap-ins (no malloc on the fault path) */
#define VM_PARKING       32   /* parking batches (VM_EVICT_BATCH pages each) */
#define VM_RA_MAX        8    /* pages a sequential swap-in installs at most */
#define VM_RA_SLOTS      16   /* staging runs of VM_RA_MAX pages for readahead */
#define VM_MIN_LIMIT     (4ull << 20) /* the smallest budget: a few batches and windows */
#define VM_MAX_HANDLERS  64

struct vm;

struct region {
	uintptr_t start;
	size_t npages;
	_Atomic uint64_t *pte;      /* [npages]: atomic, see PTE_* */
	uint32_t *shadow;           /* [npages]: vm.evictions when the page left (PTE_LOCKED owner) */
	unsigned id;                /* index in vm.regions */
	_Atomic size_t ra_next;     /* atomic, a hint: the page a sequential reader faults next */
	_Atomic unsigned ra_win;    /* atomic, a hint: the readahead window, pages */
	_Atomic bool wp;            /* atomic: registered for async write-protect (written bits) */
};

struct vm_config {
	uint64_t limit;             /* bytes; 0 = none */
	bool pool_in_limit;         /* the compressed pool counts against limit */
	enum fault_mode mode;
	enum vm_policy policy;
	enum vm_evict evict;
	unsigned threads;           /* handler threads (handler mode); 0 = one per CPU */
	unsigned ra_max;            /* readahead window limit, pages (1: none; at most VM_RA_MAX) */
};

struct vm_stats {
	uint64_t resident_bytes, limit, faults, major_faults, minor_faults, zero_faults, swapins, swapouts,
		refaults, evict_fail, poisoned, direct_reclaims, budget_overruns, fault_p50_ns, fault_p99_ns,
		fault_max_ns, resident_hwm, readahead_pages, zero_refills, evict_refused, evict_misreports,
		written_refs, written_bits, evict_wp, lazyfree_adopted;
};

/* A range a REMOVE event dropped, where MADV_FREE may have left pages
 * (access.c); seq changes whenever the range is noted again. */
struct vm_range {
	uintptr_t start, end;
	uint64_t seq;
};
#define VM_LAZY_RANGES 32

/* A budget shared with other processes (a `uswap run` tree), in pages, in
 * memory they all map: the sum of what each published, this process's
 * part of it, and the highest sum seen. A process publishes whenever its
 * own usage has moved VM_SHARE_STEP pages from what it last published
 * (vm_usage_pages, on every charge), so the sum is never more than a
 * step per process behind. */
struct vm_share {
	_Atomic int64_t *total, *mine, *peak;
};
#define VM_SHARE_STEP 64

struct vm {
	struct vm_config cfg;
	int uffd;                   /* the regions' userfaultfd (events; faults in handler mode) */
	int park_uffd;              /* the parking range's: no events, no SIGBUS */
	struct uffd_caps caps;
	bool written_bits;          /* regions are registered for async write-protect (access.c) */
	bool evict_wp;              /* pages leave by write-protect and zap (evict_wp.c), not MOVE */
	int pagemap_fd;             /* /proc/self/pagemap, for PAGEMAP_SCAN; -1 without written bits */
	struct swap_sys *swap;
	struct zswap *z;            /* may be NULL (zswap=off) */
	struct prwlock barrier;     /* the event barrier (design-digest 4.2); readers are
				       async-signal-safe (atomics only) */

	mutex_t regions_lock;       /* add/remove of regions[] */
	struct region *_Atomic regions[VM_MAX_REGIONS]; /* atomic: published/cleared under regions_lock */
	_Atomic unsigned nr_regions_hint; /* atomic: 1 + the highest slot ever used */

	_Atomic uint64_t limit_pages;       /* atomic: 0 = no limit */
	struct vm_share share;              /* set once, before shared (vm_set_share) */
	_Atomic bool shared;                /* atomic: share is set */
	cache_aligned _Atomic int64_t resident; /* atomic: pages present in regions */
	_Atomic int64_t resident_hwm;       /* atomic */
	cache_aligned _Atomic uint32_t evictions; /* atomic: the eviction clock (shadow entries) */
	_Atomic uint64_t hand;              /* atomic: the clock hand, region id << 32 | page */

	/* Staging pages (swap-in targets) and parking batches (eviction
	 * destinations), taken with an atomic flag each: no malloc and no lock
	 * on the fault path. */
	unsigned char *staging;             /* VM_STAGING pages */
	_Atomic bool staging_busy[VM_STAGING];
	unsigned char *ra_staging;          /* VM_RA_SLOTS runs of VM_RA_MAX pages */
	_Atomic bool ra_busy[VM_RA_SLOTS];
	unsigned char *parking;             /* VM_PARKING * VM_EVICT_BATCH pages, on park_uffd (evict_wp: none) */
	_Atomic bool parking_busy[VM_PARKING];

	struct worker reclaim;              /* the reclaim thread; reclaim.lock guards reclaim_wanted */
	bool reclaim_wanted;
	int stop_fd;                        /* eventfd: tells handler threads to exit */
	pthread_t handler[VM_MAX_HANDLERS];
	unsigned nr_handlers;

	struct hist fault_ns;
	_Atomic uint64_t faults, major_faults, minor_faults, zero_faults, refaults, swapouts, evict_fail,
		poisoned, direct_reclaims, budget_overruns, readahead_pages, zero_refills, evict_refused, evict_misreports,
		written_refs, lazyfree_adopted;
	_Atomic bool overrun_warned;
	struct vm_range lazy[VM_LAZY_RANGES]; /* vm.barrier exclusive (access.c) */
	_Atomic unsigned nr_lazy;           /* atomic: written with vm.barrier exclusive */
	_Atomic uint64_t futile_ns;         /* atomic: when a reclaim last swept in vain (reclaim.c); 0: not */
	_Atomic unsigned frozen;            /* atomic: > 0 while a fork is prepared (fork.c): nothing is evicted */
	struct unuse_loc *unuse_map;        /* the swapoff's thread alone (unuse.c): swapped pages by entry */
	size_t unuse_n, unuse_cap;
	uint64_t unuse_swapouts;            /* vm.swapouts when the map was made */
};

/* vm.c */
int vm_create(const struct vm_config *cfg, struct swap_sys *swap, struct zswap *z, struct vm **out, char *err,
	      size_t errlen);
void vm_destroy(struct vm *vm);
void vm_stats(struct vm *vm, struct vm_stats *st);
int vm_set_limit(struct vm *vm, uint64_t bytes, char *err, size_t errlen);
/* What counts against the limit, in pages: own usage and the others sharing the budget. */
uint64_t vm_usage_pages(struct vm *vm);
uint64_t vm_own_pages(struct vm *vm);   /* resident + (pool_in_limit) the pool, in pages */
void vm_set_share(struct vm *vm, const struct vm_share *share);
void vm_share_sync(struct vm *vm);
static inline unsigned vm_barrier_enter(struct vm *vm) { return prw_read_lock(&vm->barrier); }
static inline void vm_barrier_exit(struct vm *vm, unsigned b) { prw_read_unlock(&vm->barrier, b); }

/* region.c */
int vm_region_add(struct vm *vm, size_t len, void **out, char *err, size_t errlen);
int vm_region_remove(struct vm *vm, void *addr, char *err, size_t errlen);
int vm_region_adopt(struct vm *vm, void *addr, size_t len, size_t used_len, char *err, size_t errlen);
struct region *vm_region_find(struct vm *vm, uintptr_t addr);
struct region *vm_region_by_id(struct vm *vm, unsigned id);
void vm_pte_release(struct vm *vm, struct region *r, size_t i); /* drop a page's content: PTE_NONE */
int vm_validate(struct vm *vm, char *err, size_t errlen);        /* tables against mincore (debug tier) */
void vm_page_drop(struct vm *vm, struct region *r, size_t first, size_t n);

/* fault.c */
enum resolve_result { RESOLVED, NOT_OURS, POISONED };
enum resolve_result vm_resolve(struct vm *vm, uintptr_t addr, bool kernel_waits);
int vm_handlers_start(struct vm *vm);
void vm_handlers_stop(struct vm *vm);
bool vm_install(struct vm *vm, uintptr_t dst, const void *src, size_t len, bool wake, int *err);
bool vm_is_reader(void); /* this thread reads the userfaultfd's events (a handler thread) */
void vm_resident_add(struct vm *vm, size_t n);

/* event.c */
struct vm_fault_msg {
	uintptr_t addr;
	pid_t tid;                  /* the faulting thread (UFFD_FEATURE_THREAD_ID), or 0 */
};
void vm_events_read(struct vm *vm, struct vm_fault_msg *faults, unsigned *nr_faults, unsigned max_faults);

/* sigbus.c */
int vm_sigbus_install(struct vm *vm, char *err, size_t errlen);
void vm_sigbus_remove(struct vm *vm);
void vm_sigbus_forget(struct vm *vm);

/* evict.c */
long vm_evict(struct vm *vm, unsigned *barrier_slot, struct region *r, size_t *idx, unsigned n);
long vm_pageout(struct vm *vm, uintptr_t addr, size_t len);

/* unuse.c: swapoff into the regions (swap_sys_set_unuse's callback) */
int vm_unuse_begin(struct vm *vm);
void vm_unuse_end(struct vm *vm);
int vm_unuse(void *vm, swp_entry_t e, const void *page, const void *tags, size_t tags_len);

/* evict_wp.c */
long vm_evict_wp(struct vm *vm, unsigned *barrier_slot, struct region *r, size_t *idx, unsigned n);
int vm_wp_range(struct vm *vm, uintptr_t addr, size_t len, bool protect);

/* access.c */
bool vm_access_open(struct vm *vm);
void vm_access_close(struct vm *vm);
unsigned vm_access_scan(struct vm *vm, struct region *r, size_t first, size_t n);
void vm_access_rearm(struct vm *vm, struct region *r, size_t first, size_t n);
void vm_access_note(struct vm *vm, struct region *r, size_t first, size_t n);
void vm_access_lazy(struct vm *vm);

/* pin.c */
long vm_pin(struct vm *vm, uintptr_t addr, size_t len, bool pin);

/* fork.c */
uint64_t vm_freeze(struct vm *vm);
void vm_thaw(struct vm *vm);
bool vm_frozen(struct vm *vm);

/* reclaim.c */
long vm_reclaim(struct vm *vm, uint64_t pages);
uint64_t vm_charge(struct vm *vm, uint64_t pages);
bool vm_reader_waits(struct vm *vm);
int vm_reclaim_start(struct vm *vm);
void vm_reclaim_stop(struct vm *vm);
void vm_note_refault(struct vm *vm, struct region *r, size_t i, uint64_t *pte_flags);

#endif
