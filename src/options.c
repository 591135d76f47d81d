/*
 * options.c - the table of tunables, its parser and its help (see
 * options.h). No locks: an options set belongs to whoever built it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "options.h"

#define STR(x)  #x
#define XSTR(x) STR(x)

static int check_compressor(const char *val, char *err, size_t errlen)
{
	const struct codec_ops *ops;
	int level;

	return codec_parse(val, &ops, &level, err, errlen);
}

/* name, type, default, unit, min, max, layer, help[, .check = fn or .choices = "a, b"] */
#define OPT(n, t, d, u, lo, hi, l, h, ...) \
	{.name = n, .type = t, .def = d, .unit = u, .min = lo, .max = hi, .layer = l, .help = h, __VA_ARGS__}

static const struct opt_def table[OPT__COUNT] = {
	[OPT_LIMIT] = OPT("limit", OPT_SIZE, "0", "bytes", 0, 1ull << 50, "vm",
		       "the memory budget: regions' resident pages plus the compressed pool (0: none)"),
	[OPT_POOL_IN_LIMIT] = OPT("pool_in_limit", OPT_BOOL, "on", NULL, 0, 1, "vm",
			       "the compressed pool counts against limit, as a memory cgroup charges zswap "
			       "(off: cgroup v1's behaviour; then max_pool_percent is of the machine's memory "
			       "and pages that do not compress stay in the pool as they are)"),
	[OPT_FAULT_MODE] = OPT("fault_mode", OPT_STRING, VM_DEFAULT_FAULT_MODE, NULL, 0, 0, "vm",
			    "handler (threads read faults; system calls into evicted pages work) or sigbus "
			    "(the faulting thread resolves its own fault; such system calls fail with EFAULT)",
			    .choices = "handler, sigbus"),
	[OPT_THREADS] = OPT("threads", OPT_UINT, "0", NULL, 0, 64, "vm",
			 "fault handler threads in handler mode (0: one per CPU, each pinned to it)"),
	[OPT_POLICY] = OPT("policy", OPT_STRING, "clock", NULL, 0, 0, "vm",
			"which pages leave: clock (second chance from written bits and faults, refault shadow, "
			"anti-thrash), clock-faults (the same from faults alone) or fifo",
			.choices = "clock, clock-faults, fifo"),
	[OPT_EVICT] = OPT("evict", OPT_STRING, "auto", NULL, 0, 0, "vm",
		       "how pages leave a region: move (UFFDIO_MOVE, Linux 6.8+), wp (write-protect, copy, "
		       "then zap: Linux 5.7+; no written bits for the clock) or auto (move where the kernel "
		       "has it, else wp)",
		       .choices = "auto, move, wp"),
	[OPT_WRITEBACK] = OPT("writeback", OPT_BOOL, "on", NULL, 0, 1, "vm",
			   "pages the pool cannot hold go to the swap file (off: as swapfile=none)"),
	[OPT_ZSWAP] = OPT("zswap", OPT_BOOL, "on", NULL, 0, 1, "zswap",
		       "compress swapped-out pages into a pool in front of the swap file"),
	[OPT_COMPRESSOR] = OPT("compressor", OPT_STRING, ZSWAP_DEFAULT_COMPRESSOR, NULL, 0, 0, "zswap",
			    "lz4, lz4hc[:level], zstd[:level], deflate[:level] or lzo", .check = check_compressor),
	[OPT_MAX_POOL_PERCENT] = OPT("max_pool_percent", OPT_UINT, XSTR(ZSWAP_DEFAULT_MAX_POOL_PERCENT), "%", 1, 100,
				  "zswap", "the compressed pool's limit, a percent of the memory budget"),
	[OPT_ACCEPT_THRESHOLD_PERCENT] = OPT("accept_threshold_percent", OPT_UINT,
					  XSTR(ZSWAP_DEFAULT_ACCEPT_THRESHOLD_PERCENT), "%", 1, 100, "zswap",
					  "once full, the pool takes pages again below this percent of its "
					  "limit (100: no hysteresis)"),
	[OPT_WRITEBACK_AFTER] = OPT("writeback_after", OPT_UINT, "0", "s", 0, ZSWAP_MAX_WRITEBACK_AFTER, "zswap",
				 "idle writeback: pages in the pool longer than this go to the swap file, "
				 "however empty the pool (zram's idle writeback, built in; 0: off)"),
	[OPT_RECOMPRESS_AFTER] = OPT("recompress_after", OPT_UINT, "0", "s", 0, ZSWAP_MAX_WRITEBACK_AFTER, "zswap",
				  "cold pages: entries in the pool longer than this are compressed again with "
				  "recompress_codec, in the background (zram's recompress, built in; 0: off)"),
	[OPT_RECOMPRESS_CODEC] = OPT("recompress_codec", OPT_STRING, ZSWAP_DEFAULT_RECOMPRESS_CODEC, NULL, 0, 0, "zswap",
				  "the stronger compressor of recompress_after, named as compressor",
				  .check = check_compressor),
	[OPT_DEDUP] = OPT("dedup", OPT_BOOL, "off", NULL, 0, 1, "zswap",
		       "same-page merging: pages with the same content share one compressed copy (found by "
		       "XXH3-128, confirmed byte for byte)"),
	[OPT_SHRINKER] = OPT("shrinker", OPT_BOOL, "on", NULL, 0, 1, "zswap",
			  "a background thread writes the coldest pages back when the pool is full"),
	[OPT_MAX_CHAIN] = OPT("max_chain", OPT_UINT, XSTR(ZS_DEFAULT_MAX_CHAIN), "pages", 1, ZS_MAX_CHAIN, "zsmalloc",
			   "pages per zspage at most (longer chains pack odd sizes denser)"),
	[OPT_COMPACT_THRESHOLD] = OPT("compact_threshold", OPT_UINT, XSTR(ZS_DEFAULT_COMPACT_THRESHOLD), "%", 1, 100,
				   "zsmalloc",
				   "compact when freeable pages exceed this percent of the pool (100: never)"),
	[OPT_COMPACT_MIN_PAGES] = OPT("compact_min_pages", OPT_UINT, XSTR(ZS_DEFAULT_COMPACT_MIN_PAGES), "pages", 1,
				   1u << 30, "zsmalloc", "... and at least this many pages"),
	[OPT_TRIM_INTERVAL_MS] = OPT("trim_interval_ms", OPT_UINT, XSTR(ZS_DEFAULT_TRIM_INTERVAL_MS), "ms", 0, 3600000,
				  "page", "free pool pages go back to the OS after staying free this long "
				  "(0: at once, inline in frees)"),
	[OPT_FREE_WATERMARK] = OPT("free_watermark", OPT_SIZE, XSTR(PG_DEFAULT_FREE_WATERMARK), "bytes", 0,
				1ull << 40, "page", "free pool memory kept resident before any goes back to the OS"),
	[OPT_POPULATE] = OPT("populate", OPT_BOOL, "on", NULL, 0, 1, "page",
			  "fault pool pages in a batch at a time (MADV_POPULATE_WRITE) before use, "
			  "instead of one page fault per page on first touch"),
	[OPT_SWAPFILE] = OPT("swapfile", OPT_STRING, "", NULL, 0, 0, "swap",
			  "a file or block device to swap to (empty: an unlinked 0600 file in swap_dir; "
			  "none: no swap file, the pool may fill the budget; redis://host:port;host:port: "
			  "a Redis Cluster, through the library)"),
	[OPT_SWAPFILE_SIZE] = OPT("swapfile_size", OPT_SIZE, "0", "bytes", 0, 1ull << 50, "swap",
			       "the swap file's size (0: what the workload needs; a block device: all of it)"),
	[OPT_SWAP_DIR] = OPT("swap_dir", OPT_STRING, "", NULL, 0, 0, "swap",
			  "folder of the unlinked swap file (empty: $TMPDIR, else /var/tmp)"),
	[OPT_SWAPFILE2] = OPT("swapfile2", OPT_STRING, "", NULL, 0, 0, "swap",
			   "a second swap device, used when the first is full (a priority below it): a path, "
			   "or redis://host:port;host:port for a far tier behind a local file (empty: none)"),
	[OPT_SWAPFILE2_SIZE] = OPT("swapfile2_size", OPT_SIZE, "0", "bytes", 0, 1ull << 50, "swap",
				"the second device's size (0: as swapfile_size; a Redis Cluster needs one)"),
	[OPT_SWAP_PRIORITY] = OPT("swap_priority", OPT_UINT, "0", NULL, 0, 32767, "swap",
			       "devices of higher priority fill first (swapon -p)"),
	[OPT_DIRECT] = OPT("direct", OPT_BOOL, "off", NULL, 0, 1, "swap", "O_DIRECT swap file: no page cache below"),
	[OPT_DISCARD] = OPT("discard", OPT_BOOL, "off", NULL, 0, 1, "swap",
			 "punch holes for freed slots (swapon --discard)"),
	[OPT_ENCRYPT] = OPT("encrypt", OPT_BOOL, "off", NULL, 0, 1, "swap",
			 "encrypt every page written to the swap file (AES-256-GCM, or XChaCha20-Poly1305 "
			 "without AES-NI) under a random key kept in locked memory for this run only"),
	[OPT_PAGE_CLUSTER] = OPT("page_cluster", OPT_UINT, XSTR(SWAP_DEFAULT_PAGE_CLUSTER), "log2 pages", 0,
			      SWAP_MAX_PAGE_CLUSTER, "swap",
			      "swap-in readahead of up to 2^N pages: into a region when its faults come in order "
			      "(at most 8), and into the swap cache on O_DIRECT devices (0: off)"),
	[OPT_REDIS_AUTH_FILE] = OPT("redis_auth_file", OPT_STRING, "", NULL, 0, 0, "swap",
				 "redis://: AUTH from this file's first line, 'password' or 'user password' (mode "
				 "600; empty: USWAP_REDIS_USER and USWAP_REDIS_PASSWORD from the environment)"),
	[OPT_REDIS_TIMEOUT_MS] = OPT("redis_timeout_ms", OPT_UINT, XSTR(RC_DEFAULT_TIMEOUT_MS), "ms", 10, 600000,
				  "swap", "redis://: a node that does not answer within this is down"),
	[OPT_REDIS_RETRY_MS] = OPT("redis_retry_ms", OPT_UINT, XSTR(RC_DEFAULT_RETRY_MS), "ms", 0, 3600000, "swap",
				"redis://: how long a batch keeps trying a cluster that is failing over or "
				"resharding before its pages count as failed (a write: the page stays in memory; a "
				"read: the page is lost)"),
	[OPT_REDIS_WAIT] = OPT("redis_wait", OPT_BOOL, "on", NULL, 0, 1, "swap",
			    "redis://: every page written stays in memory too until a replica has it (WAIT 1, "
			    "once per 64 pages; up to 128 pages kept), and is sent again if its master is lost "
			    "first, so a master lost loses nothing; off: no copy kept, and pages a master had "
			    "not yet passed on when it died read as errors (never wrong data)"),
	[OPT_SEED] = OPT("seed", OPT_UINT, "1", NULL, 0, UINT64_MAX, "bench", "corpus seed"),
	[OPT_CORPUS_DIR] = OPT("corpus_dir", OPT_STRING, "", NULL, 0, 0, "bench",
			    "corpus files folder (empty: $USWAP_CORPUS_DIR, else /var/tmp/uswap-corpus)"),
};

