/*
 * slab.c - fixed-size objects for hot metadata (zswap's entries): one
 * allocation and one free per swapped page otherwise go through glibc's
 * malloc, whose free and consolidation cost more than the rest of a
 * load's bookkeeping (measured in bench zswap: load+commit).
 *
 * Objects are carved from 64 KiB chunks. Each CPU keeps a magazine of free
 * objects under its own lock; a full magazine hands half to the shared
 * depot, an empty one takes a batch from the depot or carves a new chunk.
 * Memory is given back only when the slab is destroyed: the slab holds
 * the peak number of live objects (zswap: 64 bytes per page stored at the
 * peak, 0.8% of the pages' size), as the kernel's slab caches do until
 * shrunk.
 *
 * Lock order: slab_cpu.lock -> depot_lock.
 */
#include <errno.h>

#include "base/base.h"

#define SLAB_CHUNK (64u << 10)
#define MAG_MAX    64
#define MAG_BATCH  32

struct slab_free {
	struct slab_free *next;
};

struct slab_chunk {
	struct slab_chunk *next;
};

struct slab_cpu {
	cache_aligned mutex_t lock; /* guards n, obj */
	unsigned n;
	void *obj[MAG_MAX];
};

struct slab {
	size_t size;                 /* constant: object size, a multiple of 16 */
	unsigned nr_cpu;             /* constant */
	struct slab_cpu *cpu;        /* [nr_cpu] */
	mutex_t depot_lock;          /* guards depot, chunks, carve, carve_end */
	struct slab_free *depot;
	struct slab_chunk *chunks;
	char *carve, *carve_end;     /* the unused tail of the newest chunk */
};

struct slab *slab_create(size_t size)
{
	struct slab *s = base_calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->size = (MAX(size, sizeof(struct slab_free)) + 15) & ~(size_t)15;
	s->nr_cpu = pcpu_nr_possible();
	s->cpu = base_aligned_alloc(CACHE_LINE, s->nr_cpu * sizeof(*s->cpu));
	if (!s->cpu) {
		base_free(s);
		return NULL;
	}
	for (unsigned i = 0; i < s->nr_cpu; i++)
		mutex_init(&s->cpu[i].lock);
	mutex_init(&s->depot_lock);
	return s;
}

void slab_destroy(struct slab *s)
{
	if (!s)
		return;
	for (struct slab_chunk *c = s->chunks, *next; c; c = next) {
		next = c->next;
		base_free(c);
	}
	for (unsigned i = 0; i < s->nr_cpu; i++)
		mutex_destroy(&s->cpu[i].lock);
	mutex_destroy(&s->depot_lock);
	base_free(s->cpu);
	base_free(s);
}

/* Fill an empty magazine: from the depot, else carved from a chunk (a new
 * one when the newest is used up). depot_lock held. */
static void refill_locked(struct slab *s, struct slab_cpu *m)
{
	while (m->n < MAG_BATCH && s->depot) {
		m->obj[m->n++] = s->depot;
		s->depot = s->depot->next;
	}
	if (m->n)
		return;
	if (s->carve + s->size > s->carve_end) {
		struct slab_chunk *c = base_aligned_alloc(CACHE_LINE, SLAB_CHUNK);
		if (!c)
			return;
		c->next = s->chunks;
		s->chunks = c;
		s->carve = (char *)c + 64; /* the chunk header's line */
		s->carve_end = (char *)c + SLAB_CHUNK;
	}
	while (m->n < MAG_BATCH && s->carve + s->size <= s->carve_end) {
		m->obj[m->n++] = s->carve;
		s->carve += s->size;
	}
}

/* An object (contents undefined), or NULL when memory is exhausted. */
void *slab_alloc(struct slab *s)
{
	struct slab_cpu *m = &s->cpu[pcpu_current() % s->nr_cpu];
	void *p;

	mutex_lock(&m->lock);
	if (!m->n) {
		mutex_lock(&s->depot_lock);
		refill_locked(s, m);
		mutex_unlock(&s->depot_lock);
	}
	p = m->n ? m->obj[--m->n] : NULL;
	mutex_unlock(&m->lock);
	return p;
}

void slab_free(struct slab *s, void *p)
{
	struct slab_cpu *m = &s->cpu[pcpu_current() % s->nr_cpu];

	mutex_lock(&m->lock);
	if (m->n == MAG_MAX) {
		mutex_lock(&s->depot_lock);
		while (m->n > MAG_MAX - MAG_BATCH) {
			struct slab_free *f = m->obj[--m->n];
			f->next = s->depot;
			s->depot = f;
		}
		mutex_unlock(&s->depot_lock);
	}
	m->obj[m->n++] = p;
	mutex_unlock(&m->lock);
}
