/*
 * bench_swap.c - `uswap bench swap`: swap-out and swap-in through the
 * swap layer to a backing file, with zswap off and with a small zswap
 * pool, against plain pwrite/pread of the same pages on a file in the same
 * folder, measured in the same run.
 *
 * Phases: swap every page out (vs sequential pwrite), swap them in in the
 * order they went out (vs sequential pread; readahead helps here), swap
 * out again and swap in in random order (vs random pread). Each page is
 * read into its own destination page, as a fault handler would, and all of
 * them are checked after the timed loop. The two sides alternate every
 * SLICE pages (bench_interleave), so a machine that speeds up or slows
 * down during the run affects both alike; the reference file is opened
 * with the backing file's flags (--direct: both O_DIRECT). Files are
 * unlinked and live in --dir; with --drop-caches (root) the page cache is
 * emptied before each read phase so both sides read from the device.
 *
 * What alternating does not cancel: while the reference takes its turn,
 * the readahead worker and the kernel's own readahead keep working for
 * uswap (and the kernel's for the reference during uswap's turn). On a
 * buffered file both sides have that; on an O_DIRECT file only uswap
 * reads ahead, so up to one window (1 MiB) per slice is read in the
 * reference's time.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "corpus.h"
#include "remote_ref.h"
#include "swap/swap.h"

struct sw_opts {
	const char *corpus, *dir, *cdir;
	size_t bytes;
	unsigned pool_pct, page_cluster, modes, threads; /* modes: 1 disk, 2 zswap */
	bool json, drop, discard, direct, encrypt; /* encrypt: each mode also encrypted */
	const char *remote;                   /* a redis:// device, or NULL */
	uint64_t seed;
	struct options opt;
};

struct sw_result {
	char swaps[1024];                     /* the /proc/swaps-like listing, after swap-out */
	const char *mode;
	double out, in_seq, in_rnd;           /* MiB/s through uswap */
	double raw_w, raw_rs, raw_rr;         /* MiB/s: pwrite, sequential and random pread */
	struct swap_sys_stats st;
	struct zswap_stats zst;
	double mt[2][2][2];                   /* --threads 2: [uswap, ref][out, rnd in][1, 2 threads] MiB/s */
	uint64_t p50[2], p99[2];              /* redis device: one page's random swap-in (GET), ns */
	bool encrypted;                       /* encrypted, against the plain device (raw_* are that) */
	char cipher[32];
	long wb_pages;                        /* zswap mode: pages written back by the writeback run */
	double wb, wb_raw;                    /* ... MiB/s, and pwrite of as many pages */
};

/* One mode's run: both sides, phase by phase, alternating in slices. */
struct sw_run {
	struct swap_sys *s;
	struct swap_sys *s2;                  /* not NULL: the reference side swaps here (e2), */
	swp_entry_t *e2;                      /* not through the reference file */
	int fd;                               /* the reference file */
	struct remote_ref *ref;               /* or, with a redis:// device, plain SET/GET */
	unsigned window;                      /* ... GET batch of a sequential read */
	struct hist *lat[2];                  /* redis device, random reads: per page */
	const unsigned char *pages;
	unsigned char *dest[2];               /* [0] swap-ins, [1] reference reads */
	swp_entry_t *e;
	const uint64_t *order;                /* NULL: in order */
	size_t n;
	int fail;
};

static unsigned char *dests[2];           /* n pages each, faulted in */

#define SLICE 1024 /* pages a side takes before the other's turn (4 MiB) */

static void drop_caches(bool on)
{
	if (!on)
		return;
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("drop_caches");
		close(fd);
	}
}

static void out_slice(int who, size_t from, size_t to, void *arg)
{
	struct sw_run *r = arg;

	for (size_t i = from; i < to; i++) {
		const unsigned char *pg = r->pages + i * PAGE_SIZE;
		if (who == 0)
			r->fail += swap_out(r->s, pg, NULL, 0, NULL, &r->e[i]) != 0;
		else if (r->s2)
			r->fail += swap_out(r->s2, pg, NULL, 0, NULL, &r->e2[i]) != 0;
		else if (r->ref)
			r->fail += remote_ref_put(r->ref, i, pg) != 0;
		else
			r->fail += pwrite(r->fd, pg, PAGE_SIZE, (off_t)(i * PAGE_SIZE)) != PAGE_SIZE;
	}
}

