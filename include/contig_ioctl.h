/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * contig_ioctl.h - user space ABI of the contig kernel helper (/dev/contig)
 *
 * Shared by the kernel module (kmod/) and user space (C11).  Only fixed-size
 * __u32/__s32/__u64 fields, naturally aligned, no padding holes, so that the
 * layout is the same for every compiler and for 32- and 64-bit callers.
 * Pointers travel as __u64.  See contig(4).
 */
#ifndef CONTIG_IOCTL_H
#define CONTIG_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CONTIG_DEVICE_PATH "/dev/contig"

/*
 * Bumped on any incompatible change of the structures below.
 * 2: struct contig_op.outcome (was reserved0); the fields an op's kind does
 *    not use must be zero; CONTIG_CAP_LSM_CHECK; CONTIG_OP_F_PIDFD.
 */
#define CONTIG_ABI_VERSION 2

/* Largest accepted struct contig_batch.count; larger batches get E2BIG. */
#define CONTIG_MAX_BATCH 1024

/* struct contig_info.caps */
/* EXCHANGE swaps the two pages' contents and mappings in place. */
#define CONTIG_CAP_EXCHANGE_INPLACE (1ULL << 0)
/* MOVE works, and EXCHANGE works by migration (evict, then fill). */
#define CONTIG_CAP_MIGRATE_FALLBACK (1ULL << 1)
/* Transparent huge pages are moved/exchanged whole (not yet: never set). */
#define CONTIG_CAP_THP (1ULL << 2)
/* ptrace access to the target is checked exactly (else CAP_SYS_PTRACE). */
#define CONTIG_CAP_PTRACE_CHECK (1ULL << 3)
/* Security modules are asked, as move_pages() asks them. */
#define CONTIG_CAP_LSM_CHECK (1ULL << 4)
/* CONTIG_OP_F_PIDFD is understood. */
#define CONTIG_CAP_PIDFD (1ULL << 5)
/* CONTIG_IOC_SAMPLE works: accessed bits sampled, kept for reclaim. */
#define CONTIG_CAP_SAMPLE (1ULL << 6)
/* Batches can be submitted through io_uring (struct contig_uring_cmd). */
#define CONTIG_CAP_URING (1ULL << 7)
/* CONTIG_OP_F_SPLIT is understood: large folios in the way are split. */
#define CONTIG_CAP_SPLIT (1ULL << 8)
/* CONTIG_OP_PROMOTE works: aligned contiguous blocks become THPs in place. */
#define CONTIG_CAP_PROMOTE (1ULL << 9)
/*
 * CONTIG_OP_F_WHOLE is understood: a MOVE places a large folio whole into
 * a free window aligned to its size.  (Bit 9 belongs to promotion.)
 */
#define CONTIG_CAP_LARGE_FOLIO (1ULL << 10)

struct contig_info {
	__u32 abi_version; /* CONTIG_ABI_VERSION of the module */
	__u32 max_batch; /* CONTIG_MAX_BATCH of the module */
	__u64 caps; /* CONTIG_CAP_* */
	__u32 page_size; /* bytes in a base page */
	__u32 reserved0;
	__u64 reserved[4]; /* zero */
};

/* struct contig_op.kind */
enum contig_op_kind {
	/*
	 * Migrate the page at (pid_a, vaddr_a) into frame pfn (a movable
	 * occupant is evicted first), or into any free frame of the page's
	 * node if pfn is CONTIG_PFN_ANY.
	 */
	CONTIG_OP_MOVE = 1,
	/* Exchange the pages at (pid_a, vaddr_a) and (pid_b, vaddr_b). */
	CONTIG_OP_EXCHANGE = 2,
	/*
	 * Exchange the page at (pid_a, vaddr_a) with the anonymous page that
	 * occupies frame pfn, whoever maps it.  A free frame makes it a MOVE.
	 */
	CONTIG_OP_EXCHANGE_PFN = 3,
	/*
	 * In an EXCHANGE batch: the 2 MiB block that starts at vaddr_a
	 * (aligned) in pid_a, 512 base pages in 512 frames that are
	 * contiguous and aligned (the first frame's pfn a multiple of 512,
	 * page i in frame pfn0 + i), becomes one transparent huge page
	 * mapped by a PMD, in place: no page is copied.  pfn, pid_b and
	 * vaddr_b must be zero.  Needs CONTIG_CAP_PROMOTE; the per-block
	 * refusals are listed in contig(4).
	 */
	CONTIG_OP_PROMOTE = 4,
};

/* struct contig_op.pfn of a MOVE: wherever the page allocator chooses. */
#define CONTIG_PFN_ANY (~0ULL)

