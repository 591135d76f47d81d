/*
 * main.c - the `uswap` command: dispatch to subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "cli/cli.h"
#include "options.h"
#include "uswap.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uswap <command> [options]\n\n"
		"User-space compressed swap: zsmalloc, zswap, swap slots and the swap cache,\n"
		"rebuilt as a library and tools.\n\n"
		"commands:\n"
		"  run           run a program under a memory budget: uswap run --limit 256M -- prog\n"
		"  stat [PID]    live statistics of the programs uswap run is running\n"
		"  remote-gc URL remove the keys that ended instances left on a Redis Cluster far tier\n"
		"  demo          a workload 4x larger than its memory budget, through the API,\n"
		"                checked page by page, with the statistics\n"
		"  bench codec   compressors on page corpora: ratio and MiB/s, uswap's\n"
		"                per-CPU path next to the raw library call\n"
		"  bench zsmalloc  density and speed of the compressed object allocator\n"
		"  bench zswap   store/load speed of the compressed cache, memory saved\n"
		"  bench swap    swap-out/in to a backing file (with and without zswap) vs pwrite/pread\n"
		"  bench [vm]    workloads larger than their budget, by fault mode; --kernel: beside the\n"
		"                kernel's own zram/zswap in a memory cgroup of the same limit\n"
		"  bench fault   one page fault resolved in user space (userfaultfd), by fault mode,\n"
		"                next to the kernel's anonymous page fault\n"
		"  version       print the version\n"
		"  --help-options  the tunables (key=value, or USWAP_<KEY> in the environment)\n"
		"  help          this text\n\n"
		"'uswap <command> --help' describes a command's options.\n");
}

static int bench_main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: uswap bench [<benchmark>] [options]\n\nbenchmarks:\n"
		       "  vm         (the default) workloads on a region larger than its budget, each fault mode,\n"
		       "             and with --kernel the kernel's zram/zswap side by side (uswap bench vm --help)\n"
		       "  codec      compressors on page corpora (uswap bench codec --help)\n"
		       "  zsmalloc   the compressed object allocator: density, speed\n"
		       "  zswap      the compressed cache: store/load vs the raw codec, memory saved\n"
		       "  swap       swap-out/in through the swap layer to a file vs pwrite/pread\n"
		       "  fault      one userfaultfd fault by fault mode, vs the kernel's anonymous fault\n");
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-')
		return bench_vm_main(argc, argv);
	if (!strcmp(argv[1], "vm"))
		return bench_vm_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "codec"))
		return bench_codec_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "zsmalloc"))
		return bench_zsmalloc_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "zswap"))
		return bench_zswap_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "swap"))
		return bench_swap_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "fault"))
		return bench_fault_main(argc - 1, argv + 1);
	fprintf(stderr, "uswap bench: unknown benchmark '%s' (have: vm, codec, zsmalloc, zswap, swap, fault)\n",
		argv[1]);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("uswap %s\n", uswap_version());
		return 0;
	}
	if (!strcmp(cmd, "--help-options")) {
		if (argc > 2 && !strcmp(argv[2], "--man"))
			options_print_man(stdout);
		else
			options_print_help(stdout);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return run_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "stat"))
		return stat_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "remote-gc"))
		return remote_gc_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "demo"))
		return demo_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return bench_main(argc - 1, argv + 1);
	fprintf(stderr, "uswap: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return 2;
}
