/*
 * redis_cluster.h - a small Redis Cluster client (redis_cluster.c): routes
 * commands by their key's hash slot, pipelines them per node, follows
 * MOVED and ASK, refreshes the slot map after a failover or a resharding.
 */
#ifndef USWAP_SWAP_REDIS_CLUSTER_H
#define USWAP_SWAP_REDIS_CLUSTER_H

#include <hiredis/hiredis.h>

#include "base/base.h"
#include "swap/swap.h"

#define RC_MAX_NODES 64

struct rc_config {
	const char *seeds;          /* "host:port[,host:port...]" */
	const char *user, *password; /* AUTH, or NULL */
	unsigned timeout_ms;        /* a node that takes longer is down */
	uint64_t retry_ms;          /* a batch keeps trying (failover, migration) this long */
};

/* A command whose key is argv[1]. */
struct rc_cmd {
	int argc;
	const char *argv[5];
	size_t argvlen[5];
	redisReply *reply;          /* rc_run's result: NULL if none came */
	int node;                   /* rc_run's result: the node that replied */
	uint64_t conn;              /* rc_run's result: on which of its connections (rc_wait) */
	int ask_node;               /* rc_run's own */
};

struct redis_cluster;

int rc_open_url(const char *url, const struct rc_url_opts *o, struct redis_cluster **out, uint64_t *id, char *err,
		size_t errlen);
int rc_open(const struct rc_config *cfg, struct redis_cluster **out, char *err, size_t errlen);
void rc_close(struct redis_cluster *rc);
unsigned rc_keyslot(const char *key, size_t len);
int rc_run(struct redis_cluster *rc, struct rc_cmd *cmds, int n);
int rc_run_durable(struct redis_cluster *rc, struct rc_cmd *cmds, int n);
int rc_wait(struct redis_cluster *rc, int node, uint64_t conn);
void rc_cmds_free(struct rc_cmd *cmds, int n);
int rc_masters(struct redis_cluster *rc, int *nodes, int max);
int rc_scan(struct redis_cluster *rc, int node, unsigned long long *cursor, const char *pattern, redisReply **keys);
void rc_state(struct redis_cluster *rc, char *buf, size_t len);

/* backing_redis.c: a page as it travels (1 byte of kind, LZ4 or raw). */
size_t redis_page_pack(const void *page, char *out);
int redis_page_unpack(const redisReply *r, void *page);

#endif
