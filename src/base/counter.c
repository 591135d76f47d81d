/*
 * counter.c - per-CPU statistics counters.
 *
 * Layout: one cache-line-aligned block of nr counters per possible CPU, so
 * two CPUs never write the same line. A thread adds to its current CPU's
 * block with a relaxed atomic add (another thread may share the CPU, or this
 * one may migrate mid-add, so a plain increment would lose updates). Reading
 * sums the blocks; the result is exact once writers have stopped, and never
 * torn.
 */
#include "base/base.h"

struct pcpu_counters {
	unsigned nr;       /* counters per CPU */
	unsigned stride;   /* in counters; a whole number of cache lines */
	unsigned nr_cpus;
	_Atomic int64_t *v; /* atomic; [nr_cpus * stride] */
};

struct pcpu_counters *pcpu_counters_create(unsigned nr)
{
	struct pcpu_counters *c = base_calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nr = nr;
	c->stride = (unsigned)((nr * sizeof(int64_t) + CACHE_LINE - 1) / CACHE_LINE * (CACHE_LINE / sizeof(int64_t)));
	c->nr_cpus = pcpu_nr_possible();
	c->v = base_aligned_alloc(CACHE_LINE, (size_t)c->nr_cpus * c->stride * sizeof(int64_t));
	if (!c->v) {
		base_free(c);
		return NULL;
	}
	return c;
}

void pcpu_counters_destroy(struct pcpu_counters *c)
{
	if (!c)
		return;
	base_free((void *)c->v);
	base_free(c);
}

void pcpu_counter_add(struct pcpu_counters *c, unsigned idx, int64_t v)
{
	unsigned cpu = pcpu_current() % c->nr_cpus;

	atomic_add_relaxed(&c->v[(size_t)cpu * c->stride + idx], v);
}

int64_t pcpu_counter_read(const struct pcpu_counters *c, unsigned idx)
{
	int64_t sum = 0;

	for (unsigned cpu = 0; cpu < c->nr_cpus; cpu++)
		sum += atomic_load_relaxed(&c->v[(size_t)cpu * c->stride + idx]);
	return sum;
}

void pcpu_counters_reset(struct pcpu_counters *c)
{
	for (size_t i = 0; i < (size_t)c->nr_cpus * c->stride; i++)
		atomic_store_relaxed(&c->v[i], 0);
}
