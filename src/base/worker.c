/*
 * worker.c - a background thread's life (worker.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "base/worker.h"

/* The lock and the condition; no thread yet. */
void worker_init(struct worker *w)
{
	mutex_init(&w->lock);
	pthread_cond_init(&w->cond, NULL);
	w->stop = false;
	w->running = false;
}

/*
 * A thread of uswap's own, invisible to the program: every signal blocked
 * but SIGBUS (the program's handlers never run on it, and a signal meant
 * for the process goes to one of the program's threads) and named
 * "uswap-<name>" (ps, top, gdb); on CPU cpu only, unless it is -1. 0, or
 * -errno. SIGBUS stays open because it comes synchronously, from a fault:
 * under `uswap run` glibc's own allocations (inside fopen, opendir, ...)
 * go to the program's malloc, whose memory is a region, and in
 * fault_mode=sigbus a fault there is resolved by the SIGBUS handler on the
 * faulting thread; blocked, the kernel would kill the process instead.
 */
int thread_start(pthread_t *t, const char *name, int cpu, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	sigset_t all, old;
	cpu_set_t set;
	char full[16];

	pthread_attr_init(&attr);
	if (cpu >= 0) { /* born there: moving a running thread waits for the other CPU */
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	sigfillset(&all);
	sigdelset(&all, SIGBUS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int err = pthread_create(t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (!err) {
		snprintf(full, sizeof(full), "uswap-%s", name);
		pthread_setname_np(*t, full);
	}
	return -err;
}

/* Start the thread: fn(arg), named "uswap-<name>". 0, or -errno (EAGAIN:
 * no more threads). */
int worker_start(struct worker *w, const char *name, void *(*fn)(void *), void *arg)
{
	int err = thread_start(&w->thread, name, -1, fn, arg);

	w->running = !err;
	return err;
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
