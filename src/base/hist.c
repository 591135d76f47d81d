/*
 * hist.c - log-linear histogram for latencies (ns) and sizes.
 *
 * Values below 2^HIST_SUB_BITS get a bucket each. Above, a value v with its
 * top bit at position e falls into one of 2^HIST_SUB_BITS equal sub-buckets
 * of [2^e, 2^(e+1)), so the relative error of a reported percentile is
 * below 1/16. Recording is three relaxed atomic adds and, rarely, a CAS
 * for the maximum: safe from any number of threads without a lock.
 */
#include <string.h>

#include "base/base.h"

#define SUB (1u << HIST_SUB_BITS)

static unsigned bucket_of(uint64_t v)
{
	if (v < SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v); /* e >= HIST_SUB_BITS */
	unsigned sub = (unsigned)(v >> (e - HIST_SUB_BITS)) & (SUB - 1);
	return SUB + (e - HIST_SUB_BITS) * SUB + sub;
}

/* Largest value that lands in bucket b. */
static uint64_t bucket_upper(unsigned b)
{
	if (b < SUB)
		return b;
	unsigned e = (b - SUB) / SUB + HIST_SUB_BITS;
	uint64_t sub = (b - SUB) % SUB;
	uint64_t lo = ((uint64_t)1 << e) | (sub << (e - HIST_SUB_BITS));
	return lo + (((uint64_t)1 << (e - HIST_SUB_BITS)) - 1);
}

void hist_reset(struct hist *h)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		atomic_store_relaxed(&h->bucket[i], 0);
	atomic_store_relaxed(&h->count, 0);
	atomic_store_relaxed(&h->sum, 0);
	atomic_store_relaxed(&h->max, 0);
}

void hist_record(struct hist *h, uint64_t v)
{
	atomic_add_relaxed(&h->bucket[bucket_of(v)], 1);
	atomic_add_relaxed(&h->count, 1);
	atomic_add_relaxed(&h->sum, v);
	uint64_t m = atomic_load_relaxed(&h->max);
	while (v > m && !atomic_cas_weak_relaxed(&h->max, &m, v))
		;
}

/*
 * The smallest bucket bound below which at least p percent of the recorded
 * values lie, clamped to the exact maximum. 0 for an empty histogram.
 */
uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		total += atomic_load_relaxed(&h->bucket[i]);
	if (!total)
		return 0;
	uint64_t rank = (uint64_t)(p / 100.0 * (double)total + 0.5);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0, max = hist_max(h);
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += atomic_load_relaxed(&h->bucket[i]);
		if (seen >= rank)
			return MIN(bucket_upper(i), max);
	}
	return max;
}

uint64_t hist_max(const struct hist *h) { return atomic_load_relaxed(&h->max); }
uint64_t hist_count(const struct hist *h) { return atomic_load_relaxed(&h->count); }

double hist_mean(const struct hist *h)
{
	uint64_t n = hist_count(h);
	return n ? (double)atomic_load_relaxed(&h->sum) / (double)n : 0.0;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		atomic_add_relaxed(&dst->bucket[i], atomic_load_relaxed(&src->bucket[i]));
	atomic_add_relaxed(&dst->count, hist_count(src));
	atomic_add_relaxed(&dst->sum, atomic_load_relaxed(&src->sum));
	uint64_t v = hist_max(src), m = atomic_load_relaxed(&dst->max);
	while (v > m && !atomic_cas_weak_relaxed(&dst->max, &m, v))
		;
}
