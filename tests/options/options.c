/*
 * Description: the options table: defaults are the layers' own default
 * macros, sizes take K/M/G/T and a bare number is bytes, unknown keys and
 * out-of-range or malformed values are refused with a message naming the
 * key and what it accepts, a bad list changes nothing, USWAP_<KEY> in the
 * environment is read and loses to an explicit string, and the layers'
 * configs come out of the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "options.h"

static char err[512];

static void test_defaults(void)
{
	struct options o;
	struct zswap_config zc;
	struct swap_backing_config bc;

	options_init(&o);
	T_ASSERT_EQ(opt_num(&o, OPT_MAX_POOL_PERCENT), ZSWAP_DEFAULT_MAX_POOL_PERCENT);
	T_ASSERT_EQ(opt_num(&o, OPT_ACCEPT_THRESHOLD_PERCENT), ZSWAP_DEFAULT_ACCEPT_THRESHOLD_PERCENT);
	T_ASSERT_EQ(opt_num(&o, OPT_MAX_CHAIN), ZS_DEFAULT_MAX_CHAIN);
	T_ASSERT_EQ(opt_num(&o, OPT_COMPACT_THRESHOLD), ZS_DEFAULT_COMPACT_THRESHOLD);
	T_ASSERT_EQ(opt_num(&o, OPT_COMPACT_MIN_PAGES), ZS_DEFAULT_COMPACT_MIN_PAGES);
	T_ASSERT_EQ(opt_num(&o, OPT_TRIM_INTERVAL_MS), ZS_DEFAULT_TRIM_INTERVAL_MS);
	T_ASSERT_EQ(opt_num(&o, OPT_FREE_WATERMARK), PG_DEFAULT_FREE_WATERMARK);
	T_ASSERT_EQ(opt_num(&o, OPT_PAGE_CLUSTER), SWAP_DEFAULT_PAGE_CLUSTER);
	T_ASSERT(!strcmp(opt_str(&o, OPT_COMPRESSOR), ZSWAP_DEFAULT_COMPRESSOR));
	T_ASSERT(opt_bool(&o, OPT_ZSWAP) && !opt_bool(&o, OPT_DIRECT));
	for (int i = 0; i < OPT__COUNT; i++) {
		T_ASSERT(opt_def(i)->name && opt_def(i)->help && opt_def(i)->layer);
		T_ASSERT_EQ(opt_lookup(opt_def(i)->name), i);
		T_ASSERT(!o.v[i].set);
	}
	options_zswap_config(&o, &zc);
	T_ASSERT(!zc.disabled && !zc.no_shrink_worker && zc.max_pool_percent == 20 && zc.zs.max_chain == 8);
	T_ASSERT(zc.zs.trim_interval_ms == ZS_DEFAULT_TRIM_INTERVAL_MS);
	options_backing_config(&o, &bc);
	T_ASSERT(!bc.path && !bc.dir && !bc.size && !bc.direct && !bc.discard);
	options_free(&o);
}

static void test_sizes(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {{"0", 0}, {"4096", 4096}, {"64K", 65536}, {"64k", 65536}, {"3M", 3u << 20}, {"2G", 2ull << 30},
		  {"1T", 1ull << 40}, {"1GiB", 1ull << 30}, {"8MB", 8u << 20}, {"100B", 100}};
	static const char *const bad[] = {"", "M", "-1", "1.5G", "12Q", "4 K", "1GiBx", "99999999999999999999",
					  "20000000T", "0x10"};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		T_ASSERT_EQ(opt_parse_size(ok[i].s, &v), 0);
		T_ASSERT_EQ(v, ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_ASSERT_EQ(opt_parse_size(bad[i], &v), -EINVAL);
}

static void test_parse(void)
{
	struct options o;
	struct zswap_config zc;

	options_init(&o);
	T_ASSERT_EQ(options_parse(&o, "max_pool_percent=35,compressor=zstd:3,free_watermark=8M,direct=on", err,
				  sizeof(err)), 0);
	T_ASSERT_EQ(opt_num(&o, OPT_MAX_POOL_PERCENT), 35);
	T_ASSERT(!strcmp(opt_str(&o, OPT_COMPRESSOR), "zstd:3"));
	T_ASSERT_EQ(opt_num(&o, OPT_FREE_WATERMARK), 8u << 20);
	T_ASSERT(opt_bool(&o, OPT_DIRECT) && o.v[OPT_DIRECT].set);
	T_ASSERT_EQ(options_set(&o, "page-cluster", "5", err, sizeof(err)), 0); /* '-' for '_' */
	T_ASSERT_EQ(opt_num(&o, OPT_PAGE_CLUSTER), 5);
	T_ASSERT_EQ(options_set(&o, "trim_interval_ms", "0", err, sizeof(err)), 0);
	options_zswap_config(&o, &zc);
	T_ASSERT(zc.zs.trim_interval_ms < 0 && zc.zs.free_watermark == 8u << 20 && zc.max_pool_percent == 35);

	/* Refusals name the key and the accepted values, and change nothing. */
	T_ASSERT_EQ(options_parse(&o, "max_chain=4,max_pool_percent=101", err, sizeof(err)), -EINVAL);
	T_ASSERT(strstr(err, "max_pool_percent") && strstr(err, "1 to 100"));
	T_ASSERT_EQ(opt_num(&o, OPT_MAX_CHAIN), ZS_DEFAULT_MAX_CHAIN); /* all or nothing */
	T_ASSERT_EQ(options_parse(&o, "bogus=1", err, sizeof(err)), -EINVAL);
	T_ASSERT(strstr(err, "unknown option 'bogus'"));
	T_ASSERT_EQ(options_parse(&o, "max_chain", err, sizeof(err)), -EINVAL);
	T_ASSERT(strstr(err, "no value"));
	T_ASSERT_EQ(options_set(&o, "compressor", "lz5", err, sizeof(err)), -EINVAL);
	T_ASSERT(strstr(err, "compressor") && strstr(err, "zstd"));
	T_ASSERT_EQ(options_set(&o, "zswap", "maybe", err, sizeof(err)), -EINVAL);
	T_ASSERT(strstr(err, "on or off"));
	T_ASSERT_EQ(options_set(&o, "max_chain", "0", err, sizeof(err)), -EINVAL);
	T_ASSERT_EQ(options_set(&o, "max_chain", "17", err, sizeof(err)), -EINVAL);
	T_ASSERT_EQ(options_set(&o, "max_chain", "8x", err, sizeof(err)), -EINVAL);
	T_ASSERT_EQ(options_set(&o, "swapfile_size", "1.5G", err, sizeof(err)), -EINVAL);
	T_ASSERT(strstr(err, "bare number is bytes"));
	T_ASSERT(!strcmp(opt_str(&o, OPT_COMPRESSOR), "zstd:3"));
	T_ASSERT_EQ(options_parse(&o, NULL, err, sizeof(err)), 0);
	T_ASSERT_EQ(options_parse(&o, "", err, sizeof(err)), 0);
	options_free(&o);
}

