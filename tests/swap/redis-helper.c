/*
 * redis-helper.c - run by tests/swap/redis.sh against a Redis Cluster it
 * started: a swap system whose device is the cluster
 * (swapfile=redis://...), with a small zswap pool in front so that
 * writeback reaches the cluster in batches too.
 *   helper URL basic:    PAGES pages swapped out (some straight to the
 *                        device, the rest through zswap and its
 *                        writeback), every page read back and checked, in
 *                        order and at random; half freed (their keys are
 *                        unlinked); prints the key count it expects, then
 *                        closes (every key goes).
 *   helper URL failover: pages swapped out; prints READY and waits for a
 *                        line on stdin (the script kills a master
 *                        meanwhile and waits for its replica to take
 *                        over); then every page must read back right.
 *   helper URL unreplicated: on the device alone, UNREPL pages written
 *                        (fewer than the write window holds) between
 *                        OPEN and READY, while the script has cut one
 *                        master off its replica; the script then kills
 *                        that master and waits for the replica to take
 *                        over; a flush must send the master's pages again
 *                        (the window kept them), so that every page
 *                        reads back right from the cluster; prints SYNCED
 *                        and waits while the script counts the keys.
 *   helper URL sealed:   as failover, with encrypt=on: writeback's pages
 *                        go as sealed objects; after READY the script has
 *                        checked that no value holds a plain object and
 *                        has changed one sealed object on the cluster:
 *                        that page alone fails (a checksum error), every
 *                        other page reads back right.
 *   helper URL crash:    pages swapped out; prints READY, waits for a
 *                        line, and exits without closing anything (as a
 *                        crash): its keys and lease stay for remote-gc.
 *   helper URL lost:     on a cluster without replicas: pages swapped
 *                        out; prints READY and waits (the script kills
 *                        a master); then every page is read: those on the
 *                        lost master fail with EIO and are counted in
 *                        io_errors, every other one reads back right.
 *   helper URL tiers:    through the public API: a local swap file of
 *                        4 MiB first and the cluster behind it
 *                        (swapfile2); a region three times its budget
 *                        fills both, and every page reads back right.
 *   helper URL api:      through the public API, in both fault modes: a
 *                        region of twice the budget written, read and
 *                        checked twice, its evicted pages on the cluster.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_helpers.h"
#include "swap/swap.h"
#include "uswap.h"
#include "uswap_debug.h"

#define PAGES 3000

static unsigned char back[4096];
static swp_entry_t ent[PAGES];

static void fill(unsigned char *p, size_t i) { t_fill_page(p, 1 + (int)(i % 4), i * 7919); }

/* Read page i back and check it; -EIO if it is lost and may_lose. */
static int check(struct swap_sys *s, size_t i, bool may_lose)
{
	static unsigned char want[4096];
	enum swapin_from from;
	int r = swap_in(s, ent[i], back, NULL, NULL, &from);

	if (r == -EIO && may_lose)
		return r;
	if (r) {
		fprintf(stderr, "page %zu: swap_in: %s\n", i, strerror(-r));
		exit(T_EXIT_FAIL);
	}
	fill(want, i);
	if (memcmp(back, want, 4096)) {
		fprintf(stderr, "page %zu reads wrong (from %d)\n", i, (int)from);
		exit(T_EXIT_FAIL);
	}
	swap_in_done(s, ent[i], from, false); /* not installed: the copy stays where it is */
	return 0;
}

static void wait_for(const char *say)
{
	char line[16];

	printf("%s\n", say);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		exit(T_EXIT_FAIL);
}

static void wait_for_go(void) { wait_for("READY"); }

#define UNREPL 60 /* < the device's WINDOW_CONFIRM: nothing waits for a replica meanwhile */

/* The unreplicated mode (see the top). */
static int unreplicated(struct swap_backing *b)
{
	static struct swap_seal seal[UNREPL];
	static unsigned char page[4096], want[4096];
	int64_t slot[UNREPL];
	struct swap_backing_stats st;

	printf("instance %016llx\n", (unsigned long long)swap_backing_remote_id(b));
	wait_for("OPEN"); /* the script stops a replica and cuts its master's link */
	for (int i = 0; i < UNREPL; i++) {
		fill(page, (size_t)i);
		T_ASSERT((slot[i] = swap_backing_alloc(b)) >= 0);
		T_ASSERT_EQ(swap_backing_write(b, (uint64_t)slot[i], page, &seal[i]), 0);
	}
	wait_for_go(); /* the master is killed, the replica takes over */
	swap_backing_flush(b);
	swap_backing_stats(b, &st);
	printf("%llu pages sent again after their master was lost\n", (unsigned long long)st.resent);
	T_ASSERT(st.resent > 0);
	for (int i = 0; i < UNREPL; i++) {
		fill(want, (size_t)i);
		int r = swap_backing_read(b, (uint64_t)slot[i], page, &seal[i]);
		if (r || memcmp(page, want, 4096)) {
			fprintf(stderr, "unreplicated: page %d lost (%s)\n", i, r ? strerror(-r) : "wrong bytes");
			return T_EXIT_FAIL;
		}
	}
	printf("unreplicated: every page read back right\n");
	wait_for("SYNCED"); /* the script counts the instance's keys on the masters */
	swap_backing_close(b);
	return T_EXIT_PASS;
}

