/*
 * cli.h - the `uswap` command's subcommands (besides bench/).
 */
#ifndef USWAP_CLI_H
#define USWAP_CLI_H

int demo_main(int argc, char **argv); /* demo.c: a workload larger than its budget */

#endif
