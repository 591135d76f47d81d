/*
 * lock.h - thin wrappers over pthread mutexes and rwlocks.
 *
 * A lock operation that fails means memory corruption or a double unlock,
 * which no caller can recover from: the wrappers abort with a message rather
 * than return an error every caller would have to ignore.
 */
#ifndef USWAP_BASE_LOCK_H
#define USWAP_BASE_LOCK_H

#include <pthread.h>
#include <stdbool.h>

void lock_fatal(const char *what, int err) __attribute__((noreturn, cold));

typedef struct mutex { pthread_mutex_t m; } mutex_t;
typedef struct rwlock { pthread_rwlock_t l; } rwlock_t;

static inline void mutex_init(mutex_t *m)
{
	int err = pthread_mutex_init(&m->m, NULL);
	if (err)
		lock_fatal("mutex_init", err);
}
static inline void mutex_destroy(mutex_t *m) { pthread_mutex_destroy(&m->m); }
static inline void mutex_lock(mutex_t *m)
{
	int err = pthread_mutex_lock(&m->m);
	if (err)
		lock_fatal("mutex_lock", err);
}
static inline bool mutex_trylock(mutex_t *m) { return pthread_mutex_trylock(&m->m) == 0; }
static inline void mutex_unlock(mutex_t *m)
{
	int err = pthread_mutex_unlock(&m->m);
	if (err)
		lock_fatal("mutex_unlock", err);
}

static inline void rwlock_init(rwlock_t *l)
{
	int err = pthread_rwlock_init(&l->l, NULL);
	if (err)
		lock_fatal("rwlock_init", err);
}
static inline void rwlock_destroy(rwlock_t *l) { pthread_rwlock_destroy(&l->l); }
static inline void read_lock(rwlock_t *l)
{
	int err = pthread_rwlock_rdlock(&l->l);
	if (err)
		lock_fatal("read_lock", err);
}
static inline void read_unlock(rwlock_t *l)
{
	int err = pthread_rwlock_unlock(&l->l);
	if (err)
		lock_fatal("read_unlock", err);
}
static inline void write_lock(rwlock_t *l)
{
	int err = pthread_rwlock_wrlock(&l->l);
	if (err)
		lock_fatal("write_lock", err);
}
static inline bool write_trylock(rwlock_t *l) { return pthread_rwlock_trywrlock(&l->l) == 0; }
static inline void write_unlock(rwlock_t *l) { read_unlock(l); }

#endif
