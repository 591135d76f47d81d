/*
 * remote_gc.c - `uswap remote-gc URL`: remove the keys that ended
 * instances left on a Redis Cluster far tier.
 *
 * An instance (a uswap_open with swapfile=redis://...) keeps a lease key
 * that a thread of it renews; uswap_close removes all its keys. One that
 * crashed, was killed, or ended without uswap_close (every process under
 * uswap run) leaves its keys, and its lease expires a minute later. This
 * command removes the keys of every instance without a lease, and leaves
 * the others alone.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "options.h"

static void gc_usage(FILE *f)
{
	fprintf(f, "usage: uswap remote-gc [--dry-run] [-o key=value,...] redis://host:port[,host:port...]\n\n"
		   "Removes the keys of uswap instances whose lease on the cluster has expired: they\n"
		   "crashed, were killed, or ended without uswap_close (processes under uswap run)\n"
		   "a minute ago or more. Instances holding a lease are left alone.\n\n"
		   "  -n, --dry-run   list the instances and what would be removed, remove nothing\n"
		   "  -o LIST         redis_auth_file, redis_timeout_ms, redis_retry_ms (uswap --help-options)\n"
		   "  -h, --help      this text\n\n"
		   "AUTH: redis_auth_file, else USWAP_REDIS_USER and USWAP_REDIS_PASSWORD.\n");
}

int remote_gc_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dry-run", no_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct options opt;
	struct swap_backing_config bc;
	bool dry_run = false;
	char err[512];
	int c, ret = 2;

	options_init(&opt);
	if (options_from_env(&opt, err, sizeof(err))) {
		fprintf(stderr, "uswap remote-gc: %s\n", err);
		goto out;
	}
	while ((c = getopt_long(argc, argv, "no:h", longopts, NULL)) != -1) {
		if (c == 'n') {
			dry_run = true;
		} else if (c == 'o') {
			if (options_parse(&opt, optarg, err, sizeof(err))) {
				fprintf(stderr, "uswap remote-gc: %s\n", err);
				goto out;
			}
		} else if (c == 'h') {
			gc_usage(stdout);
			ret = 0;
			goto out;
		} else {
			gc_usage(stderr);
			goto out;
		}
	}
	if (optind != argc - 1) {
		gc_usage(stderr);
		goto out;
	}
	options_backing_config(&opt, &bc);
	if (redis_remote_gc(argv[optind], &bc.remote, dry_run, stdout, err, sizeof(err))) {
		fprintf(stderr, "uswap remote-gc: %s\n", err);
		ret = 1;
	} else {
		ret = 0;
	}
out:
	options_free(&opt);
	return ret;
}
