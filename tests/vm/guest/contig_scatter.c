// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_scatter - hold a physically scattered buffer of known contents.
 *
 *   contig_scatter [MiB]      (default 32)
 *
 * Maps MiB of anonymous memory as one VMA (MADV_NOHUGEPAGE, PROT_NONE
 * guard pages on both sides) and faults it in a random page order,
 * interleaved with faults in a second mapping of the same size that stays
 * mapped, so that the page allocator hands out no two consecutive frames
 * in order and the frames around the buffer hold pages of this process.
 * Every word of every page gets a pattern derived from the page's index.
 * Prints
 *   pid PID
 *   region START END
 * and waits for signals:
 *   SIGUSR1   check every page, print "verify pages N bad M"
 *   SIGTERM   (or SIGINT, SIGHUP) the same, then exit: 0 if no page was
 *             ever found bad, 1 otherwise
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../integration/test_mem.h"

static void die(const char *what)
{
	fprintf(stderr, "contig_scatter: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* One VMA of len bytes, fenced by PROT_NONE pages, of base pages. */
static char *map_or_die(size_t len)
{
	char *p = fenced_map(len, PAGE);

	if (!p)
		die("mmap");
	if (madvise(p, len, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	return p;
}

static uint64_t pattern(size_t page, size_t word)
{
	uint64_t x = 0x243f6a8885a308d3ULL ^ ((uint64_t)page << 20) ^ word;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 29;
	return x;
}

static void fill_page(char *base, size_t page)
{
	uint64_t *w = (uint64_t *)(base + page * PAGE);

	for (size_t i = 0; i < PAGE / 8; i++)
		w[i] = pattern(page, i);
}

static size_t verify(const char *base, size_t pages)
{
	size_t bad = 0;

	for (size_t p = 0; p < pages; p++) {
		const uint64_t *w = (const uint64_t *)(base + p * PAGE);

		for (size_t i = 0; i < PAGE / 8; i++) {
			if (w[i] != pattern(p, i)) {
				bad++;
				break;
			}
		}
	}
	return bad;
}

int main(int argc, char **argv)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t mib = 32, pages, bad, ever_bad = 0;
	char *region, *other, *end;
	sigset_t set;
	int sig;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: contig_scatter [MiB]\n");
		return 2;
	}
	if (argc == 2) {
		errno = 0;
		mib = strtoul(argv[1], &end, 10);
		if (errno || *end || !mib || mib > 4096) {
			fprintf(stderr, "contig_scatter: bad size '%s'\n",
				argv[1]);
			return 2;
		}
	}
	/* Block the signals before anything can send them. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		die("sigprocmask");

	pages = mib * (1UL << 20) / PAGE;
	region = map_or_die(pages * PAGE);
	other = map_or_die(pages * PAGE);
	if (scatter_fault(region, other, pages, &seed, fill_page))
		die("malloc");

	printf("pid %d\nregion 0x%" PRIxPTR " 0x%" PRIxPTR "\n", (int)getpid(),
	       (uintptr_t)region, (uintptr_t)(region + pages * PAGE));
	fflush(stdout);

	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			die("sigwaitinfo");
		}
		bad = verify(region, pages);
		ever_bad += bad;
		printf("verify pages %zu bad %zu\n", pages, bad);
		fflush(stdout);
		if (sig != SIGUSR1)
			return ever_bad ? 1 : 0;
	}
}
