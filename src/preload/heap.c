/*
 * heap.c - where uswap run puts a program's anonymous mappings.
 *
 * A program maps memory far more often than uswap could make regions
 * (each is a userfaultfd registration and a page table), and it unmaps
 * pieces of what it mapped. So mappings are carved out of chunks: a chunk
 * is one uswap region of HEAP_CHUNK_BYTES, with a bitmap of the pages
 * handed out. A mapping larger than HEAP_DEDICATED gets a chunk of its own,
 * freed when its last page is unmapped. Unmapping a piece of a chunk drops
 * its pages (MADV_DONTNEED: the kernel frees them, uswap drops their
 * swapped copies through the REMOVE event), and the pages are handed out
 * again later. A chunk left empty is freed (a shared one when another
 * empty one is kept already); until then a use after munmap of its pages
 * reads zeros instead of faulting.
 *
 * Mappings of 2 MiB and more start on a 2 MiB boundary: allocators such
 * as jemalloc ask for aligned extents and otherwise map twice as much and
 * trim it.
 *
 * Lock order: jemalloc's locks (a thread that maps memory from inside
 * malloc) -> heap_mutex -> the instance's (uswap_alloc, uswap_free).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "base/base.h"
#include "preload/heap.h"
#include "preload/sys.h"

struct chunk {
	uintptr_t start;
	size_t npages;
	uint64_t *bits;   /* heap_mutex: a set bit is a page handed out */
	size_t used;      /* heap_mutex: set bits */
	size_t rover;     /* heap_mutex: where the next search starts */
	size_t top;       /* heap_mutex: 1 + the highest page ever handed out */
	bool dedicated;   /* one mapping's own region */
};

static pthread_mutex_t heap_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct chunk chunks[HEAP_MAX_CHUNKS]; /* heap_mutex */
static unsigned nr_chunks;                   /* heap_mutex */
static uswap_t *heap_u;                      /* heap_mutex */
static struct heap_stats stats;              /* heap_mutex */

#define ALIGN_BYTES (2u << 20)

void heap_init(uswap_t *u) { heap_u = u; }
void heap_set_instance(uswap_t *u) { heap_u = u; }
void heap_lock(void) { pthread_mutex_lock(&heap_mutex); }
void heap_unlock(void) { pthread_mutex_unlock(&heap_mutex); }
bool heap_trylock(void) { return pthread_mutex_trylock(&heap_mutex) == 0; }

static bool bit(const struct chunk *c, size_t i) { return c->bits[i / 64] >> (i % 64) & 1; }

/* Set (or clear) bits [first, first + n); returns how many changed. */
static size_t mark(struct chunk *c, size_t first, size_t n, bool set)
{
	size_t changed = 0;

	for (size_t i = first; i < first + n; i++) {
		uint64_t m = 1ull << (i % 64), *w = &c->bits[i / 64];
		if (!(*w & m) == set) {
			*w ^= m;
			changed++;
		}
	}
	return changed;
}

static size_t align_up(size_t i, size_t a) { return (i + a - 1) / a * a; }

/* The first run of n clear bits at or after from (aligned to align
 * pages), below end; SIZE_MAX when there is none. */
static size_t find_run(const struct chunk *c, size_t from, size_t end, size_t n, size_t align)
{
	size_t i = align_up(from, align);

	while (i + n <= end) {
		if (i % 64 == 0 && c->bits[i / 64] == ~0ull) {
			i = align_up(i + 64, align);
			continue;
		}
		size_t j = i;
		while (j < i + n && !bit(c, j))
			j++;
		if (j == i + n)
			return i;
		i = align_up(j + 1, align);
	}
	return SIZE_MAX;
}

static struct chunk *chunk_of(uintptr_t addr)
{
	for (unsigned k = 0; k < nr_chunks; k++)
		if (addr - chunks[k].start < chunks[k].npages * PAGE_SIZE)
			return &chunks[k];
	return NULL;
}

/* The lowest chunk start above addr, or UINTPTR_MAX. */
static uintptr_t next_chunk(uintptr_t addr)
{
	uintptr_t best = UINTPTR_MAX;

	for (unsigned k = 0; k < nr_chunks; k++)
		if (chunks[k].start > addr && chunks[k].start < best)
			best = chunks[k].start;
	return best;
}

