/*
 * backing_redis.c - a backing store whose slots are keys on a Redis
 * Cluster (swapfile=redis://host:port[,host:port...]): the far tier.
 *
 * backing.c keeps the slots (the same bitmap as for a file); a slot's
 * page is the value of the key "uswap:<instance>:<slot>", where the
 * instance is 64 random bits per open, so instances never meet. What
 * travels, after one byte of kind:
 *   KIND_OBJ  zswap's compressed copy as writeback hands it on: its
 *             compressor's name, a NUL, the object's bytes (no second
 *             compression of a page the pool compressed already, and a
 *             page the recompressor made smaller stays smaller);
 *   KIND_SOBJ with encrypt=on: the same, sealed (name, NUL and bytes all
 *             ciphertext, the nonce and tag in the entry's seal), opened
 *             here on a read: only ciphertext travels, half a page of it
 *             for a page that compresses by two;
 *   KIND_LZ4  a page swapped out directly, LZ4-compressed here;
 *   KIND_RAW  a page that LZ4 does not shrink (ciphertext with
 *             encrypt=on always: backing.c seals the page first).
 * The page's checksum or tag (the object's, for KIND_SOBJ) stays in memory
 * with the entry, as for a file: a value changed or lost on the cluster is
 * an error for that page.
 * Batches (swap-out, writeback, readahead) go as one pipeline per node
 * (redis_cluster.c). Freed slots are unlinked in batches (backing.c's
 * discard path); close unlinks every key still in use and the instance's
 * lease key. A thread of the device renews the lease every LEASE_MS / 4,
 * busy or idle; after a crash (or exec, or a process that ends without
 * uswap_close, as under uswap run) it expires after LEASE_MS, and
 * redis_remote_gc (`uswap remote-gc URL`) removes the keys of every
 * instance whose lease is gone.
 *
 * AUTH: from redis_auth_file, or USWAP_REDIS_USER and USWAP_REDIS_PASSWORD
 * in the environment (never from an option string, which may be printed,
 * nor from the command line): redis_cluster.c's rc_open_url.
 *
 * The write window (redis_wait=on): a write returns once its master has
 * acknowledged it, and the value stays in the window until a replica has
 * it too: WAIT 1 on the connection that wrote it, once per WINDOW_CONFIRM
 * pages rather than once per batch (a swap-out writes one page). A read
 * of a slot in the window is served from it. A connection lost before its
 * WAIT (a master killed, a failover) sends its pages in the window again,
 * to their slots' owners now. So a page is never given up before a
 * replica has acknowledged it, and a swap-out pays a master's round trip,
 * not a replica's too. A full window (replicas not keeping up) sends the
 * batch the old way, with WAIT in its pipeline.
 *
 * Lock order: window.lock, then the cluster's lock (a leaf); backing.c
 * may hold map_lock around an unlink batch (which takes window.lock); the
 * lease worker's lock is not held while it renews or confirms.
 */
#include <errno.h>
#include <inttypes.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/worker.h"
#include "codec/codec.h"
#include "swap/redis_cluster.h"
#include "swap/swap.h"

#define KEY_MAX   48
#define LEASE_MS  60000
#define KIND_RAW  0
#define KIND_LZ4  1
#define KIND_OBJ  2
#define KIND_SOBJ 3
#define WINDOW_MISS 2 /* window_read's res: not in the window (REDIS_OPENED is 1) */
#define MAX_CODECS 8 /* compressors whose objects a device decodes */
#define BATCH     64 /* commands per pipeline round */
#define WINDOW_MAX     128 /* pages written and not yet known to a replica */
#define WINDOW_CONFIRM 64  /* WAIT once this many are in the window */

struct window_page {
	uint64_t slot;
	int node;                   /* the master that acknowledged the write */
	uint64_t conn;              /* on this connection of it (rc_wait) */
	size_t len;
	char val[PAGE_SIZE + 1];    /* what was SET */
};

struct window {
	struct window_page *store;  /* constant: WINDOW_MAX pages */
	mutex_t lock;               /* guards everything below */
	struct window_page **page;  /* WINDOW_MAX into store; [0, nr) in use */
	int nr, reserved;           /* reserved: batches being written, to add */
};

/* The buffers of one pipeline round: its values and keys, and a value
 * before it is sealed. A device has a few sets (pcpu_take_slot): as
 * thread-local arrays they made every thread of every program under
 * `uswap run` zero and fault in 264 KiB of TLS when it started, Redis or
 * not. */
