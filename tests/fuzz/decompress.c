/*
 * Description: libFuzzer harness for the decompress path of one backend
 * (FUZZ_CODEC, set at build time by scripts/fuzz.sh).
 *
 * Input byte 0 picks the property:
 *   even: the rest is a compressed stream from an attacker (corrupt swap
 *         data): codec_decompress must return 0 or -EINVAL and never read
 *         or write out of bounds (ASan) or hit undefined behaviour (UBSan);
 *   odd:  the rest seeds a page (repeated to 4 KiB): compressing and then
 *         decompressing it must give the page back exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

#ifndef FUZZ_CODEC
#define FUZZ_CODEC "lz4"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct codec_pool *pool;

static void roundtrip(const uint8_t *data, size_t size)
{
	static unsigned char page[PAGE_SIZE], out[CODEC_MAX_OUT], back[PAGE_SIZE];

	for (size_t i = 0; i < PAGE_SIZE; i++)
		page[i] = size ? data[i % size] : 0;
	int n = codec_compress(pool, page, out, sizeof(out));
	if (n <= 0 || codec_decompress(pool, out, (size_t)n, back) || memcmp(page, back, PAGE_SIZE))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char dst[PAGE_SIZE];
	char err[256];

	if (!pool && codec_pool_create(FUZZ_CODEC, &pool, err, sizeof(err)))
		abort();
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		roundtrip(data + 1, size - 1);
		return 0;
	}
	int r = codec_decompress(pool, data + 1, size - 1, dst);
	if (r != 0 && r != -22 /* EINVAL */)
		abort();
	return 0;
}
