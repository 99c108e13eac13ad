// SPDX-License-Identifier: GPL-2.0-only
/*
 * Anchor selection.
 *
 * 1. Offsets: every run of present pages has one offset d = pfn - vpn;
 *    runs are packed as (d, length) keys, radix sorted and merged into a
 *    histogram "how many pages already sit at offset d".
 * 2. Candidates: the max_candidates most frequent offsets, tried in
 *    order; the first feasible one keeps the most pages in place of any
 *    feasible anchor (an offset outside the histogram keeps none).
 * 3. Alignment: a feasible offset with d % 512 == 0 (2 MiB blocks line
 *    up, ready for THP) wins if it costs at most align_slack more moves.
 * 4. Window search (anchor_window.c): when no frequent offset is
 *    feasible (or the best keeps so few pages that any aligned window is
 *    as good), scan every window position in every zone once, sliding
 *    counts of movable frames and of our own frames and walking the
 *    histogram in step: fewest misplaced pages first, then fewest pages
 *    of others displaced. Linear in frames.
 * 5. Large folios: when the VMA holds large folios that can stay whole
 *    (folio.h), only offsets aligned to the largest one's size are
 *    considered at all (d % 512 == 0 with a PMD-mapped THP): a folio of
 *    order k lands only on a frame aligned to 1 << k, and one already
 *    there at the chosen offset is not moved.
 * 6. Time (anchor_params.cost set): every candidate is weighed by its
 *    expected time instead (cost_window_ns: its misplaced pages as MOVEs
 *    and EXCHANGEs in the proportion of its free frames to its frames of
 *    others), candidates are tried while one could still beat the best
 *    (each misplaced page at least the cheaper op's time), the window
 *    search also runs when a window keeping nothing in place could win,
 *    and align_slack is a fraction of time.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "anchor_priv.h"
#include "array.h"
#include "folio.h"
#include "radix_sort.h"

#define NUM_LIMIT (1ull << 44) /* pfn and vpn bound for the key packing */
#define LEN_BITS 19
#define LEN_MAX ((1ull << LEN_BITS) - 1)
#define D_BIAS NUM_LIMIT /* d + D_BIAS fits in 45 bits */

static int build_offsets(struct selector *s, struct offsets *o)
{
	const struct vma_pages *v = s->v;
	uint64_t *keys;
	size_t nk = 0, cap = 0, i, n;
	uint64_t j = s->first;
	int err;

	keys = array_reserve(NULL, &cap, 1024, sizeof(*keys), 1024);
	if (!keys)
		return -ENOMEM;
	while (j <= s->last) {
		uint64_t k = j + 1, len, *p;
		int64_t d;

		if (v->pfn[j] == CONTIG_PFN_NONE) {
			j++;
			continue;
		}
		while (k <= s->last && v->pfn[k] == v->pfn[k - 1] + 1 &&
		       k - j < LEN_MAX)
			k++;
		len = k - j;
		d = (int64_t)v->pfn[j] - (int64_t)(v->start_vpn + j);
		p = array_reserve(keys, &cap, nk + 1, sizeof(*keys), 1024);
		if (!p) {
			free(keys);
			return -ENOMEM;
		}
		keys = p;
		keys[nk++] = (uint64_t)(d + (int64_t)D_BIAS) << LEN_BITS | len;
		j = k;
	}
	anchor_account(s,
		cap * sizeof(*keys) + nk * sizeof(*keys)); /* + sort scratch */
	err = radix_sort_u64(keys, nk);
	anchor_account(s, -(long)(nk * sizeof(*keys)));
	if (err) {
		free(keys);
		return err;
	}
	o->cnt = malloc((nk ? nk : 1) * sizeof(*o->cnt));
	if (!o->cnt) {
		free(keys);
		return -ENOMEM;
	}
	/* Merge equal offsets in place: keys[] becomes ud[]. */
	o->ud = (int64_t *)keys;
	for (i = 0, n = 0; i < nk; i++) {
		int64_t d = (int64_t)(keys[i] >> LEN_BITS) - (int64_t)D_BIAS;
		uint32_t len = keys[i] & LEN_MAX;

		if (n && o->ud[n - 1] == d) {
			o->cnt[n - 1] += len;
		} else {
			o->ud[n] = d;
			o->cnt[n++] = len;
		}
	}
	o->n = n;
	o->bytes = cap * sizeof(*keys) + nk * sizeof(*o->cnt);
	anchor_account(s, nk * sizeof(*o->cnt));
	return 0;
}