struct io_bufs {
	char val[BATCH][PAGE_SIZE + 1];
	char keys[BATCH][KEY_MAX];
	char plain[PAGE_SIZE + 1];
};

struct redis_dev {
	struct redis_cluster *rc;   /* constant: page reads and writes */
	struct redis_cluster *bg;   /* constant: unlinks and the lease, on connections of their
				       own, so that a fault never waits behind them */
	uint64_t instance;          /* constant */
	bool durable;               /* constant: writes wait for a replica */
	struct worker lease;        /* renews the lease key, confirms the window */
	struct window win;          /* durable only */
	_Atomic uint64_t resent;    /* atomic: pages the window sent again */
	_Atomic uint64_t objects;   /* atomic: pages that went as the pool's compressed copy */
	struct swap_cipher *cipher; /* constant once set: seals objects (KIND_SOBJ), or NULL */
	mutex_t codec_lock;         /* guards codec[]: made at the first object of each kind */
	struct codec_pool *codec[MAX_CODECS];
	unsigned nr_bufs;           /* constant: a round past them waits (pcpu_take_slot) */
	_Atomic bool *bufs_busy;    /* [nr_bufs] atomic: a round holds bufs[i] */
	struct io_bufs *bufs;       /* [nr_bufs] */
};

static int window_init(struct window *w);
static void window_destroy(struct window *w);

static void slot_key(const struct redis_dev *d, uint64_t slot, char *key, size_t *len)
{
	*len = (size_t)snprintf(key, KEY_MAX, "uswap:%016llx:%llu", (unsigned long long)d->instance,
				(unsigned long long)slot);
}

static void lease_key(uint64_t instance, char *key, size_t *len)
{
	*len = (size_t)snprintf(key, KEY_MAX, "uswap:%016llx:lease", (unsigned long long)instance);
}

/* SET the lease key with an expiry. */
static void lease_renew(struct redis_dev *d)
{
	char key[KEY_MAX], ms[24];
	size_t klen;

	lease_key(d->instance, key, &klen);
	int mlen = snprintf(ms, sizeof(ms), "%d", LEASE_MS);
	struct rc_cmd c = {.argc = 5, .argv = {"SET", key, "1", "PX", ms}, .argvlen = {3, klen, 1, 2, (size_t)mlen}};
	rc_run(d->bg, &c, 1);
	rc_cmds_free(&c, 1);
}

/* The lease worker: renew every LEASE_MS / 4 until stopped, and drain
 * the write window. */
static void *lease_main(void *arg)
{
	struct redis_dev *d = arg;

	mutex_lock(&d->lease.lock);
	while (!d->lease.stop) {
		struct timespec ts;
		os_deadline(&ts, LEASE_MS / 4 * 1000000ull);
		pthread_cond_timedwait(&d->lease.cond, &d->lease.lock.m, &ts);
		if (d->lease.stop)
			break;
		mutex_unlock(&d->lease.lock);
		lease_renew(d);
		redis_dev_sync(d);
		mutex_lock(&d->lease.lock);
	}
	mutex_unlock(&d->lease.lock);
	return NULL;
}

bool swap_backing_is_remote_path(const char *path) { return path && !strncmp(path, "redis://", 8); }

/* The device's memory and connections (its keys are the caller's). */
static void dev_free(struct redis_dev *d)
{
	window_destroy(&d->win);
	for (int i = 0; i < MAX_CODECS && d->codec[i]; i++)
		codec_pool_destroy(d->codec[i]);
	mutex_destroy(&d->codec_lock);
	rc_close(d->rc);
	rc_close(d->bg);
	base_free((void *)d->bufs_busy);
	base_free(d->bufs);
	base_free(d);
}

int redis_dev_open(const char *url, const struct rc_url_opts *o, struct redis_dev **out, char *err, size_t errlen)
{
	struct redis_dev *d = base_calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	mutex_init(&d->codec_lock);
	d->durable = !(o && o->no_wait);
	d->nr_bufs = 2 * pcpu_nr_possible() + 2; /* rounds wait on the network: more than CPUs */
	d->bufs_busy = base_calloc(d->nr_bufs, sizeof(*d->bufs_busy));
	d->bufs = base_malloc(d->nr_bufs * sizeof(*d->bufs));
	if (!d->bufs_busy || !d->bufs) {
		snprintf(err, errlen, "redis: out of memory");
		dev_free(d);
		return -ENOMEM;
	}
	uint64_t unused;
	if ((ret = rc_open_url(url, o, &d->rc, &d->instance, err, errlen)) ||
	    (ret = rc_open_url(url, o, &d->bg, &unused, err, errlen))) {
		dev_free(d);
		return ret;
	}
	if (d->durable && (ret = window_init(&d->win))) {
		snprintf(err, errlen, "redis: out of memory");
		dev_free(d);
		return ret;
	}
	lease_renew(d); /* before the first key: remote-gc never sees keys without it */
	worker_init(&d->lease);
	if ((ret = worker_start(&d->lease, "lease", lease_main, d))) {
		snprintf(err, errlen, "redis: cannot start the lease thread: %s", strerror(-ret));
		worker_destroy(&d->lease);
		dev_free(d);
		return ret;
	}
	*out = d;
	return 0;
}