const struct opt_def *opt_def(enum opt_id id) { return &table[id]; }

int opt_lookup(const char *name)
{
	char key[64];
	size_t n = strlen(name);

	if (n >= sizeof(key))
		return -1;
	for (size_t i = 0; i <= n; i++)
		key[i] = name[i] == '-' ? '_' : (char)tolower((unsigned char)name[i]);
	for (int i = 0; i < OPT__COUNT; i++)
		if (!strcmp(table[i].name, key))
			return i;
	return -1;
}

int opt_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned shift = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	}
	if (shift && toupper((unsigned char)end[0]) == 'I' && toupper((unsigned char)end[1]) == 'B')
		end += 2;
	else if (toupper((unsigned char)*end) == 'B')
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_bool(const char *s, uint64_t *out)
{
	static const char *const yes[] = {"on", "1", "true", "yes"}, *const no[] = {"off", "0", "false", "no"};

	for (unsigned i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = 1, 0;
		if (!strcasecmp(s, no[i]))
			return *out = 0, 0;
	}
	return -EINVAL;
}

static int parse_uint(const char *s, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/* What a value of d may be, for error messages. */
static void accepted(const struct opt_def *d, char *buf, size_t len)
{
	switch (d->type) {
	case OPT_BOOL: snprintf(buf, len, "on or off"); break;
	case OPT_UINT:
		snprintf(buf, len, "a number from %llu to %llu", (unsigned long long)d->min, (unsigned long long)d->max);
		break;
	case OPT_SIZE:
		snprintf(buf, len, "a size from %llu to %llu bytes (suffixes K, M, G, T; a bare number is bytes)",
			 (unsigned long long)d->min, (unsigned long long)d->max);
		break;
	case OPT_STRING: snprintf(buf, len, "%s", d->choices ? d->choices : d->help); break;
	}
}

/* 0 if val is one of choices ("a, b, c"), else -EINVAL. */
static int check_choice(const char *choices, const char *val)
{
	size_t n = strlen(val);

	for (const char *p = choices; *p; p += strspn(p, ", ")) {
		size_t len = strcspn(p, ",");
		if (len == n && !strncmp(p, val, n))
			return 0;
		p += len;
	}
	return -EINVAL;
}

/* Parse val as d's type into *num (numbers) or check it (strings). */
static int parse_value(const struct opt_def *d, const char *val, uint64_t *num, char *err, size_t errlen)
{
	char what[200], why[160] = "";
	int ret;

	switch (d->type) {
	case OPT_BOOL: ret = parse_bool(val, num); break;
	case OPT_UINT: ret = parse_uint(val, num); break;
	case OPT_SIZE: ret = opt_parse_size(val, num); break;
	default:
		ret = d->choices ? check_choice(d->choices, val) : d->check ? d->check(val, why, sizeof(why)) : 0;
		break;
	}
	if (!ret && d->type != OPT_STRING && d->type != OPT_BOOL && (*num < d->min || *num > d->max))
		ret = -EINVAL;
	if (ret) {
		accepted(d, what, sizeof(what));
		snprintf(err, errlen, "option %s: '%s' is not valid%s%s; accepted: %s", d->name, val, *why ? ": " : "",
			 why, what);
	}
	return ret;
}

static int store(struct options *o, int id, const char *val, char *err, size_t errlen)
{
	const struct opt_def *d = &table[id];
	uint64_t num = 0;
	char *copy = NULL;

	if (parse_value(d, val, &num, err, errlen))
		return -EINVAL;
	if (d->type == OPT_STRING && !(copy = base_strdup(val))) {
		snprintf(err, errlen, "option %s: out of memory", d->name);
		return -ENOMEM;
	}
	base_free(o->v[id].str);
	o->v[id].str = copy;
	o->v[id].num = num;
	return 0;
}

void options_init(struct options *o)
{
	char err[256];

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < OPT__COUNT; i++)
		if (table[i].type != OPT_STRING && store(o, i, table[i].def, err, sizeof(err)))
			abort(); /* a default the table itself rejects: a bug in the table */
}

