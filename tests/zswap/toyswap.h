/*
 * toyswap.h - a minimal stand-in for the swap layer, for zswap's tests:
 * per-slot claims (the swap cache's HAS_CACHE: whoever holds a slot's
 * claim owns it), a "disk" of pages, and the writeback hooks zswap calls.
 * Where each slot's authoritative copy lives is tracked under its claim.
 */
#ifndef TOYSWAP_H
#define TOYSWAP_H

#include <errno.h>
#include <sched.h>

#include "helpers.h"
#include "zswap/zswap.h"

enum { AT_NONE, AT_ZSWAP, AT_DISK, AT_MEM };

struct toy {
	struct zswap *z;
	unsigned n;
	_Atomic int *claim;         /* 0 free, 1 claimed */
	unsigned char *disk, *mem; /* n pages each */
	int *where;                 /* claim: AT_* */
	uint64_t *ver;              /* claim: version of the slot's content */
	_Atomic long written, write_fail_next;
};

static inline unsigned char *toy_page(unsigned char *base, unsigned s) { return base + (size_t)s * 4096; }

static inline int toy_claim(void *arg, swp_entry_t e)
{
	struct toy *t = arg;
	unsigned s = (unsigned)swp_offset(e);
	int zero = 0;
	if (s >= t->n)
		return -ENOENT;
	if (!atomic_compare_exchange_strong(&t->claim[s], &zero, 1))
		return -EEXIST;
	return 0;
}

static inline int toy_write_one(struct toy *t, swp_entry_t e, const void *page)
{
	unsigned s = (unsigned)swp_offset(e);
	long one = 1;
	if (atomic_load(&t->write_fail_next) && atomic_compare_exchange_strong(&t->write_fail_next, &one, 0))
		return -EIO;
	memcpy(toy_page(t->disk, s), page, 4096);
	t->where[s] = AT_DISK;
	atomic_fetch_add(&t->written, 1);
	return 0;
}

static inline void toy_write(void *arg, const swp_entry_t *e, void *const *pages, const struct zswap_obj *objs, int n, int *res)
{
	for (int i = 0; i < n; i++)
		res[i] = toy_write_one(arg, e[i], pages[i]);
}

static inline void toy_release(void *arg, swp_entry_t e, bool written)
{
	struct toy *t = arg;
	atomic_store_explicit(&t->claim[swp_offset(e)], 0, memory_order_release);
}

static inline void toy_lock(struct toy *t, unsigned s)
{
	int zero;
	while (zero = 0, !atomic_compare_exchange_weak(&t->claim[s], &zero, 1))
		sched_yield();
}

static inline void toy_unlock(struct toy *t, unsigned s)
{
	atomic_store_explicit(&t->claim[s], 0, memory_order_release);
}

static inline void toy_init(struct toy *t, struct zswap *z, unsigned n)
{
	memset(t, 0, sizeof(*t));
	t->z = z;
	t->n = n;
	t->claim = calloc(n, sizeof(*t->claim));
	t->disk = calloc(n, 4096);
	t->mem = calloc(n, 4096);
	t->where = calloc(n, sizeof(int));
	t->ver = calloc(n, sizeof(uint64_t));
	struct zswap_wb_ops ops = {toy_claim, toy_write, toy_release, t};
	zswap_set_writeback_ops(z, &ops);
	T_ASSERT(zswap_swapon(z, 0) == 0);
}

static inline void toy_free(struct toy *t)
{
	free((void *)t->claim);
	free(t->disk);
	free(t->mem);
	free(t->where);
	free(t->ver);
}

/* The content of version v of slot s: compressible, distinct per (s, v);
 * every 16th version is same-filled. */
static inline void toy_content(unsigned char *page, unsigned s, uint64_t v)
{
	if (v % 16 == 5) {
		uint64_t *w = (uint64_t *)page;
		for (int i = 0; i < 512; i++)
			w[i] = (uint64_t)s << 32 | v;
		return;
	}
	t_fill_page(page, 1 + (int)(v % 2), (uint64_t)s * 1000003 + v);
	memcpy(page, &v, 8);
	memcpy(page + 8, &s, 4);
}

#endif
