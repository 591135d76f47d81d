/*
 * uswap.h - public API of uswap, user-space compressed swap.
 *
 * Conventions (liburing's): calls that can fail return 0 or a negative
 * errno and never set errno; results come back through out-parameters.
 * Everything not declared here is internal and not exported by the shared
 * library.
 *
 * This release provides the version interface and the list of compressors;
 * regions (uswap_create, uswap_alloc, ...) arrive with the vm layer.
 */
#ifndef USWAP_H
#define USWAP_H

#ifdef __cplusplus
extern "C" {
#endif

#define USWAP_VERSION_MAJOR 0
#define USWAP_VERSION_MINOR 1
#define USWAP_VERSION_PATCH 0

/*
 * uswap_version - the version of the library actually loaded, "0.1.0".
 * Compare with the USWAP_VERSION_* macros to detect a header/library
 * mismatch. Never fails; the string is static.
 */
const char *uswap_version(void);

/*
 * uswap_compressors - the compressor names this build supports, as a
 * NULL-terminated static array: "lz4" (the default), "lz4hc", "zstd",
 * "deflate", "lzo". A name may carry a level: "zstd:3", "lz4hc:12".
 */
const char *const *uswap_compressors(void);

/*
 * uswap_compressor_check - is spec ("lz4", "zstd:3", ...) a valid
 * compressor choice? Returns 0, or -EINVAL.
 */
int uswap_compressor_check(const char *spec);

#ifdef __cplusplus
}
#endif

#endif
