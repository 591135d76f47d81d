/*
 * remote_ref.h - plain SET/GET on a Redis Cluster, the reference side of
 * `uswap bench swap` with a redis:// device (remote_ref.c).
 */
#ifndef USWAP_BENCH_REMOTE_REF_H
#define USWAP_BENCH_REMOTE_REF_H

#include <stddef.h>

struct remote_ref;
struct rc_url_opts;

int remote_ref_open(const char *url, const struct rc_url_opts *o, struct remote_ref **out, char *err, size_t errlen);
int remote_ref_put(struct remote_ref *r, size_t i, const void *page);
int remote_ref_get(struct remote_ref *r, const size_t *idx, int n, unsigned char *dest);
void remote_ref_close(struct remote_ref *r, size_t n);

#endif
