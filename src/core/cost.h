/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cost model: the expected time of each kind of page operation, so that
 * the anchor and the planner weigh a plan by time and not by op count.
 *
 * Kinds: a MOVE into a free frame the backend claims, an EXCHANGE in
 * place, and an EXCHANGE by migration (the kernel helper without its
 * in-place exchange). The daemon times every batch it hands the backend
 * (cost_observe: how many ops of each kind, how many nanoseconds) and the
 * model fits a time per kind by least squares over the recent batches
 * (each older batch weighs COST_DECAY of the next), with the prior as a
 * faint extra observation: COST_PRIOR_OPS of an op of each kind alone at
 * the prior's time. Against a few batches it weighs next to nothing, but
 * a kind never measured, or never measured apart from another (always in
 * the same mix), keeps the prior's time or ratio.
 *
 * Pure: no clocks, no globals; the caller measures.
 */
#ifndef CONTIG_CORE_COST_H
#define CONTIG_CORE_COST_H

#include <stdbool.h>
#include <stdint.h>

enum cost_kind {
	COST_MOVE = 0, /* a page into a claimed free frame */
	COST_EXCHANGE, /* two pages swap frames in place */
	COST_EXCHANGE_MIGRATE, /* the same by migration through a free frame */
	COST_KINDS,
};

/*
 * The prior, in nanoseconds per op: ratios from the kernel helper's
 * microbenchmark (README, "Claims without drains": a move into a claimed
 * frame about 0.7 of an in-place exchange; the swap by migration into
 * chosen frames some 7-15 times it). Absolute values matter only
 * against each other.
 */
#define COST_PRIOR_MOVE_NS 40000.0
#define COST_PRIOR_EXCHANGE_NS 57000.0
#define COST_PRIOR_EXCHANGE_MIGRATE_NS 400000.0
#define COST_PRIOR_OPS 0.1
#define COST_DECAY 0.97

struct cost_model {
	double prior_ns[COST_KINDS];
	double ns[COST_KINDS]; /* in use: the fit, or the prior */
	/* decayed normal equations of the batches seen: sum n n^T, sum n t */
	double nn[COST_KINDS][COST_KINDS];
	double nt[COST_KINDS];
	uint64_t batches; /* batches observed */
	uint64_t ops[COST_KINDS]; /* ops observed, per kind */
	/* What an EXCHANGE of a plan costs: COST_EXCHANGE or _MIGRATE. */
	enum cost_kind exchange;
};

/* The prior, nothing observed, exchanges in place. */
void cost_init(struct cost_model *c);
/* The prior given per kind (each > 0), else as cost_init. 0 or -EINVAL. */
int cost_init_prior(struct cost_model *c, const double prior_ns[COST_KINDS]);
/* How the backend exchanges: by migration or in place. */
void cost_set_exchange(struct cost_model *c, bool by_migration);
/*
 * One batch: n[k] ops of kind k took ns nanoseconds in all. 0, or
 * -EINVAL when the batch had no op (nothing is learnt).
 */
int cost_observe(struct cost_model *c, const uint64_t n[COST_KINDS],
		 uint64_t ns);
/* Expected nanoseconds of one MOVE / one EXCHANGE of a plan. */
double cost_move_ns(const struct cost_model *c);
double cost_exchange_ns(const struct cost_model *c);
/* Expected nanoseconds of a plan of that many moves and exchanges. */
double cost_plan_ns(const struct cost_model *c, uint64_t moves,
		    uint64_t exchanges);
/*
 * Expected nanoseconds to place misplaced pages in a window whose frames
 * not holding our pages are free (free) or hold others' pages (foreign):
 * a path of the plan ends at one of those frames and is all MOVEs or all
 * EXCHANGEs accordingly, so the pages split in that proportion (all
 * EXCHANGEs when there is neither: cycles among our own pages).
 */
double cost_window_ns(const struct cost_model *c, uint64_t misplaced,
		      uint64_t free, uint64_t foreign);
/* The cheaper of a MOVE and an EXCHANGE: a lower bound per page. */
double cost_min_ns(const struct cost_model *c);
/* "move", "exchange", "exchange_migrate" */
const char *cost_kind_name(enum cost_kind k);

#endif
