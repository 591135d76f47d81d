/*
 * Description: every backend at several levels round-trips every page
 * flavour exactly; compressible pages shrink; a page that does not fit the
 * caller's cap is -E2BIG (not truncated); compressor specs parse like the
 * kernel's ("zstd:3") and bad ones are refused with a message.
 */
#include <errno.h>

#include "codec/codec.h"
#include "helpers.h"

static const char *specs[] = {"lz4", "lz4:8", "lz4hc", "lz4hc:1", "lz4hc:12", "zstd", "zstd:-5", "zstd:3",
			      "zstd:19", "deflate", "deflate:1", "deflate:12", "lzo"};

static void roundtrip(struct codec_pool *p)
{
	static unsigned char page[PAGE_SIZE], out[CODEC_MAX_OUT], back[PAGE_SIZE];

	for (int f = 0; f < 5; f++)
		for (uint64_t seed = 1; seed <= 4; seed++) {
			t_fill_page(page, f, seed);
			int n = codec_compress(p, page, out, sizeof(out));
			T_ASSERT(n > 0 && n <= (int)CODEC_MAX_OUT);
			if (f != 3)
				T_ASSERT(n < (int)PAGE_SIZE); /* all but random shrink */
			if (f == 0 || f == 4)
				T_ASSERT(n < 256); /* zero and same-filled collapse */
			if (f == 1)
				T_ASSERT(n < (int)PAGE_SIZE / 2); /* text of ten words */
			memset(back, 0xAA, sizeof(back));
			T_ASSERT_EQ(codec_decompress(p, out, (size_t)n, back), 0);
			T_ASSERT(!memcmp(page, back, PAGE_SIZE));
			if (f == 3) { /* random: does not fit in a page-sized cap */
				T_ASSERT_EQ(codec_compress(p, page, out, PAGE_SIZE - 1), -E2BIG);
			}
		}
}

static void bad_spec(const char *spec)
{
	struct codec_pool *p = NULL;
	char err[256] = "";

	T_ASSERT_EQ(codec_pool_create(spec, &p, err, sizeof(err)), -EINVAL);
	T_ASSERT(p == NULL);
	T_ASSERT(strlen(err) > 10);
	printf("rejected '%s': %s\n", spec, err);
}

int main(void)
{
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		struct codec_pool *p;
		T_ASSERT_EQ(codec_pool_create(specs[i], &p, err, sizeof(err)), 0);
		T_ASSERT(p->nr_ctx == pcpu_nr_possible());
		roundtrip(p);
		printf("%-10s -> %s ok\n", specs[i], p->name);
		codec_pool_destroy(p);
	}
	const char *bad[] = {"", "lz5", "zstd:", "zstd:99", "zstd:3x", "lz4hc:13", "lzo:1", "deflate:-1",
			     "averyveryverylongcompressornamethatoverflows"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		bad_spec(bad[i]);

	const struct codec_ops *ops;
	int level;
	T_ASSERT_EQ(codec_parse("zstd", &ops, &level, err, sizeof(err)), 0);
	T_ASSERT(ops == &codec_zstd && level == 1);
	T_ASSERT_EQ(codec_parse("lz4", &ops, &level, err, sizeof(err)), 0);
	T_ASSERT(ops == &codec_lz4 && level == 1);
	int n = 0;
	for (const char *const *name = codec_names(); *name; name++, n++)
		T_ASSERT(codec_find(*name));
	T_ASSERT_EQ(n, 5);
	return T_EXIT_PASS;
}
