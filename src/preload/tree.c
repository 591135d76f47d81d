/*
 * tree.c - one memory budget for a whole `uswap run` process tree, as a
 * memory cgroup would give.
 *
 * uswap run makes a small file in its private directory (0700) and names
 * it in USWAP_RUN_BUDGET; every process of the tree maps it shared and
 * takes a slot. The file holds, in pages, the sum of what the processes
 * use, each process's part of it (its slot), and the highest sum seen.
 * Each process publishes its usage as it moves, a few pages behind at
 * most (vm/vm.c, VM_SHARE_STEP), and keeps its own usage under the limit
 * minus the others' part, so the tree as a whole stays near the limit
 * and whoever needs memory evicts its own coldest pages. (The sum was
 * once gathered every 50 ms: four processes starting at once could each
 * take the whole limit before they saw each other.)
 *
 * A slot belongs to a pid; a process killed before it could give its slot
 * back is found dead (kill(pid, 0)) and its part taken out of the sum.
 * After exec the process keeps its pid and finds its own slot again: its
 * first publication replaces the old image's part.
 *
 * Lock order: none; slots are claimed with a compare-and-swap of the pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/base.h"
#include "preload/sys.h"
#include "preload/tree.h"
#include "uswap_internal.h"

static struct tree *tree;
static int mine = -1;

static bool dead(int pid) { return pid > 0 && kill(pid, 0) && errno == ESRCH; }

static void claim(void)
{
	int me = getpid();

	mine = -1;
	for (int i = 0; i < TREE_SLOTS && mine < 0; i++) /* after exec: our own slot */
		if (atomic_load(&tree->slot[i].pid) == me)
			mine = i;
	for (int i = 0; i < TREE_SLOTS && mine < 0; i++) {
		int pid = atomic_load(&tree->slot[i].pid);
		if ((pid == 0 || dead(pid)) && atomic_compare_exchange_strong(&tree->slot[i].pid, &pid, me))
			mine = i;
	}
}

bool tree_join(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return false;
	void *p = sys_mmap(NULL, sizeof(struct tree), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return false;
	tree = p;
	claim();
	return mine >= 0;
}

void tree_rejoin(void)
{
	if (tree)
		claim();
}

bool tree_share(uswap_t *u)
{
	if (!tree || mine < 0)
		return false;
	uswap_share_budget(u, &tree->total, &tree->slot[mine].pages, &tree->peak);
	return true;
}

/* Slot i's part leaves the sum. */
static void drop_part(int i)
{
	atomic_fetch_sub(&tree->total, atomic_exchange(&tree->slot[i].pages, 0));
}

void tree_leave(void)
{
	if (!tree || mine < 0)
		return;
	drop_part(mine);
	atomic_store(&tree->slot[mine].pid, 0);
	mine = -1;
}

void tree_reap(void)
{
	for (int i = 0; tree && i < TREE_SLOTS; i++) {
		int pid = atomic_load_explicit(&tree->slot[i].pid, memory_order_relaxed);
		if (pid && i != mine && dead(pid)) {
			drop_part(i); /* first: a slot freed with a part in the sum would be taken with it */
			atomic_compare_exchange_strong(&tree->slot[i].pid, &pid, 0);
		}
	}
}

uint64_t tree_peak_bytes(void) { return tree ? (uint64_t)atomic_load(&tree->peak) * PAGE_SIZE : 0; }
