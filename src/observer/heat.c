// SPDX-License-Identifier: GPL-2.0-only
#include "array.h"
#include "heat.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void heat_init(struct heat_table *t, double half_life_s)
{
	memset(t, 0, sizeof(*t));
	t->half_life_ns = half_life_s > 0 ? half_life_s * 1e9 : 0;
}

void heat_free(struct heat_table *t)
{
	free(t->e);
	t->e = NULL;
	t->nr = t->cap = 0;
}

static int key_cmp(int32_t pa, uint64_t sa, int32_t pb, uint64_t sb)
{
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if (sa != sb)
		return sa < sb ? -1 : 1;
	return 0;
}

/* Index of the first entry >= key. */
static size_t lower_bound(const struct heat_table *t, int32_t pid,
			  uint64_t start)
{
	size_t lo = 0, hi = t->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_cmp(t->e[mid].pid, t->e[mid].start, pid, start) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static double decayed(const struct heat_table *t, const struct heat_entry *e,
		      uint64_t now_ns)
{
	if (t->half_life_ns <= 0 || now_ns <= e->stamp_ns)
		return e->heat;
	return e->heat *
	       exp2(-(double)(now_ns - e->stamp_ns) / t->half_life_ns);
}

/* The entry for the key, created (zero heat) if missing; NULL: -ENOMEM. */
static struct heat_entry *get_or_insert(struct heat_table *t, int32_t pid,
					uint64_t start, uint64_t now_ns)
{
	size_t i = lower_bound(t, pid, start);
	struct heat_entry *e;

	if (i < t->nr && t->e[i].pid == pid && t->e[i].start == start)
		return &t->e[i];
	e = array_reserve(t->e, &t->cap, t->nr + 1, sizeof(*e), 64);
	if (!e)
		return NULL;
	t->e = e;
	memmove(&t->e[i + 1], &t->e[i], (t->nr - i) * sizeof(*t->e));
	t->nr++;
	memset(&t->e[i], 0, sizeof(t->e[i]));
	t->e[i].pid = pid;
	t->e[i].start = start;
	t->e[i].stamp_ns = now_ns;
	return &t->e[i];
}

static void bump(const struct heat_table *t, struct heat_entry *e,
		 uint64_t delta, uint64_t now_ns)
{
	e->heat = decayed(t, e, now_ns) + (double)delta;
	if (now_ns > e->stamp_ns)
		e->stamp_ns = now_ns;
	e->total += delta;
}

int heat_add(struct heat_table *t, int32_t pid, uint64_t start, uint64_t delta,
	     uint64_t now_ns)
{
	struct heat_entry *e = get_or_insert(t, pid, start, now_ns);

	if (!e)
		return -ENOMEM;
	bump(t, e, delta, now_ns);
	return 0;
}

int heat_set_count(struct heat_table *t, int32_t pid, uint64_t start,
		   uint64_t count, uint64_t now_ns)
{
	struct heat_entry *e = get_or_insert(t, pid, start, now_ns);
	uint64_t delta;

	if (!e)
		return -ENOMEM;
	delta = count >= e->count ? count - e->count : count;
	e->count = count;
	bump(t, e, delta, now_ns);
	return 0;
}

const struct heat_entry *heat_find(const struct heat_table *t, int32_t pid,
				   uint64_t start)
{
	size_t i = lower_bound(t, pid, start);

	if (i < t->nr && t->e[i].pid == pid && t->e[i].start == start)
		return &t->e[i];
	return NULL;
}

double heat_value(const struct heat_table *t, const struct heat_entry *e,
		  uint64_t now_ns)
{
	return e ? decayed(t, e, now_ns) : 0;
}

double heat_get(const struct heat_table *t, int32_t pid, uint64_t start,
		uint64_t now_ns)
{
	return heat_value(t, heat_find(t, pid, start), now_ns);
}

/* Remove [lo, hi) entries of the array. */
static void remove_span(struct heat_table *t, size_t lo, size_t hi)
{
	if (lo == hi)
		return;
	memmove(&t->e[lo], &t->e[hi], (t->nr - hi) * sizeof(*t->e));
	t->nr -= hi - lo;
}

size_t heat_drop_range(struct heat_table *t, int32_t pid, uint64_t lo,
		       uint64_t hi)
{
	size_t a, b;

	if (hi <= lo)
		return 0;
	a = lower_bound(t, pid, lo);
	b = lower_bound(t, pid, hi);
	remove_span(t, a, b);
	return b - a;
}

size_t heat_drop_pid(struct heat_table *t, int32_t pid)
{
	size_t a = lower_bound(t, pid, 0), b = a;

	while (b < t->nr && t->e[b].pid == pid)
		b++;
	remove_span(t, a, b);
	return b - a;
}

size_t heat_prune(struct heat_table *t, uint64_t now_ns, double min_heat,
		  void (*gone)(void *ctx, const struct heat_entry *e),
		  void *ctx)
{
	size_t i, kept = 0, dropped;

	for (i = 0; i < t->nr; i++) {
		if (decayed(t, &t->e[i], now_ns) < min_heat) {
			if (gone)
				gone(ctx, &t->e[i]);
			continue;
		}
		t->e[kept++] = t->e[i];
	}
	dropped = t->nr - kept;
	t->nr = kept;
	return dropped;
}

static int rank_cmp(const void *a, const void *b)
{
	const struct heat_entry *x = a, *y = b;

	if (x->heat != y->heat)
		return x->heat > y->heat ? -1 : 1;
	return key_cmp(x->pid, x->start, y->pid, y->start);
}

int heat_ranked(const struct heat_table *t, uint64_t now_ns,
		struct heat_entry **out, size_t *nr)
{
	struct heat_entry *r = NULL;
	size_t i;

	*out = NULL;
	*nr = 0;
	if (!t->nr)
		return 0;
	r = malloc(t->nr * sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < t->nr; i++) {
		r[i] = t->e[i];
		r[i].heat = decayed(t, &t->e[i], now_ns);
		r[i].stamp_ns = now_ns;
	}
	qsort(r, t->nr, sizeof(*r), rank_cmp);
	*out = r;
	*nr = t->nr;
	return 0;
}
