/*
 * run.c - `uswap run`: an unmodified program under a memory budget, with
 * libuswap-preload.so (src/preload/) in its LD_PRELOAD and jemalloc as
 * its malloc. The options are checked here, before anything runs, and
 * reach the program's processes as USWAP_<KEY> variables; each process
 * writes its final statistics into a private directory, shown with
 * --stats or saved with --stats-file. uswap run exits with the program's
 * status (128 + N when it died of signal N).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "cli/cli.h"
#include "options.h"
#include "preload/tree.h"
#include "uswap.h"
#include "vm/uffd.h"

#define JEMALLOC "libjemalloc.so.2"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: uswap run [options] -- program [args...]\n\n"
		"Runs an unmodified, dynamically linked program with uswap managing its memory:\n"
		"its anonymous mappings and its malloc heap (jemalloc, preloaded) live in uswap\n"
		"regions, kept under --limit by compressing cold pages into a pool and writing\n"
		"them to a swap file when the pool is full. No root, swapon or cgroup needed;\n"
		"userfaultfd must serve system calls here (root, CAP_SYS_PTRACE,\n"
		"vm.unprivileged_userfaultfd=1 or /dev/userfaultfd).\n\n"
		"  -l, --limit SIZE        memory budget of the program and all its descendants\n"
		"                          together (K/M/G; default: none)\n"
		"      --limit-per-process SIZE  a budget of its own for each process instead\n"
		"  -c, --compressor NAME   lz4 (default), zstd, lz4hc, deflate, lzo; NAME:LEVEL\n"
		"  -s, --swapfile DIR      where evicted pages spill: each process makes an unlinked\n"
		"                          swap file in DIR (default $TMPDIR or /var/tmp); 'none':\n"
		"                          the compressed pool only; redis://host:port,host:port:\n"
		"                          a Redis Cluster (with -o swapfile_size=SIZE; each process\n"
		"                          keeps its own keys there, removed when it has ended)\n"
		"  -o, --option LIST       more tunables, key=value,... (uswap --help-options)\n"
		"      --malloc NAME       jemalloc (default: the heap is managed) or libc (only\n"
		"                          the program's own large mappings are)\n"
		"      --stats             the statistics of each process on stderr at the end\n"
		"      --stats-file PATH   the same as JSON (an array, one object per process)\n"
		"  -h, --help              this text\n\n"
		"Each process of the tree has an instance of its own; with --limit they share\n"
		"one budget (each evicts its own coldest pages). A forked child keeps every\n"
		"page (swapped pages are brought back before the fork).\n"
		"Live statistics of a running program: uswap stat [PID].\n");
}

struct run_opts {
	struct options opt;
	const char *stats_file;
	bool stats, libc_malloc, per_process;
	char **argv;
};

/* Export one tunable to the program's processes. A swap file is per
 * process (a tree's processes, or a parent and its forked child, must not
 * write each other's slots): swapfile= takes "none" or a directory, where
 * each process makes an unlinked file of its own (swap_dir). */
static int export_option(struct run_opts *r, const char *key, const char *val)
{
	char err[256], var[96];
	struct stat st;

	if (!strcmp(key, "swapfile2") && *val && !swap_backing_is_remote_path(val)) {
		fprintf(stderr, "uswap run: swapfile2 '%s': under uswap run a second device is a Redis Cluster "
				"(redis://host:port;host:port): a named file would be every process's\n", val);
		return -1;
	}
	if (!strcmp(key, "swapfile") && *val && strcmp(val, "none") && !swap_backing_is_remote_path(val)) {
		if (stat(val, &st) || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "uswap run: --swapfile '%s': give a directory (each process of the program's tree "
					"makes a swap file of its own in it, unlinked) or 'none'\n", val);
			return -1;
		}
		key = "swap_dir";
	}

	if (options_set(&r->opt, key, val, err, sizeof(err))) {
		fprintf(stderr, "uswap run: %s\n", err);
		return -1;
	}
	int n = snprintf(var, sizeof(var), "USWAP_%s", key);
	for (int i = 6; i < n; i++)
		var[i] = (char)(var[i] >= 'a' && var[i] <= 'z' ? var[i] - 32 : var[i]);
	setenv(var, val, 1);
	return 0;
}

