/*
 * backing.c - a backing store of page slots: a file (created 0600 and
 * unlinked unless a path is given, so no other user can read swapped
 * memory) or a block device, written and read through io_uring.
 *
 * Slots are handed out from a bitmap (first free after a moving hint) and
 * only when a page is actually written (virtual swap entries are bound to
 * a slot then). A freed slot is free at once, its blocks kept, unless the
 * store discards (cfg->discard, as swapon --discard): then freed slots are
 * discarded by punching holes, in batches of contiguous runs (as the
 * kernel discards per cluster), and a freed slot is not handed out again
 * until its discard is done, so a late discard never hits new data.
 * Discarding costs a filesystem extent change per batch and drops the
 * page cache of those blocks; it gives the space back. Every page
 * written is sealed (seal.c): its checksum, or with encrypt=on its
 * ciphertext's tag, goes to the caller, who keeps it with the entry and
 * passes it back on read: a mismatch is -EBADMSG, never wrong data. Errors
 * can be injected per operation (the nth read or write fails with a chosen
 * errno) for the fault-injection tests.
 *
 * On a Redis Cluster, freed slots' keys are unlinked by a thread of the
 * store (the unlinker), a queue of batches at a time, so that the free
 * that completes a batch does not wait for the cluster's round trips; a
 * flush (swapoff, statistics, a full store) waits for it and unlinks the
 * rest itself.
 *
 * Lock order: ring_lock, map_lock and buf_lock are leaves (never two
 * held), but for the unlinker's worker lock, taken under map_lock to wake
 * it (worker.h: a worker's lock is taken last).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "base/worker.h"
#include "swap/redis_cluster.h"
#include "swap/swap.h"

#define RING_DEPTH 64
#define DISCARD_BATCH 64 /* freed slots punched together */
#define UNLINK_QUEUE (16 * DISCARD_BATCH) /* a cluster's freed slots awaiting the unlinker */

struct swap_backing {
	int fd;
	uint64_t nr_slots;          /* constant */
	int priority;               /* constant */
	bool is_device;             /* constant: a block device */
	bool discard;               /* constant: punch holes for freed slots */
	bool direct;                /* constant: O_DIRECT, no page cache below */
	char name[64];              /* constant: path, or "(unlinked file)" */
	mutex_t map_lock;           /* guards map, hint, inuse, pending */
	uint64_t *map;              /* bit per slot: 1 = in use or awaiting discard */
	uint64_t hint, inuse;       /* inuse excludes slots awaiting discard */
	uint64_t pending[DISCARD_BATCH]; /* freed, not yet discarded: not reusable */
	unsigned nr_pending;
	uint64_t *queue, *inflight; /* map_lock: a cluster's freed slots for the unlinker, and
				       those being unlinked (UNLINK_QUEUE each) */
	unsigned nr_queue, nr_inflight; /* map_lock */
	pthread_cond_t unlinked;    /* with map_lock: nr_inflight went back to 0 */
	struct worker unlinker;     /* a cluster's: unlinks the queue */
	bool unlink_wanted;         /* unlinker.lock */
	mutex_t ring_lock;          /* guards ring */
	struct io_uring ring;
	_Atomic long inject_nth[2]; /* atomic: per op, fail the nth from now (0 = off) */
	_Atomic int inject_err[2];
	_Atomic uint64_t reads, writes, read_errors, write_errors, csum_errors, discards, discard_errors; /* atomic */
	struct swap_cipher *cipher; /* constant: NULL = checksums, plain pages */
	struct redis_dev *remote;   /* constant: slots are keys on a Redis Cluster (no fd) */
	mutex_t buf_lock;           /* guards bufs */
	struct seal_buf *bufs;      /* free ciphertext buffers */
};

/* RING_DEPTH pages of ciphertext on their way to the device: one per
 * writer at a time, kept for the next (as many as ever wrote at once). */
struct seal_buf {
	struct seal_buf *next;
	unsigned char *pages;
};

static int open_file(const struct swap_backing_config *cfg, char *err, size_t errlen)
{
	int flags = O_RDWR | O_CLOEXEC | (cfg->direct ? O_DIRECT : 0), fd;

	if (cfg->path) {
		fd = open(cfg->path, flags | O_CREAT, 0600); /* O_CREAT is ignored for a device */
		if (fd < 0)
			snprintf(err, errlen, "backing file %s: %s", cfg->path, strerror(errno));
		return fd < 0 ? -errno : fd;
	}
	const char *dir = cfg->dir ? cfg->dir : getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/var/tmp";
	fd = open(dir, flags | O_TMPFILE, 0600); /* never has a name: nobody else can open it */
	if (fd < 0)
		snprintf(err, errlen, "backing file in %s: %s", dir, strerror(errno));
	return fd < 0 ? -errno : fd;
}

