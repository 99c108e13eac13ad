/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Build a core frame map of the running machine:
 *   - frames outside the "System RAM" ranges of <proc_root>/iomem are HOLE;
 *   - zones come from <proc_root>/zoneinfo (start_pfn + spanned);
 *   - every RAM frame is classified from <proc_root>/kpageflags and
 *     <proc_root>/kpagecount by frame_state_of().
 * Needs root (iomem addresses and kpage* files are hidden otherwise).
 *
 * Memory whose struct pages the kernel has not initialised yet (deferred
 * struct page init, e.g. deferred_init=lazy, where RAM joins the buddy
 * allocator only when a zone needs to grow) reads as flags 0, mapcount 0
 * for every frame. Any whole, aligned memory section (128 MiB) whose
 * frames all have flags 0 is counted HOLE ("uninit"): a real section never
 * looks like that (a free block carries KPF_BUDDY at least on its head,
 * every 4 MiB; on Linux 6.18 on every page of a free block), and the
 * kernel cannot hand out those frames before it initialises them.
 *
 * Known limit: kpageflags has no reference count, so a kernel page with
 * no flags that is not mapped (vmalloc, kernel stack, network buffer, a
 * page on a per-CPU free list) looks exactly like a free buddy tail page
 * (on kernels that flag only the head) and is counted FREE. The
 * executor re-verifies every move, so this only costs a failed attempt.
 */
#ifndef CONTIG_PROBE_FRAMEMAP_BUILD_H
#define CONTIG_PROBE_FRAMEMAP_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "frame_map.h"

struct pfn_range {
	uint64_t start; /* first frame */
	uint64_t end;   /* one past the last */
};

/*
 * Frames wholly inside "System RAM" lines of an iomem text, sorted and
 * merged. *out is malloc'd. 0, -EPERM (addresses shown as zero: not
 * root), -EINVAL (malformed), -ENOMEM.
 */
int iomem_parse_ram(const char *buf, struct pfn_range **out, size_t *nr);

/*
 * Populated zones of a zoneinfo text, sorted by start; a zone that
 * overlaps the previous one is clipped to start after it. 0, -EINVAL
 * (malformed, or more than max zones), -ENOMEM.
 */
int zoneinfo_parse(const char *buf, struct frame_zone *zones,
		   unsigned int max, unsigned int *nr);

/*
 * The policy: FREE = buddy head, or no flags and mapcount 0 (a tail page
 * of a free buddy block); MOVABLE = anonymous LRU page that is not
 * unevictable, mlocked, KSM, hugetlb or another compound page than a THP
 * (the head and tails of a large anonymous folio are movable: its tails
 * lack the LRU bit before 6.9); HOLE = no struct page; UNMOVABLE =
 * everything else.  framemap_build() also records each large anonymous
 * folio's order (frame_map_set_order()).
 */
enum frame_state frame_state_of(uint64_t kflags, uint64_t mapcount);

struct framemap_counts {
	uint64_t state[4]; /* frames per enum frame_state */
	uint64_t ram;      /* frames inside System RAM */
	uint64_t uninit;   /* RAM frames counted HOLE: struct page not set up */
	double seconds;    /* how long the build took */
};

/* Frames per memory section on x86-64 (SECTION_SIZE_BITS 27). */
#define FRAMEMAP_SECTION_FRAMES 32768u

/* Build fm (caller frees with frame_map_free) and its bad-span index.
 * counts may be NULL. 0 or -errno. */
int framemap_build(const char *proc_root, struct frame_map *fm,
		   struct framemap_counts *counts);

#endif
