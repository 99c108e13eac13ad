/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The descriptor by which the kmod backend names a process to the kernel
 * helper (CONTIG_OP_F_PIDFD): a pid can come to name another process
 * between two ops; a pidfd cannot.
 *
 * A job bound to its process (src/daemon/target.h) hands its pidfd over
 * with kmod_pidfd_bind(), which keeps a duplicate. A job without one (the
 * observer's choices, contigd --once) gets a pidfd the backend opens for
 * the pid at its first op: from then on the ops reach that process or
 * fail with -ESRCH, never a successor that inherited the pid.
 */
#ifndef CONTIG_BACKEND_KMOD_PIDFD_H
#define CONTIG_BACKEND_KMOD_PIDFD_H

#include <stdbool.h>
#include <sys/types.h>

struct kmod_pidfd {
	pid_t pid; /* whose descriptor fd is; 0: none */
	int fd; /* -1: none */
	bool bound; /* fd came from kmod_pidfd_bind() */
};

#define KMOD_PIDFD_INIT { .pid = 0, .fd = -1, .bound = false }

/*
 * Name pid by a duplicate of pidfd from now on (pidfd -1: forget any, open
 * one when needed). 0, or -errno (the old one is forgotten either way).
 */
int kmod_pidfd_bind(struct kmod_pidfd *k, pid_t pid, int pidfd);

/* The descriptor naming pid (opened if need be): >= 0, or -errno. */
int kmod_pidfd_get(struct kmod_pidfd *k, pid_t pid);

/*
 * The process named is gone (-ESRCH): forget a descriptor the backend
 * opened itself, so that a later job for a new process of that pid opens
 * its own. A bound one stays: it belongs to the job.
 */
void kmod_pidfd_gone(struct kmod_pidfd *k);

void kmod_pidfd_close(struct kmod_pidfd *k);

#endif