/* The device's state for the swaps listing. */
void redis_dev_state(struct redis_dev *d, char *buf, size_t len) { rc_state(d->rc, buf, len); }

/* ---------------------------------------------------------------- I/O */

/* Pack page into out (1 + up to PAGE_SIZE bytes); returns the length. */
size_t redis_page_pack(const void *page, char *out)
{
	int n = LZ4_compress_default(page, out + 1, PAGE_SIZE, PAGE_SIZE - 1);

	if (n > 0) {
		out[0] = KIND_LZ4;
		return (size_t)n + 1;
	}
	out[0] = KIND_RAW;
	memcpy(out + 1, page, PAGE_SIZE);
	return PAGE_SIZE + 1;
}

/* Pack page's compressed copy o into out: its length. */
static size_t obj_pack(const struct zswap_obj *o, char *out)
{
	size_t n = strlen(o->codec) + 1;

	out[0] = KIND_OBJ;
	memcpy(out + 1, o->codec, n);
	memcpy(out + 1 + n, o->data, o->len);
	return 1 + n + o->len;
}

/* The device's decompressor for objects of codec name (made at its
 * first object), or NULL. */
static struct codec_pool *codec_for(struct redis_dev *d, const char *name)
{
	struct codec_pool *p = NULL;
	char err[128];
	int i;

	mutex_lock(&d->codec_lock);
	for (i = 0; i < MAX_CODECS && d->codec[i] && !p; i++)
		if (!strcmp(d->codec[i]->ops->name, name))
			p = d->codec[i];
	if (!p && i < MAX_CODECS && codec_find(name) && !codec_pool_create(name, &d->codec[i], err, sizeof(err)))
		p = d->codec[i];
	mutex_unlock(&d->codec_lock);
	return p;
}

/* A KIND_OBJ value (after its kind byte) into page: 0 or -EIO. */
static int obj_unpack(struct redis_dev *d, const char *v, size_t len, void *page)
{
	const char *nul = d ? memchr(v, 0, MIN(len, (size_t)32)) : NULL;
	struct codec_pool *p = nul ? codec_for(d, v) : NULL;

	return p && !codec_decompress(p, nul + 1, len - (size_t)(nul + 1 - v), page) ? 0 : -EIO;
}

/* A KIND_SOBJ value (after its kind byte) for slot: opened with seal in
 * buf (a page), then decompressed into page. REDIS_OPENED, -EBADMSG (not
 * what was sealed) or -EIO. */
static int sobj_unpack_via(struct redis_dev *d, uint64_t slot, const struct swap_seal *seal, const char *v,
			   size_t len, void *page, char *buf)
{
	if (!d || !d->cipher || !seal || len > PAGE_SIZE)
		return -EIO;
	memcpy(buf, v, len);
	if (swap_seal_open_buf(d->cipher, slot, buf, len, seal))
		return -EBADMSG;
	return obj_unpack(d, buf, len, page) ? -EIO : REDIS_OPENED;
}

/* sobj_unpack_via for a thread without scratch memory (mapping it
 * failed): a swap-in must not fail for want of a page, so on the stack. */
static __attribute__((noinline)) int sobj_unpack_stack(struct redis_dev *d, uint64_t slot,
						       const struct swap_seal *seal, const char *v, size_t len,
						       void *page)
{
	char buf[PAGE_SIZE];

	return sobj_unpack_via(d, slot, seal, v, len, page, buf);
}

static int sobj_unpack(struct redis_dev *d, uint64_t slot, const struct swap_seal *seal, const char *v, size_t len,
		       void *page)
{
	char *buf = scratch_get(SCRATCH_REDIS);

	return likely(buf) ? sobj_unpack_via(d, slot, seal, v, len, page, buf)
			   : sobj_unpack_stack(d, slot, seal, v, len, page);
}

