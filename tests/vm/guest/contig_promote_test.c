// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_promote_test - CONTIG_OP_PROMOTE, case by case, exact outcomes.
 *
 * Each case makes a 2 MiB-aligned block a THP (a fault with THP=always,
 * else MADV_COLLAPSE), paints every page, and splits it in place with the
 * module's own split (an EXCHANGE of a page with itself, CONTIG_OP_F_SPLIT):
 * 512 base pages mapped by PTEs on 512 contiguous, aligned frames.  Then:
 *   - promote: the op succeeds, the block is a THP mapped by a PMD again
 *     (kpageflags THP, AnonHugePages of the VMA), every page on the very
 *     frame it had before (nothing was copied) and intact, writable; the
 *     time of the op is printed beside that of MADV_COLLAPSE of the same
 *     block split again (which copies: its frames change);
 *   - refusals, each with its result and nothing changed: frames out of
 *     order (-ERANGE), a page not present (-EFAULT), mlocked (-ENOLCK),
 *     MADV_NOHUGEPAGE (-EACCES), a page pinned by an io_uring fixed buffer
 *     (-EBUSY), already a THP (-EEXIST), an unaligned address (-EINVAL).
 * TAP output; exit 0 when every case passed or was skipped; a module
 * without CONTIG_CAP_PROMOTE fails them all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "contig_ioctl.h"
#include "guest_fidelity.h"
#include "guest_thp.h"

struct blk {
	char *raw;
	char *h; /* the 2 MiB-aligned block */
	uint64_t pfn[NPG]; /* frames of the split block */
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Split the THP at h in place (its frames stay); 0 or the op's result. */
static int split_in_place(char *h)
{
	int r = -EAGAIN;

	for (int i = 0; i < 20 && (r == -EAGAIN || r == -EBUSY); i++) {
		if (i)
			usleep(20000);
		r = xchg(h, h, CONTIG_OP_F_SPLIT, NULL);
	}
	return r;
}

/*
 * A block of 512 base pages on contiguous aligned frames, painted with
 * seed + page index; SKIP when no THP can be had.
 */
static int blk_make(struct blk *b, uint64_t seed)
{
	b->raw = mmap(NULL, 2 * BLOCK, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->raw == MAP_FAILED)
		return FAIL;
	b->h = (char *)(((uintptr_t)b->raw + BLOCK - 1) & ~(BLOCK - 1));
	madvise(b->h, BLOCK, MADV_HUGEPAGE);
	for (size_t i = 0; i < NPG; i++)
		paint(b->h + i * PG, seed + (i << 16));
	if (!is_thp(b->h))
		madvise(b->h, BLOCK, MADV_COLLAPSE);
	if (!is_thp(b->h))
		return skipped("no transparent huge page could be had");
	if (want("split in place", split_in_place(b->h), 0) ||
	    want("split", is_thp(b->h), 0))
		return FAIL;
	for (size_t i = 0; i < NPG; i++)
		b->pfn[i] = frame(b->h + i * PG);
	if (b->pfn[0] % NPG || b->pfn[NPG - 1] != b->pfn[0] + NPG - 1) {
		note("split block not on aligned contiguous frames");
		return FAIL;
	}
	return PASS;
}

static void blk_free(struct blk *b)
{
	munmap(b->raw, 2 * BLOCK);
}

/* Pages with wrong contents, pages off their frames (skip: not checked). */
static int blk_check(const struct blk *b, uint64_t seed, size_t skip)
{
	size_t bad = 0, moved = 0;

	for (size_t i = 0; i < NPG; i++) {
		if (i == skip)
			continue;
		bad += wrong(b->h + i * PG, seed + (i << 16)) != 0;
		moved += frame(b->h + i * PG) != b->pfn[i];
	}
	if (bad || moved)
		note("pages with wrong contents %zu, off their frames %zu", bad,
		     moved);
	return bad || moved ? FAIL : PASS;
}

static int promote_at(const void *va, uint32_t flags)
{
	struct contig_op op = { .kind = CONTIG_OP_PROMOTE,
				.flags = flags,
				.pid_a = getpid(),
				.vaddr_a = (uintptr_t)va };

	return run_op(CONTIG_IOC_EXCHANGE, op, NULL);
}

/* Promote, trying again while the result is transient. */
static int promote_retry(const void *va, double *us)
{
	double t0 = now_us();
	int r = -EAGAIN;

	for (int i = 0; i < 20 && r == -EAGAIN; i++) {
		if (i)
			usleep(20000);
		t0 = now_us();
		r = promote_at(va, 0);
	}
	if (us)
		*us = now_us() - t0;
	return r;
}

static int t_promote_in_place(void)
{
	double promote_us = 0, collapse_us;
	size_t same = 0;
	struct blk b;
	int r;

	r = blk_make(&b, 100);
	if (r)
		return r;
	r = want("promote", promote_retry(b.h, &promote_us), 0);
	r |= want("a THP again", is_thp(b.h), 1);
	r |= want("AnonHugePages of the VMA (KiB)", anon_huge_kib(b.h) >= 2048,
		  1);
	r |= blk_check(&b, 100, NPG);
	r |= want("promote again", promote_at(b.h, 0), -EEXIST);
	/* Writable through the PMD, and still one frame per page. */
	for (size_t i = 0; i < NPG; i++)
		paint(b.h + i * PG, 150 + (i << 16));
	r |= blk_check(&b, 150, NPG);
	r |= want("still a THP after writes", is_thp(b.h), 1);

	/* The same block through MADV_COLLAPSE: a copy to new frames. */
	r |= want("split again", split_in_place(b.h), 0);
	collapse_us = now_us();
	if (madvise(b.h, BLOCK, MADV_COLLAPSE)) {
		note("MADV_COLLAPSE: %s", strerror(errno));
		r = FAIL;
	}
	collapse_us = now_us() - collapse_us;
	for (size_t i = 0; i < NPG; i++)
		same += frame(b.h + i * PG) == b.pfn[i];
	r |= want("MADV_COLLAPSE made a THP", is_thp(b.h), 1);
	note("promote_us=%.0f collapse_us=%.0f frames_kept_by_collapse=%zu",
	     promote_us, collapse_us, same);
	printf("PROMOTE-TIMES: {\"promote_us\":%.0f,\"collapse_us\":%.0f}\n",
	       promote_us, collapse_us);
	blk_free(&b);
	return r;
}

/* A refusal: result want, block still base pages, every page in place. */
static int refused(struct blk *b, uint64_t seed, size_t skip, int expect)
{
	int r = want("promote", promote_retry(b->h, NULL), expect);

	r |= want("not a THP", is_thp(b->h), 0);
	r |= blk_check(b, seed, skip);
	return r;
}

static int t_refused_out_of_order(void)
{
	struct blk b;
	uint64_t t;
	int r;

	r = blk_make(&b, 200);
	if (r)
		return r;
	r = want("exchange pages 0 and 1", xchg_retry(b.h, b.h + PG), 0);
	t = b.pfn[0];
	b.pfn[0] = b.pfn[1];
	b.pfn[1] = t;
	r |= refused(&b, 200, NPG, -ERANGE);
	blk_free(&b);
	return r;
}

static int t_refused_not_present(void)
{
	struct blk b;
	int r;

	r = blk_make(&b, 300);
	if (r)
		return r;
	madvise(b.h + 300 * PG, PG, MADV_DONTNEED);
	r = refused(&b, 300, 300, -EFAULT);
	blk_free(&b);
	return r;
}

static int t_refused_mlocked(void)
{
	struct blk b;
	int r;

	r = blk_make(&b, 400);
	if (r)
		return r;
	if (mlock(b.h, BLOCK)) {
		blk_free(&b);
		return skipped("mlock failed");
	}
	r = refused(&b, 400, NPG, -ENOLCK);
	munlock(b.h, BLOCK);
	blk_free(&b);
	return r;
}

static int t_refused_nohugepage(void)
{
	struct blk b;
	int r;

	r = blk_make(&b, 500);
	if (r)
		return r;
	madvise(b.h, BLOCK, MADV_NOHUGEPAGE);
	r = refused(&b, 500, NPG, -EACCES);
	blk_free(&b);
	return r;
}

/* Page 10 of the block pinned as an io_uring fixed buffer (FOLL_PIN). */
static int t_refused_pinned(void)
{
	struct io_uring_params p = { 0 };
	struct iovec iov;
	struct blk b;
	int r, ring;

	r = blk_make(&b, 600);
	if (r)
		return r;
	ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0) {
		blk_free(&b);
		return skipped("no io_uring");
	}
	iov.iov_base = b.h + 10 * PG;
	iov.iov_len = PG;
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
		    &iov, 1)) {
		close(ring);
		blk_free(&b);
		return skipped("io_uring buffer registration failed");
	}
	r = refused(&b, 600, NPG, -EBUSY);
	close(ring);
	blk_free(&b);
	return r;
}

