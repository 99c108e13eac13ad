/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef CONTIG_CORE_RADIX_SORT_H
#define CONTIG_CORE_RADIX_SORT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Sort n keys ascending: LSD radix, 16-bit digits, passes over constant
 * digits skipped. Needs a scratch buffer of n keys. 0 or -ENOMEM.
 */
int radix_sort_u64(uint64_t *keys, size_t n);

#endif
