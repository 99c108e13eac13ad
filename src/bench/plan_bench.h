/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef CONTIG_BENCH_PLAN_BENCH_H
#define CONTIG_BENCH_PLAN_BENCH_H

#include <stdbool.h>
#include <stdint.h>

struct bench_opts {
	bool json;
	uint64_t gib; /* simulated RAM */
	uint64_t big_gib; /* the one-VMA planning case */
	uint64_t seed;
	const char *only; /* one scenario by name, or NULL */
};

/* 0 or -errno (a plan that fails verification is an error). */
int plan_bench(const struct bench_opts *o);

#endif
