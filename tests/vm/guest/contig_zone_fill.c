// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_zone_fill - exchanges by migration while the Normal zone is full,
 * inside the test VM (one TAP case).
 *
 *   contig_zone_fill [PAIRS]      (default 256)
 *
 * Pairs of pages are faulted in the Normal zone (page a of each in one
 * mapping, page b in another), then the rest of Normal is filled, and
 * pages faulted after that, which the allocator puts in DMA32, make
 * cross-zone pairs with more pages of Normal (faulted while Normal's
 * watermarks are raised above its free pages, watermark_scale_factor
 * 1000, so that they fall back to DMA32; watermark_boost_factor is 0
 * throughout, both put back at the end).  Two batches of exchanges by
 * migration run, each while a thread keeps mlock()ing and munlock()ing
 * the b pages of the pairs in Normal, so that a b page is movable when an
 * op looks at it and locked when a later step of the op wants to move it:
 *   1. with Normal's own watermarks and 8192 pages of the fill given
 *      back: it has frames to spare;
 *   2. with its watermarks raised: an eviction the kernel places by
 *      itself lands in DMA32, where the allocator falls back to.
 * After each batch, for every op: -EXDEV exactly for the pairs that
 * started in different zones; the outcome says exactly which of its pages
 * pagemap shows in another frame; -ENOMEM (no frame in the zone to evict
 * into) with nothing moved; a done op has swapped the frames; no page in
 * another zone than it started in (/proc/zoneinfo spans), done op or not.
 * The first batch must get some ops done.  Every page keeps its contents.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "contig_ioctl.h"
#include "guest_fidelity.h"

#define WSF "/proc/sys/vm/watermark_scale_factor"
#define WBF "/proc/sys/vm/watermark_boost_factor"
#define CROSS 32 /* cross-zone pairs */
#define SPARE 8192 /* pages of the fill given back for the first batch */

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

enum { Z_DMA, Z_DMA32, Z_NORMAL, Z_NR, Z_NONE = Z_NR };
static const char *const zone_name[Z_NR + 1] = { "DMA", "DMA32", "Normal",
						 "none" };

/* The zones of node 0 from /proc/zoneinfo; 0, or -ENOENT without Normal. */
static int read_zones(struct zone_span z[Z_NR])
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	unsigned long long v;
	char line[256], name[32];
	int in = -1;

	memset(z, 0, Z_NR * sizeof(*z));
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node 0, zone %31s", name) == 1 ||
		    !strncmp(line, "Node ", 5)) {
			in = -1;
			for (int i = 0; i < Z_NR; i++)
				if (!strncmp(line, "Node 0,", 7) &&
				    !strcmp(name, zone_name[i]))
					in = i;
			continue;
		}
		if (in < 0)
			continue;
		if (sscanf(line, " pages free %llu", &v) == 1)
			z[in].free = v;
		else if (sscanf(line, " low %llu", &v) == 1)
			z[in].low = v;
		else if (sscanf(line, " spanned %llu", &v) == 1)
			z[in].end = v; /* a length until start_pfn comes */
		else if (sscanf(line, " start_pfn: %llu", &v) == 1)
			z[in].start = v;
	}
	if (f)
		fclose(f);
	for (int i = 0; i < Z_NR; i++)
		z[i].end += z[i].start;
	return z[Z_NORMAL].end > z[Z_NORMAL].start ? 0 : -ENOENT;
}

static struct zone_span zones[Z_NR];

static int zone_of(uint64_t pfn)
{
	for (int i = 0; i < Z_NR; i++)
		if (pfn && pfn >= zones[i].start && pfn < zones[i].end)
			return i;
	return Z_NONE;
}

/* mlock() and munlock() the b pages, over and over, until told to stop. */
struct toggler {
	pthread_t t;
	char *p;
	size_t len;
	atomic_int stop;
	unsigned long rounds;
};

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Unlocked as long as locking took: each state about half the time. */
static void *toggle(void *arg)
{
	struct toggler *tg = arg;

	while (!atomic_load(&tg->stop)) {
		uint64_t t0 = now_ns(), ns;
		struct timespec ts;

		mlock(tg->p, tg->len);
		ns = now_ns() - t0;
		munlock(tg->p, tg->len);
		ts.tv_sec = (time_t)(ns / 1000000000u);
		ts.tv_nsec = (long)(ns % 1000000000u);
		nanosleep(&ts, NULL);
		tg->rounds++;
	}
	return NULL;
}