/* A value as packed into page: 0 (page to be checked or opened against
 * its seal by backing.c), REDIS_OPENED (opened and checked here), or
 * -errno. d NULL: no objects (a tool's own values); seal NULL: no sealed
 * objects. */
static int page_unpack(struct redis_dev *d, uint64_t slot, const struct swap_seal *seal, const char *v, size_t len,
		       void *page)
{
	if (len >= 1 && v[0] == KIND_SOBJ)
		return sobj_unpack(d, slot, seal, v + 1, len - 1, page);
	if (len == PAGE_SIZE + 1 && v[0] == KIND_RAW) {
		memcpy(page, v + 1, PAGE_SIZE);
		return 0;
	}
	if (len >= 1 && v[0] == KIND_LZ4 && LZ4_decompress_safe(v + 1, page, (int)len - 1, PAGE_SIZE) == PAGE_SIZE)
		return 0;
	if (len >= 1 && v[0] == KIND_OBJ)
		return obj_unpack(d, v + 1, len - 1, page);
	return -EIO;
}

static int reply_unpack(struct redis_dev *d, uint64_t slot, const struct swap_seal *seal, const redisReply *r,
			void *page)
{
	if (!r || r->type != REDIS_REPLY_STRING)
		return -EIO;
	return page_unpack(d, slot, seal, r->str, r->len, page);
}

/* A GET reply of a redis_page_pack value into page: 0, or -EIO (missing,
 * or not such a value). */
int redis_page_unpack(const redisReply *r, void *page) { return reply_unpack(NULL, 0, NULL, r, page); }

/* ---------------------------------------------------------------- the write window */

static int window_init(struct window *w)
{
	w->store = base_calloc(WINDOW_MAX, sizeof(*w->store));
	w->page = base_calloc(WINDOW_MAX, sizeof(*w->page));
	if (!w->store || !w->page) {
		base_free(w->store);
		base_free(w->page);
		return -ENOMEM;
	}
	for (int i = 0; i < WINDOW_MAX; i++)
		w->page[i] = &w->store[i];
	mutex_init(&w->lock);
	return 0;
}

static void window_destroy(struct window *w)
{
	if (!w->page)
		return;
	base_free(w->store);
	base_free(w->page);
	mutex_destroy(&w->lock);
}

static int window_find_locked(struct window *w, uint64_t slot)
{
	for (int i = 0; i < w->nr; i++)
		if (w->page[i]->slot == slot)
			return i;
	return -1;
}

static void window_remove_locked(struct window *w, int i)
{
	struct window_page *p = w->page[i];

	w->page[i] = w->page[--w->nr];
	w->page[w->nr] = p;
}

/* Send the window's pages again, to their slots' owners now (their
 * connection went before a replica acknowledged them). */
static void window_resend_locked(struct redis_dev *d)
{
	struct window *w = &d->win;
	char keys[WINDOW_MAX][KEY_MAX];
	struct rc_cmd cmds[WINDOW_MAX];

	for (int i = 0; i < w->nr; i++) {
		size_t klen;
		slot_key(d, w->page[i]->slot, keys[i], &klen);
		cmds[i] = (struct rc_cmd){.argc = 3, .argv = {"SET", keys[i], w->page[i]->val},
					  .argvlen = {3, klen, w->page[i]->len}};
	}
	rc_run(d->rc, cmds, w->nr);
	for (int i = 0; i < w->nr; i++)
		if (cmds[i].reply && cmds[i].reply->type == REDIS_REPLY_STATUS) {
			w->page[i]->node = cmds[i].node;
			w->page[i]->conn = cmds[i].conn;
		}
	rc_cmds_free(cmds, w->nr);
	atomic_add_relaxed(&d->resent, (uint64_t)w->nr);
}

/* Drop from the window every page a replica has; send again the pages
 * whose connection is gone, and wait for those once more. Pages whose
 * replica did not answer in time stay. Caller holds window.lock. */
