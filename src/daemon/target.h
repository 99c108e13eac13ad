/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The process a request names, bound to its address space.
 *
 * The caller proves access by passing (SCM_RIGHTS) a descriptor of the
 * target's /proc/PID/pagemap: the kernel opened it only if the caller
 * passed the ptrace read check (PTRACE_MODE_READ_FSCREDS: uids and gids,
 * dumpability, capabilities in the target's user namespace, LSMs). The
 * daemon never decides access itself, and reads nothing of the caller's
 * privilege from /proc.
 *
 * target_bind() checks that the descriptor designates the pid named: the
 * daemon opens <proc_root>/PID/pagemap itself and compares device and
 * inode. The caller's descriptor pins its procfs dentry; while the
 * process it was opened for lives, a lookup of /proc/PID revalidates and
 * returns that same dentry and inode, and once that process is gone the
 * lookup instantiates a new inode. Equal inodes therefore mean the same
 * struct pid. The descriptor also holds the mm it was opened on: a read
 * returns 0 bytes once that mm is gone (the process exec'd or exited),
 * which target_check() uses before and during every pass.
 *
 * That mm outlives an exec while a sibling shares it (CLONE_VM), so the
 * daemon also checks that the descriptor reads PID's current image at
 * bind (target_image.h: present pages sampled from the daemon's own open
 * must be present through the descriptor), and records the layout of
 * that image (/proc/PID/stat), which target_check() compares: a new
 * layout means the process exec'd, whatever the descriptor still reads.
 */
#ifndef CONTIG_DAEMON_TARGET_H
#define CONTIG_DAEMON_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target_image.h"

struct target {
	pid_t pid;
	int mm_fd; /* the caller's pagemap descriptor; -1: unbound */
	int pidfd; /* the process; -1: unbound */
	uint64_t dev, ino; /* of the pagemap inode */
	const char *proc_root; /* where it was bound (not owned) */
	struct image_fp image; /* the layout of the mm bound to */
};

#define TARGET_UNBOUND(p) { .pid = (p), .mm_fd = -1, .pidfd = -1 }

/*
 * Bind pid to proof (a descriptor from the caller; -1: none). On success
 * the target owns proof (and a pidfd); on failure proof is left to the
 * caller. 0; -ESRCH (no such process), -EPERM (no or a wrong proof),
 * -EINVAL (a thread id), -EPERM also when the descriptor does not read
 * the current image of pid (its mm survived an exec), with a line for the caller in msg.
 */
int target_bind(const char *proc_root, pid_t pid, int proof, struct target *t,
		char *msg, size_t size);

/*
 * Is t still the process and address space it was bound to? 0, or -ESRCH
 * with "target changed: pid N exec'd" or "... exited" in msg. An unbound
 * target is always 0.
 */
int target_check(const struct target *t, char *msg, size_t size);

/* Same process and address space binding (same pagemap inode)? */
int target_same(const struct target *a, const struct target *b);

/* Close the descriptors; t becomes unbound. */
void target_release(struct target *t);

#endif
