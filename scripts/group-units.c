/*
 * group-units.c - the measurement behind recompression's unit size
 * (issue: "several cold neighbours together in one larger unit ... measure
 * the trade and pick the default from the numbers"): consecutive pages of
 * real program memory compressed with zstd in units of 1 to 16 pages; the
 * memory saved, and what one swap-in then costs (decompressing its unit).
 *
 *   cc -O2 -o /tmp/group-units scripts/group-units.c -lzstd
 *   /tmp/group-units /var/tmp/uswap-corpus/heap.corpus 3
 *
 * heap.corpus (bench/heap.c) holds the resident pages of python3, sqlite3
 * and sort in address order, so neighbours are real neighbours. A unit
 * that does not compress counts at its own size, as the pool keeps it.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const size_t units[] = {1, 2, 4, 8, 16};
	FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
	int level = argc > 2 ? atoi(argv[2]) : 3;

	if (!f) {
		fprintf(stderr, "usage: group-units CORPUS_FILE [ZSTD_LEVEL]\n");
		return 2;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *buf = malloc((size_t)n), *out = malloc(ZSTD_compressBound(65536)), *back = malloc(65536);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_DCtx *d = ZSTD_createDCtx();
	if (!buf || !out || !back || !c || !d || fread(buf, 1, (size_t)n, f) != (size_t)n)
		return 2;
	fclose(f);
	size_t pages = (size_t)n / 4096;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t k = units[u], bytes = 0, groups = 0;
		double tc = 0, td = 0;
		for (size_t p = 0; p + k <= pages; p += k, groups++) {
			double t0 = now();
			size_t r = ZSTD_compressCCtx(c, out, ZSTD_compressBound(65536), buf + p * 4096, k * 4096, level);
			double t1 = now();
			size_t s = ZSTD_decompressDCtx(d, back, 65536, out, r);
			double t2 = now();
			if (ZSTD_isError(r) || s != k * 4096 || memcmp(back, buf + p * 4096, s)) {
				fprintf(stderr, "unit at page %zu does not round-trip\n", p);
				return 1;
			}
			bytes += r < k * 4096 ? r : k * 4096;
			tc += t1 - t0;
			td += t2 - t1;
		}
		printf("unit %2zu pages (%2zu KiB): saving %.3f, compress %.2f us a page, a swap-in decompresses its unit: "
		       "%.2f us\n", k, k * 4, (double)(groups * k * 4096) / (double)bytes,
		       tc / (double)(groups * k) * 1e6, td / (double)groups * 1e6);
	}
	return 0;
}
