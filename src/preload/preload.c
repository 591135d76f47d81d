/*
 * preload.c - libuswap-preload.so: uswap inside an unmodified program
 * (`uswap run`, LD_PRELOAD).
 *
 * What it covers. The program's private anonymous read-write mappings of
 * PRELOAD_MIN_MAP bytes and more are served from the heap (heap.c): uswap
 * regions. `uswap run` also preloads jemalloc, whose memory comes from mmap
 * and so from the heap: the memory behind malloc is covered too. (glibc's
 * malloc cannot be: its main arena grows with brk, and it calls mmap
 * inside libc, where nothing can be interposed.) Smaller mappings, shared
 * or file mappings, stacks and mappings of other protections go to the
 * kernel as they are.
 *
 * madvise on heap memory: MADV_FREE becomes MADV_DONTNEED (a lazily freed
 * page stays present and would escape the budget; zeros are one of the two
 * contents MADV_FREE allows), MADV_PAGEOUT and MADV_COLD evict through
 * uswap, MADV_HUGEPAGE is ignored (uswap moves single pages). mlock,
 * mlock2 and munlock pin and unpin heap pages (brought in, never evicted).
 * mlockall asks for all of the program's memory to stay resident: every
 * swapped page comes back and nothing leaves until munlockall (the
 * instance is frozen, as for a fork), and the kernel locks pages as they
 * are touched (MCL_ONFAULT: the heap's reserved address space is not to
 * be filled). The limit is not kept meanwhile; that is said once.
 *
 * uswap's own memory is never the heap's: its allocations go to glibc's
 * malloc (base_set_allocator), its mappings are raw system calls, and its
 * threads block every signal.
 *
 * fork: the instance is frozen before (every swapped page comes back, none
 * leaves: fork.c), the parent thaws after, and the child, which has a copy
 * of every page but neither the registrations nor the threads, starts an
 * instance of its own that adopts its copy of the heap.
 *
 * Starting: in a constructor, before main; mappings made before it (the
 * loader's, jemalloc's first) are the kernel's. When uswap cannot start
 * (no userfaultfd that serves system calls, a bad option), the program
 * runs without it, and says so once on stderr.
 *
 * Lock order: jemalloc's locks -> heap_mutex (heap.c) -> the instance's locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "base/worker.h"
#include "preload/heap.h"
#include "preload/statfile.h"
#include "preload/sys.h"
#include "preload/tree.h"
#include "swap/swap.h"
#include "uswap.h"
#include "uswap_internal.h"

#define EXPORT __attribute__((visibility("default")))
#define PRELOAD_MIN_MAP (64u << 10)
#define TICK_MS         50 /* the tree budget's period (tree.c) */
#define STATS_TICKS     20 /* the live statistics: every second */
/* ... from the second tick on: a process that ends sooner (a shell's
 * $(...) subshell, say) writes only its final statistics, at exit. */
#define LIVE_FIRST_TICK 2

enum { OFF, STARTING, READY, DISABLED };

static _Atomic int state = OFF;
static uswap_t *inst;          /* READY: this process's instance */
static struct worker stats_worker;
static uint64_t t_start;       /* os_now_ns() at start */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static const struct base_allocator libc_alloc = {__libc_malloc, __libc_calloc, __libc_realloc, __libc_memalign,
						 __libc_free};

static bool ready(void) { return atomic_load_acq(&state) == READY; }

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(2, buf, MIN((size_t)n, sizeof(buf) - 1)) < 0)
		return;
}

/* ---------------------------------------------------------------- the interposed calls */

