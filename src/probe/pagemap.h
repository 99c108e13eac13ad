/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /proc/PID/pagemap: one 64-bit entry per virtual page
 * (Documentation/admin-guide/mm/pagemap.rst), turned into the pfn[] arrays
 * of core/vma_pages.h.
 *
 * Without CAP_SYS_ADMIN the kernel reports present pages with PFN 0; that
 * is detected and returned as -EPERM. A process that exits while we read
 * shows up as ENOENT/ESRCH or as end of file, all returned as -ESRCH.
 */
#ifndef CONTIG_PROBE_PAGEMAP_H
#define CONTIG_PROBE_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vma_pages.h"

#define PM_ENTRY_BYTES 8
#define PM_PFN_MASK ((UINT64_C(1) << 55) - 1)
#define PM_SOFT_DIRTY (UINT64_C(1) << 55)
#define PM_EXCLUSIVE (UINT64_C(1) << 56)
#define PM_UFFD_WP (UINT64_C(1) << 57)
#define PM_GUARD (UINT64_C(1) << 58)
#define PM_FILE (UINT64_C(1) << 61)
#define PM_SWAPPED (UINT64_C(1) << 62)
#define PM_PRESENT (UINT64_C(1) << 63)

struct pagemap_counts {
	uint64_t present;
	uint64_t swapped;
};

/* Open <proc_root>/PID/pagemap: an fd, or -ESRCH, -EACCES, -errno. */
int pagemap_open(const char *proc_root, pid_t pid);

/*
 * Turn raw entries into PFNs in place: the PFN for a present page,
 * CONTIG_PFN_NONE otherwise (never touched, swapped, migration entry).
 * Adds to c if not NULL. -EPERM if a present page has PFN 0 (hidden).
 */
int pagemap_decode(uint64_t *e, uint64_t nr, struct pagemap_counts *c);

/*
 * Read and decode the entries of pages [start_vpn, start_vpn + nr) into
 * pfn[] with a few large preads. 0, -ESRCH, -EPERM (PFNs hidden), -errno.
 */
int pagemap_read(int fd, uint64_t start_vpn, uint64_t nr, uint64_t *pfn,
		 struct pagemap_counts *c);

/*
 * A VMA read so that huge, mostly empty reservations (a JIT cage, a
 * sanitizer shadow, a garbage-collected heap) stay small in memory: every
 * stretch of two or more 2 MiB-aligned blocks with no present page keeps
 * its first block and drops the rest. Dropping whole aligned blocks keeps
 * VA alignment mod 2 MiB, and a kept empty block still separates runs, so
 * contig_metrics_compute(pages.pfn, pages.start_vpn, pages.nr) gives the
 * same present/runs/largest_run/runs_99/aligned_2m as on the full array;
 * only the page count differs (real_nr is the VMA's).
 */
struct pagemap_gap {
	uint64_t at;      /* index in pages.pfn where the pages were dropped */
	uint64_t dropped; /* how many (a multiple of 512) */
};

struct pagemap_vma {
	struct vma_pages pages; /* compacted */
	uint64_t real_nr;       /* pages in the VMA */
	struct pagemap_gap *gaps;
	size_t nr_gaps;
	struct pagemap_counts counts;
};

/*
 * Only the address ranges that hold pages are read: the kernel's
 * PAGEMAP_SCAN ioctl finds them (Linux 6.7+); without it (older kernels,
 * a fake /proc in tests) the whole VMA is read.
 */
int pagemap_read_vma(int fd, uint64_t start_vpn, uint64_t nr,
		     struct pagemap_vma *out);

/* Page ranges that may hold present pages, sorted, disjoint. */
struct pagemap_window {
	uint64_t start_vpn;
	uint64_t end_vpn; /* exclusive */
};

/*
 * pagemap_read_vma() given the windows: pages outside every window are
 * taken as not present without reading them.
 */
int pagemap_read_vma_windows(int fd, uint64_t start_vpn, uint64_t nr,
			     const struct pagemap_window *w, size_t nr_w,
			     struct pagemap_vma *out);
void pagemap_vma_free(struct pagemap_vma *pv);

#endif
