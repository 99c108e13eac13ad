/* SPDX-License-Identifier: MIT */
/*
 * Contiguity of a VMA. Present pages in VA order form runs in which both
 * the virtual and the physical page number advance by exactly one; a
 * descending or stride-2 physical sequence is not contiguous.
 */
#ifndef CONTIG_CORE_METRICS_H
#define CONTIG_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct contig_metrics {
	uint64_t pages; /* pages in the VMA */
	uint64_t present; /* pages with a physical frame */
	uint64_t runs; /* maximal runs, VA and PFN both +1 */
	uint64_t largest_run; /* pages in the largest run */
	uint64_t runs_99; /* fewest runs (largest first) covering 99 % */
	uint64_t aligned_2m; /* 2 MiB VA blocks backed by one aligned 2 MiB frame block */
};

/* 0 or -ENOMEM. */
int contig_metrics_compute(const uint64_t *pfn, uint64_t start_vpn, uint64_t nr,
			   struct contig_metrics *out);

/*
 * Add m to sum: counts add up, the largest run is the larger one (runs of
 * different ranges never join).
 */
void contig_metrics_add(struct contig_metrics *sum,
			const struct contig_metrics *m);

/*
 * Compact run map, e.g. "+512 -3 _40 +17": "+N" a run of N >= 2 pages,
 * "-N" N consecutive pages each in a run of its own, "_N" N pages not
 * present. At most max_tokens tokens; the rest is summarised as
 * " …(+K)". Always NUL-terminates buf (size > 0). Returns the length
 * the full string would have had, like snprintf.
 */
size_t contig_runmap_format(const uint64_t *pfn, uint64_t nr,
			    unsigned int max_tokens, char *buf, size_t size);

#endif
