// SPDX-License-Identifier: GPL-2.0-only
/*
 * Planner: paths and cycles of misplaced pages, see planner.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"

#define NO_PAGE UINT32_MAX

struct planner {
	const struct frame_map *fm;
	const struct vma_pages *v;
	int64_t d;
	uint64_t first, ws, we;
	uint32_t *occupant; /* per window slot: our page sitting there */
	uint8_t *done; /* bitmap over page indices */
	struct plan *p;
	uint64_t cap; /* room in p->ops */
	bool full; /* an op found no room: the input broke an invariant */
};

static uint64_t target_of(const struct planner *pl, uint64_t i)
{
	return (uint64_t)((int64_t)(pl->v->start_vpn + i) + pl->d);
}

static bool misplaced(const struct planner *pl, uint64_t i)
{
	uint64_t f = pl->v->pfn[i];

	return f != CONTIG_PFN_NONE && f != target_of(pl, i);
}

/*
 * The page whose target is the frame page i sits on, if that page is
 * present: a candidate index, or NO_PAGE when i sits outside the window.
 */
static uint32_t predecessor_slot(const struct planner *pl, uint64_t i)
{
	uint64_t f = pl->v->pfn[i];

	if (f < pl->ws || f >= pl->we)
		return NO_PAGE;
	return (uint32_t)(pl->first + (f - pl->ws));
}

static bool is_done(const struct planner *pl, uint64_t i)
{
	return pl->done[i >> 3] & (1u << (i & 7));
}

static void emit(struct planner *pl, uint64_t i, enum plan_kind kind)
{
	struct plan *p = pl->p;

	pl->done[i >> 3] |= 1u << (i & 7);
	if (p->nr_ops == pl->cap) {
		pl->full = true;
		return;
	}
	p->ops[p->nr_ops].idx = (uint32_t)i;
	p->ops[p->nr_ops].kind = kind;
	p->nr_ops++;
	if (kind == PLAN_MOVE)
		p->moves++;
	else
		p->exchanges++;
}

static bool is_tail(const struct planner *pl, uint64_t i)
{
	return misplaced(pl, i) &&
	       pl->occupant[target_of(pl, i) - pl->ws] == NO_PAGE;
}

/*
 * Paths, each from its tail (whose target holds none of ours) back
 * through its predecessors. Following a path is a chain of dependent
 * random loads, so PATH_LANES paths are walked round-robin with the next
 * page of each prefetched: their cache misses overlap. Each path keeps
 * its own order, which is all that correctness needs.
 */
#define PATH_LANES 16

struct lane {
	uint32_t j;
	uint32_t kind;
};

static void plan_paths(struct planner *pl, uint64_t last)
{
	struct lane lane[PATH_LANES];
	unsigned int active = 0, k;
	uint64_t i = pl->first;

	for (;;) {
		for (; active < PATH_LANES && i <= last; i++) {
			uint64_t t;

			if (!is_tail(pl, i))
				continue;
			t = target_of(pl, i);
			lane[active].j = (uint32_t)i;
			lane[active].kind = pl->fm->state[t] == FRAME_FREE ?
						    PLAN_MOVE :
						    PLAN_EXCHANGE;
			active++;
		}
		if (!active)
			return;
		for (k = 0; k < active;) {
			uint32_t j = lane[k].j;

			if (j == NO_PAGE || pl->v->pfn[j] == CONTIG_PFN_NONE ||
			    is_done(pl, j)) {
				lane[k] = lane[--active];
				continue;
			}
			emit(pl, j, lane[k].kind);
			j = predecessor_slot(pl, j);
			if (j != NO_PAGE) {
				__builtin_prefetch(&pl->v->pfn[j]);
				__builtin_prefetch(&pl->done[j >> 3]);
			}
			lane[k++].j = j;
		}
	}
}

/* The cycle through i: exchange each page into place but the last. */
static void plan_cycle(struct planner *pl, uint64_t i)
{
	uint64_t j = i;

	pl->p->cycles++;
	while (!pl->full) {
		uint32_t next = pl->occupant[target_of(pl, j) - pl->ws];

		if (next == i || next == NO_PAGE) {
			/* j is put in place by the previous exchange */
			pl->done[j >> 3] |= 1u << (j & 7);
			return;
		}
		emit(pl, j, PLAN_EXCHANGE);
		j = next;
	}
}

int plan_build(const struct frame_map *fm, const struct vma_pages *v,
	       const struct anchor *a, struct plan *out)
{
	struct planner pl = { .fm = fm,
			      .v = v,
			      .d = a->offset,
			      .first = a->first,
			      .ws = a->win_start,
			      .we = a->win_end,
			      .p = out };
	uint64_t span = a->win_end - a->win_start, i;
	size_t bytes;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->start_vpn = v->start_vpn;
	out->offset = a->offset;
	if (a->method == ANCHOR_NONE)
		return 0;
	if (a->last >= v->nr || a->last - a->first + 1 != span ||
	    a->win_end > fm->nr_frames || v->nr > UINT32_MAX)
		return -EINVAL;

	pl.occupant = malloc(span * sizeof(*pl.occupant));
	pl.done = calloc((v->nr + 7) / 8, 1);
	out->ops =
		malloc((a->misplaced ? a->misplaced : 1) * sizeof(*out->ops));
	bytes = span * sizeof(*pl.occupant) + (v->nr + 7) / 8 +
		a->misplaced * sizeof(*out->ops);
	if (!pl.occupant || !pl.done || !out->ops) {
		free(pl.occupant);
		free(pl.done);
		plan_free(out);
		return -ENOMEM;
	}
	out->peak_bytes = bytes;
	pl.cap = a->misplaced;
	memset(pl.occupant, 0xff, span * sizeof(*pl.occupant));
	for (i = a->first; i <= a->last && !err; i++) {
		uint64_t f = v->pfn[i];

		if (f != CONTIG_PFN_NONE && f >= pl.ws && f < pl.we) {
			/*
			 * Two pages on one frame: v was read while pages
			 * moved (a frame freed and reused between two
			 * pages' entries).  Every path and cycle below
			 * rests on one page per frame.
			 */
			if (pl.occupant[f - pl.ws] != NO_PAGE)
				err = -ESTALE;
			pl.occupant[f - pl.ws] = (uint32_t)i;
		}
		out->misplaced += misplaced(&pl, i);
	}
	/* else the anchor was computed for other contents of v */
	if (!err && out->misplaced > a->misplaced)
		err = -EINVAL;
	if (!err) {
		plan_paths(&pl, a->last);
		/* What is left are cycles. */
		for (i = a->first; i <= a->last && !pl.full; i++)
			if (misplaced(&pl, i) && !is_done(&pl, i))
				plan_cycle(&pl, i);
		/* cannot happen with one page per frame: never past ops[] */
		if (pl.full)
			err = -EINVAL;
	}
	free(pl.occupant);
	free(pl.done);
	if (err)
		plan_free(out);
	return err;
}

void plan_free(struct plan *p)
{
	free(p->ops);
	p->ops = NULL;
	p->nr_ops = 0;
}
