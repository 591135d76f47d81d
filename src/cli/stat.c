/*
 * stat.c - `uswap stat [PID]`: the live statistics of running `uswap run`
 * processes of this user, from the files their preload library keeps
 * current (src/preload/statfile.c). A file whose process is gone is a
 * leftover of a process that was killed: it is removed.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "preload/statfile.h"

enum stat_format { TEXT, JSON, PROMETHEUS };

static void stat_usage(FILE *f)
{
	fprintf(f, "usage: uswap stat [PID] [--json | --prometheus] [--watch SECONDS]\n\n"
		   "Live statistics of a process running under `uswap run` (PID), or of every such\n"
		   "process of this user. Updated by the process every second.\n\n"
		   "      --json          one JSON object per process (an array)\n"
		   "      --prometheus    the Prometheus text format (node_exporter's textfile collector)\n"
		   "  -w, --watch SECONDS show them again every SECONDS, until interrupted\n"
		   "  -h, --help          this text\n");
}

/* Show one process's file; 0, or -errno (ENOENT: no such process). */
static int show(const char *path, int pid, enum stat_format fmt, unsigned *n)
{
	char *text;

	if (kill(pid, 0) && errno == ESRCH) {
		unlink(path); /* its process was killed before it could remove it */
		return -ENOENT;
	}
	int ret = procstats_read(path, &text);
	if (ret)
		return ret;
	if (fmt == JSON)
		printf("%s%s", *n ? "," : "", text);
	else if (fmt == PROMETHEUS)
		procstats_prometheus(stdout, text);
	else
		procstats_print(stdout, text);
	(*n)++;
	free(text);
	return 0;
}

static int show_all(int only, enum stat_format fmt)
{
	char dir[512], path[600];
	unsigned n = 0;
	int ret = statfile_dir(dir, sizeof(dir), false);

	if (fmt == JSON)
		printf("[");
	DIR *d = ret ? NULL : opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int pid = atoi(e->d_name);
		size_t len = strlen(e->d_name);
		if (pid <= 0 || len < 5 || strcmp(e->d_name + len - 5, ".json") || (only && pid != only))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		show(path, pid, fmt, &n);
	}
	if (d)
		closedir(d);
	if (fmt == JSON)
		printf("]\n");
	if (ret == -EPERM)
		fprintf(stderr, "uswap stat: %s is not this user's alone (owner or mode): not read\n", dir);
	if (!n && only) {
		fprintf(stderr, "uswap stat: no uswap run process %d of this user\n", only);
		return 1;
	}
	if (!n && fmt == TEXT)
		printf("no uswap run processes of this user\n");
	return 0;
}

int stat_main(int argc, char **argv)
{
	static const struct option longopts[] = {{"json", 0, 0, 'j'}, {"prometheus", 0, 0, 'p'},
						 {"watch", 1, 0, 'w'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	enum stat_format fmt = TEXT;
	double watch = 0;
	int c, pid = 0;

	while ((c = getopt_long(argc, argv, "w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': fmt = JSON; break;
		case 'p': fmt = PROMETHEUS; break;
		case 'w':
			if ((watch = atof(optarg)) <= 0) {
				fprintf(stderr, "uswap stat: --watch '%s': a number of seconds\n", optarg);
				return 2;
			}
			break;
		case 'h': stat_usage(stdout); return 0;
		default: stat_usage(stderr); return 2;
		}
	}
	if (optind < argc && (pid = atoi(argv[optind])) <= 0) {
		fprintf(stderr, "uswap stat: '%s' is not a process id\n", argv[optind]);
		return 2;
	}
	for (;;) {
		int ret = show_all(pid, fmt);
		fflush(stdout);
		if (!watch || ret)
			return ret;
		usleep((useconds_t)(watch * 1e6));
		if (fmt == TEXT)
			printf("\n");
	}
}