void options_free(struct options *o)
{
	for (int i = 0; i < OPT__COUNT; i++)
		base_free(o->v[i].str);
	memset(o, 0, sizeof(*o));
}

int options_set(struct options *o, const char *key, const char *val, char *err, size_t errlen)
{
	int id = opt_lookup(key), ret;

	if (id < 0) {
		snprintf(err, errlen, "unknown option '%s' (uswap --help-options lists them)", key);
		return -EINVAL;
	}
	ret = store(o, id, val, err, errlen);
	if (!ret)
		o->v[id].set = true;
	return ret;
}

static int copy_options(struct options *dst, const struct options *src)
{
	*dst = *src;
	for (int i = 0; i < OPT__COUNT; i++)
		if (src->v[i].str && !(dst->v[i].str = base_strdup(src->v[i].str))) {
			while (i--)
				base_free(dst->v[i].str);
			return -ENOMEM;
		}
	return 0;
}

int options_parse(struct options *o, const char *list, char *err, size_t errlen)
{
	struct options tmp;
	char *buf, *save = NULL;
	int ret = 0;

	if (!list || !*list)
		return 0;
	if (!(buf = base_strdup(list)) || copy_options(&tmp, o)) {
		base_free(buf);
		snprintf(err, errlen, "options: out of memory");
		return -ENOMEM;
	}
	for (char *kv = strtok_r(buf, ",", &save); kv && !ret; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq) {
			snprintf(err, errlen, "option '%s' has no value (write key=value)", kv);
			ret = -EINVAL;
			break;
		}
		*eq = 0;
		ret = options_set(&tmp, kv, eq + 1, err, errlen);
	}
	base_free(buf);
	if (ret) {
		options_free(&tmp);
		return ret;
	}
	options_free(o);
	*o = tmp;
	return 0;
}

