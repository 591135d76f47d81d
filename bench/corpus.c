/*
 * corpus.c - page corpora: which files a corpus needs, and filling pages.
 *
 * Page i of a corpus for a seed is a pure function of (corpus, seed, i) and
 * the corpus files, computed exactly as the kernel anchor's harness does it
 * (splitmix64 over the page index): text and binary pages are 4 KiB cut at
 * a seeded offset of text.corpus / binary.corpus; random pages are seeded
 * splitmix64 output (the harness's deterministic mode); mixed chooses per
 * page: 10% zero, 40% text, 35% binary, 15% random. heap pages are whole
 * captured pages, taken in a seeded order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"

#define PG 4096

const char *const corpus_names[] = {"zero", "text", "binary", "random", "mixed", "heap", NULL};

enum kind { K_ZERO, K_TEXT, K_BIN, K_RAND, K_HEAP };

bool corpus_valid(const char *name)
{
	for (size_t i = 0; corpus_names[i]; i++)
		if (!strcmp(corpus_names[i], name))
			return true;
	return false;
}

uint64_t corpus_mix64(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

const char *corpus_default_dir(void)
{
	const char *d = getenv("USWAP_CORPUS_DIR");
	return d && *d ? d : "/var/tmp/uswap-corpus";
}

static int map_file(const char *path, struct corpus_file *f, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || st.st_size < 2 * PG) {
		snprintf(err, errlen, "corpus file %s: %s", path, fd < 0 ? strerror(errno) : "too small");
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "mmap %s: %s", path, strerror(errno));
		return -errno;
	}
	f->p = p;
	f->len = (size_t)st.st_size;
	return 0;
}

typedef int (*build_fn)(const char *path, double scale, char *err, size_t errlen);

static int need_file(struct corpus_set *s, const char *file, build_fn build, double scale,
		     struct corpus_file *f, char *err, size_t errlen)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", s->dir, file);
	if (access(path, R_OK)) {
		fprintf(stderr, "corpus: building %s (once; kept for later runs)\n", path);
		int ret = build(path, scale, err, errlen);
		if (ret)
			return ret;
	}
	return map_file(path, f, err, errlen);
}

int corpus_open(struct corpus_set *s, const char *dir, const char *name, double scale, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (!corpus_valid(name)) {
		snprintf(err, errlen, "corpus '%s' is unknown (have: zero, text, binary, random, mixed, heap)", name);
		return -EINVAL;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir ? dir : corpus_default_dir());
	if (mkdir(s->dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create corpus folder %s: %s", s->dir, strerror(errno));
		return -errno;
	}
	bool mixed = !strcmp(name, "mixed");
	int ret = 0;
	if (!ret && (mixed || !strcmp(name, "text")))
		ret = need_file(s, "text.corpus", corpus_build_text, scale, &s->text, err, errlen);
	if (!ret && (mixed || !strcmp(name, "binary")))
		ret = need_file(s, "binary.corpus", corpus_build_binary, scale, &s->binary, err, errlen);
	if (!ret && !strcmp(name, "heap"))
		ret = need_file(s, "heap.corpus", corpus_build_heap, scale, &s->heap, err, errlen);
	if (ret)
		corpus_close(s);
	return ret;
}

void corpus_close(struct corpus_set *s)
{
	struct corpus_file *f[] = {&s->text, &s->binary, &s->heap};

	for (size_t i = 0; i < 3; i++)
		if (f[i]->p)
			munmap((void *)f[i]->p, f[i]->len);
	memset(s, 0, sizeof(*s));
}

static enum kind kind_of(const char *name, uint64_t seed, size_t i)
{
	if (!strcmp(name, "zero"))
		return K_ZERO;
	if (!strcmp(name, "text"))
		return K_TEXT;
	if (!strcmp(name, "binary"))
		return K_BIN;
	if (!strcmp(name, "random"))
		return K_RAND;
	if (!strcmp(name, "heap"))
		return K_HEAP;
	unsigned r = (unsigned)(corpus_mix64(seed * 0x100000001B3ull ^ (i * 2 + 1)) % 100);
	return r < 10 ? K_ZERO : r < 50 ? K_TEXT : r < 85 ? K_BIN : K_RAND;
}

static void fill_one(const struct corpus_set *s, enum kind k, uint64_t seed, size_t i, unsigned char *dst)
{
	const struct corpus_file *f = k == K_TEXT ? &s->text : &s->binary;
	uint64_t *w = (uint64_t *)dst, r;

	switch (k) {
	case K_ZERO:
		memset(dst, 0, PG);
		break;
	case K_TEXT:
	case K_BIN:
		r = corpus_mix64(seed ^ 0xC0FFEEull ^ (i * 0x9E3779B97F4A7C15ull)) % (f->len - PG);
		memcpy(dst, f->p + r, PG);
		break;
	case K_RAND:
		r = corpus_mix64(seed ^ 0xABCDEFull ^ i);
		for (size_t k2 = 0; k2 < PG / 8; k2++)
			w[k2] = corpus_mix64(r + k2);
		break;
	case K_HEAP: {
		size_t n = s->heap.len / PG;
		memcpy(dst, s->heap.p + (corpus_mix64(seed ^ i) % n) * PG, PG);
		break;
	}
	}
}

void corpus_fill_page(const struct corpus_set *s, const char *name, uint64_t seed, size_t i, void *dst)
{
	fill_one(s, kind_of(name, seed, i), seed, i, dst);
}

void corpus_fill(const struct corpus_set *s, const char *name, uint64_t seed, void *buf, size_t npages)
{
	for (size_t i = 0; i < npages; i++)
		corpus_fill_page(s, name, seed, i, (unsigned char *)buf + i * PG);
}