/* Size the store: a block device's own size (or less, if asked), or a
 * file truncated to cfg->size. Returns the slot count or -errno. */
static int64_t size_store(int fd, const struct swap_backing_config *cfg, bool *is_dev, char *err, size_t errlen)
{
	struct stat st;
	uint64_t bytes = cfg->size;

	if (fstat(fd, &st)) {
		snprintf(err, errlen, "backing store: %s", strerror(errno));
		return -errno;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t dev;
		*is_dev = true;
		if (ioctl(fd, BLKGETSIZE64, &dev)) {
			snprintf(err, errlen, "block device %s: cannot get its size: %s", cfg->path, strerror(errno));
			return -errno;
		}
		bytes = bytes && bytes < dev ? bytes : dev;
	} else if (bytes >= PAGE_SIZE && ftruncate(fd, (off_t)(bytes / PAGE_SIZE * PAGE_SIZE))) {
		snprintf(err, errlen, "backing file: cannot size it to %llu bytes: %s", (unsigned long long)bytes,
			 strerror(errno));
		return -errno;
	}
	if (bytes < PAGE_SIZE) {
		snprintf(err, errlen, "backing size %llu is less than a page", (unsigned long long)bytes);
		return -EINVAL;
	}
	return (int64_t)(bytes / PAGE_SIZE);
}

/* A Redis Cluster as the store (backing_redis.c): cfg->size bytes of it.
 * Returns the slot count or -errno. */
static int64_t open_remote(const struct swap_backing_config *cfg, struct redis_dev **out, char *err, size_t errlen)
{
	if (cfg->size < PAGE_SIZE) {
		snprintf(err, errlen, "redis: the device needs a size (swapfile_size)");
		return -EINVAL;
	}
	int ret = redis_dev_open(cfg->path, &cfg->remote, out, err, errlen);
	return ret ? ret : (int64_t)(cfg->size / PAGE_SIZE);
}

static void discard_all_locked(struct swap_backing *b);
static void *unlinker_main(void *arg);

/* The slot bitmap's size (one bit a slot). */
static size_t map_bytes(const struct swap_backing *b) { return MAX(1, (b->nr_slots + 63) / 64) * sizeof(uint64_t); }

/*
 * Open a backing store: a file of cfg->size bytes, or a block device
 * (cfg->path; its whole size when cfg->size is 0). Returns 0, or -errno
 * with a message in err (bad size, cannot create, no space, io_uring
 * unavailable). Close with swap_backing_close().
 */
int swap_backing_open(const struct swap_backing_config *cfg, struct swap_backing **out, char *err, size_t errlen)
{
	struct swap_backing *b = base_calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	bool remote = swap_backing_is_remote_path(cfg->path);
	int64_t slots;
	b->fd = -1;
	if (remote) {
		slots = open_remote(cfg, &b->remote, err, errlen);
	} else {
		b->fd = open_file(cfg, err, errlen);
		slots = b->fd < 0 ? b->fd : size_store(b->fd, cfg, &b->is_device, err, errlen);
	}
	snprintf(b->name, sizeof(b->name), "%s", cfg->path ? cfg->path : "(unlinked file)");
	int ret = slots < 0 ? (int)slots : 0;
	if (!ret) {
		b->nr_slots = (uint64_t)slots;
		b->priority = cfg->priority;
		b->discard = cfg->discard || remote; /* a freed slot's key is unlinked */
		b->direct = cfg->direct;
		b->map = base_zalloc_large(map_bytes(b));
		ret = b->map ? 0 : -ENOMEM;
	}
	if (!ret && remote) {
		b->queue = base_calloc(UNLINK_QUEUE, sizeof(*b->queue));
		b->inflight = base_calloc(UNLINK_QUEUE, sizeof(*b->inflight));
		ret = b->queue && b->inflight ? 0 : -ENOMEM;
	}
	if (!ret && cfg->encrypt)
		ret = swap_cipher_create(&b->cipher, err, errlen);
	if (!ret && remote)
		redis_dev_set_cipher(b->remote, b->cipher);
	if (!ret && !remote && (ret = io_uring_queue_init(RING_DEPTH, &b->ring, 0)))
		snprintf(err, errlen, "io_uring: %s", strerror(-ret));
	if (ret) {
		redis_dev_close(b->remote, NULL, 0);
		if (b->fd >= 0)
			close(b->fd);
		base_free_large(b->map, map_bytes(b));
		base_free(b->queue);
		base_free(b->inflight);
		swap_cipher_destroy(b->cipher);
		base_free(b);
		return ret;
	}
	mutex_init(&b->map_lock);
	mutex_init(&b->ring_lock);
	mutex_init(&b->buf_lock);
	if (remote) {
		pthread_cond_init(&b->unlinked, NULL);
		worker_init(&b->unlinker);
		if ((ret = worker_start(&b->unlinker, "unlink", unlinker_main, b))) {
			snprintf(err, errlen, "cannot start the unlinker thread: %s", strerror(-ret));
			swap_backing_close(b);
			return ret;
		}
	}
	*out = b;
	return 0;
}


