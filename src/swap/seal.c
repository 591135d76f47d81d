/*
 * seal.c - what keeps a page on a swap device honest: a checksum, or,
 * with encryption at rest, an authenticated cipher.
 *
 * Without a cipher a page is written as it is and its seal is its XXH3
 * checksum, kept in memory with the entry: a read that does not match is
 * -EBADMSG, never wrong data.
 *
 * With a cipher (encrypt=on) the device only ever holds ciphertext. Each
 * write is sealed under a per-run random key with a fresh nonce (a 64-bit
 * counter per cipher: unique for the key's whole life, since the key dies
 * with the run), the slot number as associated data, and the 16-byte tag
 * kept in memory with the entry in place of the checksum. A flipped bit, a
 * slot copied over another or an old page written back in its place fails
 * the tag: -EBADMSG for that page alone.
 *
 * The cipher is AES-256-GCM where the CPU has AES-NI and PCLMUL, else
 * XChaCha20-Poly1305, both from libsodium. Measured on the dev VM (4 KiB
 * pages, one thread, a throwaway program): libsodium AES-256-GCM 1.94 GB/s,
 * XChaCha20-Poly1305 1.20 GB/s; OpenSSL 3.0's AES-256-GCM 3.8 GB/s and
 * ChaCha20-Poly1305 3.1 GB/s. OpenSSL is faster but keeps its expanded key
 * in its own heap, which we can neither lock nor wipe; libsodium's
 * precomputed AES state and the raw key live in sodium_malloc memory that
 * we lock (mlock: never written to swap), exclude from core dumps, guard
 * and wipe at close. The key never leaves that memory.
 *
 * Lock order: none; a cipher is read-only after creation (the nonce
 * counter is atomic).
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h> /* libxxhash picks SSE2/AVX2/AVX-512 at run time */
#define checksum_fn XXH3_64bits_dispatch
#else
#define checksum_fn XXH3_64bits
#endif

#include "swap/swap.h"

enum cipher_kind { CIPHER_AES256GCM, CIPHER_XCHACHA20POLY1305 };

/* The secrets, in one locked allocation. */
struct cipher_secret {
	crypto_aead_aes256gcm_state aes; /* the expanded AES key (AES only) */
	unsigned char key[32];           /* the raw key (XChaCha only) */
};

_Static_assert(sizeof(struct cipher_secret) % 16 == 0, "sodium_malloc aligns the end: keep the AES state aligned");

struct swap_cipher {
	enum cipher_kind kind;           /* constant */
	struct cipher_secret *secret;    /* constant pointer; sodium_malloc, locked */
	_Atomic uint64_t nonce;          /* atomic: the last nonce used */
};

/* XXH3 of the page. The dispatching entry point measured 28 GB/s on the
 * dev VM (AVX-512), the plain one 8-12 GB/s (SSE2): 0.15 against 0.4 us
 * a page, which is a third of a page-cache pread. Same hash either way. */
uint64_t swap_checksum(const void *page) { return checksum_fn(page, PAGE_SIZE); }

