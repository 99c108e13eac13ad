/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cases that need pidfd_open(2) ask first: under valgrind 3.19 (Debian
 * 12) it is "not implemented" (ENOSYS), and those cases then run only in
 * the plain and sanitizer passes.
 */
#ifndef CONTIG_TEST_HAVE_PIDFD_H
#define CONTIG_TEST_HAVE_PIDFD_H

#include <errno.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline bool have_pidfd_open(void)
{
	long fd = syscall(SYS_pidfd_open, getpid(), 0);

	if (fd >= 0)
		close((int)fd);
	return fd >= 0 || errno != ENOSYS;
}

#endif
