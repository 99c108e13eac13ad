// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmod backend: the kernel helper /dev/contig (include/contig_ioctl.h,
 * contig(4)). Plan ops keep their order: each stretch of ops of one kind
 * goes down in one ioctl (MOVE for MOVE, EXCHANGE with EXCHANGE_PFN ops
 * for EXCHANGE), at most the module's max_batch at a time. The frame map
 * to plan against is built from /proc/kpageflags on every pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend.h"
#include "contig_ioctl.h"
#include "framemap_build.h"
#include "pagemap.h"

/* Frames per pageblock: pageblock_order is 9 (2 MiB) on x86-64. */
#define KMOD_PAGEBLOCK_FRAMES 512

struct backend_kmod {
	struct backend b;
	const char *proc_root;
	int dev;
	struct contig_info info;
	struct contig_op *kops; /* max_batch of them */
	struct frame_map fm;
	int have_fm;
	pid_t pm_pid; /* whose pagemap pm_fd is, or 0 */
	int pm_fd;
};

static struct backend_kmod *to_kmod(struct backend *b)
{
	return (struct backend_kmod *)b;
}

static int kmod_info(struct backend *b, struct backend_info *out)
{
	struct backend_kmod *bk = to_kmod(b);

	memset(out, 0, sizeof(*out));
	out->kind = BACKEND_KMOD;
	out->caps = BACKEND_CAP_PLACE;
	out->abi_version = bk->info.abi_version;
	out->max_batch = bk->info.max_batch;
	return 0;
}

/* ops[0..nr) all of one kind, nr <= max_batch. */
static int kmod_batch(struct backend_kmod *bk, pid_t pid,
		      struct backend_op *ops, size_t nr)
{
	int exchange = ops[0].kind == BACKEND_OP_EXCHANGE;
	struct contig_batch batch = { 0 };
	size_t i;
	int err = 0;

	memset(bk->kops, 0, nr * sizeof(*bk->kops));
	for (i = 0; i < nr; i++) {
		bk->kops[i].kind = exchange ? CONTIG_OP_EXCHANGE_PFN :
					      CONTIG_OP_MOVE;
		bk->kops[i].pid_a = pid;
		bk->kops[i].vaddr_a = ops[i].vaddr;
		bk->kops[i].pfn = ops[i].pfn;
		bk->kops[i].result = -EAGAIN;
		/* a large folio in the way is split (contig(4)) */
		if (bk->info.caps & CONTIG_CAP_SPLIT)
			bk->kops[i].flags |= CONTIG_OP_F_SPLIT;
	}
	batch.count = (__u32)nr;
	batch.ops = (__u64)(uintptr_t)bk->kops;
	if (ioctl(bk->dev, exchange ? CONTIG_IOC_EXCHANGE : CONTIG_IOC_MOVE,
		  &batch) < 0) {
		err = -errno;
		/* interrupted: what was not done is tried again later */
		if (err == -EINTR)
			err = 0;
		else if (!batch.done)
			return err;
	}
	for (i = 0; i < nr; i++) {
		uint32_t out = i < batch.done ? bk->kops[i].outcome : 0;

		ops[i].splits = !!(out & CONTIG_OUT_SPLIT_A) +
				!!(out & CONTIG_OUT_SPLIT_B);
		ops[i].result = i < batch.done ? bk->kops[i].result : -EAGAIN;
		if (ops[i].result == -ESRCH)
			return -ESRCH;
	}
	return 0;
}

static int kmod_apply(struct backend *b, pid_t pid, struct backend_op *ops,
		      size_t nr)
{
	struct backend_kmod *bk = to_kmod(b);
	size_t i, n;
	int err;

	for (i = 0; i < nr; i += n) {
		if (ops[i].kind != BACKEND_OP_MOVE &&
		    ops[i].kind != BACKEND_OP_EXCHANGE) {
			ops[i].result = -EOPNOTSUPP;
			n = 1;
			continue;
		}
		for (n = 1; i + n < nr && n < bk->info.max_batch &&
			    ops[i + n].kind == ops[i].kind;
		     n++)
			;
		err = kmod_batch(bk, pid, ops + i, n);
		if (err)
			return err;
	}
	return 0;
}

