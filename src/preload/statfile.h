/*
 * statfile.h - the live statistics files of `uswap run` processes
 * (statfile.c): written by the preload library, read by `uswap stat`.
 */
#ifndef USWAP_PRELOAD_STATFILE_H
#define USWAP_PRELOAD_STATFILE_H

#include <stdbool.h>
#include <stddef.h>

/* The user's directory for them (made when create); 0 or -errno (EPERM:
 * it exists but is not the user's alone). */
int statfile_dir(char *buf, size_t len, bool create);
/* <dir>/<pid>.json. 0 or -errno. */
int statfile_path(char *buf, size_t len, int pid, bool create);
/* Replace path with data atomically, mode 0600. 0 or -errno. */
int statfile_write(const char *path, const char *data, size_t len);

#endif
