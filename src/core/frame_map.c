// SPDX-License-Identifier: GPL-2.0-only
/*
 * Frame map: per-frame state, zones, and an index of unusable spans.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frame_map.h"
#include "array.h"

int frame_map_init(struct frame_map *fm, uint64_t nr_frames)
{
	memset(fm, 0, sizeof(*fm));
	fm->state = calloc(nr_frames ? nr_frames : 1, 1);
	if (!fm->state)
		return -ENOMEM;
	fm->nr_frames = nr_frames;
	return 0;
}

void frame_map_free(struct frame_map *fm)
{
	free(fm->state);
	free(fm->order);
	free(fm->bad);
	memset(fm, 0, sizeof(*fm));
}

int frame_map_add_zone(struct frame_map *fm, uint64_t start, uint64_t end,
		       const char *name, int node)
{
	struct frame_zone *z;

	if (start >= end || end > fm->nr_frames ||
	    fm->nr_zones == FRAME_MAP_MAX_ZONES)
		return -EINVAL;
	if (fm->nr_zones && fm->zones[fm->nr_zones - 1].end_pfn > start)
		return -EINVAL;
	z = &fm->zones[fm->nr_zones++];
	z->start_pfn = start;
	z->end_pfn = end;
	z->node = node;
	strncpy(z->name, name, sizeof(z->name) - 1);
	z->name[sizeof(z->name) - 1] = '\0';
	return 0;
}

int frame_map_set_order(struct frame_map *fm, uint64_t pfn,
			unsigned int order)
{
	uint64_t n = UINT64_C(1) << (order > 63 ? 63 : order);

	if (order > FRAME_MAP_MAX_ORDER || (pfn & (n - 1)) ||
	    pfn >= fm->nr_frames || fm->nr_frames - pfn < n)
		return -EINVAL;
	if (!fm->order) {
		if (!order)
			return 0;
		fm->order = calloc(fm->nr_frames, 1);
		if (!fm->order)
			return -ENOMEM;
	}
	memset(fm->order + pfn, (int)order, n);
	return 0;
}

static bool frame_bad(uint8_t s)
{
	return s == FRAME_UNMOVABLE || s == FRAME_HOLE;
}

int frame_map_index(struct frame_map *fm)
{
	size_t n = 0, cap = 0;
	struct frame_bad_span *spans = NULL;
	uint64_t i = 0;

	while (i < fm->nr_frames) {
		struct frame_bad_span *p;
		uint64_t j;

		if (!frame_bad(fm->state[i])) {
			i++;
			continue;
		}
		for (j = i + 1; j < fm->nr_frames && frame_bad(fm->state[j]);)
			j++;
		p = array_reserve(spans, &cap, n + 1, sizeof(*spans), 256);
		if (!p) {
			free(spans);
			return -ENOMEM;
		}
		spans = p;
		spans[n].start = i;
		spans[n].end = j;
		n++;
		i = j;
	}
	free(fm->bad);
	fm->bad = spans;
	fm->nr_bad = n;
	return 0;
}

int frame_map_zone_of(const struct frame_map *fm, uint64_t pfn)
{
	unsigned int i;

	if (!fm->nr_zones)
		return pfn < fm->nr_frames ? 0 : -1;
	for (i = 0; i < fm->nr_zones; i++)
		if (pfn >= fm->zones[i].start_pfn && pfn < fm->zones[i].end_pfn)
			return (int)i;
	return -1;
}

/* Index of the first bad span whose end is > pfn (nr_bad if none). */
static size_t first_bad_after(const struct frame_map *fm, uint64_t pfn)
{
	size_t lo = 0, hi = fm->nr_bad;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fm->bad[mid].end <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool frame_map_window_ok(const struct frame_map *fm, uint64_t start,
			 uint64_t end)
{
	int z;
	size_t b;

	if (start >= end || end > fm->nr_frames)
		return false;
	z = frame_map_zone_of(fm, start);
	if (z < 0 || (fm->nr_zones && end > fm->zones[z].end_pfn))
		return false;
	b = first_bad_after(fm, start);
	return b == fm->nr_bad || fm->bad[b].start >= end;
}

uint64_t frame_map_taint_blocks(struct frame_map *fm, uint64_t block_frames)
{
	uint64_t b, f, end, n = 0;

	for (b = 0; b < fm->nr_frames; b = end) {
		end = (b | (block_frames - 1)) + 1;
		if (end > fm->nr_frames)
			end = fm->nr_frames;
		for (f = b; f < end && fm->state[f] != FRAME_UNMOVABLE; f++)
			;
		if (f == end)
			continue;
		for (f = b; f < end; f++)
			if (fm->state[f] == FRAME_FREE) {
				fm->state[f] = FRAME_UNMOVABLE;
				n++;
			}
	}
	return n;
}

uint64_t frame_map_bad_end(const struct frame_map *fm, uint64_t start,
			   uint64_t end)
{
	size_t b = first_bad_after(fm, start);

	return b < fm->nr_bad && fm->bad[b].start < end ? fm->bad[b].end : 0;
}

uint64_t frame_map_next_good(const struct frame_map *fm, uint64_t pfn)
{
	size_t b = first_bad_after(fm, pfn);

	if (b < fm->nr_bad && fm->bad[b].start <= pfn)
		pfn = fm->bad[b].end;
	return pfn < fm->nr_frames ? pfn : fm->nr_frames;
}