static void window_confirm_locked(struct redis_dev *d)
{
	struct window *w = &d->win;

	for (int round = 0; round < 2 && w->nr; round++) {
		int verdict[WINDOW_MAX]; /* rc_wait's, per page: 1 has it, 0 not yet, -1 gone, 2 unasked */
		bool gone = false;
		for (int i = 0; i < w->nr; i++)
			verdict[i] = 2;
		for (int i = 0; i < w->nr; i++) {
			if (verdict[i] != 2)
				continue;
			int v = rc_wait(d->rc, w->page[i]->node, w->page[i]->conn);
			for (int j = i; j < w->nr; j++)
				if (verdict[j] == 2 && w->page[j]->node == w->page[i]->node &&
				    w->page[j]->conn == w->page[i]->conn)
					verdict[j] = v;
		}
		for (int i = w->nr - 1; i >= 0; i--) { /* from the end: a removal moves a judged page */
			gone |= verdict[i] < 0;
			if (verdict[i] == 1)
				window_remove_locked(w, i);
		}
		if (!gone)
			break;
		window_resend_locked(d);
	}
}

/* Room for n pages being written? false: the window is full even after
 * a confirmation; the batch goes the old way. */
static bool window_reserve(struct redis_dev *d, int n)
{
	struct window *w = &d->win;

	mutex_lock(&w->lock);
	if (w->nr + w->reserved + n > WINDOW_MAX)
		window_confirm_locked(d);
	bool ok = w->nr + w->reserved + n <= WINDOW_MAX;
	w->reserved += ok ? n : 0;
	mutex_unlock(&w->lock);
	return ok;
}

/* The n writes reserved for, done: the acknowledged ones (cmds with
 * their replies) into the window. */
static void window_add(struct redis_dev *d, const uint64_t *slots, const struct rc_cmd *cmds, int n)
{
	struct window *w = &d->win;

	mutex_lock(&w->lock);
	w->reserved -= n;
	for (int k = 0; k < n; k++) {
		if (!cmds[k].reply || cmds[k].reply->type != REDIS_REPLY_STATUS)
			continue;
		int i = window_find_locked(w, slots[k]);
		struct window_page *p = w->page[i < 0 ? w->nr++ : i];
		p->slot = slots[k];
		p->node = cmds[k].node;
		p->conn = cmds[k].conn;
		p->len = cmds[k].argvlen[2];
		memcpy(p->val, cmds[k].argv[2], p->len);
	}
	if (w->nr >= WINDOW_CONFIRM)
		window_confirm_locked(d);
	mutex_unlock(&w->lock);
}

/* Reads of slots in the window, from it: res[i] as page_unpack's;
 * WINDOW_MISS for a slot not there (it goes to the cluster). Returns how
 * many were. */
static int window_read(struct redis_dev *d, const uint64_t *slots, void **pages, const struct swap_seal *seal,
		       int n, int *res)
{
	struct window *w = &d->win;
	int served = 0;

	mutex_lock(&w->lock);
	for (int k = 0; k < n; k++) {
		int i = window_find_locked(w, slots[k]);
		res[k] = i < 0 ? WINDOW_MISS
			       : page_unpack(d, slots[k], seal ? &seal[k] : NULL, w->page[i]->val, w->page[i]->len,
					     pages[k]);
		served += i >= 0;
	}
	mutex_unlock(&w->lock);
	return served;
}

/* Freed slots leave the window. */
static void window_drop(struct redis_dev *d, const uint64_t *slots, int n)
{
	struct window *w = &d->win;

	mutex_lock(&w->lock);
	for (int k = 0; k < n && w->nr; k++) {
		int i = window_find_locked(w, slots[k]);
		if (i >= 0)
			window_remove_locked(w, i);
	}
	mutex_unlock(&w->lock);
}

/* Wait until a replica has every page written so far (or its connection
 * went and it was sent again): a flush's, and the lease thread's now and
 * then, so that an idle device's window drains. */
void redis_dev_sync(struct redis_dev *d)
{
	if (!d->durable)
		return;
	mutex_lock(&d->win.lock);
	window_confirm_locked(d);
	mutex_unlock(&d->win.lock);
}

/* Pages the window sent again, their connection lost before a replica
 * had them. */
uint64_t redis_dev_resent(struct redis_dev *d) { return atomic_load_relaxed(&d->resent); }

/* Pages that went as the pool's compressed copy. */
uint64_t redis_dev_objects(struct redis_dev *d) { return atomic_load_relaxed(&d->objects); }

/* Does the device send o as it is (else the page goes)? */
bool redis_obj_fits(const struct zswap_obj *o) { return o && o->data && o->len < PAGE_SIZE - 40; }

/* The value to SET for a page (its compressed copy o, or NULL) into out
 * (PAGE_SIZE + 1): its length. With a cipher an object is sealed for
 * slot, into *seal, by way of plain (PAGE_SIZE + 1). */
