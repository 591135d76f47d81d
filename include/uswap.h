/*
 * uswap.h - public API of uswap, user-space compressed swap.
 *
 * Conventions (liburing's): calls returning int return 0 or a negative
 * errno and never set errno; results come back through out-parameters.
 * Calls returning a pointer return NULL and set errno, as mmap and malloc
 * do. Every failure also leaves a message for uswap_strerror().
 * Everything not declared here is internal and not exported by the shared
 * library.
 *
 * A uswap instance (uswap_open) hands out regions (uswap_alloc): memory
 * that behaves like anonymous memory, kept under a resident budget
 * (limit=): cold pages are compressed into a pool (zswap over zsmalloc)
 * and, when the pool is full, written to a swap file. Faults on evicted
 * pages are served through userfaultfd, in one of two modes:
 *
 *   fault_mode=handler  threads read the faults (the default). A system
 *                       call that reads or writes an evicted page (read(),
 *                       write(), recv(), ...) works: its fault is served.
 *                       Needs a userfaultfd that serves kernel faults
 *                       (root, CAP_SYS_PTRACE, vm.unprivileged_userfaultfd=1
 *                       or access to /dev/userfaultfd).
 *   fault_mode=sigbus   the faulting thread resolves its own fault in a
 *                       SIGBUS handler: no thread wake-up. A system call
 *                       that touches an evicted page fails with EFAULT
 *                       instead: touch a buffer (one byte a page) before
 *                       passing it to the kernel. Addresses that are not
 *                       uswap's go to the program's own SIGBUS handler.
 *                       Works with user-mode-only userfaultfd.
 *
 * Lost data is never silent: a page whose swapped copy is corrupt or
 * unreadable raises SIGBUS when touched, never reads as zero or stale.
 * A range dropped with madvise(MADV_DONTNEED) reads as zero afterwards.
 * MADV_FREE: the pages leave the budget, and those the program writes
 * again count again (lazyfree_adopted) within a tick (100 ms), where the
 * kernel has written bits (Linux 6.7+); a page written again before uswap
 * has applied the madvise's event (microseconds) counts once it is
 * written again after that; a page only read stays uncounted (the kernel
 * may still free it).
 * Threads: every call is thread-safe; uswap_close and uswap_free need that
 * no thread touches the memory they release.
 */
#ifndef USWAP_H
#define USWAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define USWAP_VERSION_MAJOR 0
#define USWAP_VERSION_MINOR 1
#define USWAP_VERSION_PATCH 0

/*
 * uswap_version - the version of the library actually loaded, "0.1.0".
 * Compare with the USWAP_VERSION_* macros to detect a header/library
 * mismatch. Never fails; the string is static.
 */
const char *uswap_version(void);

/*
 * uswap_compressors - the compressor names this build supports, as a
 * NULL-terminated static array: "lz4" (the default), "lz4hc", "zstd",
 * "deflate", "lzo". A name may carry a level: "zstd:3", "lz4hc:12".
 */
const char *const *uswap_compressors(void);

/*
 * uswap_compressor_check - is spec ("lz4", "zstd:3", ...) a valid
 * compressor choice? Returns 0, or -EINVAL.
 */
int uswap_compressor_check(const char *spec);

typedef struct uswap uswap_t;

/*
 * uswap_open - a new instance. options: "key=value,key=value" (NULL or ""
 * for the defaults; `uswap --help-options` lists every key), after the
 * USWAP_<KEY> environment variables. Keys for regions: limit (budget,
 * K/M/G suffixes, 0 = none), pool_in_limit, compressor,
 * max_pool_percent, accept_threshold_percent, swapfile (a path, empty for
 * an unlinked 0600 file in $TMPDIR or /var/tmp, "none", or
 * "redis://host:port;host:port" for a Redis Cluster, which needs
 * swapfile_size), swapfile_size, swapfile2 and swapfile2_size (a second
 * device used when the first is full: a local file first, a cluster
 * behind it), writeback, fault_mode (handler|sigbus), threads, policy
 * (clock|fifo), page_cluster; for a cluster redis_auth_file,
 * redis_timeout_ms, redis_retry_ms, redis_wait (AUTH otherwise from
 * USWAP_REDIS_USER and USWAP_REDIS_PASSWORD). uswap_close removes every
 * key of the instance from the cluster; a process that ends without it
 * leaves them under a lease for `uswap remote-gc`.
 * NULL with errno: EINVAL (an unknown key or bad value:
 * the message names the key and what it accepts), EPERM (userfaultfd not
 * permitted: the message says which way to permit it applies here),
 * ENOSYS, ENOMEM, or the swap file's error.
 */