static bool plain_anon(int prot, int flags)
{
	return (flags & MAP_ANONYMOUS) && (flags & MAP_TYPE) == MAP_PRIVATE && prot == (PROT_READ | PROT_WRITE);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (ready()) {
		if (flags & MAP_FIXED) {
			if (heap_map_fixed((uintptr_t)addr, len, plain_anon(prot, flags)))
				return addr;
		} else if (plain_anon(prot, flags) && len >= PRELOAD_MIN_MAP &&
			   !(flags & (MAP_GROWSDOWN | MAP_STACK | MAP_HUGETLB | MAP_FIXED_NOREPLACE))) {
			void *p = heap_map(len);
			if (p)
				return p;
		}
	}
	return sys_mmap(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

EXPORT int munmap(void *addr, size_t len)
{
	return ready() ? heap_unmap((uintptr_t)addr, len) : sys_munmap(addr, len);
}

/*
 * MREMAP_FIXED of heap memory: the heap has no page tables to move, so a
 * fresh mapping at to (mmap with MAP_FIXED: the heap serves it when to
 * lies in a chunk, else the kernel), the old pages copied over (swapped
 * ones fault in on the way), the old range unmapped.
 */
static void *remap_fixed(void *old, size_t old_len, size_t new_len, int flags, void *to)
{
	uintptr_t a = (uintptr_t)old, t = (uintptr_t)to;
	size_t ol = PAGE_ALIGN(old_len), nl = PAGE_ALIGN(new_len);

	if (!(flags & MREMAP_MAYMOVE) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) || (a | t) % PAGE_SIZE || !nl ||
	    (t < a + ol && a < t + nl)) {
		errno = EINVAL; /* as the kernel says for these; MREMAP_DONTUNMAP is not supported here */
		return MAP_FAILED;
	}
	void *p = mmap(to, nl, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		return MAP_FAILED;
	memcpy(p, old, ol < nl ? ol : nl);
	munmap(old, ol);
	return p;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;

	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	if (ready() && heap_owns((uintptr_t)old))
		return flags & MREMAP_FIXED ? remap_fixed(old, old_len, new_len, flags, new_addr)
					    : heap_remap((uintptr_t)old, old_len, new_len, flags);
	return sys_mremap(old, old_len, new_len, flags, new_addr);
}

EXPORT int madvise(void *addr, size_t len, int advice)
{
	if (ready() && heap_owns((uintptr_t)addr)) {
		switch (advice) {
		case MADV_FREE:
			advice = MADV_DONTNEED;
			break;
		case MADV_PAGEOUT:
		case MADV_COLD:
			uswap_pageout(inst, addr, len);
			return 0;
		case MADV_HUGEPAGE:
			return 0;
		default:
			break;
		}
	}
	return sys_madvise(addr, len, advice);
}

/* mlock: the kernel's own accounting and limits first (RLIMIT_MEMLOCK),
 * then uswap's pin, which brings the pages in and keeps them. */
static int lock_range(void *addr, size_t len, long nr, unsigned flags, bool pin)
{
	int ret = (int)syscall(nr, addr, len, flags);

	if (!ret && ready() && heap_owns((uintptr_t)addr))
		uswap_pin(inst, addr, len, pin);
	return ret;
}

EXPORT int mlock(const void *addr, size_t len) { return lock_range((void *)addr, len, SYS_mlock, 0, true); }

EXPORT int mlock2(const void *addr, size_t len, unsigned flags)
{
	return lock_range((void *)addr, len, SYS_mlock2, flags, !(flags & MLOCK_ONFAULT));
}

EXPORT int munlock(const void *addr, size_t len) { return lock_range((void *)addr, len, SYS_munlock, 0, false); }

static _Atomic bool locked_all; /* mlockall froze the instance; munlockall thaws it */

EXPORT int mlockall(int flags)
{
	if (!ready())
		return (int)syscall(SYS_mlockall, flags);
	int ret = (int)syscall(SYS_mlockall, flags | MCL_ONFAULT);
	if (ret || atomic_xchg_acq_rel(&locked_all, true))
		return ret;
	uswap_freeze(inst);
	say("uswap: the program locked its memory (mlockall): every page stays resident until munlockall, "
	    "over the limit if need be\n");
	return 0;
}

EXPORT int munlockall(void)
{
	int ret = (int)syscall(SYS_munlockall);

	if (!ret && ready() && atomic_xchg_acq_rel(&locked_all, false))
		uswap_thaw(inst);
	return ret;
}

/* ---------------------------------------------------------------- statistics */

/* A "Key:   N kB" line of /proc/self/status, in bytes (0 if absent). */
static uint64_t status_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoull(p + strlen(key), NULL, 10) * 1024 : 0;
}

static void read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = 0;
	if (f)
		fclose(f);
}

static uint64_t stat_of(const char *name)
{
	uint64_t v = 0;

	uswap_stat(inst, name, &v);
	return v;
}

/* The program's anonymous memory (managed: resident or evicted; and not)
 * at its largest sample, and the managed share then. Stats thread, or
 * the exiting thread after it stopped. */
static uint64_t peak_anon;
static double peak_share, peak_saving;

