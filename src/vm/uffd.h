/*
 * uffd.h - vm/: userfaultfd, opened and probed (design-digest 4.5, 4.6).
 *
 * The start of the vm layer: a userfaultfd opened the way this process is
 * allowed to (the userfaultfd(2) system call, /dev/userfaultfd, or user
 * mode only), its features probed, and a clear error when it cannot be
 * had. Debian 12's headers predate features this kernel has (MOVE,
 * POISON, WP_ASYNC): they are defined here when missing.
 */
#ifndef USWAP_VM_UFFD_H
#define USWAP_VM_UFFD_H

#include <linux/userfaultfd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13) /* 6.4 */
#endif
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON (1 << 14) /* 6.6 */
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15) /* 6.7 */
#endif
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE (1 << 16) /* 6.8 */
#endif
#ifndef _UFFDIO_MOVE
#define _UFFDIO_MOVE (0x05)
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
#define UFFDIO_MOVE_MODE_DONTWAKE       ((__u64)1 << 0)
#define UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES ((__u64)1 << 1)
	__u64 mode;
	__s64 move; /* bytes moved, or -errno */
};
#define UFFDIO_MOVE _IOWR(UFFDIO, _UFFDIO_MOVE, struct uffdio_move)
#endif
#ifndef _UFFDIO_POISON
#define _UFFDIO_POISON (0x08)
struct uffdio_poison {
	struct uffdio_range range;
#define UFFDIO_POISON_MODE_DONTWAKE ((__u64)1 << 0)
	__u64 mode;
	__s64 updated;
};
#define UFFDIO_POISON _IOWR(UFFDIO, _UFFDIO_POISON, struct uffdio_poison)
#endif

/* What an open userfaultfd can do. */
struct uffd_caps {
	uint64_t offered;     /* UFFD_FEATURE_* this kernel offers */
	uint64_t enabled;     /* those enabled on this fd (what was asked for) */
	uint64_t ioctls;      /* UFFDIO_API's answer: 1 << _UFFDIO_* of the API */
	bool kernel_faults;   /* faults taken inside system calls reach us */
	const char *via;      /* "userfaultfd(2)", "/dev/userfaultfd" or "userfaultfd(2), user mode only" */
};

/*
 * Open a userfaultfd (O_CLOEXEC | O_NONBLOCK) with the features want
 * enabled, and those of optional the kernel offers (caps->enabled says
 * which). Features named in the environment variable
 * USWAP_DEBUG_UFFD_HIDE (UFFD_FEATURE_* names without the prefix, comma-
 * separated: MOVE,POISON) are taken as absent: the tests run uswap as on
 * an older kernel with it. need_kernel_faults: faults inside system calls must be served
 * (else user-mode-only is accepted when nothing better is allowed).
 * Returns the fd, or -EPERM (not permitted: err says which of the three
 * ways to permit it applies here), -ENOSYS (no userfaultfd in this
 * kernel), -EOPNOTSUPP (a wanted feature is missing: err names it), or
 * another -errno; err always says why.
 */
int uffd_open(uint64_t want, uint64_t optional, bool need_kernel_faults, struct uffd_caps *caps, char *err, size_t errlen);
/* The name of one UFFD_FEATURE_* bit ("MOVE"), or NULL. */
const char *uffd_feature_name(uint64_t bit);

#endif
