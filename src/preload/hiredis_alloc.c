/*
 * hiredis_alloc.c - the memory of the far tier's client under uswap run.
 *
 * hiredis 0.14 (Debian 12's) allocates with malloc and has no allocator
 * hooks. Under uswap run malloc is the program's jemalloc, whose memory
 * uswap manages: a fault handler talking to the cluster would touch pages
 * that may be swapped out, onto the very cluster it is talking to. So the
 * preload library links a private copy of hiredis (the Makefile copies
 * Debian's libhiredis.a with objcopy --redefine-sym) whose malloc,
 * calloc, realloc, free and strdup are the functions below: uswap's own
 * allocator, glibc's malloc there (base_set_allocator), never managed.
 *
 * getaddrinfo allocates its results with malloc too, so the copy's
 * getaddrinfo and freeaddrinfo are here as well: a numeric address (what
 * CLUSTER SLOTS and MOVED name, and what redis_cluster.c turns seed names
 * into when it opens) is converted here without any allocation of the
 * program's; a name goes to the system's resolver and its answer is
 * copied into uswap's memory.
 *
 * No locks.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* Declared here: only the private hiredis calls them (no header). */
void *uswap_hi_malloc(size_t n);
void *uswap_hi_calloc(size_t n, size_t size);
void *uswap_hi_realloc(void *p, size_t n);
void uswap_hi_free(void *p);
char *uswap_hi_strdup(const char *s);
int uswap_hi_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			 struct addrinfo **res);
void uswap_hi_freeaddrinfo(struct addrinfo *ai);

void *uswap_hi_malloc(size_t n) { return base_malloc(n); }
void *uswap_hi_calloc(size_t n, size_t size) { return base_calloc(n, size); }
void *uswap_hi_realloc(void *p, size_t n) { return base_realloc(p, n); }
void uswap_hi_free(void *p) { base_free(p); }
char *uswap_hi_strdup(const char *s) { return base_strdup(s); }

/* One result, its address in the same block. */
struct ai_block {
	struct addrinfo ai;
	struct sockaddr_storage addr;
};

static struct addrinfo *ai_new(int family, int socktype, int protocol, const struct sockaddr *sa, socklen_t len)
{
	struct ai_block *b = base_calloc(1, sizeof(*b));

	if (!b || len > sizeof(b->addr)) {
		base_free(b);
		return NULL;
	}
	memcpy(&b->addr, sa, len);
	b->ai = (struct addrinfo){.ai_family = family, .ai_socktype = socktype, .ai_protocol = protocol,
				  .ai_addrlen = len, .ai_addr = (struct sockaddr *)&b->addr};
	return &b->ai;
}

/* A numeric node as one result: 0 or EAI_MEMORY; EAI_FAMILY when it is an
 * address of another family than hinted; 1 when it is not numeric. */
static int numeric(const char *node, int port, const struct addrinfo *h, struct addrinfo **res)
{
	int family = h ? h->ai_family : AF_UNSPEC, socktype = h && h->ai_socktype ? h->ai_socktype : SOCK_STREAM;
	struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	bool is4 = inet_pton(AF_INET, node, &v4.sin_addr) == 1, is6 = !is4 && inet_pton(AF_INET6, node, &v6.sin6_addr) == 1;

	if (!is4 && !is6)
		return 1;
	if (family != AF_UNSPEC && family != (is4 ? AF_INET : AF_INET6))
		return EAI_FAMILY;
	if (is4)
		*res = ai_new(AF_INET, socktype, IPPROTO_TCP, (struct sockaddr *)&v4, sizeof(v4));
	else
		*res = ai_new(AF_INET6, socktype, IPPROTO_TCP, (struct sockaddr *)&v6, sizeof(v6));
	return *res ? 0 : EAI_MEMORY;
}

int uswap_hi_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			 struct addrinfo **res)
{
	struct addrinfo *sys, **tail = res;
	int ret = node ? numeric(node, service ? atoi(service) : 0, hints, res) : 1;

	if (ret != 1)
		return ret;
	*res = NULL;
	if ((ret = getaddrinfo(node, service, hints, &sys)))
		return ret;
	for (struct addrinfo *a = sys; a; a = a->ai_next) {
		if (!(*tail = ai_new(a->ai_family, a->ai_socktype, a->ai_protocol, a->ai_addr, a->ai_addrlen))) {
			ret = EAI_MEMORY;
			break;
		}
		tail = &(*tail)->ai_next;
	}
	freeaddrinfo(sys);
	if (ret) {
		uswap_hi_freeaddrinfo(*res);
		*res = NULL;
	}
	return ret;
}

void uswap_hi_freeaddrinfo(struct addrinfo *ai)
{
	while (ai) {
		struct addrinfo *next = ai->ai_next;
		base_free(ai); /* the block starts with its addrinfo */
		ai = next;
	}
}
