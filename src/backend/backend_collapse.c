// SPDX-License-Identifier: GPL-2.0-only
/*
 * collapse backend: no kernel helper. process_madvise(MADV_COLLAPSE) on
 * one 2 MiB-aligned block at a time makes the kernel copy the block into
 * a freshly allocated huge page: 2 MiB of physical contiguity, aligned.
 * One call per block so that each block gets its own result.
 *
 * The target's pidfd and a pagemap descriptor are kept for one job
 * (backend_bind), the pidfd taken from the job's binding: never looked
 * up by pid across jobs, where a reused pid would give a spurious ESRCH
 * and an exec a read of the old address space.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backend.h"
#include "pagemap.h"
#include "proc_file.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif

#define BLOCK_BYTES (UINT64_C(2) << 20)

/* The descriptors a call works with. */
struct col_fds {
	int pidfd, pmfd; /* -1: none */
	bool own; /* opened for this call only: closed after it */
};

struct backend_collapse {
	struct backend b;
	const char *proc_root;
	pid_t pid; /* of the bound job, or 0 */
	struct col_fds job; /* the bound job's process, our pagemap of it */
};

static struct backend_collapse *to_col(struct backend *b)
{
	return (struct backend_collapse *)b;
}

static void fds_close(struct col_fds *f)
{
	if (f->pidfd >= 0)
		close(f->pidfd);
	if (f->pmfd >= 0)
		close(f->pmfd);
	f->pidfd = f->pmfd = -1;
}

static bool exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/*
 * Open pid's pagemap; pidfd given (dup'd) or opened. The pidfd's process
 * still running after the open means the pagemap is that process's: its
 * pid cannot have been reused in between. 0 or -errno (-ESRCH: gone).
 */
static int fds_open(const char *proc_root, pid_t pid, int pidfd, bool own,
		    struct col_fds *f)
{
	int err;

	f->own = own;
	f->pmfd = -1;
	f->pidfd = pidfd >= 0 ? fcntl(pidfd, F_DUPFD_CLOEXEC, 0) :
				(int)syscall(SYS_pidfd_open, pid, 0);
	if (f->pidfd < 0)
		return -errno;
	f->pmfd = pagemap_open(proc_root, pid);
	err = f->pmfd < 0 ? f->pmfd : exited(f->pidfd) ? -ESRCH : 0;
	if (err)
		fds_close(f);
	return err;
}

static int col_bind(struct backend *b, pid_t pid, int pidfd)
{
	struct backend_collapse *bc = to_col(b);
	int err;

	fds_close(&bc->job);
	bc->pid = 0;
	if (!pid)
		return 0;
	err = fds_open(bc->proc_root, pid, pidfd, false, &bc->job);
	if (!err)
		bc->pid = pid;
	return err;
}

/*
 * The bound job's descriptors for its pid; for any other call (no job
 * bound: contigd --once), descriptors of its own, never cached by pid.
 */
static int col_get(struct backend_collapse *bc, pid_t pid, struct col_fds *f)
{
	if (bc->pid && bc->pid == pid) {
		*f = bc->job;
		return 0;
	}
	return fds_open(bc->proc_root, pid, -1, true, f);
}

static void col_put(struct col_fds *f)
{
	if (f->own)
		fds_close(f);
}

static int col_info(struct backend *b, struct backend_info *out)
{
	(void)b;
	memset(out, 0, sizeof(*out));
	out->kind = BACKEND_COLLAPSE;
	out->caps = BACKEND_CAP_COLLAPSE_2M;
	out->max_batch = 1;
	return 0;
}

static int col_apply(struct backend *b, pid_t pid, struct backend_op *ops,
		     size_t nr)
{
	struct col_fds f;
	size_t i;
	int err = col_get(to_col(b), pid, &f);

	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		struct iovec iov = {
			.iov_base = (void *)(uintptr_t)ops[i].vaddr,
			.iov_len = BLOCK_BYTES,
		};
		long r;

		if (ops[i].kind != BACKEND_OP_COLLAPSE ||
		    ops[i].vaddr % BLOCK_BYTES) {
			ops[i].result = -EOPNOTSUPP;
			continue;
		}
		r = syscall(SYS_process_madvise, f.pidfd, &iov, 1UL,
			    MADV_COLLAPSE, 0U);
		ops[i].result = r < 0 ? -errno : 0;
		if (ops[i].result == -ESRCH) {
			err = -ESRCH;
			break;
		}
	}
	col_put(&f);
	return err;
}

static int col_read_pfns(struct backend *b, pid_t pid, uint64_t start_vpn,
			 uint64_t nr, uint64_t *pfn)
{
	struct col_fds f;
	int err = col_get(to_col(b), pid, &f);

	if (err)
		return err;
	err = pagemap_read(f.pmfd, start_vpn, nr, pfn, NULL);
	col_put(&f);
	return err;
}

static int col_frame_map(struct backend *b, const struct frame_map **out)
{
	(void)b;
	(void)out;
	return -EOPNOTSUPP;
}

static void col_destroy(struct backend *b)
{
	col_bind(b, 0, -1);
	free(to_col(b));
}

static const struct backend_ops col_ops = {
	.info = col_info,
	.apply = col_apply,
	.read_pfns = col_read_pfns,
	.frame_map = col_frame_map,
	.destroy = col_destroy,
	.bind = col_bind,
};

int backend_collapse_create(const char *proc_root, struct backend **out)
{
	struct backend_collapse *bc = calloc(1, sizeof(*bc));

	if (!bc)
		return -ENOMEM;
	bc->b.ops = &col_ops;
	bc->b.kind = BACKEND_COLLAPSE;
	bc->proc_root = proc_root;
	bc->job.pidfd = bc->job.pmfd = -1;
	*out = &bc->b;
	return 0;
}

/* Does a "VmFlags:" line carry the flag "nh"? */
static int vmflags_nh(const char *line)
{
	const char *p = line + strlen("VmFlags:");

	while (*p) {
		while (*p == ' ')
			p++;
		if (p[0] == 'n' && p[1] == 'h' &&
		    (p[2] == ' ' || p[2] == '\n' || !p[2]))
			return 1;
		while (*p && *p != ' ')
			p++;
	}
	return 0;
}

int backend_vma_nohugepage(const char *proc_root, pid_t pid, uint64_t addr)
{
	char path[4096], *buf = NULL, *line, *save;
	int err, in = 0, ret = -ENOENT;

	err = probe_path(path, sizeof(path), proc_root, "%d/smaps", (int)pid);
	if (err)
		return err;
	err = probe_read_file(path, &buf, NULL);
	if (err)
		return err;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		uint64_t start, end;
		char *e;

		errno = 0;
		start = strtoull(line, &e, 16);
		if (!errno && e != line && *e == '-') {
			char *e2;

			end = strtoull(e + 1, &e2, 16);
			if (!errno && e2 != e + 1 && *e2 == ' ') {
				in = addr >= start && addr < end;
				continue;
			}
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			ret = vmflags_nh(line);
			break;
		}
	}
	free(buf);
	return ret;
}
