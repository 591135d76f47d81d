/*
 * zstd.c - Zstandard backend, via libzstd. Level default 1 (as the kernel
 * and the raw reference use), negative levels allowed for speed.
 * Compression and decompression contexts are created through libzstd's
 * custom allocator hook so they go through base_malloc (fault injection).
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCCtx_advanced: custom allocator */
#include <errno.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "codec/codec.h"

static void *zstd_alloc(void *opaque, size_t size) { return base_malloc(size); }
static void zstd_free_fn(void *opaque, void *p) { base_free(p); }
static const ZSTD_customMem zstd_mem = {zstd_alloc, zstd_free_fn, NULL};

static int zstd_init(struct codec_ctx *c, int level)
{
	c->state = ZSTD_createCCtx_advanced(zstd_mem);
	c->dstate = ZSTD_createDCtx_advanced(zstd_mem);
	if (!c->state || !c->dstate)
		return -ENOMEM;
	return 0;
}

static void zstd_ctx_free(struct codec_ctx *c)
{
	ZSTD_freeCCtx(c->state);
	ZSTD_freeDCtx(c->dstate);
	c->state = c->dstate = NULL;
}

static int zstd_compress(struct codec_ctx *c, const void *src, void *dst, size_t cap)
{
	size_t n = ZSTD_compressCCtx(c->state, dst, cap, src, PAGE_SIZE, c->level);

	if (ZSTD_isError(n))
		return ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall ? -E2BIG : -EIO;
	return (int)n;
}

static int zstd_decompress(struct codec_ctx *c, const void *src, size_t len, void *dst)
{
	size_t n = ZSTD_decompressDCtx(c->dstate, dst, PAGE_SIZE, src, len);
	return !ZSTD_isError(n) && n == PAGE_SIZE ? 0 : -EINVAL;
}

const struct codec_ops codec_zstd = {
	.name = "zstd",
	.min_level = -131072, /* ZSTD_minCLevel() of libzstd 1.5 */
	.max_level = 22,
	.default_level = 1,
	.has_levels = true,
	.decompress_needs_ctx = true,
	.ctx_init = zstd_init,
	.ctx_free = zstd_ctx_free,
	.compress = zstd_compress,
	.decompress = zstd_decompress,
};