/* -o key=value,key=value */
static int export_list(struct run_opts *r, const char *list)
{
	char *copy = strdup(list), *save = NULL;
	int ret = copy ? 0 : -1;

	for (char *kv = copy ? strtok_r(copy, ",", &save) : NULL; kv && !ret; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq) {
			fprintf(stderr, "uswap run: -o '%s': expected key=value\n", kv);
			ret = -1;
			break;
		}
		*eq = 0;
		ret = export_option(r, kv, eq + 1);
	}
	free(copy);
	return ret;
}

static int parse(int argc, char **argv, struct run_opts *r)
{
	static const struct option longopts[] = {
		{"limit", 1, 0, 'l'}, {"compressor", 1, 0, 'c'}, {"swapfile", 1, 0, 's'}, {"option", 1, 0, 'o'},
		{"malloc", 1, 0, 'm'}, {"stats", 0, 0, 'S'}, {"stats-file", 1, 0, 'F'}, {"help", 0, 0, 'h'},
		{"limit-per-process", 1, 0, 'P'},
		{0, 0, 0, 0}};
	char err[256];
	int c;

	options_init(&r->opt);
	if (options_from_env(&r->opt, err, sizeof(err))) {
		fprintf(stderr, "uswap run: %s\n", err);
		return 2;
	}
	while ((c = getopt_long(argc, argv, "+l:c:s:o:h", longopts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case 'l': bad = export_option(r, "limit", optarg); break;
		case 'P':
			bad = export_option(r, "limit", optarg);
			r->per_process = true;
			break;
		case 'c': bad = export_option(r, "compressor", optarg); break;
		case 's': bad = export_option(r, "swapfile", optarg); break;
		case 'o': bad = export_list(r, optarg); break;
		case 'S': r->stats = true; break;
		case 'F': r->stats_file = optarg; break;
		case 'm':
			if (strcmp(optarg, "jemalloc") && strcmp(optarg, "libc")) {
				fprintf(stderr, "uswap run: --malloc '%s': jemalloc or libc\n", optarg);
				return 2;
			}
			r->libc_malloc = !strcmp(optarg, "libc");
			break;
		case 'h': run_usage(stdout); return -1;
		default: run_usage(stderr); return 2;
		}
		if (bad)
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "uswap run: no program given (uswap run [options] -- program [args])\n");
		return 2;
	}
	r->argv = argv + optind;
	return 0;
}

/* The program's path as execvp would find it; 0 or -errno. */
static int find_program(const char *name, char *out, size_t len)
{
	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, X_OK) ? -errno : 0;
	}
	const char *path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", name);
		if (!access(out, X_OK))
			return 0;
		p += n + (colon ? 1 : 0);
	}
	return -ENOENT;
}

/* Does the ELF file have an interpreter (is it dynamically linked)? 1,
 * 0 (static), or -1 (not ELF: a script, whose interpreter is checked by
 * the loader as usual). */
static int is_dynamic(const char *path)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC), dyn = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64) {
		dyn = 0;
		for (unsigned i = 0; i < eh.e_phnum && !dyn; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * eh.e_phentsize)) != sizeof(ph))
				break;
			dyn = ph.p_type == PT_INTERP;
		}
	}
	close(fd);
	return dyn;
}

/* Refuse what LD_PRELOAD cannot reach, before running anything. */
static int check_program(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (find_program(name, path, sizeof(path)) || stat(path, &st)) {
		fprintf(stderr, "uswap run: %s: no such program (or not executable)\n", name);
		return 127;
	}
	if (!is_dynamic(path)) {
		fprintf(stderr, "uswap run: %s is statically linked: LD_PRELOAD does not reach it, so uswap cannot "
				"manage its memory\n", path);
		return 2;
	}
	if ((st.st_mode & (S_ISUID | S_ISGID)) && getuid() != 0) {
		fprintf(stderr, "uswap run: %s is set-user-ID or set-group-ID: the loader ignores LD_PRELOAD for it, "
				"so uswap cannot manage its memory\n", path);
		return 2;
	}
	return 0;
}

/* Where the swap file goes must take one (an unlinked file). */
/* The swap devices that are clusters: their configurations into bc[2];
 * returns how many. */
