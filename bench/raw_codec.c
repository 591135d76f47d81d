/*
 * raw_codec.c - the reference every codec benchmark compares against: the
 * compression library's own call on one page, with one long-lived state
 * (as the kernel anchor's harness calls them), no uswap code in between.
 */
#include <libdeflate.h>
#include <lz4.h>
#include <lz4hc.h>
#include <lzo/lzo1x.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "bench.h"

#define PG 4096

int raw_codec_init(struct raw_codec *r, const char *name, int level)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->level = level;
	if (!strcmp(name, "zstd") && !(r->zc = ZSTD_createCCtx(), r->zd = ZSTD_createDCtx(), r->zc && r->zd))
		return -1;
	if (!strcmp(name, "deflate") &&
	    !(r->dc = libdeflate_alloc_compressor(level), r->dd = libdeflate_alloc_decompressor(), r->dc && r->dd))
		return -1;
	if (!strcmp(name, "lzo") && (lzo_init() != LZO_E_OK || !(r->lzo = malloc(LZO1X_1_MEM_COMPRESS))))
		return -1;
	return 0;
}

void raw_codec_free(struct raw_codec *r)
{
	ZSTD_freeCCtx(r->zc);
	ZSTD_freeDCtx(r->zd);
	if (r->dc)
		libdeflate_free_compressor(r->dc);
	if (r->dd)
		libdeflate_free_decompressor(r->dd);
	free(r->lzo);
}

/* Compress one page into dst (cap bytes, at least the worst case for lzo). */
int raw_codec_compress(struct raw_codec *r, const void *src, void *dst, size_t cap)
{
	if (!strcmp(r->name, "lz4"))
		return LZ4_compress_fast(src, dst, PG, (int)cap, r->level);
	if (!strcmp(r->name, "lz4hc"))
		return LZ4_compress_HC(src, dst, PG, (int)cap, r->level);
	if (!strcmp(r->name, "zstd")) {
		size_t n = ZSTD_compressCCtx(r->zc, dst, cap, src, PG, r->level);
		return ZSTD_isError(n) ? -1 : (int)n;
	}
	if (!strcmp(r->name, "deflate"))
		return (int)libdeflate_deflate_compress(r->dc, src, PG, dst, cap);
	lzo_uint n = 0;
	lzo1x_1_compress(src, PG, dst, &n, r->lzo);
	return (int)n;
}

/* Decompress len bytes into one page; 0 when it gave exactly one page. */
int raw_codec_decompress(struct raw_codec *r, const void *src, size_t len, void *dst)
{
	if (!strcmp(r->name, "lz4") || !strcmp(r->name, "lz4hc"))
		return LZ4_decompress_safe(src, dst, (int)len, PG) == PG ? 0 : -1;
	if (!strcmp(r->name, "zstd"))
		return ZSTD_decompressDCtx(r->zd, dst, PG, src, len) == PG ? 0 : -1;
	if (!strcmp(r->name, "deflate"))
		return libdeflate_deflate_decompress(r->dd, src, len, dst, PG, NULL) ? -1 : 0;
	lzo_uint n = PG;
	return lzo1x_decompress_safe(src, len, dst, &n, NULL) == LZO_E_OK && n == PG ? 0 : -1;
}
