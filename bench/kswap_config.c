/*
 * kswap_config.c - the kernel's own compressed swap, set up for one run of
 * `uswap bench vm --kernel` and put back as it was afterwards.
 *
 * Configurations (the kernel anchor's names, ../shared/anchors/kernel):
 *   zram-<alg>   /dev/zram0 with comp_algorithm <alg>, swapon at priority 100
 *   zswap-<alg>  zswap on with compressor <alg>, max_pool_percent 50, in
 *                front of a swap file in the bench's folder
 * A "-pc0" suffix sets vm.page-cluster to 0.
 *
 * What is changed is first written to a state file (KSWAP_STATE), so a run
 * killed outright is undone by the next one. The memory cgroup (v1) is the
 * bench's own: made for each run, removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define ZSW "/sys/module/zswap/parameters/"
#define ZRAM "/sys/block/zram0/"
#define MEMCG_ROOT "/sys/fs/cgroup/memory"
#define KSWAP_STATE "/run/uswap-bench-kernel.state"

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n = -1;

	if (fd >= 0) {
		n = write(fd, val, strlen(val));
		int e = errno;
		close(fd);
		errno = e;
	}
	return n < 0 ? -errno : 0;
}

/* Run argv quietly; 0 when it exits 0. */
static int run_quiet(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

static bool swap_active(const char *path)
{
	char line[512];
	size_t n = strlen(path);
	FILE *f = fopen("/proc/swaps", "r");
	bool on = false;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, path, n) && (line[n] == ' ' || line[n] == '\t'))
			on = true;
	if (f)
		fclose(f);
	return on;
}

static void save_state(const struct kswap *k)
{
	FILE *f = fopen(KSWAP_STATE, "w");

	if (!f)
		return;
	fprintf(f, "%s\n%s\n%s\n%s\n%s\n%s\n%d\n", k->cfg, k->zswap_enabled, k->zswap_comp, k->zswap_maxpool,
		k->page_cluster, k->swapfile, k->debugfs_mounted);
	fclose(f);
}

int kswap_restore_stale(void)
{
	struct kswap k = {0};
	char *f[] = {k.cfg, k.zswap_enabled, k.zswap_comp, k.zswap_maxpool, k.page_cluster, k.swapfile};
	size_t len[] = {sizeof(k.cfg), sizeof(k.zswap_enabled), sizeof(k.zswap_comp), sizeof(k.zswap_maxpool),
			sizeof(k.page_cluster), sizeof(k.swapfile)};
	char mounted[8] = "0";
	FILE *s = fopen(KSWAP_STATE, "r");

	if (!s)
		return 0;
	for (size_t i = 0; i < 6; i++)
		if (fgets(f[i], (int)len[i], s))
			f[i][strcspn(f[i], "\n")] = 0;
	if (fgets(mounted, sizeof(mounted), s))
		k.debugfs_mounted = atoi(mounted);
	fclose(s);
	k.active = true;
	k.zram = !strncmp(k.cfg, "zram-", 5);
	kswap_restore(&k);
	return 1;
}

static int setup_zram(struct kswap *k, const char *alg, size_t bytes, char *err, size_t errlen)
{
	char size[32], cur[64] = "";
	char *mk[] = {"mkswap", ZRAM_DEV, NULL};

	if (access(ZRAM "reset", W_OK)) {
		char *mp[] = {"modprobe", "zram", NULL};
		run_quiet(mp);
	}
	if (read_line(ZRAM "disksize", cur, sizeof(cur)) < 0) {
		snprintf(err, errlen, "no zram device (%s: modprobe zram failed?)", ZRAM);
		return -ENODEV;
	}
	if (strcmp(cur, "0")) {
		snprintf(err, errlen, "%s is in use (disksize %s); reset it first", ZRAM_DEV, cur);
		return -EBUSY;
	}
	k->zram = true;
	if (write_str(ZRAM "comp_algorithm", alg)) {
		snprintf(err, errlen, "zram has no compressor '%s' (%s)", alg, ZRAM "comp_algorithm");
		return -EINVAL;
	}
	snprintf(size, sizeof(size), "%zu", bytes);
	if (write_str(ZRAM "disksize", size) || run_quiet(mk) || swapon(ZRAM_DEV, SWAP_FLAG_PREFER | 100)) {
		snprintf(err, errlen, "setting up %s as swap failed: %s", ZRAM_DEV, strerror(errno));
		return -EIO;
	}
	return 0;
}