static int remote_devices(const struct options *o, struct swap_backing_config bc[2])
{
	int n = 0;

	options_backing_config(o, &bc[n]);
	n += swap_backing_is_remote_path(bc[n].path);
	if (options_backing2_config(o, &bc[n]))
		n += swap_backing_is_remote_path(bc[n].path);
	return n;
}

/* A Redis Cluster device: a size, and a cluster that answers, before the
 * program runs (each process opens an instance of its own on it). */
static int check_remote(const struct options *o, const struct swap_backing_config *bc)
{
	const char *size_key = strcmp(bc->path, opt_str(o, OPT_SWAPFILE)) ? "swapfile2_size" : "swapfile_size";
	char err[512];

	if (bc->size < 4096) {
		fprintf(stderr, "uswap run: %s: say how much the program may keep on the cluster with "
				"-o %s=SIZE (each process gets that much)\n", bc->path, size_key);
		return 2;
	}
	if (redis_remote_drop(bc->path, &bc->remote, NULL, 0, err, sizeof(err))) { /* no ids: a probe */
		fprintf(stderr, "uswap run: %s: %s\n", bc->path, err);
		return 2;
	}
	return 0;
}

/* The keys of the program's processes that have ended (each noted its
 * instance in dir/redis-instances): off the cluster, as uswap_close would
 * have done. A process still alive (a daemon that outlived the program)
 * keeps its keys; its lease and `uswap remote-gc` take care of them. */
static void drop_remote(const struct run_opts *r, const char *dir)
{
	struct swap_backing_config bc[2];
	char path[PATH_MAX], err[512];
	uint64_t ids[4096];
	size_t n = 0, alive = 0;
	unsigned long long id;
	int pid, nr = remote_devices(&r->opt, bc);

	snprintf(path, sizeof(path), "%s/redis-instances", dir);
	FILE *f = nr ? fopen(path, "re") : NULL;
	if (!f)
		return;
	while (n < ARRAY_SIZE(ids) && fscanf(f, "%d %llx", &pid, &id) == 2) {
		if (kill(pid, 0) && errno == ESRCH)
			ids[n++] = id;
		else
			alive++;
	}
	fclose(f);
	for (int k = 0; k < nr; k++)
		if (redis_remote_drop(bc[k].path, &bc[k].remote, ids, n, err, sizeof(err))) {
			fprintf(stderr, "uswap run: the program's keys stay on the cluster (`uswap remote-gc %s` "
					"removes them a minute from now): %s\n", bc[k].path, err);
			return;
		}
	if (r->stats)
		fprintf(stderr, "uswap run: removed the keys of %zu ended processes from the cluster%s\n", n,
			alive ? " (some still run: theirs stay)" : "");
}

static int check_swap_dir(const struct options *o)
{
	const char *sf = opt_str(o, OPT_SWAPFILE), *dir = opt_str(o, OPT_SWAP_DIR);
	char tmpl[PATH_MAX];

	if (*sf)
		return 0; /* a path, a cluster or none: uswap_open says what is wrong with it */
	if (!*dir)
		dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	snprintf(tmpl, sizeof(tmpl), "%s/uswap-run-XXXXXX", dir);
	int fd = mkstemp(tmpl);
	if (fd < 0) {
		fprintf(stderr, "uswap run: cannot make the swap file in %s: %s (set TMPDIR or -o swap_dir=DIR, or "
				"--swapfile PATH, or --swapfile none)\n", dir, strerror(errno));
		return 2;
	}
	close(fd);
	unlink(tmpl);
	return 0;
}

/* The swap devices, before the program runs: each cluster answers and
 * has a size; the unlinked swap file's folder is writable. */
static int check_devices(const struct options *o)
{
	struct swap_backing_config bc[2];
	int ret, nr = remote_devices(o, bc);

	for (int k = 0; k < nr; k++)
		if ((ret = check_remote(o, &bc[k])))
			return ret;
	return check_swap_dir(o);
}

/* libuswap-preload.so beside this executable, or in ../lib, or where make
 * install put it. */
static int find_preload(char *out, size_t len)
{
	static const char *const rel[] = {"", "/../lib"};
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	for (unsigned k = 0; n > 0 && k < 2; k++) {
		self[n] = 0;
		*strrchr(self, '/') = 0;
		if (snprintf(out, len, "%s%s/libuswap-preload.so", self, rel[k]) < (int)len && !access(out, R_OK))
			return 0;
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	}
	snprintf(out, len, "%s/libuswap-preload.so", USWAP_LIBDIR);
	return access(out, R_OK) ? -ENOENT : 0;
}

