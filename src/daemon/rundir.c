// SPDX-License-Identifier: GPL-2.0-only
/*
 * The runtime directory, checked and held by descriptor (rundir.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rundir.h"

int rundir_open(const char *path, char *msg, size_t size)
{
	struct stat st;
	int fd, err;

	if (mkdir(path, 0755) && errno != EEXIST) {
		err = -errno;
		snprintf(msg, size, "creating runtime directory %s: %s", path,
			 strerror(-err));
		return err;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(msg, size,
			 "runtime directory %s: %s (a symlink is not followed)",
			 path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		snprintf(msg, size, "runtime directory %s: %s", path,
			 strerror(-err));
		close(fd);
		return err;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(msg, size,
			 "runtime directory %s: owned by uid %u, mode %04o: must be owned by uid %u and not writable by group or others",
			 path, (unsigned int)st.st_uid,
			 (unsigned int)(st.st_mode & 07777),
			 (unsigned int)geteuid());
		close(fd);
		return -EPERM;
	}
	return fd;
}

int rundir_path(int dirfd, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "/proc/self/fd/%d/%s", dirfd, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
