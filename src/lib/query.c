// SPDX-License-Identifier: MIT
/*
 * contig_query(3): figures of a range of the caller, from its own
 * /proc/self/pagemap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contig.h"
#include "lib.h"
#include "metrics.h"
#include "vma_pages.h"

#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define CHUNK 4096

/* Frames of [start_vpn, start_vpn + nr); -EPERM when they are hidden. */
static int read_frames(uint64_t start_vpn, uint64_t nr, uint64_t *pfn)
{
	uint64_t buf[CHUNK], i = 0, present = 0, visible = 0;
	int fd, err = 0;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (i < nr && !err) {
		size_t want = nr - i < CHUNK ? (size_t)(nr - i) : CHUNK, k;
		ssize_t got =
			pread(fd, buf, want * 8, (off_t)((start_vpn + i) * 8));

		if (got < 0) {
			err = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (got == 0) { /* beyond the address space */
			err = -EINVAL;
			break;
		}
		for (k = 0; k < (size_t)got / 8; k++, i++) {
			if (!(buf[k] & PM_PRESENT)) {
				pfn[i] = CONTIG_PFN_NONE;
				continue;
			}
			present++;
			pfn[i] = buf[k] & PM_PFN_MASK;
			visible += pfn[i] != 0;
		}
	}
	close(fd);
	if (!err && present && !visible)
		err = -EPERM;
	return err;
}

CONTIG_EXPORT int contig_query(void *addr, size_t len,
			       struct contig_report *out)
{
	struct contig_metrics m;
	uint64_t start, end, *pfn;
	int err;

	if (!out || !len || lib_range(addr, len, &start, &end)) {
		errno = EINVAL;
		return -1;
	}
	start >>= CONTIG_PAGE_SHIFT;
	end >>= CONTIG_PAGE_SHIFT;
	pfn = malloc((end - start) * sizeof(*pfn));
	if (!pfn) {
		errno = ENOMEM;
		return -1;
	}
	err = read_frames(start, end - start, pfn);
	if (!err)
		err = contig_metrics_compute(pfn, start, end - start, &m);
	free(pfn);
	if (err) {
		errno = -err;
		return -1;
	}
	out->pages = m.pages;
	out->present = m.present;
	out->runs = m.runs;
	out->largest_run = m.largest_run;
	out->runs_99 = m.runs_99;
	out->aligned_2m = m.aligned_2m;
	return 0;
}
