/*
 * swap.h - swap/: swap entries and their slots, the swap cache.
 *
 * A swap entry is a virtual id (the kernel's long-wished "virtual swap
 * space"): it names a swapped-out page wherever its content lives (zswap,
 * a backing file, in transit), and a slot in a backing file is bound to it
 * only when the page is actually written there. The entry's state is the
 * kernel's swap_map byte, widened: a reference count and HAS_CACHE, which
 * here is the entry's claim (one holder owns its I/O and state at a time);
 * only readahead puts pages in the swap cache.
 *
 * Two levels: swap_count_* and swapcache_* work on an entry's count word
 * alone (swap/ itself, and tests of it); swap_sys_* and swap_out/swap_in
 * are what the layers above call.
 */
#ifndef USWAP_SWAP_H
#define USWAP_SWAP_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

#include "base/base.h"
#include "zswap/zswap.h"

#define SWAP_CLUSTER 512 /* entries per cluster */
#define SWAP_DEFAULT_PAGE_CLUSTER 3 /* readahead of 2^3 pages, the kernel's default */
#define SWAP_MAX_PAGE_CLUSTER     8 /* 2^8 pages on a miss at most */

struct swap_space;

/* Called when an entry is freed (count 0 and no cache): zswap invalidate,
 * backing slot release, metadata. Runs before the entry can be reused. */
typedef void (*swap_free_fn)(void *arg, swp_entry_t e);

struct swap_space_config {
	uint64_t max_entries;  /* virtual entries at most; 0 = 1 << 26 */
	unsigned type;         /* the swp_entry type of this space, < MAX_SWAPFILES */
	swap_free_fn on_free;
	void *on_free_arg;
	size_t priv_size;      /* bytes per entry kept for the owner (swap_entry_priv) */
};

struct swap_space_stats {
	uint64_t inuse;        /* allocated entries */
	uint64_t clusters;     /* clusters with a descriptor */
	uint64_t alloc_fail;
};

/* swapfile.c */
int swap_space_create(const struct swap_space_config *cfg, struct swap_space **out);
void swap_space_destroy(struct swap_space *s);
int swap_alloc(struct swap_space *s, swp_entry_t *out);
int swap_count_dup(struct swap_space *s, swp_entry_t e);
void swap_count_put(struct swap_space *s, swp_entry_t e);
int swapcache_prepare(struct swap_space *s, swp_entry_t e);
void swapcache_clear(struct swap_space *s, swp_entry_t e);
void swap_count_put_clear(struct swap_space *s, swp_entry_t e);
unsigned swap_count(struct swap_space *s, swp_entry_t e);
bool swap_has_cache(struct swap_space *s, swp_entry_t e);
void swap_space_stats(struct swap_space *s, struct swap_space_stats *st);
void *swap_entry_priv(struct swap_space *s, swp_entry_t e);
uint64_t swap_space_extent(struct swap_space *s);
int swap_space_validate(struct swap_space *s); /* 0 or -EUCLEAN (tests, debug builds) */

/* swap_cache.c: entry -> page for pages read ahead, each holding its
 * entry's claim until taken out (other I/O works under the claim alone). */
struct swap_cache;

struct swap_page {
	mutex_t lock;               /* the page lock: its holder owns the slot's I/O and state */
	_Atomic uint64_t entry;     /* entry it caches (0 = none); set and cleared under lock */
	_Atomic bool uptodate;      /* data holds the entry's content */
	_Atomic long ref;           /* atomic: the cache's reference + one per user */
	unsigned char *data;        /* PAGE_SIZE bytes, page-aligned */
	struct swap_page *next_free; /* cache.free_lock */
};

int swap_cache_create(struct swap_cache **out);
void swap_cache_destroy(struct swap_cache *c);
struct swap_page *swap_page_alloc(struct swap_cache *c);
void swap_page_put(struct swap_cache *c, struct swap_page *p);
int swap_cache_add(struct swap_cache *c, swp_entry_t e, struct swap_page *p);
void swap_cache_del(struct swap_cache *c, struct swap_page *p);
struct swap_page *swap_cache_lookup(struct swap_cache *c, swp_entry_t e);
bool swap_page_lock_valid(struct swap_page *p, swp_entry_t e);
uint64_t swap_cache_pages(struct swap_cache *c);

/* seal.c: what a page on a device must match when it is read back: its
 * checksum, or with a cipher (encryption at rest) its nonce and tag. */
struct swap_seal {
	uint64_t sum;              /* the XXH3 checksum; with a cipher, the nonce */
	unsigned char tag[16];     /* with a cipher: the authentication tag */
};
struct swap_cipher;