void swap_backing_close(struct swap_backing *b)
{
	if (!b)
		return;
	if (b->remote) {
		worker_stop(&b->unlinker);
		worker_destroy(&b->unlinker);
		mutex_lock(&b->map_lock);
		discard_all_locked(b);
		mutex_unlock(&b->map_lock);
		pthread_cond_destroy(&b->unlinked);
		redis_dev_close(b->remote, b->map, b->nr_slots); /* every key of ours still there */
	} else {
		io_uring_queue_exit(&b->ring);
		close(b->fd);
	}
	mutex_destroy(&b->map_lock);
	mutex_destroy(&b->ring_lock);
	mutex_destroy(&b->buf_lock);
	while (b->bufs) {
		struct seal_buf *sb = b->bufs;
		b->bufs = sb->next;
		base_free(sb->pages);
		base_free(sb);
	}
	swap_cipher_destroy(b->cipher);
	base_free_large(b->map, map_bytes(b));
	base_free(b->queue);
	base_free(b->inflight);
	base_free(b);
}

/* A ciphertext buffer (RING_DEPTH pages, page-aligned for O_DIRECT), or
 * NULL when out of memory. */
static struct seal_buf *seal_buf_get(struct swap_backing *b)
{
	mutex_lock(&b->buf_lock);
	struct seal_buf *sb = b->bufs;
	if (sb)
		b->bufs = sb->next;
	mutex_unlock(&b->buf_lock);
	if (sb || !(sb = base_malloc(sizeof(*sb))))
		return sb;
	if (!(sb->pages = base_aligned_alloc(PAGE_SIZE, RING_DEPTH * PAGE_SIZE))) {
		base_free(sb);
		return NULL;
	}
	return sb;
}

static void seal_buf_put(struct swap_backing *b, struct seal_buf *sb)
{
	mutex_lock(&b->buf_lock);
	sb->next = b->bufs;
	b->bufs = sb;
	mutex_unlock(&b->buf_lock);
}

static int cmp_u64(const void *a, const void *c)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)c;
	return x < y ? -1 : x > y;
}

/* Punch the file's blocks of n freed slots, each run of consecutive
 * slots at once. */
static void punch_holes(struct swap_backing *b, uint64_t *batch, unsigned n)
{
	qsort(batch, n, sizeof(*batch), cmp_u64);
	for (unsigned i = 0; i < n;) {
		unsigned j = i + 1;
		while (j < n && batch[j] == batch[j - 1] + 1)
			j++;
		if (!fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(batch[i] * PAGE_SIZE),
			       (off_t)((j - i) * PAGE_SIZE)))
			atomic_add_relaxed(&b->discards, j - i);
		i = j;
	}
}

/* Discard n freed slots (punch their blocks, or unlink their keys), then
 * make them free. Caller holds map_lock; it is dropped around the I/O. */
static void discard_locked(struct swap_backing *b, uint64_t *batch, unsigned n)
{
	mutex_unlock(&b->map_lock);
	if (b->remote) {
		int failed = redis_dev_unlink(b->remote, batch, (int)n);
		atomic_add_relaxed(&b->discards, n - (unsigned)failed);
		atomic_add_relaxed(&b->discard_errors, (unsigned)failed);
	} else {
		punch_holes(b, batch, n);
	}
	mutex_lock(&b->map_lock);
	for (unsigned i = 0; i < n; i++)
		b->map[batch[i] / 64] &= ~(1ull << (batch[i] % 64));
}

static void discard_pending_locked(struct swap_backing *b)
{
	uint64_t batch[DISCARD_BATCH];
	unsigned n = b->nr_pending;

	if (!n)
		return;
	memcpy(batch, b->pending, n * sizeof(*batch));
	b->nr_pending = 0;
	discard_locked(b, batch, n);
}

/* Unlink the queue: the unlinker's work, or a flush's when it waits for
 * the unlinker and does the rest. Caller holds map_lock. */
