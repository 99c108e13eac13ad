/* SPDX-License-Identifier: MIT */
/*
 * contig_proto.h - the control socket protocol of contigd
 *
 * A SOCK_SEQPACKET socket, /run/contigd/contigd.sock (or under contigd's
 * --runtime-dir). One request per packet, answered by zero or more
 * PROGRESS packets and exactly one reply packet, in order, on the same
 * connection. A client may keep a connection open for many requests but
 * has one request in flight at a time.
 *
 * Every packet starts with struct contig_msg_hdr. All fields are in host
 * byte order (the socket is local), fixed-size and naturally aligned, with
 * explicit reserved fields that must be zero. A request whose size, type,
 * flags or reserved fields are not exactly right is answered with an
 * error reply (type CONTIG_MSG_ERROR) and changes nothing.
 *
 * Who may target what is decided by the kernel, never by anything in the
 * payload: a request naming a process (HINT, DEFRAG, SHOW; pid 0 too)
 * must come with one descriptor, passed with SCM_RIGHTS, of that
 * process's /proc/PID/pagemap (/proc/self/pagemap for pid 0), opened by
 * the caller: the kernel opens it only for a caller that passes its
 * ptrace read check. The daemon acts only on the process and address
 * space that descriptor designates; without it the request is refused
 * (EPERM). Further descriptors in a packet are closed unread.
 *
 * A connection the daemon cannot take (all slots busy, or the caller's
 * uid holds its share) gets one CONTIG_MSG_ERROR packet with seq 0 and
 * error EBUSY, then is closed.
 */
#ifndef CONTIG_PROTO_H
#define CONTIG_PROTO_H

#include <linux/types.h>

#define CONTIG_RUNTIME_DIR "/run/contigd"
#define CONTIG_SOCKET_NAME "contigd.sock"

#define CONTIG_PROTO_MAGIC 0x434f4e54u /* "CONT" */
/* Bumped on any incompatible change below. */
#define CONTIG_PROTO_VERSION 1

/* No request is larger; a larger packet is refused unread (EMSGSIZE). */
#define CONTIG_PROTO_MAX_REQUEST 256
/* No reply is larger: a client's receive buffer of this size suffices. */
#define CONTIG_PROTO_MAX_REPLY 65536

struct contig_msg_hdr {
	__u32 magic; /* CONTIG_PROTO_MAGIC */
	__u16 version; /* CONTIG_PROTO_VERSION */
	__u16 type; /* enum contig_msg_type */
	__u32 len; /* bytes in the packet, this header included */
	__u32 seq; /* chosen by the client, echoed in the answers */
};

enum contig_msg_type {
	/* Requests. */
	CONTIG_MSG_HINT = 1, /* struct contig_req_range */
	CONTIG_MSG_DEFRAG = 2, /* struct contig_req_range */
	CONTIG_MSG_STATUS = 3, /* struct contig_msg_hdr only */
	CONTIG_MSG_SHOW = 4, /* struct contig_req_show */

	/* Answers: the request's type | CONTIG_MSG_REPLY. */
	CONTIG_MSG_REPLY = 0x8000,
	/* HINT, DEFRAG: struct contig_rep_result. */
	/* STATUS: struct contig_rep_status. */
	/* SHOW: struct contig_rep_show. */
	/* struct contig_rep_progress, before the reply (CONTIG_REQ_PROGRESS). */
	CONTIG_MSG_PROGRESS = 0x4000,
	/* struct contig_reply_hdr only: the request could not be read. */
	CONTIG_MSG_ERROR = 0x7fff,
};

