// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/contig through io_uring: IORING_OP_URING_CMD carries a pointer to
 * a batch, which runs exactly as the MOVE/EXCHANGE ioctl runs it (the same
 * function, so the same permission checks) on one of io_uring's async
 * workers.  Several batches in flight thus run at once, one worker each;
 * the submitter bounds how many with IORING_REGISTER_IOWQ_MAX_WORKERS.
 * See contig(4).
 */
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "contig.h"
#include "contig_ioctl.h"

#if CONTIG_URING_SQE
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif

/* The SQE's command payload: 16 bytes, 80 on an SQE128 ring. */
#define CONTIG_URING_PDU 16
#define CONTIG_URING_PDU128 80

bool contig_uring_available(void)
{
	return IS_ENABLED(CONFIG_IO_URING);
}

static const void *contig_uring_sqe_pdu(struct io_uring_cmd *ioucmd)
{
#if CONTIG_URING_SQE
	return io_uring_sqe_cmd(ioucmd->sqe);
#else
	return ioucmd->cmd;
#endif
}

/*
 * The payload as read in the non-blocking first call, kept in the
 * request's pdu for the async worker's call: 6.12's io_uring (before
 * "switch sqe to async_data on EAGAIN") copies the SQE when a command
 * answers -EAGAIN but leaves ioucmd->sqe on the ring's slot, which the
 * submitter may have reused by then.  magic and tgid tell a payload kept
 * by this request from what an earlier user of the same memory left; the
 * one case they cannot tell is a request of the same process cancelled
 * between its two calls whose memory serves that process's next request
 * (submitted with IOSQE_ASYNC): the earlier batch, the process's own, is
 * then run in its place, with the same checks.
 */
struct contig_uring_stash {
	struct contig_uring_cmd c;
	u32 magic;
	pid_t tgid;
};

#define CONTIG_URING_MAGIC 0xc6a5e17dU

static struct contig_uring_stash *contig_uring_stash(struct io_uring_cmd *ioucmd)
{
	BUILD_BUG_ON(sizeof(struct contig_uring_stash) >
		     sizeof(ioucmd->pdu));
	return (struct contig_uring_stash *)ioucmd->pdu;
}

/* The payload: from the SQE, checked; 0 or -EINVAL. */
static int contig_uring_read(struct io_uring_cmd *ioucmd,
			     unsigned int issue_flags,
			     struct contig_uring_cmd *c)
{
	const u8 *pdu = contig_uring_sqe_pdu(ioucmd);

	memcpy(c, pdu, sizeof(*c));
	if (c->flags || c->reserved)
		return -EINVAL;
	if ((issue_flags & IO_URING_F_SQE128) &&
	    memchr_inv(pdu + sizeof(*c), 0, CONTIG_URING_PDU128 - sizeof(*c)))
		return -EINVAL;
	return 0;
}

int contig_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct contig_uring_stash *st = contig_uring_stash(ioucmd);
	struct contig_uring_cmd c;
	unsigned int cmd;
	int ret;

	switch (ioucmd->cmd_op) {
	case CONTIG_URING_MOVE:
		cmd = CONTIG_IOC_MOVE;
		break;
	case CONTIG_URING_EXCHANGE:
		cmd = CONTIG_IOC_EXCHANGE;
		break;
	default:
		return -ENOTTY;
	}
	if (st->magic == CONTIG_URING_MAGIC && st->tgid == current->tgid &&
	    !(issue_flags & IO_URING_F_NONBLOCK)) {
		c = st->c;
		ret = 0;
	} else {
		ret = contig_uring_read(ioucmd, issue_flags, &c);
	}
	st->magic = 0;
	if (ret)
		return ret;
	/*
	 * A batch blocks (page locks, migration, copies): never run it in the
	 * submitter's io_uring_enter().  -EAGAIN there makes io_uring hand the
	 * request to an async worker, which calls again without NONBLOCK.
	 */
	if (issue_flags & IO_URING_F_NONBLOCK) {
		st->c = c;
		st->tgid = current->tgid;
		st->magic = CONTIG_URING_MAGIC;
		return -EAGAIN;
	}
	return contig_run_batch(cmd, u64_to_user_ptr(c.batch));
}
