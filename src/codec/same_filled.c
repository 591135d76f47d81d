/*
 * same_filled.c - pages whose 8-byte words are all equal.
 *
 * Such pages (zero pages above all) are stored as their one word, with no
 * compression and no pool memory. The test compares the page with itself
 * shifted by one word: p[0..n-8) == p[8..n) holds exactly when every word
 * equals the one before it, i.e. all equal the first. libc's memcmp does
 * this with vector loads, as fast as comparing against a zero page, and
 * returns at the first differing bytes, so a typical non-uniform page costs
 * a few dozen bytes of reading, not a second pass; comparing the first two
 * words inline settles most such pages before any call.
 */
#include <string.h>

#include "codec/codec.h"

bool codec_same_filled(const void *page, uint64_t *value)
{
	const char *p = page;
	uint64_t w0, w1;

	/* Most pages differ in their first two words: decide without a call. */
	memcpy(&w0, p, sizeof(w0));
	memcpy(&w1, p + sizeof(w0), sizeof(w1));
	if (w0 != w1)
		return false;
	if (memcmp(p, p + sizeof(uint64_t), PAGE_SIZE - sizeof(uint64_t)) != 0)
		return false;
	memcpy(value, p, sizeof(*value));
	return true;
}

void codec_fill_page(void *page, uint64_t value)
{
	uint64_t *w = page;

	if (value == 0) {
		memset(page, 0, PAGE_SIZE);
		return;
	}
	for (size_t i = 0; i < PAGE_SIZE / sizeof(uint64_t); i++)
		w[i] = value;
}
