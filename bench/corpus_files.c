/*
 * corpus_files.c - build text.corpus and binary.corpus from files every
 * Debian machine has, by the kernel anchor's recipe:
 *   - each source is a list of files, ordered by the md5 (hex) of the path
 *     so the order is stable but unrelated to directory layout;
 *   - files are concatenated (.gz ones decompressed), each capped (1 MiB
 *     for text, 4 MiB for ELF files), until the source's budget is met;
 *   - text skips empty files and files with a NUL in their first 64 KiB.
 * Symlinks are neither followed nor read.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "corpus.h"

#define MiB (1024.0 * 1024.0)

struct file_list {
	char **path;
	char (*key)[MD5_DIGEST_STRING_LENGTH];
	size_t n, cap;
};

typedef bool (*file_pred)(const char *path, const struct stat *st);

static struct file_list *walk_list; /* nftw has no user pointer */
static file_pred walk_pred;

static void list_add(struct file_list *l, const char *path)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->path = realloc(l->path, l->cap * sizeof(*l->path));
		l->key = realloc(l->key, l->cap * sizeof(*l->key));
		if (!l->path || !l->key) {
			fprintf(stderr, "uswap: out of memory listing corpus files\n");
			exit(1);
		}
	}
	l->path[l->n] = strdup(path);
	MD5Data((const unsigned char *)path, strlen(path), l->key[l->n]);
	l->n++;
}

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_F && S_ISREG(st->st_mode) && walk_pred(path, st))
		list_add(walk_list, path);
	return 0;
}

static int key_cmp(const void *a, const void *b, void *arg)
{
	const struct file_list *l = arg;
	return strcmp(l->key[*(const size_t *)a], l->key[*(const size_t *)b]);
}

/* Files under roots matching pred, sorted by md5(path), appended to out. */
static void walk_sorted(const char *const *roots, size_t nroots, file_pred pred, struct file_list *out)
{
	struct file_list l = {0};

	walk_list = &l;
	walk_pred = pred;
	for (size_t i = 0; i < nroots; i++)
		nftw(roots[i], walk_one, 64, FTW_PHYS);
	size_t *idx = malloc((l.n + 1) * sizeof(*idx));
	for (size_t i = 0; i < l.n; i++)
		idx[i] = i;
	qsort_r(idx, l.n, sizeof(*idx), key_cmp, &l);
	for (size_t i = 0; i < l.n; i++)
		list_add(out, l.path[idx[i]]);
	for (size_t i = 0; i < l.n; i++)
		free(l.path[i]);
	free(idx);
	free(l.path);
	free(l.key);
}

static void list_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->path[i]);
	free(l->path);
	free(l->key);
	memset(l, 0, sizeof(*l));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Up to cap bytes of the file (decompressed if .gz); returns the length. */