/* The lost mode's reads: each page right, or lost (EIO, counted). */
static void check_lost(struct swap_sys *s)
{
	struct swap_sys_stats st;
	char swaps[1024];
	size_t lost = 0;

	for (size_t i = 0; i < PAGES; i++)
		lost += check(s, i, true) != 0;
	swap_sys_stats(s, &st);
	swap_sys_format_swaps(s, swaps, sizeof(swaps));
	printf("%s", swaps);
	printf("lost %zu of %d pages (io_errors %llu); every other page read back right\n", lost, PAGES,
	       (unsigned long long)st.io_errors);
	T_ASSERT(lost > 0 && lost < PAGES);
	T_ASSERT(st.io_errors >= lost);
	T_ASSERT(strstr(swaps, "masters down"));
}

/* The api mode, in one fault mode. */
static void api(const char *url, const char *mode)
{
	char opts[512];
	size_t n = 6144; /* 24 MiB under an 8 MiB budget */

	snprintf(opts, sizeof(opts), "limit=8M,max_pool_percent=5,fault_mode=%s,swapfile=%s", mode, url);
	uswap_t *u = t_open(opts);
	unsigned char *mem = uswap_alloc(u, n * 4096), want[4096];
	T_ASSERT(mem);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < n; i++) {
			if (!round) {
				fill(mem + i * 4096, i);
				continue;
			}
			fill(want, i);
			if (memcmp(mem + i * 4096, want, 4096)) {
				fprintf(stderr, "%s: page %zu reads wrong\n", mode, i);
				exit(T_EXIT_FAIL);
			}
		}
	printf("api, %s: %zu pages under limit=8M, %llu to the cluster and %llu back, all right\n", mode, n,
	       (unsigned long long)t_stat(u, "pswpout"), (unsigned long long)t_stat(u, "pswpin"));
	T_ASSERT(t_stat(u, "pswpout") > 0 && t_stat(u, "pswpin") > 0);
	uswap_close(u);
}

/* The tiers mode: a small local file first, the cluster behind it. */
static void tiers(const char *url)
{
	char opts[600], swaps[1024];
	size_t n = 6144; /* 24 MiB under an 8 MiB budget */

	snprintf(opts, sizeof(opts),
		 "limit=8M,max_pool_percent=5,swapfile_size=4M,swapfile2=%s,swapfile2_size=64M,fault_mode=handler", url);
	uswap_t *u = t_open(opts);
	unsigned char *mem = uswap_alloc(u, n * 4096), want[4096];
	T_ASSERT(mem);
	for (size_t i = 0; i < n; i++)
		fill(mem + i * 4096, i);
	uswap_debug_swaps(u, swaps, sizeof(swaps));
	printf("%s", swaps);
	char *local = strstr(swaps, "(unlinked file)"), *remote = strstr(swaps, "redis://");
	unsigned long long size, used;
	T_ASSERT(local && remote);
	T_ASSERT(sscanf(local + strlen("(unlinked file)"), " file %llu %llu", &size, &used) == 2 && used > 0);
	T_ASSERT(sscanf(strchr(remote, ' '), " redis %llu %llu", &size, &used) == 2 && used > 0);
	for (size_t i = 0; i < n; i++) {
		fill(want, i);
		if (memcmp(mem + i * 4096, want, 4096)) {
			fprintf(stderr, "tiers: page %zu reads wrong\n", i);
			exit(T_EXIT_FAIL);
		}
	}
	printf("tiers: %zu pages under limit=8M, the local file full and the rest on the cluster, all right\n", n);
	uswap_close(u);
}

