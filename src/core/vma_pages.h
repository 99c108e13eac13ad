/* SPDX-License-Identifier: MIT */
/*
 * The physical backing of one VMA, page by page: what the probe layer reads
 * from /proc/PID/pagemap and what every algorithm in core/ consumes.
 */
#ifndef CONTIG_CORE_VMA_PAGES_H
#define CONTIG_CORE_VMA_PAGES_H

#include <stdint.h>

/* pfn[] value for a page that is not present (never faulted, or swapped). */
#define CONTIG_PFN_NONE UINT64_MAX

#define CONTIG_PAGE_SHIFT 12
#define CONTIG_PAGES_2M 512u

struct vma_pages {
	uint64_t start_vpn; /* virtual page number of the VMA's first page */
	uint64_t nr; /* pages in the VMA */
	uint64_t *pfn; /* nr entries, CONTIG_PFN_NONE where not present */
};

#endif