int options_from_env(struct options *o, char *err, size_t errlen)
{
	char var[80], msg[256];

	for (int i = 0; i < OPT__COUNT; i++) {
		size_t n = (size_t)snprintf(var, sizeof(var), "USWAP_%s", table[i].name);
		for (size_t j = 6; j < n; j++)
			var[j] = (char)toupper((unsigned char)var[j]);
		const char *val = getenv(var);
		if (val && options_set(o, table[i].name, val, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s: %s", var, msg);
			return -EINVAL;
		}
	}
	return 0;
}

uint64_t opt_num(const struct options *o, enum opt_id id) { return o->v[id].num; }

bool opt_bool(const struct options *o, enum opt_id id) { return o->v[id].num != 0; }

const char *opt_str(const struct options *o, enum opt_id id)
{
	return o->v[id].str ? o->v[id].str : table[id].def;
}

void options_print_help(FILE *f)
{
	const char *layer = NULL;

	fprintf(f, "Options: key=value,key=value (uswap bench ... -o LIST), or the environment\n"
		   "variable USWAP_<KEY> (USWAP_MAX_POOL_PERCENT=30). Strings given with -o win\n"
		   "over the environment, which wins over the defaults. Sizes take K, M, G, T.\n");
	for (int i = 0; i < OPT__COUNT; i++) {
		const struct opt_def *d = &table[i];
		char what[200];
		if (!layer || strcmp(layer, d->layer))
			fprintf(f, "\n%s:\n", layer = d->layer);
		accepted(d, what, sizeof(what));
		fprintf(f, "  %-26s default %s%s%s\n", d->name, *d->def ? d->def : "(empty)", d->unit ? " " : "",
			d->unit ? d->unit : "");
		fprintf(f, "  %-26s %s\n", "", d->help);
		if (d->type != OPT_STRING)
			fprintf(f, "  %-26s %s\n", "", what);
	}
}

/* One troff line, escaping what troff would read as a request. */
static void man_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '-')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('\n', f);
}

