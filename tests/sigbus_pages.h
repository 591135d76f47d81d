/*
 * sigbus_pages.h - reading region pages that may be poisoned, for the
 * tests of lost swap data (tests/vm/corrupt-swapfile.c, io-error.c): a
 * SIGBUS handler that jumps back, and a page read that tells a right page
 * (filled with t_fill_page(flavour 1 + i % 3, seed i)) from a SIGBUS, and
 * fails the test on a wrong one. Include after helpers.h.
 */
#ifndef USWAP_TESTS_SIGBUS_PAGES_H
#define USWAP_TESTS_SIGBUS_PAGES_H

#include <setjmp.h>
#include <signal.h>

#define T_PG 4096

static sigjmp_buf t_jump;
static volatile sig_atomic_t sigbus_seen;

static void on_sigbus(int sig)
{
	(void)sig;
	sigbus_seen++;
	siglongjmp(t_jump, 1);
}

/* Catch SIGBUS with on_sigbus (installed before uswap_open: in sigbus
 * mode uswap passes on the signals that are not its own to the handler it
 * found); *old gets the handler to put back. */
static inline void t_catch_sigbus(struct sigaction *old)
{
	struct sigaction sa = {.sa_handler = on_sigbus};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, old);
}

/* Read page i: 1 right, 0 SIGBUS; a wrong page fails the test. */
static inline int read_page(const unsigned char *mem, size_t i)
{
	static unsigned char want[T_PG], got[T_PG];

	if (sigsetjmp(t_jump, 1))
		return 0;
	memcpy(got, mem + i * T_PG, T_PG);
	t_fill_page(want, 1 + (int)(i % 3), i);
	if (memcmp(got, want, T_PG)) {
		fprintf(stderr, "page %zu reads wrong (%s)\n", i,
			got[0] || memcmp(got, got + 1, T_PG - 1) ? "garbage" : "zeros");
		exit(T_EXIT_FAIL);
	}
	return 1;
}

#endif