int swap_cipher_create(struct swap_cipher **out, char *err, size_t errlen)
{
	struct swap_cipher *c;

	*out = NULL;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "encrypt: libsodium failed to initialise");
		return -EIO;
	}
	if (!(c = base_calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->secret = sodium_malloc(sizeof(*c->secret));
	if (!c->secret) {
		base_free(c);
		return -ENOMEM;
	}
	/* sodium_malloc tries to lock and carries on if it cannot: insist. */
	if (sodium_mlock(c->secret, sizeof(*c->secret))) {
		int e = errno;
		snprintf(err, errlen, "encrypt: cannot lock memory for the key: %s (RLIMIT_MEMLOCK?)", strerror(e));
		sodium_free(c->secret);
		base_free(c);
		return -e;
	}
	randombytes_buf(c->secret->key, sizeof(c->secret->key));
	/* USWAP_DEBUG_CIPHER=xchacha20-poly1305: the fallback, for its tests */
	const char *force = getenv("USWAP_DEBUG_CIPHER");
	bool xchacha = !crypto_aead_aes256gcm_is_available() || (force && !strcmp(force, "xchacha20-poly1305"));
	c->kind = xchacha ? CIPHER_XCHACHA20POLY1305 : CIPHER_AES256GCM;
	if (c->kind == CIPHER_AES256GCM) {
		crypto_aead_aes256gcm_beforenm(&c->secret->aes, c->secret->key);
		sodium_memzero(c->secret->key, sizeof(c->secret->key)); /* the state is all AES needs */
	}
	*out = c;
	return 0;
}

/* Wipe the key and free the cipher (sodium_free wipes before it unmaps). */
void swap_cipher_destroy(struct swap_cipher *c)
{
	if (!c)
		return;
	sodium_free(c->secret);
	base_free(c);
}

const char *swap_cipher_name(const struct swap_cipher *c)
{
	return !c ? "none" : c->kind == CIPHER_AES256GCM ? "aes-256-gcm" : "xchacha20-poly1305";
}

/* The nonce: the counter, little-endian, zero-padded to the cipher's size
 * (12 bytes for AES-GCM, 24 for XChaCha). */
static void nonce_bytes(uint64_t n, unsigned char out[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES])
{
	memset(out, 0, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	for (int i = 0; i < 8; i++)
		out[i] = (unsigned char)(n >> (8 * i));
}

static void slot_bytes(uint64_t slot, unsigned char out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (unsigned char)(slot >> (8 * i));
}

/*
 * Seal len bytes of in for slot: the ciphertext into out (len bytes), a
 * fresh nonce and the tag into *seal. A page, or a cluster device's
 * compressed object (backing_redis.c).
 */
void swap_seal_buf(struct swap_cipher *c, uint64_t slot, const void *in, size_t len, void *out,
		   struct swap_seal *seal)
{
	unsigned char npub[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES], ad[8];

	seal->sum = atomic_add_relaxed(&c->nonce, 1) + 1;
	nonce_bytes(seal->sum, npub);
	slot_bytes(slot, ad);
	if (c->kind == CIPHER_AES256GCM)
		crypto_aead_aes256gcm_encrypt_detached_afternm(out, seal->tag, NULL, in, len, ad, sizeof(ad), NULL,
							       npub, &c->secret->aes);
	else
		crypto_aead_xchacha20poly1305_ietf_encrypt_detached(out, seal->tag, NULL, in, len, ad, sizeof(ad),
								    NULL, npub, c->secret->key);
}

/* Open len bytes of ciphertext in buf for slot, in place. 0 or -EBADMSG
 * (buf's content is then undefined: the caller must not use it). */
int swap_seal_open_buf(struct swap_cipher *c, uint64_t slot, void *buf, size_t len, const struct swap_seal *seal)
{
	unsigned char npub[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES], ad[8];
	int r;

	nonce_bytes(seal->sum, npub);
	slot_bytes(slot, ad);
	if (c->kind == CIPHER_AES256GCM)
		r = crypto_aead_aes256gcm_decrypt_detached_afternm(buf, NULL, buf, len, seal->tag, ad, sizeof(ad),
								   npub, &c->secret->aes);
	else
		r = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(buf, NULL, buf, len, seal->tag, ad,
									sizeof(ad), npub, c->secret->key);
	return r ? -EBADMSG : 0;
}

/*
 * Seal page, about to be written to slot. With a cipher the ciphertext
 * goes to out and out is what must be written; without one the page is
 * written as it is (out untouched) and the checksum is taken after the
 * write (swap_seal_checksum), when the kernel's copy has made it warm.
 * Returns the buffer to write.
 */
const void *swap_seal_page(struct swap_cipher *c, uint64_t slot, const void *page, void *out, struct swap_seal *seal)
{
	if (!c)
		return page;
	swap_seal_buf(c, slot, page, PAGE_SIZE, out, seal);
	return out;
}

/* After a write without a cipher: the checksum of what was written. */
void swap_seal_checksum(struct swap_cipher *c, const void *page, struct swap_seal *seal)
{
	if (!c)
		seal->sum = swap_checksum(page);
}

/* Check (and with a cipher, decrypt in place) page as read from slot.
 * 0 or -EBADMSG. */
int swap_seal_open(struct swap_cipher *c, uint64_t slot, void *page, const struct swap_seal *seal)
{
	if (c)
		return swap_seal_open_buf(c, slot, page, PAGE_SIZE, seal);
	return swap_checksum(page) == seal->sum ? 0 : -EBADMSG;
}