static void unlink_queue_locked(struct swap_backing *b)
{
	while (b->nr_inflight)
		pthread_cond_wait(&b->unlinked, &b->map_lock.m);
	while (b->nr_queue) {
		unsigned n = b->nr_queue;
		memcpy(b->inflight, b->queue, n * sizeof(*b->queue));
		b->nr_queue = 0;
		b->nr_inflight = n;
		discard_locked(b, b->inflight, n);
		b->nr_inflight = 0;
		pthread_cond_broadcast(&b->unlinked);
	}
}

static void *unlinker_main(void *arg)
{
	struct swap_backing *b = arg;

	for (;;) {
		mutex_lock(&b->unlinker.lock);
		while (!b->unlinker.stop && !b->unlink_wanted)
			pthread_cond_wait(&b->unlinker.cond, &b->unlinker.lock.m);
		bool stop = b->unlinker.stop;
		b->unlink_wanted = false;
		mutex_unlock(&b->unlinker.lock);
		if (stop)
			return NULL;
		mutex_lock(&b->map_lock);
		unlink_queue_locked(b);
		mutex_unlock(&b->map_lock);
	}
}

/* A full batch of pending slots: to the unlinker's queue on a cluster
 * (unless the queue is full: then here, which slows the freeing thread
 * down to the cluster's pace), else discarded now. Caller holds map_lock. */
static void pending_full_locked(struct swap_backing *b)
{
	if (!b->remote || b->nr_queue + b->nr_pending > UNLINK_QUEUE) {
		discard_pending_locked(b);
		return;
	}
	memcpy(b->queue + b->nr_queue, b->pending, b->nr_pending * sizeof(*b->pending));
	b->nr_queue += b->nr_pending;
	b->nr_pending = 0;
	mutex_lock(&b->unlinker.lock);
	b->unlink_wanted = true;
	pthread_cond_signal(&b->unlinker.cond);
	mutex_unlock(&b->unlinker.lock);
}

/* Every freed slot discarded now: the queue's too. Caller holds map_lock. */
static void discard_all_locked(struct swap_backing *b)
{
	unlink_queue_locked(b);
	discard_pending_locked(b);
}

/* Discard every freed slot now (swapoff, statistics, a full store); on
 * a cluster, also wait until a replica has every page written. */
void swap_backing_flush(struct swap_backing *b)
{
	mutex_lock(&b->map_lock);
	discard_all_locked(b);
	mutex_unlock(&b->map_lock);
	if (b->remote)
		redis_dev_sync(b->remote);
}

/* Slots that are not free: in use, or freed and not yet discarded. */
static uint64_t held_locked(struct swap_backing *b)
{
	return b->inuse + b->nr_pending + b->nr_queue + b->nr_inflight;
}

/* A free slot, or -ENOSPC. */
int64_t swap_backing_alloc(struct swap_backing *b)
{
	int64_t slot = -ENOSPC;

	mutex_lock(&b->map_lock);
	if (held_locked(b) >= b->nr_slots)
		discard_all_locked(b); /* what is freed becomes usable */
	for (uint64_t k = 0; k < b->nr_slots && held_locked(b) < b->nr_slots; k++) {
		uint64_t s = (b->hint + k) % b->nr_slots;
		if (!(b->map[s / 64] & (1ull << (s % 64)))) {
			b->map[s / 64] |= 1ull << (s % 64);
			b->inuse++;
			b->hint = s + 1;
			slot = (int64_t)s;
			break;
		}
	}
	mutex_unlock(&b->map_lock);
	return slot;
}

/* Release a slot. With discard, its content is discarded with the next
 * batch, and the slot is reused only after that. */
void swap_backing_free(struct swap_backing *b, uint64_t slot)
{
	mutex_lock(&b->map_lock);
	b->inuse--;
	if (!b->discard) {
		b->map[slot / 64] &= ~(1ull << (slot % 64));
	} else {
		b->pending[b->nr_pending++] = slot;
		if (b->nr_pending == DISCARD_BATCH)
			pending_full_locked(b);
	}
	mutex_unlock(&b->map_lock);
}

void swap_backing_inject(struct swap_backing *b, enum backing_op op, int err, long nth)
{
	atomic_store_relaxed(&b->inject_err[op], err);
	atomic_store_rel(&b->inject_nth[op], nth);
}

static int injected(struct swap_backing *b, enum backing_op op)
{
	long n = atomic_load_acq(&b->inject_nth[op]);
	while (n > 0 && !atomic_cas_acq_rel(&b->inject_nth[op], &n, n - 1))
		;
	return n == 1 ? -atomic_load_relaxed(&b->inject_err[op]) : 0;
}

