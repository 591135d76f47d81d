/*
 * remote_ref.c - the reference side of `uswap bench swap` on a Redis
 * Cluster device: plain SET and GET of the same payloads (each page packed
 * as uswap's device packs it: a kind byte, then LZ4 or the raw page) on the
 * same cluster, through the same routing module and hiredis, with the
 * batch sizes uswap uses (a swap-out writes one page; a sequential read
 * fetches a window of pages in one pipeline; a random read one page).
 * Keys are "uswapbench:<random>:<page>", all unlinked at close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote_ref.h"
#include "swap/redis_cluster.h"

#define KEY_MAX 48
#define BATCH   256

struct remote_ref {
	struct redis_cluster *rc;
	uint64_t id;
	char key[BATCH][KEY_MAX];
	char buf[PAGE_SIZE + 1];
	struct rc_cmd cmds[BATCH];
};

static size_t ref_key(struct remote_ref *r, int slot, size_t page)
{
	return (size_t)snprintf(r->key[slot], KEY_MAX, "uswapbench:%016llx:%zu", (unsigned long long)r->id, page);
}

int remote_ref_open(const char *url, const struct rc_url_opts *o, struct remote_ref **out, char *err, size_t errlen)
{
	struct remote_ref *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	if ((ret = rc_open_url(url, o, &r->rc, &r->id, err, errlen))) {
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

/* SET page number i; 0 or -EIO. */
int remote_ref_put(struct remote_ref *r, size_t i, const void *page)
{
	struct rc_cmd *c = &r->cmds[0];

	*c = (struct rc_cmd){.argc = 3, .argv = {"SET", r->key[0], r->buf}};
	c->argvlen[0] = 3;
	c->argvlen[1] = ref_key(r, 0, i);
	c->argvlen[2] = redis_page_pack(page, r->buf);
	rc_run(r->rc, c, 1);
	int ok = c->reply && c->reply->type == REDIS_REPLY_STATUS;
	rc_cmds_free(c, 1);
	return ok ? 0 : -EIO;
}

/* GET pages idx[0..n) (n <= BATCH) in one pipeline, each into
 * dest + idx[k] pages; returns how many failed. */
int remote_ref_get(struct remote_ref *r, const size_t *idx, int n, unsigned char *dest)
{
	int fails = 0;

	for (int k = 0; k < n; k++) {
		r->cmds[k] = (struct rc_cmd){.argc = 2, .argv = {"GET", r->key[k]}};
		r->cmds[k].argvlen[0] = 3;
		r->cmds[k].argvlen[1] = ref_key(r, k, idx[k]);
	}
	rc_run(r->rc, r->cmds, n);
	for (int k = 0; k < n; k++)
		fails += redis_page_unpack(r->cmds[k].reply, dest + idx[k] * PAGE_SIZE) != 0;
	rc_cmds_free(r->cmds, n);
	return fails;
}

/* Unlink the keys of pages 0..n and close. */
void remote_ref_close(struct remote_ref *r, size_t n)
{
	if (!r)
		return;
	for (size_t first = 0; first < n; first += BATCH) {
		int m = (int)(n - first < BATCH ? n - first : BATCH);
		for (int k = 0; k < m; k++) {
			r->cmds[k] = (struct rc_cmd){.argc = 2, .argv = {"UNLINK", r->key[k]}};
			r->cmds[k].argvlen[0] = 6;
			r->cmds[k].argvlen[1] = ref_key(r, k, first + (size_t)k);
		}
		rc_run(r->rc, r->cmds, m);
		rc_cmds_free(r->cmds, m);
	}
	rc_close(r->rc);
	free(r);
}
