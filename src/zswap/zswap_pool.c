/*
 * zswap_pool.c - zswap pools: a compressor with its per-CPU contexts and
 * a zsmalloc pool, refcounted.
 *
 * The current pool takes new stores. Each entry holds a reference to the
 * pool it was stored in, and the pool list holds one for the current pool.
 * Changing the compressor makes a new current pool and drops the list's
 * reference to the old one, which dies when its last entry is freed (as
 * the kernel's percpu_ref does it). A reference is only ever taken from the
 * current pool under pools_lock, so a count that reached zero stays there.
 *
 * Lock order: pools_lock -> zsmalloc and codec locks.
 */
#include <errno.h>
#include <stdio.h>

#include "zswap/zswap_internal.h"

/* Build a pool for spec. 0, -EINVAL (bad spec, message in err), -ENOMEM. */
int zswap_pool_create(struct zswap *z, const char *spec, struct zswap_pool **out, char *err, size_t errlen)
{
	struct zswap_pool *p = base_calloc(1, sizeof(*p));
	struct zs_config zc = z->cfg.zs;
	int ret;

	if (!p)
		return -ENOMEM;
	zc.max_bytes = 0;
	ret = codec_pool_create(spec, &p->codec, err, errlen);
	if (!ret && (ret = zs_create_pool(spec, &zc, &p->zs)))
		snprintf(err, errlen, "zswap: out of memory for a zsmalloc pool");
	if (ret) {
		codec_pool_destroy(p->codec);
		base_free(p);
		return ret;
	}
	p->huge_size = zs_huge_class_size(p->zs);
	atomic_store_relaxed(&p->ref, 1);
	*out = p;
	return 0;
}

static void pool_destroy(struct zswap_pool *p)
{
	zs_destroy_pool(p->zs);
	codec_pool_destroy(p->codec);
	base_free(p);
}

/* The current pool, with a reference for the caller. */
struct zswap_pool *zswap_pool_current_get(struct zswap *z)
{
	read_lock(&z->pools_lock);
	struct zswap_pool *p = z->current;
	atomic_add_relaxed(&p->ref, 1);
	read_unlock(&z->pools_lock);
	return p;
}

/* Drop a reference; the last one takes the pool off the list and frees it. */
void zswap_pool_put(struct zswap *z, struct zswap_pool *p) { zswap_pool_put_many(z, p, 1); }

/* Drop n references to p; the last one frees it. */
void zswap_pool_put_many(struct zswap *z, struct zswap_pool *p, unsigned n)
{
	if (atomic_sub_acq_rel(&p->ref, (long)n) != (long)n)
		return;
	write_lock(&z->pools_lock);
	for (unsigned i = 0; i < z->nr_pools; i++)
		if (z->pools[i] == p) {
			z->pools[i] = z->pools[--z->nr_pools];
			break;
		}
	write_unlock(&z->pools_lock);
	pool_destroy(p);
}

/*
 * Make spec the compressor of new stores. Stored entries keep their pool.
 * Returns 0; -EINVAL (bad spec); -EBUSY (too many old pools still hold
 * entries); -ENOMEM.
 */
int zswap_set_compressor(struct zswap *z, const char *spec, char *err, size_t errlen)
{
	struct zswap_pool *p, *old;
	int ret;

	zswap_reap(z); /* entries already gone still hold their pools */
	ret = zswap_pool_create(z, spec, &p, err, errlen);
	if (ret)
		return ret;
	write_lock(&z->pools_lock);
	if (z->nr_pools == ZSWAP_MAX_POOLS) {
		write_unlock(&z->pools_lock);
		pool_destroy(p);
		snprintf(err, errlen, "zswap: %d old pools still hold entries; try again later", ZSWAP_MAX_POOLS - 1);
		return -EBUSY;
	}
	old = z->current;
	z->pools[z->nr_pools++] = p;
	z->current = p;
	write_unlock(&z->pools_lock);
	if (old)
		zswap_pool_put(z, old); /* the list's reference */
	return 0;
}

