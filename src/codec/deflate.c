/*
 * deflate.c - raw DEFLATE backend, via libdeflate (the kernel's zswap can
 * use "deflate" too, which makes it a codec-for-codec comparison point).
 * Level 0..12, default 6. libdeflate's allocator is set once, process-wide,
 * to base_malloc so fault injection reaches it.
 */
#include <errno.h>
#include <libdeflate.h>
#include <pthread.h>

#include "codec/codec.h"

static pthread_once_t allocator_once = PTHREAD_ONCE_INIT;

static void set_allocator(void) { libdeflate_set_memory_allocator(base_malloc, base_free); }

static int deflate_init(struct codec_ctx *c, int level)
{
	pthread_once(&allocator_once, set_allocator);
	c->state = libdeflate_alloc_compressor(level);
	c->dstate = libdeflate_alloc_decompressor();
	if (!c->state || !c->dstate)
		return -ENOMEM;
	return 0;
}

static void deflate_free(struct codec_ctx *c)
{
	if (c->state)
		libdeflate_free_compressor(c->state);
	if (c->dstate)
		libdeflate_free_decompressor(c->dstate);
	c->state = c->dstate = NULL;
}

static int deflate_compress(struct codec_ctx *c, const void *src, void *dst, size_t cap)
{
	size_t n = libdeflate_deflate_compress(c->state, src, PAGE_SIZE, dst, cap);
	return n ? (int)n : -E2BIG;
}

static int deflate_decompress(struct codec_ctx *c, const void *src, size_t len, void *dst)
{
	/* A NULL actual-size pointer makes libdeflate demand exactly PAGE_SIZE. */
	enum libdeflate_result r = libdeflate_deflate_decompress(c->dstate, src, len, dst, PAGE_SIZE, NULL);
	return r == LIBDEFLATE_SUCCESS ? 0 : -EINVAL;
}

const struct codec_ops codec_deflate = {
	.name = "deflate",
	.min_level = 0,
	.max_level = 12,
	.default_level = 6,
	.has_levels = true,
	.decompress_needs_ctx = true,
	.ctx_init = deflate_init,
	.ctx_free = deflate_free,
	.compress = deflate_compress,
	.decompress = deflate_decompress,
};
