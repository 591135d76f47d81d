/*
 * codec.c - the compressor registry and pools of per-CPU contexts.
 *
 * A pool is one compressor at one level plus a context (backend state,
 * scratch, mutex) for every possible CPU. The rules, from the kernel's long
 * history with CPU hotplug (design-digest 2.7, race R5):
 *   - every context is allocated when the pool is created; the array is
 *     zeroed first, so a creation that fails half-way tears down exactly
 *     what was built (ctx_free is safe on a zeroed context);
 *   - a context is freed only when its pool is destroyed, never when its
 *     CPU goes offline: a thread that picked CPU n's context and then
 *     migrated, or whose CPU went away, still holds valid memory;
 *   - bringing a CPU online "prepares" its context, a no-op when it is
 *     already initialised (always, today, since creation fills every CPU);
 *   - the hot path takes the current CPU's mutex directly; exclusion comes
 *     from the mutex, not from being on that CPU;
 *   - nothing allocates while a context mutex is held: callers pass the
 *     output buffer in, so zswap allocates from zsmalloc after unlocking.
 *
 * Lock order: codec_ctx.lock is a leaf.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

static const struct codec_ops *const backends[] = {
	&codec_lz4, &codec_lz4hc, &codec_zstd, &codec_deflate, &codec_lzo,
};

static const char *const backend_names[] = {"lz4", "lz4hc", "zstd", "deflate", "lzo", NULL};

const char *const *codec_names(void) { return backend_names; }

const struct codec_ops *codec_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

/*
 * Parse "name" or "name:level" ("lz4", "zstd:3", "lz4hc:12"). Returns 0 or
 * -EINVAL with a message in err.
 */
int codec_parse(const char *spec, const struct codec_ops **ops, int *level, char *err, size_t errlen)
{
	char name[32];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);

	if (n == 0 || n >= sizeof(name)) {
		snprintf(err, errlen, "compressor '%s': empty or too long a name", spec);
		return -EINVAL;
	}
	memcpy(name, spec, n);
	name[n] = 0;
	*ops = codec_find(name);
	if (!*ops) {
		snprintf(err, errlen, "compressor '%s' is unknown (have: lz4, lz4hc, zstd, deflate, lzo)", name);
		return -EINVAL;
	}
	*level = (*ops)->default_level;
	if (!colon)
		return 0;
	char *end;
	long v = strtol(colon + 1, &end, 10);
	if (!(*ops)->has_levels || colon[1] == 0 || *end || v < (*ops)->min_level || v > (*ops)->max_level) {
		if ((*ops)->has_levels)
			snprintf(err, errlen, "compressor '%s': level '%s' is not a whole number from %d to %d",
				 name, colon + 1, (*ops)->min_level, (*ops)->max_level);
		else
			snprintf(err, errlen, "compressor '%s' takes no level", name);
		return -EINVAL;
	}
	*level = (int)v;
	return 0;
}

static void ctx_teardown(struct codec_pool *p, struct codec_ctx *c)
{
	p->ops->ctx_free(c);
	c->ready = false;
}

static int ctx_prepare(struct codec_pool *p, struct codec_ctx *c)
{
	if (c->ready)
		return 0;
	c->level = p->level;
	int err = p->ops->ctx_init(c, p->level);
	if (err) {
		ctx_teardown(p, c);
		return err;
	}
	c->ready = true;
	return 0;
}

/*
 * Create a pool for spec ("lz4", "zstd:3", ...). Returns 0, -EINVAL (bad
 * spec, message in err) or -ENOMEM (nothing is left allocated). Free with
 * codec_pool_destroy().
 */
int codec_pool_create(const char *spec, struct codec_pool **out, char *err, size_t errlen)
{
	const struct codec_ops *ops;
	int level, ret = codec_parse(spec, &ops, &level, err, errlen);

	if (ret)
		return ret;
	struct codec_pool *p = base_calloc(1, sizeof(*p));
	if (!p)
		goto nomem;
	p->ops = ops;
	p->level = level;
	snprintf(p->name, sizeof(p->name), ops->has_levels ? "%s:%d" : "%s", ops->name, level);
	p->nr_ctx = pcpu_nr_possible();
	/* Zeroed, so a partial failure below can run ctx_free on every slot. */
	p->ctx = base_aligned_alloc(CACHE_LINE, p->nr_ctx * sizeof(*p->ctx));
	if (!p->ctx) {
		base_free(p);
		goto nomem;
	}
	for (unsigned i = 0; i < p->nr_ctx; i++)
		mutex_init(&p->ctx[i].lock);
	for (unsigned i = 0; i < p->nr_ctx; i++) {
		if (ctx_prepare(p, &p->ctx[i])) {
			codec_pool_destroy(p);
			goto nomem;
		}
		codec_cpu_online(p, i);
	}
	*out = p;
	return 0;
nomem:
	snprintf(err, errlen, "compressor '%s': out of memory for its contexts", spec);
	return -ENOMEM;
}

/* Frees every context. No compress or decompress may be running. */
void codec_pool_destroy(struct codec_pool *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->nr_ctx; i++) {
		ctx_teardown(p, &p->ctx[i]);
		mutex_destroy(&p->ctx[i].lock);
	}
	base_free(p->ctx);
	base_free(p);
}

/* Hotplug "prepare": initialise the CPU's context if it is not (it always
 * is: creation fills every possible CPU). Never allocates otherwise. */
void codec_cpu_online(struct codec_pool *p, unsigned cpu)
{
	struct codec_ctx *c = &p->ctx[cpu % p->nr_ctx];

	mutex_lock(&c->lock);
	ctx_prepare(p, c); /* no-op when ready; a failure leaves it unready */
	mutex_unlock(&c->lock);
	if (cpu < 64)
		atomic_or_acq_rel(&p->online, (uint64_t)1 << cpu);
}

/* Hotplug "dead": frees nothing (R5). A thread using the context keeps
 * using it safely; the next one on another CPU picks that CPU's. */
void codec_cpu_offline(struct codec_pool *p, unsigned cpu)
{
	if (cpu < 64)
		atomic_and_acq_rel(&p->online, ~((uint64_t)1 << cpu));
}

static struct codec_ctx *ctx_get(struct codec_pool *p)
{
	struct codec_ctx *c = &p->ctx[pcpu_current() % p->nr_ctx];

	mutex_lock(&c->lock);
	return c;
}

/*
 * Compress one page into dst (cap bytes). Returns the length (> 0), -E2BIG
 * when it does not fit in cap (the page is not worth storing compressed),
 * or -EIO. Any thread; takes one context mutex; does not allocate.
 */
int codec_compress(struct codec_pool *p, const void *src, void *dst, size_t cap)
{
	struct codec_ctx *c = ctx_get(p);
	int ret = likely(c->ready) ? p->ops->compress(c, src, dst, cap) : -EIO;

	mutex_unlock(&c->lock);
	return ret;
}

/*
 * Decompress len bytes of src into the page dst. Returns 0, or -EINVAL when
 * src is corrupt or does not decode to exactly one page (dst content is
 * then undefined, never partially trusted). Any thread; does not allocate.
 */
int codec_decompress(struct codec_pool *p, const void *src, size_t len, void *dst)
{
	if (!p->ops->decompress_needs_ctx)
		return p->ops->decompress(NULL, src, len, dst);
	struct codec_ctx *c = ctx_get(p);
	int ret = likely(c->ready) ? p->ops->decompress(c, src, len, dst) : -EIO;

	mutex_unlock(&c->lock);
	return ret;
}
