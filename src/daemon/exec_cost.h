/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The executor's clock: each batch timed into the cost model (cost.h) and
 * each phase of a pass into the stats.
 */
#ifndef CONTIG_DAEMON_EXEC_COST_H
#define CONTIG_DAEMON_EXEC_COST_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "cost.h"
#include "stats.h"

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t exec_cost_now(void);

/*
 * The batch ops[0..nr) went through the backend since t0 (exec_cost_now):
 * its time goes to the phase "apply" of st and, split by op kind, into c.
 * Every op counts, done or failed: the batch took that long with them.
 * c or st may be NULL.
 */
void exec_cost_batch(struct cost_model *c, struct stats *st,
		     const struct backend_op *ops, size_t nr, uint64_t t0);

/* The time since t0 to phase ph of st (NULL: nothing). */
void exec_cost_phase(struct stats *st, enum stats_phase ph, uint64_t t0);

/* The op times of c (NULL: nothing) into st (NULL: nothing). */
void exec_cost_stats(const struct cost_model *c, struct stats *st);

#endif
