// SPDX-License-Identifier: GPL-2.0-only
/*
 * The process a request names, bound to its address space (target.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "proc_file.h"
#include "target.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * Device and inode of fd without a round trip to a file system server
 * (AT_STATX_DONT_SYNC: a descriptor of a FUSE file cannot stall us).
 */
static int fd_id(int fd, uint64_t *dev, uint64_t *ino, bool *regular)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
		  STATX_TYPE | STATX_INO, &sx))
		return -errno;
	*dev = ((uint64_t)sx.stx_dev_major << 32) | sx.stx_dev_minor;
	*ino = sx.stx_ino;
	*regular = S_ISREG(sx.stx_mode);
	return 0;
}

/* Does pid exist at all (for the message when there is no proof)? */
static bool pid_exists(pid_t pid)
{
	int fd = pidfd_open(pid);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != ESRCH;
}

static int refuse(char *msg, size_t size, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* msg = the formatted line; returns err. */
static int refuse(char *msg, size_t size, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	return err;
}

/* Our own open of <proc_root>/PID/pagemap: its device and inode. */
static int own_id(const char *proc_root, pid_t pid, uint64_t *dev,
		  uint64_t *ino)
{
	char path[PATH_MAX];
	struct statfs sf;
	bool regular;
	int fd, err;

	err = probe_path(path, sizeof(path), proc_root, "/%d/pagemap",
			 (int)pid);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	err = fstatfs(fd, &sf) ? -errno : 0;
	if (!err && sf.f_type != PROC_SUPER_MAGIC)
		err = -EPERM;
	if (!err)
		err = fd_id(fd, dev, ino, &regular);
	close(fd);
	return err;
}

/* Does the descriptor still read its mm (8 bytes of pagemap at 0)? */
static bool mm_alive(int mm_fd)
{
	uint64_t e;
	ssize_t n;

	do
		n = pread(mm_fd, &e, sizeof(e), 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(e);
}

static bool exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

int target_bind(const char *proc_root, pid_t pid, int proof, struct target *t,
		char *msg, size_t size)
{
	uint64_t dev, ino, odev, oino;
	bool regular;
	int pidfd, err;

	*t = (struct target)TARGET_UNBOUND(pid);
	if (pid <= 0)
		return refuse(msg, size, -ESRCH, "No such process: pid %d",
			      (int)pid);
	if (proof < 0) {
		if (!pid_exists(pid))
			return refuse(msg, size, -ESRCH,
				      "No such process: pid %d", pid);
		return refuse(
			msg, size, -EPERM,
			"Permission denied: the caller may not read the memory of pid %d (no /proc/%d/pagemap descriptor)",
			pid, pid);
	}
	err = fd_id(proof, &dev, &ino, &regular);
	if (err || !regular)
		return refuse(msg, size, -EPERM,
			      "Permission denied: the descriptor passed is not /proc/%d/pagemap",
			      pid);
	pidfd = pidfd_open(pid);
	if (pidfd < 0) {
		/*
		 * Only a process has a pidfd (EINVAL, or ESRCH on newer
		 * kernels, for another thread); /proc still resolves a tid.
		 */
		if (!own_id(proc_root, pid, &odev, &oino))
			return refuse(msg, size, -EINVAL,
				      "pid %d is a thread: name its process (thread-group leader)",
				      pid);
		return refuse(msg, size, -ESRCH, "No such process: pid %d",
			      pid);
	}
	err = own_id(proc_root, pid, &odev, &oino);
	if (err == -ENOENT || err == -ESRCH) {
		close(pidfd);
		return refuse(msg, size, -ESRCH, "No such process: pid %d",
			      (int)pid);
	}
	if (err) {
		close(pidfd);
		snprintf(msg, size, "contigd cannot open /proc/%d/pagemap: %s",
			 (int)pid, strerror(-err));
		return err == -EACCES ? -EPERM : err;
	}
	if (odev != dev || oino != ino) {
		close(pidfd);
		return refuse(msg, size, -EPERM,
			      "Permission denied: the descriptor passed is not /proc/%d/pagemap of the live process",
			      pid);
	}
	err = image_proof_reads_current(proc_root, pid, proof);
	if (!err)
		err = image_fingerprint(proc_root, pid, &t->image);
	if (err) {
		close(pidfd);
		memset(&t->image, 0, sizeof(t->image));
		if (err == -ESRCH)
			return refuse(msg, size, -ESRCH,
				      "No such process: pid %d", (int)pid);
		return refuse(msg, size, -EPERM,
			      "Permission denied: the descriptor passed does not read the current image of pid %d",
			      (int)pid);
	}
	t->mm_fd = proof;
	t->pidfd = pidfd;
	t->proc_root = proc_root;
	t->dev = dev;
	t->ino = ino;
	err = target_check(t, msg, size);
	if (err) {
		close(pidfd);
		*t = (struct target)TARGET_UNBOUND(pid);
	}
	return err;
}

/*
 * The bound mm is gone but the process is not reaped yet: it exec'd when
 * it has an mm again, or is exiting (between exit_mm and exit_notify).
 * The pidfd still pins the process, so the pid is not reused meanwhile.
 */
static bool has_new_mm(const struct target *t)
{
	char path[PATH_MAX];
	bool alive;
	int fd;

	if (probe_path(path, sizeof(path), t->proc_root, "/%d/pagemap",
		       (int)t->pid))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	alive = mm_alive(fd);
	close(fd);
	return alive && !exited(t->pidfd);
}

/*
 * The layout of pid's mm is still the one bound to? An mm of its own but
 * another layout: it exec'd (the bound mm may live on in a sibling that
 * shares it). No mm, or no stat: it is exiting.
 */
static int same_image(const struct target *t)
{
	static const struct image_fp none;
	struct image_fp now;

	if (image_fingerprint(t->proc_root, t->pid, &now) ||
	    image_fp_equal(&now, &none))
		return -ESRCH;
	return image_fp_equal(&now, &t->image) ? 0 : -EEXIST;
}

int target_check(const struct target *t, char *msg, size_t size)
{
	int err;

	if (t->mm_fd < 0)
		return 0;
	if (!exited(t->pidfd) && mm_alive(t->mm_fd)) {
		err = same_image(t);
		if (!err)
			return 0;
		if (err == -EEXIST && !exited(t->pidfd))
			return refuse(msg, size, -ESRCH,
				      "target changed: pid %d exec'd", t->pid);
		return refuse(msg, size, -ESRCH,
			      "target changed: pid %d exited", t->pid);
	}
	if (!exited(t->pidfd) && has_new_mm(t))
		return refuse(msg, size, -ESRCH, "target changed: pid %d exec'd",
			      t->pid);
	return refuse(msg, size, -ESRCH, "target changed: pid %d exited",
		      t->pid);
}

int target_same(const struct target *a, const struct target *b)
{
	return a->pid == b->pid && a->dev == b->dev && a->ino == b->ino;
}

void target_release(struct target *t)
{
	if (t->mm_fd >= 0)
		close(t->mm_fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	*t = (struct target)TARGET_UNBOUND(t->pid);
}
