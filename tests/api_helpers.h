/*
 * api_helpers.h - for tests of the public API (include/uswap.h): the
 * helpers of helpers.h, an instance that must open, and one statistic by
 * name.
 */
#ifndef USWAP_TESTS_API_HELPERS_H
#define USWAP_TESTS_API_HELPERS_H

#include "helpers.h"
#include "uswap.h"

/* uswap_open(opts), or the test fails with uswap_strerror()'s message. */
static inline uswap_t *t_open(const char *opts)
{
	uswap_t *u = uswap_open(opts);

	if (!u) {
		fprintf(stderr, "uswap_open(%s): %s\n", opts, uswap_strerror());
		exit(T_EXIT_FAIL);
	}
	return u;
}

/* Statistic name of u; a name uswap does not know fails the test. */
static inline uint64_t t_stat(uswap_t *u, const char *name)
{
	uint64_t v = 0;

	T_ASSERT(!uswap_stat(u, name, &v));
	return v;
}

#endif
