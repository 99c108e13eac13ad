// SPDX-License-Identifier: GPL-2.0-only
/*
 * Closing client-passed descriptors off the main loop (fdcloser.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdcloser.h"

static uint64_t dev_of(int fd, const char *path, int flags)
{
	struct statx sx;

	/* no round trip to a file system server for cached attributes */
	if (statx(fd, path, flags | AT_STATX_DONT_SYNC, STATX_TYPE, &sx))
		return UINT64_MAX;
	return ((uint64_t)sx.stx_dev_major << 32) | sx.stx_dev_minor;
}

static void *closer(void *arg)
{
	struct fdcloser *fc = arg;
	int fd;

	while (read(fc->pipe[0], &fd, sizeof(fd)) == (ssize_t)sizeof(fd)) {
		if (fd < 0)
			break;
		close(fd);
	}
	close(fc->pipe[0]);
	return NULL;
}

int fdcloser_start(struct fdcloser *fc)
{
	pthread_t t;
	int err;

	fc->started = false;
	fc->proc_dev = dev_of(AT_FDCWD, "/proc/self", 0);
	if (pipe2(fc->pipe, O_CLOEXEC))
		return -errno;
	/* a full pipe (the thread stuck) never blocks the main loop */
	if (fcntl(fc->pipe[1], F_SETFL, O_NONBLOCK)) {
		err = -errno;
		close(fc->pipe[0]);
		close(fc->pipe[1]);
		return err;
	}
	err = pthread_create(&t, NULL, closer, fc);
	if (err) {
		close(fc->pipe[0]);
		close(fc->pipe[1]);
		return -err;
	}
	pthread_detach(t);
	fc->started = true;
	return 0;
}

void fdcloser_close(struct fdcloser *fc, int fd)
{
	if (fd < 0)
		return;
	if (!fc->started || dev_of(fd, "", AT_EMPTY_PATH) == fc->proc_dev ||
	    write(fc->pipe[1], &fd, sizeof(fd)) != (ssize_t)sizeof(fd))
		close(fd);
}

void fdcloser_stop(struct fdcloser *fc)
{
	int end = -1;

	if (!fc->started)
		return;
	/* the thread ends at the marker; one stuck in a close stays */
	if (write(fc->pipe[1], &end, sizeof(end)) != (ssize_t)sizeof(end))
		return;
	close(fc->pipe[1]);
	fc->started = false;
}