static size_t read_capped(const char *path, unsigned char *buf, size_t cap)
{
	size_t n = 0;

	if (ends_with(path, ".gz")) {
		gzFile g = gzopen(path, "rb");
		if (!g)
			return 0;
		int r;
		while (n < cap && (r = gzread(g, buf + n, (unsigned)(cap - n))) > 0)
			n += (size_t)r;
		gzclose(g);
		return n;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r;
	while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	close(fd);
	return n;
}

/* Append files to out until budget bytes; returns bytes written. */
static size_t emit(FILE *out, const struct file_list *l, size_t budget, size_t cap, bool text_only)
{
	unsigned char *buf = malloc(cap);
	size_t n = 0;

	for (size_t i = 0; i < l->n && n < budget; i++) {
		size_t len = read_capped(l->path[i], buf, cap);
		if (text_only && (len == 0 || memchr(buf, 0, len < 65536 ? len : 65536)))
			continue;
		if (len > budget - n)
			len = budget - n;
		fwrite(buf, 1, len, out);
		n += len;
	}
	free(buf);
	return n;
}

static bool pred_any(const char *p, const struct stat *st) { return true; }
static bool pred_copyright(const char *p, const struct stat *st) { return !strcmp(base_name(p), "copyright"); }
static bool pred_gz(const char *p, const struct stat *st) { return ends_with(p, ".gz"); }
static bool pred_txt(const char *p, const struct stat *st) { return ends_with(p, ".txt"); }
static bool pred_h(const char *p, const struct stat *st) { return ends_with(p, ".h"); }
static bool pred_py(const char *p, const struct stat *st) { return ends_with(p, ".py"); }
static bool pred_pm(const char *p, const struct stat *st) { return ends_with(p, ".pm"); }
static bool pred_doc(const char *p, const struct stat *st)
{
	return ends_with(p, ".gz") || ends_with(p, ".txt") || ends_with(p, ".md") || ends_with(p, ".html") ||
	       !strncmp(base_name(p), "README", 6);
}

static bool pred_elf(const char *p, const struct stat *st)
{
	unsigned char magic[4];
	if (st->st_size <= 4096)
		return false;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool elf = read(fd, magic, 4) == 4 && !memcmp(magic, "\177ELF", 4);
	close(fd);
	return elf;
}

/* Roots matching a glob pattern, sorted (as the recipe's sorted(glob())). */
static size_t glob_roots(const char *pattern, char ***out, glob_t *g)
{
	if (glob(pattern, 0, NULL, g)) {
		*out = NULL;
		return 0;
	}
	*out = g->gl_pathv;
	return g->gl_pathc;
}

static FILE *open_tmp(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	snprintf(tmp, tmplen, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
	return f;
}

static int finish_tmp(FILE *f, const char *tmp, const char *path, char *err, size_t errlen)
{
	if (fclose(f) || rename(tmp, path)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

int corpus_build_text(const char *path, double scale, char *err, size_t errlen)
{
	char tmp[600];
	FILE *f = open_tmp(path, tmp, sizeof(tmp), err, errlen);
	if (!f)
		return -EIO;
	struct file_list l = {0};
	const char *lic[] = {"/usr/share/common-licenses"}, *doc[] = {"/usr/share/doc"},
		   *vim[] = {"/usr/share/vim"}, *inc[] = {"/usr/include"};
	size_t total = 0;
	glob_t g1, g2, g3;
	char **roots;
	size_t nr;

	walk_sorted(lic, 1, pred_any, &l);
	walk_sorted(doc, 1, pred_copyright, &l);
	total += emit(f, &l, (size_t)(24 * MiB * scale), 1 << 20, true);
	list_free(&l);
	nr = glob_roots("/usr/share/man/man[1-8]", &roots, &g1);
	walk_sorted((const char *const *)roots, nr, pred_gz, &l);
	total += emit(f, &l, (size_t)(96 * MiB * scale), 1 << 20, true);
	list_free(&l);
	walk_sorted(doc, 1, pred_doc, &l);
	walk_sorted(vim, 1, pred_txt, &l);
	total += emit(f, &l, (size_t)(96 * MiB * scale), 1 << 20, true);
	list_free(&l);
	walk_sorted(inc, 1, pred_h, &l);
	total += emit(f, &l, (size_t)(48 * MiB * scale), 1 << 20, true);
	list_free(&l);
	nr = glob_roots("/usr/lib/python3*", &roots, &g2);
	walk_sorted((const char *const *)roots, nr, pred_py, &l);
	nr = glob_roots("/usr/share/perl*", &roots, &g3);
	walk_sorted((const char *const *)roots, nr, pred_pm, &l);
	total += emit(f, &l, (size_t)(40 * MiB * scale), 1 << 20, true);
	list_free(&l);
	globfree(&g1);
	globfree(&g2);
	globfree(&g3);
	fprintf(stderr, "corpus: text: %.1f MiB\n", (double)total / MiB);
	if (total < 2 * 4096) {
		fclose(f);
		unlink(tmp);
		snprintf(err, errlen, "text corpus: found only %zu bytes of text on this machine", total);
		return -ENOENT;
	}
	return finish_tmp(f, tmp, path, err, errlen);
}

int corpus_build_binary(const char *path, double scale, char *err, size_t errlen)
{
	char tmp[600];
	FILE *f = open_tmp(path, tmp, sizeof(tmp), err, errlen);
	if (!f)
		return -EIO;
	struct file_list l = {0};
	const char *roots[] = {"/usr/bin", "/usr/lib"};

	walk_sorted(roots, 2, pred_elf, &l);
	size_t total = emit(f, &l, (size_t)(320 * MiB * scale), 4 << 20, false);
	fprintf(stderr, "corpus: binary: %.1f MiB from %zu ELF files\n", (double)total / MiB, l.n);
	list_free(&l);
	if (total < 2 * 4096) {
		fclose(f);
		unlink(tmp);
		snprintf(err, errlen, "binary corpus: found no ELF files");
		return -ENOENT;
	}
	return finish_tmp(f, tmp, path, err, errlen);
}