static size_t value_pack(struct redis_dev *d, uint64_t slot, const void *page, const struct zswap_obj *o,
			 struct swap_seal *seal, char *out, char *plain)
{
	if (!redis_obj_fits(o) || (d->cipher && !seal))
		return redis_page_pack(page, out); /* with a cipher, page is ciphertext (backing.c) */
	atomic_add_relaxed(&d->objects, 1);
	if (!d->cipher)
		return obj_pack(o, out);
	size_t len = obj_pack(o, plain);
	out[0] = KIND_SOBJ;
	swap_seal_buf(d->cipher, slot, plain + 1, len - 1, out + 1, seal);
	return len;
}

/* Up to BATCH operations, one pipeline. */
static void io_batch(struct redis_dev *d, enum backing_op op, const uint64_t *slots, void **pages,
		     const struct zswap_obj *objs, struct swap_seal *seal, int n, int *res)
{
	struct rc_cmd cmds[BATCH];
	int at[BATCH], m = 0; /* cmds[j] is operation at[j] */
	unsigned bi;

	if (op == BACKING_READ && d->durable && window_read(d, slots, pages, seal, n, res) == n)
		return;
	struct io_bufs *b = pcpu_take_slot(d->bufs_busy, d->nr_bufs, (unsigned char *)d->bufs, sizeof(*b), &bi);
	for (int i = 0; i < n; i++) {
		size_t klen;
		if (op == BACKING_READ && d->durable && res[i] != WINDOW_MISS)
			continue; /* served by the window */
		slot_key(d, slots[i], b->keys[i], &klen);
		cmds[m] = (struct rc_cmd){.argc = 2, .argv = {"GET", b->keys[i]}, .argvlen = {3, klen}};
		if (op == BACKING_WRITE) {
			cmds[m].argc = 3;
			cmds[m].argv[0] = "SET";
			cmds[m].argv[2] = b->val[i];
			cmds[m].argvlen[2] = value_pack(d, slots[i], pages[i], objs ? &objs[i] : NULL,
							seal ? &seal[i] : NULL, b->val[i], b->plain);
		}
		at[m++] = i;
	}
	if (op == BACKING_WRITE && d->durable && window_reserve(d, m)) {
		rc_run(d->rc, cmds, m);
		window_add(d, slots, cmds, m); /* a replica's acknowledgement comes later */
	} else if (op == BACKING_WRITE && d->durable) {
		rc_run_durable(d->rc, cmds, m); /* a replica has them when it returns */
	} else {
		rc_run(d->rc, cmds, m);
	}
	for (int j = 0; j < m; j++) {
		const redisReply *r = cmds[j].reply;
		if (op == BACKING_READ)
			res[at[j]] = reply_unpack(d, slots[at[j]], seal ? &seal[at[j]] : NULL, r, pages[at[j]]);
		else
			res[at[j]] = r && r->type == REDIS_REPLY_STATUS ? 0 : -EIO;
	}
	rc_cmds_free(cmds, m);
	pcpu_put_slot(d->bufs_busy, bi);
}

/*
 * n page reads or writes; res[i] = 0, REDIS_OPENED (a read this function
 * opened and checked already: a sealed object) or -errno. objs (writes,
 * or NULL): the pages' compressed copies, sent instead of packing the
 * pages; with a cipher each is sealed into seal[i]. seal (or NULL): for
 * reads, what sealed objects must open with.
 */
void redis_dev_io(struct redis_dev *d, enum backing_op op, const uint64_t *slots, void **pages,
		  const struct zswap_obj *objs, struct swap_seal *seal, int n, int *res)
{
	for (int k = 0; k < n; k += BATCH)
		io_batch(d, op, slots + k, pages + k, objs ? objs + k : NULL, seal ? seal + k : NULL, MIN(BATCH, n - k),
			 res + k);
}

/* The cipher that seals objects (backing.c's, made after the open). */
void redis_dev_set_cipher(struct redis_dev *d, struct swap_cipher *c) { d->cipher = c; }

/* Did a command get a reply that is not an error? */
static bool cmd_ok(const struct rc_cmd *c) { return c->reply && c->reply->type != REDIS_REPLY_ERROR; }

/* Delete the keys of n freed slots (UNLINK: the server frees them later).
 * Returns how many could not be deleted (the cluster unreachable past the
 * retry time, or an error reply): those keys stay until remote-gc. */
