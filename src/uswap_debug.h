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

#endif
