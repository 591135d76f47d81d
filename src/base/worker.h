/*
 * worker.h - a background thread that sleeps on a condition until it has
 * work or is told to stop: the shape shared by page/'s trimmer, zswap's
 * shrink worker and swap/'s readahead worker. The owner writes the loop;
 * this keeps the thread's life: init, start, wake, stop, destroy.
 *
 * Lock order: worker.lock is taken last; an owner may guard its own flags
 * or queue with it (it says so where it does).
 */
#ifndef USWAP_BASE_WORKER_H
#define USWAP_BASE_WORKER_H

#include <pthread.h>
#include <stdbool.h>

#include "base/lock.h"

struct worker {
	mutex_t lock;         /* guards stop, and what the owner puts under it */
	pthread_cond_t cond;  /* the thread waits here for work or stop */
	bool stop;            /* lock: worker_stop was called */
	bool running;         /* owner only: the thread exists */
	pthread_t thread;
};

void worker_init(struct worker *w);
int worker_start(struct worker *w, const char *name, void *(*fn)(void *), void *arg);
/* A thread with every signal blocked, named "uswap-<name>" (at most 9
 * characters), pinned to cpu unless it is -1. 0 or -errno. */
int thread_start(pthread_t *t, const char *name, int cpu, void *(*fn)(void *), void *arg);
void worker_stop(struct worker *w);
void worker_destroy(struct worker *w);

#endif
