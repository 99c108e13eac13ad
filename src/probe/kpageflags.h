/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /proc/kpageflags and /proc/kpagecount: one 64-bit entry per physical
 * frame (flags, and how many times the frame is mapped). Root only.
 */
#ifndef CONTIG_PROBE_KPAGEFLAGS_H
#define CONTIG_PROBE_KPAGEFLAGS_H

#include <linux/kernel-page-flags.h>
#include <stdint.h>

/*
 * Bits above 31 are not in the uapi header but are reported all the same
 * (include/linux/kernel-page-flags.h in the kernel tree).
 */
#ifndef KPF_RESERVED
#define KPF_RESERVED 32
#endif
#ifndef KPF_MLOCKED
#define KPF_MLOCKED 33
#endif
/*
 * PG_anon_exclusive on an anonymous page: 6.1 reports it as
 * KPF_MAPPEDTODISK, 6.12 as KPF_OWNER_2, both bit 34.
 */
#define KPF_ANON_EXCLUSIVE 34

#define KPF_BIT(n) (UINT64_C(1) << (n))

/* Open <proc_root>/<name> ("kpageflags" or "kpagecount"): fd or -errno. */
int kpage_open(const char *proc_root, const char *name);

/*
 * Read the entries of frames [pfn, pfn + nr) in large batches. The files
 * end at the highest frame the kernel knows; *nr_read says how many
 * entries were there (fewer than nr only at that end). 0 or -errno.
 */
int kpage_read(int fd, uint64_t pfn, uint64_t nr, uint64_t *out,
	       uint64_t *nr_read);

/* Open, read, close: for one-off lookups. */
int kpageflags_read(const char *proc_root, uint64_t pfn, uint64_t nr,
		    uint64_t *flags, uint64_t *nr_read);

#endif
