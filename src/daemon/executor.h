/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One defragmentation pass over a virtual range of one process:
 *
 *   read the frames (pagemap, or the sim) -> metrics before
 *   -> BACKEND_CAP_PLACE: anchor + plan from the core, MOVE/EXCHANGE ops
 *      BACKEND_CAP_COLLAPSE_2M: one COLLAPSE op per eligible block (2 MiB-
 *      aligned, wholly in the range, some page present: collapsing an empty
 *      block would only add memory) not yet backed by an aligned 2 MiB
 *      frame block
 *   -> batches through the backend under a pages/s budget; after every
 *      batch the frames are read again and what really moved is counted
 *   -> ops failing with -EBUSY/-EAGAIN are retried with exponential
 *      backoff, then given up and counted
 *   -> placing: when every op succeeded but the range is not one run
 *      (a page moved meanwhile), or the reading showed two pages on one
 *      frame (torn by the process's own churn), read and plan again,
 *      EXEC_MAX_PLANS in all
 *   -> metrics after
 *   -> BACKEND_CAP_PROMOTE_2M: every 2 MiB block now on one aligned 2 MiB
 *      frame block becomes a huge page in place (promote.h).
 *
 * Target: BACKEND_CAP_PLACE, the range's present pages form one run;
 * collapse, every eligible block is aligned.
 */
#ifndef CONTIG_DAEMON_EXECUTOR_H
#define CONTIG_DAEMON_EXECUTOR_H

#include <stdint.h>
#include <sys/types.h>

#include "anchor.h"
#include "backend.h"
#include "metrics.h"
#include "stats.h"

struct exec_params {
	uint64_t budget_pages; /* pages per second; 0: no limit */
	unsigned int batch; /* ops per backend call (capped by the backend) */
	unsigned int max_retries; /* rounds of retries for -EBUSY/-EAGAIN */
	uint64_t backoff_ns; /* wait before the first retry; doubles */
	struct anchor_params anchor;
	const char *proc_root; /* for smaps (NOHUGEPAGE check) */
	/* Sleeping, replaceable by tests; NULL: nanosleep. */
	void (*sleep_ns)(uint64_t ns);
	/*
	 * Physical windows already claimed (NULL: none). The pass removes
	 * claim_owner's earlier claim, avoids everyone else's, and claims
	 * its anchor's window for claim_owner; the claim stays after the
	 * pass until the caller removes it (rt_remove_owner).
	 */
	struct range_tree *claims;
	uint64_t claim_owner;
	/* Between batches: ops done so far of ops planned. May be NULL. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	/* Between batches: non-zero ends the pass with -ECANCELED. */
	int (*cancelled)(void *arg);
	void *cb_arg;
	/*
	 * Op times (cost.h), NULL: none. Every batch is timed into it, and
	 * the anchor weighs windows by it (anchor.cost is set from it).
	 */
	struct cost_model *cost;
};

#define EXEC_PARAMS_DEFAULT                                              \
	{                                                                \
		.budget_pages = 262144, .batch = 256, .max_retries = 3,  \
		.backoff_ns = 10000000, .anchor = ANCHOR_PARAMS_DEFAULT, \
	}

/*
 * Largest range one pass works on: 16 Mi pages (64 GiB), whose two frame
 * arrays take 256 MiB. Larger anonymous mappings are reservations (an
 * allocator's arena, a sanitizer's shadow), not buffers.
 */
#define EXEC_MAX_PAGES (UINT64_C(16) << 20)

/* Plans in one pass at most (see place_range in executor.c). */
#define EXEC_MAX_PLANS 3

struct exec_result {
	struct contig_metrics before, after;
	unsigned int plans; /* plans made (placing backends) */
	unsigned int stale; /* of them refused: pages moved while read */
	uint64_t ops; /* ops planned, all plans */
	uint64_t attempts; /* backend op attempts, retries included */
	uint64_t done; /* ops the backend reported done */
	uint64_t retries;
	uint64_t failed; /* ops given up, any reason */
	uint64_t failed_by[STATS_REASON_COUNT];
	uint64_t pages_verified; /* pages newly seen at their target */
	uint64_t eligible_blocks; /* collapse: blocks with present pages */
	uint64_t refused; /* collapse: blocks refused (MADV_NOHUGEPAGE) */
	uint64_t promoted; /* blocks made huge pages in place */
	uint64_t promote_refused; /* aligned blocks the kernel refused */
	int reached; /* 1: target reached */
	int claimed; /* a window is claimed for claim_owner */
	uint64_t win_start, win_end; /* the anchor's window, when planned */
	double seconds;
};

/*
 * Run one pass over [start, end) (page-aligned) of pid. 0 (see
 * r->reached), or -errno when the pass could not run: -ESRCH, -EPERM
 * (frames hidden), -EINVAL (bad range), -E2BIG (over EXEC_MAX_PAGES),
 * -ENOMEM, -ECANCELED, -ENOSPC (no window free of other claims). st may
 * be NULL.
 */
int exec_pass(struct backend *b, pid_t pid, uint64_t start, uint64_t end,
	      const struct exec_params *p, struct stats *st,
	      struct exec_result *r);

#endif
