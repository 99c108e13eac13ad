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
#include <linux/kernel.h>
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

static const void *contig_uring_pdu(struct io_uring_cmd *ioucmd)
{
#if CONTIG_URING_SQE
	return io_uring_sqe_cmd(ioucmd->sqe);
#else
	return ioucmd->cmd;
#endif
}

int contig_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const u8 *pdu = contig_uring_pdu(ioucmd);
	struct contig_uring_cmd c;
	unsigned int cmd;

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
	/* io_uring keeps its own copy of the SQE once it has punted it. */
	memcpy(&c, pdu, sizeof(c));
	if (c.flags || c.reserved)
		return -EINVAL;
	if ((issue_flags & IO_URING_F_SQE128) &&
	    memchr_inv(pdu + sizeof(c), 0, CONTIG_URING_PDU128 - sizeof(c)))
		return -EINVAL;
	/*
	 * A batch blocks (page locks, migration, copies): never run it in the
	 * submitter's io_uring_enter().  -EAGAIN there makes io_uring hand the
	 * request to an async worker, which calls again without NONBLOCK.
	 */
	if (issue_flags & IO_URING_F_NONBLOCK)
		return -EAGAIN;
	return contig_run_batch(cmd, u64_to_user_ptr(c.batch));
}
