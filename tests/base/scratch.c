/*
 * Description: scratch_get gives each thread its own page-aligned slots,
 * distinct and writable (the writeback slot all its larger size), the
 * same ones on every call; a thread's area is
 * unmapped when it exits (msync on it fails with ENOMEM after the join).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "base/base.h"
#include "helpers.h"

static void *slots[SCRATCH_NR];

/* Every slot page-aligned, SCRATCH_SLOT apart, writable, stable. */
static void check_slots(void **out)
{
	for (int i = 0; i < SCRATCH_NR; i++) {
		unsigned char *p = scratch_get((enum scratch_slot)i);
		T_ASSERT(p && ((uintptr_t)p & (PAGE_SIZE - 1)) == 0);
		T_ASSERT(p == scratch_get((enum scratch_slot)i));
		if (i)
			T_ASSERT(p == (unsigned char *)out[i - 1] + SCRATCH_SLOT);
		memset(p, i + 1, SCRATCH_SLOT);
		out[i] = p;
	}
	for (int i = 0; i < SCRATCH_NR; i++)
		T_ASSERT(((unsigned char *)out[i])[SCRATCH_SLOT - 1] == i + 1);
	memset(out[SCRATCH_WRITEBACK], 0x5a, SCRATCH_WRITEBACK_BYTES); /* the last slot is larger */
	T_ASSERT(((unsigned char *)out[SCRATCH_WRITEBACK])[SCRATCH_WRITEBACK_BYTES - 1] == 0x5a);
	memset(out[SCRATCH_WRITEBACK], SCRATCH_WRITEBACK + 1, SCRATCH_SLOT);
}

static void *thread_main(void *arg)
{
	void **mine = arg;

	check_slots(mine);
	return NULL;
}

int main(void)
{
	void *theirs[SCRATCH_NR];
	pthread_t t;

	check_slots(slots);
	T_ASSERT(pthread_create(&t, NULL, thread_main, theirs) == 0);
	T_ASSERT(pthread_join(t, NULL) == 0);
	T_ASSERT(theirs[0] != slots[0]);
	/* the thread's area went with it; ours is still here */
	T_ASSERT(msync(theirs[0], PAGE_SIZE, MS_ASYNC) == -1 && errno == ENOMEM);
	T_ASSERT(msync(slots[0], PAGE_SIZE, MS_ASYNC) == 0);
	for (int i = 0; i < SCRATCH_NR; i++)
		T_ASSERT(((unsigned char *)slots[i])[0] == i + 1);
	return T_EXIT_PASS;
}
