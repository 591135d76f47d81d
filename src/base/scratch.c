/*
 * scratch.c - per-thread scratch buffers for the layers' page-sized work
 * (a compressor's output, a bounce page, an object copied out of the
 * pool).
 *
 * They used to be _Thread_local arrays: 62 KiB of static TLS, which glibc
 * clears when it makes a thread, so every thread of a program under
 * `uswap run` faulted in 16 pages at its start, whether it ever touched
 * uswap or not (16 of a thread's page faults, measured). Now a thread
 * maps its scratch area (one slot per user) at its first use, with a raw
 * mmap (async-signal-safe: a program thread's first use may be in the
 * SIGBUS handler), only the pages it touches are faulted in, and the
 * area is unmapped when the thread exits (a pthread key's destructor;
 * the key is made at load, so it is one of the first and setting it never
 * allocates). A slot is the thread's alone: no lock; a user must not hold
 * the same slot across a call that may use it again.
 *
 * No locks.
 */
#include <pthread.h>

#include "base/base.h"

#define SCRATCH_BYTES ((size_t)SCRATCH_WRITEBACK * SCRATCH_SLOT + SCRATCH_WRITEBACK_BYTES)

static _Thread_local unsigned char *area; /* this thread's, or NULL */
static pthread_key_t area_key;
static bool have_key;

static void area_free(void *p) { os_munmap(p, SCRATCH_BYTES); }

__attribute__((constructor)) static void scratch_init(void) { have_key = !pthread_key_create(&area_key, area_free); }

static unsigned char *area_map(void)
{
	void *p;

	if (os_mmap_anon(SCRATCH_BYTES, PAGE_SIZE, &p))
		return NULL;
	if (have_key)
		pthread_setspecific(area_key, p);
	return area = p;
}

void *scratch_get(enum scratch_slot slot)
{
	unsigned char *a = likely(area) ? area : area_map();

	return a ? a + (size_t)slot * SCRATCH_SLOT : NULL;
}
