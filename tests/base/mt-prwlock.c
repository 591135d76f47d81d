/*
 * Description: the per-CPU reader-writer lock excludes: writers change two
 * plain (non-atomic) words together under the write lock while readers on
 * every CPU check under the read lock that they are equal; readers never
 * see a half-done write, writers never overlap, and the final values count
 * every write (TSan checks the ordering of the plain accesses).
 */
#include <pthread.h>
#include <sched.h>

#include "base/base.h"
#include "helpers.h"

static struct prwlock lock;
static uint64_t a, b;        /* lock */
static _Atomic int running = 1;
static _Atomic long reads;
static long writes_each;

static void *reader(void *arg)
{
	long n = 0;

	while (atomic_load(&running)) {
		unsigned slot = prw_read_lock(&lock);
		uint64_t x = a, y = b;
		prw_read_unlock(&lock, slot);
		T_ASSERT_EQ(x, y);
		n++;
	}
	atomic_fetch_add(&reads, n);
	return NULL;
}

static void *writer(void *arg)
{
	for (long i = 0; i < writes_each; i++) {
		prw_write_lock(&lock);
		uint64_t x = a;
		a = x + 1;
		if (i % 64 == 0)
			sched_yield(); /* readers arrive while the write is half done */
		b = x + 1;
		prw_write_unlock(&lock);
	}
	return NULL;
}

int main(void)
{
	pthread_t r[3], w[2];

	writes_each = (long)(20000 * t_scale());
	T_ASSERT_EQ(prw_init(&lock), 0);
	for (int i = 0; i < 3; i++)
		pthread_create(&r[i], NULL, reader, NULL);
	for (int i = 0; i < 2; i++)
		pthread_create(&w[i], NULL, writer, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	atomic_store(&running, 0);
	for (int i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	printf("%ld writes, %ld reads\n", 2 * writes_each, atomic_load(&reads));
	T_ASSERT_EQ(a, (uint64_t)(2 * writes_each));
	T_ASSERT_EQ(b, a);
	T_ASSERT(atomic_load(&reads) > 0);
	prw_destroy(&lock);
	return T_EXIT_PASS;
}