/* struct contig_req_range.flags */
/* HINT: exactly one of the three modes. */
#define CONTIG_HINT_WANT (1u << 0) /* queue the range */
#define CONTIG_HINT_NOW (1u << 1) /* queue it first; implies WAIT */
#define CONTIG_HINT_NEVER (1u << 2) /* exclude it from observer-driven work */
#define CONTIG_HINT_MODE_MASK 0x7u
/* HINT, DEFRAG: reply when the work is done, not when it is queued. */
#define CONTIG_REQ_WAIT (1u << 8)
/* With WAIT: send PROGRESS packets while working. */
#define CONTIG_REQ_PROGRESS (1u << 9)
#define CONTIG_REQ_FLAGS_MASK                                         \
	(CONTIG_HINT_MODE_MASK | CONTIG_REQ_WAIT | CONTIG_REQ_PROGRESS)

struct contig_req_range {
	struct contig_msg_hdr h;
	__s32 pid; /* 0: the caller (its SO_PEERCRED pid) */
	__u32 flags; /* CONTIG_HINT_*, CONTIG_REQ_* */
	__u64 start; /* page-aligned; start == end == 0: all anonymous memory */
	__u64 end; /* page-aligned, one past the range */
	__u32 timeout_ms; /* WAIT: give up after this; 0: the daemon's default */
	__u32 reserved; /* zero */
};

struct contig_req_show {
	struct contig_msg_hdr h;
	__s32 pid; /* 0: the caller */
	__u32 reserved; /* zero */
};

/*
 * Every answer starts with this. error is 0 or a positive errno:
 *   EBADMSG     malformed: bad magic, size, type, flags or reserved field
 *   EPROTO      unknown protocol version (the reply carries ours)
 *   EMSGSIZE    larger than CONTIG_PROTO_MAX_REQUEST
 *   EINVAL      a bad range (not page-aligned, start >= end, no such memory),
 *               or a thread id (name the process)
 *   ESRCH       no such process, or it exited or exec'd since the
 *               request was checked ("target changed: pid N exec'd")
 *   EPERM       the caller may not target that process (no, or not
 *               the right, /proc/PID/pagemap descriptor)
 *   EBUSY       connection refused: all slots busy (seq 0, see above)
 *   ETIMEDOUT   WAIT: not done within the timeout (the work goes on)
 *   EAGAIN      the queue is full, the caller's uid has its share of it
 *               queued, or the daemon is shutting down
 *   ENOSPC      HINT NEVER: the process has 64 excluded ranges already
 *               (adjacent and overlapping ones count as one)
 *   ENODEV      the backend cannot do it (e.g. no frame numbers)
 *   EIO         the pass ran and failed
 * An answer with an error may consist of this header alone, whatever its
 * type. message is a NUL-terminated line for humans, e.g.
 * "Permission denied: the caller may not read the memory of pid 42 (no
 * /proc/42/pagemap descriptor)".
 */
struct contig_reply_hdr {
	struct contig_msg_hdr h;
	__s32 error;
	__u32 flags; /* CONTIG_REP_* */
	char message[120];
};

/* struct contig_reply_hdr.flags */
#define CONTIG_REP_QUEUED (1u << 0) /* accepted, not waited for */
#define CONTIG_REP_REACHED (1u << 1) /* the target contiguity was reached */
#define CONTIG_REP_TRUNCATED (1u << 2) /* SHOW: more VMAs than fit */

/* Contiguity of a range; see contig_metrics in the sources. */
struct contig_figures {
	__u64 pages; /* pages in the range */
	__u64 present; /* pages with a frame */
	__u64 runs; /* maximal runs, VA and PFN both +1 */
	__u64 largest_run; /* pages in the largest run */
	__u64 runs_99; /* fewest runs covering 99 % of present pages */
	__u64 aligned_2m; /* 2 MiB blocks backed by an aligned 2 MiB frame */
};

struct contig_rep_result {
	struct contig_reply_hdr r;
	struct contig_figures before; /* zero when only queued */
	struct contig_figures after;
	__u64 ops; /* page operations planned */
	__u64 done; /* reported done by the backend */
	__u64 failed; /* given up */
	__u64 pages_verified; /* seen at their target afterwards */
	__u64 duration_us;
	__u32 pieces; /* VMA pieces of the range worked on */
	__u32 reserved;
};