/* struct contig_op.flags */
/* Do not use the in-place exchange even when it is available. */
#define CONTIG_OP_F_MIGRATE (1U << 0)
/*
 * pid_a and pid_b are pidfds of the caller (pidfd_open(2)), not pids: a
 * pidfd cannot come to name another process.  Needs CONTIG_CAP_PIDFD
 * (else -EOPNOTSUPP); a descriptor that is not a pidfd gets -EBADF.
 */
#define CONTIG_OP_F_PIDFD (1U << 1)
/*
 * Where the op would fail with -EOPNOTSUPP because the page at vaddr_a or
 * vaddr_b, or the occupant of frame pfn, is part of a large folio (THP,
 * mTHP), split that folio into base pages (no data moves) and run the op
 * on the base page; outcome says which side was split.  A split that
 * fails gives the op its result (-EBUSY: pinned or referenced elsewhere,
 * -EAGAIN: locked).  Needs CONTIG_CAP_SPLIT (else -EOPNOTSUPP stays).
 */
#define CONTIG_OP_F_SPLIT (1U << 2)
/*
 * A MOVE whose page at vaddr_a is part of a large folio (THP, mTHP) moves
 * that folio whole, so that this page lands on frame pfn: the folio's
 * first page on pfn minus the page's index in it, which must be aligned
 * to the folio's size, and every frame of that window must be free.  The
 * folio stays one folio (a THP stays PMD-mapped); outcome gains
 * CONTIG_OUT_WHOLE.  A page already on pfn is done (0).  Where the window
 * is not free or not aligned, or the folio cannot be moved whole (partly
 * mapped, deferred for a split), the op goes on as without the flag
 * (with CONTIG_OP_F_SPLIT: split, then place).  An EXCHANGE_PFN whose
 * page and the occupant of frame pfn are pages of one index in two large
 * folios of one order exchanges the two folios whole, by three migrations
 * through a spare block of the page allocator's (a 2 MiB copy each):
 * outcome CONTIG_OUT_A_MOVED | CONTIG_OUT_B_MOVED | CONTIG_OUT_WHOLE; any
 * other EXCHANGE_PFN goes on as without the flag.  Ignored by EXCHANGE
 * and without CONTIG_CAP_LARGE_FOLIO.
 */
#define CONTIG_OP_F_WHOLE (1U << 3)
#define CONTIG_OP_F_ALL                                         \
	(CONTIG_OP_F_MIGRATE | CONTIG_OP_F_PIDFD | CONTIG_OP_F_SPLIT | \
	 CONTIG_OP_F_WHOLE)

/*
 * One operation.  result is written back by the module:
 *   0           done
 *   -EBUSY      page pinned, locked in memory, or raced with another user
 *   -EAGAIN     transient (page locked, off the LRU, being migrated): retry
 *   -EINVAL     not an anonymous page (file, shmem, special mapping, a
 *               frame the kernel uses: slab, page table), or a malformed op
 *               (unknown kind or flag, nonzero reserved or unused field)
 *   -EOPNOTSUPP huge page (THP/hugetlb; a THP is split first with
 *               CONTIG_OP_F_SPLIT), KSM page, page in the swap cache,
 *               droppable mapping (MAP_DROPPABLE)
 *   -EFAULT     nothing mapped at vaddr (or not present, or a kernel address)
 *   -ESRCH      no such process, or it has no memory (exiting, kernel thread)
 *   -EPERM      no ptrace access to the process, or a security module
 *               refused (security_task_movememory())
 *   -EXDEV      the two frames are in different zones or memory cgroups
 *   -EHWPOISON  a memory error while copying: neither page changed
 * Other negative errno values can appear (-ENOMEM, -EINTR).
 * Fields the op's kind does not use (pid_b and vaddr_b of MOVE and
 * EXCHANGE_PFN, pfn of EXCHANGE) must be zero.  outcome is written back
 * with the result and says which pages changed frame, whatever the result:
 * an exchange by migration that fails in its second step has moved pages.
 */
struct contig_op {
	__u32 kind; /* enum contig_op_kind */
	__u32 flags; /* CONTIG_OP_F_* */
	__s32 pid_a; /* process of vaddr_a */
	__s32 pid_b; /* EXCHANGE: process of vaddr_b; else 0 */
	__u64 vaddr_a; /* any address inside the page */
	__u64 vaddr_b; /* EXCHANGE: the other page; else 0 */
	__u64 pfn; /* MOVE, EXCHANGE_PFN: the frame; else 0 */
	__s32 result; /* out: 0 or -errno */
	__u32 outcome; /* out: CONTIG_OUT_* (ignored on input) */
	__u64 reserved[2]; /* zero */
};

