// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_zone_fill - exchanges by migration while the Normal zone is full,
 * inside the test VM (one TAP case).
 *
 *   contig_zone_fill [PAIRS]      (default 256)
 *
 * Pairs of pages are faulted in the Normal zone, then the rest of Normal
 * is filled and its watermarks raised (watermark_scale_factor, put back
 * afterwards) so that Normal stays below its low mark: a page the kernel
 * evicts lands where the allocator falls back to (DMA32).  Every pair started in one zone, so
 * no op may report -EXDEV, and each op's outcome must say exactly which
 * of its two pages pagemap shows in another frame afterwards; a done op
 * has swapped the frames; every page keeps its contents.  The second page
 * of every fourth pair is mlocked, which no migration step may move: an
 * exchange that evicted it first (into DMA32) would leave it there.  No
 * page may leave Normal, done op or not: evictions stay in the zone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "contig_ioctl.h"
#include "guest_fidelity.h"

#define WSF "/proc/sys/vm/watermark_scale_factor"

/* The first line of a small file, without its newline: 0 or -errno. */
static int get_str(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	int ret;

	buf[0] = 0;
	ret = f && fgets(buf, (int)n, f) ? 0 : -EIO;

	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ret;
}

struct zone_span {
	uint64_t start, end, free, low;
};

/* The Normal zone of node 0 from /proc/zoneinfo; 0 or -ENOENT. */
static int normal_zone(struct zone_span *z)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	unsigned long long v, spanned = 0;
	char line[256];
	int in = 0, found = -ENOENT;

	memset(z, 0, sizeof(*z));
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node ", 5)) {
			in = strstr(line, "zone   Normal") != NULL;
			continue;
		}
		if (!in)
			continue;
		found = 0;
		if (sscanf(line, " pages free %llu", &v) == 1)
			z->free = v;
		else if (sscanf(line, " low %llu", &v) == 1)
			z->low = v;
		else if (sscanf(line, " spanned %llu", &v) == 1)
			spanned = v;
		else if (sscanf(line, " start_pfn: %llu", &v) == 1)
			z->start = v;
	}
	if (f)
		fclose(f);
	z->end = z->start + spanned;
	return found;
}

static bool in_zone(const struct zone_span *z, uint64_t pfn)
{
	return pfn >= z->start && pfn < z->end;
}

