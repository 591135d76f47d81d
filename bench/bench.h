/*
 * bench.h - benchmark programs behind `uswap bench ...`, and what they share.
 */
#ifndef USWAP_BENCH_H
#define USWAP_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* bench_codec.c, bench_zsmalloc.c, bench_zswap.c */
int bench_codec_main(int argc, char **argv);
int bench_zsmalloc_main(int argc, char **argv);
int bench_zswap_main(int argc, char **argv);

/* bench_util.c */
double bench_now(void);               /* seconds, monotonic */
void bench_pin_cpu(void);             /* pin to the CPU we are on (less noise) */
/* Progress on stderr, overwritten in place on a terminal. */
void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bench_progress_done(void);
/* Split "a,b,c" into at most max pieces (in place). Returns the count. */
int bench_split(char *s, char **out, int max);
int bench_parse_size(const char *s, size_t *out); /* "64", "64M", "1G" -> bytes (bare = MiB) */

#endif
