/*
 * uswap.c - the public facade: thin, validated entry points over the
 * layers, the options string, the statistics by name. Only functions
 * defined here are exported (src/uswap.map).
 *
 * An instance stacks the layers: zswap (unless zswap=off) over zsmalloc,
 * a swap system over it, a swap file (unless swapfile=none), and the vm
 * on top. No locks of its own: each layer guards itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "uswap.h"
#include "uswap_debug.h"
#include "uswap_internal.h"

#include "codec/codec.h"
#include "options.h"

#define API __attribute__((visibility("default")))

#define DEFAULT_SWAPFILE_SIZE (64ull << 30) /* sparse: blocks are used only as pages are written */

struct uswap {
	struct options opt;
	struct zswap *z;
	struct swap_sys *swap;
	struct swap_backing *backing; /* NULL after uswap_swapoff (swapoff_busy) */
	struct swap_backing *backing2; /* swapfile2, below backing: NULL if none */
	struct vm *vm;
	_Atomic bool swapoff_busy;    /* atomic: a uswap_swapoff is running */
};

static _Thread_local char last_error[512];

int uswap_debug_validate(uswap_t *u, char *err, size_t errlen)
{
	return vm_validate(u->vm, err, errlen);
}

int uswap_debug_inject_io(uswap_t *u, int write, int err, long nth)
{
	if (!u->backing)
		return -ENODEV;
	swap_backing_inject(u->backing, write ? BACKING_WRITE : BACKING_READ, err, nth);
	return 0;
}

static void set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

/* A failed call: the message, and the errno for pointer-returning calls. */
static int fail(int ret, const char *what, const char *msg)
{
	set_error("%s: %s", what, msg);
	return ret;
}

API const char *uswap_version(void) { return USWAP_VERSION_STRING; }

API const char *const *uswap_compressors(void) { return codec_names(); }

API int uswap_compressor_check(const char *spec)
{
	const struct codec_ops *ops;
	int level;
	char err[160];

	return spec ? codec_parse(spec, &ops, &level, err, sizeof(err)) : -22;
}

API const char *uswap_strerror(void) { return last_error; }

/* The budget zswap's max_pool_percent is a percent of: the limit when the
 * pool counts in it, else the machine's memory (the kernel's rule: its
 * cgroup v1 charges no pool either). */
static uint64_t pool_budget(const struct options *o)
{
	struct sysinfo si;

	if (opt_num(o, OPT_LIMIT) && opt_bool(o, OPT_POOL_IN_LIMIT))
		return opt_num(o, OPT_LIMIT);
	return sysinfo(&si) ? 1ull << 30 : (uint64_t)si.totalram * si.mem_unit;
}

/* Open a swap device (a sparse default size when none is given) and
 * swap on to it; 0 or -errno with err set. */
static int open_device(struct uswap *u, struct swap_backing_config *bc, struct swap_backing **b, const char *what,
		       char *err, size_t errlen)
{
	int ret;

	if (!bc->size)
		bc->size = DEFAULT_SWAPFILE_SIZE;
	if ((ret = swap_backing_open(bc, b, err, errlen)))
		return ret;
	if ((ret = swap_sys_swapon(u->swap, *b)) < 0) { /* else its index */
		snprintf(err, errlen, "swapon of %s: %s", what, strerror(-ret));
		return ret;
	}
	return 0;
}

