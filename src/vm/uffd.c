/*
 * uffd.c - open a userfaultfd the way this process may, and probe it.
 *
 * Three ways in (design-digest 4.5): the userfaultfd(2) system call, which
 * serves faults taken inside system calls only with CAP_SYS_PTRACE or the
 * sysctl vm.unprivileged_userfaultfd=1; /dev/userfaultfd, where the file's
 * permissions decide (6.1+); and userfaultfd(2) with UFFD_USER_MODE_ONLY,
 * which anyone may use but which turns a fault inside a system call into
 * EFAULT. Features are probed on a throw-away fd (UFFDIO_API with no
 * features answers with all it offers), because asking for one the kernel
 * lacks fails the whole handshake.
 *
 * No locks: everything here runs once, at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vm/uffd.h"

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

#define OPEN_FLAGS (O_CLOEXEC | O_NONBLOCK)

static const char *const feature_names[] = {
	"PAGEFAULT_FLAG_WP", "EVENT_FORK", "EVENT_REMAP", "EVENT_REMOVE", "MISSING_HUGETLBFS", "MISSING_SHMEM",
	"EVENT_UNMAP", "SIGBUS", "THREAD_ID", "MINOR_HUGETLBFS", "MINOR_SHMEM", "EXACT_ADDRESS",
	"WP_HUGETLBFS_SHMEM", "WP_UNPOPULATED", "POISON", "WP_ASYNC", "MOVE",
};

const char *uffd_feature_name(uint64_t bit)
{
	for (unsigned i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
		if (bit == (uint64_t)1 << i)
			return feature_names[i];
	return NULL;
}

static int open_syscall(int flags) { return (int)syscall(SYS_userfaultfd, flags); }

static int open_dev(void)
{
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC), fd;

	if (dev < 0)
		return -1;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, OPEN_FLAGS);
	close(dev);
	return fd;
}

/* UFFDIO_API on fd with features; 0 and *api filled, or -errno. */
static int handshake(int fd, uint64_t features, struct uffdio_api *api)
{
	*api = (struct uffdio_api){.api = UFFD_API, .features = features};
	return ioctl(fd, UFFDIO_API, api) ? -errno : 0;
}

/* How this process may get a userfaultfd that serves kernel faults: the
 * three ways, each with what holds here. */
static void explain_eperm(char *err, size_t errlen)
{
	char sysctl[16] = "?";
	int fd = open("/proc/sys/vm/unprivileged_userfaultfd", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, sysctl, sizeof(sysctl) - 1);
		sysctl[n > 0 ? n : 0] = 0;
		sysctl[strcspn(sysctl, "\n")] = 0;
		close(fd);
	}
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};
	bool ptrace = !syscall(SYS_capget, &h, d) && (d[0].effective & (1u << CAP_SYS_PTRACE));
	struct stat st;
	char dev[80] = "missing (kernel before 6.1)";
	if (!stat("/dev/userfaultfd", &st))
		snprintf(dev, sizeof(dev), "mode %03o, owner uid %u gid %u", st.st_mode & 0777, st.st_uid, st.st_gid);
	snprintf(err, errlen,
		 "userfaultfd is not permitted to this process for faults inside system calls; any one of these "
		 "permits it: the sysctl vm.unprivileged_userfaultfd=1 (it is %s), the capability CAP_SYS_PTRACE "
		 "(this process %s it), or read and write access to /dev/userfaultfd (%s). Or use the in-thread "
		 "fault mode, where a system call that touches an evicted page fails with EFAULT",
		 sysctl, ptrace ? "has" : "lacks", dev);
}

/* Open one fd the best way permitted. -errno with err set on failure. */
static int open_any(bool need_kernel_faults, const char **via, char *err, size_t errlen)
{
	int fd = open_syscall(OPEN_FLAGS);

	if (fd >= 0) {
		*via = "userfaultfd(2)";
		return fd;
	}
	if (errno == ENOSYS) {
		snprintf(err, errlen, "this kernel has no userfaultfd (CONFIG_USERFAULTFD is off)");
		return -ENOSYS;
	}
	if (errno != EPERM) {
		int e = errno;
		snprintf(err, errlen, "userfaultfd(2): %s", strerror(e));
		return -e;
	}
	if ((fd = open_dev()) >= 0) {
		*via = "/dev/userfaultfd";
		return fd;
	}
	if (!need_kernel_faults && (fd = open_syscall(OPEN_FLAGS | UFFD_USER_MODE_ONLY)) >= 0) {
		*via = "userfaultfd(2), user mode only";
		return fd;
	}
	explain_eperm(err, errlen);
	return -EPERM;
}

/* Features the environment hides (USWAP_DEBUG_UFFD_HIDE, uffd.h). */
static uint64_t hidden_features(void)
{
	const char *env = getenv("USWAP_DEBUG_UFFD_HIDE");
	uint64_t hide = 0;

	for (const char *p = env; p && *p; p += *p == ',') {
		size_t len = strcspn(p, ",");
		for (unsigned i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
			if (strlen(feature_names[i]) == len && !strncmp(p, feature_names[i], len))
				hide |= (uint64_t)1 << i;
		p += len;
	}
	return hide;
}

int uffd_open(uint64_t want, uint64_t optional, bool need_kernel_faults, struct uffd_caps *caps, char *err,
	      size_t errlen)
{
	struct uffdio_api api;
	const char *via = NULL;
	int probe = open_any(need_kernel_faults, &via, err, errlen), fd, ret;

	if (probe < 0)
		return probe;
	ret = handshake(probe, 0, &api);
	close(probe);
	if (ret) {
		snprintf(err, errlen, "userfaultfd: UFFDIO_API: %s", strerror(-ret));
		return ret;
	}
	uint64_t offered = api.features & ~hidden_features(), missing = want & ~offered;
	if (missing) {
		uint64_t bit = missing & -missing;
		const char *name = uffd_feature_name(bit);
		snprintf(err, errlen, "this kernel's userfaultfd lacks UFFD_FEATURE_%s%s", name ? name : "?",
			 missing != bit ? " (and more)" : "");
		return -EOPNOTSUPP;
	}
	if ((fd = open_any(need_kernel_faults, &via, err, errlen)) < 0)
		return fd;
	want |= optional & offered;
	if ((ret = handshake(fd, want, &api))) {
		close(fd);
		snprintf(err, errlen, "userfaultfd: UFFDIO_API with features %#llx: %s", (unsigned long long)want,
			 strerror(-ret));
		return ret;
	}
	*caps = (struct uffd_caps){.offered = offered, .enabled = want, .ioctls = api.ioctls,
				   .kernel_faults = strstr(via, "user mode only") == NULL, .via = via};
	return fd;
}
