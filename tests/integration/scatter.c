// SPDX-License-Identifier: GPL-2.0-only
/*
 * scatter: hold memory with a known, badly scattered physical layout.
 *
 * Maps a 64 MiB anonymous region (MADV_NOHUGEPAGE, fenced by PROT_NONE
 * guard pages so that it is exactly one VMA) and faults it in a permuted
 * page order, interleaved with faults in a second mapping, so that the
 * page allocator cannot hand out consecutive frames. Also maps an 8 MiB
 * 2 MiB-aligned MADV_HUGEPAGE region (when THP allows it, this gives
 * aligned 2 MiB blocks), and a 1 GiB reservation with a handful of
 * pages touched far apart (a sparse VMA, like a JIT cage or a GC heap).
 * Prints
 *   pid PID
 *   region START END
 *   thp START END
 *   sparse START END
 * then sleeps until stdin reaches end of file or a signal ends it.
 *
 * usage: scatter [MiB]   (default 64)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test_mem.h"

static void die(const char *what)
{
	fprintf(stderr, "scatter: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* fenced_map() or die */
static char *map_or_die(size_t len, size_t align)
{
	char *p = fenced_map(len, align);

	if (!p)
		die("mmap");
	return p;
}

static void touch(char *region, size_t page)
{
	region[page * PAGE] = 1;
}

int main(int argc, char **argv)
{
	size_t mib = 64, pages, i;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	static const size_t sparse_touch[] = {
		0,	     5 * 256 + 1, 5 * 256 + 2,
		5 * 256 + 3, 700 * 256,	  1024 * 256 - 1,
	};
	char *region, *other, *thp, *sparse, buf[64];
	char *end;

	if (argc > 1) {
		errno = 0;
		mib = strtoul(argv[1], &end, 10);
		if (errno || *end || !mib || mib > 65536) {
			fprintf(stderr, "usage: scatter [MiB]\n");
			return 2;
		}
	}
	pages = mib * (1UL << 20) / PAGE;
	region = map_or_die(pages * PAGE, HUGE);
	other = map_or_die(pages * PAGE, PAGE);
	thp = map_or_die(4 * HUGE, HUGE);
	sparse = map_or_die(512 * HUGE, HUGE);
	if (madvise(region, pages * PAGE, MADV_NOHUGEPAGE) ||
	    madvise(other, pages * PAGE, MADV_NOHUGEPAGE) ||
	    madvise(sparse, 512 * HUGE, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	/* THP may be disabled: then these are ordinary pages. */
	(void)madvise(thp, 4 * HUGE, MADV_HUGEPAGE);

	if (scatter_fault(region, other, pages, &seed, touch))
		die("malloc");
	memset(thp, 1, 4 * HUGE);
	for (i = 0; i < sizeof(sparse_touch) / sizeof(sparse_touch[0]); i++)
		sparse[sparse_touch[i] * PAGE] = 1;

	printf("pid %d\nregion 0x%" PRIxPTR " 0x%" PRIxPTR "\n"
	       "thp 0x%" PRIxPTR " 0x%" PRIxPTR "\n"
	       "sparse 0x%" PRIxPTR " 0x%" PRIxPTR "\n",
	       (int)getpid(), (uintptr_t)region,
	       (uintptr_t)(region + pages * PAGE), (uintptr_t)thp,
	       (uintptr_t)(thp + 4 * HUGE), (uintptr_t)sparse,
	       (uintptr_t)(sparse + 512 * HUGE));
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	return 0;
}
