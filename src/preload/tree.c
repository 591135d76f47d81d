/*
 * tree.c - one memory budget for a whole `uswap run` process tree, as a
 * memory cgroup would give.
 *
 * uswap run makes a small file in its private directory (0700) and names
 * it in USWAP_RUN_BUDGET; every process of the tree maps it shared and
 * takes a slot, where it publishes what it uses (resident pages and, when
 * it counts, its pool) every TREE_PERIOD_MS (preload.c). Each process
 * keeps its own usage under the limit minus what the others published, so
 * the tree as a whole stays near the limit, and whoever needs memory
 * evicts its own coldest pages. The others' figures are at most one
 * period old: the budget can be overrun by what the tree allocates in
 * that time.
 *
 * A slot belongs to a pid; a process killed before it could give its slot
 * back is found dead (kill(pid, 0)) and its slot reused. After exec the
 * process keeps its pid and finds its own slot again.
 *
 * Lock order: none; slots are claimed with a compare-and-swap of the pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "preload/sys.h"
#include "preload/tree.h"

#define TREE_SLOTS 4096

struct tree_slot {
	_Atomic int pid;          /* 0: free */
	_Atomic uint64_t bytes;   /* what the process uses, as it last said */
};

struct tree {
	struct tree_slot slot[TREE_SLOTS];
};

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
	if (mine >= 0)
		atomic_store(&tree->slot[mine].bytes, 0);
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

void tree_leave(void)
{
	if (!tree || mine < 0)
		return;
	atomic_store(&tree->slot[mine].bytes, 0);
	atomic_store(&tree->slot[mine].pid, 0);
	mine = -1;
}

uint64_t tree_others(void)
{
	static unsigned tick;
	uint64_t sum = 0;

	if (!tree)
		return 0;
	bool check = ++tick % 20 == 0; /* a dead process's slot: about once a second */
	for (int i = 0; i < TREE_SLOTS; i++) {
		int pid = atomic_load_explicit(&tree->slot[i].pid, memory_order_relaxed);
		if (!pid || i == mine)
			continue;
		if (check && dead(pid) && atomic_compare_exchange_strong(&tree->slot[i].pid, &pid, 0))
			continue;
		sum += atomic_load_explicit(&tree->slot[i].bytes, memory_order_relaxed);
	}
	return sum;
}

void tree_publish(uint64_t bytes)
{
	if (tree && mine >= 0)
		atomic_store_explicit(&tree->slot[mine].bytes, bytes, memory_order_relaxed);
}
