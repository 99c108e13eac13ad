/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the guest's huge-page tests share (contig_thp_test,
 * contig_promote_test): a 2 MiB block, whether a page is part of a THP,
 * AnonHugePages of a VMA.  Include after guest_fidelity.h.
 */
#ifndef CONTIG_GUEST_THP_H
#define CONTIG_GUEST_THP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define KPF_THP_BIT (1ULL << 22)
#define BLOCK (2UL << 20)
#define NPG (BLOCK / PG)

static inline bool is_thp(const void *va)
{
	uint64_t fl = 0;

	return !kpageflags(frame(va), &fl, 1) && (fl & KPF_THP_BIT);
}

/* AnonHugePages (KiB) of the VMA that holds va, -1 if not found. */
static inline long anon_huge_kib(const void *va)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long lo, hi;
	bool in = false;
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)va >= lo && (uintptr_t)va < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

#endif