/* Swap in (0) or pread (1) pages [from, to) of the order, each into its
 * own destination page, as a fault handler would. */
/* The reference's reads from a cluster: a window per pipeline in order,
 * one page at a time at random (as uswap's readahead reads). */
static void ref_slice(struct sw_run *r, size_t from, size_t to)
{
	size_t idx[256];
	unsigned w = r->order ? 1 : MIN(r->window, 256u);

	for (size_t k = from; k < to; k += w) {
		int n = (int)MIN((size_t)w, to - k);
		for (int j = 0; j < n; j++)
			idx[j] = r->order ? r->order[k + (size_t)j] : k + (size_t)j;
		uint64_t t0 = os_now_ns();
		r->fail += remote_ref_get(r->ref, idx, n, r->dest[1]);
		if (r->order)
			hist_record(r->lat[1], os_now_ns() - t0);
	}
}

static void in_slice(int who, size_t from, size_t to, void *arg)
{
	struct sw_run *r = arg;
	enum swapin_from f;

	if (who == 1 && r->ref) {
		ref_slice(r, from, to);
		return;
	}
	for (size_t k = from; k < to; k++) {
		size_t i = r->order ? r->order[k] : k;
		unsigned char *d = r->dest[who] + i * PAGE_SIZE;
		struct swap_sys *s = who ? r->s2 : r->s;
		swp_entry_t e = who ? (r->s2 ? r->e2[i] : (swp_entry_t){0}) : r->e[i];
		uint64_t t0 = os_now_ns();
		if (!s)
			r->fail += pread(r->fd, d, PAGE_SIZE, (off_t)(i * PAGE_SIZE)) != PAGE_SIZE;
		else if (swap_in(s, e, d, NULL, NULL, &f))
			r->fail++;
		else
			swap_in_done(s, e, f, true);
		if (r->lat[0] && r->order && !who)
			hist_record(r->lat[0], os_now_ns() - t0);
	}
}

/* A phase, both sides interleaved: MiB/s of each into mibs[2]. */
static void phase(struct sw_run *r, void (*fn)(int, size_t, size_t, void *), double mibs[2])
{
	double t[2] = {0, 0}, mib = (double)r->n * PAGE_SIZE / (1 << 20);

	bench_interleave(r->n, SLICE, fn, r, t);
	mibs[0] = mib / t[0];
	mibs[1] = mib / t[1];
}

/* Read phase: both destinations are checked afterwards (not timed), then
 * cleared so the next phase proves itself again. */
static void read_phase(const struct sw_opts *o, struct sw_run *r, const uint64_t *order, double mibs[2])
{
	drop_caches(o->drop);
	r->order = order;
	phase(r, in_slice, mibs);
	for (int who = 0; who < 2; who++) {
		r->fail += memcmp(r->dest[who], r->pages, r->n * PAGE_SIZE) != 0;
		memset(r->dest[who], 0, r->n * PAGE_SIZE);
	}
}

static int open_reference(const struct sw_opts *o)
{
	int fd = open(o->dir, O_RDWR | O_TMPFILE | O_CLOEXEC | (o->direct ? O_DIRECT : 0), 0600);

	if (fd < 0)
		fprintf(stderr, "uswap bench swap: cannot create a file in %s: %s\n", o->dir, strerror(errno));
	return fd;
}

/* Out, in in order, out again, in in random order; both sides. */
static void run_phases(const struct sw_opts *o, struct sw_run *r, const uint64_t *order, struct sw_result *res)
{
	double m[2];

	bench_progress("bench swap: %s: swap-out", res->mode);
	phase(r, out_slice, m);
	res->out = m[0], res->raw_w = m[1];
	swap_sys_format_swaps(r->s, res->swaps, sizeof(res->swaps));
	bench_progress("bench swap: %s: sequential swap-in", res->mode);
	read_phase(o, r, NULL, m);
	res->in_seq = m[0], res->raw_rs = m[1];
	phase(r, out_slice, m);
	bench_progress("bench swap: %s: random swap-in", res->mode);
	read_phase(o, r, order, m);
	res->in_rnd = m[0], res->raw_rr = m[1];
}

