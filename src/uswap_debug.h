/*
 * uswap_debug.h - the debug tier's hooks into an instance, for tests and
 * the benchmarks (they link the static library; nothing here is exported
 * from the shared one).
 */
#ifndef USWAP_DEBUG_H
#define USWAP_DEBUG_H

#include <stddef.h>

#include "uswap.h"

/* Check every region's page table against the kernel's (mincore), with the
 * event barrier held exclusive: 0, or -EUCLEAN with the first page whose
 * table and presence disagree described in err. */
int uswap_debug_validate(uswap_t *u, char *err, size_t errlen);

/* Make the nth read (write = 0) or write (write = 1) of the swap file from
 * now fail with err (swap_backing_inject). 0, or -ENODEV (no swap file). */
int uswap_debug_inject_io(uswap_t *u, int write, int err, long nth);
/* The swap devices as the /proc/swaps-like listing shows them, into buf;
 * returns the length (snprintf's). */
int uswap_debug_swaps(uswap_t *u, char *buf, size_t len);

#endif
