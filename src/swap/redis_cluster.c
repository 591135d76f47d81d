/*
 * redis_cluster.c - a small Redis Cluster client on hiredis: the slot map,
 * routing by hash slot, pipelines per node, MOVED and ASK.
 *
 * The map comes from CLUSTER SLOTS, asked of any reachable node (the seeds
 * first, then every node seen). A batch of commands is routed by each
 * command's key (CRC16 of the key, or of its {hash tag}, modulo 16384),
 * appended to each node's connection and the replies read back: one round
 * trip per node for the whole batch. A MOVED reply refreshes the map and
 * the command goes again; ASK sends ASKING and the command to the node
 * named, once. A node that does not answer within the timeout is dropped;
 * the map is refreshed (with a growing pause: a failover takes the
 * cluster's node timeout) and its commands go again, up to a deadline.
 * hiredis does the protocol; this file only routes.
 *
 * Lock order: rc.lock is a leaf (held across a batch's round trips).
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "swap/redis_cluster.h"

#define RC_SLOTS 16384

struct rc_node {
	char host[64];
	int port;
	redisContext *c;             /* NULL: not connected */
	uint64_t conn;               /* c's number (rc.conns when it connected): a WAIT covers
					only the writes of the connection it is sent on */
	int replicas;                /* as a master, in the last slot map */
	uint64_t down_since_ms;      /* when its connection failed or timed out (0: up) */
};

struct redis_cluster {
	mutex_t lock;                /* guards everything below */
	struct rc_node node[RC_MAX_NODES];
	int nr_nodes;
	int16_t slot_node[RC_SLOTS]; /* node index serving each slot, -1 unknown */
	struct timeval timeout;      /* constant */
	uint64_t retry_ms;           /* constant: how long a batch keeps trying */
	char auth_user[64], auth_pass[256]; /* constant; never printed */
	_Atomic int masters, down, unserved; /* atomic: rc_state's summary, set under lock */
	bool state_stale;            /* the map or a node's state changed since the summary */
	uint64_t map_ms;             /* when the map was last fetched */
	uint64_t conns;              /* connections made so far */
};

/* ---------------------------------------------------------------- slots */

/* CRC16-CCITT (XMODEM), as Redis Cluster hashes keys. */
static uint16_t crc16(const char *p, size_t n)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)((unsigned char)p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = crc & 0x8000 ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

/* The hash slot of key: of its {tag} if it has a non-empty one. */
unsigned rc_keyslot(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len);

	if (open) {
		const char *close = memchr(open + 1, '}', len - (size_t)(open + 1 - key));
		if (close && close > open + 1)
			return crc16(open + 1, (size_t)(close - open - 1)) % RC_SLOTS;
	}
	return crc16(key, len) % RC_SLOTS;
}

/* ---------------------------------------------------------------- nodes */

static uint64_t now_ms(void) { return os_now_ns() / 1000000; }

static int node_find(struct redis_cluster *rc, const char *host, int port, bool add)
{
	for (int i = 0; i < rc->nr_nodes; i++)
		if (rc->node[i].port == port && !strcmp(rc->node[i].host, host))
			return i;
	if (!add || rc->nr_nodes == RC_MAX_NODES)
		return -1;
	struct rc_node *n = &rc->node[rc->nr_nodes];
	snprintf(n->host, sizeof(n->host), "%s", host);
	n->port = port;
	n->c = NULL;
	return rc->nr_nodes++;
}

/* Close n's connection after a failure (or at close). */
static void node_drop(struct redis_cluster *rc, struct rc_node *n)
{
	if (n->c)
		redisFree(n->c);
	n->c = NULL;
	if (!n->down_since_ms) {
		n->down_since_ms = now_ms();
		rc->state_stale = true;
	}
}

/* A reply that is not an error, or NULL (freed) with the node dropped on
 * a connection failure. */
static redisReply *node_command(struct redis_cluster *rc, struct rc_node *n, int argc, const char **argv,
				const size_t *len)
{
	redisReply *r = redisCommandArgv(n->c, argc, argv, len);

	if (!r)
		node_drop(rc, n);
	return r;
}