static int open_layers(struct uswap *u, char *err, size_t errlen)
{
	struct zswap_config zc;
	struct swap_backing_config bc;
	struct vm_config vc;
	int ret;

	options_zswap_config(&u->opt, &zc);
	zc.budget = pool_budget(&u->opt);
	/* A page that does not compress costs the pool a page: worth it only
	 * when the pool is not charged to the budget (then it is the kernel's
	 * 6.18 rule: faster to read back than the file). */
	zc.keep_incompressible = !opt_bool(&u->opt, OPT_POOL_IN_LIMIT);
	if (options_no_swapfile(&u->opt) && !u->opt.v[OPT_MAX_POOL_PERCENT].set)
		zc.max_pool_percent = 100; /* no file: the pool may fill the budget, like zram */
	if ((ret = zswap_create(&zc, &u->z, err, errlen)))
		return ret;
	if ((ret = swap_sys_create(u->z, 0, &u->swap))) {
		snprintf(err, errlen, "swap: %s", strerror(-ret));
		return ret;
	}
	swap_sys_set_page_cluster(u->swap, (unsigned)opt_num(&u->opt, OPT_PAGE_CLUSTER));
	if (!options_no_swapfile(&u->opt)) {
		options_backing_config(&u->opt, &bc);
		if ((ret = open_device(u, &bc, &u->backing, "swapfile", err, errlen)))
			return ret;
	}
	if (options_backing2_config(&u->opt, &bc) &&
	    (ret = open_device(u, &bc, &u->backing2, "swapfile2", err, errlen)))
		return ret;
	options_vm_config(&u->opt, &vc);
	return vm_create(&vc, u->swap, u->z, &u->vm, err, errlen);
}

API uswap_t *uswap_open(const char *options)
{
	struct uswap *u = base_calloc(1, sizeof(*u));
	char err[400] = "";
	int ret;

	if (!u) {
		errno = fail(ENOMEM, "uswap_open", "out of memory");
		return NULL;
	}
	options_init(&u->opt);
	if ((ret = options_from_env(&u->opt, err, sizeof(err))) || (ret = options_parse(&u->opt, options, err, sizeof(err))) ||
	    (ret = open_layers(u, err, sizeof(err)))) {
		uswap_close(u);
		errno = fail(-ret, "uswap_open", err);
		return NULL;
	}
	last_error[0] = 0;
	return u;
}

API void uswap_close(uswap_t *u)
{
	if (!u)
		return;
	vm_destroy(u->vm); /* the regions first: their entries go back to swap/ */
	if (u->z)
		zswap_writeback_stop(u->z); /* its writeback calls into the swap file */
	if (u->swap && u->backing)
		swap_sys_swapoff(u->swap, u->backing);
	if (u->swap && u->backing2)
		swap_sys_swapoff(u->swap, u->backing2);
	zswap_destroy(u->z);
	swap_sys_destroy(u->swap);
	swap_backing_close(u->backing);
	swap_backing_close(u->backing2);
	options_free(&u->opt);
	base_free(u);
}

uint64_t uswap_freeze(uswap_t *u) { return vm_freeze(u->vm); }

void uswap_thaw(uswap_t *u) { vm_thaw(u->vm); }

long uswap_pin(uswap_t *u, void *addr, size_t len, int pin) { return vm_pin(u->vm, (uintptr_t)addr, len, pin); }

void uswap_share_budget(uswap_t *u, _Atomic int64_t *total, _Atomic int64_t *mine, _Atomic int64_t *peak)
{
	vm_set_share(u->vm, &(struct vm_share){total, mine, peak});
}

void uswap_share_sync(uswap_t *u) { vm_share_sync(u->vm); }

void uswap_forget(uswap_t *u)
{
	if (u->vm->uffd >= 0)
		close(u->vm->uffd);
	if (u->vm->park_uffd >= 0)
		close(u->vm->park_uffd);
	u->vm->uffd = u->vm->park_uffd = -1;
	vm_access_close(u->vm); /* it reads the parent's page tables */
	if (u->vm->cfg.mode == FAULT_SIGBUS)
		vm_sigbus_forget(u->vm);
}

uint64_t uswap_remote_instance(uswap_t *u)
{
	uint64_t id = u->backing ? swap_backing_remote_id(u->backing) : 0;

	return id ? id : u->backing2 ? swap_backing_remote_id(u->backing2) : 0;
}

int uswap_debug_swaps(uswap_t *u, char *buf, size_t len) { return swap_sys_format_swaps(u->swap, buf, len); }

int uswap_adopt(uswap_t *u, void *addr, size_t len, size_t used_len)
{
	char err[256];
	int ret = vm_region_adopt(u->vm, addr, len, used_len, err, sizeof(err));

	return ret ? fail(ret, "uswap_adopt", err) : 0;
}

