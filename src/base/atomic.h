/*
 * atomic.h - C11 atomics with the memory order in the name.
 *
 * Every shared word in uswap is either guarded by a named lock or accessed
 * through these helpers, so a reader of the code sees the ordering it relies
 * on at the call site (mimalloc's habit). Acquire pairs with release: a
 * reader that sees a pointer published with atomic_store_rel also sees every
 * write made before the publication.
 */
#ifndef USWAP_BASE_ATOMIC_H
#define USWAP_BASE_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

#define atomic_load_relaxed(p)      atomic_load_explicit((p), memory_order_relaxed)
#define atomic_load_acq(p)          atomic_load_explicit((p), memory_order_acquire)
#define atomic_store_relaxed(p, v)  atomic_store_explicit((p), (v), memory_order_relaxed)
#define atomic_store_rel(p, v)      atomic_store_explicit((p), (v), memory_order_release)
#define atomic_add_relaxed(p, v)    atomic_fetch_add_explicit((p), (v), memory_order_relaxed)
#define atomic_sub_relaxed(p, v)    atomic_fetch_sub_explicit((p), (v), memory_order_relaxed)
#define atomic_add_acq_rel(p, v)    atomic_fetch_add_explicit((p), (v), memory_order_acq_rel)
#define atomic_sub_acq_rel(p, v)    atomic_fetch_sub_explicit((p), (v), memory_order_acq_rel)
#define atomic_xchg_acq_rel(p, v)   atomic_exchange_explicit((p), (v), memory_order_acq_rel)
#define atomic_or_acq_rel(p, v)     atomic_fetch_or_explicit((p), (v), memory_order_acq_rel)
#define atomic_and_acq_rel(p, v)    atomic_fetch_and_explicit((p), (v), memory_order_acq_rel)
/* Strong CAS; on failure *expected is updated with the current value. */
#define atomic_cas_acq_rel(p, expected, desired)                               \
	atomic_compare_exchange_strong_explicit((p), (expected), (desired),        \
						memory_order_acq_rel, memory_order_acquire)
#define atomic_cas_weak_relaxed(p, expected, desired)                          \
	atomic_compare_exchange_weak_explicit((p), (expected), (desired),          \
					      memory_order_relaxed, memory_order_relaxed)

#define CACHE_LINE 64
#define cache_aligned _Alignas(CACHE_LINE)

/* In a spin-wait loop: tell the CPU (pause), so the other hyperthread runs. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

#endif
