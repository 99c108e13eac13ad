// SPDX-License-Identifier: GPL-2.0-only
/* Adaptive access regions of one VMA (regions.h). */
#include <string.h>

#include "regions.h"

#define PG 4096u

static uint64_t next_rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static uint64_t pages(const struct region *r)
{
	return (r->end - r->start) / PG;
}

void regions_init(struct vma_regions *v, uint64_t start, uint64_t end)
{
	uint64_t n = (end - start) / PG, each, at = start;
	size_t i, nr = n < REGIONS_START ? (size_t)n : REGIONS_START;

	memset(v, 0, sizeof(*v));
	v->start = start;
	v->end = end;
	if (!nr)
		return;
	each = n / nr;
	for (i = 0; i < nr; i++) {
		v->r[i].start = at;
		at = i + 1 == nr ? end : at + each * PG;
		v->r[i].end = at;
	}
	v->nr = nr;
}

size_t regions_round(struct vma_regions *v, uint64_t *rng, uint64_t *out,
		     size_t *nr_check)
{
	size_t i, n = 0;

	for (i = 0; i < v->nr; i++) {
		v->r[i].checking = v->r[i].check != 0;
		if (v->r[i].checking)
			out[n++] = v->r[i].check;
	}
	*nr_check = n;
	for (i = 0; i < v->nr; i++) {
		struct region *r = &v->r[i];

		r->check = r->start + next_rnd(rng) % pages(r) * PG;
		out[n++] = r->check;
	}
	return n;
}

void regions_record(struct vma_regions *v, const uint8_t *res, size_t nr,
		    uint8_t young)
{
	size_t i, k = 0;

	for (i = 0; i < v->nr && k < nr; i++) {
		if (!v->r[i].checking)
			continue;
		v->r[i].nr_acc += res[k++] == young;
		v->r[i].checking = 0;
	}
	if (k)
		v->rounds++;
}

/* Neighbours whose counts differ by at most a tenth of the rounds. */
static void merge(struct vma_regions *v)
{
	uint32_t thres = v->rounds / 10;
	size_t i, n = 0;

	for (i = 0; i < v->nr; i++) {
		struct region *r = &v->r[i];
		struct region *last = n ? &v->r[n - 1] : NULL;
		uint32_t d;

		if (last) {
			d = last->nr_acc > r->nr_acc ? last->nr_acc - r->nr_acc :
						       r->nr_acc - last->nr_acc;
			if (d <= thres) {
				/* size-weighted count of the whole */
				last->nr_acc = (uint32_t)(
					(last->nr_acc * pages(last) +
					 r->nr_acc * pages(r)) /
					(pages(last) + pages(r)));
				last->end = r->end;
				if (!last->check)
					last->check = r->check;
				continue;
			}
		}
		v->r[n++] = *r;
	}
	v->nr = n;
}

/* Every region of two pages or more in two, at a random page. */
static void split(struct vma_regions *v, uint64_t *rng)
{
	size_t i = v->nr;

	while (i-- > 0 && v->nr < REGIONS_MAX) {
		struct region *r = &v->r[i];
		uint64_t n = pages(r), at;

		if (n < 2)
			continue;
		at = r->start + (1 + next_rnd(rng) % (n - 1)) * PG;
		memmove(&v->r[i + 2], &v->r[i + 1],
			(v->nr - i - 1) * sizeof(*r));
		v->r[i + 1] = *r;
		v->r[i + 1].start = at;
		v->r[i + 1].check = r->check >= at ? r->check : 0;
		if (r->check >= at)
			r->check = 0;
		r->end = at;
		v->nr++;
	}
}

uint64_t regions_aggregate(struct vma_regions *v, uint64_t *rng)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < v->nr; i++)
		sum += v->r[i].nr_acc * pages(&v->r[i]);
	if (v->rounds)
		merge(v);
	if (v->nr <= REGIONS_MAX / 2)
		split(v, rng);
	for (i = 0; i < v->nr; i++)
		v->r[i].nr_acc = 0;
	v->rounds = 0;
	return sum;
}