API void *uswap_alloc(uswap_t *u, size_t len)
{
	char err[300];
	void *p;

	if (!u || !len) {
		errno = fail(EINVAL, "uswap_alloc", !u ? "no instance" : "length 0");
		return NULL;
	}
	int ret = vm_region_add(u->vm, len, &p, err, sizeof(err));
	if (ret) {
		errno = fail(-ret, "uswap_alloc", err);
		return NULL;
	}
	return p;
}

API int uswap_free(uswap_t *u, void *addr)
{
	char err[300];

	if (!u)
		return fail(-EINVAL, "uswap_free", "no instance");
	int ret = vm_region_remove(u->vm, addr, err, sizeof(err));
	return ret ? fail(ret, "uswap_free", err) : 0;
}

API int uswap_pageout(uswap_t *u, void *addr, size_t len)
{
	if (!u)
		return fail(-EINVAL, "uswap_pageout", "no instance");
	long n = vm_pageout(u->vm, (uintptr_t)addr, len);
	return n < 0 ? fail((int)n, "uswap_pageout", "the range is in no region of this instance") : 0;
}

API long long uswap_reclaim(uswap_t *u, size_t bytes)
{
	if (!u)
		return fail(-EINVAL, "uswap_reclaim", "no instance");
	return (long long)vm_reclaim(u->vm, (bytes + PAGE_SIZE - 1) / PAGE_SIZE) * (long long)PAGE_SIZE;
}

API int uswap_set_limit(uswap_t *u, size_t bytes)
{
	char err[300];

	if (!u)
		return fail(-EINVAL, "uswap_set_limit", "no instance");
	int ret = vm_set_limit(u->vm, bytes, err, sizeof(err));
	return ret ? fail(ret, "uswap_set_limit", err) : 0;
}

static int swapoff_file(uswap_t *u);

API int uswap_swapoff(uswap_t *u)
{
	if (!u)
		return fail(-EINVAL, "uswap_swapoff", "no instance");
	if (atomic_xchg_acq_rel(&u->swapoff_busy, true))
		return fail(-EBUSY, "uswap_swapoff", "another thread is running uswap_swapoff");
	int ret = swapoff_file(u);
	atomic_store_rel(&u->swapoff_busy, false);
	return ret;
}

/* uswap_swapoff, one thread at a time. */
static int swapoff_file(uswap_t *u)
{
	if (!u->backing)
		return fail(-ENODEV, "uswap_swapoff", "no swap file (swapfile=none, writeback=off, or swapped off)");
	if (vm_unuse_begin(u->vm))
		return fail(-ENOMEM, "uswap_swapoff", "out of memory for the map of swapped pages");
	swap_sys_set_unuse(u->swap, vm_unuse, u->vm);
	int ret = swap_sys_swapoff(u->swap, u->backing);
	swap_sys_set_unuse(u->swap, NULL, NULL);
	vm_unuse_end(u->vm);
	if (ret == -ENOSPC)
		return fail(ret, "uswap_swapoff", "no room for the swap file's pages under the budget or in the pool: "
			    "the file stays in use (raise the limit and try again)");
	if (ret)
		return fail(ret, "uswap_swapoff", "cannot bring the swap file's pages back: the file stays in use");
	swap_backing_close(u->backing);
	u->backing = NULL;
	if (u->z && !u->opt.v[OPT_MAX_POOL_PERCENT].set)
		zswap_set_max_pool_percent(u->z, 100); /* as swapfile=none: the pool may fill the budget */
	return 0;
}

/* ---------------------------------------------------------------- statistics */

struct snapshot {
	struct vm_stats vm;
	struct zswap_stats z;
	struct swap_sys_stats s;
};

#define VM_STAT(n)    {#n, offsetof(struct snapshot, vm.n)}
#define ZSWAP_STAT(n) {#n, offsetof(struct snapshot, z.n)}
#define SWAP_STAT(n)  {#n, offsetof(struct snapshot, s.n)}

