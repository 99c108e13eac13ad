// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kmod backend's process descriptor (kmod_pidfd.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kmod_pidfd.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

void kmod_pidfd_close(struct kmod_pidfd *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	k->pid = 0;
	k->bound = false;
}

int kmod_pidfd_bind(struct kmod_pidfd *k, pid_t pid, int pidfd)
{
	int fd;

	kmod_pidfd_close(k);
	if (pidfd < 0)
		return 0;
	fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	k->fd = fd;
	k->pid = pid;
	k->bound = true;
	return 0;
}

int kmod_pidfd_get(struct kmod_pidfd *k, pid_t pid)
{
	int fd;

	if (k->fd >= 0 && k->pid == pid)
		return k->fd;
	kmod_pidfd_close(k);
	if (pid <= 0)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	k->fd = fd;
	k->pid = pid;
	return fd;
}

void kmod_pidfd_gone(struct kmod_pidfd *k)
{
	if (!k->bound)
		kmod_pidfd_close(k);
}
