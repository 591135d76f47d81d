/*
 * heap.h - the address ranges uswap run hands out for a program's
 * anonymous mappings: chunks that are uswap regions, carved page by page.
 */
#ifndef USWAP_PRELOAD_HEAP_H
#define USWAP_PRELOAD_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uswap.h"

#define HEAP_CHUNK_BYTES (1ull << 30)          /* a shared chunk: one region */
#define HEAP_DEDICATED   (HEAP_CHUNK_BYTES / 4) /* larger mappings get a region of their own */
#define HEAP_MAX_CHUNKS  1000

struct heap_stats {
	uint64_t mapped_bytes;   /* handed out to the program now */
	uint64_t chunk_bytes;    /* address space of all chunks */
	unsigned chunks;
	uint64_t maps, unmaps, remaps, fixed_maps, lost_bytes;
};

/* All of these take the heap lock (heap.c) but heap_chunks, which wants
 * it held. */
void heap_init(uswap_t *u);
void *heap_map(size_t len);                       /* NULL: no room (the caller maps it itself) */
bool heap_owns(uintptr_t addr);
/* Unmap [addr, addr + len): the heap's parts are dropped and freed, the
 * rest is passed to the kernel. 0 or -1 with errno. */
int heap_unmap(uintptr_t addr, size_t len);
/* A MAP_FIXED mapping over [addr, addr + len), which lies in a chunk:
 * true when the heap served it (anonymous, private, read-write). */
bool heap_map_fixed(uintptr_t addr, size_t len, bool plain_anon);
/* mremap of a heap mapping: the new address, or MAP_FAILED with errno. */
void *heap_remap(uintptr_t addr, size_t old_len, size_t new_len, int flags);
void heap_stats(struct heap_stats *st);
/* Every chunk, for a forked child's new instance to adopt. */
unsigned heap_chunks(uintptr_t *start, size_t *len, size_t *used_len, unsigned max);
void heap_set_instance(uswap_t *u);
void heap_lock(void);
void heap_unlock(void);
bool heap_trylock(void);

#endif
