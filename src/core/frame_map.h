/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Frame map: what every physical frame holds, as far as defragmentation is
 * concerned, plus the zones that partition the frames. Built by the probe
 * layer from /proc/kpageflags, /proc/iomem and /proc/zoneinfo on a real
 * machine, or by the simulator.
 */
#ifndef CONTIG_CORE_FRAME_MAP_H
#define CONTIG_CORE_FRAME_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum frame_state {
	FRAME_FREE = 0, /* in the buddy allocator */
	FRAME_MOVABLE = 1, /* in use by a page the backend can move */
	FRAME_UNMOVABLE = 2, /* kernel, pinned, slab, page tables, ... */
	FRAME_HOLE = 3, /* no RAM behind it */
};

#define FRAME_MAP_MAX_ZONES 16

struct frame_zone {
	uint64_t start_pfn;
	uint64_t end_pfn; /* exclusive */
	char name[16]; /* "DMA", "DMA32", "Normal", ... */
	int node;
};

/* A maximal range of frames that are unmovable or holes. */
struct frame_bad_span {
	uint64_t start;
	uint64_t end; /* exclusive */
};

struct frame_map {
	uint64_t nr_frames; /* frames 0 .. nr_frames - 1 */
	uint8_t *state; /* enum frame_state per frame */
	unsigned int nr_zones;
	struct frame_zone zones[FRAME_MAP_MAX_ZONES]; /* sorted, disjoint */
	/*
	 * Order of the folio each frame belongs to (0: a base page, or not
	 * known), for every frame of a large folio, head and tails alike;
	 * NULL until frame_map_set_order() records one.  Folios are
	 * naturally aligned: the head is the frame aligned to 1 << order.
	 */
	uint8_t *order;
	/* Index built by frame_map_index(); valid until state[] changes. */
	struct frame_bad_span *bad;
	size_t nr_bad;
};

/* All frames FREE, no zones (one zone over all). 0 or -ENOMEM. */
int frame_map_init(struct frame_map *fm, uint64_t nr_frames);
void frame_map_free(struct frame_map *fm);
/* Add a zone; zones must be added in ascending order. 0 or -EINVAL. */
int frame_map_add_zone(struct frame_map *fm, uint64_t start, uint64_t end,
		       const char *name, int node);
/* (Re)build the bad-span index from state[]. 0 or -ENOMEM. */
int frame_map_index(struct frame_map *fm);
/*
 * Mark the FREE frames of every block of block_frames frames (aligned,
 * a power of two) that holds an UNMOVABLE frame as UNMOVABLE too; returns
 * how many.  For backends that claim a free frame by isolating its whole
 * pageblock, which fails while any page of it cannot move.  Call
 * frame_map_index() after.
 */
uint64_t frame_map_taint_blocks(struct frame_map *fm, uint64_t block_frames);

/*
 * Record that frames [pfn, pfn + (1 << order)) are one folio of that
 * order (pfn aligned to it; order <= FRAME_MAP_MAX_ORDER).  0, -EINVAL,
 * -ENOMEM.
 */
#define FRAME_MAP_MAX_ORDER 18
int frame_map_set_order(struct frame_map *fm, uint64_t pfn,
			unsigned int order);
/* Order of the folio holding frame pfn (0: base page or unknown). */
static inline unsigned int frame_map_order(const struct frame_map *fm,
					   uint64_t pfn)
{
	return fm->order && pfn < fm->nr_frames ? fm->order[pfn] : 0;
}

/* Zone index holding frame (0 when there are no zones), or -1. */
int frame_map_zone_of(const struct frame_map *fm, uint64_t pfn);
/*
 * true if [start, end) lies inside one zone and every frame in it is FREE
 * or MOVABLE. Uses the index: O(log nr_bad).
 */
bool frame_map_window_ok(const struct frame_map *fm, uint64_t start,
			 uint64_t end);
/*
 * End of the first bad span that overlaps [start, end), or 0 when none
 * does. O(log nr_bad).
 */
uint64_t frame_map_bad_end(const struct frame_map *fm, uint64_t start,
			   uint64_t end);
/* First frame >= pfn that is not in a bad span (nr_frames if none). */
uint64_t frame_map_next_good(const struct frame_map *fm, uint64_t pfn);

#endif
