/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kmod backend's io_uring submission path (kmod_uring.c): batches go
 * to /dev/contig as IORING_OP_URING_CMD, several in flight, each run by
 * one of io_uring's async workers in the kernel.  And the conversion of
 * backend ops to module ops that both submission paths share
 * (backend_kmod.c).
 */
#ifndef CONTIG_KMOD_URING_H
#define CONTIG_KMOD_URING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend.h"
#include "contig_ioctl.h"

/* Batches in flight at most, whatever the CPUs. */
#define KMOD_URING_MAX_DEPTH 8

struct kmod_uring;

/* Current frames of pages [vpn, vpn + nr) of pid (the backend's read_pfns). */
typedef int (*kmod_pfn_reader)(void *arg, pid_t pid, uint64_t vpn, uint64_t nr,
			       uint64_t *pfn);

/*
 * A ring on the open /dev/contig dev, probed with an empty batch. 0 and
 * *out, -EOPNOTSUPP (a module without io_uring commands), -EPROTO (the
 * file completed the probe without writing the batch back), -errno.
 */
int kmod_uring_open(int dev, unsigned int depth, struct kmod_uring **out);
void kmod_uring_close(struct kmod_uring *u);

/* Batches in flight (and async workers) at most: 1..KMOD_URING_MAX_DEPTH. */
void kmod_uring_set_depth(struct kmod_uring *u, unsigned int depth);
unsigned int kmod_uring_depth(const struct kmod_uring *u);

/*
 * Did the ring break (a request could be neither submitted nor reaped)?
 * Then it is no longer used: the backend goes on with the ioctls.
 */
int kmod_uring_broken(const struct kmod_uring *u);

/* Nanoseconds the kernel's workers have run batches, in total. */
uint64_t kmod_uring_busy_ns(const struct kmod_uring *u);

/*
 * How module ops name the process: by a pidfd (flags CONTIG_OP_F_PIDFD,
 * id the descriptor) where the module takes them, else by pid.
 */
struct kmod_name {
	__s32 id;
	__u32 flags;
};

/*
 * The backend's apply(): ops of pid in batches of at most max_batch,
 * several in flight where they touch neither the same page nor the same
 * frame; each op gets its result.  0, or -errno as apply() returns it.
 */
int kmod_uring_apply(struct kmod_uring *u, pid_t pid,
		     const struct kmod_name *who, struct backend_op *ops,
		     size_t nr, unsigned int max_batch, kmod_pfn_reader rd,
		     void *rd_arg);

/* backend_kmod.c: ops[0..nr) of one kind as module ops of who. */
void kmod_ops_fill(struct contig_op *k, const struct kmod_name *who,
		   const struct backend_op *ops, size_t nr);
/*
 * backend_kmod.c: a batch's outcome into ops: res is what the ioctl (or
 * the CQE) returned; ops the batch did not reach get -EAGAIN.  0, or the
 * -errno apply() returns (-ESRCH: the process is gone).
 */
int kmod_ops_results(struct backend_op *ops, const struct contig_op *k,
		     size_t nr, const struct contig_batch *b, int res);

#endif