static bool page_aligned(const void *p) { return ((uintptr_t)p & (PAGE_SIZE - 1)) == 0; }

/*
 * pread/pwrite/preadv without glibc's cancellation wrappers: a swap-in or
 * swap-out must not be a cancellation point (a thread cancelled there
 * would leave its entry claimed forever), and in a threaded process the
 * wrappers cost two atomic operations a call (3% of a page-cache swap-in).
 */
static ssize_t sys_pread(int fd, void *buf, size_t n, off_t off) { return syscall(SYS_pread64, fd, buf, n, off); }
static ssize_t sys_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return syscall(SYS_pwrite64, fd, buf, n, off);
}
static ssize_t sys_preadv(int fd, const struct iovec *iov, int n, off_t off)
{
	return syscall(SYS_preadv, fd, iov, n, (unsigned long)off, 0ul); /* low and high halves on 64-bit */
}
static ssize_t sys_pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	return syscall(SYS_pwritev, fd, iov, n, (unsigned long)off, 0ul);
}

/* sync_io through bounce (page-aligned) when page is not aligned for
 * O_DIRECT, else straight. */
static int sync_io_via(struct swap_backing *b, enum backing_op op, uint64_t slot, void *page, void *bounce)
{
	bool bounced = b->direct && !page_aligned(page); /* O_DIRECT needs aligned memory */
	void *buf = bounced ? bounce : page;
	off_t off = (off_t)(slot * PAGE_SIZE);

	if (bounced && op == BACKING_WRITE)
		os_memcpy(bounce, page, PAGE_SIZE);
	ssize_t n = op == BACKING_READ ? sys_pread(b->fd, buf, PAGE_SIZE, off) : sys_pwrite(b->fd, buf, PAGE_SIZE, off);
	if (bounced && op == BACKING_READ && n == (ssize_t)PAGE_SIZE)
		os_memcpy(page, bounce, PAGE_SIZE);
	return n == (ssize_t)PAGE_SIZE ? 0 : n < 0 ? -errno : -EIO;
}

/* sync_io_via for a thread without scratch memory (mapping it failed): a
 * swap-in must not fail for want of a page, so the bounce is on the stack. */
static __attribute__((noinline)) int sync_io_stack(struct swap_backing *b, enum backing_op op, uint64_t slot,
						   void *page)
{
	_Alignas(PAGE_SIZE) unsigned char bounce[PAGE_SIZE];

	return sync_io_via(b, op, slot, page, bounce);
}

/* One page, synchronously: a plain pread/pwrite. A lone buffered request
 * through io_uring is handed to its worker threads (measured: 17 us per
 * page against 2 us); batches go through the ring. */
static int sync_io(struct swap_backing *b, enum backing_op op, uint64_t slot, void *page)
{
	if (!b->direct || page_aligned(page))
		return sync_io_via(b, op, slot, page, NULL);
	void *bounce = scratch_get(SCRATCH_BOUNCE);
	return likely(bounce) ? sync_io_via(b, op, slot, page, bounce) : sync_io_stack(b, op, slot, page);
}

/* Submit n page-sized operations through the ring and wait for them;
 * res[i] = 0 or -errno. No accounting (io_done does it). */
static void ring_fill(struct swap_backing *b, enum backing_op op, const uint64_t *slots, void **pages, int n, int *res)
{
	mutex_lock(&b->ring_lock);
	for (int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
		off_t off = (off_t)(slots[i] * PAGE_SIZE);
		if (op == BACKING_READ)
			io_uring_prep_read(sqe, b->fd, pages[i], PAGE_SIZE, (uint64_t)off);
		else
			io_uring_prep_write(sqe, b->fd, pages[i], PAGE_SIZE, (uint64_t)off);
		io_uring_sqe_set_data64(sqe, (uint64_t)i);
	}
	int ret = io_uring_submit_and_wait(&b->ring, (unsigned)n);
	for (int done = 0; ret >= 0 && done < n; done++) {
		struct io_uring_cqe *cqe;
		if ((ret = io_uring_wait_cqe(&b->ring, &cqe)) < 0)
			break;
		int i = (int)io_uring_cqe_get_data64(cqe);
		res[i] = cqe->res == (int)PAGE_SIZE ? 0 : cqe->res < 0 ? cqe->res : -EIO; /* short: EIO */
		io_uring_cqe_seen(&b->ring, cqe);
	}
	mutex_unlock(&b->ring_lock);
	for (int i = 0; ret < 0 && i < n; i++)
		res[i] = ret;
}

