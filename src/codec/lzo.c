/*
 * lzo.c - LZO1X-1 backend, via liblzo2 (the kernel's classic default; its
 * "lzo-rle" variant is kernel-only). lzo1x_1_compress does not bound its
 * output, so it writes into the context's scratch buffer, sized for the
 * worst case, and the result is copied out only if it fits cap.
 * Decompression uses the bounds-checking lzo1x_decompress_safe.
 */
#include <errno.h>
#include <lzo/lzo1x.h>
#include <pthread.h>
#include <string.h>

#include "codec/codec.h"

#define LZO_WORST (PAGE_SIZE + PAGE_SIZE / 16 + 64 + 3)

static pthread_once_t lzo_once = PTHREAD_ONCE_INIT;
static int lzo_init_result;

static void lzo_global_init(void) { lzo_init_result = lzo_init(); }

static int lzo_ctx_init(struct codec_ctx *c, int level)
{
	pthread_once(&lzo_once, lzo_global_init);
	if (lzo_init_result != LZO_E_OK)
		return -EIO;
	c->state = base_aligned_alloc(64, LZO1X_1_MEM_COMPRESS);
	c->scratch = base_aligned_alloc(64, LZO_WORST);
	if (!c->state || !c->scratch)
		return -ENOMEM;
	return 0;
}

static void lzo_ctx_free(struct codec_ctx *c)
{
	base_free(c->state);
	base_free(c->scratch);
	c->state = c->scratch = NULL;
}

static int lzo_compress(struct codec_ctx *c, const void *src, void *dst, size_t cap)
{
	lzo_uint n = 0;

	if (lzo1x_1_compress(src, PAGE_SIZE, c->scratch, &n, c->state) != LZO_E_OK)
		return -EIO;
	if (n > cap)
		return -E2BIG;
	memcpy(dst, c->scratch, n);
	return (int)n;
}

static int lzo_decompress(struct codec_ctx *c, const void *src, size_t len, void *dst)
{
	lzo_uint n = PAGE_SIZE;
	int r = lzo1x_decompress_safe(src, len, dst, &n, NULL);
	return r == LZO_E_OK && n == PAGE_SIZE ? 0 : -EINVAL;
}

const struct codec_ops codec_lzo = {
	.name = "lzo",
	.has_levels = false,
	.ctx_init = lzo_ctx_init,
	.ctx_free = lzo_ctx_free,
	.compress = lzo_compress,
	.decompress = lzo_decompress,
};