int main(int argc, char **argv)
{
	struct zswap *z;
	struct swap_sys *s;
	struct swap_backing *b;
	struct swap_sys_stats st;
	char err[256], swaps[1024];
	static unsigned char page[4096];

	if (argc != 3) {
		printf("needs a cluster (run tests/swap/redis.sh)\n");
		return T_EXIT_SKIP;
	}
	if (argc == 3 && !strcmp(argv[2], "api")) {
		char url[256]; /* seeds separated by ';': the option string's separator is ',' */
		snprintf(url, sizeof(url), "%s", argv[1]);
		for (char *c = url; (c = strchr(c, ',')); )
			*c = ';';
		api(url, "handler");
		api(url, "sigbus");
		tiers(url);
		return T_EXIT_PASS;
	}
	/* failover's pool compresses with zstd: the device decodes either kind of object */
	const char *codec = !strcmp(argv[2], "failover") ? "zstd" : "lz4";
	T_ASSERT_EQ(zswap_create(&(struct zswap_config){.budget = PAGES * 4096, .max_pool_percent = 5,
							 .compressor = codec}, &z, err,
				 sizeof(err)), 0);
	T_ASSERT_EQ(swap_sys_create(z, 1 << 16, &s), 0);
	struct swap_backing_config bc = {.path = argv[1], .size = 64 << 20};
	bc.encrypt = !strcmp(argv[2], "sealed");
	if (!strcmp(argv[2], "lost")) /* give up on the lost master soon */
		bc.remote = (struct rc_url_opts){.timeout_ms = 300, .retry_ms = 1500};
	if (swap_backing_open(&bc, &b, err, sizeof(err))) {
		fprintf(stderr, "open %s: %s\n", argv[1], err);
		return T_EXIT_FAIL;
	}
	if (!strcmp(argv[2], "unreplicated")) {
		int rc = unreplicated(b);
		swap_sys_destroy(s);
		zswap_destroy(z);
		return rc;
	}
	T_ASSERT_EQ(swap_sys_swapon(s, b), 0);
	for (size_t i = 0; i < PAGES; i++) {
		fill(page, i);
		T_ASSERT_EQ(swap_out(s, page, NULL, 0, NULL, &ent[i]), 0);
	}
	zswap_shrink(z, PAGES, NULL); /* what the pool took goes on, in batches */
	swap_sys_stats(s, &st);
	swap_sys_format_swaps(s, swaps, sizeof(swaps));
	printf("%s", swaps);
	struct swap_backing_stats bst;
	swap_backing_stats(b, &bst);
	printf("%llu pages on the cluster, %llu of them as the pool's %s objects\n", (unsigned long long)st.pswpout,
	       (unsigned long long)bst.objects, codec);
	T_ASSERT(st.pswpout > PAGES / 2);
	T_ASSERT(bst.objects > 0); /* writeback's pages went as the pool compressed them */
	if (!strcmp(argv[2], "sealed"))
		swap_backing_flush(b); /* every page on a replica: none is read from the write window */
	if (strcmp(argv[2], "basic"))
		wait_for_go();
	if (!strcmp(argv[2], "sealed")) {
		size_t bad = 0;
		for (size_t i = 0; i < PAGES; i++)
			bad += check(s, i, true) != 0;
		swap_sys_stats(s, &st);
		printf("sealed: %zu page failed its check (csum_errors %llu), every other page read back right\n", bad,
		       (unsigned long long)st.csum_errors);
		T_ASSERT(bad == 1 && st.csum_errors == 1);
		swap_sys_destroy(s);
		swap_backing_close(b);
		zswap_destroy(z);
		return T_EXIT_PASS;
	}
	if (!strcmp(argv[2], "crash"))
		_exit(T_EXIT_PASS); /* no close: the keys and the lease stay */
	if (!strcmp(argv[2], "lost")) {
		check_lost(s);
		fflush(stdout);
		_exit(T_EXIT_PASS); /* the remaining keys are remote-gc's */
	}
	for (size_t i = 0; i < PAGES; i++)
		check(s, i, false);
	uint64_t seed = 5;
	for (size_t k = 0; k < PAGES; k++)
		check(s, t_rand(&seed) % PAGES, false);
	printf("every page read back right, in order and at random\n");
	for (size_t i = 0; i < PAGES; i += 2)
		swap_sys_free(s, ent[i]);
	swap_backing_flush(b);
	swap_backing_stats(b, &bst);
	T_ASSERT_EQ(bst.discard_errors, 0); /* every freed slot's key unlinked */
	printf("expect %llu keys\n", (unsigned long long)swap_backing_inuse(b) + 1); /* + the lease */
	fflush(stdout);
	if (!strcmp(argv[2], "basic")) {
		char line[16];
		printf("COUNT\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return T_EXIT_FAIL;
	}
	swap_sys_destroy(s);
	swap_backing_close(b);
	zswap_destroy(z);
	printf("closed\n");
	return T_EXIT_PASS;
}