/* struct contig_op.outcome */
/* The page at (pid_a, vaddr_a) now occupies another frame. */
#define CONTIG_OUT_A_MOVED (1U << 0)
/* The page at (pid_b, vaddr_b), or the occupant of frame pfn, was moved. */
#define CONTIG_OUT_B_MOVED (1U << 1)
/* CONTIG_OP_F_SPLIT: the large folio of the page at (pid_a, vaddr_a)... */
#define CONTIG_OUT_SPLIT_A (1U << 2)
/* ...of the page at (pid_b, vaddr_b) or at frame pfn was split. */
#define CONTIG_OUT_SPLIT_B (1U << 3)
/* CONTIG_OP_F_WHOLE: the page's large folio moved whole (no split). */
#define CONTIG_OUT_WHOLE (1U << 4)

struct contig_batch {
	__u32 count; /* number of ops, at most CONTIG_MAX_BATCH */
	__u32 flags; /* zero */
	__u64 ops; /* user pointer to struct contig_op[count] */
	__u32 done; /* out: ops processed (results written) */
	__u32 failed; /* out: ops whose result is not 0 */
	__u64 reserved; /* zero */
};

#define CONTIG_IOC_MAGIC 0xC6
#define CONTIG_IOC_INFO _IOR(CONTIG_IOC_MAGIC, 1, struct contig_info)
#define CONTIG_IOC_MOVE _IOWR(CONTIG_IOC_MAGIC, 2, struct contig_batch)
#define CONTIG_IOC_EXCHANGE _IOWR(CONTIG_IOC_MAGIC, 3, struct contig_batch)

/*
 * Access sampling: for each address, was its page accessed since the
 * last sample (or ever, the first time)?  The page's accessed bit is
 * tested and cleared, and what reclaim would have learnt from it is kept
 * on the page (the idle page flags, as DAMON does; where the kernel has
 * none, the page is marked accessed, as when the kernel zaps a young
 * mapping).  The process is named by a pidfd; the caller needs ptrace
 * read access to it.
 */
#define CONTIG_MAX_SAMPLE 4096

/* struct contig_sample's results: one __u8 per address. */
#define CONTIG_SAMPLE_OLD 0 /* present, not accessed since */
#define CONTIG_SAMPLE_YOUNG 1 /* present, accessed since */
#define CONTIG_SAMPLE_ABSENT 2 /* nothing present there (or no VMA) */

struct contig_sample {
	__s32 pidfd; /* the process (pidfd_open(2)) */
	__u32 count; /* addresses, at most CONTIG_MAX_SAMPLE */
	__u64 addrs; /* user pointer to __u64[count] */
	__u64 results; /* user pointer to __u8[count]: CONTIG_SAMPLE_* */
	__u32 flags; /* zero */
	__u32 young; /* out: results that are CONTIG_SAMPLE_YOUNG */
	__u64 reserved[2]; /* zero */
};

#define CONTIG_IOC_SAMPLE _IOWR(CONTIG_IOC_MAGIC, 4, struct contig_sample)

/*
 * io_uring submission (CONTIG_CAP_URING): an IORING_OP_URING_CMD SQE on an
 * open /dev/contig, cmd_op CONTIG_URING_MOVE or CONTIG_URING_EXCHANGE, its
 * command payload (the SQE's cmd[]: 16 bytes, 80 on an IORING_SETUP_SQE128
 * ring) a struct contig_uring_cmd, the rest of an 80-byte payload zero.
 * The batch it points to is run as by CONTIG_IOC_MOVE/CONTIG_IOC_EXCHANGE,
 * by the same code with the same permission checks, on one of io_uring's
 * async workers: the CQE's res is what the ioctl would return (0 or
 * -errno), the batch's done/failed and every op's result/outcome are
 * written back as the ioctl writes them.  An unknown cmd_op gets -ENOTTY,
 * non-zero flags or reserved bytes -EINVAL, a bad pointer -EFAULT.  A batch
 * of count 0 does nothing and completes with 0: a probe.
 */
struct contig_uring_cmd {
	__u64 batch; /* user pointer to struct contig_batch */
	__u32 flags; /* zero */
	__u32 reserved; /* zero */
};

#define CONTIG_URING_MOVE _IOWR(CONTIG_IOC_MAGIC, 0x42, struct contig_uring_cmd)
#define CONTIG_URING_EXCHANGE \
	_IOWR(CONTIG_IOC_MAGIC, 0x43, struct contig_uring_cmd)

#endif /* CONTIG_IOCTL_H */