/* This process's statistics as one JSON object. */
static void stats_json(FILE *f)
{
	char status[4096], comm[64];
	struct heap_stats h;

	read_file("/proc/self/status", status, sizeof(status));
	read_file("/proc/self/comm", comm, sizeof(comm));
	for (char *c = comm; *c; c++)
		if (*c == '\n' || *c == '"' || *c == '\\' || (unsigned char)*c < 32)
			*c = *c == '\n' ? 0 : '_';
	heap_stats(&h);
	/* The pool's pages are uswap's, not the program's: not "unmanaged". */
	uint64_t anon = status_kb(status, "RssAnon:"), resident = stat_of("resident_bytes"),
		 pool = stat_of("pool_total_size"), out = stat_of("inuse") * PAGE_SIZE,
		 unmanaged = anon > resident + pool ? anon - resident - pool : 0;
	double share = resident + out + unmanaged ? (double)(resident + out) / (double)(resident + out + unmanaged) : 0;
	if (resident + out + unmanaged >= peak_anon) { /* when the program used the most */
		peak_anon = resident + out + unmanaged;
		peak_share = share;
		peak_saving = resident + pool ? (double)(resident + out) / (double)(resident + pool) : 1;
	}
	fprintf(f, "{\"pid\": %d, \"ppid\": %d, \"comm\": \"%s\", \"seconds\": %.3f, ", (int)getpid(), (int)getppid(),
		comm, (double)(os_now_ns() - t_start) / 1e9);
	fprintf(f, "\"rss_hwm\": %llu, \"rss_anon\": %llu, \"managed_share\": %.4f, \"managed_share_now\": %.4f, "
		"\"saving_at_peak\": %.3f, \"managed_peak\": %llu, ",
		(unsigned long long)status_kb(status, "VmHWM:"), (unsigned long long)anon, peak_share, share, peak_saving,
		(unsigned long long)peak_anon);
	fprintf(f, "\"heap_mapped\": %llu, \"heap_chunks\": %u, \"heap_chunk_bytes\": %llu, \"heap_maps\": %llu, "
		"\"heap_unmaps\": %llu, \"heap_remaps\": %llu, \"heap_fixed_maps\": %llu, \"heap_lost\": %llu, ",
		(unsigned long long)h.mapped_bytes, h.chunks, (unsigned long long)h.chunk_bytes,
		(unsigned long long)h.maps, (unsigned long long)h.unmaps, (unsigned long long)h.remaps,
		(unsigned long long)h.fixed_maps, (unsigned long long)h.lost_bytes);
	uint64_t tree_peak = tree_peak_bytes();
	if (tree_peak)
		fprintf(f, "\"tree_peak\": %llu, ", (unsigned long long)tree_peak);
	fprintf(f, "\"uswap\": ");
	uswap_stats_print(inst, f, 1);
	fprintf(f, "}\n");
}

static void stats_write(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	stats_json(f);
	if (!fclose(f))
		statfile_write(path, buf, len);
	free(buf);
}

/* `uswap run`'s statistics file for this process ("" when not under it). */
static void run_stats_path(char *path, size_t len)
{
	const char *dir = getenv("USWAP_RUN_STATS_DIR");

	if (!dir || snprintf(path, len, "%s/%d.json", dir, (int)getpid()) >= (int)len)
		*path = 0;
}

/* Every tick: publish our usage to the tree exactly (faults publish it in
 * steps: tree.c), and reclaim if the others' growth took us over; every
 * STATS_TICKS ticks: dead processes' parts out of the tree's sum, the
 * live statistics file, and the same into
 * `uswap run`'s folder, so that a process killed before its exit (SIGKILL:
 * stress-ng's workers end so under load) leaves its last second there. */
static void *stats_main(void *arg)
{
	char path[600], run_path[600];
	bool live = !statfile_path(path, sizeof(path), getpid(), true); /* else no private directory */

	run_stats_path(run_path, sizeof(run_path));

	mutex_lock(&stats_worker.lock);
	for (unsigned tick = 0; !stats_worker.stop; tick++) {
		mutex_unlock(&stats_worker.lock);
		uswap_share_sync(inst);
		if (tick % STATS_TICKS == 0)
			tree_reap();
		if (live && tick % STATS_TICKS == LIVE_FIRST_TICK)
			stats_write(path);
		if (*run_path && tick % STATS_TICKS == STATS_TICKS - 1)
			stats_write(run_path);
		mutex_lock(&stats_worker.lock);
		if (stats_worker.stop)
			break; /* asked while we worked: the broadcast is not coming again */
		struct timespec ts;
		os_deadline(&ts, TICK_MS * 1000000ull);
		pthread_cond_timedwait(&stats_worker.cond, &stats_worker.lock.m, &ts);
	}
	mutex_unlock(&stats_worker.lock);
	return arg;
}

/* The last word at exit: the final statistics for `uswap run`, and the
 * live file removed. The instance stays: other threads may still run.
 * Also from _exit(), which many forked workers end with. */
__attribute__((destructor)) static void preload_exit(void)
{
	char path[600];

	static _Atomic bool done;
	if (!ready() || atomic_exchange(&done, true))
		return;
	worker_stop(&stats_worker); /* it must not write the live file again */
	tree_leave();
	run_stats_path(path, sizeof(path));
	if (*path)
		stats_write(path);
	if (!statfile_path(path, sizeof(path), getpid(), false))
		unlink(path);
}

EXPORT void _exit(int status)
{
	preload_exit();
	for (;;)
		syscall(SYS_exit_group, status);
}

EXPORT void _Exit(int status) { _exit(status); }