/* After n operations: apply injected errors, count them. -EIO if any failed. */
static int io_done(struct swap_backing *b, enum backing_op op, int *res, int n)
{
	int fail = 0;

	for (int i = 0; i < n; i++) {
		if (!res[i])
			res[i] = injected(b, op);
		fail += res[i] != 0;
	}
	atomic_add_relaxed(op == BACKING_READ ? &b->reads : &b->writes, (uint64_t)n);
	if (fail)
		atomic_add_relaxed(op == BACKING_READ ? &b->read_errors : &b->write_errors, (uint64_t)fail);
	return fail ? -EIO : 0;
}

/* n page-sized operations, waited for; res[i] = 0 or -errno. A lone page
 * goes through pread/pwrite, several through the ring. */
static int ring_io(struct swap_backing *b, enum backing_op op, const uint64_t *slots, void **pages, int n, int *res)
{
	if (b->remote)
		redis_dev_io(b->remote, op, slots, pages, NULL, NULL, n, res);
	else if (n == 1)
		res[0] = sync_io(b, op, slots[0], pages[0]);
	else
		ring_fill(b, op, slots, pages, n, res);
	return io_done(b, op, res, n);
}

/* Check (with a cipher: decrypt) a page read from slot; counts a bad one. */
static int open_page(struct swap_backing *b, uint64_t slot, void *page, const struct swap_seal *seal)
{
	int ret = swap_seal_open(b->cipher, slot, page, seal);

	if (ret)
		atomic_add_relaxed(&b->csum_errors, 1);
	return ret;
}

/* Write page to slot; *seal gets what a read must match (seal.c). 0 or
 * -errno (EIO, ENOSPC from a sparse file on a full disk, ENOMEM for a
 * ciphertext buffer, ...): the slot's old content is then unreliable and
 * the caller keeps the page. */
int swap_backing_write(struct swap_backing *b, uint64_t slot, const void *page, struct swap_seal *seal)
{
	int res;

	swap_backing_writev(b, &slot, (void *const *)&page, NULL, 1, &res, seal);
	return res;
}

/* Read slot into page and check it against seal (decrypting it in place
 * with a cipher). 0; -EBADMSG (mismatch: corrupt, the page must be
 * poisoned); -EIO and friends. */
int swap_backing_read(struct swap_backing *b, uint64_t slot, void *page, const struct swap_seal *seal)
{
	int res;

	swap_backing_readv(b, &slot, &page, 1, &res, seal);
	return res;
}

/* n pages at consecutive slots from first: one preadv or pwritev. */
static void io_run(struct swap_backing *b, enum backing_op op, uint64_t first, void *const *pages, int n, int *res)
{
	struct iovec iov[RING_DEPTH];

	for (int i = 0; i < n; i++)
		iov[i] = (struct iovec){pages[i], PAGE_SIZE};
	off_t off = (off_t)(first * PAGE_SIZE);
	ssize_t got = op == BACKING_READ ? sys_preadv(b->fd, iov, n, off) : sys_pwritev(b->fd, iov, n, off);
	for (int i = 0; i < n; i++)
		res[i] = got < 0 ? -errno : got >= (ssize_t)((size_t)(i + 1) * PAGE_SIZE) ? 0 : -EIO;
}

/* Read a run of consecutive slots with one preadv. */
static void read_run(struct swap_backing *b, uint64_t first, void **pages, int n, int *res)
{
	io_run(b, BACKING_READ, first, pages, n, res);
}

/*
 * Write n pages (at most RING_DEPTH) to n slots as they are; res[i] = 0 or
 * -errno. How, by measurement (zswap writeback of 40000 pages here): on an O_DIRECT
 * store, together through the ring (38 us a page, against 115 one by
 * one); on a buffered one, runs of consecutive slots as one pwritev each
 * and lone slots with pwrite (through the ring, buffered writes go to
 * io_uring's worker threads: 14-16 us a page, against 6-8 one by one).
 */
