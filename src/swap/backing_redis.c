/*
 * backing_redis.c - a backing store whose slots are keys on a Redis
 * Cluster (swapfile=redis://host:port[,host:port...]): the far tier.
 *
 * backing.c keeps the slots (the same bitmap as for a file); a slot's
 * page is the value of the key "uswap:<instance>:<slot>", where the
 * instance is 64 random bits per open, so instances never meet. What
 * travels is the page as backing.c seals it (ciphertext with encrypt=on),
 * LZ4-compressed when that saves anything: one byte of kind, then the
 * bytes. The checksum or tag stays in memory with the entry, as for a
 * file: a value changed or lost on the cluster is an error for that page.
 * Batches (swap-out, writeback, readahead) go as one pipeline per node
 * (redis_cluster.c). Freed slots are unlinked in batches (backing.c's
 * discard path); close unlinks every key still in use and the instance's
 * lease key, which otherwise expires (LEASE_MS) after a crash.
 *
 * AUTH: the user and password come from USWAP_REDIS_USER and
 * USWAP_REDIS_PASSWORD in the environment (never from an option string,
 * which may be printed, nor from the command line).
 *
 * Lock order: the cluster's lock is a leaf; backing.c may hold map_lock
 * around an unlink batch.
 */
#include <errno.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swap/redis_cluster.h"
#include "swap/swap.h"

#define KEY_MAX   48
#define LEASE_MS  60000
#define KIND_RAW  0
#define KIND_LZ4  1
#define BATCH     64 /* commands per pipeline round */

struct redis_dev {
	struct redis_cluster *rc;   /* constant */
	uint64_t instance;          /* constant */
	_Atomic uint64_t lease_at_ms; /* atomic: when the lease was last renewed */
};

static void slot_key(const struct redis_dev *d, uint64_t slot, char *key, size_t *len)
{
	*len = (size_t)snprintf(key, KEY_MAX, "uswap:%016llx:%llu", (unsigned long long)d->instance,
				(unsigned long long)slot);
}

static void lease_key(const struct redis_dev *d, char *key, size_t *len)
{
	*len = (size_t)snprintf(key, KEY_MAX, "uswap:%016llx:lease", (unsigned long long)d->instance);
}

/* SET the lease key with an expiry, now and then. */
static void lease_renew(struct redis_dev *d, bool force)
{
	uint64_t now = os_now_ns() / 1000000;
	char key[KEY_MAX], ms[24];
	size_t klen;

	if (!force && now - atomic_load_relaxed(&d->lease_at_ms) < LEASE_MS / 4)
		return;
	atomic_store_relaxed(&d->lease_at_ms, now);
	lease_key(d, key, &klen);
	int mlen = snprintf(ms, sizeof(ms), "%d", LEASE_MS);
	struct rc_cmd c = {.argc = 5, .argv = {"SET", key, "1", "PX", ms}, .argvlen = {3, klen, 1, 2, (size_t)mlen}};
	rc_run(d->rc, &c, 1);
	rc_cmds_free(&c, 1);
}

bool swap_backing_is_remote_path(const char *path) { return path && !strncmp(path, "redis://", 8); }

int redis_dev_open(const char *url, struct redis_dev **out, char *err, size_t errlen)
{
	struct redis_dev *d = base_calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	if ((ret = rc_open_url(url, &d->rc, &d->instance, err, errlen))) {
		base_free(d);
		return ret;
	}
	lease_renew(d, true);
	*out = d;
	return 0;
}

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

/* A GET reply into page: 0, or -EIO (missing, or not a page). */
int redis_page_unpack(const redisReply *r, void *page)
{
	if (!r || r->type != REDIS_REPLY_STRING || r->len < 1)
		return -EIO;
	if (r->str[0] == KIND_RAW && r->len == PAGE_SIZE + 1) {
		memcpy(page, r->str + 1, PAGE_SIZE);
		return 0;
	}
	if (r->str[0] == KIND_LZ4 && LZ4_decompress_safe(r->str + 1, page, (int)r->len - 1, PAGE_SIZE) == PAGE_SIZE)
		return 0;
	return -EIO;
}

/* Up to BATCH operations, one pipeline. */
static void io_batch(struct redis_dev *d, enum backing_op op, const uint64_t *slots, void **pages, int n, int *res)
{
	static _Thread_local char buf[BATCH][PAGE_SIZE + 1], keys[BATCH][KEY_MAX];
	struct rc_cmd cmds[BATCH];

	for (int i = 0; i < n; i++) {
		size_t klen;
		slot_key(d, slots[i], keys[i], &klen);
		cmds[i] = (struct rc_cmd){.argc = 2, .argv = {"GET", keys[i]}, .argvlen = {3, klen}};
		if (op == BACKING_WRITE) {
			cmds[i].argc = 3;
			cmds[i].argv[0] = "SET";
			cmds[i].argv[2] = buf[i];
			cmds[i].argvlen[2] = redis_page_pack(pages[i], buf[i]);
		}
	}
	if (op == BACKING_WRITE)
		rc_run_durable(d->rc, cmds, n); /* a replica has them when it returns */
	else
		rc_run(d->rc, cmds, n);
	for (int i = 0; i < n; i++) {
		const redisReply *r = cmds[i].reply;
		if (op == BACKING_READ)
			res[i] = redis_page_unpack(r, pages[i]);
		else
			res[i] = r && r->type == REDIS_REPLY_STATUS ? 0 : -EIO;
	}
	rc_cmds_free(cmds, n);
}

/* n page reads or writes; res[i] = 0 or -errno. */
void redis_dev_io(struct redis_dev *d, enum backing_op op, const uint64_t *slots, void **pages, int n, int *res)
{
	if (op == BACKING_WRITE)
		lease_renew(d, false);
	for (int k = 0; k < n; k += BATCH)
		io_batch(d, op, slots + k, pages + k, MIN(BATCH, n - k), res + k);
}

/* Delete the keys of n freed slots (UNLINK: the server frees them later). */
void redis_dev_unlink(struct redis_dev *d, const uint64_t *slots, int n)
{
	char keys[BATCH][KEY_MAX];
	struct rc_cmd cmds[BATCH];

	for (int k = 0; k < n; k += BATCH) {
		int m = MIN(BATCH, n - k);
		for (int i = 0; i < m; i++) {
			size_t klen;
			slot_key(d, slots[k + i], keys[i], &klen);
			cmds[i] = (struct rc_cmd){.argc = 2, .argv = {"UNLINK", keys[i]}, .argvlen = {6, klen}};
		}
		rc_run(d->rc, cmds, m);
		rc_cmds_free(cmds, m);
	}
}

/* Every key of the instance goes: the slots still in use (bit set in map
 * of nr_slots) and the lease. */
void redis_dev_close(struct redis_dev *d, const uint64_t *map, uint64_t nr_slots)
{
	uint64_t batch[BATCH];
	int n = 0;

	if (!d)
		return;
	for (uint64_t s = 0; map && s < nr_slots; s++)
		if (map[s / 64] & (1ull << (s % 64))) {
			batch[n++] = s;
			if (n == BATCH) {
				redis_dev_unlink(d, batch, n);
				n = 0;
			}
		}
	if (n)
		redis_dev_unlink(d, batch, n);
	char key[KEY_MAX];
	struct rc_cmd c = {.argc = 2, .argv = {"UNLINK", key}, .argvlen = {6, 0}};
	lease_key(d, key, &c.argvlen[1]);
	rc_run(d->rc, &c, 1);
	rc_cmds_free(&c, 1);
	rc_close(d->rc);
	base_free(d);
}