/* ---------------------------------------------------------------- start, fork */

/*
 * fork. The handlers are registered after jemalloc's (preload_init starts
 * it first), so ours run before its prepare handler and after its child
 * handler: the child may allocate. The heap lock is not held across the
 * fork: a thread inside jemalloc holds a jemalloc lock while it maps
 * memory from the heap, and jemalloc's prepare handler waits for it.
 * Instead the child checks that no thread had the heap locked at the
 * fork (the heap could be half-updated): if one had, the child runs
 * without uswap; its memory is all in place either way.
 */
static void before_fork(void)
{
	if (ready())
		uswap_freeze(inst);
}

static void after_fork_parent(void)
{
	if (ready())
		uswap_thaw(inst);
}

/* Under uswap run with a Redis Cluster device: "pid instance" into the
 * run's folder, so that uswap run removes this process's keys from the
 * cluster once it has ended (a process under it never calls uswap_close).
 * One short O_APPEND write: the tree's processes do not mix lines. */
static void note_remote_instance(uswap_t *u)
{
	const char *dir = getenv("USWAP_RUN_STATS_DIR");
	uint64_t id = uswap_remote_instance(u);
	char path[600], line[64];

	if (!id || !dir || snprintf(path, sizeof(path), "%s/redis-instances", dir) >= (int)sizeof(path))
		return;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	int n = snprintf(line, sizeof(line), "%d %016llx\n", (int)getpid(), (unsigned long long)id);
	if (write(fd, line, (size_t)n) != n)
		say("uswap: cannot note the cluster instance for uswap run: its keys stay until `uswap remote-gc`\n");
	close(fd);
}

/* Adopt the child's copy of the heap in an instance of its own; false if
 * that failed (the message is in uswap_strerror()). */
static bool child_adopt(void)
{
	static uintptr_t start[HEAP_MAX_CHUNKS]; /* the child's only thread is here */
	static size_t len[HEAP_MAX_CHUNKS], used[HEAP_MAX_CHUNKS];
	const char *sf = getenv("USWAP_SWAPFILE");
	/* A named swap file is the parent's: the child must not write its
	 * slots. A cluster is everyone's: the child has keys of its own there. */
	bool named = sf && *sf && strcmp(sf, "none") && !swap_backing_is_remote_path(sf);
	uswap_t *u = uswap_open(named ? "swapfile=" : NULL);
	unsigned n = heap_chunks(start, len, used, HEAP_MAX_CHUNKS);

	for (unsigned k = 0; u && k < n; k++)
		if (uswap_adopt(u, (void *)start[k], len[k], used[k])) {
			uswap_close(u);
			u = NULL;
		}
	if (!u)
		return false;
	inst = u;
	heap_set_instance(u);
	note_remote_instance(u);
	return true;
}

static void after_fork_child(void)
{
	if (!ready())
		return;
	uswap_forget(inst);
	atomic_store_rel(&state, DISABLED); /* until the child has its own */
	atomic_store_relaxed(&locked_all, false); /* memory locks are not inherited */
	if (!heap_trylock()) {
		say("uswap: the forked child %d runs without uswap: it forked while another thread was changing "
		    "its mappings\n", (int)getpid());
		return;
	}
	bool ok = child_adopt();
	heap_unlock();
	if (!ok) {
		say("uswap: the forked child %d runs without uswap: %s\n", (int)getpid(), uswap_strerror());
		return;
	}
	tree_rejoin();
	tree_share(inst);
	atomic_store_rel(&state, READY);
	worker_init(&stats_worker);
	worker_start(&stats_worker, "stats", stats_main, NULL);
}

__attribute__((constructor)) static void preload_init(void)
{
	int expect = OFF;

	if (!atomic_compare_exchange_strong(&state, &expect, STARTING))
		return;
	t_start = os_now_ns();
	base_set_allocator(&libc_alloc);
	/* Start the program's malloc now: jemalloc registers its fork handlers
	 * when it starts, and they must come before ours, so that its locks
	 * are free while ours run (prepare handlers run last-registered
	 * first, the others first-registered first). */
	free(malloc(1));
	if (!(inst = uswap_open(NULL))) {
		say("uswap: running without uswap (nothing is swapped): %s\n", uswap_strerror());
		atomic_store_rel(&state, DISABLED);
		return;
	}
	heap_init(inst);
	note_remote_instance(inst);
	const char *budget = getenv("USWAP_RUN_BUDGET");
	if (budget && *budget && !(tree_join(budget) && tree_share(inst)))
		say("uswap: cannot join the process tree's budget (%s): this process has a budget of its own\n", budget);
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	worker_init(&stats_worker);
	worker_start(&stats_worker, "stats", stats_main, NULL);
	atomic_store_rel(&state, READY);
}
