// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmod backend: the kernel helper /dev/contig (include/contig_ioctl.h,
 * contig(4)). Plan ops keep their order: each stretch of ops of one kind
 * goes down in one batch (MOVE for MOVE, EXCHANGE with EXCHANGE_PFN ops
 * for EXCHANGE), at most the module's max_batch at a time.  Batches go
 * through io_uring when the module takes them there (kmod_uring.c, which
 * keeps several in flight), else one ioctl after another; the environment
 * variable CONTIG_SUBMISSION=ioctl asks for the ioctls.  The frame map to
 * plan against is built from /proc/kpageflags on every pass.  When the
 * module takes pidfds (CONTIG_CAP_PIDFD), ops name the process by one
 * (kmod_pidfd.h), else by its pid.
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
#include "kmod_pidfd.h"
#include "kmod_uring.h"
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
	struct kmod_uring *ur; /* io_uring submission, or NULL: ioctl */
	char ur_why[96]; /* why not io_uring */
	struct kmod_pidfd pidfd;
};

static struct backend_kmod *to_kmod(struct backend *b)
{
	return (struct backend_kmod *)b;
}

static int kmod_uring_usable(const struct backend_kmod *bk)
{
	return bk->ur && !kmod_uring_broken(bk->ur);
}

static int kmod_info(struct backend *b, struct backend_info *out)
{
	struct backend_kmod *bk = to_kmod(b);

	memset(out, 0, sizeof(*out));
	out->kind = BACKEND_KMOD;
	out->caps = BACKEND_CAP_PLACE;
	if (bk->info.caps & CONTIG_CAP_PROMOTE)
		out->caps |= BACKEND_CAP_PROMOTE_2M;
	out->abi_version = bk->info.abi_version;
	out->max_batch = bk->info.max_batch;
	snprintf(out->submission, sizeof(out->submission), "%s",
		 kmod_uring_usable(bk) ? "io_uring" : "ioctl");
	out->depth = kmod_uring_usable(bk) ? kmod_uring_depth(bk->ur) : 1;
	out->exchange_by_migration =
		!(bk->info.caps & CONTIG_CAP_EXCHANGE_INPLACE);
	out->submission_why = kmod_uring_usable(bk) ? NULL :
			      bk->ur ? "io_uring broke" : bk->ur_why;
	return 0;
}

void kmod_ops_fill(struct contig_op *k, const struct kmod_name *who,
		   const struct backend_op *ops, size_t nr)
{
	int exchange = ops[0].kind == BACKEND_OP_EXCHANGE;
	int promote = ops[0].kind == BACKEND_OP_PROMOTE;
	size_t i;

	memset(k, 0, nr * sizeof(*k));
	for (i = 0; i < nr; i++) {
		k[i].kind = promote  ? CONTIG_OP_PROMOTE :
			    exchange ? CONTIG_OP_EXCHANGE_PFN :
				       CONTIG_OP_MOVE;
		/* a promotion places nothing: no split, no frame */
		k[i].flags = promote ? who->flags & CONTIG_OP_F_PIDFD :
				       who->flags;
		k[i].pid_a = who->id;
		k[i].vaddr_a = ops[i].vaddr;
		k[i].pfn = promote ? 0 : ops[i].pfn;
		k[i].result = -EAGAIN;
	}
}

int kmod_ops_results(struct backend_op *ops, const struct contig_op *k,
		     size_t nr, const struct contig_batch *b, int res)
{
	size_t i;

	/* interrupted: what was not done is tried again later */
	if (res && res != -EINTR && !b->done)
		return res;
	for (i = 0; i < nr; i++) {
		uint32_t out = i < b->done ? k[i].outcome : 0;

		ops[i].splits = !!(out & CONTIG_OUT_SPLIT_A) +
				!!(out & CONTIG_OUT_SPLIT_B);
		ops[i].whole = !!(out & CONTIG_OUT_WHOLE);
		ops[i].result = i < b->done ? k[i].result : -EAGAIN;
		if (ops[i].result == -ESRCH)
			return -ESRCH;
	}
	return 0;
}

/* ops[0..nr) all of one kind, nr <= max_batch. */
static int kmod_batch(struct backend_kmod *bk, const struct kmod_name *who,
		      struct backend_op *ops, size_t nr)
{
	int exchange = ops[0].kind == BACKEND_OP_EXCHANGE ||
		       ops[0].kind == BACKEND_OP_PROMOTE;
	struct contig_batch batch = { 0 };
	int res = 0;

	kmod_ops_fill(bk->kops, who, ops, nr);
	batch.count = (__u32)nr;
	batch.ops = (__u64)(uintptr_t)bk->kops;
	if (ioctl(bk->dev, exchange ? CONTIG_IOC_EXCHANGE : CONTIG_IOC_MOVE,
		  &batch) < 0)
		res = -errno;
	return kmod_ops_results(ops, bk->kops, nr, &batch, res);
}

static int kmod_read_pfns(struct backend *b, pid_t pid, uint64_t start_vpn,
			  uint64_t nr, uint64_t *pfn);

static int kmod_pfns_of(void *arg, pid_t pid, uint64_t vpn, uint64_t nr,
			uint64_t *pfn)
{
	return kmod_read_pfns(arg, pid, vpn, nr, pfn);
}