/* --threads 2: a side's swap-outs (or pwrites), or its random swap-ins
 * (or preads), over a slice of the pages per thread. */
struct sw_mt {
	struct sw_run *r;
	int who;
	bool in;
	_Atomic int fail;
};

static void sw_mt_slice(void *arg, unsigned k, unsigned nt)
{
	struct sw_mt *m = arg;
	struct sw_run part = *m->r;

	part.fail = 0;
	(m->in ? in_slice : out_slice)(m->who, m->r->n * k / nt, m->r->n * (k + 1) / nt, &part);
	atomic_fetch_add(&m->fail, part.fail);
}

/* Swap-out and random swap-in on 1 and 2 threads, each side, three rounds
 * with 1 and 2 threads in turn; the best of each. */
static void run_scaling(struct sw_run *r, const uint64_t *order, struct sw_result *res)
{
	struct bench_team tm;
	struct sw_mt m = {.r = r};
	double mib = (double)r->n * PAGE_SIZE / (1 << 20);

	r->order = order;
	bench_team_start(&tm);
	for (unsigned k = 0; k < 3 && !atomic_load(&m.fail); k++)
		for (unsigned nt = 1; nt <= 2; nt++)
			for (int who = 0; who < 2; who++) {
				bench_progress("bench swap: %s: %u thread(s), round %u/3", res->mode, nt, k + 1);
				m.who = who;
				m.in = false;
				double t = mib / bench_team_run(&tm, nt, sw_mt_slice, &m);
				res->mt[who][0][nt - 1] = MAX(res->mt[who][0][nt - 1], t);
				m.in = true;
				t = mib / bench_team_run(&tm, nt, sw_mt_slice, &m);
				res->mt[who][1][nt - 1] = MAX(res->mt[who][1][nt - 1], t);
			}
	bench_team_stop(&tm);
	r->fail += atomic_load(&m.fail);
}

/*
 * zswap writeback on its own: every page stored in a pool that holds them
 * all, then zswap_shrink writes them all back (claim, decompress, batched
 * write, free), timed against pwrite of as many pages to a fresh file in
 * the same folder with the same flags.
 */
