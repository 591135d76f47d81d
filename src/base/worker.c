/*
 * worker.c - a background thread's life (worker.h).
 */
#include <errno.h>

#include "base/worker.h"

/* The lock and the condition; no thread yet. */
void worker_init(struct worker *w)
{
	mutex_init(&w->lock);
	pthread_cond_init(&w->cond, NULL);
	w->stop = false;
	w->running = false;
}

/* Start the thread: fn(arg). 0, or -errno (EAGAIN: no more threads). */
int worker_start(struct worker *w, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(&w->thread, NULL, fn, arg);

	w->running = !err;
	return -err;
}

/* Tell the thread to stop, wake it, wait for it. No-op when not running;
 * the loop sees stop under the lock and returns. */
void worker_stop(struct worker *w)
{
	if (!w->running)
		return;
	mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->running = false;
}

/* After worker_stop (or when it never started). */
void worker_destroy(struct worker *w)
{
	pthread_cond_destroy(&w->cond);
	mutex_destroy(&w->lock);
}
