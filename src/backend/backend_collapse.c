// SPDX-License-Identifier: GPL-2.0-only
/*
 * collapse backend: no kernel helper. process_madvise(MADV_COLLAPSE) on
 * one 2 MiB-aligned block at a time makes the kernel copy the block into
 * a freshly allocated huge page: 2 MiB of physical contiguity, aligned.
 * One call per block so that each block gets its own result.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

struct backend_collapse {
	struct backend b;
	const char *proc_root;
	pid_t pid; /* whose pidfd and pagemap fd are open, or 0 */
	int pidfd;
	int pmfd;
};

static struct backend_collapse *to_col(struct backend *b)
{
	return (struct backend_collapse *)b;
}

static void col_close(struct backend_collapse *bc)
{
	if (bc->pidfd >= 0)
		close(bc->pidfd);
	if (bc->pmfd >= 0)
		close(bc->pmfd);
	bc->pidfd = bc->pmfd = -1;
	bc->pid = 0;
}

static int col_open(struct backend_collapse *bc, pid_t pid)
{
	int fd;

	if (bc->pid == pid)
		return 0;
	col_close(bc);
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	bc->pidfd = fd;
	fd = pagemap_open(bc->proc_root, pid);
	if (fd < 0) {
		col_close(bc);
		return fd;
	}
	bc->pmfd = fd;
	bc->pid = pid;
	return 0;
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
	struct backend_collapse *bc = to_col(b);
	size_t i;
	int err = col_open(bc, pid);

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
		r = syscall(SYS_process_madvise, bc->pidfd, &iov, 1UL,
			    MADV_COLLAPSE, 0U);
		ops[i].result = r < 0 ? -errno : 0;
		if (ops[i].result == -ESRCH)
			return -ESRCH;
	}
	return 0;
}

static int col_read_pfns(struct backend *b, pid_t pid, uint64_t start_vpn,
			 uint64_t nr, uint64_t *pfn)
{
	struct backend_collapse *bc = to_col(b);
	int err = col_open(bc, pid);

	if (err)
		return err;
	return pagemap_read(bc->pmfd, start_vpn, nr, pfn, NULL);
}

static int col_frame_map(struct backend *b, const struct frame_map **out)
{
	(void)b;
	(void)out;
	return -EOPNOTSUPP;
}

static void col_destroy(struct backend *b)
{
	struct backend_collapse *bc = to_col(b);

	col_close(bc);
	free(bc);
}

static const struct backend_ops col_ops = {
	.info = col_info,
	.apply = col_apply,
	.read_pfns = col_read_pfns,
	.frame_map = col_frame_map,
	.destroy = col_destroy,
};

int backend_collapse_create(const char *proc_root, struct backend **out)
{
	struct backend_collapse *bc = calloc(1, sizeof(*bc));

	if (!bc)
		return -ENOMEM;
	bc->b.ops = &col_ops;
	bc->b.kind = BACKEND_COLLAPSE;
	bc->proc_root = proc_root;
	bc->pidfd = bc->pmfd = -1;
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
