/*
 * demo.c - `uswap demo`: a workload four times larger than its memory
 * budget, through the public API only: write a region of text-like pages,
 * read random pages back and check them, check every page in order, and
 * print the statistics. What the README's first command runs.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "options.h"
#include "uswap.h"

static const char *const words[] = {"swap", "page", "fault", "zswap", "pool", "the", "of", "a", "memory",
				    "budget", "compressed", "entry", "cache", "kernel", "user", "space"};

static uint64_t mix(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Page i's content: words chosen by a hash of i (compresses about 3x). */
static void page_fill(unsigned char *p, uint64_t i)
{
	size_t off = 0;

	for (uint64_t k = 0; off < 4096; k++) {
		const char *w = words[mix(i * 977 + k) % 16];
		for (size_t j = 0; w[j] && off < 4096; j++)
			p[off++] = (unsigned char)w[j];
		if (off < 4096)
			p[off++] = ' ';
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int check(const unsigned char *p, uint64_t i)
{
	unsigned char want[4096];

	page_fill(want, i);
	if (!memcmp(p, want, 4096))
		return 0;
	fprintf(stderr, "uswap demo: page %llu reads wrong\n", (unsigned long long)i);
	return 1;
}

int demo_main(int argc, char **argv)
{
	static const struct option longopts[] = {{"size", 1, 0, 's'}, {"limit", 1, 0, 'l'}, {"options", 1, 0, 'o'},
						 {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	const char *size_s = "256M", *limit_s = "64M", *extra = "";
	int json = 0, c;

	while ((c = getopt_long(argc, argv, "s:l:o:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': size_s = optarg; break;
		case 'l': limit_s = optarg; break;
		case 'o': extra = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: uswap demo [--size 256M] [--limit 64M] [-o key=value,...] [--json]\n\n"
			       "Writes --size of text-like pages into a uswap region kept under --limit,\n"
			       "reads random pages back, checks every page, prints the statistics.\n");
			return 0;
		default: return 2;
		}
	}
	uint64_t size;
	if (opt_parse_size(size_s, &size) || size < 4096) {
		fprintf(stderr, "uswap demo: --size '%s': a size such as 256M\n", size_s);
		return 2;
	}
	char opts[512];
	snprintf(opts, sizeof(opts), "limit=%s%s%s", limit_s, *extra ? "," : "", extra);
	uswap_t *u = uswap_open(opts);
	if (!u) {
		fprintf(stderr, "uswap demo: %s\n", uswap_strerror());
		return 1;
	}
	uint64_t n = size / 4096, bad = 0, seed = 12345;
	unsigned char *m = uswap_alloc(u, size);
	if (!m) {
		fprintf(stderr, "uswap demo: %s\n", uswap_strerror());
		uswap_close(u);
		return 1;
	}
	fprintf(stderr, "uswap demo: %s of text-like pages under a budget of %s (%s)\n", size_s, limit_s, opts);
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i++)
		page_fill(m + i * 4096, i);
	double t1 = now_s();
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = (seed = mix(seed)) % n;
		bad += check(m + i * 4096, i);
	}
	double t2 = now_s();
	for (uint64_t i = 0; i < n; i++)
		bad += check(m + i * 4096, i);
	double t3 = now_s(), mib = (double)size / (1 << 20);
	uint64_t pool = 0, stored = 0, hwm = 0;
	uswap_stat(u, "pool_total_size", &pool);
	uswap_stat(u, "stored_pages", &stored);
	uswap_stat(u, "resident_hwm", &hwm);
	if (!json) {
		printf("write      %8.0f MiB/s\nrandom read %7.0f MiB/s (checked)\nseq read   %8.0f MiB/s (checked)\n",
		       mib / (t1 - t0), mib / (t2 - t1), mib / (t3 - t2));
		printf("resident high-water mark %.1f MiB for %.0f MiB of data; the pool holds %llu pages in %.1f MiB\n\n",
		       hwm / 1048576.0, mib, (unsigned long long)stored, pool / 1048576.0);
	}
	uswap_stats_print(u, stdout, json);
	uswap_close(u);
	if (bad)
		fprintf(stderr, "uswap demo: %llu pages read wrong\n", (unsigned long long)bad);
	return bad ? 1 : 0;
}
