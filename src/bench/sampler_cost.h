/* SPDX-License-Identifier: GPL-2.0-only */
/* What the access sampler costs (sampler_cost.c): CPU and slowdown. */
#ifndef CONTIG_BENCH_SAMPLER_COST_H
#define CONTIG_BENCH_SAMPLER_COST_H

#include <stdint.h>

#include "observer.h"

struct sampler_cpu {
	double cpu_pct;          /* of one core, our whole process */
	uint64_t watched_bytes;  /* resident in the watched children */
	uint64_t rounds;         /* sampler rounds in the time */
	double round_ms;         /* CPU time of one round, mean */
	uint64_t addrs;          /* addresses sampled (kernel helper) */
	double ioctl_ms;         /* CPU time of the sampling ioctls */
	const char *source;      /* observer_source_name() */
	char describe[512];
};

/*
 * nprocs children holding mib MiB in all, watched and polled for secs
 * seconds. 0 or -errno.
 */
int sampler_watched_cpu(const struct observer_opts *opts, unsigned nprocs,
			unsigned mib, unsigned secs, struct sampler_cpu *out);

struct sampler_slow {
	double warm_pct; /* the first warm seconds of being watched */
	double pct;      /* the secs seconds after them */
};

/*
 * Slowdown in percent of a memory-bound loop over mib MiB from being
 * watched, against an unwatched twin beside it: median of phases phases
 * of warm, then secs seconds. 0 or -errno.
 */
int sampler_slowdown(const struct observer_opts *opts, unsigned mib,
		     unsigned phases, unsigned warm, unsigned secs,
		     struct sampler_slow *out);

/*
 * Loop CPU lost per clear_refs of a twin's mib MiB, in ms: one twin's
 * bits cleared every interval_ms for secs seconds, the other's not,
 * in turns, median of phases. What the proc sampler costs a process per
 * round it clears, whatever the period. 0 or -errno.
 */
int sampler_clear_cost(unsigned mib, unsigned phases, unsigned secs,
		       unsigned interval_ms, double *ms);

#endif
