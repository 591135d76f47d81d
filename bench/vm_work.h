/*
 * vm_work.h - the workloads of `uswap bench vm`, each run on one system
 * (uswap in a fault mode, the kernel's zram/zswap, plain memory) in a
 * process of its own.
 */
#ifndef USWAP_BENCH_VM_WORK_H
#define USWAP_BENCH_VM_WORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "corpus.h"

enum vm_wl {
	WL_TOUCH,  /* first write of every page, in order */
	WL_SWAP,   /* pageout, touch in order, pageout, touch in random order */
	WL_SEQ,    /* ops over the pages in order, round and round */
	WL_RANDOM, /* ops on uniformly random pages */
	WL_ZIPF,   /* ops on zipf-distributed pages (hot pages scattered) */
	WL_NR
};

enum vm_sys_kind {
	SYS_ANON,   /* plain anonymous memory, no limit */
	SYS_USWAP,  /* uswap_alloc, fault mode in arg */
	SYS_KERNEL, /* anonymous memory in a memory cgroup, kernel config in arg */
	SYS_FLOOR,  /* bench_fault_floor of mode arg */
};

struct vm_sys {
	enum vm_sys_kind kind;
	char name[48];
	char arg[32];
};

struct vm_job {
	enum vm_wl wl;
	const struct vm_sys *sys;
	size_t size, limit; /* limit 0: none */
	uint64_t ops, seed;
	double theta;
	unsigned threads;
	const char *corpus;
	const struct corpus_set *cs;
	const char *uswap_opts; /* the user's -o list, or "" */
	const struct kswap *k;  /* SYS_KERNEL */
};

/* One timed pass: pages touched or ops done, and their latencies in ns. */
struct vm_phase {
	double secs;
	uint64_t n, p50, p99, max, major;
};

#define VM_PHASES 3 /* touch/ops: [0]; swap: pageout, in order, random order */

struct vm_result {
	bool ok;
	char err[256];
	struct vm_phase ph[VM_PHASES];
	uint64_t loss; /* pages that read back wrong */
	uint64_t hwm;      /* resident high-water mark, bytes */
	uint64_t resident; /* resident bytes when the pool was read */
	uint64_t pool;     /* compressed pool after the first pageout (swap) or the ops, bytes */
};

extern const char *const vm_wl_names[WL_NR];

void vm_work_run(const struct vm_job *j, struct vm_result *r);

#endif