/* Bytes of pool memory of every pool (the kernel's pool_total_size). */
uint64_t zswap_pool_bytes(struct zswap *z)
{
	uint64_t pages = 0;

	read_lock(&z->pools_lock);
	for (unsigned i = 0; i < z->nr_pools; i++)
		pages += zs_get_total_pages(z->pools[i]->zs);
	read_unlock(&z->pools_lock);
	return pages * PAGE_SIZE;
}

/* Decompress the object handle of length bytes into page, copied out to
 * local first if it spans two pages. 0 or -EIO. */
static int read_via(struct zswap_pool *p, unsigned long handle, uint16_t length, void *page, void *local)
{
	const void *src = zs_read_begin(p->zs, handle, local, length);
	int ret = codec_decompress(p->codec, src, length, page);
	zs_read_end(p->zs, handle);
	return ret ? -EIO : 0;
}

/* read_via for a thread without scratch memory (mapping it failed): a
 * load must not fail for want of a page, so the copy goes on the stack. */
static __attribute__((noinline)) int read_via_stack(struct zswap_pool *p, unsigned long handle, uint16_t length,
						    void *page)
{
	unsigned char local[PAGE_SIZE];

	return read_via(p, handle, length, page, local);
}

/* Decompress (or copy, when raw) the object handle of length bytes into
 * page. 0 or -EIO. */
int zswap_pool_read(struct zswap_pool *p, unsigned long handle, uint16_t length, bool raw, void *page)
{
	if (raw) {
		zs_read(p->zs, handle, page, PAGE_SIZE);
		return 0;
	}
	void *local = scratch_get(SCRATCH_POOL_READ);
	return likely(local) ? read_via(p, handle, length, page, local) : read_via_stack(p, handle, length, page);
}

/* Decompress (or fill, or copy) e into page. 0 or -EIO. */
int zswap_pool_decompress(struct zswap_pool *p, const struct zswap_entry *e, void *page)
{
	if (e->length == 0) {
		codec_fill_page(page, e->value);
		return 0;
	}
	return zswap_pool_read(p, zswap_entry_handle(e), e->length, e->raw, page);
}

/* zswap_pool_decompress, and e's compressed bytes into buf (PAGE_SIZE)
 * as *obj for writeback to hand on (none for a raw or same-filled page).
 * 0 or -EIO. */
int zswap_pool_copy_out(struct zswap_pool *p, const struct zswap_entry *e, void *page, void *buf,
			struct zswap_obj *obj)
{
	*obj = (struct zswap_obj){0};
	if (e->length == 0 || e->raw)
		return zswap_pool_decompress(p, e, page);
	zs_read(p->zs, zswap_entry_handle(e), buf, e->length);
	if (codec_decompress(p->codec, buf, e->length, page))
		return -EIO;
	*obj = (struct zswap_obj){.data = buf, .len = e->length, .codec = p->codec->ops->name};
	return 0;
}

/* Compact every pool: frees fragmented and empty zspages (zsmalloc keeps
 * some empty ones for reuse and frees others in batches; against a small
 * limit those matter). Returns the pages freed. */
uint64_t zswap_compact(struct zswap *z)
{
	uint64_t freed = 0;

	zswap_reap(z); /* the objects of entries already gone, first */
	read_lock(&z->pools_lock);
	for (unsigned i = 0; i < z->nr_pools; i++)
		freed += zs_compact(z->pools[i]->zs);
	read_unlock(&z->pools_lock);
	return freed;
}

/* Free every pool's queued empty zspages, so pool_total_size is current.
 * Returns the pages freed. */
uint64_t zswap_flush(struct zswap *z)
{
	uint64_t freed = 0;

	zswap_reap(z); /* entries waiting to free their objects first */
	read_lock(&z->pools_lock);
	for (unsigned i = 0; i < z->nr_pools; i++)
		freed += zs_flush(z->pools[i]->zs);
	read_unlock(&z->pools_lock);
	return freed;
}
