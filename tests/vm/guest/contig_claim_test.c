// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_claim_test - how a MOVE batch claims its target frames, inside the
 * test VM.
 *
 *   contig_claim_test           run the cases, TAP output
 *   contig_claim_test --list    list the cases
 *
 * The kernel's own functions are counted with kprobe events (tracefs
 * kprobe_profile) or, on a kernel without them, by the module itself
 * (debugfs contig/claim): a batch of moves into free frames must take them
 * off the free lists (take_page_off_buddy) without lru_cache_disable() or
 * alloc_contig_range() per op and with at most one drain_all_pages(), and
 * frames a batch claimed but did not use are free again after it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "contig_ioctl.h"
#include "guest_fidelity.h"
#include "guest_vmstat.h"

#define TRACING "/sys/kernel/tracing"
#define KPF_BUDDY_BIT (1ULL << 10)
#define NPAGES 512

/* The functions counted; the name of each one's kprobe event. */
enum { F_TAKE, F_LRU_OFF, F_DRAIN_ALL, F_RANGE, F_COUNT };
static const char *const fn_event[F_COUNT] = { "c_take", "c_lru_off",
					       "c_drain_all", "c_range" };
/* 6.9 renamed alloc_contig_range() (memory allocation profiling). */
static const char *const fn_names[F_COUNT][2] = {
	{ "take_page_off_buddy", NULL },
	{ "lru_cache_disable", NULL },
	{ "drain_all_pages", NULL },
	{ "alloc_contig_range", "alloc_contig_range_noprof" },
};
static bool probed[F_COUNT];

static void probes_remove(void)
{
	char s[96];

	for (int f = 0; f < F_COUNT; f++) {
		if (!probed[f])
			continue;
		snprintf(s, sizeof(s), TRACING "/events/kprobes/%s/enable",
			 fn_event[f]);
		put_str(s, "0");
		snprintf(s, sizeof(s), "-:%s", fn_event[f]);
		put_str(TRACING "/kprobe_events", s);
		probed[f] = false;
	}
}

/* An enabled kprobe event on each function: 0, or -errno of the first. */
static int probes_add(void)
{
	char s[128];
	int ret;

	for (int f = 0; f < F_COUNT; f++) {
		ret = -ENOENT;
		for (int k = 0; k < 2 && fn_names[f][k] && ret; k++) {
			int fd = open(TRACING "/kprobe_events",
				      O_WRONLY | O_APPEND);

			if (fd < 0)
				return -errno;
			snprintf(s, sizeof(s), "p:%s %s\n", fn_event[f],
				 fn_names[f][k]);
			ret = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ?
				      0 :
				      -errno;
			close(fd);
		}
		if (ret) {
			note("no kprobe on %s: %s", fn_names[f][0],
			     strerror(-ret));
			probes_remove();
			return ret;
		}
		probed[f] = true;
		snprintf(s, sizeof(s), TRACING "/events/kprobes/%s/enable",
			 fn_event[f]);
		ret = put_str(s, "1");
		if (ret) {
			probes_remove();
			return ret;
		}
	}
	return 0;
}

/* Hits of every probe so far, from kprobe_profile. */
static int probes_hits(uint64_t hits[F_COUNT])
{
	FILE *f = fopen(TRACING "/kprobe_profile", "r");
	char name[64];
	unsigned long long h, m;

	if (!f)
		return -errno;
	memset(hits, 0, F_COUNT * sizeof(hits[0]));
	while (fscanf(f, "%63s %llu %llu", name, &h, &m) == 3)
		for (int i = 0; i < F_COUNT; i++)
			if (!strcmp(name, fn_event[i]))
				hits[i] = h;
	fclose(f);
	return 0;
}

#define MODULE_COUNTERS "/sys/kernel/debug/contig/claim"

/*
 * The module's own counts (contig_stats.c), where there are no kprobe
 * events.  It calls lru_cache_disable() only through alloc_contig_range()
 * (once per call), and drains the LRU caches itself with
 * lru_add_drain_all(): both count as lru_cache_disable here; and every
 * alloc_contig_range() drains the free lists of every CPU.
 */
static int module_hits(uint64_t hits[F_COUNT])
{
	unsigned long long taken, range, drain_all, lru_drain_all;
	FILE *f = fopen(MODULE_COUNTERS, "r");
	int n, fast;

	if (!f)
		return -errno;
	n = fscanf(f, "taken %llu range %llu drain_all %llu lru_drain_all %llu fast %d",
		   &taken, &range, &drain_all, &lru_drain_all, &fast);
	fclose(f);
	if (n != 5)
		return -EINVAL;
	/* Frames cannot be taken off the free lists: nothing to count. */
	if (!fast)
		return -EOPNOTSUPP;
	hits[F_TAKE] = taken;
	hits[F_LRU_OFF] = range + lru_drain_all;
	hits[F_DRAIN_ALL] = drain_all + range;
	hits[F_RANGE] = range;
	return 0;
}