static int t_refused_unaligned(void)
{
	struct blk b;
	int r;

	r = blk_make(&b, 700);
	if (r)
		return r;
	r = want("promote at +4 KiB", promote_at(b.h + PG, 0), -EINVAL);
	r |= want("with CONTIG_OP_F_SPLIT", promote_at(b.h, CONTIG_OP_F_SPLIT),
		  -EINVAL);
	r |= want("not a THP", is_thp(b.h), 0);
	r |= blk_check(&b, 700, NPG);
	blk_free(&b);
	return r;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "promote_in_place", t_promote_in_place },
	{ "promote_refused_out_of_order", t_refused_out_of_order },
	{ "promote_refused_not_present", t_refused_not_present },
	{ "promote_refused_mlocked", t_refused_mlocked },
	{ "promote_refused_nohugepage", t_refused_nohugepage },
	{ "promote_refused_pinned", t_refused_pinned },
	{ "promote_refused_unaligned", t_refused_unaligned },
};

int main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	struct contig_info info = { 0 };
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0 || ioctl(dev, CONTIG_IOC_INFO, &info)) {
		printf("Bail out! %s: %s\n", CONTIG_DEVICE_PATH,
		       strerror(errno));
		return 1;
	}
	printf("TAP version 13\n1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		int r;

		why[0] = 0;
		if (!(info.caps & CONTIG_CAP_PROMOTE) ||
		    !(info.caps & CONTIG_CAP_SPLIT)) {
			note("the module does not offer CONTIG_CAP_PROMOTE");
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
