/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fragmented machines for the planning benchmark: a simulated x86-64
 * box (low RAM, PCI hole below 4 GiB, the rest above) and generators
 * that leave its VMAs the way real workloads do.
 */
#ifndef CONTIG_BENCH_SCENARIO_H
#define CONTIG_BENCH_SCENARIO_H

#include <stdint.h>

#include "sim.h"

struct scenario {
	const char *name;
	const char *what;
	/* builds the machine's state; returns VMA count or -errno */
	int (*build)(struct sim *s, uint64_t gib, uint64_t seed, int *ids,
		     int max_ids);
};

extern const struct scenario scenarios[];
extern const unsigned int nr_scenarios;

/*
 * Empty machine of gib GiB RAM: zones DMA, DMA32 and Normal, a hole for
 * the PCI window, the kernel's unmovable frames. 0 or -errno.
 */
int machine_init(struct sim *s, uint64_t gib);
/* First frame of the Normal zone. */
uint64_t machine_normal_start(const struct sim *s);

/* One VMA of `pages` pages scattered at random over the Normal zone. */
int scenario_scattered_vma(struct sim *s, uint64_t pages, uint64_t seed);

#endif
