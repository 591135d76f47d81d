/*
 * tree.h - one memory budget for a `uswap run` process tree (tree.c).
 */
#ifndef USWAP_PRELOAD_TREE_H
#define USWAP_PRELOAD_TREE_H

#include <stdbool.h>
#include <stdint.h>

bool tree_join(const char *path);   /* map the tree's budget file, take a slot; false: no tree */
void tree_rejoin(void);             /* in a forked child: a slot of its own */
void tree_leave(void);              /* at exit */
uint64_t tree_others(void);         /* bytes the other live processes use */
void tree_publish(uint64_t bytes);  /* what this process uses */

#endif
