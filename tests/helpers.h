/*
 * helpers.h - shared test helpers (t_ prefix). Every test is its own
 * program: exit 0 = pass, 1 = fail, 77 = skip (never counted as a pass).
 */
#ifndef USWAP_TESTS_HELPERS_H
#define USWAP_TESTS_HELPERS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

#define T_ASSERT(cond)                                                                     \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(T_EXIT_FAIL);                                                 \
		}                                                                          \
	} while (0)

#define T_ASSERT_EQ(a, b)                                                                  \
	do {                                                                               \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);                    \
		if (t_a_ != t_b_) {                                                        \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,    \
				__LINE__, #a, t_a_, #b, t_b_);                              \
			exit(T_EXIT_FAIL);                                                 \
		}                                                                          \
	} while (0)

/* The vm debug tier's page-table check (uswap_debug.h): fail with the first
 * mismatch, prefixed by what. For tests that include uswap_debug.h. */
#define T_VALIDATE(u, what)                                                                \
	do {                                                                               \
		char t_err_[256];                                                          \
		if (uswap_debug_validate((u), t_err_, sizeof(t_err_))) {                   \
			fprintf(stderr, "%s: %s\n", (what), t_err_);                      \
			exit(T_EXIT_FAIL);                                                 \
		}                                                                          \
	} while (0)

static inline uint64_t t_mix64(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Per-thread xorshift state for stress loops. */
static inline uint64_t t_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Scale for stress tests: USWAP_TEST_SCALE (default 1; sanitizer runs use less). */
static inline double t_scale(void)
{
	const char *s = getenv("USWAP_TEST_SCALE");
	double v = s ? atof(s) : 1.0;
	return v > 0 ? v : 1.0;
}

/*
 * A deterministic page of a given flavour, for tests that must not depend
 * on corpus files: 0 zero, 1 text-like (words), 2 binary-like (structs with
 * small ints and pointers), 3 random, 4 same-filled non-zero.
 */
static inline void t_fill_page(void *page, int flavour, uint64_t seed)
{
	static const char *words[] = {"swap ", "page ", "zsmalloc ", "entry ", "the ", "of ",
				      "compress ", "cache ", "slot ", "fault\n"};
	uint64_t *w = page, s = seed * 2654435761u + 1;
	unsigned char *b = page;
	size_t n = 0;

	switch (flavour % 5) {
	case 0:
		memset(page, 0, 4096);
		break;
	case 1:
		while (n < 4096) {
			const char *x = words[t_rand(&s) % 10];
			for (; *x && n < 4096; x++)
				b[n++] = (unsigned char)*x;
		}
		break;
	case 2:
		for (size_t i = 0; i < 512; i++)
			w[i] = i % 4 == 0 ? 0x7f0000001000ull + (t_rand(&s) % 64) * 64 : t_rand(&s) % 300;
		break;
	case 3:
		for (size_t i = 0; i < 512; i++)
			w[i] = t_rand(&s);
		break;
	default:
		for (size_t i = 0; i < 512; i++)
			w[i] = seed | 1;
	}
}

/* vm tests: run(mode) for the mode named on the command line, else for
 * both fault modes. */
static inline int t_run_fault_modes(int argc, char **argv, void (*run)(const char *mode))
{
	if (argc > 1) {
		run(argv[1]);
		return 0;
	}
	run("handler");
	run("sigbus");
	return 0;
}

#endif