void options_print_man(FILE *f)
{
	char what[200], line[400];

	for (int i = 0; i < OPT__COUNT; i++) {
		const struct opt_def *d = &table[i];
		accepted(d, what, sizeof(what));
		fprintf(f, ".TP\n.B %s\n", d->name);
		snprintf(line, sizeof(line), "(%s) %s.", d->layer, d->help);
		man_text(f, line);
		snprintf(line, sizeof(line), "Default %s%s%s%s%s.", *d->def ? d->def : "empty", d->unit ? " " : "",
			 d->unit ? d->unit : "", d->type == OPT_STRING ? "" : "; ", d->type == OPT_STRING ? "" : what);
		man_text(f, line);
	}
}

/* ------------------------------------------------------------ layers */

void options_zs_config(const struct options *o, struct zs_config *c)
{
	uint64_t trim = opt_num(o, OPT_TRIM_INTERVAL_MS);

	*c = (struct zs_config){
		.max_chain = (unsigned)opt_num(o, OPT_MAX_CHAIN),
		.compact_threshold = (unsigned)opt_num(o, OPT_COMPACT_THRESHOLD),
		.compact_min_pages = opt_num(o, OPT_COMPACT_MIN_PAGES),
		.trim_interval_ms = trim ? (int)trim : -1,
		.free_watermark = opt_num(o, OPT_FREE_WATERMARK),
		.no_populate = !opt_bool(o, OPT_POPULATE),
	};
}

