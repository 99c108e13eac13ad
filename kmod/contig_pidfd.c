// SPDX-License-Identifier: GPL-2.0-only
/*
 * Name a process by a pidfd of the caller (CONTIG_OP_F_PIDFD): a pidfd
 * keeps naming the process it was opened for, where a pid may be reused
 * once that process is gone.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/pid.h>

#include "contig.h"

bool contig_pidfd_available(void)
{
	return contig_syms.pidfd_pid;
}

/*
 * The struct pid behind the caller's file descriptor fd, with a reference
 * (put_pid() it), or ERR_PTR(-EBADF) when fd is not an open pidfd.
 */
struct pid *contig_pidfd_get(int fd)
{
	struct file *file;
	struct pid *pid;

	if (!contig_syms.pidfd_pid)
		return ERR_PTR(-EOPNOTSUPP);
	if (fd < 0)
		return ERR_PTR(-EBADF);
	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	pid = contig_syms.pidfd_pid(file);
	if (!IS_ERR(pid))
		get_pid(pid);
	fput(file);
	return pid;
}