/* Where the counts come from: probes_hits() or module_hits(). */
static int (*hits_of)(uint64_t hits[F_COUNT]) = probes_hits;

/* /proc/kpagecount of one frame (-1 on error). */
static long long kpagecount(uint64_t pfn)
{
	int fd = open("/proc/kpagecount", O_RDONLY);
	uint64_t c;
	ssize_t got;

	if (fd < 0)
		return -1;
	got = pread(fd, &c, 8, (off_t)(pfn * 8));
	close(fd);
	return got == 8 ? (long long)c : -1;
}

/*
 * The end of the zone holding frame pfn (/proc/zoneinfo), 0 if none does;
 * with *pcp the pages on every per-CPU free list of every zone, and *free
 * every zone's free pages (the lists not included).
 */
static uint64_t zone_scan(uint64_t pfn, long long *pcp, long long *free)
{
	unsigned long long start = 0, spanned = 0, v;
	uint64_t end = 0;
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");

	*pcp = *free = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " spanned %llu", &v) == 1)
			spanned = v;
		else if (sscanf(line, " pages free %llu", &v) == 1)
			*free += (long long)v;
		else if (sscanf(line, " count: %llu", &v) == 1)
			*pcp += (long long)v;
		else if (sscanf(line, " start_pfn: %llu", &v) == 1) {
			start = v;
			if (pfn >= start && pfn < start + spanned)
				end = start + spanned;
		}
	}
	if (f)
		fclose(f);
	return end;
}

/* Free pages, on the buddy lists and the per-CPU ones. */
static long long free_pages(void)
{
	long long pcp, free;

	vmstat_refresh();
	zone_scan(0, &pcp, &free);
	return pcp + free;
}

/*
 * n free frames of the zone holding frame near, from its top down to the
 * block above frame floor, each in a 2 MiB block of free buddy frames only
 * (nobody else allocates there in a quiet guest).  The number found.
 */
static size_t buddy_frames(uint64_t near, uint64_t floor, uint64_t *out,
			   size_t n)
{
	long long pcp, free;
	uint64_t end = zone_scan(near, &pcp, &free) & ~511ULL, fl[512];
	size_t got = 0;

	for (uint64_t lo = end; lo >= (floor | 511) + 513 && got < n;) {
		bool all_free;

		lo -= 512;
		all_free = !kpageflags(lo, fl, 512);
		for (int i = 0; i < 512 && all_free; i++)
			all_free = fl[i] == KPF_BUDDY_BIT || !fl[i];
		for (int i = 0; i < 512 && all_free && got < n; i++)
			out[got++] = lo + (uint64_t)i;
	}
	return got;
}

static struct contig_op move_op(const char *va, uint64_t pfn)
{
	struct contig_op op = {
		.kind = CONTIG_OP_MOVE,
		.pid_a = getpid(),
		.vaddr_a = (uintptr_t)va,
		.pfn = pfn,
	};
	return op;
}

/* Run n ops as one batch; 0 or -errno. */
static int batch(struct contig_op *ops, size_t n)
{
	struct contig_batch b = { .count = (uint32_t)n,
				  .ops = (uintptr_t)ops };

	if (ioctl(dev, CONTIG_IOC_MOVE, &b) < 0)
		return -errno;
	return b.done == n ? 0 : -EIO;
}

/* The hits of each function during one batch of n ops. */
static int counted_batch(struct contig_op *ops, size_t n, uint64_t d[F_COUNT])
{
	uint64_t before[F_COUNT];
	int ret = hits_of(before);

	if (!ret)
		ret = batch(ops, n);
	if (!ret)
		ret = hits_of(d);
	for (int f = 0; !ret && f < F_COUNT; f++) {
		d[f] -= before[f];
		note("%s: %" PRIu64 " calls", fn_names[f][0], d[f]);
	}
	return ret;
}

/*
 * 512 moves into free frames, one batch: every page lands in its frame
 * with its contents, the frames are taken off the free lists, and nothing
 * disables the LRU caches or isolates a pageblock.
 */
