/*
 * codec.h - codec/: page compressors behind one interface, with per-CPU
 * contexts allocated for every possible CPU when a pool is created
 * (design-digest 2.7, race R5), and same-filled page detection.
 */
#ifndef USWAP_CODEC_H
#define USWAP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

struct codec_ctx;

/* A backend. All functions work on exactly one PAGE_SIZE page. */
struct codec_ops {
	const char *name;
	int min_level, max_level, default_level;
	bool has_levels;
	bool decompress_needs_ctx; /* false: decompress without taking a context */
	/* Allocate ctx->state for level through base_*; 0 or -ENOMEM. */
	int (*ctx_init)(struct codec_ctx *ctx, int level);
	void (*ctx_free)(struct codec_ctx *ctx); /* safe on a zeroed ctx */
	/* Compressed length (> 0), -E2BIG if it does not fit cap, -EIO. */
	int (*compress)(struct codec_ctx *ctx, const void *src, void *dst, size_t cap);
	/* 0, or -EINVAL unless src decodes to exactly one page. */
	int (*decompress)(struct codec_ctx *ctx, const void *src, size_t len, void *dst);
};

/* One per possible CPU per pool. */
struct codec_ctx {
	cache_aligned mutex_t lock; /* guards state and scratch while in use */
	bool ready;                 /* lock: state initialised */
	int level;                  /* constant */
	void *state;                /* lock: backend compressor state */
	void *dstate;               /* lock: backend decompressor state, if any */
	void *scratch;              /* lock: backend scratch, if any */
};

struct codec_pool {
	const struct codec_ops *ops; /* constant */
	int level;                   /* constant */
	char name[32];               /* "zstd:3" */
	unsigned nr_ctx;             /* constant: pcpu_nr_possible() */
	struct codec_ctx *ctx;       /* [nr_ctx], freed only by codec_pool_destroy */
	_Atomic uint64_t online;     /* atomic: simulated hotplug state (bit per CPU, first 64) */
};

/* codec.c */
const struct codec_ops *codec_find(const char *name);
/* The names of all backends, NULL-terminated. */
const char *const *codec_names(void);
int codec_parse(const char *spec, const struct codec_ops **ops, int *level, char *err, size_t errlen);
int codec_pool_create(const char *spec, struct codec_pool **out, char *err, size_t errlen);
void codec_pool_destroy(struct codec_pool *p);
int codec_compress(struct codec_pool *p, const void *src, void *dst, size_t cap);
int codec_decompress(struct codec_pool *p, const void *src, size_t len, void *dst);
void codec_cpu_online(struct codec_pool *p, unsigned cpu);
void codec_cpu_offline(struct codec_pool *p, unsigned cpu);
/* Worst-case compressed size of a page, for every backend. */
#define CODEC_MAX_OUT (PAGE_SIZE + PAGE_SIZE / 8 + 128)

/* same_filled.c */
bool codec_same_filled(const void *page, uint64_t *value);
void codec_fill_page(void *page, uint64_t value);

/* lz4.c, zstd.c, deflate.c, lzo.c */
extern const struct codec_ops codec_lz4, codec_lz4hc, codec_zstd, codec_deflate, codec_lzo;

#endif
