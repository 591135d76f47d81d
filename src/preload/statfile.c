/*
 * statfile.c - where a `uswap run` process keeps its live statistics, for
 * `uswap stat`: one JSON file per process, <pid>.json, in a directory that
 * belongs to the user alone: $XDG_RUNTIME_DIR/uswap, or /tmp/uswap-<uid>.
 * The directory is made 0700 and checked (owner, mode, not a symlink)
 * before every use, so no other user can plant or read a file there. The
 * files hold statistics only, never memory contents.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload/statfile.h"

static int check_dir(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		return -EPERM;
	return 0;
}

int statfile_dir(char *buf, size_t len, bool create)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (xdg && *xdg && !check_dir(xdg))
		n = snprintf(buf, len, "%s/uswap", xdg);
	else
		n = snprintf(buf, len, "/tmp/uswap-%u", (unsigned)getuid());
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (create && mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return check_dir(buf);
}

int statfile_path(char *buf, size_t len, int pid, bool create)
{
	char dir[512];
	int ret = statfile_dir(dir, sizeof(dir), create);

	if (ret)
		return ret;
	int n = snprintf(buf, len, "%s/%d.json", dir, pid);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Write data to path whole or not at all (a temporary file renamed over
 * it), mode 0600. 0 or -errno. */
int statfile_write(const char *path, const char *data, size_t len)
{
	char tmp[600];

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, data, len);
	int ret = w == (ssize_t)len ? 0 : w < 0 ? -errno : -EIO;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}