struct contig_rep_progress {
	struct contig_reply_hdr r;
	__u64 ops_done;
	__u64 ops_total; /* of the pieces planned so far */
	__u32 pieces_done;
	__u32 pieces_total;
};

#define CONTIG_NAME_LEN 16

struct contig_rep_status {
	struct contig_reply_hdr r;
	char version[CONTIG_NAME_LEN]; /* contigd's version */
	char backend[CONTIG_NAME_LEN]; /* "kmod", "collapse", "sim" */
	char observer[CONTIG_NAME_LEN]; /* "bpf", "proc", "none" */
	char backend_reason[160]; /* why that backend */
	__u32 backend_abi; /* kmod: the module's ABI version; else 0 */
	__u32 queue_length; /* ranges waiting */
	__u32 watched; /* processes the observer watches */
	__u32 claims; /* physical windows claimed */
	__u64 uptime_s;
	__u64 passes; /* defrag passes run */
	__u64 pages_moved;
	__u64 pages_exchanged;
	__u64 blocks_collapsed;
	__u64 ops_failed;
	__u64 bytes_contiguous;
	char heat_source[CONTIG_NAME_LEN]; /* "young", "proc", "fault"... */
	char tlb[96]; /* the TLB-miss source: "none (no hardware PMU)"... */
	char submission[CONTIG_NAME_LEN]; /* kmod: "io_uring", "ioctl"; else "" */
	__u32 depth; /* kmod over io_uring: batches in flight at most */
	__u32 reserved0;
};

/* struct contig_show_vma.state */
#define CONTIG_VMA_QUEUED (1u << 0) /* waiting for a pass */
#define CONTIG_VMA_RUNNING (1u << 1) /* a pass is working on it */
#define CONTIG_VMA_CLAIMED (1u << 2) /* holds a physical window */
#define CONTIG_VMA_NEVER (1u << 3) /* excluded (CONTIG_HINT_NEVER) */
#define CONTIG_VMA_HINTED (1u << 4) /* asked for by the application */
#define CONTIG_VMA_DONE (1u << 5) /* last pass reached its target */
/* Bits 24-27 of state: where the heat comes from (CONTIG_HEAT_*). */
#define CONTIG_VMA_SRC_SHIFT 24
#define CONTIG_VMA_SRC_MASK (0xfu << CONTIG_VMA_SRC_SHIFT)
#define CONTIG_HEAT_NONE 0
#define CONTIG_HEAT_FAULT 1 /* page faults counted */
#define CONTIG_HEAT_YOUNG 2 /* accessed bits sampled */
#define CONTIG_HEAT_PROC 3 /* smaps Referenced + clear_refs */
#define CONTIG_HEAT_TLB 4 /* dTLB-miss samples */

#define CONTIG_PFN_UNKNOWN (~0ULL)

struct contig_show_vma {
	__u64 start; /* the VMA, as the daemon knows it */
	__u64 end;
	__u64 heat; /* observer heat, fixed point: 1000 = one access/s */
	__u64 anchor_pfn; /* frame of the first page; CONTIG_PFN_UNKNOWN */
	__u64 last_runs; /* runs at the last verification; 0: never */
	__u64 last_pass_unix; /* when; 0: never */
	__u32 state; /* CONTIG_VMA_* */
	__u32 failures; /* ops given up on this VMA */
};

#define CONTIG_SHOW_MAX                                          \
	((CONTIG_PROTO_MAX_REPLY - sizeof(struct contig_reply_hdr) - 8) / \
	 sizeof(struct contig_show_vma))

struct contig_rep_show {
	struct contig_reply_hdr r;
	__u32 nr; /* entries that follow */
	__u32 reserved;
	struct contig_show_vma vma[];
};

#endif