static struct chunk *chunk_new(size_t bytes, bool dedicated)
{
	void *bits, *p;

	if (nr_chunks == HEAP_MAX_CHUNKS)
		return NULL;
	size_t npages = bytes / PAGE_SIZE, bits_bytes = (npages + 63) / 64 * 8;
	if (os_mmap_anon(bits_bytes, PAGE_SIZE, &bits))
		return NULL;
	if (!(p = uswap_alloc(heap_u, bytes))) {
		os_munmap(bits, bits_bytes);
		return NULL;
	}
	struct chunk *c = &chunks[nr_chunks++];
	*c = (struct chunk){.start = (uintptr_t)p, .npages = npages, .bits = bits, .dedicated = dedicated};
	stats.chunk_bytes += bytes;
	stats.chunks++;
	return c;
}

static void chunk_free(struct chunk *c)
{
	os_munmap(c->bits, (c->npages + 63) / 64 * 8);
	uswap_free(heap_u, (void *)c->start);
	stats.chunk_bytes -= c->npages * PAGE_SIZE;
	stats.chunks--;
	*c = chunks[--nr_chunks];
}

/* Hand out n pages of chunk c from page i on. */
static void *take(struct chunk *c, size_t i, size_t n)
{
	c->used += mark(c, i, n, true);
	c->rover = i + n;
	c->top = MAX(c->top, i + n);
	stats.mapped_bytes += n * PAGE_SIZE;
	stats.maps++;
	return (void *)(c->start + i * PAGE_SIZE);
}

static void *map_locked(size_t len)
{
	size_t n = (len + PAGE_SIZE - 1) / PAGE_SIZE, align = len >= ALIGN_BYTES ? ALIGN_BYTES / PAGE_SIZE : 1;
	struct chunk *c;

	if (n * PAGE_SIZE > HEAP_DEDICATED)
		return (c = chunk_new(n * PAGE_SIZE, true)) ? take(c, 0, n) : NULL;
	for (unsigned k = 0; k < nr_chunks; k++) {
		c = &chunks[k];
		if (c->dedicated || c->npages - c->used < n)
			continue;
		size_t i = find_run(c, c->rover, c->npages, n, align);
		if (i == SIZE_MAX)
			i = find_run(c, 0, c->npages, n, align);
		if (i != SIZE_MAX)
			return take(c, i, n);
	}
	return (c = chunk_new(HEAP_CHUNK_BYTES, false)) ? take(c, 0, n) : NULL;
}

void *heap_map(size_t len)
{
	if (!len)
		return NULL;
	heap_lock();
	void *p = map_locked(len);
	heap_unlock();
	return p;
}

bool heap_owns(uintptr_t addr)
{
	heap_lock();
	bool owns = chunk_of(addr) != NULL;
	heap_unlock();
	return owns;
}

/* Shared chunks with nothing handed out, c aside. */
static unsigned empty_shared_besides(const struct chunk *c)
{
	unsigned n = 0;

	for (unsigned k = 0; k < nr_chunks; k++)
		n += &chunks[k] != c && !chunks[k].dedicated && !chunks[k].used;
	return n;
}

/* Drop and free pages [a, b) of chunk c. A chunk left empty goes back
 * (its region, its page table, its address space): a dedicated one at
 * once, a shared one when another empty shared chunk is kept already, so
 * that a program mapping and unmapping one buffer does not make and
 * unmake a region each time. */
static void unmap_piece(struct chunk *c, uintptr_t a, uintptr_t b)
{
	sys_madvise((void *)a, b - a, MADV_DONTNEED);
	size_t freed = mark(c, (a - c->start) / PAGE_SIZE, (b - a) / PAGE_SIZE, false);
	c->used -= freed;
	stats.mapped_bytes -= freed * PAGE_SIZE;
	if (!c->used && (c->dedicated || empty_shared_besides(c)))
		chunk_free(c);
}

int heap_unmap(uintptr_t addr, size_t len)
{
	if (addr % PAGE_SIZE || !len) {
		errno = EINVAL;
		return -1;
	}
	uintptr_t end = addr + PAGE_ALIGN(len);
	int ret = 0;

	heap_lock();
	stats.unmaps++;
	for (uintptr_t p = addr; p < end && !ret;) {
		struct chunk *c = chunk_of(p);
		if (c) {
			uintptr_t b = MIN(end, c->start + c->npages * PAGE_SIZE);
			unmap_piece(c, p, b);
			p = b;
		} else {
			uintptr_t b = MIN(end, next_chunk(p));
			ret = sys_munmap((void *)p, b - p);
			p = b;
		}
	}
	heap_unlock();
	return ret;
}