/* Can the loader find and load jemalloc? NULL if so, else why not.
 * dlopen tells, but for one thing: jemalloc's TLS is initial-exec, which
 * a library loaded after start gets only if the static TLS block has
 * room left, and this process's may not (glibc keeps a few hundred bytes
 * spare). That failure means the library was found and mapped; under
 * LD_PRELOAD it is placed at start, where the room is made for it. */
static const char *jemalloc_missing(void)
{
	if (dlopen(JEMALLOC, RTLD_LAZY | RTLD_LOCAL))
		return NULL;
	const char *why = dlerror();
	return why && strstr(why, "static TLS") ? NULL : why ? why : "not found";
}

static int set_preload(const struct run_opts *r)
{
	char lib[PATH_MAX], list[3 * PATH_MAX];
	const char *old = getenv("LD_PRELOAD"), *why;

	if (!r->libc_malloc && (why = jemalloc_missing())) {
		fprintf(stderr, "uswap run: %s cannot be loaded (%s): install jemalloc (Debian: libjemalloc2), or run "
				"with --malloc libc (then only the program's own large mappings are managed)\n",
			JEMALLOC, why);
		return 2;
	}
	if (find_preload(lib, sizeof(lib))) {
		fprintf(stderr, "uswap run: libuswap-preload.so not found beside uswap, in ../lib or in %s\n",
			USWAP_LIBDIR);
		return 2;
	}
	snprintf(list, sizeof(list), "%s%s%s%s%s", lib, r->libc_malloc ? "" : " ", r->libc_malloc ? "" : JEMALLOC,
		 old && *old ? " " : "", old ? old : "");
	setenv("LD_PRELOAD", list, 1);
	return 0;
}

/* The tree's shared budget file (src/preload/tree.c), in the private
 * directory, when --limit is the tree's. Not a statistics file: report()
 * skips it. */
