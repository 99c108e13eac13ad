// SPDX-License-Identifier: GPL-2.0-only
/*
 * Anchor selection, the window search (step 4 in anchor.c): every window
 * position of every zone once, sliding counts of movable frames and of
 * our own frames and walking the offset histogram in step. Linear in
 * frames.
 */
#include <errno.h>
#include <stdlib.h>

#include "anchor_priv.h"
#include "radix_sort.h"

void anchor_consider(struct choice *c, enum anchor_method how, int64_t d,
		     uint64_t in_place, uint64_t displaced, double ns)
{
	if (!c->found || ns < c->ns ||
	    (ns == c->ns &&
	     (in_place > c->in_place ||
	      (in_place == c->in_place && displaced < c->displaced)))) {
		c->found = true;
		c->how = how;
		c->d = d;
		c->in_place = in_place;
		c->displaced = displaced;
		c->ns = ns;
	}
}

double anchor_window_ns(const struct selector *s, uint64_t len,
			uint64_t in_place, uint64_t movable, uint64_t mine,
			uint64_t *displaced)
{
	/* a stale map may not count ours as movable */
	uint64_t foreign = movable > mine ? movable - mine : 0;

	*displaced = foreign;
	if (!s->cost)
		return 0;
	return cost_window_ns(s->cost, s->present - in_place,
			      len > movable ? len - movable : 0, foreign);
}

/* Our own frames, sorted, for counting them inside sliding windows. */
static int own_frames(struct selector *s, uint64_t **out, size_t *nr)
{
	uint64_t *f = malloc((s->present ? s->present : 1) * sizeof(*f));
	size_t n = 0;
	uint64_t j;
	int err;

	if (!f)
		return -ENOMEM;
	for (j = s->first; j <= s->last; j++)
		if (s->v->pfn[j] != CONTIG_PFN_NONE)
			f[n++] = s->v->pfn[j];
	anchor_account(s, 2 * n * sizeof(*f));
	err = radix_sort_u64(f, n);
	anchor_account(s, -(long)(n * sizeof(*f)));
	if (err) {
		free(f);
		return err;
	}
	*out = f;
	*nr = n;
	return 0;
}

/* End of the claim-free, bad-frame-free segment starting at pos. */
static uint64_t segment_end(const struct selector *s, uint64_t pos,
			    uint64_t zone_end)
{
	const struct frame_map *fm = s->fm;
	struct rt_range r;
	uint64_t end = zone_end;
	size_t lo = 0, hi = fm->nr_bad;

	while (lo < hi) { /* first bad span starting after pos */
		size_t mid = lo + (hi - lo) / 2;

		if (fm->bad[mid].start <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < fm->nr_bad && fm->bad[lo].start < end)
		end = fm->bad[lo].start;
	if (rt_find_overlap(s->rt, pos, end, &r) && r.start < end)
		end = r.start;
	return end;
}

/* Next frame >= pos outside bad spans and claims. */
static uint64_t skip_unusable(const struct selector *s, uint64_t pos,
			      uint64_t zone_end)
{
	struct rt_range r;

	while (pos < zone_end) {
		uint64_t next = frame_map_next_good(s->fm, pos);

		if (next != pos) {
			pos = next;
			continue;
		}
		if (rt_lookup(s->rt, pos, &r)) {
			pos = r.end;
			continue;
		}
		break;
	}
	return pos;
}

int anchor_window_search(struct selector *s, const struct offsets *o,
			 struct choice *best, struct choice *aligned)
{
	const struct frame_map *fm = s->fm;
	uint64_t len = s->last - s->first + 1, *own;
	uint64_t base = s->v->start_vpn + s->first;
	size_t nr_own, oi = 0, hi_own = 0, ui = 0;
	unsigned int z, nz = fm->nr_zones ? fm->nr_zones : 1;
	int err = own_frames(s, &own, &nr_own);

	if (err)
		return err;
	for (z = 0; z < nz; z++) {
		uint64_t zs = fm->nr_zones ? fm->zones[z].start_pfn : 0;
		uint64_t ze = fm->nr_zones ? fm->zones[z].end_pfn :
					     fm->nr_frames;
		uint64_t pos = skip_unusable(s, zs, ze);

		if (s->zone >= 0 && fm->nr_zones && (int)z != s->zone)
			continue;
		while (pos + len <= ze) {
			uint64_t end = segment_end(s, pos, ze), a, movable = 0;

			for (a = pos; a < pos + len && a < end; a++)
				movable += fm->state[a] == FRAME_MOVABLE;
			for (a = pos; a + len <= end; a++) {
				int64_t d = (int64_t)a - (int64_t)base;
				uint64_t in_place = 0, mine, foreign;
				double ns;

				if (a > pos)
					movable += (fm->state[a + len - 1] ==
						    FRAME_MOVABLE) -
						   (fm->state[a - 1] ==
						    FRAME_MOVABLE);
				while (oi < nr_own && own[oi] < a)
					oi++;
				if (hi_own < oi)
					hi_own = oi;
				while (hi_own < nr_own && own[hi_own] < a + len)
					hi_own++;
				mine = hi_own - oi;
				while (ui < o->n && o->ud[ui] < d)
					ui++;
				if (ui < o->n && o->ud[ui] == d)
					in_place = o->cnt[ui];
				ns = anchor_window_ns(s, len, in_place, movable,
						      mine, &foreign);
				if (!((uint64_t)d & s->need_mask))
					anchor_consider(best,
							ANCHOR_WINDOW_SEARCH, d,
							in_place, foreign, ns);
				if (anchor_is_aligned(d))
					anchor_consider(aligned,
							ANCHOR_WINDOW_SEARCH, d,
							in_place, foreign, ns);
			}
			pos = skip_unusable(s, end > pos ? end : pos + 1, ze);
		}
	}
	anchor_account(s, -(long)(nr_own * sizeof(*own)));
	free(own);
	return 0;
}
