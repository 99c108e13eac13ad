// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_thp_test - CONTIG_OP_F_SPLIT, op by op, with exact outcomes.
 *
 * Each case maps a 2 MiB-aligned block, makes it a THP (MADV_HUGEPAGE,
 * then MADV_COLLAPSE if the fault did not give one), paints every page,
 * and runs one op against a page of it:
 *   - without the flag the op is refused (-EOPNOTSUPP), nothing changes;
 *   - EXCHANGE with the flag: the THP is split (CONTIG_OUT_SPLIT_A), the
 *     two pages trade frames, and every page of the block keeps its
 *     contents (the 511 others also their frames);
 *   - EXCHANGE_PFN with the flag, the THP on the frame side: the occupant
 *     is split (CONTIG_OUT_SPLIT_B) and exchanged;
 *   - MOVE to any frame with the flag: split, then moved.
 * And CONTIG_OP_F_WHOLE (CONTIG_CAP_LARGE_FOLIO): a MOVE into the frames
 * of a THP just freed moves the THP whole (still PMD-mapped: smaps'
 * AnonHugePages, every page on its frame of the new block, contents
 * intact); into a window that is not free or not aligned it is refused
 * without the split flag and changes nothing; EXCHANGE_PFN between pages
 * of one index in two THPs trades the two whole (both stay PMD-mapped, on
 * each other's frames); on 6.12, a 64 KiB mTHP moves whole the same way.
 * TAP output; exit 0 when every case passed or was skipped (no THP to
 * be had); a module without the capability a case needs fails it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "contig_ioctl.h"
#include "guest_fidelity.h"
#include "guest_thp.h"

#define KPF_HEAD_BIT (1ULL << 15)
#define KPF_TAIL_BIT (1ULL << 16)
#define MTHP_64K "/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled"

struct thp {
	char *raw;
	char *h; /* the 2 MiB-aligned block */
	uint64_t pfn[NPG]; /* frames before the op */
};

/* A THP painted with seed + page index; SKIP when none can be had. */
static int thp_make(struct thp *t, uint64_t seed)
{
	t->raw = mmap(NULL, 2 * BLOCK, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->raw == MAP_FAILED)
		return FAIL;
	t->h = (char *)(((uintptr_t)t->raw + BLOCK - 1) & ~(BLOCK - 1));
	madvise(t->h, BLOCK, MADV_HUGEPAGE);
	for (size_t i = 0; i < NPG; i++)
		paint(t->h + i * PG, seed + (i << 16));
	if (!is_thp(t->h))
		madvise(t->h, BLOCK, MADV_COLLAPSE);
	if (!is_thp(t->h))
		return skipped("no transparent huge page could be had");
	for (size_t i = 0; i < NPG; i++)
		t->pfn[i] = frame(t->h + i * PG);
	return PASS;
}

/* Every page intact; pages other than skip on their old frames. */
static int thp_check(const struct thp *t, uint64_t seed, size_t skip)
{
	size_t bad = 0, moved = 0;

	for (size_t i = 0; i < NPG; i++) {
		bad += wrong(t->h + i * PG, seed + (i << 16)) != 0;
		moved += i != skip && frame(t->h + i * PG) != t->pfn[i];
	}
	if (bad || moved)
		note("pages with wrong contents %zu, moved %zu", bad, moved);
	return bad || moved ? FAIL : PASS;
}

/*
 * Run op until its result is not transient (a page waiting in an LRU
 * cache, a lock held); *outcome gathers every attempt's: a split done by
 * an attempt that then failed with -EAGAIN is reported by that attempt.
 */
static int op_run(struct contig_op op, uint32_t *outcome)
{
	uint32_t out;
	int r = -EAGAIN;

	*outcome = 0;
	for (int i = 0; i < 20 && (r == -EAGAIN || r == -EBUSY); i++) {
		if (i)
			usleep(20000);
		out = 0;
		r = run_op(op.kind == CONTIG_OP_MOVE ? CONTIG_IOC_MOVE :
						       CONTIG_IOC_EXCHANGE,
			   op, &out);
		*outcome |= out;
	}
	return r;
}

static int t_refused_without_flag(void)
{
	struct thp t;
	char *a = pages(1, MAP_PRIVATE);
	uint32_t out = 0;
	int r;

	if (!a)
		return FAIL;
	paint(a, 7);
	r = thp_make(&t, 100);
	if (r)
		return r;
	r = want("exchange without the flag", xchg(t.h + 5 * PG, a, 0, &out),
		 -EOPNOTSUPP);
	r |= want("outcome", out, 0);
	r |= want("still a THP", is_thp(t.h), 1);
	r |= thp_check(&t, 100, NPG);
	munmap(t.raw, 2 * BLOCK);
	munmap(a, PG);
	return r;
}

/*
 * Exchange a base page with page k of a THP: by address (EXCHANGE, the
 * THP on side a) or by frame (EXCHANGE_PFN, the THP occupies pfn).
 */
static int exchange_case(bool by_pfn, size_t k, uint64_t seed)
{
	struct contig_op op = { .flags = CONTIG_OP_F_SPLIT, .pid_a = getpid() };
	char *a = pages(1, MAP_PRIVATE);
	uint32_t out = 0, split;
	uint64_t fa;
	struct thp t;
	int r;

	if (!a)
		return FAIL;
	paint(a, seed + 7);
	fa = frame(a);
	r = thp_make(&t, seed);
	if (r)
		return r;
	if (by_pfn) {
		op.kind = CONTIG_OP_EXCHANGE_PFN;
		op.vaddr_a = (uintptr_t)a;
		op.pfn = t.pfn[k];
		split = CONTIG_OUT_SPLIT_B;
	} else {
		op.kind = CONTIG_OP_EXCHANGE;
		op.vaddr_a = (uintptr_t)(t.h + k * PG);
		op.pid_b = getpid();
		op.vaddr_b = (uintptr_t)a;
		split = CONTIG_OUT_SPLIT_A;
	}
	r = want("exchange with the flag", op_run(op, &out), 0);
	r |= want("outcome", out,
		  split | CONTIG_OUT_A_MOVED | CONTIG_OUT_B_MOVED);
	r |= want("split", is_thp(t.h), 0);
	r |= want("THP page on the base page's frame",
		  frame(t.h + k * PG) == fa, 1);
	r |= want("base page on the THP page's frame", frame(a) == t.pfn[k], 1);
	r |= want("base page intact", wrong(a, seed + 7), 0);
	r |= thp_check(&t, seed, k);
	munmap(t.raw, 2 * BLOCK);
	munmap(a, PG);
	return r;
}

static int t_exchange_split_a(void)
{
	return exchange_case(false, 5, 200);
}

static int t_exchange_pfn_split_b(void)
{
	return exchange_case(true, 17, 300);
}

static int t_move_split_a(void)
{
	struct contig_op op = { .kind = CONTIG_OP_MOVE,
				.flags = CONTIG_OP_F_SPLIT,
				.pid_a = getpid(),
				.pfn = CONTIG_PFN_ANY };
	uint32_t out = 0;
	struct thp t;
	int r;

	r = thp_make(&t, 400);
	if (r)
		return r;
	op.vaddr_a = (uintptr_t)(t.h + 100 * PG);
	r = want("move with the flag", op_run(op, &out), 0);
	r |= want("outcome", out, CONTIG_OUT_SPLIT_A | CONTIG_OUT_A_MOVED);
	r |= want("moved", frame(t.h + 100 * PG) != t.pfn[100], 1);
	r |= thp_check(&t, 400, 100);
	munmap(t.raw, 2 * BLOCK);
	return r;
}

/* Every page of the n at h intact, page i on frame base + i. */
static int whole_check(const char *h, size_t n, uint64_t seed, uint64_t base)
{
	size_t bad = 0, off = 0;

	for (size_t i = 0; i < n; i++) {
		bad += wrong(h + i * PG, seed + (i << 16)) != 0;
		off += frame(h + i * PG) != base + i;
	}
	if (bad || off)
		note("pages with wrong contents %zu, not on the new block %zu",
		     bad, off);
	return bad || off ? FAIL : PASS;
}

/*
 * The frames of a THP that was just unmapped: most likely still free (its
 * block went back to this CPU's free lists; the test runs on one CPU).
 */
static int free_block(uint64_t seed, uint64_t *pfn)
{
	struct thp f;
	int r = thp_make(&f, seed);

	if (r)
		return r;
	*pfn = f.pfn[0];
	munmap(f.raw, 2 * BLOCK);
	return PASS;
}

static struct contig_op whole_op(const char *va, uint64_t pfn, uint32_t fl)
{
	struct contig_op op = { .kind = CONTIG_OP_MOVE,
				.flags = fl,
				.pid_a = getpid(),
				.vaddr_a = (uintptr_t)va,
				.pfn = pfn };
	return op;
}

static int t_move_whole(void)
{
	uint64_t base = 0;
	uint32_t out = 0;
	struct thp t;
	int r, res = -EOPNOTSUPP;

	r = thp_make(&t, 500);
	if (r)
		return r;
	r = want("PMD-mapped before", anon_huge_kib(t.h) >= 2048, 1);
	/* Someone may take the freed block first: a few tries. */
	for (int i = 0; i < 3 && res == -EOPNOTSUPP; i++) {
		int f = free_block(600 + i, &base);

		if (f) {
			munmap(t.raw, 2 * BLOCK);
			return f;
		}
		res = op_run(whole_op(t.h + 7 * PG, base + 7,
				      CONTIG_OP_F_WHOLE),
			     &out);
	}
	r |= want("move whole", res, 0);
	r |= want("outcome", out, CONTIG_OUT_A_MOVED | CONTIG_OUT_WHOLE);
	r |= want("still a THP", is_thp(t.h), 1);
	r |= want("still PMD-mapped", anon_huge_kib(t.h) >= 2048, 1);
	r |= whole_check(t.h, NPG, 500, base);
	/* Its page already on the frame named: done, nothing moves. */
	r |= want("again", op_run(whole_op(t.h + 9 * PG, base + 9,
					   CONTIG_OP_F_WHOLE),
				  &out),
		  0);
	r |= want("outcome again", out, 0);
	r |= whole_check(t.h, NPG, 500, base);
	munmap(t.raw, 2 * BLOCK);
	return r;
}

/*
 * A window that is not free (another THP's frames) or not aligned (the
 * page's index plus one): without CONTIG_OP_F_SPLIT refused as before,
 * both THPs unchanged.
 */
static int t_whole_refused(void)
{
	struct thp t, o;
	uint32_t out = 0;
	int r;

	r = thp_make(&t, 700);
	if (r)
		return r;
	r = thp_make(&o, 800);
	if (r) {
		munmap(t.raw, 2 * BLOCK);
		return r;
	}
	r = want("window held by a THP",
		 op_run(whole_op(t.h + 3 * PG, o.pfn[3], CONTIG_OP_F_WHOLE),
			&out),
		 -EOPNOTSUPP);
	r |= want("outcome", out, 0);
	r |= want("window not aligned",
		  op_run(whole_op(t.h + 3 * PG, o.pfn[4], CONTIG_OP_F_WHOLE),
			 &out),
		  -EOPNOTSUPP);
	r |= want("outcome", out, 0);
	r |= want("both still THPs", is_thp(t.h) && is_thp(o.h), 1);
	r |= thp_check(&t, 700, NPG);
	r |= thp_check(&o, 800, NPG);
	munmap(o.raw, 2 * BLOCK);
	munmap(t.raw, 2 * BLOCK);
	return r;
}

/*
 * EXCHANGE_PFN with CONTIG_OP_F_WHOLE, a page of one THP against the frame
 * of the page of the same index in another: the two trade places whole,
 * both stay PMD-mapped THPs, every page of each on the other's old frame.
 */
static int t_exchange_whole(void)
{
	struct contig_op op = { .kind = CONTIG_OP_EXCHANGE_PFN,
				.flags = CONTIG_OP_F_WHOLE,
				.pid_a = getpid() };
	struct thp t, o;
	uint32_t out = 0;
	int r;

	r = thp_make(&t, 1000);
	if (r)
		return r;
	r = thp_make(&o, 1100);
	if (r) {
		munmap(t.raw, 2 * BLOCK);
		return r;
	}
	op.vaddr_a = (uintptr_t)(t.h + 11 * PG);
	op.pfn = o.pfn[11];
	r = want("exchange whole", op_run(op, &out), 0);
	r |= want("outcome", out,
		  CONTIG_OUT_A_MOVED | CONTIG_OUT_B_MOVED | CONTIG_OUT_WHOLE);
	r |= want("both still THPs", is_thp(t.h) && is_thp(o.h), 1);
	r |= want("both PMD-mapped",
		  anon_huge_kib(t.h) >= 2048 && anon_huge_kib(o.h) >= 2048, 1);
	r |= whole_check(t.h, NPG, 1000, o.pfn[0]);
	r |= whole_check(o.h, NPG, 1100, t.pfn[0]);
	munmap(o.raw, 2 * BLOCK);
	munmap(t.raw, 2 * BLOCK);
	return r;
}

/* 6.12: a 64 KiB mTHP (16 pages) of a VMA at h, painted with seed. */
static int mthp_make(char **raw, char **h, uint64_t seed)
{
	const size_t sz = 16 * PG;
	uint64_t fl[16];

	*raw = mmap(NULL, 2 * sz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*raw == MAP_FAILED)
		return FAIL;
	*h = (char *)(((uintptr_t)*raw + sz - 1) & ~(sz - 1));
	madvise(*raw, 2 * sz, MADV_NOHUGEPAGE);
	madvise(*h, sz, MADV_HUGEPAGE);
	for (size_t i = 0; i < 16; i++)
		paint(*h + i * PG, seed + (i << 16));
	if (kpageflags(frame(*h), fl, 16))
		return FAIL;
	for (size_t i = 0; i < 16; i++)
		if (!(fl[i] & (i ? KPF_TAIL_BIT : KPF_HEAD_BIT)) ||
		    frame(*h + i * PG) != frame(*h) + i)
			return skipped("no 64 KiB mTHP could be had");
	return PASS;
}

static int t_move_whole_mthp(void)
{
	char *raw, *h, *fraw, *fh;
	uint64_t base, fl = 0;
	uint32_t out = 0;
	int r;

	if (access(MTHP_64K, W_OK))
		return skipped("no 64 KiB mTHP in this kernel");
	if (put_str(MTHP_64K, "always"))
		return FAIL;
	r = mthp_make(&raw, &h, 900);
	if (!r)
		r = mthp_make(&fraw, &fh, 950);
	put_str(MTHP_64K, "never");
	if (r)
		return r;
	base = frame(fh);
	munmap(fraw, 32 * PG);
	r = want("move mTHP whole",
		 op_run(whole_op(h + 5 * PG, base + 5, CONTIG_OP_F_WHOLE), &out),
		 0);
	r |= want("outcome", out, CONTIG_OUT_A_MOVED | CONTIG_OUT_WHOLE);
	r |= want("head still a head",
		  !kpageflags(frame(h), &fl, 1) && (fl & KPF_HEAD_BIT), 1);
	r |= whole_check(h, 16, 900, base);
	munmap(raw, 32 * PG);
	return r;
}

static const struct {
	const char *name;
	int (*fn)(void);
	uint64_t caps; /* what the module must offer */
} cases[] = {
	{ "thp_refused_without_split_flag", t_refused_without_flag,
	  CONTIG_CAP_SPLIT },
	{ "thp_exchange_split_a", t_exchange_split_a, CONTIG_CAP_SPLIT },
	{ "thp_exchange_pfn_split_b", t_exchange_pfn_split_b,
	  CONTIG_CAP_SPLIT },
	{ "thp_move_split_a", t_move_split_a, CONTIG_CAP_SPLIT },
	{ "thp_move_whole", t_move_whole, CONTIG_CAP_LARGE_FOLIO },
	{ "thp_whole_refused", t_whole_refused, CONTIG_CAP_LARGE_FOLIO },
	{ "thp_exchange_whole", t_exchange_whole, CONTIG_CAP_LARGE_FOLIO },
	{ "mthp_move_whole", t_move_whole_mthp, CONTIG_CAP_LARGE_FOLIO },
};

int main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	struct contig_info info = { 0 };
	int failed = 0;

	cpu_set_t one;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Frames this test frees wait on this CPU's free lists only. */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	dev = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0 || ioctl(dev, CONTIG_IOC_INFO, &info)) {
		printf("Bail out! %s: %s\n", CONTIG_DEVICE_PATH,
		       strerror(errno));
		return 1;
	}
	printf("TAP version 13\n1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		int r = SKIP;

		why[0] = 0;
		if ((info.caps & cases[i].caps) != cases[i].caps) {
			note("the module does not offer caps 0x%llx",
			     (unsigned long long)cases[i].caps);
			r = FAIL;
		} else {
			r = cases[i].fn();
		}
		if (r == SKIP)
			printf("ok %zu - %s # SKIP %s\n", i + 1, cases[i].name,
			       why);
		else
			printf("%sok %zu - %s\n", r ? "not " : "", i + 1,
			       cases[i].name);
		failed += r == FAIL;
	}
	return failed ? 1 : 0;
}
