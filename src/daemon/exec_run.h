/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One pass of the executor as its parts share it (executor.c, the plan
 * path; exec_collapse.c, the collapse path).
 */
#ifndef CONTIG_DAEMON_EXEC_RUN_H
#define CONTIG_DAEMON_EXEC_RUN_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "backend.h"
#include "executor.h"
#include "stats.h"

#define PAGE_BYTES (UINT64_C(1) << CONTIG_PAGE_SHIFT)
#define BLOCK_PAGES ((uint64_t)CONTIG_PAGES_2M)

struct run;

/* After a batch: re-read the frames, count what really changed. */
typedef int (*verify_fn)(struct run *rn, const struct backend_op *ops,
			 size_t nr);

struct run {
	struct backend *b;
	pid_t pid;
	const struct exec_params *p;
	struct stats *st;
	struct exec_result *r;
	size_t batch;
	uint64_t pages_per_op;
	uint64_t pages_issued;
	struct timespec t0;
	verify_fn verify;
	/* the range and its frames as last read */
	uint64_t start_vpn;
	uint64_t nr;
	uint64_t *pfn;
	uint64_t *tmp;
	uint64_t *touched; /* a batch's page indices, sorted (batch entries) */
	int pfn_fresh; /* pfn[] read whole since the last op */
	int have_offset; /* an earlier plan of the pass chose offset */
	int64_t offset;
};

/* Give up on an op for good, counted under why. */
void give_up(struct run *rn, enum stats_reason why);
/* Run ops in batches, verify each, retry the retryable: 0 or -errno. */
int run_ops(struct run *rn, struct backend_op *ops, size_t nr);

/* The collapse path (exec_collapse.c). */
int exec_pass_collapse(struct run *rn);
/* Every block with present pages aligned (as last read)? */
int exec_collapse_reached(const struct run *rn);

#endif