int swap_cipher_create(struct swap_cipher **out, char *err, size_t errlen);
void swap_cipher_destroy(struct swap_cipher *c);
const char *swap_cipher_name(const struct swap_cipher *c); /* "none" for NULL */
const void *swap_seal_page(struct swap_cipher *c, uint64_t slot, const void *page, void *out,
			   struct swap_seal *seal);
void swap_seal_checksum(struct swap_cipher *c, const void *page, struct swap_seal *seal);
int swap_seal_open(struct swap_cipher *c, uint64_t slot, void *page, const struct swap_seal *seal);
void swap_seal_buf(struct swap_cipher *c, uint64_t slot, const void *in, size_t len, void *out,
		   struct swap_seal *seal);
int swap_seal_open_buf(struct swap_cipher *c, uint64_t slot, void *buf, size_t len, const struct swap_seal *seal);
uint64_t swap_checksum(const void *page);

/* backing.c: a backing file (or block device) of page slots, I/O through
 * io_uring, each page sealed (seal.c). */
struct swap_backing;

/* How a "redis://" device or tool reaches its cluster (the redis_* options). */
struct rc_url_opts {
	const char *auth_file;      /* "password" or "user password" on its first line; NULL or
				       "": USWAP_REDIS_USER and USWAP_REDIS_PASSWORD */
	unsigned timeout_ms;        /* 0: RC_DEFAULT_TIMEOUT_MS */
	unsigned retry_ms;          /* 0: RC_DEFAULT_RETRY_MS */
	bool no_wait;               /* writes do not wait for a replica (redis_wait=off) */
};

#define RC_DEFAULT_TIMEOUT_MS 1000
#define RC_DEFAULT_RETRY_MS   15000

struct swap_backing_config {
	const char *path;      /* a file to create/use or a block device; NULL: an unlinked
				  0600 file in dir */
	const char *dir;       /* for NULL path; default $TMPDIR or /var/tmp */
	uint64_t size;         /* bytes, rounded down to pages; a block device: at most
				  this much, 0 = all of it */
	int priority;          /* higher is used first (swapon -p) */
	bool direct;           /* O_DIRECT */
	bool discard;          /* punch holes for freed slots (swapon --discard); off: a
				  freed slot is reusable at once and keeps its blocks */
	bool encrypt;          /* encryption at rest: only ciphertext reaches the store */
	struct rc_url_opts remote; /* redis:// */
};

enum backing_op { BACKING_READ, BACKING_WRITE };

int swap_backing_open(const struct swap_backing_config *cfg, struct swap_backing **out, char *err, size_t errlen);
void swap_backing_close(struct swap_backing *b);
int64_t swap_backing_alloc(struct swap_backing *b);
void swap_backing_free(struct swap_backing *b, uint64_t slot);
void swap_backing_flush(struct swap_backing *b);
int swap_backing_write(struct swap_backing *b, uint64_t slot, const void *page, struct swap_seal *seal);
int swap_backing_read(struct swap_backing *b, uint64_t slot, void *page, const struct swap_seal *seal);
void swap_backing_readv(struct swap_backing *b, const uint64_t *slots, void **pages, int n, int *res,
			const struct swap_seal *seal);
/* n pages to n slots, submitted together; res[i] = 0 or -errno, seal[i]
 * what a read of each page must match. */
#define SWAP_WRITE_BATCH 64
void swap_backing_writev(struct swap_backing *b, const uint64_t *slots, void *const *pages,
			 const struct zswap_obj *objs, int n, int *res, struct swap_seal *seal);
void swap_backing_inject(struct swap_backing *b, enum backing_op op, int err, long nth);
uint64_t swap_backing_slots(struct swap_backing *b);
const char *swap_backing_name(struct swap_backing *b); /* path, or "(unlinked file)" */
bool swap_backing_is_device(struct swap_backing *b);
const char *swap_backing_type(struct swap_backing *b); /* "file", "partition" or "redis" */
bool swap_backing_is_direct(struct swap_backing *b);
bool swap_backing_wants_readahead(struct swap_backing *b); /* no page cache below reads ahead (O_DIRECT, remote): uswap does */
uint64_t swap_backing_inuse(struct swap_backing *b);
int swap_backing_priority(struct swap_backing *b);
const char *swap_backing_cipher(struct swap_backing *b); /* "none", "aes-256-gcm", ... */
void swap_backing_state(struct swap_backing *b, char *buf, size_t len); /* "ok", or what is down */
uint64_t swap_backing_remote_id(struct swap_backing *b); /* a cluster device's instance id, else 0 */

/* backing_redis.c: a backing store whose slots are keys on a Redis Cluster
 * (a path "redis://host:port[,host:port...]"), used by backing.c. */
struct redis_dev;
bool swap_backing_is_remote_path(const char *path);
int redis_dev_open(const char *url, const struct rc_url_opts *o, struct redis_dev **out, char *err, size_t errlen);
void redis_dev_state(struct redis_dev *d, char *buf, size_t len);
int redis_remote_gc(const char *url, const struct rc_url_opts *o, bool dry_run, FILE *report, char *err,
		    size_t errlen);
