// SPDX-License-Identifier: GPL-2.0-only
/*
 * Huge pages in the workload's buffer, see thp_blocks.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "thp_blocks.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define BLOCK (2UL << 20)

int thp_collapse_blocks(char *buf, size_t len, unsigned int n)
{
	unsigned int done = 0;
	size_t b;

	if (madvise(buf, len, MADV_HUGEPAGE))
		return -errno;
	for (b = 0; done < n && (b + 1) * BLOCK <= len; b += 2) {
		if (madvise(buf + b * BLOCK, BLOCK, MADV_COLLAPSE))
			return -errno;
		done++;
	}
	return (int)done;
}

long thp_anon_huge_kib(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[256];
	bool in = false;
	long kib = -1;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		uint64_t lo, hi;
		char *end;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && !strncmp(line, "AnonHugePages:", 14)) {
			errno = 0;
			kib = (long)strtoul(line + 14, &end, 10);
			if (errno || end == line + 14)
				kib = -EINVAL;
			break;
		}
	}
	fclose(f);
	return kib;
}
