/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Adaptive access regions of one VMA, in the manner of DAMON (pure
 * logic: no syscalls; the caller samples).
 *
 * The VMA is cut into regions; every round one random page of each
 * region is sampled (its accessed bit tested and cleared: the kernel
 * helper's CONTIG_IOC_SAMPLE), and a region's nr_acc counts the rounds
 * it was found accessed. A page is prepared (cleared) in one round and
 * checked in the next, so that a page never sampled before does not
 * look accessed. At each aggregation the estimate of pages accessed per
 * round is summed, neighbours whose counts differ little are merged,
 * and, below half the maximum, every region is split in two at a random
 * page: regions follow the hot and cold parts of the VMA at a cost that
 * does not grow with its size.
 */
#ifndef CONTIG_OBSERVER_REGIONS_H
#define CONTIG_OBSERVER_REGIONS_H

#include <stddef.h>
#include <stdint.h>

#define REGIONS_MAX 32   /* per VMA */
#define REGIONS_START 4  /* a new VMA's regions */

struct region {
	uint64_t start, end; /* page-aligned */
	uint32_t nr_acc;     /* rounds found accessed since aggregation */
	uint64_t check;      /* page prepared last round; 0: none */
	int checking;        /* its check is in the current round */
};

struct vma_regions {
	uint64_t start, end;
	struct region r[REGIONS_MAX];
	size_t nr;
	uint32_t rounds; /* checked rounds since aggregation */
};

/* Cut [start, end) into REGIONS_START regions (fewer if small). */
void regions_init(struct vma_regions *v, uint64_t start, uint64_t end);

/*
 * The addresses of one round: for every region its page prepared last
 * round (to check), then a new random page (to prepare). Writes at most
 * 2 * REGIONS_MAX addresses to out; returns how many, and in *nr_check
 * how many of them (the first) are checks.
 */
size_t regions_round(struct vma_regions *v, uint64_t *rng, uint64_t *out,
		     size_t *nr_check);

/*
 * The results of a round's checks (CONTIG_SAMPLE_* per address, in the
 * order regions_round gave them). young: the value that means accessed.
 */
void regions_record(struct vma_regions *v, const uint8_t *res, size_t nr,
		    uint8_t young);

/*
 * Aggregate: pages accessed, summed over the checked rounds (each
 * region's count times its pages); then merge, split, and start again.
 */
uint64_t regions_aggregate(struct vma_regions *v, uint64_t *rng);

#endif
