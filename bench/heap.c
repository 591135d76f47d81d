/*
 * heap.c - the "heap" corpus: real anonymous memory of real programs.
 *
 * What users swap is heaps, not files. This starts three workloads, lets
 * each build its data and then block on its stdin, and copies their
 * resident private anonymous pages through /proc/PID/pagemap (present bit)
 * and /proc/PID/mem:
 *   python3  - a dict of 200k records, lists of floats, a large str;
 *   sqlite3  - an in-memory database with 150k rows and an index;
 *   sort     - 24 MiB of text lines held before sorting.
 * A workload missing on the machine is skipped with a message. Reading
 * another process's memory needs ptrace rights (root, or same user with
 * ptrace_scope 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corpus.h"

#define PG 4096

static const char py_work[] =
	"import random,sys\n"
	"r=random.Random(7)\n"
	"words=[''.join(r.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(r.randint(3,12))) for _ in range(5000)]\n"
	"d={}\n"
	"for i in range(200000):\n"
	"  d['k%d_%s'%(i,r.choice(words))]=(i,r.random(),r.choice(words)+' '+r.choice(words),[i,i*2])\n"
	"fl=[[r.random() for _ in range(100)] for _ in range(2000)]\n"
	"s=' '.join(r.choice(words) for _ in range(400000))\n"
	"sys.stdout.write('ready\\n');sys.stdout.flush()\n"
	"sys.stdin.read()\n";

static const char sql_work[] =
	"create table t(id integer primary key, name text, v real, note text);\n"
	"with recursive c(x) as (select 1 union all select x+1 from c where x<150000)\n"
	"  insert into t select x, 'user'||(x*7919%100003), x*0.37, hex(randomblob(24))||' note '||x from c;\n"
	"create index t_name on t(name);\n"
	"select 'ready';\n";

struct workload {
	const char *name;
	pid_t pid;
	int in_fd, out_fd;
};

/* Start argv with pipes on stdin and stdout. */
static int spawn(struct workload *w, char *const argv[])
{
	int in[2], out[2];

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -errno;
	w->pid = fork();
	if (w->pid < 0)
		return -errno;
	if (w->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	w->in_fd = in[1];
	w->out_fd = out[0];
	return 0;
}

static void stop(struct workload *w)
{
	close(w->in_fd);
	close(w->out_fd);
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
}

/* Wait for the workload to print "ready" (its data is built). */
static bool wait_ready(struct workload *w)
{
	char buf[256];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) - 1 && (r = read(w->out_fd, buf + n, sizeof(buf) - 1 - n)) > 0) {
		n += (size_t)r;
		buf[n] = 0;
		if (strstr(buf, "ready"))
			return true;
	}
	return false;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t r = write(fd, p, n);
		if (r <= 0)
			return;
		p += r;
		n -= (size_t)r;
	}
}

/* Copy present pages of pid's private anonymous mappings to out, up to
 * budget bytes. Returns bytes copied. */
static size_t capture(pid_t pid, FILE *out, size_t budget)
{
	char path[64], line[512];
	size_t got = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	int mem = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	int pm = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char page[PG];

	while (maps && mem >= 0 && pm >= 0 && got < budget && fgets(line, sizeof(line), maps)) {
		uint64_t lo, hi;
		char perms[8], name[256] = "";
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*s %*s %*s %255s", &lo, &hi, perms, name) < 3)
			continue;
		bool anon = name[0] == 0 || !strcmp(name, "[heap]");
		if (!anon || perms[0] != 'r' || perms[1] != 'w' || perms[3] != 'p')
			continue;
		for (uint64_t a = lo; a < hi && got < budget; a += PG) {
			uint64_t ent;
			if (pread(pm, &ent, 8, (off_t)(a / PG * 8)) != 8 || !(ent >> 63))
				continue; /* not present: never touched or swapped */
			if (pread(mem, page, PG, (off_t)a) != PG)
				continue;
			fwrite(page, 1, PG, out);
			got += PG;
		}
	}
	if (maps)
		fclose(maps);
	if (mem >= 0)
		close(mem);
	if (pm >= 0)
		close(pm);
	return got;
}

static size_t run_python(FILE *out, size_t budget)
{
	struct workload w = {.name = "python3"};
	char *argv[] = {"python3", "-c", (char *)py_work, NULL};
	size_t got = 0;

	if (spawn(&w, argv))
		return 0;
	if (wait_ready(&w))
		got = capture(w.pid, out, budget);
	stop(&w);
	return got;
}

static size_t run_sqlite(FILE *out, size_t budget)
{
	struct workload w = {.name = "sqlite3"};
	char *argv[] = {"sqlite3", ":memory:", NULL};
	size_t got = 0;

	if (spawn(&w, argv))
		return 0;
	write_all(w.in_fd, sql_work, strlen(sql_work));
	if (wait_ready(&w))
		got = capture(w.pid, out, budget);
	stop(&w);
	return got;
}

/* sort holds all of its input in memory until EOF; feed it lines of
 * pseudo-words and capture while it waits for more. */
static size_t run_sort(FILE *out, size_t budget, size_t input)
{
	struct workload w = {.name = "sort"};
	char *argv[] = {"sort", NULL};
	char line[128];
	uint64_t x = 42;
	size_t got = 0, sent = 0;

	if (spawn(&w, argv))
		return 0;
	while (sent < input) {
		int n = 0;
		for (int k = 0; k < 6; k++) {
			x = corpus_mix64(x);
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%c%c%c%c%" PRIu64, k ? " " : "",
				      'a' + (int)(x % 26), 'a' + (int)(x >> 8) % 26, 'a' + (int)(x >> 16) % 26,
				      'e' + (int)(x >> 24) % 4, x % 1000);
		}
		line[n++] = '\n';
		write_all(w.in_fd, line, (size_t)n);
		sent += (size_t)n;
	}
	usleep(300 * 1000); /* let sort drain the pipe */
	got = capture(w.pid, out, budget);
	stop(&w);
	return got;
}

int corpus_build_heap(const char *path, double scale, char *err, size_t errlen)
{
	char tmp[600];
	size_t budget = (size_t)(48.0 * 1024 * 1024 * scale);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return -EIO;
	}
	size_t py = run_python(f, budget);
	size_t sq = run_sqlite(f, budget);
	size_t so = run_sort(f, budget, (size_t)(24.0 * 1024 * 1024 * scale));
	fprintf(stderr, "corpus: heap: python3 %.1f MiB, sqlite3 %.1f MiB, sort %.1f MiB\n", py / 1048576.0,
		sq / 1048576.0, so / 1048576.0);
	if (fclose(f) || py + sq + so < 16 * PG) {
		unlink(tmp);
		snprintf(err, errlen,
			 "heap corpus: captured %zu bytes; need python3, sqlite3 or sort and the right to read "
			 "/proc/PID/mem (root, or kernel.yama.ptrace_scope=0)", py + sq + so);
		return -EPERM;
	}
	if (rename(tmp, path)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}