void options_zswap_config(const struct options *o, struct zswap_config *c)
{
	*c = (struct zswap_config){
		.compressor = opt_str(o, OPT_COMPRESSOR),
		.max_pool_percent = (unsigned)opt_num(o, OPT_MAX_POOL_PERCENT),
		.accept_threshold_percent = (unsigned)opt_num(o, OPT_ACCEPT_THRESHOLD_PERCENT),
		.disabled = !opt_bool(o, OPT_ZSWAP),
		.no_shrink_worker = !opt_bool(o, OPT_SHRINKER),
		.writeback_after = (unsigned)opt_num(o, OPT_WRITEBACK_AFTER),
		.recompress_after = (unsigned)opt_num(o, OPT_RECOMPRESS_AFTER),
		.dedup = opt_bool(o, OPT_DEDUP),
	};
	if (c->recompress_after)
		c->recompress_codec = opt_str(o, OPT_RECOMPRESS_CODEC);
	options_zs_config(o, &c->zs);
}

void options_backing_config(const struct options *o, struct swap_backing_config *c)
{
	const char *path = opt_str(o, OPT_SWAPFILE), *dir = opt_str(o, OPT_SWAP_DIR);

	*c = (struct swap_backing_config){
		.path = *path ? path : NULL,
		.dir = *dir ? dir : NULL,
		.size = opt_num(o, OPT_SWAPFILE_SIZE),
		.priority = (int)opt_num(o, OPT_SWAP_PRIORITY),
		.direct = opt_bool(o, OPT_DIRECT),
		.discard = opt_bool(o, OPT_DISCARD),
		.encrypt = opt_bool(o, OPT_ENCRYPT),
		.remote = {.auth_file = opt_str(o, OPT_REDIS_AUTH_FILE),
			   .timeout_ms = (unsigned)opt_num(o, OPT_REDIS_TIMEOUT_MS),
			   .retry_ms = (unsigned)opt_num(o, OPT_REDIS_RETRY_MS),
			   .no_wait = !opt_bool(o, OPT_REDIS_WAIT)},
	};
}

static enum vm_evict evict_of(const char *name)
{
	return !strcmp(name, "move") ? EVICT_MOVE : !strcmp(name, "wp") ? EVICT_WP : EVICT_AUTO;
}

static enum vm_policy policy_of(const char *name)
{
	return !strcmp(name, "fifo") ? POLICY_FIFO : !strcmp(name, "clock-faults") ? POLICY_CLOCK_FAULTS : POLICY_CLOCK;
}

void options_vm_config(const struct options *o, struct vm_config *c)
{
	*c = (struct vm_config){
		.limit = opt_num(o, OPT_LIMIT),
		.pool_in_limit = opt_bool(o, OPT_POOL_IN_LIMIT),
		.mode = strcmp(opt_str(o, OPT_FAULT_MODE), "sigbus") ? FAULT_HANDLER : FAULT_SIGBUS,
		.policy = policy_of(opt_str(o, OPT_POLICY)),
		.evict = evict_of(opt_str(o, OPT_EVICT)),
		.threads = (unsigned)opt_num(o, OPT_THREADS),
		.ra_max = (unsigned)MIN(1ull << opt_num(o, OPT_PAGE_CLUSTER), VM_RA_MAX),
	};
}

/* The second device (swapfile2): as the first, one priority below it.
 * false when there is none. */
bool options_backing2_config(const struct options *o, struct swap_backing_config *c)
{
	const char *path = opt_str(o, OPT_SWAPFILE2);

	options_backing_config(o, c);
	c->path = path;
	c->size = opt_num(o, OPT_SWAPFILE2_SIZE) ? opt_num(o, OPT_SWAPFILE2_SIZE) : c->size;
	c->priority--;
	return *path && !options_no_swapfile(o);
}

bool options_no_swapfile(const struct options *o)
{
	return !strcmp(opt_str(o, OPT_SWAPFILE), "none") || !opt_bool(o, OPT_WRITEBACK);
}
