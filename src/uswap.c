/*
 * uswap.c - the public facade: thin, validated entry points over the
 * layers. Only functions defined here are exported (src/uswap.map).
 */
#include "uswap.h"

#include "codec/codec.h"

#define API __attribute__((visibility("default")))

API const char *uswap_version(void) { return USWAP_VERSION_STRING; }

API const char *const *uswap_compressors(void) { return codec_names(); }

API int uswap_compressor_check(const char *spec)
{
	const struct codec_ops *ops;
	int level;
	char err[160];

	return spec ? codec_parse(spec, &ops, &level, err, sizeof(err)) : -22;
}