int redis_dev_unlink(struct redis_dev *d, const uint64_t *slots, int n)
{
	char keys[BATCH][KEY_MAX];
	struct rc_cmd cmds[BATCH];
	int failed = 0;

	if (d->durable)
		window_drop(d, slots, n);
	for (int k = 0; k < n; k += BATCH) {
		int m = MIN(BATCH, n - k);
		for (int i = 0; i < m; i++) {
			size_t klen;
			slot_key(d, slots[k + i], keys[i], &klen);
			cmds[i] = (struct rc_cmd){.argc = 2, .argv = {"UNLINK", keys[i]}, .argvlen = {6, klen}};
		}
		rc_run(d->bg, cmds, m);
		for (int i = 0; i < m; i++)
			failed += !cmd_ok(&cmds[i]);
		rc_cmds_free(cmds, m);
	}
	return failed;
}

/* Every key of the instance goes: the slots still in use (bit set in map
 * of nr_slots) and the lease. Keys that cannot be deleted are named on
 * stderr with what removes them (close has nobody else to tell). */
void redis_dev_close(struct redis_dev *d, const uint64_t *map, uint64_t nr_slots)
{
	uint64_t batch[BATCH];
	int n = 0;
	long long left = 0;

	if (!d)
		return;
	worker_stop(&d->lease);
	worker_destroy(&d->lease);
	for (uint64_t s = 0; map && s < nr_slots; s++)
		if (map[s / 64] & (1ull << (s % 64))) {
			batch[n++] = s;
			if (n == BATCH) {
				left += redis_dev_unlink(d, batch, n);
				n = 0;
			}
		}
	if (n)
		left += redis_dev_unlink(d, batch, n);
	char key[KEY_MAX];
	struct rc_cmd c = {.argc = 2, .argv = {"UNLINK", key}, .argvlen = {6, 0}};
	lease_key(d->instance, key, &c.argvlen[1]);
	rc_run(d->bg, &c, 1);
	left += !cmd_ok(&c);
	rc_cmds_free(&c, 1);
	if (left)
		fprintf(stderr,
			"uswap: %lld keys of instance %016llx could not be deleted from the Redis Cluster; "
			"`uswap remote-gc` removes them once the lease has expired\n",
			left, (unsigned long long)d->instance);
	dev_free(d);
}

/* ---------------------------------------------------------------- remote gc */

struct gc_instance {
	uint64_t id;
	uint64_t keys;
};

struct gc {
	struct redis_cluster *rc;
	int masters[RC_MAX_NODES], nr_masters;
	struct gc_instance *inst;
	size_t nr, cap;
};