struct pairs {
	struct contig_op *ops;
	uint64_t *before; /* frames of a and b of op i: [2i], [2i+1] */
	int *cross; /* op i's pages started in different zones */
	size_t n;
};

/* The batch, with the b pages toggling; PASS or FAIL. */
static int run_batch(struct pairs *ps, char *bs, size_t nb)
{
	struct toggler tg = { .p = bs, .len = nb * PG };
	struct contig_batch b = { .count = (uint32_t)ps->n,
				  .ops = (uintptr_t)ps->ops };
	int r = PASS;

	for (size_t i = 0; i < ps->n; i++) {
		ps->ops[i].result = 0;
		ps->ops[i].outcome = 0;
		ps->before[2 * i] = frame((void *)(uintptr_t)ps->ops[i].vaddr_a);
		ps->before[2 * i + 1] = frame((void *)(uintptr_t)ps->ops[i].vaddr_b);
		ps->cross[i] = zone_of(ps->before[2 * i]) !=
			       zone_of(ps->before[2 * i + 1]);
	}
	if (pthread_create(&tg.t, NULL, toggle, &tg)) {
		note("pthread_create failed");
		return FAIL;
	}
	if (ioctl(dev, CONTIG_IOC_EXCHANGE, &b) || b.done != ps->n) {
		note("batch: %s, %u done", strerror(errno), b.done);
		r = FAIL;
	}
	atomic_store(&tg.stop, 1);
	pthread_join(tg.t, NULL);
	munlock(bs, nb * PG);
	note("b pages locked and unlocked %lu times during the batch", tg.rounds);
	return r;
}

/* Each op's result and outcome against pagemap and the zones; PASS or FAIL. */
static int check_batch(const char *label, const struct pairs *ps, size_t *done)
{
	size_t exdev_same = 0, cross_not_exdev = 0, bad_outcome = 0;
	size_t bad_swap = 0, nomem_moved = 0, left_zone = 0, cross = 0;
	size_t by_err[5] = { 0 };
	int r = PASS;

	*done = 0;
	for (size_t i = 0; i < ps->n; i++) {
		const struct contig_op *op = &ps->ops[i];
		uint64_t pa0 = ps->before[2 * i], pb0 = ps->before[2 * i + 1];
		uint64_t pa1 = frame((void *)(uintptr_t)op->vaddr_a);
		uint64_t pb1 = frame((void *)(uintptr_t)op->vaddr_b);
		uint32_t want_out = (pa1 != pa0 ? CONTIG_OUT_A_MOVED : 0) |
				    (pb1 != pb0 ? CONTIG_OUT_B_MOVED : 0);

		cross += ps->cross[i];
		*done += !op->result;
		by_err[op->result == -ENOMEM	? 1 :
			op->result == -EBUSY	? 2 :
			op->result == -EAGAIN	? 3 :
			op->result == -EXDEV	? 4 :
						  0] += op->result != 0;
		if (op->result == -EXDEV && !ps->cross[i])
			exdev_same++;
		if (ps->cross[i] && (op->result != -EXDEV || want_out))
			cross_not_exdev++;
		if (op->outcome != want_out && bad_outcome++ < 5)
			note("%s: pair %zu: %s, outcome %#x, pagemap says %#x", label,
			     i, strerror(-op->result), op->outcome, want_out);
		if (op->result == -ENOMEM && want_out)
			nomem_moved++;
		if (!op->result && (pa1 != pb0 || pb1 != pa0) && bad_swap++ < 5)
			note("%s: pair %zu: done but frames %#" PRIx64 "/%#" PRIx64
			     " became %#" PRIx64 "/%#" PRIx64, label, i, pa0, pb0,
			     pa1, pb1);
		if ((zone_of(pa1) != zone_of(pa0) || zone_of(pb1) != zone_of(pb0)) &&
		    left_zone++ < 5)
			note("%s: pair %zu: %s, frames %#" PRIx64 " (%s)/%#" PRIx64
			     " (%s) became %#" PRIx64 " (%s)/%#" PRIx64 " (%s)",
			     label, i, strerror(-op->result), pa0,
			     zone_name[zone_of(pa0)], pb0, zone_name[zone_of(pb0)],
			     pa1, zone_name[zone_of(pa1)], pb1, zone_name[zone_of(pb1)]);
	}
	note("%s: %zu ops (%zu cross-zone): %zu done, failed: %zu ENOMEM, %zu EBUSY, "
	     "%zu EAGAIN, %zu EXDEV, %zu other; %zu with a page in another zone",
	     label, ps->n, cross, *done, by_err[1], by_err[2], by_err[3],
	     by_err[4], by_err[0], left_zone);
	r |= want("ops reporting -EXDEV for pages of one zone", (long long)exdev_same, 0);
	r |= want("cross-zone ops not refused with -EXDEV", (long long)cross_not_exdev, 0);
	r |= want("outcomes that disagree with pagemap", (long long)bad_outcome, 0);
	r |= want("-ENOMEM ops that moved a page", (long long)nomem_moved, 0);
	r |= want("done ops whose frames were not swapped", (long long)bad_swap, 0);
	r |= want("ops that left a page in another zone", (long long)left_zone, 0);
	return r;
}