static void test_env(void)
{
	struct options o;

	setenv("USWAP_MAX_POOL_PERCENT", "42", 1);
	setenv("USWAP_COMPRESSOR", "deflate", 1);
	options_init(&o);
	T_ASSERT_EQ(options_from_env(&o, err, sizeof(err)), 0);
	T_ASSERT_EQ(opt_num(&o, OPT_MAX_POOL_PERCENT), 42);
	T_ASSERT(!strcmp(opt_str(&o, OPT_COMPRESSOR), "deflate"));
	T_ASSERT_EQ(options_parse(&o, "max_pool_percent=7", err, sizeof(err)), 0); /* a string wins */
	T_ASSERT_EQ(opt_num(&o, OPT_MAX_POOL_PERCENT), 7);
	options_free(&o);
	setenv("USWAP_MAX_CHAIN", "99", 1);
	options_init(&o);
	T_ASSERT_EQ(options_from_env(&o, err, sizeof(err)), -EINVAL);
	T_ASSERT(strstr(err, "USWAP_MAX_CHAIN") && strstr(err, "1 to 16"));
	options_free(&o);
	unsetenv("USWAP_MAX_CHAIN");
	unsetenv("USWAP_MAX_POOL_PERCENT");
	unsetenv("USWAP_COMPRESSOR");
}

int main(void)
{
	test_defaults();
	test_sizes();
	test_parse();
	test_env();
	return T_EXIT_PASS;
}