static void writev_raw(struct swap_backing *b, const uint64_t *slots, void *const *pages, int n, int *res)
{
	bool aligned = true;

	if (b->remote) { /* one pipeline per node */
		ring_io(b, BACKING_WRITE, slots, (void **)pages, n, res);
		return;
	}
	for (int i = 0; i < n; i++)
		aligned &= page_aligned(pages[i]);
	for (int i = 0; i < n;) {
		int j = i + 1;
		if (b->direct && aligned) {
			j = MIN(n, i + RING_DEPTH);
			ring_io(b, BACKING_WRITE, slots + i, (void **)(pages + i), j - i, res + i);
		} else if (b->direct) { /* a page O_DIRECT cannot take: bounced, alone */
			ring_io(b, BACKING_WRITE, slots + i, (void **)(pages + i), 1, res + i);
		} else {
			while (j < n && j - i < RING_DEPTH && slots[j] == slots[j - 1] + 1)
				j++;
			if (j - i == 1) { /* a lone slot: pwrite */
				ring_io(b, BACKING_WRITE, slots + i, (void **)(pages + i), 1, res + i);
			} else {
				io_run(b, BACKING_WRITE, slots[i], pages + i, j - i, res + i);
				io_done(b, BACKING_WRITE, res + i, j - i);
			}
		}
		i = j;
	}
}

/* Write n pages to n slots; res[i] = 0 or -errno (ENOMEM: no ciphertext
 * buffer), seal[i] what a read of each must match. Without a cipher the
 * checksum is taken after the write: a page being swapped out is usually
 * cold, and the kernel's copy into the page cache brings it into our cache
 * anyway (which a write without a checksum pays too); hashed first, the
 * hash paid the cold misses (2.2-2.9 us a page here) and the copy found it
 * warm. The caller owns the pages meanwhile; were one to change, its read
 * would fail the check, never return wrong data. objs (or NULL): the
 * pages' compressed copies (zswap writeback's); a cluster stores them as
 * they are instead of compressing each page again (the checksum is still
 * the page's), or with a cipher seals them itself (the seal is the
 * object's). */
void swap_backing_writev(struct swap_backing *b, const uint64_t *slots, void *const *pages,
			 const struct zswap_obj *objs, int n, int *res, struct swap_seal *seal)
{
	void *data[RING_DEPTH];
	struct seal_buf *sb = NULL;

	if (n > RING_DEPTH) {
		for (int k = 0; k < n; k += RING_DEPTH)
			swap_backing_writev(b, slots + k, pages + k, objs ? objs + k : NULL, MIN(RING_DEPTH, n - k),
					    res + k, seal + k);
		return;
	}
	if (b->cipher && !(sb = seal_buf_get(b))) {
		for (int i = 0; i < n; i++)
			res[i] = -ENOMEM;
		return;
	}
	for (int i = 0; i < n; i++) /* a cluster seals the objects it sends itself */
		data[i] = b->remote && objs && redis_obj_fits(&objs[i])
				  ? pages[i]
				  : (void *)swap_seal_page(b->cipher, slots[i], pages[i],
							   sb ? sb->pages + i * PAGE_SIZE : NULL, &seal[i]);
	if (b->remote && objs) {
		redis_dev_io(b->remote, BACKING_WRITE, slots, data, objs, seal, n, res);
		io_done(b, BACKING_WRITE, res, n);
	} else {
		writev_raw(b, slots, data, n, res);
	}
	for (int i = 0; i < n; i++)
		if (!res[i])
			swap_seal_checksum(b->cipher, pages[i], &seal[i]);
	if (sb)
		seal_buf_put(b, sb);
}

/*
 * Read n slots as they are; res[i] per page. Pages swapped out together sit
 * in consecutive slots: each run of consecutive slots is one preadv;
 * scattered slots go through the ring as one batch.
 */
static void readv_raw(struct swap_backing *b, const uint64_t *slots, void **pages, int n, int *res)
{
	for (int i = 0; b->direct && i < n; i++)
		if (!page_aligned(pages[i])) { /* O_DIRECT: that page alone, through a bounce buffer */
			readv_raw(b, slots, pages, i, res);
			res[i] = sync_io(b, BACKING_READ, slots[i], pages[i]);
			io_done(b, BACKING_READ, res + i, 1);
			readv_raw(b, slots + i + 1, pages + i + 1, n - i - 1, res + i + 1);
			return;
		}
	if (n > RING_DEPTH) { /* in chunks the ring and preadv can take */
		for (int k = 0; k < n; k += RING_DEPTH)
			readv_raw(b, slots + k, pages + k, MIN(RING_DEPTH, n - k), res + k);
		return;
	}
	int scattered[RING_DEPTH], sres[RING_DEPTH], ns = 0;
	uint64_t sslots[RING_DEPTH];
	void *spages[RING_DEPTH];

	for (int i = 0; i < n;) {
		int j = i + 1;
		while (j < n && j - i < RING_DEPTH && slots[j] == slots[j - 1] + 1)
			j++;
		if (j - i > 1 || ns == RING_DEPTH) {
			read_run(b, slots[i], pages + i, j - i, res + i);
		} else {
			scattered[ns] = i;
			sslots[ns] = slots[i];
			spages[ns++] = pages[i];
		}
		i = j;
	}
	if (ns == 1)
		sres[0] = sync_io(b, BACKING_READ, sslots[0], spages[0]);
	else if (ns > 1)
		ring_fill(b, BACKING_READ, sslots, spages, ns, sres);
	for (int k = 0; k < ns; k++)
		res[scattered[k]] = sres[k];
	io_done(b, BACKING_READ, res, n);
}

