/*
 * Description: the latency histogram reports percentiles within its
 * bucket resolution (1/16 relative), the exact maximum, count and mean,
 * and merges.
 */
#include <math.h>

#include "base/base.h"
#include "helpers.h"

static struct hist h, h2;

static void near(uint64_t got, double want)
{
	if (fabs((double)got - want) > want / 16 + 1) {
		fprintf(stderr, "percentile %llu, expected about %.0f\n", (unsigned long long)got, want);
		exit(T_EXIT_FAIL);
	}
}

int main(void)
{
	hist_reset(&h);
	T_ASSERT_EQ(hist_percentile(&h, 50), 0);
	for (uint64_t v = 1; v <= 100000; v++)
		hist_record(&h, v);
	T_ASSERT_EQ(hist_count(&h), 100000);
	T_ASSERT_EQ(hist_max(&h), 100000);
	near(hist_percentile(&h, 50), 50000);
	near(hist_percentile(&h, 90), 90000);
	near(hist_percentile(&h, 99), 99000);
	T_ASSERT(hist_percentile(&h, 100) == 100000);
	T_ASSERT(fabs(hist_mean(&h) - 50000.5) < 1);

	/* Small values are exact. */
	hist_reset(&h2);
	for (int i = 0; i < 10; i++)
		hist_record(&h2, 3);
	hist_record(&h2, 7);
	T_ASSERT_EQ(hist_percentile(&h2, 50), 3);
	T_ASSERT_EQ(hist_percentile(&h2, 100), 7);

	/* Huge values do not overflow the bucket index. */
	hist_record(&h2, UINT64_MAX);
	T_ASSERT(hist_max(&h2) == UINT64_MAX);
	T_ASSERT(hist_percentile(&h2, 100) == UINT64_MAX);

	hist_merge(&h, &h2);
	T_ASSERT_EQ(hist_count(&h), 100012);
	T_ASSERT(hist_max(&h) == UINT64_MAX);
	return T_EXIT_PASS;
}