static int kmod_apply(struct backend *b, pid_t pid, struct backend_op *ops,
		      size_t nr)
{
	struct backend_kmod *bk = to_kmod(b);
	struct kmod_name who = { .id = pid };
	size_t i, n;
	int err = 0;

	if (bk->info.caps & CONTIG_CAP_PIDFD) {
		who.id = kmod_pidfd_get(&bk->pidfd, pid);
		if (who.id < 0)
			return who.id;
		who.flags = CONTIG_OP_F_PIDFD;
	}
	/* a large folio in the way is split (contig(4)) */
	if (bk->info.caps & CONTIG_CAP_SPLIT)
		who.flags |= CONTIG_OP_F_SPLIT;
	/* ...unless it can move whole into a free aligned window */
	if (bk->info.caps & CONTIG_CAP_LARGE_FOLIO)
		who.flags |= CONTIG_OP_F_WHOLE;
	/* Promotions are few (one per 2 MiB): always by ioctl. */
	if (kmod_uring_usable(bk) && ops[0].kind != BACKEND_OP_PROMOTE) {
		err = kmod_uring_apply(bk->ur, pid, &who, ops, nr,
				       bk->info.max_batch, kmod_pfns_of, b);
		goto out;
	}

	for (i = 0; i < nr; i += n) {
		if (ops[i].kind != BACKEND_OP_MOVE &&
		    ops[i].kind != BACKEND_OP_EXCHANGE &&
		    !(ops[i].kind == BACKEND_OP_PROMOTE &&
		      (bk->info.caps & CONTIG_CAP_PROMOTE))) {
			ops[i].result = -EOPNOTSUPP;
			n = 1;
			continue;
		}
		for (n = 1; i + n < nr && n < bk->info.max_batch &&
			    ops[i + n].kind == ops[i].kind;
		     n++)
			;
		err = kmod_batch(bk, &who, ops + i, n);
		if (err)
			break;
	}
out:
	if (err == -ESRCH)
		kmod_pidfd_gone(&bk->pidfd);
	return err;
}

/* (Re)open the pagemap of pid: 0, or -errno with none open. */
static int kmod_pagemap_open(struct backend_kmod *bk, pid_t pid)
{
	int fd;

	if (bk->pm_fd >= 0)
		close(bk->pm_fd);
	bk->pm_fd = -1;
	bk->pidfd = (struct kmod_pidfd)KMOD_PIDFD_INIT;
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

/* Batches in flight: ceil(percent / 100 * online CPUs). */
static void kmod_set_cpu_share(struct backend *b, unsigned int percent)
{
	struct backend_kmod *bk = to_kmod(b);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (!bk->ur)
		return;
	if (cpus < 1)
		cpus = 1;
	kmod_uring_set_depth(bk->ur,
			     (unsigned int)(((unsigned long)cpus * percent +
					     99) / 100));
}

static uint64_t kmod_async_ns(struct backend *b)
{
	struct backend_kmod *bk = to_kmod(b);

	return bk->ur ? kmod_uring_busy_ns(bk->ur) : 0;
}

static int kmod_bind(struct backend *b, pid_t pid, int pidfd)
{
	return kmod_pidfd_bind(&to_kmod(b)->pidfd, pid, pidfd);
}

static void kmod_destroy(struct backend *b)
{
	struct backend_kmod *bk = to_kmod(b);

	kmod_uring_close(bk->ur);
	kmod_pidfd_close(&bk->pidfd);
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
	.set_cpu_share = kmod_set_cpu_share,
	.async_ns = kmod_async_ns,
	.bind = kmod_bind,
};

/*
 * io_uring when the module offers it with the in-place exchange (all its
 * kernel functions found) and CONTIG_SUBMISSION is not "ioctl"; one batch
 * in flight until set_cpu_share() says more.
 */
static void kmod_choose_submission(struct backend_kmod *bk)
{
	const char *want = getenv("CONTIG_SUBMISSION");
	int err;

	if (want && !strcmp(want, "ioctl")) {
		snprintf(bk->ur_why, sizeof(bk->ur_why),
			 "CONTIG_SUBMISSION=ioctl");
		return;
	}
	if (!(bk->info.caps & CONTIG_CAP_URING)) {
		snprintf(bk->ur_why, sizeof(bk->ur_why),
			 "the module has no io_uring commands");
		return;
	}
	/*
	 * Without the kernel's unexported functions the module drains only
	 * its own CPU's LRU caches, and the workers' CPUs keep the pages they
	 * moved there: claims from the other CPUs would fail (contig(4)).
	 */
	if (!(bk->info.caps & CONTIG_CAP_EXCHANGE_INPLACE)) {
		snprintf(bk->ur_why, sizeof(bk->ur_why),
			 "migration only: the module cannot drain other CPUs' LRU caches");
		return;
	}
	err = kmod_uring_open(bk->dev, 1, &bk->ur);
	if (err)
		snprintf(bk->ur_why, sizeof(bk->ur_why), "io_uring: %s",
			 strerror(-err));
}

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
	kmod_choose_submission(bk);
	*out = &bk->b;
	return 0;
out_free:
	kmod_destroy(&bk->b);
	return err;
}