/* swap_backing_readv on a cluster: a sealed object comes back opened and
 * checked already (REDIS_OPENED), or found bad (-EBADMSG, counted as a
 * checksum error); every other page is opened here. */
static void remote_readv(struct swap_backing *b, const uint64_t *slots, void **pages, int n, int *res,
			 const struct swap_seal *seal)
{
	int checked[RING_DEPTH]; /* the device's verdict: REDIS_OPENED, -EBADMSG, or 0 (open it here) */

	for (int k = 0; k < n; k += RING_DEPTH) {
		int m = MIN(RING_DEPTH, n - k), *r = res + k;
		redis_dev_io(b->remote, BACKING_READ, slots + k, pages + k, NULL, (struct swap_seal *)(seal + k), m, r);
		for (int i = 0; i < m; i++) { /* a read that came back counts as a read, bad or not */
			checked[i] = r[i] == REDIS_OPENED || r[i] == -EBADMSG ? r[i] : 0;
			r[i] = checked[i] ? 0 : r[i];
		}
		io_done(b, BACKING_READ, r, m);
		for (int i = 0; i < m; i++) {
			if (checked[i] == -EBADMSG)
				atomic_add_relaxed(&b->csum_errors, 1);
			if (!r[i] && checked[i] != REDIS_OPENED)
				r[i] = checked[i] ? checked[i] : open_page(b, slots[k + i], pages[k + i], &seal[k + i]);
		}
	}
}

/* Read n slots (readahead), each checked against its seal (decrypted in
 * place with a cipher); res[i] = 0, -EBADMSG or an I/O error per page. */
void swap_backing_readv(struct swap_backing *b, const uint64_t *slots, void **pages, int n, int *res,
			const struct swap_seal *seal)
{
	if (b->remote) {
		remote_readv(b, slots, pages, n, res, seal);
		return;
	}
	readv_raw(b, slots, pages, n, res);
	for (int i = 0; i < n; i++)
		if (!res[i])
			res[i] = open_page(b, slots[i], pages[i], &seal[i]);
}

uint64_t swap_backing_slots(struct swap_backing *b) { return b->nr_slots; }
bool swap_backing_is_direct(struct swap_backing *b) { return b->direct; }
bool swap_backing_wants_readahead(struct swap_backing *b) { return b->direct || b->remote; }
const char *swap_backing_name(struct swap_backing *b) { return b->name; }
bool swap_backing_is_device(struct swap_backing *b) { return b->is_device; }
const char *swap_backing_type(struct swap_backing *b) { return b->remote ? "redis" : b->is_device ? "partition" : "file"; }
int swap_backing_priority(struct swap_backing *b) { return b->priority; }
const char *swap_backing_cipher(struct swap_backing *b) { return swap_cipher_name(b->cipher); }

uint64_t swap_backing_remote_id(struct swap_backing *b) { return b->remote ? redis_dev_instance(b->remote) : 0; }

/* "ok", or for a cluster what of it is down. */
void swap_backing_state(struct swap_backing *b, char *buf, size_t len)
{
	if (b->remote)
		redis_dev_state(b->remote, buf, len);
	else
		snprintf(buf, len, "ok");
}

uint64_t swap_backing_inuse(struct swap_backing *b)
{
	mutex_lock(&b->map_lock);
	uint64_t n = b->inuse;
	mutex_unlock(&b->map_lock);
	return n;
}

void swap_backing_stats(struct swap_backing *b, struct swap_backing_stats *st)
{
	st->reads = atomic_load_relaxed(&b->reads);
	st->writes = atomic_load_relaxed(&b->writes);
	st->read_errors = atomic_load_relaxed(&b->read_errors);
	st->write_errors = atomic_load_relaxed(&b->write_errors);
	st->csum_errors = atomic_load_relaxed(&b->csum_errors);
	st->discards = atomic_load_relaxed(&b->discards);
	st->discard_errors = atomic_load_relaxed(&b->discard_errors);
	st->resent = b->remote ? redis_dev_resent(b->remote) : 0;
	st->objects = b->remote ? redis_dev_objects(b->remote) : 0;
}
