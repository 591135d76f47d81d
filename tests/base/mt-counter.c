/*
 * Description: per-CPU counters and the histogram lose no update when
 * more threads than CPUs add concurrently (threads share and migrate
 * between per-CPU slots), and pcpu_current() stays in range.
 */
#include <pthread.h>

#include "base/base.h"
#include "helpers.h"

#define THREADS 6

static struct pcpu_counters *ctr;
static struct hist lat;
static long iters;

static void *worker(void *arg)
{
	for (long i = 0; i < iters; i++) {
		T_ASSERT(pcpu_current() < pcpu_nr_possible());
		pcpu_counter_add(ctr, 0, 1);
		pcpu_counter_add(ctr, 1, 3);
		pcpu_counter_add(ctr, 2, -1);
		if (i % 16 == 0)
			hist_record(&lat, (uint64_t)i);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	iters = (long)(500000 * t_scale());
	ctr = pcpu_counters_create(3);
	T_ASSERT(ctr);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	T_ASSERT_EQ(pcpu_counter_read(ctr, 0), THREADS * iters);
	T_ASSERT_EQ(pcpu_counter_read(ctr, 1), 3 * THREADS * iters);
	T_ASSERT_EQ(pcpu_counter_read(ctr, 2), -THREADS * iters);
	T_ASSERT_EQ(hist_count(&lat), THREADS * ((iters + 15) / 16));
	pcpu_counters_reset(ctr);
	T_ASSERT_EQ(pcpu_counter_read(ctr, 1), 0);

	/* The override used by tests to simulate CPUs. */
	pcpu_set_override(5);
	T_ASSERT_EQ(pcpu_current(), 5 % pcpu_nr_possible());
	pcpu_set_override(-1);
	pcpu_counters_destroy(ctr);
	return T_EXIT_PASS;
}