static uint64_t pages_at(const struct offsets *o, int64_t d)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->ud[mid] < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->n && o->ud[lo] == d ? o->cnt[lo] : 0;
}

/* Window of offset d, or false if it leaves the frame map. */
static bool window_of(const struct selector *s, int64_t d, uint64_t *ws,
		      uint64_t *we)
{
	int64_t start = (int64_t)(s->v->start_vpn + s->first) + d;

	if (start < 0)
		return false;
	*ws = (uint64_t)start;
	*we = *ws + (s->last - s->first + 1);
	return *we <= s->fm->nr_frames;
}

static bool feasible(const struct selector *s, int64_t d)
{
	uint64_t ws, we;

	if ((uint64_t)d & s->need_mask)
		return false;
	if (!window_of(s, d, &ws, &we))
		return false;
	return frame_map_window_ok(s->fm, ws, we) &&
	       (s->zone < 0 || frame_map_zone_of(s->fm, ws) == s->zone) &&
	       !rt_find_overlap(s->rt, ws, we, NULL);
}

/*
 * With a cost model: could an offset keeping in_place pages beat c? Its
 * misplaced pages take at least the cheaper op's time each. Without
 * one, candidates come most pages in place first: never.
 */
static bool candidate_may_win(const struct selector *s, const struct choice *c,
			      uint64_t in_place)
{
	return s->cost && c->found &&
	       (double)(s->present - in_place) * cost_min_ns(s->cost) < c->ns;
}

/*
 * With a cost model: is scanning every window worth it? Only when a
 * window keeping as many pages in place as the best candidate could save
 * more than the alignment slack of its time.
 */
static bool search_may_pay(const struct selector *s, const struct choice *c,
			   double slack)
{
	return s->cost && c->found &&
	       (double)(s->present - c->in_place) * cost_min_ns(s->cost) *
			       (1 + slack) <
		       c->ns;
}

/* With a cost model, c's expected time and others' pages in its window. */
static void weigh(const struct selector *s, struct choice *c)
{
	uint64_t ws, we, movable = 0, mine = 0, f, j;

	if (!s->cost || !c->found || !window_of(s, c->d, &ws, &we))
		return;
	for (f = ws; f < we; f++)
		movable += s->fm->state[f] == FRAME_MOVABLE;
	for (j = s->first; j <= s->last; j++)
		mine += s->v->pfn[j] != CONTIG_PFN_NONE && s->v->pfn[j] >= ws &&
			s->v->pfn[j] < we;
	c->ns = anchor_window_ns(s, we - ws, c->in_place, movable, mine,
				 &c->displaced);
}

/* Weigh feasible offset d (in_place pages at their target) into c. */
static void consider_offset(const struct selector *s, struct choice *c,
			    enum anchor_method how, int64_t d,
			    uint64_t in_place)
{
	struct choice x = { .found = true, .how = how, .d = d,
			    .in_place = in_place };

	weigh(s, &x);
	anchor_consider(c, how, d, in_place, x.displaced, x.ns);
}

/* Indices of the k most frequent offsets, most frequent first. */
static size_t top_offsets(const struct offsets *o, size_t *idx, size_t k)
{
	size_t n = 0, i;

	/* min-heap on cnt (ties: larger index first out) of size k */
	for (i = 0; i < o->n; i++) {
		size_t pos;

		if (n == k) {
			if (o->cnt[i] <= o->cnt[idx[0]])
				continue;
			pos = 0;
			/* sift the new element down from the root */
			for (;;) {
				size_t l = 2 * pos + 1, r = l + 1, m = pos;
				uint32_t mc = o->cnt[i];

				if (l < n && o->cnt[idx[l]] < mc) {
					m = l;
					mc = o->cnt[idx[l]];
				}
				if (r < n && o->cnt[idx[r]] < mc)
					m = r;
				if (m == pos)
					break;
				idx[pos] = idx[m];
				pos = m;
			}
			idx[pos] = i;
			continue;
		}
		pos = n++;
		while (pos && o->cnt[idx[(pos - 1) / 2]] > o->cnt[i]) {
			idx[pos] = idx[(pos - 1) / 2];
			pos = (pos - 1) / 2;
		}
		idx[pos] = i;
	}
	/* insertion sort by count descending, then offset ascending */
	for (i = 1; i < n; i++) {
		size_t x = idx[i], j = i;

		while (j &&
		       (o->cnt[idx[j - 1]] < o->cnt[x] ||
			(o->cnt[idx[j - 1]] == o->cnt[x] && idx[j - 1] > x))) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = x;
	}
	return n;
}