/* (Re)open the pagemap of pid: 0, or -errno with none open. */
static int kmod_pagemap_open(struct backend_kmod *bk, pid_t pid)
{
	int fd;

	if (bk->pm_fd >= 0)
		close(bk->pm_fd);
	bk->pm_fd = -1;
	bk->pm_pid = 0;
	fd = pagemap_open(bk->proc_root, pid);
	if (fd < 0)
		return fd;
	bk->pm_fd = fd;
	bk->pm_pid = pid;
	return 0;
}

static int kmod_read_pfns(struct backend *b, pid_t pid, uint64_t start_vpn,
			  uint64_t nr, uint64_t *pfn)
{
	struct backend_kmod *bk = to_kmod(b);
	int err, fresh = 0;

	if (bk->pm_pid != pid || bk->pm_fd < 0) {
		err = kmod_pagemap_open(bk, pid);
		if (err)
			return err;
		fresh = 1;
	}
	err = pagemap_read(bk->pm_fd, start_vpn, nr, pfn, NULL);
	/*
	 * An open pagemap reads the memory the process had when it was
	 * opened: after an execve(), or when a new process has the pid, that
	 * memory is gone (-ESRCH). Open the file again, once.
	 */
	if (err == -ESRCH && !fresh) {
		err = kmod_pagemap_open(bk, pid);
		if (!err)
			err = pagemap_read(bk->pm_fd, start_vpn, nr, pfn, NULL);
	}
	return err;
}

static int kmod_frame_map(struct backend *b, const struct frame_map **out)
{
	struct backend_kmod *bk = to_kmod(b);
	int err;

	if (bk->have_fm)
		frame_map_free(&bk->fm);
	bk->have_fm = 0;
	err = framemap_build(bk->proc_root, &bk->fm, NULL);
	if (err)
		return err;
	bk->have_fm = 1;
	/*
	 * A MOVE claims its free target frame with alloc_contig_range(),
	 * which isolates the frame's whole pageblock and fails while any
	 * page of it cannot move: such free frames are no target.  (A page
	 * this map calls unmovable may be one the kernel can move, page
	 * cache for one: erring on that side only narrows the choice.)
	 */
	if (frame_map_taint_blocks(&bk->fm, KMOD_PAGEBLOCK_FRAMES)) {
		err = frame_map_index(&bk->fm);
		if (err)
			return err;
	}
	*out = &bk->fm;
	return 0;
}

static void kmod_destroy(struct backend *b)
{
	struct backend_kmod *bk = to_kmod(b);

	if (bk->have_fm)
		frame_map_free(&bk->fm);
	if (bk->pm_fd >= 0)
		close(bk->pm_fd);
	if (bk->dev >= 0)
		close(bk->dev);
	free(bk->kops);
	free(bk);
}

static const struct backend_ops kmod_ops = {
	.info = kmod_info,
	.apply = kmod_apply,
	.read_pfns = kmod_read_pfns,
	.frame_map = kmod_frame_map,
	.destroy = kmod_destroy,
};

int backend_kmod_create(const char *proc_root, struct backend **out)
{
	struct backend_kmod *bk = calloc(1, sizeof(*bk));
	int err = 0;

	if (!bk)
		return -ENOMEM;
	bk->b.ops = &kmod_ops;
	bk->b.kind = BACKEND_KMOD;
	bk->proc_root = proc_root;
	bk->pm_fd = -1;
	bk->dev = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (bk->dev < 0) {
		err = -errno;
		goto out_free;
	}
	if (ioctl(bk->dev, CONTIG_IOC_INFO, &bk->info) < 0) {
		err = -errno;
		goto out_free;
	}
	if (bk->info.abi_version != CONTIG_ABI_VERSION) {
		err = -EPROTO;
		goto out_free;
	}
	if (!bk->info.max_batch || bk->info.max_batch > CONTIG_MAX_BATCH)
		bk->info.max_batch = CONTIG_MAX_BATCH;
	bk->kops = calloc(bk->info.max_batch, sizeof(*bk->kops));
	if (!bk->kops) {
		err = -ENOMEM;
		goto out_free;
	}
	*out = &bk->b;
	return 0;
out_free:
	kmod_destroy(&bk->b);
	return err;
}
