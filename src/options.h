/*
 * options.h - the one table of uswap's tunables (mimalloc's options.c is
 * the model): every option has a name, a type, a default, a unit, bounds
 * and a line of help. The table is read from "key=value,key=value" strings
 * and from USWAP_<NAME> environment variables, and it fills the layers'
 * configs (the layers keep their defaults as macros in their headers, and
 * the table's defaults are those macros: one source for each default).
 *
 * Precedence: the table's default, then the environment, then strings
 * given to options_parse() in the order they are given.
 *
 * This file sits above every layer (next to the facade, src/uswap.c):
 * it may include any layer's header; no layer includes it.
 */
#ifndef USWAP_OPTIONS_H
#define USWAP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "page/page.h"
#include "swap/swap.h"
#include "vm/vm.h"
#include "zsmalloc/zsmalloc.h"
#include "zswap/zswap.h"

enum opt_id {
	/* vm/ */
	OPT_LIMIT,                    /* the memory budget */
	OPT_POOL_IN_LIMIT,
	OPT_FAULT_MODE,
	OPT_THREADS,
	OPT_POLICY,
	OPT_EVICT,
	OPT_WRITEBACK_AFTER,
	OPT_RECOMPRESS_AFTER,
	OPT_RECOMPRESS_CODEC,
	OPT_DEDUP,
	OPT_WRITEBACK,
	/* zswap/ */
	OPT_ZSWAP,                    /* zswap in front of the swap devices */
	OPT_COMPRESSOR,
	OPT_MAX_POOL_PERCENT,
	OPT_ACCEPT_THRESHOLD_PERCENT,
	OPT_SHRINKER,                 /* background writeback when the pool is full */
	/* zsmalloc/ */
	OPT_MAX_CHAIN,
	OPT_COMPACT_THRESHOLD,
	OPT_COMPACT_MIN_PAGES,
	/* page/ */
	OPT_TRIM_INTERVAL_MS,
	OPT_FREE_WATERMARK,
	OPT_POPULATE,
	/* swap/ */
	OPT_SWAPFILE,
	OPT_SWAPFILE_SIZE,
	OPT_SWAP_DIR,
	OPT_SWAPFILE2,
	OPT_SWAPFILE2_SIZE,
	OPT_SWAP_PRIORITY,
	OPT_DIRECT,
	OPT_DISCARD,
	OPT_ENCRYPT,
	OPT_PAGE_CLUSTER,
	OPT_REDIS_AUTH_FILE,
	OPT_REDIS_TIMEOUT_MS,
	OPT_REDIS_RETRY_MS,
	OPT_REDIS_WAIT,
	/* benchmarks */
	OPT_SEED,
	OPT_CORPUS_DIR,
	OPT__COUNT
};

enum opt_type { OPT_BOOL, OPT_UINT, OPT_SIZE, OPT_STRING };

struct opt_def {
	const char *name;    /* key in strings; USWAP_<NAME> in the environment */
	enum opt_type type;
	const char *def;     /* the default, as text (parsed like a value) */
	const char *unit;    /* for help: "%", "ms", "bytes", "pages", ... or NULL */
	uint64_t min, max;   /* bounds of UINT and SIZE values */
	const char *layer;   /* the layer it tunes, for help */
	const char *help;
	/* STRING values: NULL or a check that returns 0 or -EINVAL with a
	 * message naming the accepted values in err; or choices, the only
	 * values accepted ("a, b, c"). */
	int (*check)(const char *val, char *err, size_t errlen);
	const char *choices;
};

struct options {
	struct {
		uint64_t num;    /* BOOL, UINT, SIZE */
		char *str;       /* STRING: owned copy */
		bool set;        /* given by the environment or a string */
	} v[OPT__COUNT];
};

const struct opt_def *opt_def(enum opt_id id);
/* The option named name (also accepts '-' for '_'); -1 if none. */
int opt_lookup(const char *name);

/* Defaults only, then the environment (options_from_env). */
void options_init(struct options *o);
void options_free(struct options *o);
int options_from_env(struct options *o, char *err, size_t errlen);
/* One key and its value. 0, or -EINVAL with a message in err naming the
 * key and the accepted values; o is unchanged on error. */
int options_set(struct options *o, const char *key, const char *val, char *err, size_t errlen);
/* "key=value,key=value" (NULL or "" sets nothing). All or nothing: on
 * error o is unchanged. */
int options_parse(struct options *o, const char *list, char *err, size_t errlen);

uint64_t opt_num(const struct options *o, enum opt_id id);
bool opt_bool(const struct options *o, enum opt_id id);
const char *opt_str(const struct options *o, enum opt_id id); /* "" when empty */

/* The table as text (`uswap --help-options`) or as a man-page section. */
void options_print_help(FILE *f);
void options_print_man(FILE *f);

/* Sizes: a number with an optional K, M, G or T suffix (binary units, an
 * optional "iB" or "B" after it); a bare number is bytes. 0 or -EINVAL. */
int opt_parse_size(const char *s, uint64_t *out);

/* The layers' configs from the table. */
void options_zs_config(const struct options *o, struct zs_config *c);
void options_zswap_config(const struct options *o, struct zswap_config *c);
void options_backing_config(const struct options *o, struct swap_backing_config *c);
bool options_backing2_config(const struct options *o, struct swap_backing_config *c); /* false: none */
void options_vm_config(const struct options *o, struct vm_config *c);
/* swapfile=none or writeback=off: pages stay in the pool, no file. */
bool options_no_swapfile(const struct options *o);

#endif