static void fill(const struct selector *s, int64_t d, uint64_t in_place,
		 enum anchor_method m, struct anchor *out)
{
	out->method = m;
	out->offset = d;
	out->first = s->first;
	out->last = s->last;
	window_of(s, d, &out->win_start, &out->win_end);
	out->present = s->present;
	out->in_place = in_place;
	out->misplaced = s->present - in_place;
}

static bool span_of(const struct vma_pages *v, struct selector *s)
{
	uint64_t i;

	s->present = 0;
	for (i = 0; i < v->nr; i++) {
		if (v->pfn[i] == CONTIG_PFN_NONE)
			continue;
		if (!s->present++)
			s->first = i;
		s->last = i;
	}
	return s->present > 0;
}

static bool numbers_fit(const struct vma_pages *v)
{
	uint64_t i;

	if (v->start_vpn + v->nr >= NUM_LIMIT || v->nr > UINT32_MAX)
		return false;
	for (i = 0; i < v->nr; i++)
		if (v->pfn[i] != CONTIG_PFN_NONE && v->pfn[i] >= NUM_LIMIT)
			return false;
	return true;
}

int anchor_select(const struct frame_map *fm, const struct range_tree *rt,
		  const struct vma_pages *v, const struct anchor_params *p,
		  struct anchor *out)
{
	struct selector s = {
		.fm = fm, .rt = rt, .v = v, .zone = p->zone, .cost = p->cost
	};
	struct choice best = { 0 }, aligned = { 0 };
	struct offsets o = { 0 };
	struct folio_census fc;
	size_t idx[256], k, i;
	uint64_t slack;
	bool search;
	int err;

	if (p->rule == ANCHOR_RULE_FIRST_FIT)
		return anchor_first_fit(fm, rt, v, p->zone, 0, out);
	memset(out, 0, sizeof(*out));
	if (!numbers_fit(v))
		return -ERANGE;
	if (!span_of(v, &s))
		return 0; /* ANCHOR_NONE */
	folio_census(fm, v, &fc);
	s.need_mask = (UINT64_C(1) << fc.max_order) - 1;
	err = build_offsets(&s, &o);
	if (err)
		return err;
	if (o.n == 1) { /* one run already */
		fill(&s, o.ud[0], s.present, ANCHOR_IN_PLACE, out);
		out->best_misplaced = 0;
		goto out_free;
	}

	k = top_offsets(&o, idx,
			p->max_candidates < 256 ? p->max_candidates : 256);
	for (i = 0; i < k; i++) {
		int64_t d = o.ud[idx[i]];

		if ((best.found && (aligned.found || !anchor_is_aligned(d))) ||
		    !feasible(&s, d))
			continue;
		if (!best.found)
			anchor_consider(&best, ANCHOR_HISTOGRAM, d,
					o.cnt[idx[i]], 0, 0);
		if (anchor_is_aligned(d) && !aligned.found)
			anchor_consider(&aligned, ANCHOR_HISTOGRAM, d,
					o.cnt[idx[i]], 0, 0);
	}
	if (best.found && !aligned.found) {
		/* the aligned offsets on either side of the best */
		int64_t lo = best.d & ~(int64_t)(CONTIG_PAGES_2M - 1);
		int64_t cand[2] = { lo, lo + CONTIG_PAGES_2M };

		for (i = 0; i < 2; i++)
			if (feasible(&s, cand[i]))
				anchor_consider(&aligned, ANCHOR_ALIGNED,
						cand[i], pages_at(&o, cand[i]),
						0, 0);
	}
	slack = (uint64_t)(p->align_slack *
			   (double)(s.present - best.in_place));
	search = !best.found || (!aligned.found && best.in_place <= slack);
	if (s.cost && !search) {
		/*
		 * No feasible window keeps more than best.in_place pages in
		 * place (best is the feasible offset of most pages): scan
		 * them all when one keeping that many could be faster.
		 */
		weigh(&s, &best);
		weigh(&s, &aligned);
		search = search_may_pay(&s, &best, p->align_slack);
	}
	if (search) {
		/* every window, the candidates' among them */
		struct choice wb = { 0 }, wa = { 0 };

		err = anchor_window_search(&s, &o, &wb, s.cost ? &wa : &aligned);
		if (err)
			goto out_free;
		/* with a cost model, the scan weighed every window */
		if (!best.found || (s.cost && wb.found))
			best = wb;
		if (s.cost && wb.found)
			aligned = wa;
	} else if (s.cost) {
		/* the other candidates, while one could still win */
		for (i = 0; i < k; i++) {
			int64_t d = o.ud[idx[i]];

			if (candidate_may_win(&s, &best, o.cnt[idx[i]]) &&
			    d != best.d && feasible(&s, d))
				consider_offset(&s, &best, ANCHOR_HISTOGRAM, d,
						o.cnt[idx[i]]);
			if (candidate_may_win(&s, &aligned, o.cnt[idx[i]]) &&
			    anchor_is_aligned(d) && d != aligned.d &&
			    feasible(&s, d))
				consider_offset(&s, &aligned, ANCHOR_HISTOGRAM,
						d, o.cnt[idx[i]]);
		}
	}
	if (!best.found) {
		err = -ENOSPC;
		goto out_free;
	}
	slack = (uint64_t)(p->align_slack *
			   (double)(s.present - best.in_place));
	if (aligned.found && aligned.d != best.d &&
	    (s.cost ? aligned.ns <= best.ns * (1 + p->align_slack) :
		      aligned.in_place + slack >= best.in_place))
		fill(&s, aligned.d, aligned.in_place, ANCHOR_ALIGNED, out);
	else
		fill(&s, best.d, best.in_place, best.how, out);
	out->best_misplaced = s.present - best.in_place;
out_free:
	out->peak_bytes = s.peak;
	free(o.ud);
	free(o.cnt);
	return err;
}

