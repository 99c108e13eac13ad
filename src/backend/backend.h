/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One interface for every way of making memory contiguous.
 *
 *   sim       the core's simulated frame map (tests, benchmarks): exact
 *             placement through MOVE/EXCHANGE, no real process involved.
 *   collapse  no kernel helper: process_madvise(MADV_COLLAPSE) per 2 MiB
 *             block, which gives 2 MiB contiguity (one huge page) only.
 *   kmod      the kernel helper /dev/contig: exact placement, batched
 *             MOVE/EXCHANGE with a result per op, through io_uring
 *             (several batches in flight) or, failing that, ioctls.
 *
 * The executor hands a backend batches of ops; the backend fills in each
 * op's result (0 or -errno). The batch call itself fails only when the
 * backend could not try at all (the process is gone, the device broke).
 * The executor then re-reads the physical frames through read_pfns() and
 * counts what really moved: results are taken as claims, not facts.
 */
#ifndef CONTIG_BACKEND_H
#define CONTIG_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "frame_map.h"

enum backend_kind {
	BACKEND_SIM = 0,
	BACKEND_COLLAPSE,
	BACKEND_KMOD,
	BACKEND_KIND_COUNT,
};

/* struct backend_info.caps */
/* MOVE/EXCHANGE of single pages to chosen frames (planner path). */
#define BACKEND_CAP_PLACE (1u << 0)
/* COLLAPSE of a 2 MiB-aligned block into one huge page. */
#define BACKEND_CAP_COLLAPSE_2M (1u << 1)
/* PROMOTE of a 2 MiB block already on aligned frames, in place (kmod). */
#define BACKEND_CAP_PROMOTE_2M (1u << 2)

enum backend_op_kind {
	BACKEND_OP_MOVE = 1, /* page at vaddr into the free frame pfn */
	BACKEND_OP_EXCHANGE = 2, /* page at vaddr swaps with frame pfn */
	BACKEND_OP_COLLAPSE = 3, /* 2 MiB block at vaddr into a huge page */
	BACKEND_OP_PROMOTE = 4, /* 2 MiB block at vaddr a huge page in place */
};

struct backend_op {
	uint32_t kind; /* enum backend_op_kind */
	int32_t result; /* out: 0 or -errno */
	uint64_t vaddr; /* page (MOVE, EXCHANGE) or 2 MiB block (COLLAPSE) */
	uint64_t pfn; /* MOVE, EXCHANGE: the target frame */
	uint32_t splits; /* out: large folios split for the op (kmod) */
	uint32_t whole; /* out: 1 if a large folio moved whole (kmod) */
};

struct backend_info {
	enum backend_kind kind;
	unsigned int caps; /* BACKEND_CAP_* */
	unsigned int abi_version; /* kmod: the module's ABI; else 0 */
	unsigned int max_batch; /* most ops per apply() call */
	/* kmod: how batches reach the module, "io_uring" or "ioctl"; else "" */
	char submission[16];
	/* kmod over io_uring: batches in flight at most; else 1 */
	unsigned int depth;
	/* kmod over ioctls: why not io_uring (lives as long as the backend) */
	const char *submission_why;
	/* 1: an EXCHANGE goes by migration (no in-place exchange); else 0 */
	unsigned int exchange_by_migration;
};

struct backend;

