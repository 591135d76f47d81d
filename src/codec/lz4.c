/*
 * lz4.c - LZ4 (default compressor) and LZ4HC backends, via liblz4.
 *
 * lz4 keeps one LZ4_stream_t per context for LZ4_compress_fast_extState(),
 * the call LZ4_compress_default() makes with a stack state. (Measured:
 * LZ4_resetStream_fast() + LZ4_compress_fast_continue(), which skips the
 * table reset, ran at 0.70 of the raw call on the mixed corpus; the
 * stale-table checks cost more than the 16 KiB clear saves.) Level = LZ4's
 * "acceleration" (1 = default; higher is faster and compresses less).
 * lz4hc keeps an LZ4_streamHC_t; level 1..12, default 9.
 * Decompression needs no state: no context is taken.
 */
#include <errno.h>
#include <lz4.h>
#include <lz4hc.h>

#include "codec/codec.h"

static int lz4_init(struct codec_ctx *c, int level)
{
	c->state = base_aligned_alloc(64, sizeof(LZ4_stream_t));
	if (!c->state || !LZ4_initStream(c->state, sizeof(LZ4_stream_t)))
		return -ENOMEM;
	return 0;
}

static void lz4_free(struct codec_ctx *c)
{
	base_free(c->state);
	c->state = NULL;
}

static int lz4_compress(struct codec_ctx *c, const void *src, void *dst, size_t cap)
{
	int n = LZ4_compress_fast_extState(c->state, src, dst, (int)PAGE_SIZE, (int)cap, c->level);
	return n > 0 ? n : -E2BIG;
}

static int lz4_decompress(struct codec_ctx *c, const void *src, size_t len, void *dst)
{
	int n = LZ4_decompress_safe(src, dst, (int)len, (int)PAGE_SIZE);
	return n == (int)PAGE_SIZE ? 0 : -EINVAL;
}

static int lz4hc_init(struct codec_ctx *c, int level)
{
	c->state = base_aligned_alloc(64, sizeof(LZ4_streamHC_t));
	if (!c->state || !LZ4_initStreamHC(c->state, sizeof(LZ4_streamHC_t)))
		return -ENOMEM;
	return 0;
}

static int lz4hc_compress(struct codec_ctx *c, const void *src, void *dst, size_t cap)
{
	int n = LZ4_compress_HC_extStateHC(c->state, src, dst, (int)PAGE_SIZE, (int)cap, c->level);
	return n > 0 ? n : -E2BIG;
}

const struct codec_ops codec_lz4 = {
	.name = "lz4",
	.min_level = 1,
	.max_level = 65537, /* LZ4's own acceleration cap */
	.default_level = 1,
	.has_levels = true,
	.ctx_init = lz4_init,
	.ctx_free = lz4_free,
	.compress = lz4_compress,
	.decompress = lz4_decompress,
};

const struct codec_ops codec_lz4hc = {
	.name = "lz4hc",
	.min_level = 1,
	.max_level = LZ4HC_CLEVEL_MAX,
	.default_level = LZ4HC_CLEVEL_DEFAULT,
	.has_levels = true,
	.ctx_init = lz4hc_init,
	.ctx_free = lz4_free,
	.compress = lz4hc_compress,
	.decompress = lz4_decompress,
};
