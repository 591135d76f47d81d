/*
 * bench.h - benchmark programs behind `uswap bench ...`, and what they share.
 */
#ifndef USWAP_BENCH_H
#define USWAP_BENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

/* bench_codec.c, bench_zsmalloc.c, bench_zswap.c, bench_swap.c */
int bench_codec_main(int argc, char **argv);
int bench_zsmalloc_main(int argc, char **argv);
int bench_zswap_main(int argc, char **argv);
int bench_swap_main(int argc, char **argv);
int bench_fault_main(int argc, char **argv); /* bench_fault.c */
int bench_vm_main(int argc, char **argv);    /* bench_vm.c */
/* bench_fault.c: p50/p99 ns of a fault of mode (anon, handler-same,
 * sigbus, ...) resolved with a prepared page, pages touched in random
 * order from the calling thread. Installs its own SIGBUS handler: call it
 * in a process of its own. */
int bench_fault_floor(const char *mode, size_t pages, uint64_t seed, uint64_t *p50, uint64_t *p99, char *err,
		      size_t errlen);

/* bench_util.c */
double bench_now(void);               /* seconds, monotonic */
void bench_pin_cpu(void);             /* pin to the CPU we are on (less noise) */
void bench_pin_to(int cpu);           /* pin to cpu (modulo the CPUs online) */
/* 0..n-1 in a random order fixed by seed (Fisher-Yates); NULL when out of memory. */
uint64_t *bench_shuffled(size_t n, uint64_t seed);
/* Progress on stderr, overwritten in place on a terminal. */
void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bench_progress_done(void);
/* Split "a,b,c" into at most max pieces (in place). Returns the count. */
int bench_split(char *s, char **out, int max);
/* Option checks that print "uswap bench CMD: ..." and return 2 on a bad value. */
int bench_opt_size(const char *cmd, const char *arg, size_t min, size_t *out);
int bench_opt_uint(const char *cmd, const char *opt, const char *arg, unsigned lo, unsigned hi, unsigned *out);
int bench_opt_corpora(const char *cmd, const char *list, char **out, int max, int *n);
int bench_opt_end(const char *cmd, int argc, char **argv); /* no arguments left after the options */
/* The options table for a benchmark: defaults, then USWAP_<KEY> from the
 * environment; then -o LIST and the flags that name a table key (--seed,
 * --corpus-dir). Each returns 0, or 2 after printing the table's message. */
int bench_opts_init(const char *cmd, struct options *o);
/* The flags every benchmark shares: -o LIST, --seed N, --corpus-dir D
 * (getopt codes 'o', 'S', 'D'). 0 taken, 2 bad value (message printed),
 * 1 not one of them. */
int bench_shared_flag(const char *cmd, int c, const char *arg, struct options *o);
#define BENCH_SHARED_LONGOPTS {"option", 1, 0, 'o'}, {"seed", 1, 0, 'S'}, {"corpus-dir", 1, 0, 'D'}
int bench_opts_parse(const char *cmd, struct options *o, const char *list);
int bench_opts_set(const char *cmd, struct options *o, const char *key, const char *val);
/* The corpus folder the options name, or NULL for corpus/'s default. */
const char *bench_corpus_dir(const struct options *o);
#define BENCH_OPTS_HELP \
	"  -o, --option LIST   tunables, key=value,... (uswap --help-options lists them;\n" \
	"                      USWAP_<KEY> in the environment sets them too)\n"
/* Time fn(who, from, to, arg) over [0, n) in slices of `slice` items, the
 * two paths (who 0 and 1) alternating which goes first; adds each path's
 * seconds to t[who]. Drift (frequency, a busy neighbour) hits both alike. */
void bench_interleave(size_t n, size_t slice, void (*fn)(int who, size_t from, size_t to, void *arg), void *arg,
		      double t[2]);

/*
 * A team of BENCH_TEAM threads that live for the whole benchmark, one
 * pinned to each CPU (a thread created per phase would pay a new malloc
 * arena's page faults in every phase). bench_team_run runs
 * fn(arg, k, nt) on members k < nt at once and returns the seconds until
 * all are done; members k >= nt wait.
 */
#define BENCH_TEAM 2
struct bench_team {
	pthread_barrier_t go, done;
	pthread_t t[BENCH_TEAM];
	void (*fn)(void *arg, unsigned k, unsigned nt);
	void *arg;
	unsigned nt;
	bool quit;
};
int bench_team_start(struct bench_team *tm);
void bench_team_stop(struct bench_team *tm);
double bench_team_run(struct bench_team *tm, unsigned nt, void (*fn)(void *arg, unsigned k, unsigned nt), void *arg);
double bench_median(double *v, unsigned n); /* sorts v */

/* kswap_config.c: the kernel's zram/zswap set up for one run of `uswap
 * bench vm --kernel`, and the machine put back as it was. */
#define ZRAM_DEV "/dev/zram0"
struct kswap {
	char cfg[32];
	bool active, zram;
	int debugfs_mounted;
	char zswap_enabled[8], zswap_comp[32], zswap_maxpool[8], page_cluster[8];
	char swapfile[400];
};
/* Set up cfg (zram-<alg>, zswap-<alg>, [-pc0]) with bytes of swap; a zswap
 * swap file goes in dir. 0, or -errno with a message in err (then nothing
 * is left changed). */
int kswap_setup(struct kswap *k, const char *cfg, const char *dir, size_t bytes, char *err, size_t errlen);
void kswap_restore(struct kswap *k); /* idempotent; async-signal-unsafe */
int kswap_restore_stale(void);       /* undo a run killed outright: 1 if there was one */
/* Move the calling process into the bench's memory cgroup (v1) with limit
 * bytes (0: none). */
int kswap_memcg_join(size_t limit, char *err, size_t errlen);
uint64_t kswap_memcg_hwm(void);                  /* memory.max_usage_in_bytes */
uint64_t kswap_memcg_usage(void);                /* memory.usage_in_bytes */
uint64_t kswap_pool_bytes(const struct kswap *k); /* zram mem_used_total, zswap pool_total_size */

/* raw_codec.c: the library's own calls, the reference of every codec bench. */
struct raw_codec {
	const char *name;
	int level;
	void *zc, *zd, *dc, *dd, *lzo;
};
int raw_codec_init(struct raw_codec *r, const char *name, int level);
void raw_codec_free(struct raw_codec *r);
int raw_codec_compress(struct raw_codec *r, const void *src, void *dst, size_t cap);
int raw_codec_decompress(struct raw_codec *r, const void *src, size_t len, void *dst);

#endif
