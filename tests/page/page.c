/*
 * Description: page/ hands out distinct, writable, page-aligned pages,
 * accounts exactly (chunks * 512 == used + free + released), refuses
 * allocation at max_bytes, gives free memory back to the OS (mincore shows
 * released pages non-resident) and unmaps chunks with nothing out. With
 * populate, a page is resident when handed out, before its first touch,
 * whether new or released; without, it is not.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "base/base.h"
#include "helpers.h"
#include "page/page.h"

#define N 3000

static void check_identity(struct pg_pool *p)
{
	struct pg_stats st;
	pg_stats(p, &st);
	T_ASSERT_EQ(st.chunks * PG_PER_CHUNK, st.used_pages + st.free_pages + st.released_pages);
}

static bool resident(void *page)
{
	unsigned char v;
	T_ASSERT(mincore(page, PAGE_SIZE, &v) == 0);
	return v & 1;
}

int main(void)
{
	struct pg_pool *p;
	static void *pages[N];
	struct pg_stats st;

	T_ASSERT_EQ(pg_pool_create(&(struct pg_config){.max_bytes = 2000 * PAGE_SIZE}, &p), 0);
	for (int i = 0; i < 2000; i++) {
		pages[i] = pg_alloc(p);
		T_ASSERT(pages[i] && ((uintptr_t)pages[i] & (PAGE_SIZE - 1)) == 0);
		T_ASSERT(pg_owns(p, pages[i]));
		memset(pages[i], i & 0xff, PAGE_SIZE);
	}
	/* At the limit: refused, counted, nothing else disturbed. */
	T_ASSERT(pg_alloc(p) == NULL);
	pg_stats(p, &st);
	T_ASSERT_EQ(st.used_pages, 2000);
	T_ASSERT_EQ(st.alloc_fail, 1);
	T_ASSERT_EQ(pg_used_bytes(p), 2000 * PAGE_SIZE);
	check_identity(p);
	/* Distinct pages: each still holds its own fill. */
	for (int i = 0; i < 2000; i++)
		T_ASSERT(((unsigned char *)pages[i])[PAGE_SIZE - 1] == (i & 0xff));

	/* Free all but one page per chunk's worth: force-trim returns them. */
	for (int i = 1; i < 2000; i++)
		pg_free(p, pages[i]);
	check_identity(p);
	pg_trim(p, true);
	pg_stats(p, &st);
	T_ASSERT_EQ(st.used_pages, 1);
	T_ASSERT_EQ(st.free_pages, 0);
	check_identity(p);
	T_ASSERT(st.chunks_unmapped >= 1); /* chunks with nothing out went back whole */
	T_ASSERT(resident(pages[0]));
	/* A released page of the surviving chunk is no longer resident. */
	int nonres = 0;
	for (size_t off = 1; off < PG_PER_CHUNK; off++) {
		char *q = (char *)((uintptr_t)pages[0] & ~(PG_CHUNK_SIZE - 1)) + off * PAGE_SIZE;
		if (q != pages[0])
			nonres += !resident(q);
	}
	T_ASSERT(nonres >= (int)PG_PER_CHUNK - 2);
	T_ASSERT_EQ(pg_chunk_used(p, pages[0]), 1);

	/* Released pages are handed out again, zero-filled by the OS. */
	for (int i = 1; i < 600; i++) {
		pages[i] = pg_alloc(p);
		T_ASSERT(pages[i]);
	}
	check_identity(p);
	for (int i = 0; i < 600; i++)
		pg_free(p, pages[i]);
	pg_trim(p, true);
	pg_stats(p, &st);
	T_ASSERT_EQ(st.used_pages, 0);
	T_ASSERT_EQ(st.chunks, 0);
	check_identity(p);
	pg_pool_destroy(p);

	/* Destroy with pages still out frees everything (LSan checks). */
	T_ASSERT_EQ(pg_pool_create(NULL, &p), 0);
	for (int i = 0; i < N; i++)
		T_ASSERT(pg_alloc(p));
	pg_pool_destroy(p);

	/* populate: new and released pages come resident; without it they do not. */
	for (int on = 0; on < 2; on++) {
		T_ASSERT_EQ(pg_pool_create(&(struct pg_config){.populate = on}, &p), 0);
		void *keep = pg_alloc(p); /* its chunk stays mapped: round 1 reuses released pages */
		for (int round = 0; round < 2; round++) {
			int res = 0;
			for (int i = 0; i < 100; i++)
				res += resident(pages[i] = pg_alloc(p));
			T_ASSERT_EQ(res, on ? 100 : 0);
			for (int i = 0; i < 100; i++)
				pg_free(p, pages[i]);
			pg_trim(p, true); /* released: round 1 takes them again */
			pg_stats(p, &st);
			T_ASSERT_EQ(st.free_pages, 0);
			T_ASSERT_EQ(st.chunks, 1);
		}
		pg_free(p, keep);
		pg_pool_destroy(p);
	}

	/* Metadata allocation failure: refused cleanly, pool still works. */
	T_ASSERT_EQ(pg_pool_create(NULL, &p), 0);
	base_alloc_fail_nth(1);
	void *x = pg_alloc(p);
	base_alloc_fail_nth(0);
	T_ASSERT(x == NULL);
	x = pg_alloc(p);
	T_ASSERT(x);
	pg_free(p, x);
	check_identity(p);
	pg_pool_destroy(p);
	return T_EXIT_PASS;
}
