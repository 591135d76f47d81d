/*
 * Description: same-filled detection finds pages whose 8-byte words are
 * all equal (zero and any other value), rejects pages that differ in any
 * single byte anywhere (first word, last word, the middle), and
 * codec_fill_page() restores them.
 */
#include "codec/codec.h"
#include "helpers.h"

static uint64_t page[PAGE_SIZE / 8];

int main(void)
{
	uint64_t v, back[PAGE_SIZE / 8];
	uint64_t values[] = {0, 1, 0xdeadbeefcafef00dull, UINT64_MAX, 0x0101010101010101ull};

	for (size_t k = 0; k < ARRAY_SIZE(values); k++) {
		codec_fill_page(page, values[k]);
		T_ASSERT(codec_same_filled(page, &v));
		T_ASSERT(v == values[k]);
		codec_fill_page(back, v);
		T_ASSERT(!memcmp(page, back, PAGE_SIZE));
		/* Any one byte changed anywhere breaks it. */
		for (size_t b = 0; b < PAGE_SIZE; b += 97) {
			unsigned char *p = (unsigned char *)page;
			p[b] ^= 0x10;
			T_ASSERT(!codec_same_filled(page, &v));
			p[b] ^= 0x10;
		}
		unsigned char *p = (unsigned char *)page;
		p[PAGE_SIZE - 1] ^= 1;
		T_ASSERT(!codec_same_filled(page, &v));
		p[PAGE_SIZE - 1] ^= 1;
	}
	/* A page of a repeating 16-byte pattern is not same-filled. */
	for (size_t i = 0; i < PAGE_SIZE / 8; i++)
		page[i] = i % 2 ? 1 : 2;
	T_ASSERT(!codec_same_filled(page, &v));
	return T_EXIT_PASS;
}