static int setup_zswap(struct kswap *k, const char *alg, size_t bytes, char *err, size_t errlen)
{
	char cur[64];
	char *mk[] = {"mkswap", k->swapfile, NULL};
	int fd;

	if (access("/sys/kernel/debug/zswap", F_OK) && !mount("none", "/sys/kernel/debug", "debugfs", 0, NULL))
		k->debugfs_mounted = 1;
	save_state(k);
	if (write_str(ZSW "compressor", alg) || read_line(ZSW "compressor", cur, sizeof(cur)) || strcmp(cur, alg)) {
		snprintf(err, errlen, "zswap has no compressor '%s' on this kernel", alg);
		return -EINVAL;
	}
	fd = open(k->swapfile, O_CREAT | O_EXCL | O_WRONLY, 0600);
	if (fd < 0 || posix_fallocate(fd, 0, (off_t)bytes)) {
		snprintf(err, errlen, "creating swap file %s of %zu MiB: %s", k->swapfile, bytes >> 20,
			 strerror(fd < 0 ? errno : ENOSPC));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	close(fd);
	if (write_str(ZSW "max_pool_percent", "50") || write_str(ZSW "enabled", "Y") || run_quiet(mk) ||
	    swapon(k->swapfile, SWAP_FLAG_PREFER | 100)) {
		snprintf(err, errlen, "setting up zswap over %s failed: %s", k->swapfile, strerror(errno));
		return -EIO;
	}
	return 0;
}

int kswap_setup(struct kswap *k, const char *cfg, const char *dir, size_t bytes, char *err, size_t errlen)
{
	char base[32];
	size_t n = strlen(cfg);
	bool pc0 = n > 4 && !strcmp(cfg + n - 4, "-pc0");
	int ret;

	*k = (struct kswap){.active = true};
	snprintf(k->cfg, sizeof(k->cfg), "%s", cfg);
	snprintf(base, sizeof(base), "%.*s", (int)(pc0 ? n - 4 : n), cfg);
	snprintf(k->swapfile, sizeof(k->swapfile), "%s/uswap-bench-kernel.swap", dir);
	if (geteuid() != 0) {
		snprintf(err, errlen, "--kernel needs root (it sets up zram/zswap and a memory cgroup)");
		return -EPERM;
	}
	if (read_line(ZSW "enabled", k->zswap_enabled, sizeof(k->zswap_enabled)) ||
	    read_line(ZSW "compressor", k->zswap_comp, sizeof(k->zswap_comp)) ||
	    read_line(ZSW "max_pool_percent", k->zswap_maxpool, sizeof(k->zswap_maxpool)) ||
	    read_line("/proc/sys/vm/page-cluster", k->page_cluster, sizeof(k->page_cluster))) {
		snprintf(err, errlen, "this kernel has no zswap parameters in %s", ZSW);
		return -ENODEV;
	}
	save_state(k);
	write_str("/proc/sys/vm/page-cluster", pc0 ? "0" : "3");
	if (!strncmp(base, "zram-", 5))
		ret = setup_zram(k, base + 5, bytes, err, errlen);
	else if (!strncmp(base, "zswap-", 6))
		ret = setup_zswap(k, base + 6, bytes, err, errlen);
	else {
		snprintf(err, errlen, "kernel configuration '%s' is unknown (have: zram-<alg>, zswap-<alg>, "
				      "with -pc0 for page-cluster 0)", cfg);
		ret = -EINVAL;
	}
	if (ret)
		kswap_restore(k);
	return ret;
}

void kswap_restore(struct kswap *k)
{
	if (!k->active)
		return;
	if (k->zram && swap_active(ZRAM_DEV))
		swapoff(ZRAM_DEV);
	if (k->zram)
		write_str(ZRAM "reset", "1");
	if (k->swapfile[0] && swap_active(k->swapfile))
		swapoff(k->swapfile);
	if (k->swapfile[0])
		unlink(k->swapfile);
	write_str(ZSW "enabled", "N");
	if (k->zswap_comp[0])
		write_str(ZSW "compressor", k->zswap_comp);
	if (k->zswap_maxpool[0])
		write_str(ZSW "max_pool_percent", k->zswap_maxpool);
	if (k->zswap_enabled[0])
		write_str(ZSW "enabled", k->zswap_enabled);
	if (k->page_cluster[0])
		write_str("/proc/sys/vm/page-cluster", k->page_cluster);
	rmdir(MEMCG_ROOT "/uswap-bench");
	if (k->debugfs_mounted)
		umount("/sys/kernel/debug");
	unlink(KSWAP_STATE);
	k->active = false;
}

int kswap_memcg_join(size_t limit, char *err, size_t errlen)
{
	char v[32];

	if (mkdir(MEMCG_ROOT "/uswap-bench", 0755) && errno != EEXIST) {
		snprintf(err, errlen, "no memory cgroup v1 at %s (%s)", MEMCG_ROOT, strerror(errno));
		return -errno;
	}
	write_str(MEMCG_ROOT "/uswap-bench/memory.memsw.limit_in_bytes", "-1");
	write_str(MEMCG_ROOT "/uswap-bench/memory.max_usage_in_bytes", "0"); /* the last run's mark */
	snprintf(v, sizeof(v), "%zu", limit ? limit : (size_t)-1 / 2);
	if (write_str(MEMCG_ROOT "/uswap-bench/memory.limit_in_bytes", v)) {
		snprintf(err, errlen, "setting the memory cgroup's limit: %s", strerror(errno));
		return -EIO;
	}
	snprintf(v, sizeof(v), "%d", (int)getpid());
	if (write_str(MEMCG_ROOT "/uswap-bench/cgroup.procs", v)) {
		snprintf(err, errlen, "joining the memory cgroup: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

static uint64_t memcg_read(const char *file)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), MEMCG_ROOT "/uswap-bench/%s", file);
	return read_line(path, v, sizeof(v)) ? 0 : strtoull(v, 0, 10);
}

uint64_t kswap_memcg_hwm(void)
{
	return memcg_read("memory.max_usage_in_bytes");
}

uint64_t kswap_memcg_usage(void)
{
	return memcg_read("memory.usage_in_bytes");
}

uint64_t kswap_pool_bytes(const struct kswap *k)
{
	char v[256];
	unsigned long long orig, compr, used;

	if (k->zram) {
		if (read_line(ZRAM "mm_stat", v, sizeof(v)) || sscanf(v, "%llu %llu %llu", &orig, &compr, &used) != 3)
			return 0;
		return used;
	}
	return read_line("/sys/kernel/debug/zswap/pool_total_size", v, sizeof(v)) ? 0 : strtoull(v, 0, 10);
}