int main(int argc, char **argv)
{
	unsigned long long want_pairs = 256;
	struct zone_span z;
	char wsf[32];
	struct contig_op *ops;
	struct contig_batch b = { 0 };
	uint64_t *before, *after, fill_pages;
	size_t n = 0, exdev = 0, done = 0, bad_outcome = 0, bad_swap = 0;
	size_t locked = 0, left_zone = 0;
	char *m, *fill, *end;
	int r = PASS;

	if (argc > 1) {
		errno = 0;
		want_pairs = strtoull(argv[1], &end, 10);
		if (errno || *end || !want_pairs || want_pairs > 4096) {
			fprintf(stderr, "contig_zone_fill: bad pair count '%s'\n", argv[1]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..1\n");
	dev = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0 || normal_zone(&z)) {
		printf("ok 1 - migrate_with_normal_full # SKIP no %s\n",
		       dev < 0 ? CONTIG_DEVICE_PATH : "Normal zone");
		return 0;
	}
	m = pages(2 * want_pairs, MAP_PRIVATE);
	ops = calloc(want_pairs, sizeof(*ops));
	before = calloc(2 * want_pairs, sizeof(*before));
	after = calloc(2 * want_pairs, sizeof(*after));
	if (!m || !ops || !before || !after)
		return 1;
	for (size_t i = 0; i < 2 * want_pairs; i++)
		paint(m + i * PG, 0x100000 * (i + 1));
	/* Pairs whose two pages both lie in Normal. */
	for (size_t i = 0; i < want_pairs; i++) {
		char *pa = m + 2 * i * PG, *pb = pa + PG;

		if (!in_zone(&z, frame(pa)) || !in_zone(&z, frame(pb)))
			continue;
		if (i % 4 == 3) {
			if (mlock(pb, PG)) {
				note("mlock: %s", strerror(errno));
				return 1;
			}
			locked++;
		}
		ops[n] = (struct contig_op){ .kind = CONTIG_OP_EXCHANGE,
					     .flags = CONTIG_OP_F_MIGRATE,
					     .pid_a = getpid(),
					     .vaddr_a = (uintptr_t)pa,
					     .pid_b = getpid(),
					     .vaddr_b = (uintptr_t)pb };
		n++;
	}
	if (n < 16) {
		printf("ok 1 - migrate_with_normal_full # SKIP only %zu pairs in Normal\n", n);
		return 0;
	}
	/* Fill what Normal has left, and some: the rest falls back. */
	normal_zone(&z);
	fill_pages = z.free + 4096;
	fill = mmap(NULL, fill_pages * PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (fill == MAP_FAILED) {
		note("filling %" PRIu64 " pages: %s", fill_pages, strerror(errno));
		return 1;
	}
	/* Filled, Normal sits at its low mark: raise the marks above it. */
	if (get_str(WSF, wsf, sizeof(wsf)) || put_str(WSF, "1000")) {
		note("cannot raise %s", WSF);
		return 1;
	}
	normal_zone(&z);
	note("%zu pairs in Normal; Normal now has %" PRIu64 " free pages (low mark %" PRIu64 ")",
	     n, z.free, z.low);
	for (size_t i = 0; i < n; i++) {
		before[2 * i] = frame((void *)(uintptr_t)ops[i].vaddr_a);
		before[2 * i + 1] = frame((void *)(uintptr_t)ops[i].vaddr_b);
	}
	b.count = (uint32_t)n;
	b.ops = (uintptr_t)ops;
	if (ioctl(dev, CONTIG_IOC_EXCHANGE, &b) || b.done != n) {
		note("batch: %s, %u done", strerror(errno), b.done);
		r = FAIL;
	}
	put_str(WSF, wsf);
	for (size_t i = 0; i < n && !r; i++) {
		uint64_t pa0 = before[2 * i], pb0 = before[2 * i + 1], pa1, pb1;
		uint32_t want_out;

		pa1 = after[2 * i] = frame((void *)(uintptr_t)ops[i].vaddr_a);
		pb1 = after[2 * i + 1] = frame((void *)(uintptr_t)ops[i].vaddr_b);
		want_out = (pa1 != pa0 ? CONTIG_OUT_A_MOVED : 0) |
			   (pb1 != pb0 ? CONTIG_OUT_B_MOVED : 0);
		exdev += ops[i].result == -EXDEV;
		if ((!in_zone(&z, pa1) || !in_zone(&z, pb1)) && left_zone++ < 5)
			note("pair %zu: %s, frames %#" PRIx64 "/%#" PRIx64
			     " became %#" PRIx64 "/%#" PRIx64 ", outside Normal", i,
			     strerror(-ops[i].result), pa0, pb0, pa1, pb1);
		done += ops[i].result == 0;
		if (ops[i].outcome != want_out && bad_outcome++ < 5)
			note("pair %zu: %s, outcome %#x, pagemap says %#x", i,
			     strerror(-ops[i].result), ops[i].outcome, want_out);
		if (!ops[i].result && (pa1 != pb0 || pb1 != pa0) && bad_swap++ < 5)
			note("pair %zu: done but frames %#" PRIx64 "/%#" PRIx64
			     " became %#" PRIx64 "/%#" PRIx64, i, pa0, pb0, pa1, pb1);
	}
	note("%zu ops (%zu with a locked page): %zu done, %zu EXDEV, %zu outcomes wrong, "
	     "%zu done ops not swapped, %zu with a page outside Normal",
	     n, locked, done, exdev, bad_outcome, bad_swap, left_zone);
	r |= want("ops reporting -EXDEV for pages of one zone", (long long)exdev, 0);
	r |= want("outcomes that disagree with pagemap", (long long)bad_outcome, 0);
	r |= want("done ops whose frames were not swapped", (long long)bad_swap, 0);
	r |= want("ops that left a page outside Normal", (long long)left_zone, 0);
	for (size_t i = 0; i < 2 * want_pairs; i++)
		if (wrong(m + i * PG, 0x100000 * (i + 1))) {
			note("page %zu lost its contents", i);
			r = FAIL;
			break;
		}
	printf("%sok 1 - migrate_with_normal_full\n", r ? "not " : "");
	munmap(fill, fill_pages * PG);
	return r ? 1 : 0;
}
