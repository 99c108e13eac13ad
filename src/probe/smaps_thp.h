/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PMD-mapped huge pages per VMA, from the AnonHugePages: line of each
 * mapping in /proc/PID/smaps.  (The kernel reports no per-VMA figure for
 * the smaller mTHP sizes of 6.8+.)
 */
#ifndef CONTIG_PROBE_SMAPS_THP_H
#define CONTIG_PROBE_SMAPS_THP_H

#include <stdint.h>
#include <sys/types.h>

#include "maps.h"

/*
 * bytes[i]: the AnonHugePages of the smaps entry that starts where
 * maps->v[i] does (0 when smaps has no such entry).  Parses text; 0 or
 * -EINVAL.
 */
int smaps_parse_anon_huge(const char *text, const struct vma_list *maps,
			  uint64_t *bytes);
/* The same from <proc_root>/PID/smaps.  0 or -errno. */
int smaps_anon_huge(const char *proc_root, pid_t pid,
		    const struct vma_list *maps, uint64_t *bytes);

#endif