/* Connected (and authenticated) to node i? */
static bool node_up(struct redis_cluster *rc, int i)
{
	struct rc_node *n = &rc->node[i];

	if (n->c)
		return true;
	n->c = redisConnectWithTimeout(n->host, n->port, rc->timeout);
	if (!n->c || n->c->err) {
		node_drop(rc, n);
		return false;
	}
	redisSetTimeout(n->c, rc->timeout);
	n->conn = ++rc->conns;
	rc->state_stale |= n->down_since_ms != 0;
	n->down_since_ms = 0;
	if (!rc->auth_pass[0])
		return true;
	const char *argv[3] = {"AUTH", rc->auth_user, rc->auth_pass};
	const char **a = rc->auth_user[0] ? argv : (const char *[]){"AUTH", rc->auth_pass};
	int argc = rc->auth_user[0] ? 3 : 2;
	redisReply *r = node_command(rc, n, argc, a, NULL);
	bool ok = r && r->type != REDIS_REPLY_ERROR;
	if (r)
		freeReplyObject(r);
	if (!ok)
		node_drop(rc, n);
	return ok;
}

/* Fill the map from one CLUSTER SLOTS reply. */
static void map_from(struct redis_cluster *rc, const redisReply *r)
{
	rc->state_stale = true;
	for (int s = 0; s < RC_SLOTS; s++)
		rc->slot_node[s] = -1;
	for (int i = 0; i < rc->nr_nodes; i++)
		rc->node[i].replicas = 0;
	for (size_t k = 0; k < r->elements; k++) {
		const redisReply *e = r->element[k];
		if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || e->element[2]->type != REDIS_REPLY_ARRAY ||
		    e->element[2]->elements < 2)
			continue;
		const redisReply *m = e->element[2];
		int i = node_find(rc, m->element[0]->str, (int)m->element[1]->integer, true);
		if (i >= 0)
			rc->node[i].replicas = (int)e->elements - 3;
		for (long long s = e->element[0]->integer; i >= 0 && s <= e->element[1]->integer && s < RC_SLOTS; s++)
			rc->slot_node[s] = (int16_t)i;
	}
}

/* Ask any node for the slot map. 0, or -EHOSTUNREACH. */
static int map_refresh(struct redis_cluster *rc)
{
	for (int i = 0; i < rc->nr_nodes; i++) {
		if (!node_up(rc, i))
			continue;
		redisReply *r = node_command(rc, &rc->node[i], 2, (const char *[]){"CLUSTER", "SLOTS"}, NULL);
		bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0;
		if (ok) {
			map_from(rc, r);
			rc->map_ms = now_ms();
		}
		if (r)
			freeReplyObject(r);
		if (ok)
			return 0;
	}
	return -EHOSTUNREACH;
}

/* rc_state's summary of the map and the nodes. Caller holds rc.lock. */
static void state_update_locked(struct redis_cluster *rc)
{
	bool seen[RC_MAX_NODES] = {false};
	int masters = 0, down = 0, unserved = 0;

	for (int s = 0; s < RC_SLOTS; s++) {
		int i = rc->slot_node[s];
		if (i < 0) {
			unserved++;
		} else if (!seen[i]) {
			seen[i] = true;
			masters++;
			down += rc->node[i].down_since_ms != 0;
		}
	}
	atomic_store_relaxed(&rc->masters, masters);
	atomic_store_relaxed(&rc->down, down);
	atomic_store_relaxed(&rc->unserved, unserved);
	rc->state_stale = false;
}

/* ---------------------------------------------------------------- setup */

/* host as a numeric address into out: the cluster names its nodes by
 * address, and seeds are resolved once, here, so that no connection on a
 * fault's path waits for a resolver (or, under uswap run, has it allocate
 * with the program's malloc). */
static int resolve(const char *host, char *out, size_t len)
{
	struct addrinfo *ai, hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};

	if (getaddrinfo(host, NULL, &hints, &ai))
		return -1;
	int ret = getnameinfo(ai->ai_addr, ai->ai_addrlen, out, (socklen_t)len, NULL, 0, NI_NUMERICHOST) ? -1 : 0;
	freeaddrinfo(ai);
	return ret;
}

/* "host:port[,host:port...]" into seed nodes (';' separates them too: an
 * option string "key=value,..." cannot hold a comma in a value). */
