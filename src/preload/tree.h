/*
 * tree.h - one memory budget for a `uswap run` process tree (tree.c).
 */
#ifndef USWAP_PRELOAD_TREE_H
#define USWAP_PRELOAD_TREE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "uswap.h"

/* The shared file (uswap run makes it; every process of the tree maps it). */
#define TREE_SLOTS 4096

struct tree_slot {
	_Atomic int pid;          /* 0: free */
	_Atomic int64_t pages;    /* what the process uses, as it last published */
};

struct tree {
	_Atomic int64_t total;    /* pages: the slots' sum */
	_Atomic int64_t peak;     /* pages: the highest total */
	char pad[48];
	struct tree_slot slot[TREE_SLOTS];
};

bool tree_join(const char *path);   /* map the tree's budget file, take a slot; false: no tree */
void tree_rejoin(void);             /* in a forked child: a slot of its own */
bool tree_share(uswap_t *u);        /* u's budget is the tree's; false: no tree */
void tree_leave(void);              /* at exit: this process's part leaves the sum */
void tree_reap(void);               /* dead processes' parts leave the sum */
uint64_t tree_peak_bytes(void);     /* the tree's highest usage so far (0: no tree) */

#endif
