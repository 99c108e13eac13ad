/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Anchor selection: where a VMA's physical range should start.
 *
 * For a present page at (vpn, pfn) its offset is d = pfn - vpn; choosing
 * an anchor is choosing d, after which page vpn belongs at frame vpn + d.
 * The window is the frame range covering the VMA's first to last present
 * page under that offset. The best anchor keeps the most pages in place
 * among feasible windows (inside one zone, every frame free or movable,
 * no overlap with another owner's claim), or, given a cost model, the
 * one expected to take the least time.
 */
#ifndef CONTIG_CORE_ANCHOR_H
#define CONTIG_CORE_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#include "cost.h"
#include "frame_map.h"
#include "range_tree.h"
#include "vma_pages.h"

enum anchor_method {
	ANCHOR_NONE = 0, /* no present page: nothing to anchor */
	ANCHOR_IN_PLACE, /* already one run: keep it */
	ANCHOR_HISTOGRAM, /* a frequent offset was feasible */
	ANCHOR_ALIGNED, /* a 2 MiB-aligned offset within the slack */
	ANCHOR_WINDOW_SEARCH, /* min-moves scan of the frame map */
	ANCHOR_FIXED, /* given by the caller (anchor_evaluate) */
	ANCHOR_FIRST_FIT, /* ANCHOR_RULE_FIRST_FIT */
};

/* How anchor_select() places the window. */
enum anchor_rule {
	/* Keep the most pages in place (histogram, aligned, window search). */
	ANCHOR_RULE_BEST = 0,
	/*
	 * The 2019 exchange-pages RFC's rule: the lowest feasible window
	 * from the start of the zone, whatever the VMA's pages already hold;
	 * claimed windows lie end to end.  For comparison.
	 */
	ANCHOR_RULE_FIRST_FIT,
};

struct anchor_params {
	enum anchor_rule rule;
	/*
	 * Accept a 2 MiB-aligned anchor (d % 512 == 0) when it costs at
	 * most this fraction more moves than the best anchor.
	 */
	double align_slack;
	/* Most frequent offsets tried before the window search. */
	unsigned int max_candidates;
	/*
	 * Only windows inside this zone (index into the frame map's zones);
	 * -1: any zone. The kernel helper exchanges pages within one zone
	 * only, so the executor asks for the zone most pages are in.
	 */
	int zone;
	/*
	 * NULL: keep the most pages in place (fewest ops). Else weigh each
	 * window by its expected time (cost.h): its misplaced pages split
	 * into MOVEs and EXCHANGEs as its other frames are free or hold
	 * others' pages; the least time wins, then the most pages in place,
	 * and align_slack is a fraction of time.
	 */
	const struct cost_model *cost;
};

#define ANCHOR_PARAMS_DEFAULT                                         \
	{                                                             \
		.rule = ANCHOR_RULE_BEST, .align_slack = 0.03,    \
		.max_candidates = 64, .zone = -1                  \
	}

struct anchor {
	enum anchor_method method;
	int64_t offset; /* frame = vpn + offset */
	uint64_t first; /* index of the first present page */
	uint64_t last; /* index of the last present page */
	uint64_t win_start; /* frame of page `first` */
	uint64_t win_end; /* one past the frame of page `last` */
	uint64_t present;
	uint64_t in_place; /* present pages already at their target */
	uint64_t misplaced; /* present - in_place */
	uint64_t best_misplaced; /* fewest misplaced of any feasible anchor */
	size_t peak_bytes; /* most heap memory held while selecting */
};

/*
 * Pick the anchor for v. Claims in rt of other owners are avoided; the
 * caller removes v's own earlier claim first. fm must be indexed
 * (frame_map_index). 0, -ENOSPC (no feasible window), -ERANGE (frame or
 * page numbers beyond 2^44), -ENOMEM.
 */
int anchor_select(const struct frame_map *fm, const struct range_tree *rt,
		  const struct vma_pages *v, const struct anchor_params *p,
		  struct anchor *out);

/*
 * Fill out for a caller-chosen window start (frame of the first present
 * page), e.g. another placement rule to compare against. 0, -ENOSPC if
 * the window is not feasible, -ENOMEM.
 */
int anchor_evaluate(const struct frame_map *fm, const struct range_tree *rt,
		    const struct vma_pages *v, uint64_t win_start,
		    struct anchor *out);

/*
 * ANCHOR_RULE_FIRST_FIT: the lowest feasible window at or above frame from
 * (in zone, or any zone when zone < 0) for v's span of pages.
 * 0, -ENOSPC, -ERANGE, -ENOMEM.
 */
int anchor_first_fit(const struct frame_map *fm, const struct range_tree *rt,
		     const struct vma_pages *v, int zone, uint64_t from,
		     struct anchor *out);

#endif
