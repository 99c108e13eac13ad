/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a strategy did to a buffer, from its frames before and after
 * (/proc/self/pagemap; needs CAP_SYS_ADMIN for real frame numbers).
 */
#ifndef CONTIG_E2E_FRAME_MOVES_H
#define CONTIG_E2E_FRAME_MOVES_H

#include <stddef.h>
#include <stdint.h>

/* The frames of npages pages at buf into pfn[]: 0 or -errno. */
int frames_read(const void *buf, size_t npages, uint64_t *pfn);

/*
 * Fewest pages any single physical run could have left in place must
 * move: present pages minus the most that share one offset pfn - vpn.
 * This lower bound ignores where the run may go.
 */
uint64_t frames_misplaced_min(const void *buf, size_t npages,
			      const uint64_t *pfn);

/* Pages present in both and on another frame after. */
uint64_t frames_changed(const uint64_t *before, const uint64_t *after,
			size_t npages);

#endif
