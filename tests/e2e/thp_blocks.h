/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The workload's huge pages: a buffer of base pages with some of its
 * 2 MiB blocks collapsed into THPs, as on a machine where a free 2 MiB
 * block existed for some faults and not for others.
 */
#ifndef CONTIG_E2E_THP_BLOCKS_H
#define CONTIG_E2E_THP_BLOCKS_H

#include <stddef.h>

/*
 * Let buf (2 MiB-aligned, len bytes, one VMA) have THPs again
 * (MADV_HUGEPAGE: the VMA stays one) and collapse n of its 2 MiB blocks,
 * every other one from the start (MADV_COLLAPSE, which copies).  The
 * number of blocks collapsed, or -errno of the first failure.
 */
int thp_collapse_blocks(char *buf, size_t len, unsigned int n);

/* AnonHugePages of the mapping holding addr (/proc/self/smaps), in KiB. */
long thp_anon_huge_kib(const void *addr);

#endif
