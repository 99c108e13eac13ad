// SPDX-License-Identifier: GPL-2.0-only
/*
 * The executor's clock, see exec_cost.h.
 */
#include <time.h>

#include "exec_cost.h"

uint64_t exec_cost_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void exec_cost_batch(struct cost_model *c, struct stats *st,
		     const struct backend_op *ops, size_t nr, uint64_t t0)
{
	uint64_t n[COST_KINDS] = { 0 }, ns = exec_cost_now() - t0;
	size_t i;

	if (st)
		st->phase_seconds[STATS_PHASE_APPLY] += (double)ns / 1e9;
	if (!c)
		return;
	for (i = 0; i < nr; i++) {
		if (ops[i].kind == BACKEND_OP_MOVE)
			n[COST_MOVE]++;
		else if (ops[i].kind == BACKEND_OP_EXCHANGE)
			n[c->exchange]++;
	}
	/* a batch of other ops (COLLAPSE) teaches nothing: -EINVAL */
	(void)cost_observe(c, n, ns);
}

void exec_cost_phase(struct stats *st, enum stats_phase ph, uint64_t t0)
{
	if (st)
		st->phase_seconds[ph] += (double)(exec_cost_now() - t0) / 1e9;
}

void exec_cost_stats(const struct cost_model *c, struct stats *st)
{
	unsigned int k;

	if (!c || !st)
		return;
	for (k = 0; k < COST_KINDS; k++)
		st->op_cost_ns[k] = c->ns[k];
	st->op_cost_set = 1;
	st->cost_batches = c->batches;
}