static const struct stat_name {
	const char *name;
	size_t off;
} stat_names[] = {
	VM_STAT(resident_bytes), VM_STAT(resident_hwm), VM_STAT(limit), VM_STAT(faults), VM_STAT(major_faults),
	VM_STAT(minor_faults), VM_STAT(zero_faults), VM_STAT(swapins), VM_STAT(swapouts), VM_STAT(refaults),
	VM_STAT(evict_fail), VM_STAT(poisoned), VM_STAT(direct_reclaims), VM_STAT(budget_overruns),
	VM_STAT(fault_p50_ns), VM_STAT(fault_p99_ns), VM_STAT(fault_max_ns), VM_STAT(readahead_pages),
	VM_STAT(zero_refills), VM_STAT(evict_refused), VM_STAT(evict_misreports),
	VM_STAT(written_bits), VM_STAT(written_refs), VM_STAT(evict_wp), VM_STAT(lazyfree_adopted),
	ZSWAP_STAT(pool_total_size), ZSWAP_STAT(stored_pages), ZSWAP_STAT(stored_incompressible_pages),
	ZSWAP_STAT(same_filled_pages), ZSWAP_STAT(written_back_pages), ZSWAP_STAT(pool_limit_hit),
	ZSWAP_STAT(reject_reclaim_fail), ZSWAP_STAT(reject_alloc_fail), ZSWAP_STAT(reject_kmemcache_fail),
	ZSWAP_STAT(reject_compress_fail), ZSWAP_STAT(reject_compress_poor), ZSWAP_STAT(reject_group_limit),
	ZSWAP_STAT(reject_streaming), ZSWAP_STAT(decompress_fail), ZSWAP_STAT(zswpin), ZSWAP_STAT(zswpout),
	ZSWAP_STAT(zswpwb), ZSWAP_STAT(stored_bytes), ZSWAP_STAT(written_back_idle),
	ZSWAP_STAT(recompressed_pages), ZSWAP_STAT(recompress_saved_bytes), ZSWAP_STAT(dedup_pages),
	ZSWAP_STAT(dedup_saved_bytes), ZSWAP_STAT(dedup_collisions), ZSWAP_STAT(dedup_hits),
	SWAP_STAT(pswpin), SWAP_STAT(pswpout), SWAP_STAT(swapout_fail), SWAP_STAT(io_errors), SWAP_STAT(csum_errors),
	SWAP_STAT(inuse), SWAP_STAT(swap_ra), SWAP_STAT(swap_ra_hit), SWAP_STAT(unuse_to_memory),
};

static void snapshot(uswap_t *u, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	vm_stats(u->vm, &s->vm);
	if (u->z)
		zswap_stats(u->z, &s->z);
	swap_sys_stats(u->swap, &s->s);
}

static uint64_t stat_at(const struct snapshot *s, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

API int uswap_stat(uswap_t *u, const char *name, uint64_t *value)
{
	struct snapshot s;

	if (!u || !name || !value)
		return fail(-EINVAL, "uswap_stat", "no instance, name or value");
	for (size_t i = 0; i < ARRAY_SIZE(stat_names); i++) {
		if (strcmp(stat_names[i].name, name))
			continue;
		snapshot(u, &s);
		*value = stat_at(&s, stat_names[i].off);
		return 0;
	}
	set_error("uswap_stat: no statistic named '%s' (uswap_stats_print lists them)", name);
	return -ENOENT;
}

API int uswap_stats_print(uswap_t *u, FILE *f, int json)
{
	struct snapshot s;

	if (!u || !f)
		return fail(-EINVAL, "uswap_stats_print", "no instance or stream");
	snapshot(u, &s);
	if (json)
		fputc('{', f);
	for (size_t i = 0; i < ARRAY_SIZE(stat_names); i++) {
		uint64_t v = stat_at(&s, stat_names[i].off);
		if (json)
			fprintf(f, "%s\"%s\": %llu", i ? ", " : "", stat_names[i].name, (unsigned long long)v);
		else
			fprintf(f, "%-28s %llu\n", stat_names[i].name, (unsigned long long)v);
	}
	if (json)
		fputs("}\n", f);
	return ferror(f) ? fail(-EIO, "uswap_stats_print", strerror(errno)) : 0;
}
