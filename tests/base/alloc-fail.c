/*
 * Description: base_alloc_fail_nth(n) fails exactly the nth allocation
 * from now and no other, and disarms itself after firing.
 */
#include "base/base.h"
#include "helpers.h"

int main(void)
{
	void *p[5];

	base_alloc_fail_nth(3);
	for (int i = 0; i < 5; i++)
		p[i] = base_malloc(16);
	T_ASSERT(p[0] && p[1] && !p[2] && p[3] && p[4]);
	T_ASSERT(base_alloc_failed());
	for (int i = 0; i < 5; i++)
		base_free(p[i]);

	base_alloc_fail_nth(1);
	T_ASSERT(base_calloc(1, 8) == NULL);
	void *a = base_aligned_alloc(64, 100);
	T_ASSERT(a && ((uintptr_t)a & 63) == 0);
	for (int i = 0; i < 100; i++)
		T_ASSERT(((unsigned char *)a)[i] == 0);
	base_free(a);

	base_alloc_fail_nth(0);
	T_ASSERT(!base_alloc_failed());
	a = base_malloc(1);
	T_ASSERT(a);
	base_free(a);
	return T_EXIT_PASS;
}
