/*
 * Description: page corpora are deterministic (same seed, same pages;
 * another seed, other pages), mixed has the recipe's 10% zero pages, text
 * pages are text, and the heap corpus captures real anonymous memory from
 * running programs. Corpus files are built small (scale 0.02) in a fresh
 * folder, exercising the builders too.
 * With "--dump DIR CORPUS SEED PAGES OUT" it writes pages for comparison
 * with the kernel anchor's harness (tests/bench/anchor-match.sh).
 */
#include <errno.h>
#include <unistd.h>

#include "corpus.h"
#include "helpers.h"

#define PG 4096

static int dump(char **argv)
{
	struct corpus_set s;
	char err[512];
	size_t n = strtoul(argv[5], NULL, 0);
	unsigned char *buf = malloc(n * PG);

	if (corpus_open(&s, argv[2], argv[3], 0.02, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	corpus_fill(&s, argv[3], strtoull(argv[4], NULL, 0), buf, n);
	FILE *f = fopen(argv[6], "wb");
	T_ASSERT(f && fwrite(buf, PG, n, f) == n && fclose(f) == 0);
	corpus_close(&s);
	free(buf);
	return 0;
}

static bool all_zero(const unsigned char *p)
{
	for (int i = 0; i < PG; i++)
		if (p[i])
			return false;
	return true;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "--dump"))
		return dump(argv);

	char dir[] = "/tmp/uswap-corpus-test-XXXXXX", err[512];
	struct corpus_set s;
	const size_t n = 4000;
	unsigned char *a = malloc(n * PG), *b = malloc(n * PG);

	T_ASSERT(mkdtemp(dir));
	T_ASSERT_EQ(corpus_open(&s, dir, "nosuch", 0.02, err, sizeof(err)), -EINVAL);
	T_ASSERT_EQ(corpus_open(&s, dir, "mixed", 0.02, err, sizeof(err)), 0);
	corpus_fill(&s, "mixed", 1, a, n);
	corpus_fill(&s, "mixed", 1, b, n);
	T_ASSERT(!memcmp(a, b, n * PG));
	corpus_fill(&s, "mixed", 2, b, n);
	T_ASSERT(memcmp(a, b, n * PG));
	size_t zero = 0;
	for (size_t i = 0; i < n; i++)
		zero += all_zero(a + i * PG);
	printf("mixed: %zu of %zu pages zero\n", zero, n);
	T_ASSERT(zero > n * 8 / 100 && zero < n * 12 / 100);
	corpus_fill(&s, "text", 1, a, 200);
	size_t printable = 0;
	for (size_t i = 0; i < 200 * PG; i++)
		printable += (a[i] >= 32 && a[i] < 127) || a[i] == '\n' || a[i] == '\t';
	T_ASSERT(printable > 200 * PG * 9 / 10);
	corpus_fill(&s, "random", 1, a, 2);
	T_ASSERT(memcmp(a, a + PG, PG));
	corpus_fill(&s, "zero", 1, a, 3);
	T_ASSERT(all_zero(a) && all_zero(a + 2 * PG));
	corpus_close(&s);

	/* heap: needs python3/sqlite3/sort and ptrace rights over children. */
	int ret = corpus_open(&s, dir, "heap", 0.05, err, sizeof(err));
	if (ret == -EPERM && geteuid() != 0) {
		printf("heap: %s (not root: skipping)\n", err);
		return T_EXIT_SKIP;
	}
	T_ASSERT_EQ(ret, 0);
	printf("heap: %zu pages captured\n", s.heap.len / PG);
	T_ASSERT(s.heap.len >= 64 * PG);
	corpus_fill(&s, "heap", 1, a, 100);
	size_t nonzero = 0;
	for (size_t i = 0; i < 100; i++)
		nonzero += !all_zero(a + i * PG);
	T_ASSERT(nonzero > 50);
	corpus_close(&s);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	T_ASSERT(system(cmd) == 0);
	free(a);
	free(b);
	return T_EXIT_PASS;
}
