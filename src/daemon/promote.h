/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * In-place promotion after a pass (BACKEND_CAP_PROMOTE_2M): every 2 MiB
 * block wholly in the range whose 512 pages sit on one aligned 2 MiB
 * frame block becomes a PMD-mapped huge page without a copy (the kernel
 * helper's CONTIG_OP_PROMOTE, contig(4)).  A block the kernel maps by a
 * PMD already answers -EEXIST and counts as neither.  A refusal is
 * counted by reason in the stats; it never fails the pass.
 */
#ifndef CONTIG_DAEMON_PROMOTE_H
#define CONTIG_DAEMON_PROMOTE_H

#include <stdint.h>
#include <sys/types.h>

#include "backend.h"
#include "stats.h"

struct promote_result {
	uint64_t candidates; /* aligned blocks asked for */
	uint64_t promoted; /* of them now huge pages */
	uint64_t already; /* of them huge pages already */
	uint64_t refused; /* of them refused (by reason in the stats) */
};

/*
 * 1 if the 512 frames pfn[0..511] of a 2 MiB block are all present and
 * form one aligned frame block (pfn[0] a multiple of 512, pfn[i] =
 * pfn[0] + i), else 0.
 */
int promote_block_aligned(const uint64_t *pfn);

/*
 * Promote the aligned blocks of pages [start_vpn, start_vpn + nr) of pid,
 * whose frames pfn[] were just read.  0, or -errno when the backend could
 * not try at all (-ESRCH: the process is gone).  st may be NULL.
 */
int promote_range(struct backend *b, pid_t pid, uint64_t start_vpn,
		  uint64_t nr, const uint64_t *pfn, struct stats *st,
		  struct promote_result *r);

#endif
