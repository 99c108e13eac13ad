// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a strategy did to a buffer, from its frames before and after.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "frame_moves.h"
#include "pagemap.h"
#include "vma_pages.h"

#define PAGE_SHIFT 12

int frames_read(const void *buf, size_t npages, uint64_t *pfn)
{
	int fd = pagemap_open(NULL, getpid());
	int err;

	if (fd < 0)
		return fd;
	err = pagemap_read(fd, (uintptr_t)buf >> PAGE_SHIFT, npages, pfn,
			   NULL);
	close(fd);
	return err;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

uint64_t frames_misplaced_min(const void *buf, size_t npages,
			      const uint64_t *pfn)
{
	uint64_t vpn = (uintptr_t)buf >> PAGE_SHIFT, best = 0, run = 0;
	int64_t *d = malloc(npages * sizeof(*d));
	size_t i, n = 0;

	if (!d)
		return UINT64_MAX;
	for (i = 0; i < npages; i++)
		if (pfn[i] != CONTIG_PFN_NONE)
			d[n++] = (int64_t)pfn[i] - (int64_t)(vpn + i);
	qsort(d, n, sizeof(*d), cmp_i64);
	for (i = 0; i < n; i++) {
		run = i && d[i] == d[i - 1] ? run + 1 : 1;
		if (run > best)
			best = run;
	}
	free(d);
	return n - best;
}

uint64_t frames_changed(const uint64_t *before, const uint64_t *after,
			size_t npages)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < npages; i++)
		n += before[i] != CONTIG_PFN_NONE &&
		     after[i] != CONTIG_PFN_NONE && before[i] != after[i];
	return n;
}
