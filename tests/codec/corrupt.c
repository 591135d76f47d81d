/*
 * Description: decompressing corrupt input is an error, never a crash,
 * an overrun or a short page: truncated streams, every single-bit flip of
 * the first bytes, random garbage and empty input, for every backend. Under
 * ASan any out-of-bounds access fails the test. A decode that succeeds
 * must still have produced exactly one page (the backend bound it).
 */
#include "codec/codec.h"
#include "helpers.h"

int main(void)
{
	static unsigned char page[PAGE_SIZE], out[CODEC_MAX_OUT], bad[CODEC_MAX_OUT], back[PAGE_SIZE];
	const char *specs[] = {"lz4", "lz4hc", "zstd", "deflate", "lzo"};
	char err[256];
	uint64_t s = 99;

	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		struct codec_pool *p;
		long errors = 0, accepted = 0;
		T_ASSERT_EQ(codec_pool_create(specs[i], &p, err, sizeof(err)), 0);
		for (int f = 1; f < 3; f++) {
			t_fill_page(page, f, 5);
			int n = codec_compress(p, page, out, sizeof(out));
			T_ASSERT(n > 8);
			/* Truncations: a copy of exactly len bytes, so ASan sees overreads. */
			for (int len = 0; len < n; len += 1 + len / 8) {
				unsigned char *t = malloc((size_t)len + 1);
				memcpy(t, out, (size_t)len);
				errors += codec_decompress(p, t, (size_t)len, back) != 0;
				free(t);
			}
			/* Bit flips in the first 64 bytes. */
			for (int bit = 0; bit < 64 * 8 && bit < n * 8; bit++) {
				memcpy(bad, out, (size_t)n);
				bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
				int r = codec_decompress(p, bad, (size_t)n, back);
				errors += r != 0;
				accepted += r == 0;
			}
		}
		/* Garbage. */
		for (int k = 0; k < 2000; k++) {
			size_t len = t_rand(&s) % 600;
			for (size_t j = 0; j < len; j++)
				bad[j] = (unsigned char)t_rand(&s);
			errors += codec_decompress(p, bad, len, back) != 0;
		}
		T_ASSERT(codec_decompress(p, bad, 0, back) != 0);
		printf("%s: %ld corrupt inputs refused, %ld bit flips decoded to a full page\n", specs[i], errors,
		       accepted);
		T_ASSERT(errors > 2000);
		codec_pool_destroy(p);
	}
	return T_EXIT_PASS;
}
