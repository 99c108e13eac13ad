/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who may ask for what on the control socket. The caller's identity is its
 * SO_PEERCRED credentials, never the payload: it may target a process
 * whose real, effective and saved uids all equal its own uid (the rule
 * ptrace uses for a non-setuid process), or any process when it holds
 * CAP_SYS_ADMIN in its effective set.
 */
#ifndef CONTIG_DAEMON_ACCESS_H
#define CONTIG_DAEMON_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool admin; /* CAP_SYS_ADMIN in its effective set at connect time */
};

/*
 * The credentials of the connected socket fd, and whether the peer holds
 * CAP_SYS_ADMIN (<proc_root>/PID/status CapEff). 0 or -errno.
 */
int access_peer(int fd, const char *proc_root, struct peer *out);

/*
 * The uids of pid (Uid: real effective saved fs). 0, -ESRCH, -errno.
 */
int access_task_uids(const char *proc_root, pid_t pid, uid_t uids[4]);

/*
 * May peer target pid? 0; -ESRCH (no such process); -EPERM with a line for
 * the caller in msg, e.g. "Permission denied: pid 42 belongs to uid 0".
 */
int access_check(const char *proc_root, const struct peer *peer, pid_t pid,
		 char *msg, size_t size);

#endif