static int parse_pairs(int argc, char **argv, size_t *pairs)
{
	unsigned long long v;
	char *end;

	*pairs = 256;
	if (argc < 2)
		return 0;
	errno = 0;
	v = strtoull(argv[1], &end, 10);
	if (errno || *end || !v || v > 4096) {
		fprintf(stderr, "contig_zone_fill: bad pair count '%s'\n", argv[1]);
		return -EINVAL;
	}
	*pairs = (size_t)v;
	return 0;
}

#define VAL_A(i) (0x100000ULL * ((i) + 1))
#define VAL_B(i) (0x200000000ULL + 0x100000ULL * ((i) + 1))

int main(int argc, char **argv)
{
	size_t want_pairs, n = 0, nc = 0, done = 0;
	struct pairs ps = { 0 };
	uint64_t fill_pages;
	char wsf[32], wbf[32], *as, *bs, *fill;
	int r = PASS;

	if (parse_pairs(argc, argv, &want_pairs))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..1\n");
	dev = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0 || read_zones(zones)) {
		printf("ok 1 - migrate_with_normal_full # SKIP no %s\n",
		       dev < 0 ? CONTIG_DEVICE_PATH : "Normal zone");
		return 0;
	}
	/* a pages: want_pairs, then CROSS for the cross-zone pairs. */
	as = pages(want_pairs + CROSS, MAP_PRIVATE);
	bs = pages(want_pairs + CROSS, MAP_PRIVATE);
	ps.ops = calloc(want_pairs + CROSS, sizeof(*ps.ops));
	ps.before = calloc(2 * (want_pairs + CROSS), sizeof(*ps.before));
	ps.cross = calloc(want_pairs + CROSS, sizeof(*ps.cross));
	if (!as || !bs || !ps.ops || !ps.before || !ps.cross)
		return 1;
	for (size_t i = 0; i < want_pairs + CROSS; i++)
		paint(as + i * PG, VAL_A(i));
	for (size_t i = 0; i < want_pairs; i++)
		paint(bs + i * PG, VAL_B(i));
	/* Pairs whose two pages both lie in Normal. */
	for (size_t i = 0; i < want_pairs; i++) {
		char *pa = as + i * PG, *pb = bs + i * PG;

		if (zone_of(frame(pa)) != Z_NORMAL || zone_of(frame(pb)) != Z_NORMAL)
			continue;
		ps.ops[n++] = (struct contig_op){ .kind = CONTIG_OP_EXCHANGE,
						  .flags = CONTIG_OP_F_MIGRATE,
						  .pid_a = getpid(),
						  .vaddr_a = (uintptr_t)pa,
						  .pid_b = getpid(),
						  .vaddr_b = (uintptr_t)pb };
	}
	if (n < 16) {
		printf("ok 1 - migrate_with_normal_full # SKIP only %zu pairs in Normal\n", n);
		return 0;
	}
	/*
	 * No watermark boost: a boost the fill brings about would outlast
	 * the raised marks (kswapd finds nothing to reclaim without swap).
	 */
	if (get_str(WBF, wbf, sizeof(wbf)) || put_str(WBF, "0") ||
	    get_str(WSF, wsf, sizeof(wsf))) {
		note("cannot set %s", WBF);
		return 1;
	}
	/* Fill what Normal has left, and some: the rest falls back. */
	read_zones(zones);
	fill_pages = zones[Z_NORMAL].free + 4096;
	fill = mmap(NULL, fill_pages * PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (fill == MAP_FAILED) {
		note("filling %" PRIu64 " pages: %s", fill_pages, strerror(errno));
		return 1;
	}
	/* Faulted with the marks raised, the rest of the b pages fall back. */
	if (put_str(WSF, "1000")) {
		note("cannot raise %s", WSF);
		return 1;
	}
	for (size_t i = want_pairs; i < want_pairs + CROSS; i++) {
		char *pa = as + i * PG, *pb = bs + i * PG;

		paint(pb, VAL_B(i));
		if (zone_of(frame(pa)) != Z_NORMAL || zone_of(frame(pb)) == Z_NORMAL)
			continue;
		ps.ops[n + nc++] = (struct contig_op){ .kind = CONTIG_OP_EXCHANGE,
						       .flags = CONTIG_OP_F_MIGRATE,
						       .pid_a = getpid(),
						       .vaddr_a = (uintptr_t)pa,
						       .pid_b = getpid(),
						       .vaddr_b = (uintptr_t)pb };
	}
	ps.n = n + nc;
	/*
	 * Normal with its own marks, and the first SPARE pages of the fill
	 * (faulted first: in Normal) given back, has frames to spare:
	 * exchanges get done.
	 */
	munmap(fill, SPARE * PG);
	put_str(WSF, wsf);
	read_zones(zones);
	note("%zu pairs in Normal, %zu across zones; Normal has %" PRIu64
	     " free pages (low mark %" PRIu64 ")", n, nc, zones[Z_NORMAL].free,
	     zones[Z_NORMAL].low);
	r |= run_batch(&ps, bs, want_pairs);
	r |= check_batch("Normal not full", &ps, &done);
	if (!done) {
		note("Normal not full: no op was done");
		r = FAIL;
	}
	/* Normal's marks raised above its free pages: nothing to spare. */
	put_str(WSF, "1000");
	read_zones(zones);
	note("Normal has %" PRIu64 " free pages (low mark %" PRIu64 ")",
	     zones[Z_NORMAL].free, zones[Z_NORMAL].low);
	r |= run_batch(&ps, bs, want_pairs);
	put_str(WSF, wsf);
	put_str(WBF, wbf);
	r |= check_batch("Normal full", &ps, &done);
	for (size_t i = 0; i < want_pairs + CROSS; i++)
		if (wrong(as + i * PG, VAL_A(i)) || wrong(bs + i * PG, VAL_B(i))) {
			note("pair %zu lost its contents", i);
			r = FAIL;
			break;
		}
	/*
	 * Normal did not fill up this time (the kernel reclaimed or the
	 * watermarks moved): no eviction had to fall back, so the run proves
	 * nothing about the fallback; everything else was still checked.
	 */
	if (!r && nc < CROSS / 2) {
		printf("ok 1 - migrate_with_normal_full # SKIP only %zu of %d late pages landed outside Normal\n",
		       nc, CROSS);
		munmap(fill + SPARE * PG, (fill_pages - SPARE) * PG);
		return 0;
	}
	printf("%sok 1 - migrate_with_normal_full\n", r ? "not " : "");
	munmap(fill + SPARE * PG, (fill_pages - SPARE) * PG);
	return r ? 1 : 0;
}
