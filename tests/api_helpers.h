/*
 * api_helpers.h - for tests of the public API (include/uswap.h): the
 * helpers of helpers.h and one statistic by name.
 */
#ifndef USWAP_TESTS_API_HELPERS_H
#define USWAP_TESTS_API_HELPERS_H

#include "helpers.h"
#include "uswap.h"

/* Statistic name of u; a name uswap does not know fails the test. */
static inline uint64_t t_stat(uswap_t *u, const char *name)
{
	uint64_t v = 0;

	T_ASSERT(!uswap_stat(u, name, &v));
	return v;
}

#endif
