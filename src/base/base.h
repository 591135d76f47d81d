/*
 * base.h - what every layer needs: allocation with fault injection, OS
 * wrappers, per-CPU slots and counters, latency histograms and the radix
 * tree. Prototypes are grouped by the file that defines them.
 */
#ifndef USWAP_BASE_H
#define USWAP_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/atomic.h"
#include "base/lock.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  ((size_t)1 << PAGE_SHIFT)
#define PAGE_ALIGN(n) (((n) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) /* n rounded up to whole pages */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
/*
 * The debug tier: builds with -DUSWAP_DEBUG=1 (make SAN=asan, SAN=tsan,
 * DEBUG=1; make check runs them) turn on assertions and the expensive
 * whole-structure validators (zs_validate, pg_validate, the swap map's)
 * around compaction, migration and swapoff. Elsewhere they compile to
 * nothing (the expression is not evaluated).
 */
#ifdef USWAP_DEBUG
#define DEBUG_ON 1
#else
#define DEBUG_ON 0
#endif
void debug_fail(const char *what, const char *file, int line) __attribute__((noreturn, cold));
#define DEBUG_ASSERT(cond)                                        \
	do {                                                      \
		if (DEBUG_ON && !(cond))                          \
			debug_fail(#cond, __FILE__, __LINE__);    \
	} while (0)
/* call returns 0 when the structure is sound. */
#define DEBUG_VALIDATE(call) DEBUG_ASSERT((call) == 0)
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* alloc.c: every allocation of uswap's own metadata goes through here, so
 * tests can make the Nth one fail and check that nothing leaks. */
void *base_malloc(size_t size);
void *base_calloc(size_t n, size_t size);
void *base_realloc(void *p, size_t size);
char *base_strdup(const char *s);
void *base_aligned_alloc(size_t align, size_t size); /* zeroed */
void base_free(void *p);
/* A large zeroed array straight from mmap: its pages are faulted in only
 * as they are touched (calloc from a heap that grew before clears and so
 * touches all of it). Freed with base_free_large and the same size. */
void *base_zalloc_large(size_t size);
void base_free_large(void *p, size_t size);
/* Where base_* allocations come from (default: the process's malloc).
 * Call before the first allocation; see alloc.c. */
struct base_allocator {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*aligned)(size_t align, size_t size);
	void (*free)(void *);
};
void base_set_allocator(const struct base_allocator *a);
/* Make the nth allocation from now fail (1 = the next one); 0 disables.
 * Global: only tests use it, from one thread at a time. */
void base_alloc_fail_nth(long n);
/* Has the armed failure fired since it was armed? */
bool base_alloc_failed(void);

/* os.c: system calls wrapped once; each returns 0 or -errno. mmap, munmap
 * and madvise are raw system calls: an interposed mmap (uswap run's
 * preload library) never sees uswap's own memory. */
int os_mmap_anon(size_t len, size_t align, void **out);
int os_munmap(void *p, size_t len);
int os_madvise(void *p, size_t len, int advice);
/* memcpy through libc's, never inlined: for page-sized and pool copies,
 * where gcc would otherwise inline `rep movsq` (slower than libc's
 * vector copy here: span_copy was 44% of bench zsmalloc's time). */
void *os_memcpy(void *dst, const void *src, size_t n);
uint64_t os_now_ns(void);
uint64_t os_now_coarse_ns(void);
/* CLOCK_REALTIME ns from now, for pthread_cond_timedwait. */
void os_deadline(struct timespec *ts, uint64_t ns);

/* scratch.c: SCRATCH_SLOT bytes (page-aligned) of the calling thread's
 * own, one per user (SCRATCH_WRITEBACK_BYTES for the last); NULL only
 * when a thread's first use cannot map them. */
#define SCRATCH_SLOT            (2 * PAGE_SIZE)
#define SCRATCH_WRITEBACK_BYTES (32 * PAGE_SIZE)
enum scratch_slot {
	SCRATCH_COMPRESS,       /* zswap: a store's compressor output */
	SCRATCH_POOL_READ,      /* zswap: an object that spans two pages, copied out */
	SCRATCH_DEDUP,          /* zswap: a shared object decompressed to compare */
	SCRATCH_RECOMPRESS,     /* zswap: the recompressor's output */
	SCRATCH_RECOMPRESS_PAGE, /* zswap: the page the recompressor works on */
	SCRATCH_COMPACT,        /* zsmalloc: an object on its way between zspages */
	SCRATCH_BOUNCE,         /* swap: an O_DIRECT bounce page */
	SCRATCH_REDIS,          /* swap: a sealed object to open */
	SCRATCH_UNUSE,          /* swap: a page read back by swapoff */
	SCRATCH_WRITEBACK,      /* zswap: a writeback batch's pages and objects (last: larger) */
	SCRATCH_NR
};
void *scratch_get(enum scratch_slot slot);

