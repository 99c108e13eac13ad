/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small random machines for the anchor and planner tests.
 */
#ifndef CONTIG_TESTS_SIM_RANDOM_H
#define CONTIG_TESTS_SIM_RANDOM_H

#include <stdint.h>

#include "rng.h"
#include "sim.h"

/* A free frame picked at random (linear probe), or UINT64_MAX. */
static inline uint64_t random_free(struct sim *s, uint64_t *seed)
{
	uint64_t n = s->fm.nr_frames, f = rnd(seed, n), k;

	for (k = 0; k < n; k++, f = (f + 1) % n)
		if (s->fm.state[f] == FRAME_FREE)
			return f;
	return UINT64_MAX;
}

/*
 * Fill VMA id: a fraction of its pages (per mille) present; present pages
 * come in runs of random length at random free places, some left as a
 * contiguous run at a common offset (the "already partly in place" case).
 */
static inline void random_fill(struct sim *s, uint32_t id, uint64_t *seed,
			       unsigned int present_pm, unsigned int max_run)
{
	const struct vma_pages *v = sim_vma_pages(s, id);
	uint64_t i = 0;

	while (i < v->nr) {
		uint64_t len = 1 + rnd(seed, max_run), f, k;

		if (rnd(seed, 1000) >= present_pm) {
			i += len;
			continue;
		}
		f = random_free(s, seed);
		for (k = 0; k < len && i < v->nr; k++, i++) {
			if (f >= s->fm.nr_frames ||
			    s->fm.state[f] != FRAME_FREE)
				f = random_free(s, seed);
			if (f == UINT64_MAX)
				return;
			sim_fault(s, id, i, f);
			f++;
		}
	}
}

#endif
