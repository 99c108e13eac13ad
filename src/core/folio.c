// SPDX-License-Identifier: GPL-2.0-only
/*
 * Large folios of a VMA: which are units, see folio.h.
 */
#include <string.h>

#include "folio.h"

unsigned int folio_unit_at(const struct frame_map *fm,
			   const struct vma_pages *v, uint64_t i)
{
	uint64_t pfn = v->pfn[i], n, j;
	unsigned int k;

	if (pfn == CONTIG_PFN_NONE)
		return 0;
	k = frame_map_order(fm, pfn);
	if (!k || k > FOLIO_UNIT_MAX_ORDER)
		return 0;
	n = UINT64_C(1) << k;
	if ((pfn & (n - 1)) || ((v->start_vpn + i) & (n - 1)) || v->nr - i < n)
		return 0;
	for (j = 1; j < n; j++)
		if (v->pfn[i + j] != pfn + j)
			return 0;
	return k;
}

void folio_census(const struct frame_map *fm, const struct vma_pages *v,
		  struct folio_census *out)
{
	uint64_t i = 0;

	memset(out, 0, sizeof(*out));
	if (!fm->order)
		return;
	while (i < v->nr) {
		uint64_t pfn = v->pfn[i];
		unsigned int k;

		if (pfn == CONTIG_PFN_NONE || !frame_map_order(fm, pfn)) {
			i++;
			continue;
		}
		k = folio_unit_at(fm, v, i);
		if (!k) {
			/* one count per folio: skip its pages mapped here */
			uint64_t mask =
				(UINT64_C(1) << frame_map_order(fm, pfn)) - 1;
			uint64_t head = pfn & ~mask;

			out->split++;
			for (i++; i < v->nr && v->pfn[i] != CONTIG_PFN_NONE &&
				  (v->pfn[i] & ~mask) == head;)
				i++;
			continue;
		}
		out->units[k]++;
		out->unit_pages += UINT64_C(1) << k;
		if (k > out->max_order)
			out->max_order = k;
		i += UINT64_C(1) << k;
	}
}
