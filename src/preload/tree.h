/*
 * tree.h - one memory budget for a `uswap run` process tree (tree.c).
 */
#ifndef USWAP_PRELOAD_TREE_H
#define USWAP_PRELOAD_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "uswap.h"

bool tree_join(const char *path);   /* map the tree's budget file, take a slot; false: no tree */
void tree_rejoin(void);             /* in a forked child: a slot of its own */
bool tree_share(uswap_t *u);        /* u's budget is the tree's; false: no tree */
void tree_leave(void);              /* at exit: this process's part leaves the sum */
void tree_reap(void);               /* dead processes' parts leave the sum */
uint64_t tree_peak_bytes(void);     /* the tree's highest usage so far (0: no tree) */

#endif
