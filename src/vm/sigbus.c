/*
 * sigbus.c - in-thread fault mode (UFFD_FEATURE_SIGBUS): a fault on a
 * region page raises SIGBUS in the faulting thread instead of queueing a
 * message, and this handler resolves it right there, with no wake-up of
 * another thread. See fault.c for why vm_resolve() is safe to call here.
 *
 * The handler is process-wide; the vms using it are kept in a small array
 * of atomic pointers (no lock in the handler). An address no vm owns, and
 * a page whose data is lost (poisoned), goes to the program's own SIGBUS
 * handler, as it was before the first vm installed this one, or to the
 * default action (the process dies of SIGBUS, as it would without uswap).
 *
 * Lock order: sig_lock (install/remove only) is a leaf.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "vm/vm.h"

#define SIG_VMS 16

static struct vm *_Atomic sig_vms[SIG_VMS]; /* atomic; changed under sig_lock */
static struct sigaction sig_old;              /* sig_lock: the program's handler */
static unsigned sig_users;                    /* sig_lock */
static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;

static void chain(int sig, siginfo_t *si, void *uc)
{
	if (sig_old.sa_flags & SA_SIGINFO) {
		if (sig_old.sa_sigaction)
			sig_old.sa_sigaction(sig, si, uc);
		return;
	}
	if (sig_old.sa_handler != SIG_DFL && sig_old.sa_handler != SIG_IGN) {
		sig_old.sa_handler(sig);
		return;
	}
	/* Default action: the access is retried on return and the fault
	 * kills the process with SIGBUS, as it would have without us. */
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigaction(SIGBUS, &dfl, NULL);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	for (unsigned i = 0; i < SIG_VMS; i++) {
		struct vm *vm = atomic_load_acq(&sig_vms[i]);
		if (!vm)
			continue;
		enum resolve_result res = vm_resolve(vm, (uintptr_t)si->si_addr, false);
		if (res == RESOLVED) {
			errno = saved;
			return;
		}
		if (res == POISONED)
			break;
	}
	errno = saved;
	chain(sig, si, uc);
}

/* Serve vm's faults from the SIGBUS handler. 0, or -errno with err. */
int vm_sigbus_install(struct vm *vm, char *err, size_t errlen)
{
	int ret = 0;

	pthread_mutex_lock(&sig_lock);
	unsigned i = 0;
	while (i < SIG_VMS && atomic_load_relaxed(&sig_vms[i]))
		i++;
	if (i == SIG_VMS) {
		snprintf(err, errlen, "at most %d uswap instances can use fault_mode=sigbus at once", SIG_VMS);
		ret = -EBUSY;
	} else if (!sig_users) {
		struct sigaction sa = {.sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_NODEFER};
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGBUS, &sa, &sig_old)) {
			ret = -errno;
			snprintf(err, errlen, "cannot install the SIGBUS handler: %s", strerror(errno));
		}
	}
	if (!ret) {
		atomic_store_rel(&sig_vms[i], vm);
		sig_users++;
	}
	pthread_mutex_unlock(&sig_lock);
	return ret;
}

/* Stop serving vm; the last one out puts the program's handler back. */
void vm_sigbus_remove(struct vm *vm)
{
	pthread_mutex_lock(&sig_lock);
	for (unsigned i = 0; i < SIG_VMS; i++) {
		if (atomic_load_relaxed(&sig_vms[i]) != vm)
			continue;
		atomic_store_rel(&sig_vms[i], NULL);
		if (!--sig_users)
			sigaction(SIGBUS, &sig_old, NULL);
	}
	pthread_mutex_unlock(&sig_lock);
}

/* In a forked child, its only thread: the parent's vm no longer serves
 * faults here (its copy of the tables would answer for the child's own
 * instance, through a userfaultfd that is closed, and the fault would
 * come back forever). sig_lock is made anew first: a parent thread may
 * have held it at the fork. */
void vm_sigbus_forget(struct vm *vm)
{
	pthread_mutex_init(&sig_lock, NULL);
	vm_sigbus_remove(vm);
}
