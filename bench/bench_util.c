/*
 * bench_util.c - timing, pinning, medians and progress for the benchmarks.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
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

void bench_pin_to(int cpu)
{
	cpu_set_t set;
	int n = (int)sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	CPU_SET(cpu % (n > 0 ? n : 1), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

void bench_pin_cpu(void)
{
	int cpu = sched_getcpu();

	if (cpu >= 0)
		bench_pin_to(cpu);
}

uint64_t *bench_shuffled(size_t n, uint64_t seed)
{
	uint64_t *o = malloc(n * sizeof(*o));

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++)
		o[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = corpus_mix64(seed + i) % i;
		uint64_t t = o[i - 1];
		o[i - 1] = o[j];
		o[j] = t;
	}
	return o;
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

int bench_opt_size(const char *cmd, const char *arg, size_t min, size_t *out)
{
	uint64_t v;

	if (opt_parse_size(arg, &v) || v < min || v > SIZE_MAX) {
		fprintf(stderr, "uswap bench %s: --size '%s' is not a size of at least %zuK (suffixes K, M, G; "
				"a bare number is bytes)\n", cmd, arg, min >> 10);
		return 2;
	}
	*out = (size_t)v;
	return 0;
}

int bench_opts_init(const char *cmd, struct options *o)
{
	char err[320];

	options_init(o);
	if (options_from_env(o, err, sizeof(err))) {
		fprintf(stderr, "uswap bench %s: %s\n", cmd, err);
		return 2;
	}
	return 0;
}

int bench_opts_parse(const char *cmd, struct options *o, const char *list)
{
	char err[320];

	if (options_parse(o, list, err, sizeof(err))) {
		fprintf(stderr, "uswap bench %s: %s\n", cmd, err);
		return 2;
	}
	return 0;
}

int bench_opts_set(const char *cmd, struct options *o, const char *key, const char *val)
{
	char err[320];

	if (options_set(o, key, val, err, sizeof(err))) {
		fprintf(stderr, "uswap bench %s: %s\n", cmd, err);
		return 2;
	}
	return 0;
}

int bench_shared_flag(const char *cmd, int c, const char *arg, struct options *o)
{
	switch (c) {
	case 'o': return bench_opts_parse(cmd, o, arg);
	case 'S': return bench_opts_set(cmd, o, "seed", arg);
	case 'D': return bench_opts_set(cmd, o, "corpus_dir", arg);
	default: return 1;
	}
}

const char *bench_corpus_dir(const struct options *o)
{
	const char *d = opt_str(o, OPT_CORPUS_DIR);
	return *d ? d : NULL;
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

struct team_member {
	struct bench_team *tm;
	unsigned k;
};

static void *team_member_main(void *arg)
{
	struct team_member m = *(struct team_member *)arg;

	free(arg);
	bench_pin_to((int)m.k);
	for (;;) {
		pthread_barrier_wait(&m.tm->go);
		if (m.tm->quit)
			break;
		if (m.k < m.tm->nt)
			m.tm->fn(m.tm->arg, m.k, m.tm->nt);
		pthread_barrier_wait(&m.tm->done);
	}
	return NULL;
}

int bench_team_start(struct bench_team *tm)
{
	memset(tm, 0, sizeof(*tm));
	pthread_barrier_init(&tm->go, NULL, BENCH_TEAM + 1);
	pthread_barrier_init(&tm->done, NULL, BENCH_TEAM + 1);
	for (unsigned k = 0; k < BENCH_TEAM; k++) {
		struct team_member *m = malloc(sizeof(*m));
		if (!m)
			abort(); /* a benchmark without its threads measures nothing */
		*m = (struct team_member){tm, k};
		if (pthread_create(&tm->t[k], NULL, team_member_main, m))
			abort();
	}
	return 0;
}

void bench_team_stop(struct bench_team *tm)
{
	tm->quit = true;
	pthread_barrier_wait(&tm->go);
	for (unsigned k = 0; k < BENCH_TEAM; k++)
		pthread_join(tm->t[k], NULL);
	pthread_barrier_destroy(&tm->go);
	pthread_barrier_destroy(&tm->done);
}

double bench_team_run(struct bench_team *tm, unsigned nt, void (*fn)(void *arg, unsigned k, unsigned nt), void *arg)
{
	tm->fn = fn;
	tm->arg = arg;
	tm->nt = nt;
	double t0 = bench_now();
	pthread_barrier_wait(&tm->go);
	pthread_barrier_wait(&tm->done);
	return bench_now() - t0;
}

double bench_median(double *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j] < v[j - 1]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