struct backend_ops {
	int (*info)(struct backend *b, struct backend_info *out);
	/*
	 * Try every op of the batch for process pid; each op gets its
	 * result. 0, or -errno when nothing could be tried (-ESRCH...).
	 */
	int (*apply)(struct backend *b, pid_t pid, struct backend_op *ops,
		     size_t nr);
	/* Current frames of pages [start_vpn, start_vpn + nr) of pid. */
	int (*read_pfns)(struct backend *b, pid_t pid, uint64_t start_vpn,
			 uint64_t nr, uint64_t *pfn);
	/* The frame map to plan against (BACKEND_CAP_PLACE only). */
	int (*frame_map)(struct backend *b, const struct frame_map **out);
	void (*destroy)(struct backend *b);
	/*
	 * Optional (NULL: nothing is kept per process). The job about to
	 * run works on pid, bound to pidfd (the caller's process; -1: an
	 * unbound job, the backend opens its own for the job). What a
	 * backend keeps open for a process belongs to one job's binding,
	 * never to a pid number: it is dropped here. pid 0: the job is
	 * over. The kmod backend's ops name the process by that pidfd.
	 */
	int (*bind)(struct backend *b, pid_t pid, int pidfd);
	/*
	 * Optional. The share of one CPU the caller's work may use, in
	 * percent: a backend that works on several CPUs at once uses at most
	 * ceil(percent / 100 * online CPUs) of them.
	 */
	void (*set_cpu_share)(struct backend *b, unsigned int percent);
	/*
	 * Optional. Nanoseconds of work the backend had done by threads other
	 * than the caller's (the kernel's io_uring workers), in total.
	 */
	uint64_t (*async_ns)(struct backend *b);
};

struct backend {
	const struct backend_ops *ops;
	enum backend_kind kind;
	/* Why this backend (auto selection), for the log and the stats. */
	char reason[160];
};

/* "sim", "collapse", "kmod": the names used on the command line. */
const char *backend_kind_name(enum backend_kind kind);
/* 0 and *out, or -EINVAL for an unknown name. */
int backend_kind_parse(const char *name, enum backend_kind *out);

static inline int backend_info(struct backend *b, struct backend_info *out)
{
	return b->ops->info(b, out);
}

static inline int backend_apply(struct backend *b, pid_t pid,
				struct backend_op *ops, size_t nr)
{
	return b->ops->apply(b, pid, ops, nr);
}

static inline int backend_read_pfns(struct backend *b, pid_t pid,
				    uint64_t start_vpn, uint64_t nr,
				    uint64_t *pfn)
{
	return b->ops->read_pfns(b, pid, start_vpn, nr, pfn);
}

/* 0, or -errno: then nothing is bound and calls open what they need. */
static inline int backend_bind(struct backend *b, pid_t pid, int pidfd)
{
	return b->ops->bind ? b->ops->bind(b, pid, pidfd) : 0;
}

static inline void backend_set_cpu_share(struct backend *b,
					 unsigned int percent)
{
	if (b->ops->set_cpu_share)
		b->ops->set_cpu_share(b, percent);
}

static inline uint64_t backend_async_ns(struct backend *b)
{
	return b->ops->async_ns ? b->ops->async_ns(b) : 0;
}

void backend_destroy(struct backend *b);

/*
 * collapse: proc_root is where pagemap and smaps are read ("/proc" when
 * NULL). 0 and *out, or -errno.
 */
int backend_collapse_create(const char *proc_root, struct backend **out);

/*
 * kmod: opens /dev/contig and checks its ABI. 0 and *out, -ENOENT (no
 * device), -EPROTO (unknown ABI version), -errno.
 */
int backend_kmod_create(const char *proc_root, struct backend **out);

/*
 * Does the VMA holding addr carry MADV_NOHUGEPAGE ("nh" in smaps
 * VmFlags)? 1, 0, or -errno.
 */
int backend_vma_nohugepage(const char *proc_root, pid_t pid, uint64_t addr);

/*
 * Pick a backend by kind, or for "auto" (want == NULL): kmod if
 * /dev/contig answers INFO with a known ABI, else collapse. The reason
 * lands in (*out)->reason; why what was probed said (also on failure).
 * 0, -ENODEV (asked for kmod, not usable), -EOPNOTSUPP (sim: only
 * through backend_sim_create), -errno.
 */
int backend_select(const enum backend_kind *want, const char *proc_root,
		   struct backend **out, char *why, size_t why_size);

#endif