/* Fill out for the window starting at frame ws. 0 or -ENOSPC. */
static int evaluate_at(const struct selector *s, uint64_t ws,
		       enum anchor_method how, struct anchor *out)
{
	const struct vma_pages *v = s->v;
	int64_t d = (int64_t)ws - (int64_t)(v->start_vpn + s->first);
	uint64_t j, in_place = 0;

	if (!feasible(s, d))
		return -ENOSPC;
	for (j = s->first; j <= s->last; j++)
		in_place += v->pfn[j] != CONTIG_PFN_NONE &&
			    v->pfn[j] ==
				    (uint64_t)((int64_t)(v->start_vpn + j) + d);
	fill(s, d, in_place, how, out);
	out->best_misplaced = out->misplaced;
	return 0;
}

int anchor_evaluate(const struct frame_map *fm, const struct range_tree *rt,
		    const struct vma_pages *v, uint64_t win_start,
		    struct anchor *out)
{
	struct selector s = { .fm = fm, .rt = rt, .v = v, .zone = -1 };

	memset(out, 0, sizeof(*out));
	if (!numbers_fit(v))
		return -ERANGE;
	if (!span_of(v, &s))
		return 0;
	return evaluate_at(&s, win_start, ANCHOR_FIXED, out);
}

/* Start of the first zone above frame pfn, or nr_frames. */
static uint64_t next_zone_start(const struct frame_map *fm, uint64_t pfn)
{
	unsigned int i;

	for (i = 0; i < fm->nr_zones; i++)
		if (fm->zones[i].start_pfn > pfn)
			return fm->zones[i].start_pfn;
	return fm->nr_frames;
}

int anchor_first_fit(const struct frame_map *fm, const struct range_tree *rt,
		     const struct vma_pages *v, int zone, uint64_t from,
		     struct anchor *out)
{
	struct selector s = { .fm = fm, .rt = rt, .v = v, .zone = zone };
	uint64_t a = from, len, limit = fm->nr_frames, skip;
	struct rt_range r;

	memset(out, 0, sizeof(*out));
	if (!numbers_fit(v))
		return -ERANGE;
	if (!span_of(v, &s))
		return 0;
	if (zone >= 0 && fm->nr_zones) {
		if ((unsigned int)zone >= fm->nr_zones)
			return -ENOSPC;
		if (a < fm->zones[zone].start_pfn)
			a = fm->zones[zone].start_pfn;
		limit = fm->zones[zone].end_pfn;
	}
	len = s.last - s.first + 1;
	/* Every step moves a forward: past a zone end, a claim or a bad span. */
	while (a + len <= limit) {
		int z = frame_map_zone_of(fm, a);
		uint64_t zend = fm->nr_zones && z >= 0 ? fm->zones[z].end_pfn :
							 fm->nr_frames;

		if (z < 0 || a + len > zend) {
			a = next_zone_start(fm, a);
			continue;
		}
		if (rt_find_overlap(rt, a, a + len, &r)) {
			a = r.end;
			continue;
		}
		skip = frame_map_bad_end(fm, a, a + len);
		if (skip) {
			a = skip;
			continue;
		}
		return evaluate_at(&s, a, ANCHOR_FIRST_FIT, out);
	}
	return -ENOSPC;
}