static int t_move_batch_no_drains(void)
{
	char *m = pages(NPAGES, MAP_PRIVATE);
	struct contig_op ops[NPAGES];
	uint64_t tgt[NPAGES], d[F_COUNT];
	size_t moved = 0, bad = 0;
	int ret = FAIL;

	if (!m)
		return FAIL;
	for (size_t i = 0; i < NPAGES; i++)
		paint(m + i * PG, 0x5100000000ULL + i * 4096);
	if (buddy_frames(frame(m), frame(m), tgt, NPAGES) < NPAGES) {
		ret = skipped("not 512 free frames above the buffer's");
		goto out;
	}
	for (size_t i = 0; i < NPAGES; i++)
		ops[i] = move_op(m + i * PG, tgt[i]);
	if (counted_batch(ops, NPAGES, d))
		goto out;
	for (size_t i = 0; i < NPAGES; i++) {
		if (!ops[i].result && frame(m + i * PG) == tgt[i])
			moved++;
		else if (ops[i].result != -EBUSY)
			note("page %zu: %s, at %#" PRIx64, i,
			     strerror(-ops[i].result), frame(m + i * PG));
		bad += wrong(m + i * PG, 0x5100000000ULL + i * 4096);
	}
	note("%zu of %d moved into their frames", moved, NPAGES);
	ret = want("words changed", (long long)bad, 0) |
	      want("pages not moved", NPAGES - (long long)moved, 0) |
	      want("lru_cache_disable calls", (long long)d[F_LRU_OFF], 0) |
	      want("alloc_contig_range calls", (long long)d[F_RANGE], 0) |
	      want("drain_all_pages calls beyond one",
		   d[F_DRAIN_ALL] > 1 ? (long long)d[F_DRAIN_ALL] : 0, 0) |
	      want("frames taken off the free lists", (long long)d[F_TAKE],
		   NPAGES);
out:
	munmap(m, NPAGES * PG);
	return ret;
}

/*
 * A batch whose moves all fail (the pages are not mapped) claimed its 512
 * free frames and gives every one back: no reference left on any, and the
 * free pages (per-CPU lists included) back to what they were, give or take
 * 64.
 */
static int t_unused_frames_returned(void)
{
	char *m = pages(NPAGES, MAP_PRIVATE), *hole;
	struct contig_op ops[NPAGES];
	uint64_t tgt[NPAGES], d[F_COUNT];
	size_t efault = 0, held = 0;
	long long free_before, free_after;
	int ret = FAIL;

	if (!m)
		return FAIL;
	m[0] = 1;
	hole = m + PG;
	if (buddy_frames(frame(m), 0, tgt, NPAGES) < NPAGES) {
		ret = skipped("not 512 free frames in the zone");
		goto out;
	}
	munmap(hole, (NPAGES - 1) * PG);
	for (size_t i = 0; i < NPAGES; i++)
		ops[i] = move_op(hole + (i % (NPAGES - 1)) * PG, tgt[i]);
	free_before = free_pages();
	if (counted_batch(ops, NPAGES, d))
		goto out;
	free_after = free_pages();
	for (size_t i = 0; i < NPAGES; i++) {
		efault += ops[i].result == -EFAULT;
		held += kpagecount(tgt[i]) != 0;
	}
	note("free pages (buddy and per-CPU lists) %lld before, %lld after",
	     free_before, free_after);
	ret = want("ops failing with EFAULT", (long long)efault, NPAGES) |
	      want("frames claimed", (long long)d[F_TAKE], NPAGES) |
	      want("frames still referenced", (long long)held, 0) |
	      want("free pages lower by over 64",
		   free_before - free_after > 64, 0);
out:
	munmap(m, PG);
	return ret;
}

struct tcase {
	const char *name;
	int (*fn)(void);
};

static const struct tcase cases[] = {
	{ "move_batch_no_drains", t_move_batch_no_drains },
	{ "unused_frames_returned", t_unused_frames_returned },
};

int main(int argc, char **argv)
{
	size_t ncases = sizeof(cases) / sizeof(cases[0]);
	int failed = 0, n = 0, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < ncases; i++)
			puts(cases[i].name);
		return 0;
	}
	dev = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		printf("Bail out! open %s: %s\n", CONTIG_DEVICE_PATH,
		       strerror(errno));
		return 1;
	}
	ret = probes_add();
	if (ret) {
		uint64_t h[F_COUNT];

		ret = module_hits(h);
		hits_of = module_hits;
		note("counting with %s: %s", MODULE_COUNTERS,
		     ret ? strerror(-ret) : "yes");
	}
	printf("TAP version 13\n1..%zu\n", ncases);
	for (size_t i = 0; i < ncases; i++) {
		int r;

		why[0] = 0;
		r = ret ? skipped(ret == -EOPNOTSUPP ?
					  "no take_page_off_buddy" :
					  "no kprobe events, no module counters") :
			  cases[i].fn();
		if (r == SKIP)
			printf("ok %zu - %s # SKIP %s\n", i + 1, cases[i].name,
			       why);
		else
			printf("%sok %zu - %s\n", r == PASS ? "" : "not ",
			       i + 1, cases[i].name);
		failed += r == FAIL;
		n++;
	}
	probes_remove();
	printf("# %d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
