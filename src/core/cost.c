// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cost model: per-kind op times fitted to timed batches, see cost.h.
 */
#include <errno.h>
#include <math.h> /* isfinite: a macro, no libm */
#include <string.h>

#include "cost.h"

/* A fitted time stays within these factors of the prior. */
#define COST_CLAMP_LO 1e-3
#define COST_CLAMP_HI 1e3

static double absd(double x)
{
	return x < 0 ? -x : x;
}

void cost_init(struct cost_model *c)
{
	static const double prior[COST_KINDS] = {
		[COST_MOVE] = COST_PRIOR_MOVE_NS,
		[COST_EXCHANGE] = COST_PRIOR_EXCHANGE_NS,
		[COST_EXCHANGE_MIGRATE] = COST_PRIOR_EXCHANGE_MIGRATE_NS,
	};

	cost_init_prior(c, prior);
}

int cost_init_prior(struct cost_model *c, const double prior_ns[COST_KINDS])
{
	unsigned int k;

	for (k = 0; k < COST_KINDS; k++)
		if (!(prior_ns[k] > 0) || !isfinite(prior_ns[k]))
			return -EINVAL;
	memset(c, 0, sizeof(*c));
	for (k = 0; k < COST_KINDS; k++)
		c->prior_ns[k] = c->ns[k] = prior_ns[k];
	c->exchange = COST_EXCHANGE;
	return 0;
}

void cost_set_exchange(struct cost_model *c, bool by_migration)
{
	c->exchange = by_migration ? COST_EXCHANGE_MIGRATE : COST_EXCHANGE;
}

/*
 * Solve (nn + P^2 I) x = nt + P^2 prior by Gaussian elimination with
 * partial pivoting; the prior term keeps the matrix positive definite.
 */
static void refit(struct cost_model *c)
{
	double a[COST_KINDS][COST_KINDS + 1], w = COST_PRIOR_OPS * COST_PRIOR_OPS;
	unsigned int i, j, k;

	for (i = 0; i < COST_KINDS; i++) {
		for (j = 0; j < COST_KINDS; j++)
			a[i][j] = c->nn[i][j] + (i == j ? w : 0);
		a[i][COST_KINDS] = c->nt[i] + w * c->prior_ns[i];
	}
	for (k = 0; k < COST_KINDS; k++) {
		unsigned int p = k;

		for (i = k + 1; i < COST_KINDS; i++)
			if (absd(a[i][k]) > absd(a[p][k]))
				p = i;
		if (p != k)
			for (j = 0; j <= COST_KINDS; j++) {
				double t = a[k][j];

				a[k][j] = a[p][j];
				a[p][j] = t;
			}
		for (i = k + 1; i < COST_KINDS; i++) {
			double f = a[i][k] / a[k][k];

			for (j = k; j <= COST_KINDS; j++)
				a[i][j] -= f * a[k][j];
		}
	}
	for (k = COST_KINDS; k-- > 0;) {
		double x = a[k][COST_KINDS], lo, hi;

		for (j = k + 1; j < COST_KINDS; j++)
			x -= a[k][j] * c->ns[j];
		x /= a[k][k];
		lo = c->prior_ns[k] * COST_CLAMP_LO;
		hi = c->prior_ns[k] * COST_CLAMP_HI;
		/* a noisy mix can fit a negative time: keep it positive */
		c->ns[k] = !isfinite(x) ? c->prior_ns[k] : x < lo ? lo : x > hi ? hi : x;
	}
}

int cost_observe(struct cost_model *c, const uint64_t n[COST_KINDS],
		 uint64_t ns)
{
	uint64_t total = 0;
	unsigned int i, j;

	for (i = 0; i < COST_KINDS; i++)
		total += n[i];
	if (!total)
		return -EINVAL;
	for (i = 0; i < COST_KINDS; i++) {
		for (j = 0; j < COST_KINDS; j++)
			c->nn[i][j] = COST_DECAY * c->nn[i][j] +
				      (double)n[i] * (double)n[j];
		c->nt[i] = COST_DECAY * c->nt[i] + (double)n[i] * (double)ns;
		c->ops[i] += n[i];
	}
	c->batches++;
	refit(c);
	return 0;
}

double cost_move_ns(const struct cost_model *c)
{
	return c->ns[COST_MOVE];
}

double cost_exchange_ns(const struct cost_model *c)
{
	return c->ns[c->exchange];
}

double cost_plan_ns(const struct cost_model *c, uint64_t moves,
		    uint64_t exchanges)
{
	return (double)moves * cost_move_ns(c) +
	       (double)exchanges * cost_exchange_ns(c);
}

double cost_window_ns(const struct cost_model *c, uint64_t misplaced,
		      uint64_t free, uint64_t foreign)
{
	double m = cost_move_ns(c), x = cost_exchange_ns(c);

	if (!free && !foreign)
		return (double)misplaced * x;
	return (double)misplaced *
	       ((double)free * m + (double)foreign * x) /
	       ((double)free + (double)foreign);
}

double cost_min_ns(const struct cost_model *c)
{
	double m = cost_move_ns(c), x = cost_exchange_ns(c);

	return m < x ? m : x;
}

const char *cost_kind_name(enum cost_kind k)
{
	switch (k) {
	case COST_MOVE:
		return "move";
	case COST_EXCHANGE:
		return "exchange";
	case COST_EXCHANGE_MIGRATE:
		return "exchange_migrate";
	default:
		return "?";
	}
}