static int parse_seeds(struct redis_cluster *rc, const char *seeds, char *err, size_t errlen)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", seeds);
	for (char *save, *tok = strtok_r(buf, ",;", &save); tok; tok = strtok_r(NULL, ",;", &save)) {
		char *colon = strrchr(tok, ':');
		int port = colon ? atoi(colon + 1) : 0;
		if (!colon || port <= 0 || port > 65535) {
			snprintf(err, errlen, "redis: '%s' is not host:port", tok);
			return -EINVAL;
		}
		*colon = 0;
		char addr[64];
		if (resolve(tok, addr, sizeof(addr))) {
			snprintf(err, errlen, "redis: cannot resolve '%s'", tok);
			return -EINVAL;
		}
		if (node_find(rc, addr, port, true) < 0) {
			snprintf(err, errlen, "redis: more than %d nodes", RC_MAX_NODES);
			return -EINVAL;
		}
	}
	if (!rc->nr_nodes) {
		snprintf(err, errlen, "redis: no seed node given");
		return -EINVAL;
	}
	return 0;
}

int rc_open(const struct rc_config *cfg, struct redis_cluster **out, char *err, size_t errlen)
{
	struct redis_cluster *rc = base_calloc(1, sizeof(*rc));
	int ret;

	if (!rc)
		return -ENOMEM;
	rc->timeout = (struct timeval){.tv_sec = cfg->timeout_ms / 1000, .tv_usec = cfg->timeout_ms % 1000 * 1000};
	rc->retry_ms = cfg->retry_ms;
	snprintf(rc->auth_user, sizeof(rc->auth_user), "%s", cfg->user ? cfg->user : "");
	snprintf(rc->auth_pass, sizeof(rc->auth_pass), "%s", cfg->password ? cfg->password : "");
	mutex_init(&rc->lock);
	if ((ret = parse_seeds(rc, cfg->seeds, err, errlen)) == 0 && (ret = map_refresh(rc)))
		snprintf(err, errlen, "redis: no seed of %s answers CLUSTER SLOTS (down, not a cluster, or AUTH)",
			 cfg->seeds);
	if (ret) {
		rc_close(rc);
		return ret;
	}
	state_update_locked(rc); /* no other thread knows rc yet */
	*out = rc;
	return 0;
}

/* AUTH from o->auth_file: its first line, "password" or "user password".
 * The file must be the user's alone (like ~/.pgpass): readable by others,
 * it is refused. 0, or -errno with err set. */
static int auth_from_file(const char *path, char *user, size_t ulen, char *pass, size_t plen, char *err,
			  size_t errlen)
{
	char line[512] = "";
	struct stat st;
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "redis_auth_file %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		snprintf(err, errlen, "redis_auth_file %s: not a regular file only its owner can read (chmod 600 it)",
			 path);
		ret = -EACCES;
	} else if (!fgets(line, sizeof(line), f)) {
		snprintf(err, errlen, "redis_auth_file %s: empty", path);
		ret = -EINVAL;
	}
	fclose(f);
	char *save, *a = ret ? NULL : strtok_r(line, " \t\r\n", &save), *b = a ? strtok_r(NULL, " \t\r\n", &save) : NULL;
	if (!ret && !a) {
		snprintf(err, errlen, "redis_auth_file %s: no password on its first line", path);
		ret = -EINVAL;
	}
	if (!ret) {
		snprintf(user, ulen, "%s", b ? a : "");
		snprintf(pass, plen, "%s", b ? b : a);
	}
	explicit_bzero(line, sizeof(line));
	return ret;
}

/*
 * Open the cluster of a "redis://seeds" URL with the redis_* options (o
 * NULL: the defaults). AUTH comes from o->auth_file, else from the
 * environment (USWAP_REDIS_USER, USWAP_REDIS_PASSWORD); never from an
 * option string or a command line, which may be printed. A node is down
 * after o->timeout_ms; a batch keeps trying for o->retry_ms (a failover
 * takes the cluster's node timeout). *id gets 64 random bits for the
 * caller's keys, so that two users never meet.
 */
