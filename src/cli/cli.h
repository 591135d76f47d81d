/*
 * cli.h - the `uswap` command's subcommands (besides bench/).
 */
#ifndef USWAP_CLI_H
#define USWAP_CLI_H

#include <stdio.h>

int demo_main(int argc, char **argv); /* demo.c: a workload larger than its budget */
int run_main(int argc, char **argv);  /* run.c: a program under a budget (LD_PRELOAD) */
int stat_main(int argc, char **argv); /* stat.c: live statistics of uswap run processes */
int remote_gc_main(int argc, char **argv); /* remote_gc.c: keys of ended instances off a cluster */

/* procstats.c: the statistics a uswap run process writes (one JSON object) */
int procstats_read(const char *path, char **text);
double pj_num(const char *json, const char *key);
void pj_str(const char *json, const char *key, char *out, size_t len);
double procstats_saving(const char *json);
void procstats_print(FILE *f, const char *json);
void procstats_prometheus(FILE *f, const char *json);

#endif