/* Count key (of the form uswap:<id>:...) under its instance. */
static int gc_note(struct gc *g, const char *key)
{
	char *end;
	uint64_t id = strtoull(key + strlen("uswap:"), &end, 16);

	if (end != key + strlen("uswap:") + 16 || *end != ':')
		return 0; /* not one of ours */
	for (size_t i = 0; i < g->nr; i++)
		if (g->inst[i].id == id) {
			g->inst[i].keys++;
			return 0;
		}
	if (g->nr == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		struct gc_instance *p = base_realloc(g->inst, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		g->inst = p;
		g->cap = cap;
	}
	g->inst[g->nr++] = (struct gc_instance){.id = id, .keys = 1};
	return 0;
}

/* Walk every master's keys matching pattern: each key to fn. 0 or -errno. */
static int gc_walk(struct gc *g, const char *pattern, int (*fn)(struct gc *g, const redisReply *keys))
{
	for (int m = 0; m < g->nr_masters; m++) {
		unsigned long long cursor = 0;
		do {
			redisReply *keys;
			int ret = rc_scan(g->rc, g->masters[m], &cursor, pattern, &keys);
			if (!ret)
				ret = fn(g, keys);
			if (ret)
				return ret;
			freeReplyObject(keys);
		} while (cursor);
	}
	return 0;
}

static int gc_count(struct gc *g, const redisReply *keys)
{
	for (size_t k = 0; k < keys->elements; k++)
		if (keys->element[k]->type == REDIS_REPLY_STRING && gc_note(g, keys->element[k]->str))
			return -ENOMEM;
	return 0;
}

static int gc_unlink(struct gc *g, const redisReply *keys)
{
	struct rc_cmd cmds[BATCH];

	for (size_t k = 0; k < keys->elements; k += BATCH) {
		int n = (int)MIN((size_t)BATCH, keys->elements - k);
		for (int i = 0; i < n; i++) {
			const redisReply *e = keys->element[k + (size_t)i];
			cmds[i] = (struct rc_cmd){.argc = 2, .argv = {"UNLINK", e->str}, .argvlen = {6, e->len}};
		}
		int ret = rc_run(g->rc, cmds, n);
		rc_cmds_free(cmds, n);
		if (ret)
			return ret;
	}
	return 0;
}

/* Does instance id hold a lease? 1, 0, or -errno. */
static int gc_leased(struct gc *g, uint64_t id)
{
	char key[KEY_MAX];
	size_t klen;

	lease_key(id, key, &klen);
	struct rc_cmd c = {.argc = 2, .argv = {"EXISTS", key}, .argvlen = {6, klen}};
	int ret = rc_run(g->rc, &c, 1);
	if (!ret)
		ret = c.reply->type == REDIS_REPLY_INTEGER ? c.reply->integer > 0 : -EIO;
	rc_cmds_free(&c, 1);
	return ret;
}

/* The cluster of url and its masters, for a walk. */
static int gc_open(struct gc *g, const char *url, const struct rc_url_opts *o, char *err, size_t errlen)
{
	uint64_t unused;
	int ret;

	*g = (struct gc){0};
	if (!swap_backing_is_remote_path(url)) {
		snprintf(err, errlen, "'%s' is not a redis://host:port[,host:port...] URL", url);
		return -EINVAL;
	}
	if ((ret = rc_open_url(url, o, &g->rc, &unused, err, errlen)))
		return ret;
	g->nr_masters = rc_masters(g->rc, g->masters, RC_MAX_NODES);
	return 0;
}

/* Unlink every key of instance id (its lease too). */
static int gc_remove(struct gc *g, uint64_t id)
{
	char pattern[KEY_MAX];

	snprintf(pattern, sizeof(pattern), "uswap:%016" PRIx64 ":*", id);
	return gc_walk(g, pattern, gc_unlink);
}

static int gc_close(struct gc *g, int ret, char *err, size_t errlen)
{
	if (ret)
		snprintf(err, errlen, "redis: %s while walking the cluster's keys",
			 ret == -ENOMEM ? "out of memory" : "a node stopped answering");
	base_free(g->inst);
	rc_close(g->rc);
	return ret;
}

/*
 * Remove the keys of every uswap instance on the cluster of url whose
 * lease is gone (its process crashed or ended without uswap_close
 * LEASE_MS ago or more); instances holding a lease are left alone. With
 * dry_run nothing is removed. A line per instance and a summary go to
 * report. Returns 0, or -errno with err set.
 */
int redis_remote_gc(const char *url, const struct rc_url_opts *o, bool dry_run, FILE *report, char *err,
		    size_t errlen)
{
	struct gc g;
	uint64_t removed = 0, gone = 0;
	int ret;

	if ((ret = gc_open(&g, url, o, err, errlen)))
		return ret;
	ret = gc_walk(&g, "uswap:*", gc_count);
	for (size_t i = 0; !ret && i < g.nr; i++) {
		int leased = gc_leased(&g, g.inst[i].id);
		if ((ret = leased < 0 ? leased : 0))
			break;
		fprintf(report, "instance %016" PRIx64 ": %" PRIu64 " keys, %s\n", g.inst[i].id, g.inst[i].keys,
			leased ? "lease held: kept" : dry_run ? "no lease: would be removed" : "no lease: removed");
		if (leased)
			continue;
		gone++;
		removed += g.inst[i].keys;
		if (!dry_run)
			ret = gc_remove(&g, g.inst[i].id);
	}
	if (!ret)
		fprintf(report, "%zu instances on %d masters; %" PRIu64 " without a lease, %" PRIu64 " keys %s\n", g.nr,
			g.nr_masters, gone, removed, dry_run ? "to remove" : "removed");
	return gc_close(&g, ret, err, errlen);
}

/* Remove every key of the n instances ids (ended: uswap run's processes),
 * lease or not. 0, or -errno with err set. */
int redis_remote_drop(const char *url, const struct rc_url_opts *o, const uint64_t *ids, size_t n, char *err,
		      size_t errlen)
{
	struct gc g;
	int ret;

	if ((ret = gc_open(&g, url, o, err, errlen)))
		return ret;
	for (size_t i = 0; !ret && i < n; i++)
		ret = gc_remove(&g, ids[i]);
	return gc_close(&g, ret, err, errlen);
}

/* The device's instance id (its keys' namespace). */
uint64_t redis_dev_instance(struct redis_dev *d) { return d->instance; }