int rc_open_url(const char *url, const struct rc_url_opts *o, struct redis_cluster **out, uint64_t *id, char *err,
		size_t errlen)
{
	static const struct rc_url_opts defaults;
	char user[64] = "", pass[256] = "";
	struct rc_config cfg = {.seeds = url + strlen("redis://"),
				.user = getenv("USWAP_REDIS_USER"),
				.password = getenv("USWAP_REDIS_PASSWORD")};
	int ret;

	o = o ? o : &defaults;
	cfg.timeout_ms = o->timeout_ms ? o->timeout_ms : RC_DEFAULT_TIMEOUT_MS;
	cfg.retry_ms = o->retry_ms ? o->retry_ms : RC_DEFAULT_RETRY_MS;
	if (o->auth_file && *o->auth_file) {
		if ((ret = auth_from_file(o->auth_file, user, sizeof(user), pass, sizeof(pass), err, errlen)))
			return ret;
		cfg.user = user;
		cfg.password = pass;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "redis: libsodium failed to initialise");
		ret = -EIO;
	} else {
		randombytes_buf(id, sizeof(*id));
		ret = rc_open(&cfg, out, err, errlen);
	}
	explicit_bzero(pass, sizeof(pass));
	return ret;
}

void rc_close(struct redis_cluster *rc)
{
	if (!rc)
		return;
	for (int i = 0; i < rc->nr_nodes; i++)
		node_drop(rc, &rc->node[i]);
	mutex_destroy(&rc->lock);
	explicit_bzero(rc->auth_pass, sizeof(rc->auth_pass));
	base_free(rc);
}

/* ---------------------------------------------------------------- batches */

/* Where command k goes: its slot's node, or its ASK target. */
static int route(struct redis_cluster *rc, const struct rc_cmd *c)
{
	return c->ask_node >= 0 ? c->ask_node : rc->slot_node[rc_keyslot(c->argv[1], c->argvlen[1])];
}

/* A MOVED or ASK error: "MOVED slot host:port". The node, or -1. */
static int redirect_node(struct redis_cluster *rc, const char *msg)
{
	const char *sp = strrchr(msg, ' '), *colon = sp ? strrchr(sp, ':') : NULL;
	char host[64];

	if (!colon || colon - sp - 1 <= 0 || colon - sp - 1 >= (long)sizeof(host))
		return -1;
	memcpy(host, sp + 1, (size_t)(colon - sp - 1));
	host[colon - sp - 1] = 0;
	return node_find(rc, host, atoi(colon + 1), true);
}

#define WAIT_MS "200" /* rc_run_durable: a replica's acknowledgement, at most */

/* One round: every pending command (reply NULL) of node i, pipelined;
 * durable: then WAIT for a replica (when the node has one), in the same
 * pipeline. Returns false if the node failed (its commands stay
 * pending). */
static bool round_node(struct redis_cluster *rc, int i, struct rc_cmd *cmds, int n, bool durable, bool *refresh)
{
	struct rc_node *nd = &rc->node[i];
	int sent = 0;

	if (!node_up(rc, i)) {
		*refresh = true; /* down: its slots may have moved to a replica */
		return false;
	}
	for (int k = 0; k < n; k++)
		if (!cmds[k].reply && route(rc, &cmds[k]) == i) {
			if (cmds[k].ask_node >= 0)
				redisAppendCommand(nd->c, "ASKING");
			redisAppendCommandArgv(nd->c, cmds[k].argc, cmds[k].argv, cmds[k].argvlen);
			sent++;
		}
	bool wait = durable && sent && nd->replicas > 0;
	if (wait)
		redisAppendCommand(nd->c, "WAIT 1 " WAIT_MS);
	for (int k = 0; k < n && sent; k++) {
		if (cmds[k].reply || route(rc, &cmds[k]) != i)
			continue;
		redisReply *r = NULL;
		if (cmds[k].ask_node >= 0) { /* ASKING's +OK first */
			if (redisGetReply(nd->c, (void **)&r) != REDIS_OK)
				goto failed;
			freeReplyObject(r);
			r = NULL;
		}
		if (redisGetReply(nd->c, (void **)&r) != REDIS_OK)
			goto failed;
		cmds[k].ask_node = -1;
		if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "MOVED ", 6)) {
			*refresh = true;
			freeReplyObject(r);
		} else if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "ASK ", 4)) {
			cmds[k].ask_node = redirect_node(rc, r->str);
			freeReplyObject(r);
		} else if (r->type == REDIS_REPLY_ERROR && (!strncmp(r->str, "TRYAGAIN", 8) ||
							    !strncmp(r->str, "CLUSTERDOWN", 11))) {
			*refresh = true; /* a migration or failover under way: again, later */
			freeReplyObject(r);
		} else {
			cmds[k].reply = r;
			cmds[k].node = i;
			cmds[k].conn = nd->conn;
		}
	}
	redisReply *w = NULL;
	if (wait && redisGetReply(nd->c, (void **)&w) != REDIS_OK)
		goto failed; /* the writes were acknowledged: only the connection goes */
	if (w)
		freeReplyObject(w);
	return true;
