// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_layout - the physical layout of a virtual range, from pagemap.
 *
 *   contig_layout PID START END [--runs]
 *                                 one line of figures (below), exit 0;
 *                                 --runs adds a line per run, in virtual
 *                                 order (at most 64), for diagnosis
 *   contig_layout --clock         CLOCK_MONOTONIC in nanoseconds
 *
 * Figures: "layout pages N present N runs N largest N runs_99 N
 * first_pfn 0xPFN contiguous yes|no".  A run is a maximal stretch of
 * present pages in which the virtual and the physical page number both
 * advance by one; runs_99 is the fewest runs, largest first, covering
 * 99 % of the present pages; contiguous means every page is present and
 * they form one run.  Reading frame numbers needs CAP_SYS_ADMIN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PG UINT64_C(4096)
#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_PFN_MASK ((UINT64_C(1) << 55) - 1)
#define CHUNK 4096

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* What /proc/kpageflags says of frame pfn; all ones when unreadable. */
static uint64_t kpageflags(uint64_t pfn)
{
	uint64_t flags = UINT64_MAX;
	int fd = open("/proc/kpageflags", O_RDONLY);

	if (fd >= 0) {
		if (pread(fd, &flags, 8, (off_t)(pfn * 8)) != 8)
			flags = UINT64_MAX;
		close(fd);
	}
	return flags;
}

/*
 * A run starts at page (its offset in the range) in frame pfn; the run
 * before it ended in frame prev (0: none).  Prints the frames' kpageflags:
 * what sits in the frame the page would have continued into.
 */
static void print_run(uint64_t page, uint64_t pfn, uint64_t prev)
{
	printf("run page %" PRIu64 " pfn 0x%" PRIx64 " kpageflags 0x%" PRIx64,
	       page, pfn, kpageflags(pfn));
	if (prev)
		printf(" after 0x%" PRIx64 " next 0x%" PRIx64
		       " kpageflags 0x%" PRIx64,
		       prev, prev + 1, kpageflags(prev + 1));
	printf("\n");
}

int main(int argc, char **argv)
{
	uint64_t pid, start, end, pages, present = 0, nruns = 0, largest = 0;
	uint64_t prev_pfn = 0, first_pfn = 0, runs_99 = 0, need, sum;
	uint64_t *runs, buf[CHUNK];
	int prev_present = 0, fd, show = 0;
	char path[64];
	struct timespec ts;

	if (argc == 2 && !strcmp(argv[1], "--clock")) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		printf("%" PRIu64 "\n",
		       (uint64_t)ts.tv_sec * UINT64_C(1000000000) +
			       (uint64_t)ts.tv_nsec);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[4], "--runs")) {
		show = 1;
		argc--;
	}
	if (argc != 4 || parse_u64(argv[1], &pid) ||
	    parse_u64(argv[2], &start) || parse_u64(argv[3], &end) ||
	    start % PG || end % PG || end <= start) {
		fprintf(stderr,
			"usage: contig_layout PID START END [--runs] | --clock\n");
		return 2;
	}
	pages = (end - start) / PG;
	runs = calloc(pages, sizeof(*runs));
	if (!runs) {
		perror("contig_layout: calloc");
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "contig_layout: %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	for (uint64_t off = 0; off < pages; off += CHUNK) {
		uint64_t n = pages - off < CHUNK ? pages - off : CHUNK;
		ssize_t got =
			pread(fd, buf, n * 8, (off_t)((start / PG + off) * 8));

		if (got != (ssize_t)(n * 8)) {
			fprintf(stderr, "contig_layout: reading %s: %s\n", path,
				got < 0 ? strerror(errno) : "short read");
			return 1;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t e = buf[i], pfn = e & PM_PFN_MASK;

			if (!(e & PM_PRESENT)) {
				prev_present = 0;
				continue;
			}
			if (!pfn) {
				fprintf(stderr,
					"contig_layout: frame numbers are hidden (need CAP_SYS_ADMIN)\n");
				return 1;
			}
			if (!present)
				first_pfn = pfn;
			present++;
			if (prev_present && pfn == prev_pfn + 1) {
				runs[nruns - 1]++;
			} else {
				runs[nruns++] = 1;
				if (show && nruns <= 64)
					print_run(off + i, pfn,
						  prev_present ? prev_pfn : 0);
			}
			prev_present = 1;
			prev_pfn = pfn;
		}
	}
	close(fd);
	qsort(runs, nruns, sizeof(*runs), cmp_desc);
	largest = nruns ? runs[0] : 0;
	need = (present * 99 + 99) / 100;
	for (sum = 0; runs_99 < nruns && sum < need; runs_99++)
		sum += runs[runs_99];
	printf("layout pages %" PRIu64 " present %" PRIu64 " runs %" PRIu64
	       " largest %" PRIu64 " runs_99 %" PRIu64 " first_pfn 0x%" PRIx64
	       " contiguous %s\n",
	       pages, present, nruns, largest, runs_99, first_pfn,
	       present == pages && nruns == 1 ? "yes" : "no");
	free(runs);
	return 0;
}
