/*
 * mkseeds - write a seed corpus for the decompress fuzzer: valid
 * compressed pages of every test flavour (prefixed with the "decompress"
 * selector byte 0) and a few page seeds (selector 1).
 * usage: mkseeds CODEC DIR
 */
#include <stdio.h>

#include "codec/codec.h"
#include "helpers.h"

int main(int argc, char **argv)
{
	static unsigned char page[PAGE_SIZE], out[CODEC_MAX_OUT + 1];
	struct codec_pool *p;
	char err[256], path[512];

	if (argc != 3 || codec_pool_create(argv[1], &p, err, sizeof(err))) {
		fprintf(stderr, "usage: mkseeds CODEC DIR\n");
		return 2;
	}
	for (int f = 0; f < 5; f++)
		for (uint64_t s = 1; s <= 3; s++) {
			t_fill_page(page, f, s);
			int n = codec_compress(p, page, out + 1, CODEC_MAX_OUT);
			out[0] = 0;
			snprintf(path, sizeof(path), "%s/seed-%d-%d", argv[2], f, (int)s);
			FILE *fp = fopen(path, "wb");
			if (!fp || n <= 0)
				return 1;
			fwrite(out, 1, (size_t)n + 1, fp);
			fclose(fp);
		}
	snprintf(path, sizeof(path), "%s/seed-page", argv[2]);
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return 1;
	fwrite("\001the swap cache is the rendezvous", 1, 33, fp);
	fclose(fp);
	codec_pool_destroy(p);
	return 0;
}
