/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Large folios (THPs, mTHPs) of a VMA as units: a folio whose 1 << k
 * pages are all mapped in the VMA, in order, at a virtual address aligned
 * to 1 << k pages, is kept whole only if it lands on a frame offset
 * aligned to 1 << k.  Any other large folio (partly mapped, or mapped at
 * an unaligned address after mremap) cannot be placed whole; the kernel
 * helper splits it.
 */
#ifndef CONTIG_CORE_FOLIO_H
#define CONTIG_CORE_FOLIO_H

#include <stdint.h>

#include "frame_map.h"
#include "vma_pages.h"

/* Largest order kept whole: a PMD-mapped THP (2 MiB of 4 KiB pages). */
#define FOLIO_UNIT_MAX_ORDER 9

struct folio_census {
	uint64_t units[FOLIO_UNIT_MAX_ORDER + 1]; /* whole folios per order */
	uint64_t unit_pages; /* pages in them */
	uint64_t split; /* large folios that cannot stay whole */
	unsigned int max_order; /* largest order in units[] (0: none) */
};

/*
 * The order of the large folio page i of v is the head of and that can
 * stay whole (see above), or 0.
 */
unsigned int folio_unit_at(const struct frame_map *fm,
			   const struct vma_pages *v, uint64_t i);

/* Count v's large folios (from fm->order). */
void folio_census(const struct frame_map *fm, const struct vma_pages *v,
		  struct folio_census *out);

#endif
