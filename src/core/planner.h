/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Planner: the page operations that put every present page of a VMA at
 * vpn + anchor offset.
 *
 * Each misplaced page i has a target frame t(i). If t(i) holds another
 * of our misplaced pages j, then i -> j. Every page has at most one
 * successor and one predecessor, so the pages split into
 *  - paths ending at a target that is free (MOVE) or holds a page of
 *    someone else (EXCHANGE): executed from the end, each op puts one page
 *    in place and the free frame or foreign page travels back along the
 *    path, ending outside the window: one op per page;
 *  - cycles among our own pages: a k-cycle takes k - 1 exchanges.
 * Ops = misplaced - cycles, never more than one per misplaced page.
 */
#ifndef CONTIG_CORE_PLANNER_H
#define CONTIG_CORE_PLANNER_H

#include <stddef.h>
#include <stdint.h>

#include "anchor.h"
#include "frame_map.h"
#include "vma_pages.h"

enum plan_kind {
	PLAN_MOVE = 1, /* target frame is free */
	PLAN_EXCHANGE = 2, /* target frame holds a page: swap the two */
};

struct plan_op {
	uint32_t idx; /* page index in the VMA: vpn = start_vpn + idx */
	uint32_t kind; /* enum plan_kind */
};

struct plan {
	uint64_t start_vpn;
	int64_t offset; /* target frame = vpn + offset */
	struct plan_op *ops; /* in execution order */
	uint64_t nr_ops;
	uint64_t moves;
	uint64_t exchanges;
	uint64_t cycles; /* cycles among our own pages */
	uint64_t misplaced;
	size_t peak_bytes; /* heap held while planning (ops included) */
};

static inline uint64_t plan_target(const struct plan *p,
				   const struct plan_op *op)
{
	return (uint64_t)((int64_t)(p->start_vpn + op->idx) + p->offset);
}

/*
 * Plan v towards anchor a (from anchor_select or anchor_evaluate).
 * Deterministic. 0 or -ENOMEM; -EINVAL if a does not fit v; -ESTALE
 * when two present pages of v sit on one frame of the window: v is no
 * consistent reading (a frame was freed and reused while pagemap was
 * read), read it again.  Never more ops than a->misplaced.
 */
int plan_build(const struct frame_map *fm, const struct vma_pages *v,
	       const struct anchor *a, struct plan *out);
void plan_free(struct plan *p);

#endif
