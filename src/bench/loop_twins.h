/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Two twin memory-bound loops side by side (loop_twins.c), for what a
 * sampler costs a process: whatever else loads the machine loads both
 * alike, and each one's rate is counted per CPU second of its own.
 */
#ifndef CONTIG_BENCH_LOOP_TWINS_H
#define CONTIG_BENCH_LOOP_TWINS_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct loop_twins {
	_Atomic uint64_t *steps; /* shared with the children */
	pid_t kid[2];
	clockid_t clock[2]; /* their CPU clocks */
};

struct twins_mark {
	uint64_t steps[2];
	double cpu[2];
};

/*
 * Two children, each reading one random word per step of its own mib
 * MiB buffer without pause. 0 or -errno (nothing left running).
 */
int twins_start(struct loop_twins *t, unsigned mib);
void twins_stop(struct loop_twins *t);

void twins_mark(const struct loop_twins *t, struct twins_mark *m);

/*
 * Since m: 1 - twin w's rate / the other's, in percent (rates in steps
 * per CPU second); *cpu_w (if not NULL): twin w's CPU seconds.
 */
double twins_slowdown(const struct loop_twins *t, const struct twins_mark *m,
		      unsigned w, double *cpu_w);

/*
 * Median over pairs of phases (d[2k] with twin 0 watched, d[2k + 1]
 * with twin 1) of each pair's mean, so that a difference between the
 * twins themselves cancels. n >= 1; d is reordered.
 */
double twins_median_pairs(double *d, unsigned n);

#endif
