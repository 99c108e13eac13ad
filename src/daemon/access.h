/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who is on the other end of a control connection: its SO_PEERCRED
 * credentials, as the kernel recorded them at connect() and translated
 * into our user namespace (a caller in a user namespace of its own shows
 * as the uid it maps to, e.g. nobody). They serve quotas, fairness and
 * the log, never access to a process: that is the kernel's decision,
 * proven by a descriptor (target.h).
 */
#ifndef CONTIG_DAEMON_ACCESS_H
#define CONTIG_DAEMON_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct peer {
	pid_t pid; /* at connect(); it may have exec'd or exited since */
	uid_t uid;
	gid_t gid;
};

/* The credentials of the connected socket fd. 0 or -errno. */
int access_peer(int fd, struct peer *out);

#endif
