// SPDX-License-Identifier: GPL-2.0-only
/*
 * collapse_target: hold a scattered, 2 MiB-aligned anonymous region for
 * contigd's collapse backend, and check that its contents survive.
 *
 * Maps MiB (default 64) bytes, 2 MiB-aligned and fenced by PROT_NONE
 * guard pages (one VMA), not MADV_HUGEPAGE, so that faults give base
 * pages; with --nohugepage the region is marked MADV_NOHUGEPAGE. Pages
 * are faulted in a permuted order, interleaved with faults in a second
 * mapping, so that frames come out scattered. Every 8-byte word holds a
 * value derived from its address. Prints
 *   pid PID
 *   region START END
 * then reads commands on stdin: "v" verifies the pattern and prints
 * "ok" or "bad WORD_INDEX"; end of file verifies once more and exits
 * 0 (intact) or 1.
 *
 * usage: collapse_target [--nohugepage] [MiB]
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
	fprintf(stderr, "collapse_target: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* fenced_map() or die */
static char *map_or_die(size_t len, size_t align)
{
	char *p = fenced_map(len, align);

	if (!p)
		die("mmap");
	return p;
}

int main(int argc, char **argv)
{
	size_t mib = 64, pages, len;
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	int nohuge = 0, a = 1;
	char *region, *other, line[64], *end;
	long bad;

	if (a < argc && !strcmp(argv[a], "--nohugepage")) {
		nohuge = 1;
		a++;
	}
	if (a < argc) {
		errno = 0;
		mib = strtoul(argv[a], &end, 10);
		if (errno || *end || !mib || mib % 2 || mib > 65536) {
			fprintf(stderr,
				"usage: collapse_target [--nohugepage] [MiB, even]\n");
			return 2;
		}
	}
	len = mib << 20;
	pages = len / PAGE;
	region = map_or_die(len, HUGE);
	other = map_or_die(len, PAGE);
	if (nohuge && madvise(region, len, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	/* the second mapping stays base pages whatever THP says */
	if (madvise(other, len, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");

	if (scatter_fault(region, other, pages, &seed, pattern_fill))
		die("malloc");

	printf("pid %d\nregion 0x%" PRIxPTR " 0x%" PRIxPTR "\n", (int)getpid(),
	       (uintptr_t)region, (uintptr_t)(region + len));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (line[0] != 'v')
			continue;
		bad = pattern_check(region, len);
		if (bad < 0)
			printf("ok\n");
		else
			printf("bad %ld\n", bad);
		fflush(stdout);
	}
	bad = pattern_check(region, len);
	if (bad >= 0) {
		fprintf(stderr, "collapse_target: word %ld changed\n", bad);
		return 1;
	}
	return 0;
}