failed:
	node_drop(rc, nd); /* its replies are lost: everything of it goes again */
	*refresh = true;
	return false;
}

/* Is command c's node down for the whole retry time already, and does a
 * map fetched since it went down still route c to it? Then its slots did
 * not move to a replica: it had none (a lost master), and its commands
 * fail at once instead of each batch waiting again. A later batch still
 * tries to reach it once, so a node that comes back serves. (Without the
 * map's age, a map older than the failure, left as it was by a client
 * that sent nothing to that node for a while, failed commands whose
 * slots had long moved to a replica.) */
static bool node_lost(struct redis_cluster *rc, const struct rc_cmd *c, uint64_t now)
{
	int i = route(rc, c);
	uint64_t down = i >= 0 ? rc->node[i].down_since_ms : 0;

	return down && now - down >= rc->retry_ms && rc->map_ms > down;
}

static int run(struct redis_cluster *rc, struct rc_cmd *cmds, int n, bool durable)
{
	uint64_t deadline = now_ms() + rc->retry_ms, pause = 10;
	int left = n;

	for (int k = 0; k < n; k++) {
		cmds[k].reply = NULL;
		cmds[k].ask_node = -1;
		cmds[k].node = -1;
	}
	mutex_lock(&rc->lock);
	for (;;) {
		bool refresh = false, busy[RC_MAX_NODES] = {false};
		for (int k = 0; k < n; k++) {
			int i = cmds[k].reply ? -1 : route(rc, &cmds[k]);
			if (i >= 0)
				busy[i] = true;
			else if (!cmds[k].reply)
				refresh = true; /* a slot nobody serves (yet) */
		}
		for (int i = 0; i < rc->nr_nodes; i++)
			if (busy[i])
				round_node(rc, i, cmds, n, durable, &refresh);
		uint64_t now = now_ms();
		int waiting = 0;
		left = 0;
		for (int k = 0; k < n; k++) {
			left += !cmds[k].reply;
			waiting += !cmds[k].reply && !node_lost(rc, &cmds[k], now);
		}
		if (!waiting || now >= deadline)
			break;
		if (refresh) {
			struct timespec ts = {.tv_sec = (time_t)(pause / 1000), .tv_nsec = (long)(pause % 1000) * 1000000};
			nanosleep(&ts, NULL);
			pause = pause * 2 > 500 ? 500 : pause * 2;
			map_refresh(rc);
		}
	}
	if (rc->state_stale) /* a walk of every slot: not on every batch */
		state_update_locked(rc);
	mutex_unlock(&rc->lock);
	return left ? -EHOSTUNREACH : 0;
}

/*
 * Run n commands (argv[1] is each one's key), pipelined per node; each
 * cmds[k].reply gets its reply (free with rc_cmds_free), an error reply
 * included. A command left without a reply when the deadline passes (the
 * cluster unreachable, or its slot unserved) has NULL there. Returns 0 if
 * every command got a reply, else -EHOSTUNREACH.
 */
int rc_run(struct redis_cluster *rc, struct rc_cmd *cmds, int n) { return run(rc, cmds, n, false); }

/*
 * Has a replica of node the writes made on its connection conn (an
 * rc_cmd's node and conn after rc_run)? WAIT 1 on that connection, when
 * the node has a replica in the slot map. 1: yes (or it has no replica:
 * its copy is all there is, as with a file); 0: no replica acknowledged
 * them within WAIT_MS; -1: the connection is gone (the node failed, or
 * was reconnected since), so the writes may be lost with it and must go
 * again.
 */