static int make_budget(const struct run_opts *r, const char *dir)
{
	char path[PATH_MAX];

	if (r->per_process || !opt_num(&r->opt, OPT_LIMIT)) {
		unsetenv("USWAP_RUN_BUDGET");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/budget", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, sizeof(struct tree))) {
		fprintf(stderr, "uswap run: cannot make the budget file %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	setenv("USWAP_RUN_BUDGET", path, 1);
	return 0;
}

/* The tree's highest usage, from its budget file (src/preload/tree.c). */
static void report_tree_peak(const struct run_opts *r, const char *path)
{
	int64_t head[2]; /* struct tree's total and peak, in pages */
	_Static_assert(offsetof(struct tree, peak) == sizeof(head[0]), "struct tree starts with total, peak");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head);

	if (fd >= 0)
		close(fd);
	if (ok)
		fprintf(stderr, "  the tree together: at most %.1f MiB of the %.1f MiB budget\n",
			(double)head[1] * PAGE_SIZE / (1 << 20), (double)opt_num(&r->opt, OPT_LIMIT) / (1 << 20));
}

/* The final statistics the processes left in dir: print, save, remove. */
static void report(const struct run_opts *r, const char *dir, pid_t top, double secs, int status)
{
	DIR *d = opendir(dir);
	FILE *out = r->stats_file ? fopen(r->stats_file, "we") : NULL;
	struct dirent *e;
	unsigned n = 0;

	if (r->stats_file && !out)
		fprintf(stderr, "uswap run: --stats-file %s: %s\n", r->stats_file, strerror(errno));
	if (r->stats)
		fprintf(stderr, "uswap run: %s %s %d after %.1f s\n", r->argv[0],
			WIFSIGNALED(status) ? "died of signal" : "exited", WIFSIGNALED(status) ? WTERMSIG(status) :
			WEXITSTATUS(status), secs);
	if (out)
		fprintf(out, "[");
	while (d && (e = readdir(d))) {
		char path[PATH_MAX], *text;
		if (e->d_name[0] == '.' || snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (!strcmp(e->d_name, "budget"))
			continue; /* reported after the processes, then removed */
		size_t nl = strlen(e->d_name);
		bool json = nl > 5 && !strcmp(e->d_name + nl - 5, ".json"); /* not a killed writer's .tmp */
		if (json && !procstats_read(path, &text)) {
			if (r->stats)
				procstats_print(stderr, text);
			if (out)
				fprintf(out, "%s%s", n ? "," : "", text);
			n++;
			free(text);
		}
		unlink(path);
	}
	if (out) {
		fprintf(out, "]\n");
		if (fclose(out))
			fprintf(stderr, "uswap run: --stats-file %s: %s\n", r->stats_file, strerror(errno));
	}
	if (r->stats && !n)
		fprintf(stderr, "  no statistics: no process ran under uswap to its exit (pid %d)\n", (int)top);
	char path[PATH_MAX]; /* make_budget's file, if any */
	if (snprintf(path, sizeof(path), "%s/budget", dir) < (int)sizeof(path)) {
		if (r->stats)
			report_tree_peak(r, path);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/*
 * Whether this process tree may have a userfaultfd of the kind its fault
 * mode needs (handler mode: one that serves faults inside system calls).
 * If not, say so once, here, and run the program without uswap: every
 * process would otherwise say it for itself. The message names the ways
 * to permit it (uffd.c).
 */
static bool userfaultfd_allowed(const char *prog)
{
	struct uffd_caps caps;
	char err[600];
	bool handler = strcmp(getenv("USWAP_FAULT_MODE"), "sigbus") != 0;
	int fd = uffd_open(0, 0, handler, &caps, err, sizeof(err));

	if (fd >= 0) {
		close(fd);
		return true;
	}
	fprintf(stderr, "uswap run: %s.\nuswap run: running %s without uswap: nothing is swapped and the limit is "
			"not kept\n", err, prog);
	return false;
}

static volatile pid_t child_pid; /* the program, once forked */

/* SIGTERM and SIGHUP sent to `uswap run` alone (kill PID, a supervisor)
 * are the program's too: passed on, and uswap run waits for it. */
static void pass_on(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

int run_main(int argc, char **argv)
{
	struct run_opts r = {.stats = false};
	char dir[] = "/tmp/uswap-run-XXXXXX";
	int ret = parse(argc, argv, &r), status;

	if (ret)
		return ret < 0 ? 0 : ret;
	if (!getenv("USWAP_FAULT_MODE"))
		setenv("USWAP_FAULT_MODE", "handler", 1); /* system calls into evicted memory must work */
	else if (!strcmp(getenv("USWAP_FAULT_MODE"), "sigbus"))
		fprintf(stderr, "uswap run: fault_mode=sigbus: a system call that touches an evicted page fails with "
				"EFAULT in the program\n");
	if ((ret = check_program(r.argv[0])) || (ret = check_devices(&r.opt)))
		goto out;
	if (!userfaultfd_allowed(r.argv[0])) {
		execvp(r.argv[0], r.argv);
		fprintf(stderr, "uswap run: %s: %s\n", r.argv[0], strerror(errno));
		ret = 127;
		goto out;
	}
	if ((ret = set_preload(&r)))
		goto out;
	if (!mkdtemp(dir)) {
		fprintf(stderr, "uswap run: cannot make a directory for the statistics: %s\n", strerror(errno));
		ret = 1;
		goto out;
	}
	setenv("USWAP_RUN_STATS_DIR", dir, 1);
	if ((ret = make_budget(&r, dir)))
		goto out;
	uint64_t t0 = os_now_ns();
	pid_t pid = fork();
	if (pid == 0) {
		execvp(r.argv[0], r.argv);
		fprintf(stderr, "uswap run: %s: %s\n", r.argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		fprintf(stderr, "uswap run: fork: %s\n", strerror(errno));
		ret = 1;
		goto out;
	}
	child_pid = pid;
	signal(SIGINT, SIG_IGN); /* the terminal's signals go to the program; we wait for it */
	signal(SIGQUIT, SIG_IGN);
	struct sigaction sa = {.sa_handler = pass_on};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	drop_remote(&r, dir);
	report(&r, dir, pid, (double)(os_now_ns() - t0) / 1e9, status);
	ret = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
out:
	options_free(&r.opt);
	return ret;
}
