/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What anchor.c and anchor_window.c share: the offset histogram, the
 * selector's state and the running choice.
 */
#ifndef CONTIG_CORE_ANCHOR_PRIV_H
#define CONTIG_CORE_ANCHOR_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor.h"
#include "cost.h"

/* The offset histogram: ud[] ascending, cnt[] pages at each offset. */
struct offsets {
	int64_t *ud;
	uint32_t *cnt;
	size_t n;
	size_t bytes;
};

struct selector {
	const struct frame_map *fm;
	const struct range_tree *rt;
	const struct vma_pages *v;
	uint64_t first, last, present;
	size_t live, peak;
	int zone; /* only windows in this zone; -1: any */
	/*
	 * d & need_mask must be 0: 1 << k - 1 for the largest order k of
	 * the large folios kept whole, which land on aligned frames only.
	 */
	uint64_t need_mask;
	/* NULL: fewest misplaced pages first; else least expected time */
	const struct cost_model *cost;
};

struct choice {
	bool found;
	enum anchor_method how;
	int64_t d;
	uint64_t in_place;
	uint64_t displaced; /* others' pages in the window, when known */
	double ns; /* expected time (0 without a cost model) */
};

static inline void anchor_account(struct selector *s, long delta)
{
	s->live += delta;
	if (s->live > s->peak)
		s->peak = s->live;
}

static inline bool anchor_is_aligned(int64_t d)
{
	return ((uint64_t)d & (CONTIG_PAGES_2M - 1)) == 0;
}

/*
 * Keep the candidate if it is better than c: less expected time, then
 * more pages in place, then fewer pages of others displaced.
 */
void anchor_consider(struct choice *c, enum anchor_method how, int64_t d,
		     uint64_t in_place, uint64_t displaced, double ns);

/*
 * Expected time of offset d's window holding in_place of our pages at
 * their target, given movable frames and our own frames in it (0 without
 * a cost model); *displaced: others' pages in it.
 */
double anchor_window_ns(const struct selector *s, uint64_t len,
			uint64_t in_place, uint64_t movable, uint64_t mine,
			uint64_t *displaced);

/*
 * Every window position in every (allowed) zone: the best into best, the
 * best 2 MiB-aligned into aligned. 0 or -ENOMEM.
 */
int anchor_window_search(struct selector *s, const struct offsets *o,
			 struct choice *best, struct choice *aligned);

#endif