int redis_remote_drop(const char *url, const struct rc_url_opts *o, const uint64_t *ids, size_t n, char *err,
		      size_t errlen);
uint64_t redis_dev_instance(struct redis_dev *d);
void redis_dev_close(struct redis_dev *d, const uint64_t *map, uint64_t nr_slots);
void redis_dev_io(struct redis_dev *d, enum backing_op op, const uint64_t *slots, void **pages,
		  const struct zswap_obj *objs, struct swap_seal *seal, int n, int *res);
void redis_dev_set_cipher(struct redis_dev *d, struct swap_cipher *c);
bool redis_obj_fits(const struct zswap_obj *o);
#define REDIS_OPENED 1 /* redis_dev_io's res: a read already opened and checked (a sealed object) */
int redis_dev_unlink(struct redis_dev *d, const uint64_t *slots, int n);
void redis_dev_sync(struct redis_dev *d);
uint64_t redis_dev_resent(struct redis_dev *d);
uint64_t redis_dev_objects(struct redis_dev *d);

struct swap_backing_stats {
	uint64_t reads, writes, read_errors, write_errors, csum_errors, discards, discard_errors;
	uint64_t resent;            /* a cluster's: pages sent again, their master's connection
				       lost before a replica acknowledged them */
	uint64_t objects;           /* a cluster's: pages that went as zswap's compressed copy */
};
void swap_backing_stats(struct swap_backing *b, struct swap_backing_stats *st);

/* swap.c, page_io.c, swap_device.c, swap_readahead.c: the swap system:
 * entries + swap cache + zswap + devices. */
#define SWAP_MAX_DEVICES 8
#define SWAP_TAGS_MAX    256 /* bytes of caller metadata per entry (MTE-like tags) */

struct swap_sys;

enum swapin_from { SWAPIN_NONE, SWAPIN_CACHE, SWAPIN_ZSWAP, SWAPIN_DISK };

struct swap_sys_stats {
	uint64_t pswpin, pswpout, swapout_fail, io_errors, csum_errors, inuse, swap_ra, swap_ra_hit;
	uint64_t unuse_to_memory;  /* pages swapoff handed back to their owner */
	unsigned nr_devices;
	struct {
		int priority;
		uint64_t size_pages, inuse_pages;
		bool writeok;
		char name[64];      /* path, or "(unlinked file)" */
	} dev[SWAP_MAX_DEVICES];
};

int swap_sys_create(struct zswap *z, uint64_t max_entries, struct swap_sys **out);
void swap_sys_destroy(struct swap_sys *s);
int swap_sys_swapon(struct swap_sys *s, struct swap_backing *b);
int swap_sys_swapoff(struct swap_sys *s, struct swap_backing *b);
/*
 * swapoff's way back into memory (the kernel's unuse_pte): the owner puts
 * page (and its tags) in every place that references e, drops those
 * references with swap_sys_free and returns 0; or declines (-errno) and
 * swapoff moves the page into zswap or onto another device instead, as it
 * does for references left behind. Runs with e claimed: it must not wait
 * for anything that may be waiting for e (a swap-in of e holding a lock
 * the callback wants): trylock, and return -EAGAIN when busy: swapoff
 * drops the claim, lets the owner finish and offers e again (if it is
 * still there). Set before any swapoff runs.
 */
typedef int (*swap_unuse_fn)(void *arg, swp_entry_t e, const void *page, const void *tags, size_t tags_len);
void swap_sys_set_unuse(struct swap_sys *s, swap_unuse_fn fn, void *arg);
int swap_out(struct swap_sys *s, const void *page, const void *tags, size_t tags_len, struct zswap_group *g,
	     swp_entry_t *out);
int swap_in(struct swap_sys *s, swp_entry_t e, void *page, void *tags, size_t *tags_len, enum swapin_from *from);
void swap_in_done(struct swap_sys *s, swp_entry_t e, enum swapin_from from, bool installed);
int swap_sys_duplicate(struct swap_sys *s, swp_entry_t e);
void swap_sys_free(struct swap_sys *s, swp_entry_t e);
void swap_sys_stats(struct swap_sys *s, struct swap_sys_stats *st);
int swap_sys_set_page_cluster(struct swap_sys *s, unsigned n);
void swap_sys_ra_drain(struct swap_sys *s); /* wait for the readahead worker to go idle */
/* The devices as /proc/swaps lists them (Filename Type Size Used Priority,
 * sizes in KiB), into buf; returns the length (snprintf's). */
int swap_sys_format_swaps(struct swap_sys *s, char *buf, size_t len);

#endif
