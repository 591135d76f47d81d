/*
 * bench_util.c - timing, pinning, medians and progress for the benchmarks.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "corpus.h"

static bool progress_shown;

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

void bench_progress(const char *fmt, ...)
{
	va_list ap;
	bool tty = isatty(2);

	va_start(ap, fmt);
	fputs(tty ? "\r\033[K" : "", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(tty ? "" : "\n", stderr);
	va_end(ap);
	progress_shown = tty;
}

void bench_progress_done(void)
{
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = false;
}

int bench_split(char *s, char **out, int max)
{
	int n = 0;
	for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
		out[n++] = tok;
	return n;
}

int bench_parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	double mult = 1 << 20;

	if (end == s || errno || v <= 0)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 'K': mult = 1 << 10; end++; break;
	case 'M': mult = 1 << 20; end++; break;
	case 'G': mult = 1 << 30; end++; break;
	case 0: break;
	default: return -EINVAL;
	}
	if (toupper((unsigned char)*end) == 'I' && toupper((unsigned char)end[1]) == 'B')
		end += 2;
	else if (toupper((unsigned char)*end) == 'B')
		end++;
	if (*end)
		return -EINVAL;
	*out = (size_t)(v * mult);
	return 0;
}

int bench_opt_size(const char *cmd, const char *arg, size_t min, size_t *out)
{
	if (bench_parse_size(arg, out) || *out < min) {
		fprintf(stderr, "uswap bench %s: --size '%s' is not a size of at least %zuK\n", cmd, arg, min >> 10);
		return 2;
	}
	return 0;
}

int bench_opt_uint(const char *cmd, const char *opt, const char *arg, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (!*arg || *end || v < lo || v > hi) {
		fprintf(stderr, "uswap bench %s: --%s '%s' is not a number from %u to %u\n", cmd, opt, arg, lo, hi);
		return 2;
	}
	*out = (unsigned)v;
	return 0;
}

int bench_opt_corpora(const char *cmd, const char *list, char **out, int max, int *n)
{
	*n = bench_split(strdup(list), out, max);
	for (int i = 0; i < *n; i++)
		if (!corpus_valid(out[i])) {
			fprintf(stderr, "uswap bench %s: corpus '%s' is unknown (have: zero, text, binary, random, "
					"mixed, heap)\n", cmd, out[i]);
			return 2;
		}
	return 0;
}

void bench_interleave(size_t n, size_t slice, void (*fn)(int who, size_t from, size_t to, void *arg), void *arg,
		      double t[2])
{
	for (size_t from = 0, k = 0; from < n; from += slice, k++) {
		size_t to = from + slice < n ? from + slice : n;
		for (int j = 0; j < 2; j++) {
			int who = (int)((j + k) % 2);
			double t0 = bench_now();
			fn(who, from, to, arg);
			t[who] += bench_now() - t0;
		}
	}
}

int bench_opt_end(const char *cmd, int argc, char **argv)
{
	if (optind < argc) {
		fprintf(stderr, "uswap bench %s: unexpected argument '%s'\n", cmd, argv[optind]);
		return 2;
	}
	return 0;
}