uswap_t *uswap_open(const char *options);
/* uswap_close - free every region and everything else, remove the swap
 * file. No thread may touch a region any more. NULL is a no-op. */
void uswap_close(uswap_t *u);
/* uswap_strerror - this thread's last error message ("" if none). */
const char *uswap_strerror(void);
/* uswap_alloc - a region of len bytes (rounded up to pages),
 * page-aligned, reading as zero. NULL with errno EINVAL (len 0), ENOMEM,
 * ENOSPC (too many regions). */
void *uswap_alloc(uswap_t *u, size_t len);
/* uswap_free - free the region that starts at addr (its pages and their
 * swapped copies). 0 or -EINVAL (addr starts no region). */
int uswap_free(uswap_t *u, void *addr);
/* uswap_pageout - evict the resident pages of [addr, addr + len) now
 * (MADV_PAGEOUT). Pages busy at the time stay. 0 or -EINVAL (not in a
 * region). */
int uswap_pageout(uswap_t *u, void *addr, size_t len);
/* uswap_reclaim - proactive reclaim: evict about bytes of the coldest
 * pages. Returns the bytes reclaimed (resident bytes given up), or
 * -errno. */
long long uswap_reclaim(uswap_t *u, size_t bytes);
/* uswap_set_limit - a new budget (0 = none); reclaim starts at once when
 * over. 0 or -EINVAL (below the smallest budget, 4 MiB). */
int uswap_set_limit(uswap_t *u, size_t bytes);
/*
 * uswap_swapoff - stop using the swap file (to free its disk, say): every
 * page written there comes back, into its region while the budget has
 * room (as the kernel's swapoff brings pages into memory), else into the
 * compressed pool; then the file is closed (removed when uswap made it).
 * From then on the instance runs as with swapfile=none: the pool may fill
 * the budget (unless max_pool_percent was given) and a full budget is
 * overrun rather than data lost. Faults and evictions go on meanwhile.
 * 0, or -ENODEV (no swap file), -EBUSY (another thread is in it), -ENOSPC (no room for the file's pages
 * under the budget and in the pool: the file stays in use, nothing is
 * lost; raise the limit and call again), -EIO (a page cannot be read
 * back: the file stays in use), -ENOMEM.
 */
int uswap_swapoff(uswap_t *u);
/*
 * uswap_stat - one statistic by name. 0, or -ENOENT (no such name).
 * vm: resident_bytes, resident_hwm, limit, faults, major_faults (content
 * came from zswap or the swap file), minor_faults (the swap cache),
 * zero_faults, swapins, swapouts, refaults (faulted back within a
 * budget's worth of evictions), evict_fail, poisoned, direct_reclaims,
 * budget_overruns, fault_p50_ns, fault_p99_ns, fault_max_ns,
 * readahead_pages (swapped pages installed along with a fault that came
 * in order, up to 2^page_cluster at a time), evict_refused (eviction
 * batches the kernel refused to move, e.g. mlock'ed pages not pinned
 * through uswap), evict_misreports (pages whose UFFDIO_MOVE result
 * disagreed with what the parking range then held; uswap goes by the
 * latter), zero_refills (resident pages
 * found missing and refilled with zeros; MADV_DONTNEED and MADV_FREE come
 * as events first, so a count here means a bug), lazyfree_adopted (pages
 * MADV_FREE left in place that the program wrote again, counted as
 * resident again), written_bits (1 when the
 * replacement policy sees which pages the program wrote: policy=clock on
 * Linux 6.7+, through UFFD_FEATURE_WP_ASYNC and PAGEMAP_SCAN),
 * written_refs (resident pages the clock kept for another pass because
 * they were written since it last passed), evict_wp (1 when pages leave
 * by write-protect and zap, evict=wp or a kernel without UFFDIO_MOVE; 0:
 * by UFFDIO_MOVE).
 * zswap (the kernel's names): pool_total_size, stored_pages,
 * written_back_pages, pool_limit_hit, reject_compress_poor, ...; and
 * written_back_idle (of written_back_pages, those written back for their
 * age, writeback_after).
 * swap: pswpin, pswpout, swap_ra, swap_ra_hit, ...
 * `uswap_stats_print` lists them all.
 */
int uswap_stat(uswap_t *u, const char *name, uint64_t *value);
/* uswap_stats_print - every statistic, "name value" lines or (json) one
 * JSON object. 0 or -EIO (the stream failed). */
int uswap_stats_print(uswap_t *u, FILE *f, int json);

#ifdef __cplusplus
}
#endif

#endif
