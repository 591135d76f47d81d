/*
 * sys.h - the kernel's mmap family called directly, past the interposed
 * functions of preload.c (which are the process's mmap, munmap, ...).
 * Each returns what the system call returns and sets errno, as libc's do.
 */
#ifndef USWAP_PRELOAD_SYS_H
#define USWAP_PRELOAD_SYS_H

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static inline int sys_munmap(void *addr, size_t len) { return (int)syscall(SYS_munmap, addr, len); }

static inline int sys_madvise(void *addr, size_t len, int advice)
{
	return (int)syscall(SYS_madvise, addr, len, advice);
}

static inline void *sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

#endif
