/*
 * swp_entry.h - a swap entry's name, as a page table entry holds it: the
 * swap type (a device, or the virtual swap space) in the top 6 bits and
 * an offset below. Shared by every layer from zswap/ up.
 */
#ifndef USWAP_SWP_ENTRY_H
#define USWAP_SWP_ENTRY_H

#include <stdint.h>

typedef struct {
	uint64_t val;
} swp_entry_t;

#define SWP_TYPE_SHIFT 58
#define MAX_SWAPFILES  32

/* The type of swap/'s entries: virtual ids, bound to a device slot only
 * when their page is written there (swap.h). zswap trees are per type. */
#define SWP_TYPE_VIRTUAL 0

static inline swp_entry_t swp_entry(unsigned type, uint64_t offset)
{
	return (swp_entry_t){((uint64_t)type << SWP_TYPE_SHIFT) | offset};
}
static inline unsigned swp_type(swp_entry_t e) { return (unsigned)(e.val >> SWP_TYPE_SHIFT); }
static inline uint64_t swp_offset(swp_entry_t e) { return e.val & ((1ull << SWP_TYPE_SHIFT) - 1); }

#endif