int rc_wait(struct redis_cluster *rc, int node, uint64_t conn)
{
	redisReply *r = NULL;
	int ret = -1;

	mutex_lock(&rc->lock);
	struct rc_node *nd = node >= 0 && node < rc->nr_nodes ? &rc->node[node] : NULL;
	if (nd && nd->c && nd->conn == conn && !nd->replicas) {
		ret = 1;
	} else if (nd && nd->c && nd->conn == conn) {
		r = node_command(rc, nd, 3, (const char *[]){"WAIT", "1", WAIT_MS}, NULL);
		ret = !r || r->type != REDIS_REPLY_INTEGER ? -1 : r->integer > 0;
	}
	if (ret < 0 && nd && nd->c && nd->conn == conn)
		node_drop(rc, nd); /* an error reply (a master turned replica): its writes go again */
	mutex_unlock(&rc->lock);
	if (r)
		freeReplyObject(r);
	return ret;
}

/* rc_run for writes that must survive a failover: each node's pipeline
 * ends with WAIT 1 (when it has a replica in the slot map), so a master
 * that dies right after the batch has passed it on. A master without
 * replicas is not asked: its copy is all there is, as with a file. */
int rc_run_durable(struct redis_cluster *rc, struct rc_cmd *cmds, int n) { return run(rc, cmds, n, true); }

void rc_cmds_free(struct rc_cmd *cmds, int n)
{
	for (int k = 0; k < n; k++)
		if (cmds[k].reply) {
			freeReplyObject(cmds[k].reply);
			cmds[k].reply = NULL;
		}
}

/* ---------------------------------------------------------------- tools */

/* The nodes serving slots in the last map (each master once), into
 * nodes; returns how many. */
int rc_masters(struct redis_cluster *rc, int *nodes, int max)
{
	bool seen[RC_MAX_NODES] = {false};
	int n = 0;

	mutex_lock(&rc->lock);
	map_refresh(rc);
	for (int s = 0; s < RC_SLOTS; s++) {
		int i = rc->slot_node[s];
		if (i >= 0 && !seen[i] && n < max) {
			seen[i] = true;
			nodes[n++] = i;
		}
	}
	mutex_unlock(&rc->lock);
	return n;
}

/*
 * One SCAN step on node (a number from rc_masters): *cursor is 0 at the
 * start and 0 again when the node has been walked. *keys gets the reply's
 * key array (free it with freeReplyObject). 0, or -EHOSTUNREACH.
 */
int rc_scan(struct redis_cluster *rc, int node, unsigned long long *cursor, const char *pattern, redisReply **keys)
{
	char cur[24];
	redisReply *r = NULL;

	snprintf(cur, sizeof(cur), "%llu", *cursor);
	mutex_lock(&rc->lock);
	if (node >= 0 && node < rc->nr_nodes && node_up(rc, node))
		r = node_command(rc, &rc->node[node], 6,
				 (const char *[]){"SCAN", cur, "MATCH", pattern, "COUNT", "1000"}, NULL);
	mutex_unlock(&rc->lock);
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		if (r)
			freeReplyObject(r);
		return -EHOSTUNREACH;
	}
	*cursor = strtoull(r->element[0]->str, NULL, 10);
	*keys = r->element[1];
	r->element[1] = NULL; /* the caller owns the array; the rest goes */
	r->elements = 1;
	freeReplyObject(r);
	return 0;
}

/* The cluster as the swaps listing shows it: "ok", or how many of its
 * masters are down and how many slots nobody serves (as of the last batch:
 * no lock, so a listing never waits for a batch's retries). */
void rc_state(struct redis_cluster *rc, char *buf, size_t len)
{
	int masters = atomic_load_relaxed(&rc->masters), down = atomic_load_relaxed(&rc->down),
	    unserved = atomic_load_relaxed(&rc->unserved);

	if (!down && !unserved)
		snprintf(buf, len, "ok");
	else if (!unserved)
		snprintf(buf, len, "%d/%d masters down", down, masters);
	else
		snprintf(buf, len, "%d/%d masters down, %d slots unserved", down, masters, unserved);
}