bool heap_map_fixed(uintptr_t addr, size_t len, bool plain_anon)
{
	uintptr_t end = addr + PAGE_ALIGN(len);
	bool served = false;

	heap_lock();
	struct chunk *c = chunk_of(addr);
	if (c && plain_anon && end <= c->start + c->npages * PAGE_SIZE) {
		/* A fresh anonymous mapping over our own pages: zero them. */
		sys_madvise((void *)addr, end - addr, MADV_DONTNEED);
		c->used += mark(c, (addr - c->start) / PAGE_SIZE, (end - addr) / PAGE_SIZE, true);
		c->top = MAX(c->top, (end - c->start) / PAGE_SIZE);
		stats.fixed_maps++;
		served = true;
	}
	/* Otherwise the kernel replaces whatever part of a chunk the range
	 * covers (uswap drops those pages on the UNMAP event): never hand
	 * those pages out again. */
	for (uintptr_t p = addr; p < end && !served;) {
		c = chunk_of(p);
		uintptr_t b = c ? MIN(end, c->start + c->npages * PAGE_SIZE) : MIN(end, next_chunk(p));
		if (c) {
			size_t n = mark(c, (p - c->start) / PAGE_SIZE, (b - p) / PAGE_SIZE, true);
			c->used += n;
			stats.lost_bytes += (b - p);
		}
		p = b;
	}
	heap_unlock();
	return served;
}

/* Grow a mapping in place when the pages after it are free. */
static bool grow_in_place(struct chunk *c, uintptr_t addr, size_t old_n, size_t new_n)
{
	size_t i = (addr - c->start) / PAGE_SIZE;

	if (c->dedicated || i + new_n > c->npages || find_run(c, i + old_n, i + new_n, new_n - old_n, 1) != i + old_n)
		return false;
	c->used += mark(c, i + old_n, new_n - old_n, true);
	c->top = MAX(c->top, i + new_n);
	stats.mapped_bytes += (new_n - old_n) * PAGE_SIZE;
	return true;
}

void *heap_remap(uintptr_t addr, size_t old_len, size_t new_len, int flags)
{
	size_t old_n = (old_len + PAGE_SIZE - 1) / PAGE_SIZE, new_n = (new_len + PAGE_SIZE - 1) / PAGE_SIZE;

	if (addr % PAGE_SIZE || !new_len || (flags & ~MREMAP_MAYMOVE)) {
		errno = EINVAL; /* MREMAP_DONTUNMAP of heap memory: not supported (MREMAP_FIXED: preload.c) */
		return MAP_FAILED;
	}
	if (new_n <= old_n) {
		if (new_n < old_n)
			heap_unmap(addr + new_n * PAGE_SIZE, (old_n - new_n) * PAGE_SIZE);
		return (void *)addr;
	}
	heap_lock();
	stats.remaps++;
	struct chunk *c = chunk_of(addr);
	bool grown = c && grow_in_place(c, addr, old_n, new_n);
	heap_unlock();
	if (grown)
		return (void *)addr;
	if (!(flags & MREMAP_MAYMOVE)) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	void *p = heap_map(new_len);
	if (!p && (p = sys_mmap(NULL, new_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		return MAP_FAILED;
	memcpy(p, (void *)addr, old_n * PAGE_SIZE); /* swapped pages fault in on the way */
	heap_unmap(addr, old_n * PAGE_SIZE);
	return p;
}

void heap_stats(struct heap_stats *st)
{
	heap_lock();
	*st = stats;
	heap_unlock();
}

/* With the heap lock held (a fork): each chunk, and how much of it was
 * ever handed out (the rest has never been touched). */
unsigned heap_chunks(uintptr_t *start, size_t *len, size_t *used_len, unsigned max)
{
	unsigned n = MIN(max, nr_chunks);

	for (unsigned k = 0; k < n; k++) {
		start[k] = chunks[k].start;
		len[k] = chunks[k].npages * PAGE_SIZE;
		used_len[k] = chunks[k].top * PAGE_SIZE;
	}
	return n;
}