static int run_writeback(const struct sw_opts *o, const unsigned char *pages, size_t n, struct sw_result *res)
{
	struct zswap_config zc;
	struct swap_backing_config bc;
	struct zswap *z = NULL;
	struct swap_sys *s = NULL;
	struct swap_backing *b = NULL;
	char err[256];
	int ret = -EINVAL, fd = open_reference(o);
	options_zswap_config(&o->opt, &zc);
	zc.budget = n * PAGE_SIZE;
	zc.max_pool_percent = 100;
	zc.no_shrink_worker = true; /* this run times zswap_shrink itself */
	options_backing_config(&o->opt, &bc);
	bc.dir = o->dir;
	bc.size = bc.size ? bc.size : (n + n / 8 + 64) * PAGE_SIZE;
	if (fd < 0 || zswap_create(&zc, &z, err, sizeof(err)) || swap_sys_create(z, 2 * n + 1024, &s) ||
	    swap_backing_open(&bc, &b, err, sizeof(err))) {
		fprintf(stderr, "uswap bench swap: writeback: %s\n", err);
		goto out;
	}
	swap_sys_swapon(s, b);
	for (int k = 0; k < 3; k++) { /* the best of three rounds, each side */
		bench_progress("bench swap: zswap writeback, round %d/3", k + 1);
		swp_entry_t *ents = calloc(n, sizeof(*ents));
		if (!ents)
			goto out;
		for (size_t i = 0; i < n; i++)
			if (swap_out(s, pages + i * PAGE_SIZE, NULL, 0, NULL, &ents[i])) {
				free(ents);
				goto out;
			}
		double t0 = bench_now();
		long w = zswap_shrink(z, (long)n, NULL);
		w += zswap_shrink(z, (long)n, NULL); /* second chances spent */
		double t = bench_now() - t0;
		t0 = bench_now();
		for (long i = 0; i < w; i++)
			if (pwrite(fd, pages + i * PAGE_SIZE, PAGE_SIZE, (off_t)(i * PAGE_SIZE)) != PAGE_SIZE) {
				free(ents);
				goto out;
			}
		double tr = bench_now() - t0, mib = (double)w * PAGE_SIZE / (1 << 20);
		res->wb_pages = w;
		res->wb = MAX(res->wb, mib / t);
		res->wb_raw = MAX(res->wb_raw, mib / tr);
		for (size_t i = 0; i < n; i++) /* the owner goes: entries and slots free for the next round */
			swap_sys_free(s, ents[i]);
		free(ents);
	}
	ret = 0;
out:
	zswap_destroy(z);
	swap_sys_destroy(s);
	swap_backing_close(b);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* A swap system over its own device (and zswap pool with pool_pct). */
struct sw_side {
	struct zswap *z;
	struct swap_sys *s;
	struct swap_backing *b;
	swp_entry_t *e;
};

static int side_open(const struct sw_opts *o, unsigned pool_pct, bool encrypt, size_t n, struct sw_side *sd)
{
	struct zswap_config zc;
	struct swap_backing_config bc;
	char err[256] = "out of memory";

	memset(sd, 0, sizeof(*sd));
	options_zswap_config(&o->opt, &zc);
	zc.budget = n * PAGE_SIZE;
	zc.max_pool_percent = pool_pct;
	options_backing_config(&o->opt, &bc);
	bc.dir = o->dir;
	bc.encrypt = encrypt;
	if (!bc.size)
		bc.size = (n + n / 8 + 64) * PAGE_SIZE;
	if (!(sd->e = calloc(n, sizeof(*sd->e))) || (pool_pct && zswap_create(&zc, &sd->z, err, sizeof(err))) ||
	    swap_sys_create(sd->z, 2 * n + 1024, &sd->s) || swap_backing_open(&bc, &sd->b, err, sizeof(err))) {
		fprintf(stderr, "uswap bench swap: %s\n", err);
		return -EINVAL;
	}
	swap_sys_set_page_cluster(sd->s, o->page_cluster);
	swap_sys_swapon(sd->s, sd->b);
	return 0;
}

static void side_close(struct sw_side *sd)
{
	zswap_destroy(sd->z);
	swap_sys_destroy(sd->s);
	swap_backing_close(sd->b);
	free(sd->e);
}

/*
 * One mode: uswap against pwrite/pread of the same pages. With encrypt,
 * an encrypted device against the same device unencrypted instead: the
 * reference side swaps through a second, plain swap system, alternating
 * with the encrypted one slice by slice.
 */
static int run_mode(const struct sw_opts *o, const char *mode, unsigned pool_pct, bool encrypt,
		    const unsigned char *pages, size_t n, const uint64_t *order, struct sw_result *res)
{
	struct sw_run r = {.pages = pages, .n = n, .dest = {dests[0], dests[1]}, .fd = o->remote ? -1 : open_reference(o),
			   .window = 1u << o->page_cluster};
	struct sw_side side = {0}, plain = {0};
	int ret = -EINVAL;
	char err[256];

	struct swap_backing_config bc;
	options_backing_config(&o->opt, &bc);
	if (o->remote && (remote_ref_open(o->remote, &bc.remote, &r.ref, err, sizeof(err)) ||
			  !(r.lat[0] = calloc(1, sizeof(struct hist))) || !(r.lat[1] = calloc(1, sizeof(struct hist))))) {
		fprintf(stderr, "uswap bench swap: the reference on %s: %s\n", o->remote, r.ref ? "out of memory" : err);
		goto out;
	}

	memset(res, 0, sizeof(*res));
	res->mode = mode;
	res->encrypted = encrypt;
	if ((r.fd < 0 && !r.ref) || side_open(o, pool_pct, encrypt, n, &side) ||
	    (encrypt && side_open(o, pool_pct, false, n, &plain)))
		goto out;
	snprintf(res->cipher, sizeof(res->cipher), "%s", swap_backing_cipher(side.b));
	r.s = side.s;
	r.e = side.e;
	r.s2 = plain.s;
	r.e2 = plain.e;
	run_phases(o, &r, order, res);
	if (o->threads == 2 && !r.fail && !encrypt)
		run_scaling(&r, order, res);
	swap_sys_stats(r.s, &res->st);
	if (side.z)
		zswap_stats(side.z, &res->zst);
	ret = r.fail ? -EIO : 0;
	if (r.fail)
		fprintf(stderr, "uswap bench swap: %s: %d pages failed to swap or to read back\n", mode, r.fail);
out:
	side_close(&side);
	side_close(&plain);
	if (r.fd >= 0)
		close(r.fd);
	for (int w = 0; w < 2 && r.lat[w]; w++) {
		res->p50[w] = hist_percentile(r.lat[w], 50);
		res->p99[w] = hist_percentile(r.lat[w], 99);
		free(r.lat[w]);
	}
	remote_ref_close(r.ref, n);
	return ret;
}

static void sw_print(const struct sw_opts *o, const struct sw_result *r, int n)
{
	printf("uswap bench swap: %s, %zu MiB, page_cluster %u, folder %s%s%s%s; MiB/s\n\n", o->corpus, o->bytes >> 20,
	       o->page_cluster, o->dir, o->direct ? ", O_DIRECT" : "", o->discard ? ", discard" : "",
	       o->drop ? ", page cache dropped before reads" : "");
	printf("%-12s %9s %9s %6s | %9s %9s %6s | %9s %9s %6s | %8s %8s\n", "mode", "out", "pwrite", "x", "in seq",
	       "pread", "x", "in rnd", "pread", "x", "swap_ra", "ra_hit");
	for (int i = 0; i < n; i++)
		if (!r[i].encrypted)
			printf("%-12s %9.0f %9.0f %6.3f | %9.0f %9.0f %6.3f | %9.0f %9.0f %6.3f | %8llu %8llu\n", r[i].mode,
		       r[i].out, r[i].raw_w, r[i].out / r[i].raw_w, r[i].in_seq, r[i].raw_rs, r[i].in_seq / r[i].raw_rs,
		       r[i].in_rnd, r[i].raw_rr, r[i].in_rnd / r[i].raw_rr, (unsigned long long)r[i].st.swap_ra,
		       (unsigned long long)r[i].st.swap_ra_hit);
	if (o->remote)
		printf("\nA Redis Cluster device (%s): the pwrite/pread columns are plain SET/GET of the same payloads\n"
		       "(hiredis, the same routing): SET one page at a time as swap_out writes, GET a window of %u pages\n"
		       "in one pipeline in order, one page at random; the two sides alternate every %d pages.\n"
		       "One page's random swap-in: uswap p50 %.1f us, p99 %.1f us; GET p50 %.1f us, p99 %.1f us.\n",
		       o->remote, 1u << o->page_cluster, SLICE, r[0].p50[0] / 1e3, r[0].p99[0] / 1e3, r[0].p50[1] / 1e3,
		       r[0].p99[1] / 1e3);
	else
		printf("\nout: swap_out of every page; in seq: swap_in + swap_in_done, each into its own page, in\n"
		       "swap-out order (readahead); in rnd: in a random order; pwrite/pread: the same pages on a plain\n"
		       "file in the same folder, with the same flags; the two sides alternate every %d pages.\n", SLICE);
	for (int i = 0; i < n; i++)
		if (r[i].wb_pages)
			printf("zswap writeback (every page in zswap, then all written back; best of 3): %ld pages, "
			       "%.0f MiB/s, pwrite %.0f MiB/s, x %.3f\n", r[i].wb_pages, r[i].wb, r[i].wb_raw, r[i].wb / r[i].wb_raw);
	for (int i = 0; o->threads == 2 && i < n; i++) {
		const double(*m)[2][2] = r[i].mt;
		printf("%s, 2 threads / 1 thread (best of 3): swap-out %.2f (pwrite %.2f), random swap-in %.2f "
		       "(pread %.2f)\n", r[i].mode, m[0][0][1] / m[0][0][0], m[1][0][1] / m[1][0][0],
		       m[0][1][1] / m[0][1][0], m[1][1][1] / m[1][1][0]);
	}
	for (int i = 0; i < n; i++)
		if (r[i].encrypted)
			printf("\nencrypted (%s) against the same device unencrypted, the two alternating every %d pages:\n"
			       "%-12s %9s %9s %6s | %9s %9s %6s | %9s %9s %6s\n"
			       "%-12s %9.0f %9.0f %6.3f | %9.0f %9.0f %6.3f | %9.0f %9.0f %6.3f\n",
			       r[i].cipher, SLICE, "mode", "out", "plain", "x", "in seq", "plain", "x", "in rnd", "plain", "x",
			       r[i].mode, r[i].out, r[i].raw_w, r[i].out / r[i].raw_w, r[i].in_seq, r[i].raw_rs,
			       r[i].in_seq / r[i].raw_rs, r[i].in_rnd, r[i].raw_rr, r[i].in_rnd / r[i].raw_rr);
	for (int i = 0; i < n; i++)
		printf("\n%s, after swapping everything out:\n%s", r[i].mode, r[i].swaps);
	printf("\n");
	for (int i = 0; i < n; i++)
		printf("%s: pswpout %llu, pswpin %llu, zswpout %llu, zswpin %llu, written_back_pages %llu, "
		       "pool_limit_hit %llu, reject_streaming %llu, reject_compress_poor %llu\n", r[i].mode,
		       (unsigned long long)r[i].st.pswpout, (unsigned long long)r[i].st.pswpin,
		       (unsigned long long)r[i].zst.zswpout, (unsigned long long)r[i].zst.zswpin,
		       (unsigned long long)r[i].zst.written_back_pages, (unsigned long long)r[i].zst.pool_limit_hit,
		       (unsigned long long)r[i].zst.reject_streaming, (unsigned long long)r[i].zst.reject_compress_poor);
}

static void sw_json(const struct sw_opts *o, const struct sw_result *r, int n)
{
	printf("{\"corpus\": \"%s\", \"bytes\": %zu, \"page_cluster\": %u, \"direct\": %s, \"modes\": [", o->corpus,
	       o->bytes, o->page_cluster, o->direct ? "true" : "false");
	for (int i = 0; i < n; i++)
		printf("%s\n {\"mode\": \"%s\", \"swap_out_mibs\": %.1f, \"swap_in_seq_mibs\": %.1f, "
		       "\"swap_in_rnd_mibs\": %.1f, \"raw_write_mibs\": %.1f, \"raw_seq_read_mibs\": %.1f, "
		       "\"raw_rnd_read_mibs\": %.1f, \"pswpout\": %llu, \"pswpin\": %llu, \"swap_ra\": %llu, "
		       "\"swap_ra_hit\": %llu}",
		       i ? "," : "", r[i].mode, r[i].out, r[i].in_seq, r[i].in_rnd, r[i].raw_w, r[i].raw_rs, r[i].raw_rr,
		       (unsigned long long)r[i].st.pswpout,
		       (unsigned long long)r[i].st.pswpin, (unsigned long long)r[i].st.swap_ra,
		       (unsigned long long)r[i].st.swap_ra_hit);
	printf("]}\n");
}

static void sw_usage(FILE *f)
{
	fprintf(f,
		"usage: uswap bench swap [options]\n"
		"Swap a corpus out to a backing file and back in through the swap layer, with zswap off\n"
		"and with a small zswap pool, against plain pwrite/pread of the same pages.\n\n"
		"  -c, --corpus NAME    zero, text, binary, random, mixed (default), heap\n"
		"  -s, --size SIZE      page data (default 128M)\n"
		"  -m, --mode M         disk (zswap off), zswap (a pool in front of the file) or both (default)\n"
		"  -p, --pool PCT       the zswap pool of the zswap mode, percent of the data (default 10)\n"
		"      --page-cluster N read ahead 2^N pages on a device swap-in, 0-8 (default 3)\n"
		"  -d, --dir DIR        where the (unlinked) files go (default $TMPDIR or /var/tmp)\n"
		"      --discard        punch holes for freed slots (swapon --discard)\n"
		"      --direct         O_DIRECT backing file (and reference file): no page cache\n"
		"      --encrypt        also swap through an encrypted device (encrypt=on, zswap off)\n"
		"                       against the same device unencrypted, alternating\n"
		"      --drop-caches    empty the page cache before each read phase (root)\n"
		"      --seed N         corpus seed (default 1)\n"
		"      --corpus-dir D   corpus files folder\n"
		"      --json           machine-readable output\n"
		"  -t, --threads N      2: also swap out and in on 1 and 2 threads, print the scaling\n"
		BENCH_OPTS_HELP
		"  -h, --help           this text\n");
}

static int sw_parse(int argc, char **argv, struct sw_opts *o)
{
	static const struct option lo[] = {{"corpus", 1, 0, 'c'}, {"size", 1, 0, 's'}, {"pool", 1, 0, 'p'}, {"mode", 1, 0, 'm'},
					   {"page-cluster", 1, 0, 'P'}, {"dir", 1, 0, 'd'}, {"drop-caches", 0, 0, 'X'},
					   {"discard", 0, 0, 'Y'}, {"direct", 0, 0, 'O'}, {"encrypt", 0, 0, 'E'}, {"json", 0, 0, 'j'}, {"threads", 1, 0, 't'},
					   {"help", 0, 0, 'h'}, BENCH_SHARED_LONGOPTS, {0}};
	const char *tmp = getenv("TMPDIR");
	int c;

	*o = (struct sw_opts){.corpus = "mixed", .bytes = 128u << 20, .pool_pct = 10, .modes = 3, .threads = 1};
	if (bench_opts_init("swap", &o->opt))
		return 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:p:m:d:t:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->corpus = optarg; break;
		case 's':
			if (bench_opt_size("swap", optarg, 16 * PAGE_SIZE, &o->bytes))
				return 2;
			break;
		case 'p':
			if (bench_opt_uint("swap", "pool", optarg, 1, 100, &o->pool_pct))
				return 2;
			break;
		case 'P':
			if (bench_opts_set("swap", &o->opt, "page_cluster", optarg))
				return 2;
			break;
		case 'm':
			o->modes = !strcmp(optarg, "disk") ? 1 : !strcmp(optarg, "zswap") ? 2 : !strcmp(optarg, "both") ? 3 : 0;
			if (!o->modes) {
				fprintf(stderr, "uswap bench swap: --mode takes disk, zswap or both, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd': c = bench_opts_set("swap", &o->opt, "swap_dir", optarg); break;
		case 'X': o->drop = true; break;
		case 't':
			if (bench_opt_uint("swap", "threads", optarg, 1, 2, &o->threads))
				return 2;
			break;
		case 'Y': c = bench_opts_set("swap", &o->opt, "discard", "on"); break;
		case 'O': c = bench_opts_set("swap", &o->opt, "direct", "on"); break;
		case 'E': o->encrypt = true; break;
		case 'j': o->json = true; break;
		case 'h': sw_usage(stdout); return 1;
		default:
			if ((c = bench_shared_flag("swap", c, optarg, &o->opt)) == 1)
				sw_usage(stderr);
			if (c)
				return 2;
		}
		if (c == 2)
			return 2;
	}
	if (bench_opt_end("swap", argc, argv))
		return 2;
	o->seed = opt_num(&o->opt, OPT_SEED);
	o->cdir = bench_corpus_dir(&o->opt);
	o->dir = opt_str(&o->opt, OPT_SWAP_DIR);
	o->dir = *o->dir ? o->dir : tmp && *tmp ? tmp : "/var/tmp";
	o->page_cluster = (unsigned)opt_num(&o->opt, OPT_PAGE_CLUSTER);
	o->discard = opt_bool(&o->opt, OPT_DISCARD);
	o->direct = opt_bool(&o->opt, OPT_DIRECT);
	o->encrypt |= opt_bool(&o->opt, OPT_ENCRYPT); /* -o encrypt=on: the same comparison */
	o->remote = swap_backing_is_remote_path(opt_str(&o->opt, OPT_SWAPFILE)) ? opt_str(&o->opt, OPT_SWAPFILE) : NULL;
	if (o->remote && (o->modes & 2 || o->encrypt || o->threads > 1)) {
		fprintf(stderr, "uswap bench swap: a redis:// device is measured in --mode disk alone (no --encrypt, "
				"--threads)\n");
		return 2;
	}
	if (o->encrypt && !(o->modes & 1)) {
		fprintf(stderr, "uswap bench swap: --encrypt compares on the disk mode (zswap off): use --mode disk or both\n");
		return 2;
	}
	char *one[2];
	int n;
	if (bench_opt_corpora("swap", o->corpus, one, 2, &n))
		return 2;
	if (n != 1) {
		fprintf(stderr, "uswap bench swap: --corpus takes one corpus\n");
		return 2;
	}
	if (o->drop && geteuid() != 0) {
		fprintf(stderr, "uswap bench swap: --drop-caches needs root\n");
		return 2;
	}
	return 0;
}

int bench_swap_main(int argc, char **argv)
{
	struct sw_opts o;
	struct sw_result r[4];
	struct corpus_set cs;
	char err[512];
	int ret = sw_parse(argc, argv, &o), n = 0;

	if (ret)
		return ret == 1 ? 0 : ret;
	size_t np = o.bytes / PAGE_SIZE;
	unsigned char *pages = aligned_alloc(PAGE_SIZE, np * PAGE_SIZE);
	dests[0] = aligned_alloc(PAGE_SIZE, np * PAGE_SIZE);
	dests[1] = aligned_alloc(PAGE_SIZE, np * PAGE_SIZE);
	if (!pages || !dests[0] || !dests[1] || corpus_open(&cs, o.cdir, o.corpus, 1.0, err, sizeof(err))) {
		fprintf(stderr, "uswap bench swap: %s\n", pages && dests[0] && dests[1] ? err : "out of memory");
		return 1;
	}
	corpus_fill(&cs, o.corpus, o.seed, pages, np);
	corpus_close(&cs);
	memset(dests[0], 0, np * PAGE_SIZE); /* faulted in: neither side pays for that */
	memset(dests[1], 0, np * PAGE_SIZE);
	uint64_t *order = bench_shuffled(np, o.seed);
	if (!order) {
		fprintf(stderr, "uswap bench swap: out of memory\n");
		return 1;
	}
	char pool_mode[32], pool_enc[40];
	snprintf(pool_mode, sizeof(pool_mode), "zswap %u%%", o.pool_pct);
	snprintf(pool_enc, sizeof(pool_enc), "zswap %u%% enc", o.pool_pct);
	if (!ret && (o.modes & 1) && !(ret = run_mode(&o, "disk", 0, false, pages, np, order, &r[n])))
		n++;
	if (!ret && (o.modes & 1) && o.encrypt && !(ret = run_mode(&o, "disk enc", 0, true, pages, np, order, &r[n])))
		n++;
	if (!ret && (o.modes & 2) && !(ret = run_mode(&o, pool_mode, o.pool_pct, false, pages, np, order, &r[n])) &&
	    !(ret = run_writeback(&o, pages, np, &r[n])))
		n++;
	if (!ret && (o.modes & 2) && o.encrypt &&
	    !(ret = run_mode(&o, pool_enc, o.pool_pct, true, pages, np, order, &r[n])))
		n++;
	bench_progress_done();
	if (n && o.json)
		sw_json(&o, r, n);
	else if (n)
		sw_print(&o, r, n);
	free(pages);
	free(dests[0]);
	free(dests[1]);
	free(order);
	return ret ? 1 : 0;
}
