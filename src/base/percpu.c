/*
 * percpu.c - which CPU am I on, cheaply.
 *
 * Per-CPU resources (compression contexts, page caches, counters) are
 * indexed by pcpu_current(). The answer is only a hint: the thread may
 * migrate right after the call. Every user therefore either takes the
 * slot's mutex (exclusion comes from the mutex, not the CPU) or updates the
 * slot atomically. glibc's sched_getcpu() reads the rseq area, a few ns;
 * where it fails (old kernels, seccomp) each thread gets a fixed slot,
 * handed out round-robin.
 */
#include <sched.h>
#include <sys/sysinfo.h>

#include "base/base.h"

static _Atomic unsigned nr_possible;   /* atomic; 0 until first use */
static _Atomic unsigned next_fallback; /* atomic */
static _Thread_local int cpu_override = -1;
static _Thread_local int fallback_cpu = -1;

unsigned pcpu_nr_possible(void)
{
	unsigned n = atomic_load_relaxed(&nr_possible);

	if (likely(n))
		return n;
	int conf = get_nprocs_conf();
	n = conf > 0 ? (unsigned)conf : 1;
	atomic_store_relaxed(&nr_possible, n);
	return n;
}

void pcpu_set_override(int cpu) { cpu_override = cpu; }

static unsigned fallback_slot(void)
{
	if (fallback_cpu < 0)
		fallback_cpu = (int)(atomic_add_relaxed(&next_fallback, 1) % pcpu_nr_possible());
	return (unsigned)fallback_cpu;
}

unsigned pcpu_current(void)
{
	unsigned n = pcpu_nr_possible();

	if (unlikely(cpu_override >= 0))
		return (unsigned)cpu_override % n;
	int cpu = sched_getcpu();
	if (unlikely(cpu < 0))
		return fallback_slot();
	return (unsigned)cpu < n ? (unsigned)cpu : (unsigned)cpu % n;
}

void *pcpu_try_slot(_Atomic bool *busy, unsigned n, unsigned char *base, size_t slot_bytes, unsigned *idx)
{
	for (unsigned k = 0, i = pcpu_current() % n; k < n; k++, i = (i + 1) % n)
		if (!atomic_load_relaxed(&busy[i]) && !atomic_xchg_acq_rel(&busy[i], true)) {
			*idx = i;
			return base + (size_t)i * slot_bytes;
		}
	return NULL;
}

void *pcpu_take_slot(_Atomic bool *busy, unsigned n, unsigned char *base, size_t slot_bytes, unsigned *idx)
{
	void *slot;

	while (!(slot = pcpu_try_slot(busy, n, base, slot_bytes, idx)))
		sched_yield();
	return slot;
}

void pcpu_put_slot(_Atomic bool *busy, unsigned idx) { atomic_store_rel(&busy[idx], false); }
