/*
 * Description: creating a codec pool fails cleanly at every allocation.
 * For each backend, fail the 1st, 2nd, ... allocation of pool creation
 * until creation succeeds without the failure firing: each failed attempt
 * must return -ENOMEM and leave nothing allocated (LeakSanitizer, in the
 * ASan run, fails the test on any leak), each success must work.
 */
#include <errno.h>

#include "codec/codec.h"
#include "helpers.h"

int main(void)
{
	static unsigned char page[PAGE_SIZE], out[CODEC_MAX_OUT], back[PAGE_SIZE];
	const char *specs[] = {"lz4", "lz4hc", "zstd", "deflate", "lzo"};
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		long n;
		for (n = 1;; n++) {
			struct codec_pool *p = NULL;
			base_alloc_fail_nth(n);
			int ret = codec_pool_create(specs[i], &p, err, sizeof(err));
			bool fired = base_alloc_failed();
			base_alloc_fail_nth(0);
			if (fired) {
				T_ASSERT_EQ(ret, -ENOMEM);
				T_ASSERT(p == NULL);
				continue;
			}
			T_ASSERT_EQ(ret, 0);
			t_fill_page(page, 1, (uint64_t)n);
			int len = codec_compress(p, page, out, sizeof(out));
			T_ASSERT(len > 0);
			T_ASSERT_EQ(codec_decompress(p, out, (size_t)len, back), 0);
			T_ASSERT(!memcmp(page, back, PAGE_SIZE));
			codec_pool_destroy(p);
			break;
		}
		printf("%s: creation has %ld allocations; each failure cleaned up\n", specs[i], n - 1);
		T_ASSERT(n > (long)pcpu_nr_possible()); /* at least one per CPU context */
	}
	return T_EXIT_PASS;
}
