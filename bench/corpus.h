/*
 * corpus.h - deterministic page corpora shared by every benchmark.
 *
 * zero, text, binary, random, mixed: the recipe of the kernel anchor
 * (shared/anchors/kernel: mkcorpus.py + kswapbench.c), so uswap and the
 * kernel are measured on the same pages. heap: real anonymous memory of
 * running programs (python3, sqlite3, sort), captured once.
 */
#ifndef USWAP_BENCH_CORPUS_H
#define USWAP_BENCH_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct corpus_file {
	const unsigned char *p;
	size_t len;
};

struct corpus_set {
	char dir[512];
	struct corpus_file text, binary, heap;
};

extern const char *const corpus_names[]; /* NULL-terminated */
bool corpus_valid(const char *name);
/* The corpus folder: $USWAP_CORPUS_DIR, else /var/tmp/uswap-corpus. */
const char *corpus_default_dir(void);
/* Build (if missing) and map the files corpus name needs. scale < 1
 * shrinks every budget (tests). 0 or -errno with a message in err. */
int corpus_open(struct corpus_set *s, const char *dir, const char *name, double scale, char *err, size_t errlen);
void corpus_close(struct corpus_set *s);
/* Fill npages pages of corpus name, page i exactly as the kernel anchor's
 * harness fills page i for the same seed (random pages: its -D mode). */
void corpus_fill(const struct corpus_set *s, const char *name, uint64_t seed, void *buf, size_t npages);
/* Page i alone (the same bytes corpus_fill puts at page i). */
void corpus_fill_page(const struct corpus_set *s, const char *name, uint64_t seed, size_t i, void *dst);

/* corpus_files.c */
int corpus_build_text(const char *path, double scale, char *err, size_t errlen);
int corpus_build_binary(const char *path, double scale, char *err, size_t errlen);
/* heap.c */
int corpus_build_heap(const char *path, double scale, char *err, size_t errlen);

uint64_t corpus_mix64(uint64_t z);

#endif