/* percpu.c */
unsigned pcpu_nr_possible(void); /* fixed for the life of the process */
unsigned pcpu_current(void);     /* in [0, pcpu_nr_possible()) */
/* Slots: n buffers of slot_bytes at base, busy[i] set while one is taken.
 * pcpu_try_slot makes one pass from this CPU's slot on: a free one, taken
 * (*idx), or NULL; pcpu_take_slot tries until one is free (their owners
 * finish in microseconds); pcpu_put_slot gives it back. Lock-free and
 * async-signal-safe. */
void *pcpu_try_slot(_Atomic bool *busy, unsigned n, unsigned char *base, size_t slot_bytes, unsigned *idx);
void *pcpu_take_slot(_Atomic bool *busy, unsigned n, unsigned char *base, size_t slot_bytes, unsigned *idx);
void pcpu_put_slot(_Atomic bool *busy, unsigned idx);
/* Tests: pin this thread's notion of "current CPU" (-1 = the real one). */
void pcpu_set_override(int cpu);

/* prwlock.c: a reader-writer lock with per-CPU reader counts (readers
 * write only their CPU's line); for locks read on every operation and
 * written rarely. prw_read_lock returns the slot to pass to unlock. */
struct prwlock {
	struct prw_slot {
		cache_aligned _Atomic long readers; /* atomic */
	} *slot;                                    /* [nr] */
	unsigned nr;                                /* constant */
	cache_aligned _Atomic int writer;           /* atomic: a writer holds or wants it */
	mutex_t writer_lock;                        /* one writer at a time */
};
int prw_init(struct prwlock *l);
void prw_destroy(struct prwlock *l);
unsigned prw_read_lock(struct prwlock *l);
bool prw_read_trylock(struct prwlock *l, unsigned *slot); /* false while a writer holds or wants it */
static inline void prw_read_unlock(struct prwlock *l, unsigned slot)
{
	atomic_fetch_sub_explicit(&l->slot[slot].readers, 1, memory_order_release);
}
void prw_write_lock(struct prwlock *l);
void prw_write_unlock(struct prwlock *l);

/* slab.c: fixed-size objects from 64 KiB chunks with per-CPU magazines;
 * memory goes back only at slab_destroy. */
struct slab;
struct slab *slab_create(size_t size);
void slab_destroy(struct slab *s);
void *slab_alloc(struct slab *s); /* contents undefined; NULL when out of memory */
void slab_free(struct slab *s, void *p);

/* counter.c: per-CPU counters summed on read. add() is lock-free and
 * touches only the current CPU's cache line; read() is racy by design
 * (a sum of relaxed loads): exact once writers have quiesced. */
struct pcpu_counters;
struct pcpu_counters *pcpu_counters_create(unsigned nr);
void pcpu_counters_destroy(struct pcpu_counters *c);
void pcpu_counter_add(struct pcpu_counters *c, unsigned idx, int64_t v);
int64_t pcpu_counter_read(const struct pcpu_counters *c, unsigned idx);
void pcpu_counters_reset(struct pcpu_counters *c);

/* hist.c: log-linear latency histogram (16 sub-buckets per power of two,
 * relative error under 6.25%), lock-free record. */
#define HIST_SUB_BITS 4
#define HIST_BUCKETS  (((64 - HIST_SUB_BITS) + 1) << HIST_SUB_BITS)
struct hist {
	_Atomic uint64_t bucket[HIST_BUCKETS]; /* atomic */
	_Atomic uint64_t count, sum, max;      /* atomic */
};
void hist_reset(struct hist *h);
void hist_record(struct hist *h, uint64_t v);
uint64_t hist_percentile(const struct hist *h, double p); /* p in [0,100] */
uint64_t hist_max(const struct hist *h);
uint64_t hist_count(const struct hist *h);
double hist_mean(const struct hist *h);
void hist_merge(struct hist *dst, const struct hist *src);

/* rtree.c: see the top of rtree.c. */
struct rtree;
struct rtree *rtree_create(void);
void rtree_destroy(struct rtree *t);
void *rtree_lookup(const struct rtree *t, uint64_t key);
int rtree_store(struct rtree *t, uint64_t key, void *val, void **old);
void *rtree_erase(struct rtree *t, uint64_t key);
bool rtree_cmpxchg(struct rtree *t, uint64_t key, void *expect, void *val);
void *rtree_find_next(const struct rtree *t, uint64_t *key);
uint64_t rtree_count(const struct rtree *t);
size_t rtree_node_bytes(const struct rtree *t);

#endif
